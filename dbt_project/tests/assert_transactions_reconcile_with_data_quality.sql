{#- Every raw transaction row is either used by the marts or listed in
    fct_data_quality, exactly once: raw = classified + rejected. -#}
with

transactions as (
    select * from {{ ref('stg_raw__transactions') }}
),

transactions_classified as (
    select * from {{ ref('int_transactions_classified') }}
),

data_quality as (
    select * from {{ ref('fct_data_quality') }}
),

counts as (
    select
        (select count(*) from transactions) as rows_in_raw,
        (select count(*) from transactions_classified) as rows_used,
        (select count(*) from data_quality) as rows_rejected
)

select *
from counts
where rows_in_raw <> rows_used + rows_rejected
