{#- A SQL expression that aborts the query with message (a SQL string
    expression) when it is evaluated; put it in a CASE branch so that only
    the offending rows evaluate it. Its type is null, so the CASE keeps the
    type of its other branch. -#}
{% macro raise_error(message) %}
    {{ return(adapter.dispatch('raise_error', 'finseg')(message)) }}
{% endmacro %}

{% macro default__raise_error(message) %}
    error({{ message }})
{% endmacro %}

{% macro spark__raise_error(message) %}
    raise_error({{ message }})
{% endmacro %}
