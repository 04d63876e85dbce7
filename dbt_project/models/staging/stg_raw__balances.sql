with

balances as (
    select * from {{ source('raw', 'balances') }}
),

renamed as (
    select
        account_id,
        cast(month_end_date as date) as month_end_date,
        cast(balance as decimal(18, 2)) as balance,
        cast(days_past_due as integer) as days_past_due
    from balances
)

select * from renamed
