{{ config(materialized='view') }}

{#- Every row of raw.transactions exactly once, with its customer resolved
    (the delivered customer_id, else the owner of account_id in
    raw.accounts) and the reason it cannot be used, or a null reason when
    it can. The one place that decides which rows the marts leave out:
    int_transactions_classified keeps the rows without a reason,
    fct_data_quality lists the others. A view that reads raw.transactions
    in one pass; it is never stored at 100M rows. -#}
{%- set columns = [
    'transaction_id', 'account_id', 'customer_id', 'booked_at',
    'currency', 'channel', 'category', 'order_id', 'booked_date', 'amount',
] -%}

with

transactions as (
    select * from {{ ref('stg_raw__transactions') }}
),

redelivered as (
    select * from {{ ref('int_transactions_redelivered') }}
),

accounts as (
    select * from {{ ref('stg_raw__accounts') }}
),

as_of_date as (
    select * from {{ ref('int_as_of_date') }}
),

single_deliveries as (
    select
        {%- for column in columns %}
            transactions.{{ column }},
        {%- endfor %}
        1 as delivery_number
    from transactions
    left join redelivered
        on
            transactions.transaction_id = redelivered.transaction_id
            and redelivered.delivery_number = 1
    where redelivered.transaction_id is null
),

deliveries_unioned as (
    select * from single_deliveries
    union all
    select
        {%- for column in columns %}
            {{ column }},
        {%- endfor %}
        delivery_number
    from redelivered
),

customers_resolved as (
    select
        {%- for column in columns if column != 'customer_id' %}
            deliveries_unioned.{{ column }},
        {%- endfor %}
        deliveries_unioned.delivery_number,
        coalesce(
            deliveries_unioned.customer_id, accounts.customer_id
        ) as customer_id
    from deliveries_unioned
    left join accounts
        on deliveries_unioned.account_id = accounts.account_id
),

reasons_given as (
    select
        customers_resolved.*,
        case
            when customers_resolved.transaction_id is null
                then 'missing transaction_id'
            when customers_resolved.booked_at is null
                then 'missing booked_at'
            when customers_resolved.amount is null
                then 'missing amount'
            when customers_resolved.customer_id is null
                then 'missing customer'
            when customers_resolved.booked_date > as_of_date.as_of_date
                then 'booked after as_of_date'
            when customers_resolved.delivery_number > 1
                then 'duplicate delivery'
        end as rejection_reason
    from customers_resolved
    cross join as_of_date
)

select * from reasons_given
