{#- The panel that fct_customer_monthly and fct_customer_pnl share: one row
    per customer of dim_customers and month end of int_month_ends, from the
    customer's start to the last month end, every month (a customer who
    leaves stays in the panel, with zero activity and no open account). The
    start is the earliest of joined_date, the first usable transaction and
    the first account opening; the first month end on or after it is the
    customer's first row (the calendar's first month end when the start lies
    before the data). A customer with none of the three has no rows. -#}
with

customers as (
    select * from {{ ref('dim_customers') }}
),

accounts as (
    select * from {{ ref('stg_raw__accounts') }}
),

month_ends as (
    select * from {{ ref('int_month_ends') }}
),

first_opened_per_customer as (
    select
        customer_id,
        min(opened_date) as first_opened_date
    from accounts
    group by customer_id
),

{# least() skips nulls on DuckDB, Postgres and Spark. #}
customer_starts as (
    select
        customers.customer_id,
        least(
            customers.joined_date,
            customers.first_booked_date,
            first_opened_per_customer.first_opened_date
        ) as customer_start_date
    from customers
    left join first_opened_per_customer
        on customers.customer_id = first_opened_per_customer.customer_id
),

panel as (
    select
        customer_starts.customer_id,
        month_ends.month_end_date,
        month_ends.month_start_date,
        month_ends.month_number,
        customer_starts.customer_start_date
    from customer_starts
    inner join month_ends
        on customer_starts.customer_start_date <= month_ends.month_end_date
)

select * from panel
