{#- The one pass over the usable transactions that the monthly marts share:
    one row per customer, account and calendar month with a transaction.
    Flags and amounts come from int_transactions_classified (never
    re-derived here); fees and salary follow fct_customer_features (a fee is
    category fee with money out, a salary credit is category salary with
    money in). account_id is null for transactions delivered without one.
    channel_cost prices each transaction at the var pnl_cost_per_transaction
    of its channel (0 without a listed channel) for fct_customer_pnl.
    Every aggregate costs time at 100M rows, so there are few: a count or
    a date that a mart can take elsewhere is left out. -#}
{%- set channel_costs = var('pnl_cost_per_transaction') -%}

with

transactions as (
    select * from {{ ref('int_transactions_classified') }}
),

months_assigned as (
    select
        *,
        cast({{ dbt.date_trunc('month', 'booked_date') }} as date)
            as month_start_date
    from transactions
),

{# Sums only (no distinct aggregate): cheap at 100M rows. #}
totals_per_account_month as (
    select
        customer_id,
        account_id,
        month_start_date,
        max(booked_date) as last_booked_date,
        count(*) as txn_count,
        sum(case when is_purchase then 1 else 0 end) as purchase_count,
        sum(purchase_amount) as purchase_amount,
        sum(refund_amount) as refund_amount,
        sum(inflow_amount) as inflow_amount,
        sum(outflow_amount) as outflow_amount,
        count(channel) as channel_known_count,
        sum(case when is_digital then 1 else 0 end) as digital_count,
        sum(
            cast(
                case channel
                    {%- for channel, cost in channel_costs.items() %}
                        when '{{ channel }}' then {{ cost }}
                    {%- endfor %}
                    else 0
                end as decimal(18, 6)
            )
        ) as channel_cost,
        sum(
            case when category = 'salary' and amount > 0 then amount end
        ) as salary_amount,
        sum(
            case when category = 'fee' and amount < 0 then -amount end
        ) as fee_amount
    from months_assigned
    group by customer_id, account_id, month_start_date
),

month_end_added as (
    select
        customer_id,
        account_id,
        month_start_date,
        {{ dbt.last_day('month_start_date', 'month') }} as month_end_date,
        last_booked_date,
        cast(txn_count as bigint) as txn_count,
        cast(purchase_count as bigint) as purchase_count,
        cast(purchase_amount as decimal(18, 2)) as purchase_amount,
        cast(refund_amount as decimal(18, 2)) as refund_amount,
        cast(inflow_amount as decimal(18, 2)) as inflow_amount,
        cast(outflow_amount as decimal(18, 2)) as outflow_amount,
        cast(channel_known_count as bigint) as channel_known_count,
        cast(digital_count as bigint) as digital_count,
        cast(channel_cost as decimal(18, 6)) as channel_cost,
        cast(coalesce(salary_amount, 0) as decimal(18, 2)) as salary_amount,
        cast(coalesce(fee_amount, 0) as decimal(18, 2)) as fee_amount
    from totals_per_account_month
)

select * from month_end_added
