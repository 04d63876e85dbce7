"""Real-file loaders: CSV, whitespace-separated or Parquet files into the raw contract via mappings.

>>> report = load_files(con, "online_retail", Path("online_retail.csv.gz"))  # doctest: +SKIP
>>> report["transactions"].rows_quarantined  # doctest: +SKIP

The mapping format is described in :mod:`seeds_gen.loaders.mapping`; the shipped mappings live in
``seeds_gen/mappings/*.yaml``.
"""

from seeds_gen.loaders.errors import LoadError, LoadWarning, Problem
from seeds_gen.loaders.load import LoadReport, TableReport, load_files
from seeds_gen.loaders.mapping import Mapping, available_mappings, read_mapping

__all__ = [
    "LoadError",
    "LoadReport",
    "LoadWarning",
    "Mapping",
    "Problem",
    "TableReport",
    "available_mappings",
    "load_files",
    "read_mapping",
]
