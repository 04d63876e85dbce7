with

validated as (
    select * from {{ ref('int_transactions_validated') }}
),

rejected as (
    select
        'transactions' as source_table,
        transaction_id,
        account_id,
        customer_id,
        booked_at,
        amount,
        currency,
        channel,
        category,
        order_id,
        cast(delivery_number as bigint) as delivery_number,
        rejection_reason
    from validated
    where rejection_reason is not null
)

select * from rejected
