"""The Python modelling layer: preprocessing, clustering and model selection, called by dbt."""
