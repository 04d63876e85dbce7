{#- Behaviour features per customer at as_of_date. Window and unit are in
    every name; the window lengths come from vars, so the names follow them
    (feature_window_days: 365 -> spend_365d). A feature the input cannot
    support is null for every customer (input_coverage below decides). -#}
{%- set days = var('feature_window_days') | int -%}
{%- set months = var('balance_window_months') | int -%}
{%- set window = days ~ 'd' -%}
{%- set balance_window = months ~ 'm' -%}
{%- set deposit_products = sql_string_list(var('deposit_products')) -%}
{%- set salary_min_months = var('salary_min_months') | int -%}

with

customers as (
    select * from {{ ref('dim_customers') }}
),

{# Read twice (window totals, salary months): inlined, not held. #}
transactions as {{ not_materialized() }} (
    select * from {{ ref('int_transactions_classified') }}
),

as_of_date as (
    select * from {{ ref('int_as_of_date') }}
),

accounts as (
    select * from {{ ref('stg_raw__accounts') }}
),

balances as (
    select * from {{ ref('stg_raw__balances') }}
),

{# One pass over the transactions of the window, every sum at once (no
    count(distinct): DuckDB would materialize the whole input for it). #}
transactions_per_customer as (
    select
        customer_id,
        count(*) as txn_count,
        sum(case when is_purchase then 1 else 0 end) as purchase_count,
        sum(purchase_amount) as purchase_amount,
        sum(refund_amount) as refund_amount,
        sum(inflow_amount) as inflow_amount,
        sum(outflow_amount) as outflow_amount,
        count(channel) as channel_known_count,
        sum(case when is_digital then 1 else 0 end) as digital_count,
        {%- for category in var('purchase_categories') %}
            sum(
                case when category = '{{ category }}' then purchase_amount end
            ) as purchase_amount_{{ category }},
        {%- endfor %}
        sum(
            case when category = 'salary' and amount > 0 then amount end
        ) as salary_amount,
        sum(case when category = 'salary' then 1 else 0 end) as salary_rows,
        sum(
            case when category = 'fee' and amount < 0 then -amount end
        ) as fee_amount,
        sum(case when category = 'fee' then 1 else 0 end) as fee_rows
    from transactions
    where days_before_as_of_date < {{ days }}
    group by customer_id
),

{# Salary regularity: calendar months of the window with a salary credit.
    A second read that the category filter keeps small. #}
salary_credit_months as (
    select
        customer_id,
        {{ dbt.date_trunc('month', 'booked_date') }} as booked_month
    from transactions
    where
        category = 'salary'
        and amount > 0
        and days_before_as_of_date < {{ days }}
    group by customer_id, booked_month
),

salary_months_per_customer as (
    select
        customer_id,
        count(*) as salary_months
    from salary_credit_months
    group by customer_id
),

accounts_open as (
    select
        accounts.customer_id,
        accounts.product
    from accounts
    cross join as_of_date
    where
        coalesce(accounts.opened_date <= as_of_date.as_of_date, true)
        and coalesce(accounts.closed_date > as_of_date.as_of_date, true)
),

products_per_customer as (
    select
        customer_id,
        count(distinct product) as products_held_count,
        {%- for product in var('account_products') %}
            max(
                case when product = '{{ product }}' then 1 else 0 end
            ) = 1 as has_{{ product }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from accounts_open
    group by customer_id
),

balances_joined as (
    select
        accounts.customer_id,
        accounts.product,
        accounts.credit_limit,
        balances.month_end_date,
        balances.balance,
        balances.days_past_due,
        cast(
            {{ dbt.datediff('balances.month_end_date',
                            'as_of_date.last_month_end_date', 'month') }}
            as integer
        ) as months_before_as_of_date
    from balances
    inner join accounts
        on balances.account_id = accounts.account_id
    cross join as_of_date
    where balances.month_end_date <= as_of_date.as_of_date
),

{# The last balance_window_months month ends on or before as_of_date. #}
balances_in_window as (
    select *
    from balances_joined
    where months_before_as_of_date < {{ months }}
),

balances_per_month as (
    select
        customer_id,
        month_end_date,
        months_before_as_of_date,
        sum(
            case when product in ({{ deposit_products }}) then balance end
        ) as deposit_balance,
        sum(case when product = 'credit_card' then abs(balance) end)
        / nullif(
            sum(case when product = 'credit_card' then credit_limit end), 0
        ) as card_utilisation,
        max(days_past_due) as days_past_due
    from balances_in_window
    group by customer_id, month_end_date, months_before_as_of_date
),

{# regr_slope of a single point is NaN in DuckDB: null instead. #}
balances_per_customer as (
    select
        customer_id,
        avg(cast(deposit_balance as double)) as balance_mean,
        case
            when count(deposit_balance) >= 2
                then
                    regr_slope(
                        cast(deposit_balance as double),
                        -months_before_as_of_date
                    )
        end as balance_trend,
        stddev_samp(cast(deposit_balance as double)) as balance_volatility,
        avg(card_utilisation) as card_utilisation_mean,
        max(days_past_due) as days_past_due_max
    from balances_per_month
    group by customer_id
),

accounts_counted as (
    select count(*) as account_rows
    from accounts
),

balances_counted as (
    select
        sum(
            case
                when product = 'credit_card' and credit_limit > 0 then 1
                else 0
            end
        ) as card_limit_rows,
        count(days_past_due) as days_past_due_rows
    from balances_in_window
),

transactions_counted as (
    select
        sum(channel_known_count) as channel_rows,
        sum(salary_rows) as salary_rows,
        sum(fee_rows) as fee_rows
    from transactions_per_customer
),

{# What the input supports, for the whole base: a feature is null for
    everyone when its input is absent (no accounts table, no channel, no
    salary or fee category in the window, no as_of_date at all), never a
    made-up zero. #}
input_coverage as (
    select
        coalesce(
            accounts_counted.account_rows > 0
            and as_of_date.as_of_date is not null,
            false
        ) as has_accounts_input,
        coalesce(balances_counted.card_limit_rows > 0, false)
            as has_card_limits_input,
        coalesce(balances_counted.days_past_due_rows > 0, false)
            as has_days_past_due_input,
        coalesce(transactions_counted.channel_rows > 0, false)
            as has_channel_input,
        coalesce(transactions_counted.salary_rows > 0, false)
            as has_salary_input,
        coalesce(transactions_counted.fee_rows > 0, false) as has_fee_input
    from accounts_counted
    cross join balances_counted
    cross join transactions_counted
    cross join as_of_date
),

{# Zeros for customers without rows, before the coverage rules apply. #}
totals_filled as (
    select
        customers.customer_id,
        coalesce(window_totals.txn_count, 0) as txn_count,
        coalesce(window_totals.purchase_count, 0) as purchase_count,
        coalesce(window_totals.purchase_amount, 0) as purchase_amount,
        coalesce(window_totals.refund_amount, 0) as refund_amount,
        coalesce(window_totals.inflow_amount, 0) as inflow_amount,
        coalesce(window_totals.outflow_amount, 0) as outflow_amount,
        window_totals.channel_known_count,
        window_totals.digital_count,
        {%- for category in var('purchase_categories') %}
            coalesce(window_totals.purchase_amount_{{ category }}, 0)
                as purchase_amount_{{ category }},
        {%- endfor %}
        coalesce(window_totals.salary_amount, 0) as salary_amount,
        coalesce(salary_months_per_customer.salary_months, 0)
            as salary_months,
        coalesce(window_totals.fee_amount, 0) as fee_amount,
        coalesce(products.products_held_count, 0) as products_held_count,
        {%- for product in var('account_products') %}
            coalesce(products.has_{{ product }}, false) as has_{{ product }},
        {%- endfor %}
        balance_stats.balance_mean,
        balance_stats.balance_trend,
        balance_stats.balance_volatility,
        balance_stats.card_utilisation_mean,
        coalesce(balance_stats.days_past_due_max, 0) as days_past_due_max
    from customers
    left join transactions_per_customer as window_totals
        on customers.customer_id = window_totals.customer_id
    left join salary_months_per_customer
        on customers.customer_id = salary_months_per_customer.customer_id
    left join products_per_customer as products
        on customers.customer_id = products.customer_id
    left join balances_per_customer as balance_stats
        on customers.customer_id = balance_stats.customer_id
),

features_joined as (
    select
        customers.customer_id,
        cast(
            {{ dbt.datediff('customers.joined_date',
                            'as_of_date.as_of_date', 'day') }}
            as integer
        ) as tenure_days,
        cast(
            {{ dbt.datediff('customers.first_booked_date',
                            'as_of_date.as_of_date', 'day') }}
            as integer
        ) as days_since_first_txn,
        cast(
            {{ dbt.datediff('customers.last_booked_date',
                            'as_of_date.as_of_date', 'day') }}
            as integer
        ) as days_since_last_txn,
        cast(totals.txn_count as bigint) as txn_count_{{ window }},
        cast(totals.purchase_count as bigint) as purchase_count_{{ window }},
        cast(
            totals.purchase_amount - totals.refund_amount as decimal(18, 2)
        ) as spend_{{ window }},
        cast(
            totals.purchase_amount / nullif(totals.purchase_count, 0)
            as decimal(18, 2)
        ) as avg_purchase_amount_{{ window }},
        cast(
            totals.refund_amount as decimal(18, 2)
        ) as refund_amount_{{ window }},
        cast(totals.inflow_amount as decimal(18, 2)) as inflow_{{ window }},
        cast(totals.outflow_amount as decimal(18, 2)) as outflow_{{ window }},
        cast(totals.inflow_amount as double)
        / nullif(cast(totals.outflow_amount as double), 0)
            as inflow_outflow_ratio_{{ window }},
        case
            when input_coverage.has_channel_input
                then
                    cast(totals.digital_count as double)
                    / nullif(totals.channel_known_count, 0)
        end as digital_share_{{ window }},
        {%- for category in var('purchase_categories') %}
            cast(totals.purchase_amount_{{ category }} as double)
            / nullif(cast(totals.purchase_amount as double), 0)
                as spend_share_{{ category }}_{{ window }},
        {%- endfor %}
        case
            when input_coverage.has_salary_input
                then cast(totals.salary_amount as decimal(18, 2))
        end as salary_inflow_{{ window }},
        case
            when input_coverage.has_salary_input
                then cast(totals.salary_months as bigint)
        end as salary_months_{{ window }},
        case
            when input_coverage.has_salary_input
                then totals.salary_months >= {{ salary_min_months }}
        end as has_salary,
        case
            when input_coverage.has_fee_input
                then cast(totals.fee_amount as decimal(18, 2))
        end as fees_paid_{{ window }},
        case
            when input_coverage.has_accounts_input
                then cast(totals.products_held_count as bigint)
        end as products_held_count,
        {%- for product in var('account_products') %}
            case
                when input_coverage.has_accounts_input
                    then totals.has_{{ product }}
            end as has_{{ product }},
        {%- endfor %}
        cast(
            totals.balance_mean as decimal(18, 2)
        ) as balance_mean_{{ balance_window }},
        totals.balance_trend as balance_trend_{{ balance_window }},
        totals.balance_volatility
            as balance_volatility_{{ balance_window }},
        case
            when input_coverage.has_card_limits_input
                then totals.card_utilisation_mean
        end as card_utilisation_mean_{{ balance_window }},
        case
            when input_coverage.has_days_past_due_input
                then cast(totals.days_past_due_max as integer)
        end as days_past_due_max_{{ balance_window }}
    from customers
    inner join totals_filled as totals
        on customers.customer_id = totals.customer_id
    cross join as_of_date
    cross join input_coverage
)

select * from features_joined
