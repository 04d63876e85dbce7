-- fct_customer_features: one row per customer: behaviour features at the as-of date.
select * from read_parquet('${finseg_exports}/fct_customer_features.parquet')
