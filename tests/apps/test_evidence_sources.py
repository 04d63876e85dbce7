"""The Evidence project's queries run under DuckDB 1.4, the engine Evidence bundles, on an export.

Evidence's DuckDB connector (@evidence-dev/duckdb 2.0.1) resolves @duckdb/node-api 1.4.2-r.1,
which cannot open a database file written by DuckDB 2.0; the sources read the Parquet exports
instead. Evidence itself is not installed here (its Parquet writer downloads a DuckDB extension
at run time), so the queries run in a separate virtual environment holding duckdb 1.4.2, created
once in <repo>/.venv-duckdb14 (git-ignored) and reused. The tests build a small warehouse
through the `finseg` command, so they are slow.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from apps.cli import app
from apps.warehouse import project_root

pytestmark = pytest.mark.slow

EVIDENCE = project_root() / "apps" / "evidence"
SOURCES = sorted((EVIDENCE / "sources" / "finseg").glob("*.sql"))
PAGES = sorted((EVIDENCE / "pages").glob("**/*.md"))
# The DuckDB that @evidence-dev/duckdb 2.0.1 runs (its @duckdb/node-api ^1.4.2-r.1 resolves to
# 1.4.2-r.1, the only 1.4.2 release of it).
DUCKDB_14 = "1.4.2"
VENV_14 = project_root() / ".venv-duckdb14"
# The one variable the sources use; the npm scripts set EVIDENCE_VAR__finseg_exports.
EXPORTS_VARIABLE = "finseg_exports"
# A source that is not a mart: one row per public mart, from manifest.json.
EXPORT_STATUS = "export_status"

# Runs in the DuckDB 1.4 environment. Reads {"sources", "page_queries", "warehouse"} as JSON on
# stdin; every source becomes a view finseg.<name>, as Evidence's source tables are named in
# pages. Prints what each query returned, or its error, as JSON.
RUNNER = """
import json
import sys

import duckdb

request = json.load(sys.stdin)
report = {"duckdb_version": duckdb.__version__, "sources": {}, "page_queries": {}}
con = duckdb.connect()
con.execute("create schema finseg")


def run(sql):
    cursor = con.execute(sql)
    columns = [column[0] for column in cursor.description]
    return {"rows": len(cursor.fetchall()), "columns": columns}


for name, sql in request["sources"].items():
    try:
        report["sources"][name] = run(sql)
        con.execute(f"create view finseg.{name} as {sql}")
    except duckdb.Error as error:
        report["sources"][name] = {"error": f"{type(error).__name__}: {error}"}
for name, sql in request["page_queries"].items():
    try:
        report["page_queries"][name] = run(sql)
    except duckdb.Error as error:
        report["page_queries"][name] = {"error": f"{type(error).__name__}: {error}"}
try:
    duckdb.connect(request["warehouse"], read_only=True).close()
    report["warehouse_error"] = None
except duckdb.Error as error:
    report["warehouse_error"] = f"{type(error).__name__}: {error}"
