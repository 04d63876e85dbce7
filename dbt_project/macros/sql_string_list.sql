{#- A list var as the inside of a SQL "in (...)": ['a', 'b'] -> 'a', 'b'.
    Quotes in values are doubled so that a value cannot end the literal. -#}
{% macro sql_string_list(values) %}
    {%- for value in values -%}
        '{{ value | string | replace("'", "''") }}'
        {%- if not loop.last %}, {% endif -%}
    {%- endfor -%}
{% endmacro %}
