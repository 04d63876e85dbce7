-- fct_clv_model_fit: one row per CLV model and parameter.
-- log_covariance is a list: as text it keeps its brackets (Evidence would
-- store a list as its values joined by commas).
select * replace (cast(log_covariance as varchar) as log_covariance)
from read_parquet('${finseg_exports}/fct_clv_model_fit.parquet')
