-- fct_customer_rfm: one row per customer: recency, frequency, monetary, RFM scores and segment.
select * from read_parquet('${finseg_exports}/fct_customer_rfm.parquet')
