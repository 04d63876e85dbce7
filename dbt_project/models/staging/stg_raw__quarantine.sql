with

quarantine as (
    select * from {{ source('raw', 'quarantine') }}
),

renamed as (
    select
        load_id,
        source_file,
        cast(source_row as bigint) as source_row,
        target_table,
        reason,
        record
    from quarantine
)

select * from renamed
