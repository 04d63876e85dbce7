{#- The calendar of the monthly marts: one row per month end from the first
    month with a usable transaction to the last month end on or before
    as_of_date (int_as_of_date.last_month_end_date), with what the input
    supports at each month end. A has_*_input flag turns true at the first
    month end on or after the first row of its kind (point in time: rows
    booked later never change an earlier month). Empty while there is no
    usable transaction. Month offsets come from a 10 x 10 x 10 cross join
    (up to 1,000 months) so that no adapter-specific series function is
    needed. -#}
with

transactions_monthly as (
    select * from {{ ref('int_transactions_monthly') }}
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

digits as (
    {%- for digit in range(10) %}
        select {{ digit }} as digit
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

month_offsets as (
    select ones.digit + 10 * tens.digit + 100 * hundreds.digit as month_offset
    from digits as ones
    cross join digits as tens
    cross join digits as hundreds
),

data_span as (
    select
        min(transactions_monthly.month_start_date) as first_month_start_date,
        max(as_of_date.last_month_end_date) as last_month_end_date
    from transactions_monthly
    cross join as_of_date
),

months_spanned as (
    select
        month_offsets.month_offset + 1 as month_number,
        cast(
            {{ dbt.dateadd('month', 'month_offsets.month_offset',
                           'data_span.first_month_start_date') }}
            as date
        ) as month_start_date,
        data_span.last_month_end_date
    from month_offsets
    cross join data_span
),

calendar as (
    select
        cast(month_number as integer) as month_number,
        month_start_date,
        {{ dbt.last_day('month_start_date', 'month') }} as month_end_date,
        cast(
            {{ dbt.dateadd('day', -1, 'month_start_date') }} as date
        ) as previous_month_end_date
    from months_spanned
    where month_start_date <= last_month_end_date
),

{# The first month end at which each kind of input appears. #}
transaction_inputs as (
    select
        min(
            case when channel_known_count > 0 then month_end_date end
        ) as first_channel_date,
        min(case when salary_amount > 0 then month_end_date end)
            as first_salary_date,
        min(case when fee_amount > 0 then month_end_date end)
            as first_fee_date
    from transactions_monthly
),

balance_inputs as (
    select
        min(balances.month_end_date) as first_balance_date,
        min(
            case
                when balances.days_past_due is not null
                    then balances.month_end_date
            end
        ) as first_days_past_due_date,
        min(
            case
                when
                    accounts.product = 'credit_card'
                    and accounts.credit_limit > 0
                    then balances.month_end_date
            end
        ) as first_card_limit_date
    from balances
    left join accounts
        on balances.account_id = accounts.account_id
),

{# raw.accounts is a list of accounts, not booked rows: when it has any,
    zero products held is a fact at every month end. #}
account_inputs as (
    select count(*) > 0 as has_accounts_input
    from accounts
),

coverage_added as (
    select
        calendar.month_number,
        calendar.month_start_date,
        calendar.month_end_date,
        calendar.previous_month_end_date,
        account_inputs.has_accounts_input,
        coalesce(
            transaction_inputs.first_channel_date <= calendar.month_end_date,
            false
        ) as has_channel_input,
        coalesce(
            transaction_inputs.first_salary_date <= calendar.month_end_date,
            false
        ) as has_salary_input,
        coalesce(
            transaction_inputs.first_fee_date <= calendar.month_end_date,
            false
        ) as has_fee_input,
        coalesce(
            balance_inputs.first_balance_date <= calendar.month_end_date,
            false
        ) as has_balances_input,
        coalesce(
            balance_inputs.first_days_past_due_date
            <= calendar.month_end_date,
            false
        ) as has_days_past_due_input,
        coalesce(
            balance_inputs.first_card_limit_date <= calendar.month_end_date,
            false
        ) as has_card_limits_input
    from calendar
    cross join transaction_inputs
    cross join balance_inputs
    cross join account_inputs
)

select * from coverage_added
