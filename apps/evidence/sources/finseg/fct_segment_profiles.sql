-- fct_segment_profiles: one row per segment and feature: segment mean against the base.
select * from read_parquet('${finseg_exports}/fct_segment_profiles.parquet')
