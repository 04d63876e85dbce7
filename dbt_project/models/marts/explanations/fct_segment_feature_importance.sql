{#- SHAP importance of every feature per segment, and over every segment
    (scope 'global'): the mean |SHAP value| of each sampled customer towards
    their own segment. Global means are weighted by sample_weight so that they
    describe the whole base rather than the stratified sample. Beside it, the
    share of the segment's customers (all of them, not the sample) whose top
    reason in fct_customer_explanations is the feature. -#}

with

shap_sample as (
    select * from {{ ref('fct_segment_shap_sample') }}
),

customer_explanations as (
    select * from {{ ref('fct_customer_explanations') }}
),

segments as (
    select * from {{ ref('dim_segments') }}
),

own_segment_values as (
    select
        customer_id,
        segment_id,
        feature,
        shap_value,
        sample_weight
    from shap_sample
    where explained_segment_id = segment_id
),

importance_per_segment as (
    select
        'segment' as scope,
        segment_id,
        feature,
        avg(abs(shap_value)) as mean_abs_shap,
        avg(shap_value) as mean_shap,
        count(*) as sample_customers
    from own_segment_values
    group by segment_id, feature
),

importance_global as (
    select
        'global' as scope,
        cast(null as integer) as segment_id,
        feature,
        sum(sample_weight * abs(shap_value))
        / sum(sample_weight) as mean_abs_shap,
        sum(sample_weight * shap_value) / sum(sample_weight) as mean_shap,
        count(*) as sample_customers
    from own_segment_values
    group by feature
),

importance as (
    select * from importance_per_segment
    union all
    select * from importance_global
),

top_reasons as (
    select
        segment_id,
        feature,
        count(*) as customers
    from customer_explanations
    where rank = 1 and method <> 'rule'
    group by segment_id, feature
),

top_reasons_scoped as (
    select
        'segment' as scope,
        segment_id,
        feature,
        customers,
        sum(customers) over (partition by segment_id) as scope_customers
    from top_reasons
    union all
    select
        'global' as scope,
        cast(null as integer) as segment_id,
        feature,
        sum(customers) as customers,
        sum(sum(customers)) over () as scope_customers
    from top_reasons
    group by feature
),

importance_ranked as (
    select
        importance.scope,
        importance.segment_id,
        importance.feature,
        importance.mean_abs_shap,
        importance.mean_shap,
        importance.sample_customers,
        importance.mean_abs_shap / nullif(
            sum(importance.mean_abs_shap) over (
                partition by importance.scope, importance.segment_id
            ),
            0
        ) as importance_share,
        row_number() over (
            partition by importance.scope, importance.segment_id
            order by importance.mean_abs_shap desc, importance.feature asc
        ) as importance_rank,
        coalesce(
            cast(top_reasons_scoped.customers as double)
            / top_reasons_scoped.scope_customers,
            0
        ) as top_reason_share,
        coalesce(segments.segment_name, 'All segments') as segment_name
    from importance
    left join segments
        on importance.segment_id = segments.segment_id
    left join top_reasons_scoped
        on
            importance.scope = top_reasons_scoped.scope
            and importance.feature = top_reasons_scoped.feature
            and importance.segment_id is not distinct from
            top_reasons_scoped.segment_id
),

importance_named as (
    select
        scope,
        segment_id,
        segment_name,
        feature,
        mean_abs_shap,
        mean_shap,
        importance_share,
        importance_rank,
        sample_customers,
        top_reason_share
    from importance_ranked
)

select * from importance_named
