{#- "Now" for every model: the var as_of_date, or else the last booked date
    in raw.transactions (null while raw.transactions is empty). One row. -#}
with

transactions as (
    select * from {{ ref('stg_raw__transactions') }}
),

last_booked as (
    select max(booked_date) as last_booked_date
    from transactions
),

as_of_date_chosen as (
    select
        coalesce(
            {{ as_of_date_literal() }}, last_booked_date
        ) as as_of_date,
        last_booked_date,
        case
            when {{ as_of_date_literal() }} is null then 'last_booked_date'
            else 'var'
        end as as_of_date_source
    from last_booked
),

{# The last month end on or before as_of_date (as_of_date itself when it is
    a month end): the anchor of every monthly window. #}
month_end_added as (
    select
        as_of_date,
        cast(
            {{ dbt.dateadd(
                'day', -1,
                dbt.date_trunc('month', dbt.dateadd('day', 1, 'as_of_date'))
            ) }}
            as date
        ) as last_month_end_date,
        last_booked_date,
        as_of_date_source
    from as_of_date_chosen
)

select * from month_end_added
