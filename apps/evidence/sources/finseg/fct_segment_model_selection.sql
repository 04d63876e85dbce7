-- fct_segment_model_selection: one row per algorithm and k: fit quality and stability.
select * from read_parquet('${finseg_exports}/fct_segment_model_selection.parquet')