json.dump(report, sys.stdout)
"""


def _substitute(sql: str, variables: dict[str, str]) -> str:
    """Replace ${name} as Evidence does for EVIDENCE_VAR__name ($${name} stays literal)."""

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        assert name in variables, f"the query uses ${{{name}}}, which the npm scripts do not set"
        return variables[name]

    return re.sub(r"(?<!\$)\$\{(.+?)\}", replace, sql).replace("$${", "${")


def _page_queries(page: Path) -> dict[str, str]:
    """The named ```sql blocks of an Evidence page."""
    blocks = re.findall(r"^```sql[ \t]+(\w+)[ \t]*\n(.*?)^```", page.read_text(), re.M | re.S)
    return {f"{page.stem}:{name}": sql for name, sql in blocks}


def _installed_duckdb(python: Path) -> str | None:
    if not python.exists():
        return None
    result = subprocess.run(
        [str(python), "-c", "import duckdb; print(duckdb.__version__)"],
        capture_output=True,
        text=True,
    )
    return result.stdout.strip() if result.returncode == 0 else None


def _tail(text: str, lines: int = 5) -> str:
    return " | ".join(text.strip().splitlines()[-lines:])


@pytest.fixture(scope="session")
def duckdb14_python() -> Path:
    """The Python of <repo>/.venv-duckdb14 with duckdb 1.4.2; created under a lock if missing."""
    python = VENV_14 / "bin" / "python"
    VENV_14.mkdir(exist_ok=True)
    # The lock lives in the git-ignored folder, so parallel test runs create it once.
    with (VENV_14 / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _installed_duckdb(python) == DUCKDB_14:
            return python
        requirement = f"duckdb=={DUCKDB_14}"
        steps = {
            "python -m venv": [sys.executable, "-m", "venv", str(VENV_14)],
            f"pip install {requirement}": [str(python), "-m", "pip", "install", "-q", requirement],
        }
        for step, command in steps.items():
            try:
                subprocess.run(command, capture_output=True, text=True, check=True, timeout=900)
            except subprocess.CalledProcessError as error:
                pytest.skip(
                    f"cannot create the DuckDB {DUCKDB_14} environment {VENV_14} (needs PyPI): "
                    f"{step} failed: {_tail(error.stderr)}"
                )
            except subprocess.TimeoutExpired:
                pytest.skip(f"cannot create {VENV_14}: {step} timed out (is PyPI reachable?)")
    assert _installed_duckdb(python) == DUCKDB_14
    return python


@pytest.fixture(scope="module")
def exported_build(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A small synthetic warehouse built through `finseg run`; yields its exports folder."""
    folder = tmp_path_factory.mktemp("evidence_build")
    warehouse = folder / "finseg.duckdb"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("FINSEG_WAREHOUSE", str(warehouse))
        patch.setenv("DBT_TARGET_PATH", str(folder / "target"))
        patch.setenv("DBT_LOG_PATH", str(folder / "logs"))
        result = CliRunner().invoke(
            app,
            ["run", "--customers", "600", "--months", "12", "--seed", "7"],
            env=dict(os.environ),
        )
        assert result.exit_code == 0, f"finseg run failed:\n{result.output}"
        yield folder / "exports"


@pytest.fixture(scope="module")
def manifest(exported_build: Path) -> dict:
    return json.loads((exported_build / "manifest.json").read_text())


@pytest.fixture(scope="module")
def duckdb14_report(duckdb14_python: Path, exported_build: Path, tmp_path_factory) -> dict:
    """Every source and page query, run once under DuckDB 1.4 on the export."""
    variables = {EXPORTS_VARIABLE: exported_build.resolve().as_posix()}
    request = {
        "sources": {source.stem: _substitute(source.read_text(), variables) for source in SOURCES},
        "page_queries": {name: sql for page in PAGES for name, sql in _page_queries(page).items()},
        "warehouse": str(exported_build.parent / "finseg.duckdb"),
    }
    runner = tmp_path_factory.mktemp("duckdb14") / "run_queries.py"
    runner.write_text(RUNNER)
    result = subprocess.run(
        [str(duckdb14_python), str(runner)],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, f"the DuckDB 1.4 runner failed:\n{result.stderr}"
    return json.loads(result.stdout)


def test_evidence_project_has_its_files() -> None:
    """The project holds package.json, evidence.config.yaml, the source and the three pages."""
    package = json.loads((EVIDENCE / "package.json").read_text())
    evidence_packages = {
        name: version
        for name, version in package["dependencies"].items()
        if name.startswith("@evidence-dev/")
    }
    assert set(evidence_packages) == {
        "@evidence-dev/evidence",
        "@evidence-dev/core-components",
        "@evidence-dev/duckdb",
    }
    # Exact versions, no ranges.
    assert all(re.fullmatch(r"\d+\.\d+\.\d+", version) for version in evidence_packages.values())
    assert (EVIDENCE / "evidence.config.yaml").exists()
    assert "type: duckdb" in (EVIDENCE / "sources" / "finseg" / "connection.yaml").read_text()
    assert {page.name for page in PAGES} == {"index.md", "clv-and-churn.md", "migration.md"}


def test_duckdb14_runner_is_duckdb_14(duckdb14_report: dict) -> None:
    """The queries really ran on the DuckDB that Evidence bundles, not on the project's 2.0."""
    assert duckdb14_report["duckdb_version"] == DUCKDB_14


@pytest.mark.parametrize("source", SOURCES, ids=[source.stem for source in SOURCES])
def test_evidence_source_returns_the_manifest_rows(
    source: Path, duckdb14_report: dict, manifest: dict
) -> None:
    """Each source runs under DuckDB 1.4 and returns the rows and columns the manifest lists."""
    result = duckdb14_report["sources"][source.stem]
    assert "error" not in result, f"{source.name}: {result.get('error')}"
    if source.stem == EXPORT_STATUS:
        assert result["rows"] == len(manifest["marts"]) + len(manifest["missing_marts"])
        return
    # A source for a mart the build does not export would fail `npm run sources`.
    assert source.stem in manifest["marts"], (
        f"{source.name} reads a mart that this build does not export "
        f"(missing_marts: {manifest['missing_marts']})"
    )
    entry = manifest["marts"][source.stem]
    assert result["rows"] == entry["rows"]
    assert result["columns"] == [column["name"] for column in entry["columns"]]


def test_evidence_page_queries_run(duckdb14_report: dict, manifest: dict) -> None:
    """Every ```sql block of every page runs against the source tables under DuckDB 1.4."""
    queries = duckdb14_report["page_queries"]
    assert {name.split(":")[0] for name in queries} == {page.stem for page in PAGES}
    errors = {name: result["error"] for name, result in queries.items() if "error" in result}
    assert errors == {}
    assert queries["index:segments"]["rows"] == manifest["marts"]["dim_segments"]["rows"]
    assert queries["index:base"]["rows"] == 1


def test_duckdb14_cannot_open_the_duckdb2_warehouse(duckdb14_report: dict) -> None:
    """Why the sources read Parquet: DuckDB 1.4 refuses the warehouse file that DuckDB 2.0 wrote."""
    error = duckdb14_report["warehouse_error"]
    assert error is not None, "DuckDB 1.4 opened the 2.0 warehouse: the sources could read it"
    assert "version" in error
