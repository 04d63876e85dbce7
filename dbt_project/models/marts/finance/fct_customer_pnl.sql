{#- Customer P&L per customer and month end (the panel of
    fct_customer_monthly). Annual rates accrue monthly as rate / 12. Every
    rate is a var (dbt_project.yml, pnl_*); the model is explained in
    _finance__models.yml. Amounts are computed per account (interchange
    and the credit loss per customer and month) and held as
    decimal(18, 6); their sums are exact, so no thread order changes a
    cent. Each component is rounded to cents once; revenue, cost_to_serve
    and contribution add the rounded components, so the parts add up to
    the cent. A component the input cannot support at that month end is
    null and counts as 0 in the totals. -#}
{%- set ftp = var('pnl_funds_transfer_rate') -%}
{%- set deposit_products = sql_string_list(var('deposit_products')) -%}
{%- set credit_products = sql_string_list(var('credit_products')) -%}
{%- set fallbacks = var('pnl_interest_rate_fallbacks') -%}
{%- set lgd = var('pnl_lgd_by_product') -%}
{%- set lgd_products = sql_string_list(lgd.keys() | list) -%}
{%- set ccf = var('pnl_credit_conversion_factor') -%}
{%- set score_reference = var('pnl_pd_score_reference') -%}

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

account_month_ends as (
    select * from {{ ref('int_account_month_ends') }}
),

transactions_monthly as (
    select * from {{ ref('int_transactions_monthly') }}
),

accounts as (
    select * from {{ ref('stg_raw__accounts') }}
),

