with

customers as (
    select * from {{ source('raw', 'customers') }}
),

renamed as (
    select
        customer_id,
        cast(birth_year as integer) as birth_year,
        gender,
        region,
        cast(income_annual as decimal(18, 2)) as income_annual,
        occupation,
        cast(joined_date as date) as joined_date,
        cast(credit_score as integer) as credit_score
    from customers
)

select * from renamed
