{#- One row per account and month end of int_month_ends during which the
    account was open for at least a day (opened on or before the month end,
    not closed before the month started; a null opened_date means open since
    before the data, a null closed_date still open). balance and
    days_past_due are the raw.balances row of that month end (null without
    one). closing_balance is that balance, or 0 for an account closed by
    the month end that has no row. opening_balance is the balance at the
    previous month end; without that row it is 0 for an account opened
    during the month and the closing balance otherwise (unknown history is
    taken as flat). Balances are signed as delivered: debts are negative. -#}
with

accounts as (
    select * from {{ ref('stg_raw__accounts') }}
),

balances as (
    select * from {{ ref('stg_raw__balances') }}
),

month_ends as (
    select * from {{ ref('int_month_ends') }}
),

account_months as (
    select
        accounts.account_id,
        accounts.customer_id,
        accounts.product,
        accounts.opened_date,
        accounts.closed_date,
        accounts.credit_limit,
        accounts.interest_rate,
        month_ends.month_start_date,
        month_ends.month_end_date,
        month_ends.previous_month_end_date,
        coalesce(
            accounts.closed_date > month_ends.month_end_date, true
        ) as is_open_at_month_end,
        coalesce(
            accounts.opened_date > month_ends.previous_month_end_date, false
        ) as is_opened_in_month
    from accounts
    inner join month_ends
        on
            coalesce(accounts.opened_date <= month_ends.month_end_date, true)
            and coalesce(
                accounts.closed_date >= month_ends.month_start_date, true
            )
),

balances_joined as (
    select
        account_months.*,
        closing.balance,
        closing.days_past_due,
        previous.balance as previous_balance
    from account_months
    left join balances as closing
        on
            account_months.account_id = closing.account_id
            and account_months.month_end_date = closing.month_end_date
    left join balances as previous
        on
            account_months.account_id = previous.account_id
            and account_months.previous_month_end_date
            = previous.month_end_date
),

closing_resolved as (
    select
        *,
        coalesce(
            balance, case when not is_open_at_month_end then 0.00 end
        ) as closing_balance
    from balances_joined
),

opening_resolved as (
    select
        account_id,
        customer_id,
        product,
        month_start_date,
        month_end_date,
        opened_date,
        closed_date,
        is_open_at_month_end,
        is_opened_in_month,
        credit_limit,
        interest_rate,
        balance,
        days_past_due,
        cast(
            case
                when previous_balance is not null then previous_balance
                when is_opened_in_month then 0.00
                else closing_balance
            end as decimal(18, 2)
        ) as opening_balance,
        cast(closing_balance as decimal(18, 2)) as closing_balance
    from closing_resolved
)

select * from opening_resolved
