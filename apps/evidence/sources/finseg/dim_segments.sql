-- dim_segments: one row per segment: size, share and description.
select * from read_parquet('${finseg_exports}/dim_segments.parquet')
