"""The synthetic bank: seeded, vectorised, chunked; written into ``raw`` through Arrow.

>>> import duckdb
>>> from seeds_gen.generator import BankConfig, write_synthetic_bank
>>> con = duckdb.connect("/tmp/example.duckdb")
>>> counts = write_synthetic_bank(con, BankConfig(customers=2_000, months=12, seed=7))

Modules: ``personas`` (who the customers are, with every planted parameter), ``config``
(:class:`BankConfig`, :class:`DirtyData`), ``timeline`` (calendar arrays), ``customers``,
``accounts``, ``purchases`` (BG/NBD + Gamma-Gamma card purchases), ``transactions`` (income,
bills, cash, fees), ``ledger`` (month-by-month balances and the transactions that depend on
them), ``dirty`` (damage switches), ``simulate`` (one block), ``writer`` (Arrow -> DuckDB),
``truth`` (schema ``raw_truth``), ``bank`` (the entry point), ``benchmark``.
"""

from seeds_gen.generator.bank import iter_chunks, write_synthetic_bank
from seeds_gen.generator.config import BLOCK_CUSTOMERS, BankConfig, DirtyData
from seeds_gen.generator.personas import PERSONA_NAMES, PERSONAS, Persona

__all__ = [
    "BLOCK_CUSTOMERS",
    "PERSONAS",
    "PERSONA_NAMES",
    "BankConfig",
    "DirtyData",
    "Persona",
    "iter_chunks",
    "write_synthetic_bank",
]
