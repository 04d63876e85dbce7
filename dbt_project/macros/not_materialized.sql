{#- Put between "name as" and "(" of a CTE that a model reads more than
    once: DuckDB then inlines it instead of holding all its rows in memory
    (it materializes a CTE with several readers by default, which at 100M
    transactions costs gigabytes and more time than reading twice).
    Renders nothing on adapters without the hint. -#}
{% macro not_materialized() %}
    {{- return(adapter.dispatch('not_materialized', 'finseg')()) -}}
{% endmacro %}

{% macro default__not_materialized() %}{% endmacro %}

{% macro duckdb__not_materialized() %}not materialized{% endmacro %}

{% macro postgres__not_materialized() %}not materialized{% endmacro %}
