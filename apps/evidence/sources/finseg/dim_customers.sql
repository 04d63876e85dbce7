-- dim_customers: one row per customer.
select * from read_parquet('${finseg_exports}/dim_customers.parquet')
