{#- Use the configured schema name as it is (staging, marts, ...) rather than
    dbt's default "<target schema>_<custom schema>", so that the public marts
    have stable names: marts.fct_customer_rfm. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
