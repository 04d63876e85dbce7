with

accounts as (
    select * from {{ source('raw', 'accounts') }}
),

renamed as (
    select
        account_id,
        customer_id,
        product,
        cast(opened_date as date) as opened_date,
        cast(closed_date as date) as closed_date,
        cast(credit_limit as decimal(18, 2)) as credit_limit,
        cast(interest_rate as decimal(9, 6)) as interest_rate,
        cast(principal as decimal(18, 2)) as principal
    from accounts
)

select * from renamed
