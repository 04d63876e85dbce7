{#- Fails with one row when the model does not have exactly `rows` rows. -#}
{% test expected_row_count(model, rows) %}

    with

    model_rows as (
        select count(*) as row_count
        from {{ model }}
    )

    select row_count
    from model_rows
    where row_count <> {{ rows }}

{% endtest %}
