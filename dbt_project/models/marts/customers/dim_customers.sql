{#- One pass over every raw transaction row (int_transactions_validated):
    a customer seen in any row belongs to the dimension; only the usable
    rows (no rejection reason) count as activity. -#}
with

customers as (
    select * from {{ ref('stg_raw__customers') }}
),

transactions as (
    select * from {{ ref('int_transactions_validated') }}
),

activity_per_customer as (
    select
        customer_id,
        min(
            case when rejection_reason is null then booked_date end
        ) as first_booked_date,
        max(
            case when rejection_reason is null then booked_date end
        ) as last_booked_date,
        count(
            case when rejection_reason is null then 1 end
        ) as transactions_count
    from transactions
    where customer_id is not null
    group by customer_id
),

customer_ids_unioned as (
    select customer_id
    from customers
    where customer_id is not null
    union
    select customer_id
    from activity_per_customer
),

customers_joined as (
    select
        customer_ids_unioned.customer_id,
        customers.birth_year,
        customers.gender,
        customers.region,
        customers.income_annual,
        customers.occupation,
        customers.joined_date,
        customers.credit_score,
        activity_per_customer.first_booked_date,
        activity_per_customer.last_booked_date,
        cast(
            coalesce(activity_per_customer.transactions_count, 0) as bigint
        ) as transactions_count,
        coalesce(
            activity_per_customer.transactions_count > 0, false
        ) as has_activity,
        customers.customer_id is not null as has_customer_record
    from customer_ids_unioned
    left join customers
        on customer_ids_unioned.customer_id = customers.customer_id
    left join activity_per_customer
        on customer_ids_unioned.customer_id = activity_per_customer.customer_id
)

select * from customers_joined
