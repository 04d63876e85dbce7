{#- Fails with every row where the boolean SQL expression is not true (false
    or null). Used for invariants: 0 <= recency_days, shares that sum to 1. -#}
{% test expression_is_true(model, expression, column_name=none) %}

    select *
    from {{ model }}
    where not coalesce(
        {%- if column_name %} {{ column_name }} {% endif %}{{ expression }},
        false
    )

{% endtest %}
