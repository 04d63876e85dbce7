{#- Renames and casts only. customer_id is as delivered (it may be null
    where account_id is given: int_transactions_validated resolves it
    through raw.accounts, once, for every model downstream). -#}
with

transactions as (
    select * from {{ source('raw', 'transactions') }}
),

renamed as (
    select
        transaction_id,
        account_id,
        customer_id,
        booked_at,
        currency,
        channel,
        category,
        order_id,
        cast(booked_at as date) as booked_date,
        cast(amount as decimal(18, 2)) as amount
    from transactions
)

select * from renamed
