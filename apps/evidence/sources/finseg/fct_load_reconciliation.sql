-- fct_load_reconciliation: one row per load and raw table: rows read, loaded, quarantined.
select * from read_parquet('${finseg_exports}/fct_load_reconciliation.parquet')
