-- fct_customer_segments: one row per customer: segment and membership strength.
select * from read_parquet('${finseg_exports}/fct_customer_segments.parquet')
