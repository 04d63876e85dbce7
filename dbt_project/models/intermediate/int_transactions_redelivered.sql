{#- One row per delivery of a transaction_id that raw.transactions holds
    more than once, numbered 1, 2, ... Identical deliveries are duplicates
    (int_transactions_validated keeps the first); a transaction_id whose
    deliveries disagree in any column fails the build here, with a message
    naming the id and the columns. Cheap at 100M rows: an aggregate on the
    key alone finds the repeated ids, and only their rows are compared. -#}
{%- set columns = [
    'account_id', 'customer_id', 'booked_at', 'amount', 'currency',
    'channel', 'category', 'order_id',
] -%}

with

{# Read twice (ids, then their rows): inlined, not held in memory. #}
transactions as {{ not_materialized() }} (
    select * from {{ ref('stg_raw__transactions') }}
),

deliveries_per_id as (
    select
        transaction_id,
        count(*) as deliveries
    from transactions
    where transaction_id is not null
    group by transaction_id
    having count(*) > 1
),

repeated_rows as (
    select
        transactions.*,
        deliveries_per_id.deliveries
    from transactions
    inner join deliveries_per_id
        on transactions.transaction_id = deliveries_per_id.transaction_id
),

columns_compared as (
    select
        transaction_id,
        concat_ws(
            ', ',
            {%- for column in columns %}
                case
                    when
                        count(distinct {{ column }}) > 1
                        or count({{ column }}) not in (0, count(*))
                        then '{{ column }}'
                end{% if not loop.last %},{% endif %}
            {%- endfor %}
        ) as conflicting_columns
    from repeated_rows
    group by transaction_id
),

{# Deliveries of one id are identical past this point, so which one is
    numbered first does not matter. #}
deliveries_numbered as (
    select
        repeated_rows.*,
        columns_compared.conflicting_columns,
        row_number() over (
            partition by repeated_rows.transaction_id
            order by repeated_rows.booked_at
        ) as delivery_number
    from repeated_rows
    inner join columns_compared
        on repeated_rows.transaction_id = columns_compared.transaction_id
),

conflicts_refused as (
    select
        transaction_id,
        account_id,
        customer_id,
        booked_at,
        currency,
        channel,
        category,
        order_id,
        booked_date,
        amount,
        case
            when conflicting_columns <> ''
                then {{ raise_error(
                    "'transaction_id ' || transaction_id || ' is delivered '"
                    ~ " || cast(deliveries as varchar)"
                    ~ " || ' times with conflicting values in: '"
                    ~ " || conflicting_columns"
                ) }}
            else delivery_number
        end as delivery_number
    from deliveries_numbered
)

select * from conflicts_refused