{# Card repayments: money into the account in the month, refunds aside. #}
repayments_per_account_month as (
    select
        account_id,
        month_end_date,
        sum(inflow_amount) - sum(refund_amount) as repayment_amount
    from transactions_monthly
    where account_id is not null
    group by account_id, month_end_date
),

balances_split as (
    select
        account_month_ends.customer_id,
        account_month_ends.account_id,
        account_month_ends.month_end_date,
        account_month_ends.product,
        account_month_ends.is_open_at_month_end,
        account_month_ends.credit_limit,
        account_month_ends.days_past_due,
        account_month_ends.product in ({{ deposit_products }})
            as is_deposit_product,
        account_month_ends.product in ({{ credit_products }})
            as is_credit_product,
        coalesce(
            account_month_ends.interest_rate,
            case account_month_ends.product
                {%- for product, rate in fallbacks.items() %}
                    when '{{ product }}' then {{ rate }}
                {%- endfor %}
            end
        ) as customer_rate,
        cast(
            (
                greatest(account_month_ends.opening_balance, 0)
                + greatest(account_month_ends.closing_balance, 0)
            ) / 2 as decimal(18, 6)
        ) as average_credit_balance,
        cast(
            (
                greatest(-account_month_ends.opening_balance, 0)
                + greatest(-account_month_ends.closing_balance, 0)
            ) / 2 as decimal(18, 6)
        ) as average_drawn_balance,
        greatest(-account_month_ends.closing_balance, 0)
            as closing_drawn_balance,
        {# A card charges interest only on last month's balance that the
            month's repayments left unpaid (transactors pay none). #}
        case
            when account_month_ends.product = 'credit_card'
                then
                    greatest(
                        greatest(-account_month_ends.opening_balance, 0)
                        - coalesce(
                            repayments_per_account_month.repayment_amount, 0
                        ),
                        0
                    )
        end as revolving_balance
    from account_month_ends
    left join repayments_per_account_month
        on
            account_month_ends.account_id
            = repayments_per_account_month.account_id
            and account_month_ends.month_end_date
            = repayments_per_account_month.month_end_date
),

{# Deposit side: a credit balance earns the funds-transfer rate and costs
    the customer rate (0 on a credit product). Loan side: a debit balance
    costs the funds-transfer rate and earns the customer rate (the
    overdraft rate on a deposit product). Other products (investments) are
    off the balance sheet. #}
account_lines as (
    select
        customer_id,
        month_end_date,
        product,
        days_past_due,
        case
            when is_deposit_product or is_credit_product
                then average_credit_balance
        end as average_credit_balance,
        case
            when is_deposit_product or is_credit_product
                then average_drawn_balance
        end as average_drawn_balance,
        cast(
            case
                when is_deposit_product
                    then
                        average_credit_balance
                        * ({{ ftp }} - customer_rate) / 12
                when is_credit_product
                    then average_credit_balance * {{ ftp }} / 12
            end as decimal(18, 6)
        ) as nii_deposit_line,
        cast(
            case
                when is_deposit_product
                    then
                        average_drawn_balance
                        * ({{ var('pnl_overdraft_rate') }} - {{ ftp }}) / 12
                when is_credit_product
                    then
                        (
                            coalesce(revolving_balance, average_drawn_balance)
                            * customer_rate
                            - average_drawn_balance * {{ ftp }}
                        ) / 12
            end as decimal(18, 6)
        ) as nii_loan_line,
        {# Exposure: drawn + CCF x the unused limit of an open line. #}
        cast(
            case
                when product in ({{ lgd_products }})
                    then
                        cast(closing_drawn_balance as double)
                        + case
                            when is_open_at_month_end and credit_limit > 0
                                then
                                    {{ ccf }} * greatest(
                                        cast(credit_limit as double)
                                        - closing_drawn_balance,
                                        0
                                    )
                            else 0
                        end
            end as decimal(18, 6)
        ) as exposure_at_default,
        case product
            {%- for product, value in lgd.items() %}
                when '{{ product }}' then {{ value }}
            {%- endfor %}
        end as loss_given_default
    from balances_split
),

loss_at_default_added as (
    select
        *,
        cast(
            cast(exposure_at_default as double) * loss_given_default
            as decimal(18, 6)
        ) as loss_at_default
    from account_lines
),

{# Sums of decimal(18, 6) lines are exact, so no thread order changes a
    cent; the two-step cast to cents avoids DuckDB's slow rescale of
    128-bit decimals. #}
accounts_per_customer_month as (
    select
        customer_id,
        month_end_date,
        cast(count(*) as bigint) as accounts_serviced,
        cast(sum(average_credit_balance) as decimal(18, 6))
            as deposit_balance_average,
        cast(sum(average_drawn_balance) as decimal(18, 6))
            as loan_balance_average,
        cast(sum(nii_deposit_line) as decimal(18, 6)) as nii_deposits,
        cast(sum(nii_loan_line) as decimal(18, 6)) as nii_loans,
        cast(sum(exposure_at_default) as decimal(18, 6))
            as exposure_at_default,
        cast(sum(loss_at_default) as decimal(18, 6)) as loss_at_default,
        max(days_past_due) as days_past_due
    from loss_at_default_added
    group by customer_id, month_end_date
),

{# Interchange: net spend on a credit_card account earns the credit rate,
    all other net spend (debit cards, no account) the debit rate. #}
activity_per_customer_month as (
    select
        transactions_monthly.customer_id,
        transactions_monthly.month_end_date,
        cast(sum(transactions_monthly.channel_cost) as decimal(18, 6))
            as channel_cost,
        sum(transactions_monthly.fee_amount) as fee_income,
        sum(
            case
                when accounts.product = 'credit_card'
                    then
                        transactions_monthly.purchase_amount
                        - transactions_monthly.refund_amount
                else 0
            end
        ) as credit_card_spend,
        sum(
            case
                when accounts.product = 'credit_card' then 0
                else
                    transactions_monthly.purchase_amount
                    - transactions_monthly.refund_amount
            end
        ) as debit_card_spend
    from transactions_monthly
    left join accounts
        on transactions_monthly.account_id = accounts.account_id
    group by
        transactions_monthly.customer_id,
        transactions_monthly.month_end_date
),

activity_priced as (
    select
        customer_id,
        month_end_date,
        channel_cost,
        cast(fee_income as decimal(18, 2)) as fee_income,
        cast(
            cast(credit_card_spend as double)
            * {{ var('pnl_interchange_rate_credit') }}
            + cast(debit_card_spend as double)
            * {{ var('pnl_interchange_rate_debit') }}
            as decimal(18, 6)
        ) as interchange_income
    from activity_per_customer_month
),

customer_months_joined as (
    select
        customer_months.customer_id,
        customer_months.month_end_date,
        customers.credit_score,
        month_ends.has_balances_input,
        month_ends.has_fee_input,
        month_ends.has_channel_input,
        month_ends.has_accounts_input,
        coalesce(holdings.accounts_serviced, 0) as accounts_serviced,
        coalesce(holdings.deposit_balance_average, 0)
            as deposit_balance_average,
        coalesce(holdings.loan_balance_average, 0) as loan_balance_average,
        coalesce(holdings.nii_deposits, 0) as nii_deposits,
        coalesce(holdings.nii_loans, 0) as nii_loans,
        coalesce(holdings.exposure_at_default, 0) as exposure_at_default,
        coalesce(holdings.loss_at_default, 0) as loss_at_default,
        coalesce(holdings.days_past_due, 0) as days_past_due,
        coalesce(activity.fee_income, 0) as fee_income,
        coalesce(activity.interchange_income, 0) as interchange_income,
        coalesce(activity.channel_cost, 0) as channel_cost
    from customer_months
    inner join customers
        on customer_months.customer_id = customers.customer_id
    inner join month_ends
        on customer_months.month_end_date = month_ends.month_end_date
    left join accounts_per_customer_month as holdings
        on
            customer_months.customer_id = holdings.customer_id
            and customer_months.month_end_date = holdings.month_end_date
    left join activity_priced as activity
        on
            customer_months.customer_id = activity.customer_id
            and customer_months.month_end_date = activity.month_end_date
),

{# 12-month probability of default: logistic in the credit score and the
    worst days past due of the customer's accounts at the month end; 1 from
    pnl_default_days_past_due on. Only where there is credit exposure. #}
default_probability_added as (
    select
        *,
        case
            when not has_balances_input or exposure_at_default <= 0 then null
            when days_past_due >= {{ var('pnl_default_days_past_due') }}
                then 1.0
            else
                1.0 / (
                    1.0 + exp(
                        -(
                            {{ var('pnl_pd_intercept') }}
                            + {{ var('pnl_pd_score_coefficient') }}
                            * (
                                coalesce(credit_score, {{ score_reference }})
                                - {{ score_reference }}
                            ) / 100.0
                            + {{ var('pnl_pd_dpd_coefficient') }}
                            * days_past_due / 30.0
                        )
                    )
                )
        end as probability_of_default_12m
    from customer_months_joined
),

components_rounded as (
    select
        customer_id,
        month_end_date,
        cast(
            case when has_balances_input then deposit_balance_average end
            as decimal(18, 2)
        ) as deposit_balance_average,
        cast(
            case when has_balances_input then loan_balance_average end
            as decimal(18, 2)
        ) as loan_balance_average,
        cast(
            case when has_balances_input then nii_deposits end
            as decimal(18, 2)
        ) as nii_deposits,
        cast(
            case when has_balances_input then nii_loans end as decimal(18, 2)
        ) as nii_loans,
        cast(
            case when has_fee_input then fee_income end as decimal(18, 2)
        ) as fee_income,
        cast(interchange_income as decimal(18, 2)) as interchange_income,
        cast(
            case when has_channel_input then channel_cost end
            as decimal(18, 2)
        ) as channel_cost,
        cast(
            case
                when has_accounts_input
                    then
                        accounts_serviced
                        * {{ var('pnl_cost_per_account_month') }}
            end as decimal(18, 2)
        ) as account_cost,
        cast(
            case when has_balances_input then exposure_at_default end
            as decimal(18, 2)
        ) as exposure_at_default,
        cast(probability_of_default_12m as double)
            as probability_of_default_12m,
        cast(
            case
                when has_balances_input
                    then
                        coalesce(probability_of_default_12m, 0)
                        * loss_at_default / 12
            end as decimal(18, 2)
        ) as expected_credit_loss
    from default_probability_added
),

totals_added as (
    select
        customer_id,
        month_end_date,
        deposit_balance_average,
        loan_balance_average,
        nii_deposits,
        nii_loans,
        fee_income,
        interchange_income,
        cast(
            coalesce(nii_deposits, 0)
            + coalesce(nii_loans, 0)
            + coalesce(fee_income, 0)
            + interchange_income
            as decimal(18, 2)
        ) as revenue,
        channel_cost,
        account_cost,
        cast(
            coalesce(channel_cost, 0) + coalesce(account_cost, 0)
            as decimal(18, 2)
        ) as cost_to_serve,
        exposure_at_default,
        probability_of_default_12m,
        expected_credit_loss
    from components_rounded
),

contribution_added as (
    select
        *,
        cast(
            revenue - cost_to_serve - coalesce(expected_credit_loss, 0)
            as decimal(18, 2)
        ) as contribution
    from totals_added
)

select * from contribution_added
