{#- Point-in-time behaviour per customer and month end. Every column at a
    month end reads only transactions booked on or before it (monthly totals
    of int_transactions_monthly up to that month) and balances of month
    ends on or before it, so rows booked later never change it, and a
    rebuild of the same input gives the same rows. _1m columns cover the
    calendar month ending at month_end_date; _<n>m columns the n calendar
    months ending there (var snapshot_window_months), null while that window
    reaches before the first month of data. A column the input cannot
    support at that month end is null (see int_month_ends). -#}
{%- set months = var('snapshot_window_months') | int -%}
{%- set window = months ~ 'm' -%}
{%- set deposit_products = sql_string_list(var('deposit_products')) -%}
{%- set credit_products = sql_string_list(var('credit_products')) -%}
{%- set investment_products = sql_string_list(var('investment_products')) -%}

with

customer_months as (
    select * from {{ ref('int_customer_month_ends') }}
),

customers as (
    select * from {{ ref('dim_customers') }}
),

month_ends as (
    select * from {{ ref('int_month_ends') }}
),

transactions_monthly as (
    select * from {{ ref('int_transactions_monthly') }}
),

account_month_ends as (
    select * from {{ ref('int_account_month_ends') }}
),

transactions_per_customer_month as (
    select
        customer_id,
        month_end_date,
        cast(max(last_booked_date) as date) as last_booked_date,
        cast(sum(txn_count) as bigint) as txn_count,
        cast(sum(purchase_count) as bigint) as purchase_count,
        cast(sum(purchase_amount) - sum(refund_amount) as decimal(18, 2))
            as spend,
        cast(sum(inflow_amount) as decimal(18, 2)) as inflow,
        cast(sum(outflow_amount) as decimal(18, 2)) as outflow,
        cast(sum(channel_known_count) as bigint) as channel_known_count,
        cast(sum(digital_count) as bigint) as digital_count,
        cast(sum(salary_amount) as decimal(18, 2)) as salary_inflow,
        cast(sum(fee_amount) as decimal(18, 2)) as fees_paid
    from transactions_monthly
    group by customer_id, month_end_date
),

{# Products: open at the month end. Balances: the raw.balances rows of the
    month end, as in fct_customer_features. #}
accounts_per_customer_month as (
    select
        customer_id,
        month_end_date,
        cast(
            sum(case when is_open_at_month_end then 1 else 0 end) as bigint
        ) as accounts_open_count,
        {%- for product in var('account_products') %}
            max(
                case
                    when is_open_at_month_end and product = '{{ product }}'
                        then 1
                    else 0
                end
            ) as holds_{{ product }},
        {%- endfor %}
        cast(
            sum(
                case when product in ({{ deposit_products }}) then balance end
            ) as decimal(18, 2)
        ) as deposit_balance,
        cast(
            sum(
                case
                    when product in ({{ investment_products }}) then balance
                end
            ) as decimal(18, 2)
        ) as investment_balance,
        cast(
            sum(
                case when product in ({{ credit_products }}) then -balance end
            ) as decimal(18, 2)
        ) as loan_balance,
        sum(
            case
                when product = 'credit_card' and balance is not null
                    then abs(balance)
            end
        ) as card_balance,
        sum(
            case
                when product = 'credit_card' and balance is not null
                    then credit_limit
            end
        ) as card_limit,
        max(days_past_due) as days_past_due
    from account_month_ends
    group by customer_id, month_end_date
),

{# Zeros for months without rows; null where nothing is known. #}
customer_months_joined as (
    select
        customer_months.customer_id,
        customer_months.month_end_date,
        customer_months.month_number,
        customers.joined_date,
        customers.first_booked_date,
        monthly_totals.last_booked_date,
        coalesce(monthly_totals.txn_count, 0) as txn_count,
        coalesce(monthly_totals.purchase_count, 0) as purchase_count,
        coalesce(monthly_totals.spend, 0) as spend,
        coalesce(monthly_totals.inflow, 0) as inflow,
        coalesce(monthly_totals.outflow, 0) as outflow,
        coalesce(monthly_totals.channel_known_count, 0)
            as channel_known_count,
        coalesce(monthly_totals.digital_count, 0) as digital_count,
        case
            when monthly_totals.salary_inflow > 0 then 1 else 0
        end as salary_month,
        coalesce(monthly_totals.salary_inflow, 0) as salary_inflow,
        coalesce(monthly_totals.fees_paid, 0) as fees_paid,
        coalesce(holdings.accounts_open_count, 0) as accounts_open_count,
        {%- for product in var('account_products') %}
            coalesce(holdings.holds_{{ product }}, 0)
                as holds_{{ product }},
        {%- endfor %}
        holdings.deposit_balance,
        holdings.investment_balance,
        holdings.loan_balance,
        holdings.card_balance,
        holdings.card_limit,
        coalesce(holdings.days_past_due, 0) as days_past_due
    from customer_months
    inner join customers
        on customer_months.customer_id = customers.customer_id
    left join transactions_per_customer_month as monthly_totals
        on
            customer_months.customer_id = monthly_totals.customer_id
            and customer_months.month_end_date = monthly_totals.month_end_date
    left join accounts_per_customer_month as holdings
        on
            customer_months.customer_id = holdings.customer_id
            and customer_months.month_end_date = holdings.month_end_date
),

{# One sort per customer serves every window. The panel is dense (every
    month end from the customer's start), so n rows are n months. #}
windows_applied as (
    select
        *,
        max(last_booked_date) over months_to_date as last_booked_to_date,
        sum(txn_count) over trailing_months as txn_count_window,
        sum(purchase_count) over trailing_months as purchase_count_window,
        sum(spend) over trailing_months as spend_window,
        sum(inflow) over trailing_months as inflow_window,
        sum(outflow) over trailing_months as outflow_window,
        sum(channel_known_count) over trailing_months
            as channel_known_count_window,
        sum(digital_count) over trailing_months as digital_count_window,
        sum(salary_inflow) over trailing_months as salary_inflow_window,
        sum(salary_month) over trailing_months as salary_months_window,
        sum(fees_paid) over trailing_months as fees_paid_window,
        sum(deposit_balance) over trailing_months as deposit_balance_window_sum,
        count(deposit_balance) over trailing_months
            as deposit_balance_window_count,
        lag(deposit_balance, {{ months }}) over (
            partition by customer_id order by month_end_date
        ) as deposit_balance_window_ago,
        max(days_past_due) over trailing_months as days_past_due_window
    from customer_months_joined
    window
        months_to_date as (
            partition by customer_id
            order by month_end_date
            rows between unbounded preceding and current row
        ),
        trailing_months as (
            partition by customer_id
            order by month_end_date
            rows between {{ months - 1 }} preceding and current row
        )
),

features_computed as (
    select
        windows_applied.customer_id,
        windows_applied.month_end_date,
        cast(
            {{ dbt.datediff('windows_applied.joined_date',
                            'windows_applied.month_end_date', 'day') }}
            as integer
        ) as tenure_days,
        {# dim_customers' first date is the first at every later month
            end too: rows booked later cannot come before it. #}
        cast(
            case
                when
                    windows_applied.first_booked_date
                    <= windows_applied.month_end_date
                    then
                        {{ dbt.datediff('windows_applied.first_booked_date',
                                        'windows_applied.month_end_date',
                                        'day') }}
            end as integer
        ) as days_since_first_txn,
        cast(
            {{ dbt.datediff('windows_applied.last_booked_to_date',
                            'windows_applied.month_end_date', 'day') }}
            as integer
        ) as days_since_last_txn,
        windows_applied.month_number >= {{ months }} as is_window_complete,
        month_ends.has_channel_input,
        month_ends.has_salary_input,
        month_ends.has_fee_input,
        month_ends.has_accounts_input,
        month_ends.has_days_past_due_input,
        month_ends.has_card_limits_input,
        windows_applied.txn_count,
        windows_applied.txn_count_window,
        windows_applied.purchase_count,
        windows_applied.purchase_count_window,
        windows_applied.spend,
        windows_applied.spend_window,
        windows_applied.inflow,
        windows_applied.inflow_window,
        windows_applied.outflow,
        windows_applied.outflow_window,
        cast(windows_applied.digital_count as double)
        / nullif(windows_applied.channel_known_count, 0) as digital_share,
        cast(windows_applied.digital_count_window as double)
        / nullif(windows_applied.channel_known_count_window, 0)
            as digital_share_window,
        windows_applied.salary_inflow,
        windows_applied.salary_inflow_window,
        windows_applied.salary_months_window,
        windows_applied.fees_paid,
        windows_applied.fees_paid_window,
        windows_applied.accounts_open_count,
        {%- for product in var('account_products') %}
            windows_applied.holds_{{ product }},
        {%- endfor %}
        windows_applied.deposit_balance,
        windows_applied.deposit_balance_window_sum
        / nullif(windows_applied.deposit_balance_window_count, 0)
            as deposit_balance_mean_window,
        windows_applied.deposit_balance
        - windows_applied.deposit_balance_window_ago
            as deposit_balance_change_window,
        windows_applied.investment_balance,
        windows_applied.loan_balance,
        cast(windows_applied.card_balance as double)
        / nullif(cast(windows_applied.card_limit as double), 0)
            as card_utilisation,
        windows_applied.days_past_due,
        windows_applied.days_past_due_window
    from windows_applied
    inner join month_ends
        on windows_applied.month_end_date = month_ends.month_end_date
),

{# Names, types and the null rules: the contract's columns, in order. #}
snapshot as (
    select
        customer_id,
        month_end_date,
        tenure_days,
        days_since_first_txn,
        days_since_last_txn,
        cast(txn_count as bigint) as txn_count_1m,
        cast(
            case when is_window_complete then txn_count_window end as bigint
        ) as txn_count_{{ window }},
        cast(purchase_count as bigint) as purchase_count_1m,
        cast(
            case when is_window_complete then purchase_count_window end
            as bigint
        ) as purchase_count_{{ window }},
        cast(spend as decimal(18, 2)) as spend_1m,
        cast(
            case when is_window_complete then spend_window end
            as decimal(18, 2)
        ) as spend_{{ window }},
        cast(inflow as decimal(18, 2)) as inflow_1m,
        cast(
            case when is_window_complete then inflow_window end
            as decimal(18, 2)
        ) as inflow_{{ window }},
        cast(outflow as decimal(18, 2)) as outflow_1m,
        cast(
            case when is_window_complete then outflow_window end
            as decimal(18, 2)
        ) as outflow_{{ window }},
        case when has_channel_input then digital_share end
            as digital_share_1m,
        case
            when has_channel_input and is_window_complete
                then digital_share_window
        end as digital_share_{{ window }},
        cast(
            case when has_salary_input then salary_inflow end
            as decimal(18, 2)
        ) as salary_inflow_1m,
        cast(
            case
                when has_salary_input and is_window_complete
                    then salary_inflow_window
            end as decimal(18, 2)
        ) as salary_inflow_{{ window }},
        cast(
            case
                when has_salary_input and is_window_complete
                    then salary_months_window
            end as bigint
        ) as salary_months_{{ window }},
        cast(
            case when has_fee_input then fees_paid end as decimal(18, 2)
        ) as fees_paid_1m,
        cast(
            case
                when has_fee_input and is_window_complete
                    then fees_paid_window
            end as decimal(18, 2)
        ) as fees_paid_{{ window }},
        cast(
            case when has_accounts_input then accounts_open_count end
            as bigint
        ) as accounts_open_count,
        cast(
            case
                when has_accounts_input
                    then
                        {%- for product in var('account_products') %}
                            holds_{{ product }}
                            {%- if not loop.last %} +{% endif %}
                        {%- endfor %}
            end as bigint
        ) as products_open_count,
        {%- for product in var('account_products') %}
            case
                when has_accounts_input then holds_{{ product }} = 1
            end as has_{{ product }},
        {%- endfor %}
        cast(deposit_balance as decimal(18, 2)) as deposit_balance,
        cast(
            case when is_window_complete then deposit_balance_mean_window end
            as decimal(18, 2)
        ) as deposit_balance_mean_{{ window }},
        cast(
            deposit_balance_change_window as decimal(18, 2)
        ) as deposit_balance_change_{{ window }},
        cast(investment_balance as decimal(18, 2)) as investment_balance,
        cast(loan_balance as decimal(18, 2)) as loan_balance,
        case
            when has_card_limits_input then card_utilisation
        end as card_utilisation,
        cast(
            case when has_days_past_due_input then days_past_due end
            as integer
        ) as days_past_due,
        cast(
            case
                when has_days_past_due_input and is_window_complete
                    then days_past_due_window
            end as integer
        ) as days_past_due_max_{{ window }}
    from features_computed
)

select * from snapshot
