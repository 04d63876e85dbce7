-- export_status: one row per public mart, from the manifest.json that
-- `finseg build` writes last: exported (with its row count) or not built yet.
with manifest as (
    select cast(content as json) as manifest
    from read_text('${finseg_exports}/manifest.json')
),

exported_marts as (
    select
        manifest,
        unnest(json_keys(manifest -> 'marts')) as mart,
    from manifest
),

exported as (
    select
        mart,
        'exported' as status,
        cast(manifest -> 'marts' -> mart ->> 'rows' as bigint) as row_count,
        manifest ->> 'run_id' as run_id,
        cast(manifest ->> 'as_of_date' as date) as as_of_date,
    from exported_marts
),

missing as (
    select
        unnest(
            cast(manifest -> 'missing_marts' as varchar[])
        ) as mart,
        'not built yet' as status,
        cast(null as bigint) as row_count,
        manifest ->> 'run_id' as run_id,
        cast(manifest ->> 'as_of_date' as date) as as_of_date,
    from manifest
),

export_status as (
    select * from exported
    union all
    select * from missing
)

select * from export_status
