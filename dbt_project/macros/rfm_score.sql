{#- The one RFM score rule: 1 + floor(5 * percent_rank), capped at 5, over
    the rows in scope (customers with purchases). percent_rank depends only on
    the values, so equal values always get equal scores and the row order of
    the input changes nothing. higher_is_better=false reverses the order, so
    that the smallest recency_days (the most recent buyer) scores 5. -#}
{% macro rfm_score(column, higher_is_better=true) %}
    cast(
        least(
            5,
            1 + floor(
                5 * percent_rank() over (
                    order by {{ column }}
                    {%- if not higher_is_better %} desc{% endif %}
                )
            )
        ) as integer
    )
{% endmacro %}
