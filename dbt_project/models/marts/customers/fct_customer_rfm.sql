{#- Two-level aggregation (customer x day, then customer) instead of
    count(distinct): DuckDB materializes the whole input for a distinct
    aggregate, which at 100M transactions costs more than the marts. -#}
with

{# Read twice (purchase days, orders with an order_id): inlined. #}
transactions as {{ not_materialized() }} (
    select * from {{ ref('int_transactions_classified') }}
),

customers as (
    select * from {{ ref('dim_customers') }}
),

as_of_date as (
    select * from {{ ref('int_as_of_date') }}
),

segment_map as (
    select * from {{ ref('rfm_segment_map') }}
),

{# A purchase occasion is a customer's day with at least one purchase. #}
purchases_per_day as (
    select
        customer_id,
        booked_date,
        sum(case when is_purchase then 1 else 0 end) as purchase_lines,
        sum(
            case when is_purchase and order_id is null then 1 else 0 end
        ) as lines_without_order,
        sum(purchase_amount) as purchase_amount,
        sum(refund_amount) as refund_amount
    from transactions
    where is_purchase or is_refund
    group by customer_id, booked_date
),

purchases_per_customer as (
    select
        customer_id,
        min(
            case when purchase_lines > 0 then booked_date end
        ) as first_purchase_date,
        max(
            case when purchase_lines > 0 then booked_date end
        ) as last_purchase_date,
        count(case when purchase_lines > 0 then 1 end) as frequency,
        sum(lines_without_order) as lines_without_order,
        sum(purchase_amount) - sum(refund_amount) as monetary
    from purchases_per_day
    group by customer_id
),

{# An order is an order_id, or a purchase line without one. Bank data has
    no order_id, so this second read skips every row group. #}
orders_with_id as (
    select
        customer_id,
        order_id
    from transactions
    where is_purchase and order_id is not null
    group by customer_id, order_id
),

orders_with_id_per_customer as (
    select
        customer_id,
        count(*) as orders_with_id
    from orders_with_id
    group by customer_id
),

rfm_values as (
    select
        customers.customer_id,
        purchases_per_customer.first_purchase_date,
        purchases_per_customer.last_purchase_date,
        cast(
            {{ dbt.datediff('purchases_per_customer.last_purchase_date',
                            'as_of_date.as_of_date', 'day') }}
            as integer
        ) as recency_days,
        cast(
            {{ dbt.datediff('purchases_per_customer.first_purchase_date',
                            'as_of_date.as_of_date', 'day') }}
            as integer
        ) as customer_age_days,
        cast(
            coalesce(purchases_per_customer.frequency, 0) as bigint
        ) as frequency,
        cast(
            coalesce(purchases_per_customer.lines_without_order, 0)
            + coalesce(orders_with_id_per_customer.orders_with_id, 0)
            as bigint
        ) as orders_count,
        cast(
            coalesce(purchases_per_customer.monetary, 0) as decimal(18, 2)
        ) as monetary
    from customers
    left join purchases_per_customer
        on customers.customer_id = purchases_per_customer.customer_id
    left join orders_with_id_per_customer
        on customers.customer_id = orders_with_id_per_customer.customer_id
    cross join as_of_date
),

{# Scores rank only the customers with purchases; the rest stay null. #}
rfm_scored as (
    select
        customer_id,
        {{ rfm_score('recency_days', higher_is_better=false) }} as r_score,
        {{ rfm_score('frequency') }} as f_score,
        {{ rfm_score('monetary') }} as m_score
    from rfm_values
    where frequency > 0
),

segments_named as (
    select
        rfm_values.customer_id,
        rfm_values.first_purchase_date,
        rfm_values.last_purchase_date,
        rfm_values.recency_days,
        rfm_values.customer_age_days,
        rfm_values.frequency,
        rfm_values.orders_count,
        rfm_values.monetary,
        rfm_scored.r_score,
        rfm_scored.f_score,
        rfm_scored.m_score,
        cast(
            100 * rfm_scored.r_score
            + 10 * rfm_scored.f_score
            + rfm_scored.m_score
            as {{ dbt.type_string() }}
        ) as rfm_score,
        case
            when rfm_values.frequency = 0 then 'No purchases'
            else segment_map.rfm_segment
        end as rfm_segment
    from rfm_values
    left join rfm_scored
        on rfm_values.customer_id = rfm_scored.customer_id
    left join segment_map
        on
            rfm_scored.r_score = segment_map.r_score
            and rfm_scored.f_score = segment_map.f_score
)

select * from segments_named
