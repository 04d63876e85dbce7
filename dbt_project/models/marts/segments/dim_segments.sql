{#- One row per segment of the fitted segmentation, segment 0 (customers
    without activity) included even when it is empty: its size, its share of
    all customers and what stands out in it. -#}

with

definitions as (
    select * from {{ ref('fct_segment_definitions') }}
),

customer_segments as (
    select * from {{ ref('fct_customer_segments') }}
),

customers_per_segment as (
    select
        segment_id,
        count(*) as customers,
        avg(membership_strength) as membership_strength_mean
    from customer_segments
    group by segment_id
),

all_customers as (
    select count(*) as customers
    from customer_segments
),

segments as (
    select
        definitions.segment_id,
        definitions.segment_name,
        definitions.description,
        definitions.algorithm,
        customers_per_segment.membership_strength_mean,
        coalesce(customers_per_segment.customers, 0) as customers,
        -- share is the public column name of the interface.
        cast(coalesce(customers_per_segment.customers, 0) as double)
        / nullif(all_customers.customers, 0) as share  -- noqa: RF04
    from definitions
    left join customers_per_segment
        on definitions.segment_id = customers_per_segment.segment_id
    cross join all_customers
)

select * from segments
