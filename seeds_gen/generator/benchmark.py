"""Benchmark of the generator: rows per second and peak memory by size, against a naive baseline.

Run ``python -m seeds_gen.generator.benchmark --sizes 10000 100000 1000000`` (sizes in
customers, 24 months each). Every size runs in a fresh process writing a throwaway DuckDB file
under a temporary directory (never the warehouse), so each peak RSS is that size's own. The
baseline, measured in the same run, is the naive way: the first ``--baseline-customers``
customers' transactions as one pandas DataFrame of Python objects (string ids, Decimal
amounts) inserted with ``executemany``, the way ``DataFrame.to_sql`` inserts. The figures go to
a Markdown file (``--output``). This is a benchmark, not a test: it asserts nothing.

The machine may be shared: next to wall-clock rows per second the report gives rows per CPU
second (user + system time of the process) and the load average, which make runs comparable.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import pandas as pd

from seeds_gen.contract import CHANNELS, reset_raw_schema
from seeds_gen.generator.bank import iter_chunks, write_synthetic_bank
from seeds_gen.generator.config import BankConfig
from seeds_gen.generator.dirty import ALL_CATEGORIES
from seeds_gen.generator.timeline import build_timeline

DEFAULT_OUTPUT = Path(__file__).with_name("benchmark_results.md")
EPOCH = datetime(1970, 1, 1)


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def measure_generator(customers: int, months: int, seed: int, directory: Path) -> dict:
    """Generate one bank into a new file; rows, wall and CPU seconds, peak RSS of this process."""
    path = directory / f"bank_{customers}.duckdb"
    con = duckdb.connect(str(path))
    load_before = os.getloadavg()[0]
    cpu, wall = _cpu_seconds(), time.perf_counter()
    counts = write_synthetic_bank(con, BankConfig(customers=customers, months=months, seed=seed))
    con.close()
    wall, cpu = time.perf_counter() - wall, _cpu_seconds() - cpu
    result = {
        "kind": "generator",
        "customers": customers,
        "months": months,
        "transactions": counts["transactions"],
        "rows": sum(counts.values()),
        "seconds": wall,
        "cpu_seconds": cpu,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "file_mib": path.stat().st_size / 2**20,
        "load_average": (load_before + os.getloadavg()[0]) / 2,
    }
    path.unlink()
    return result


def measure_baseline(customers: int, months: int, seed: int, directory: Path) -> dict:
    """The same transactions of the first ``customers`` customers, inserted the naive way."""
    config = BankConfig(customers=customers, months=months, seed=seed, block_customers=customers)
    rows = next(iter_chunks(config))[0].transactions
    epoch = build_timeline(config.end_date, config.months).start_epoch_s
    con = duckdb.connect(str(directory / "baseline.duckdb"))
    reset_raw_schema(con)
    load_before = os.getloadavg()[0]
    cpu, wall = _cpu_seconds(), time.perf_counter()

    # One DataFrame of Python objects, built row by row, then inserted like DataFrame.to_sql.
    frame = pd.DataFrame({
        "transaction_id": [f"T{n:011d}" for n in rows["seq"]],
        "account_id": [f"A{n:010d}" for n in rows["account"]],
        "customer_id": [f"C{n:09d}" for n in rows["customer"]],
        "booked_at": [EPOCH + timedelta(seconds=int(epoch + s)) for s in rows["time"]],
        "amount": [Decimal(int(cents)).scaleb(-2) for cents in rows["amount"]],
        "currency": "EUR",
        "channel": [CHANNELS[c] if c >= 0 else None for c in rows["channel"]],
        "category": [ALL_CATEGORIES[c] for c in rows["category"]],
        "order_id": None,
    })
    con.begin()  # to_sql inserts in one transaction too
    con.executemany(
        "insert into raw.transactions values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        list(frame.itertuples(index=False, name=None)),
    )
    con.commit()
    wall, cpu = time.perf_counter() - wall, _cpu_seconds() - cpu
    con.close()
    return {
        "kind": "baseline",
        "customers": customers,
        "months": months,
        "transactions": len(frame),
        "rows": len(frame),
        "seconds": wall,
        "cpu_seconds": cpu,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "file_mib": float("nan"),
        "load_average": (load_before + os.getloadavg()[0]) / 2,
    }


def _in_child(kind: str, customers: int, months: int, seed: int, directory: Path) -> dict:
    """Run one measurement in a fresh interpreter (its own peak RSS)."""
    command = [sys.executable, "-m", "seeds_gen.generator.benchmark", "--child", kind,
               "--sizes", str(customers), "--months", str(months), "--seed", str(seed),
               "--directory", str(directory)]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def report(results: list[dict]) -> str:
    """The Markdown report: one row per measurement, then the speed-up over the baseline."""
    lines = [
        "# Synthetic bank generator: benchmark",
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.machine()}, "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"DuckDB {duckdb.__version__}. Written by `python -m seeds_gen.generator.benchmark`.",
        "",
        "| run | customers | months | transactions | all rows | wall s | txn/s (wall) "
        "| txn per CPU s | peak RSS MiB | file MiB | load avg |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r['kind']} | {r['customers']:,} | {r['months']} | {r['transactions']:,} | "
            f"{r['rows']:,} | {r['seconds']:.1f} | {r['transactions'] / r['seconds']:,.0f} | "
            f"{r['transactions'] / r['cpu_seconds']:,.0f} | {r['peak_rss_mib']:,.0f} | "
            f"{r['file_mib']:,.0f} | {r['load_average']:.1f} |"
        )
    baseline = [r for r in results if r["kind"] == "baseline"]
    if baseline:
        base = baseline[0]["transactions"] / baseline[0]["seconds"]
        lines += ["", "Speed-up in transactions per second (wall) over the baseline:", ""]
        for r in results:
            if r["kind"] == "generator":
                ratio = r["transactions"] / r["seconds"] / base
                lines.append(f"- {r['customers']:,} customers: {ratio:,.0f}x")
    lines += [
        "",
        "Baseline: the transactions of the first customers built row by row into one pandas "
        "DataFrame of Python objects and inserted with `executemany` in one transaction (what "
        "`DataFrame.to_sql` does), on a small size only. Generator: `write_synthetic_bank` "
        "end to end into a new DuckDB file (all raw and truth tables), default settings.",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--baseline-customers", type=int, default=200)
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--directory", type=Path, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--child", choices=["generator", "baseline"], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child:
        measure = measure_generator if args.child == "generator" else measure_baseline
        print(json.dumps(measure(args.sizes[0], args.months, args.seed, args.directory)))
        return

    with tempfile.TemporaryDirectory(prefix="finseg-benchmark-") as directory:
        results = [_in_child("baseline", args.baseline_customers, args.months, args.seed,
                             Path(directory))]
        for size in args.sizes:
            results.append(_in_child("generator", size, args.months, args.seed, Path(directory)))
            print(json.dumps(results[-1]), flush=True)
    args.output.write_text(report(results))
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
