{#- Like dbt's relationships test, but passes while the parent table is empty:
    every raw table except transactions is optional in the raw contract, and a
    missing table must not read as a dangling key. -#}
{% test relationships_if_parent_present(model, column_name, to, field) %}

    with

    child as (
        select {{ column_name }} as child_key
        from {{ model }}
        where {{ column_name }} is not null
    ),

    parent as (
        select {{ field }} as parent_key
        from {{ to }}
    ),

    parent_size as (
        select count(*) as parent_rows
        from parent
    ),

    dangling as (
        select child.child_key
        from child
        left join parent
            on child.child_key = parent.parent_key
        where parent.parent_key is null
    )

    select dangling.child_key
    from dangling
    cross join parent_size
    where parent_size.parent_rows > 0

{% endtest %}
