-- fct_customer_clv: one row per customer: P(alive), expected purchases and spend, CLV.
select * from read_parquet('${finseg_exports}/fct_customer_clv.parquet')
