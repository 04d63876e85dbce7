{#- One row per segment and numeric feature of fct_customer_features: the
    segment's mean against the base (every customer with activity, i.e.
    segments 1..k). Aggregates in one pass over the customers, then turns the
    few aggregated rows into one row per feature. The feature list is read
    from the mart's columns when the model runs. -#}
{%- set features = [] -%}
{%- if execute -%}
    {%- set columns = adapter.get_columns_in_relation(
        ref('fct_customer_features')
    ) -%}
    {%- for column in columns -%}
        {%- if column.name | lower != 'customer_id'
            and (column.is_number() or column.is_numeric()
                 or column.dtype | lower == 'boolean') -%}
            {%- do features.append(column.name) -%}
        {%- endif -%}
    {%- endfor -%}
{%- endif -%}

with

customer_features as (
    select * from {{ ref('fct_customer_features') }}
),

customer_segments as (
    select * from {{ ref('fct_customer_segments') }}
),

preprocessing as (
    select * from {{ ref('fct_segment_preprocessing') }}
),

segmented_features as (
    select
        customer_segments.segment_id,
        {%- for feature in features %}
            cast(customer_features.{{ feature }} as double) as {{ feature }},
        {%- endfor %}
        customer_segments.segment_name
    from customer_segments
    inner join customer_features
        on customer_segments.customer_id = customer_features.customer_id
),

means_per_segment as (
    select
        segment_id,
        segment_name,
        {%- for feature in features %}
            avg({{ feature }}) as mean__{{ feature }},
        {%- endfor %}
        count(*) as customers
    from segmented_features
    group by segment_id, segment_name
),

base as (
    select
        count(*) as customers,
        {%- for feature in features %}
            avg({{ feature }}) as mean__{{ feature }},
            stddev_samp({{ feature }}) as std__{{ feature }},
        {%- endfor %}
        count(distinct segment_id) as segments
    from segmented_features
    where segment_id <> 0
),

profiles as (
    {%- if features %}
        {%- for feature in features %}
            select
                means_per_segment.segment_id,
                means_per_segment.segment_name,
                '{{ feature }}' as feature,
                means_per_segment.mean__{{ feature }} as segment_mean,
                base.mean__{{ feature }} as base_mean,
                base.std__{{ feature }} as base_std
            from means_per_segment
            cross join base
            {%- if not loop.last %}
                union all
            {%- endif %}
        {%- endfor %}
    {%- else %}
        {#- No numeric feature: no rows, same columns. #}
        select
            means_per_segment.segment_id,
            means_per_segment.segment_name,
            cast(null as varchar) as feature,
            cast(null as double) as segment_mean,
            cast(null as double) as base_mean,
            cast(null as double) as base_std
        from means_per_segment
        cross join base
        where false
    {%- endif %}
),

profiles_scored as (
    select
        profiles.segment_id,
        profiles.segment_name,
        profiles.feature,
        profiles.segment_mean,
        profiles.base_mean,
        profiles.base_std,
        (profiles.segment_mean - profiles.base_mean)
        / nullif(profiles.base_std, 0) as z_score,
        coalesce(preprocessing.is_used, false) as is_model_feature
    from profiles
    left join preprocessing
        on profiles.feature = preprocessing.feature
)

select * from profiles_scored
