{#- The date the var as_of_date sets, as a SQL date literal, or a null date
    when the var is null (then int_as_of_date falls back to the last booked
    date). Fails at compile time, naming the value, unless it is YYYY-MM-DD.
    Models read "now" from int_as_of_date, never from this macro directly. -#}
{% macro as_of_date_literal() %}
    {%- set value = var('as_of_date', none) -%}
    {%- if value is none or (value | string | lower) in ('', 'null', 'none') -%}
        cast(null as date)
    {%- else -%}
        {%- set text = value | string -%}
        {%- if not modules.re.match('^[0-9]{4}-[0-9]{2}-[0-9]{2}$', text) -%}
            {{ exceptions.raise_compiler_error(
                "var as_of_date must be a date as YYYY-MM-DD or null, got '"
                ~ text ~ "'"
            ) }}
        {%- endif -%}
        cast('{{ text }}' as date)
    {%- endif -%}
{% endmacro %}
