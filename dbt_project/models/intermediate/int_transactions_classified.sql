{{ config(materialized='view') }}

{#- The usable transactions (booked on or before as_of_date, one row per
    transaction_id) and THE one place that decides what a transaction is:
    purchase, refund, digital, inflow or outflow. Every mart reads these
    flags and amounts; none re-derives them.
    A view: writing 100M classified rows costs more than the few marts that
    read it spend recomputing it (one scan, two hash probes, no sort). -#}
with

validated as (
    select * from {{ ref('int_transactions_validated') }}
),

as_of_date as (
    select * from {{ ref('int_as_of_date') }}
),

accepted as (
    select *
    from validated
    where rejection_reason is null
),

flagged as (
    select
        transaction_id,
        customer_id,
        account_id,
        booked_at,
        booked_date,
        amount,
        currency,
        channel,
        category,
        order_id,
        coalesce(
            amount <= 0
            and category in (
                {{ sql_string_list(var('purchase_categories')) }}
            ),
            false
        ) as is_purchase,
        coalesce(category = 'refund' and amount > 0, false) as is_refund,
        channel in (
            {{ sql_string_list(var('digital_channels')) }}
        ) as is_digital
    from accepted
),

amounts_split as (
    select
        flagged.*,
        cast(
            case when flagged.is_purchase then -flagged.amount else 0 end
            as decimal(18, 2)
        ) as purchase_amount,
        cast(
            case when flagged.is_refund then flagged.amount else 0 end
            as decimal(18, 2)
        ) as refund_amount,
        cast(
            case when flagged.amount > 0 then flagged.amount else 0 end
            as decimal(18, 2)
        ) as inflow_amount,
        cast(
            case when flagged.amount < 0 then -flagged.amount else 0 end
            as decimal(18, 2)
        ) as outflow_amount,
        cast(
            {{ dbt.datediff('flagged.booked_date', 'as_of_date.as_of_date',
                            'day') }}
            as integer
        ) as days_before_as_of_date
    from flagged
    cross join as_of_date
)

select * from amounts_split
