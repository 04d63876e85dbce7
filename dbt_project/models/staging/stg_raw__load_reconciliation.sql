with

load_reconciliation as (
    select * from {{ source('raw', 'load_reconciliation') }}
),

renamed as (
    select
        load_id,
        source_file,
        target_table,
        cast(rows_read as bigint) as rows_read,
        cast(rows_loaded as bigint) as rows_loaded,
        cast(rows_quarantined as bigint) as rows_quarantined
    from load_reconciliation
)

select * from renamed
