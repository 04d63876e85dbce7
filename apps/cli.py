"""The `finseg` command: generate or load raw data, build the warehouse with dbt, open the explorer.

Every option that changes a model passes through to a dbt var (see `vars` in dbt_project.yml), so
the command line and plain `dbt build --vars ...` always mean the same thing.
"""

from __future__ import annotations

import ctypes
import json
import logging
import os
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import duckdb
import typer
import yaml
from rich.console import Console
from rich.logging import RichHandler
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from apps.exports import export_marts, exports_dir_for
from apps.publish import staged_warehouse
from apps.warehouse import MAIN_MARTS, project_root, project_vars, warehouse_path

if TYPE_CHECKING:
    from seeds_gen.generator import BankConfig

app = typer.Typer(
    help="finseg: customer segmentation for banks, on dbt and DuckDB.",
    no_args_is_help=True,
    add_completion=False,
)
console = Console()
log = logging.getLogger("finseg")

WarehouseOption = Annotated[
    Path | None,
    typer.Option(
        "--warehouse",
        "-w",
        help="DuckDB file to write (default: $FINSEG_WAREHOUSE or warehouse/finseg.duckdb).",
    ),
]
VarOption = Annotated[
    list[str] | None,
    typer.Option(
        "--var",
        help="Override a dbt var, NAME=VALUE (VALUE is read as YAML). Repeatable.",
    ),
]


@app.callback()
def _configure(verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(message)s",
        handlers=[RichHandler(console=console, show_path=False)],
    )


def _resolve_warehouse(warehouse: Path | None) -> Path:
    path = warehouse_path(warehouse)
    path.parent.mkdir(parents=True, exist_ok=True)
    # dbt, the explorer and the loaders all read the path from this variable.
    os.environ["FINSEG_WAREHOUSE"] = str(path)
    return path


def _parse_vars(pairs: list[str] | None) -> dict[str, object]:
    """Read --var NAME=VALUE pairs (VALUE as YAML) and check what can be checked before a build."""
    parsed: dict[str, object] = {}
    for pair in pairs or []:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise typer.BadParameter(f"--var expects NAME=VALUE, got {pair!r}")
        try:
            parsed[name.strip()] = yaml.safe_load(value)
        except (yaml.YAMLError, ValueError):
            # Not valid YAML (or an impossible date such as 2025-13-45): keep the text, and let
            # the checks below or dbt name the problem.
            parsed[name.strip()] = value
    unknown = sorted(set(parsed) - set(project_vars()))
    if unknown:
        raise typer.BadParameter(
            f"unknown dbt var(s) {', '.join(unknown)}; the vars are listed in dbt_project.yml"
        )
    for name, value in parsed.items():
        if isinstance(value, date):
            parsed[name] = value.isoformat()
    _check_vars({**project_vars(), **parsed})
    return parsed


def _check_vars(merged: dict[str, object]) -> None:
    """Refuse settings that would only fail deep inside a build."""
    as_of = merged.get("as_of_date")
    if as_of is not None:
        try:
            date.fromisoformat(str(as_of))
        except ValueError:
            raise typer.BadParameter(
                f"as_of_date must be a date as YYYY-MM-DD (or null), got {as_of!r}"
            ) from None
    k_min, k_max = merged.get("k_min"), merged.get("k_max")
    if isinstance(k_min, int) and isinstance(k_max, int) and not 2 <= k_min <= k_max:
        raise typer.BadParameter(f"need 2 <= k_min <= k_max, got k_min={k_min} k_max={k_max}")


@app.command()
def generate(
    customers: Annotated[int | None, typer.Option(min=1, help="Customers to generate.")] = None,
    months: Annotated[int | None, typer.Option(min=1, max=120, help="Months of history.")] = None,
    seed: Annotated[
        int | None, typer.Option(min=0, help="Random seed; same seed, same data.")
    ] = None,
    warehouse: WarehouseOption = None,
) -> None:
    """Generate the synthetic bank into raw.* (replacing what the warehouse held)."""
    config = _bank_config(customers, months, seed)
    path = _resolve_warehouse(warehouse)
    with staged_warehouse(path, start_from_published=False) as staged:
        _generate_into(staged, config)


def _bank_config(customers: int | None, months: int | None, seed: int | None) -> BankConfig:
    """The synthetic bank's settings: the options given, else the synthetic_* dbt vars."""
    from seeds_gen.generator import BankConfig

    defaults = project_vars()
    return BankConfig(
        customers=customers or int(defaults["synthetic_customers"]),
        months=months or int(defaults["synthetic_months"]),
        seed=seed if seed is not None else int(defaults["synthetic_seed"]),
    )


