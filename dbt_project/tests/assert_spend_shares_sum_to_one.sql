{#- The spend_share_<category> features of a customer with purchases in the
    window add up to 1 (to 1e-9); they are all null without purchases. -#}
{%- set window = var('feature_window_days') ~ 'd' -%}

with

features as (
    select * from {{ ref('fct_customer_features') }}
),

shares_summed as (
    select
        customer_id,
        {%- for category in var('purchase_categories') %}
            spend_share_{{ category }}_{{ window }}
            {%- if not loop.last %} +{% endif %}
        {%- endfor %} as share_total
    from features
)

select *
from shares_summed
where share_total is not null and abs(share_total - 1) > 1e-9