def _generate_into(staged: Path, config: BankConfig) -> None:
    from seeds_gen.generator import write_synthetic_bank

    started = time.perf_counter()
    with (
        Progress(
            TextColumn("generating customers"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
        ) as progress,
        duckdb.connect(str(staged)) as con,
    ):
        task = progress.add_task("generate", total=config.customers)
        counts = write_synthetic_bank(
            con, config, progress=lambda done, total: progress.update(task, completed=done)
        )
    elapsed = time.perf_counter() - started
    _print_counts(f"Synthetic bank (seed {config.seed}), {elapsed:.1f} s", dict(counts))


@app.command()
def load(
    mapping: Annotated[
        str, typer.Argument(help="Mapping name (online_retail, cdnow) or path to a YAML mapping.")
    ],
    files: Annotated[
        list[str],
        typer.Argument(help="Input file, or TABLE=PATH pairs for multi-table mappings."),
    ],
    warehouse: WarehouseOption = None,
) -> None:
    """Load real files into raw.* through a column mapping (replacing what the warehouse held)."""
    from seeds_gen.loaders import LoadError, load_files

    if len(files) == 1 and "=" not in files[0]:
        inputs: dict[str, Path] | Path = Path(files[0])
    else:
        inputs = {}
        for item in files:
            table, sep, file_path = item.partition("=")
            if not sep:
                raise typer.BadParameter(f"expected TABLE=PATH for several files, got {item!r}")
            inputs[table] = Path(file_path)
    path = _resolve_warehouse(warehouse)
    started = time.perf_counter()
    try:
        with (
            console.status(f"loading {', '.join(files)} with mapping {mapping}"),
            staged_warehouse(path, start_from_published=False) as staged,
            duckdb.connect(str(staged)) as con,
        ):
            report = load_files(con, mapping, inputs)
    except LoadError as error:
        console.print(f"[bold red]load failed[/]: {escape(str(error))}")
        raise typer.Exit(code=2) from error
    elapsed = time.perf_counter() - started
    table = Table(title=f"Loaded into {path} in {elapsed:.1f} s (load {report.load_id})")
    for column in ("table", "rows read", "rows loaded", "rows quarantined"):
        table.add_column(column, justify="right" if column != "table" else "left")
    for row in report.rows():
        table.add_row(
            row["target_table"],
            f"{row['rows_read']:,}",
            f"{row['rows_loaded']:,}",
            f"{row['rows_quarantined']:,}",
        )
    console.print(table)


def _dbt(args: list[str], variables: dict[str, object], warehouse: Path) -> int:
    """Run dbt from the project root in a child process; its own output is the progress."""
    command = [sys.executable, "-m", "dbt.cli.main", *args]
    if variables:
        command += ["--vars", json.dumps(variables)]
    log.info("running: dbt %s", " ".join(command[3:]))
    env = {**os.environ, "FINSEG_WAREHOUSE": str(warehouse)}
    return subprocess.call(command, cwd=project_root(), env=env, preexec_fn=_die_with_parent)


def _die_with_parent() -> None:
    """In the dbt child: be killed when `finseg` dies, so that no orphan keeps writing."""
    if sys.platform.startswith("linux"):
        pr_set_pdeathsig = 1
        ctypes.CDLL(None).prctl(pr_set_pdeathsig, signal.SIGKILL)


@app.command()
def build(
    var: VarOption = None,
    select: Annotated[
        str | None, typer.Option("--select", "-s", help="dbt selection, as in dbt build -s.")
    ] = None,
    warehouse: WarehouseOption = None,
) -> None:
    """Run `dbt build` (seeds, models, tests) on the warehouse, then print what it built."""
    variables = _parse_vars(var)
    path = _resolve_warehouse(warehouse)
    if not path.exists():
        console.print(
            f"[bold red]no warehouse at {path}[/]: run `finseg generate` or `finseg load` first"
        )
        raise typer.Exit(code=2)
    args = ["build"] + (["--select", select] if select else [])
    started = time.perf_counter()
    # dbt builds a private copy; only a build whose models and tests all pass is published.
    with staged_warehouse(path, start_from_published=True) as staged:
        _build_into(staged, args, variables)
    console.print(f"dbt build passed and was published in {time.perf_counter() - started:.1f} s")
    _after_publish(path)


def _build_into(staged: Path, args: list[str], variables: dict[str, object]) -> None:
    code = _dbt(args, variables, staged)
    if code != 0:
        console.print(
            "[bold red]dbt build failed[/]; the messages above say which model or test. "
            "Nothing was published."
        )
        raise typer.Exit(code=code)


def _after_publish(path: Path) -> None:
    exports = exports_dir_for(path)
    manifest = export_marts(path, exports)
    console.print(f"exported {len(manifest['marts'])} marts to {exports} (Parquet + manifest)")
    summary(warehouse=path)


@app.command()
def summary(warehouse: WarehouseOption = None) -> None:
    """Print row counts of the main marts and the chosen segmentation."""
    path = _resolve_warehouse(warehouse)
    if not path.is_file():
        console.print(
            f"[bold red]no warehouse at {path}[/]: run `finseg run` or `finseg load` first"
        )
        raise typer.Exit(code=2)
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error as error:
        console.print(f"[bold red]cannot read {path}[/]: {escape(str(error).splitlines()[0])}")
        raise typer.Exit(code=2) from error
    with con:
        counts = {}
        for name in MAIN_MARTS:
            try:
                counts[name] = con.execute(f"select count(*) from {name}").fetchall()[0][0]
            except duckdb.CatalogException:
                counts[name] = None
        chosen = _chosen_segmentation(con)
    _print_counts(f"Warehouse {path}", counts)
    if all(counts[name] is None for name in MAIN_MARTS if name.startswith("marts.")):
        console.print("No marts yet: run `finseg build`.")
    if chosen:
        console.print(
            f"Segmentation: {chosen['algorithm']} with k = {chosen['k']} "
            f"(silhouette {chosen['silhouette']:.3f}), plus segment 0 for customers "
            "without activity."
        )


def _chosen_segmentation(con: duckdb.DuckDBPyConnection) -> dict[str, object] | None:
    try:
        row = con.execute(
            "select algorithm, k, silhouette from marts.fct_segment_model_selection "
            "where is_chosen"
        ).fetchone()
    except duckdb.CatalogException:
        return None
    if row is None:
        return None
    return {"algorithm": row[0], "k": row[1], "silhouette": row[2] or float("nan")}


def _print_counts(title: str, counts: dict[str, int | None]) -> None:
    table = Table(title=title)
    table.add_column("table")
    table.add_column("rows", justify="right")
    for name, rows in counts.items():
        table.add_row(name, "missing" if rows is None else f"{rows:,}")
    console.print(table)


@app.command()
def run(
    customers: Annotated[int | None, typer.Option(min=1)] = None,
    months: Annotated[int | None, typer.Option(min=1, max=120)] = None,
    seed: Annotated[int | None, typer.Option(min=0)] = None,
    var: VarOption = None,
    warehouse: WarehouseOption = None,
) -> None:
    """Generate the synthetic bank, build everything, and say how to open the explorer.

    Generation and build are published together: the explorer sees the new bank only once its
    build has passed.
    """
    variables = _parse_vars(var)
    config = _bank_config(customers, months, seed)
    path = _resolve_warehouse(warehouse)
    started = time.perf_counter()
    with staged_warehouse(path, start_from_published=False) as staged:
        _generate_into(staged, config)
        _build_into(staged, ["build"], variables)
    _after_publish(path)
    how = "[bold]make app[/] (or `finseg app`)"
    if path != warehouse_path(None) or os.environ.get("FINSEG_WAREHOUSE"):
        how = f"`finseg app --warehouse {path}`"
    console.print(
        f"\nDone in {time.perf_counter() - started:.1f} s. Open the explorer with {how}, "
        "then http://localhost:8501"
    )


@app.command(name="app")
def explorer(
    port: Annotated[int, typer.Option(help="Port to serve on.")] = 8501,
    warehouse: WarehouseOption = None,
) -> None:
    """Open the Streamlit explorer on the warehouse (read-only)."""
    path = _resolve_warehouse(warehouse)
    entry = project_root() / "apps" / "explorer" / "app.py"
    console.print(f"explorer on http://localhost:{port} reading {path} (Ctrl+C stops it)")
    code = subprocess.call(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(entry),
            "--server.port",
            str(port),
            "--server.headless",
            "true",
            "--browser.gatherUsageStats",
            "false",
        ],
        cwd=project_root(),
        preexec_fn=_die_with_parent,
    )
    raise typer.Exit(code=code)


if __name__ == "__main__":
    app()
