"""Publishing: writers work on a private copy; readers only ever see a whole, good warehouse."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from apps.publish import building_path, staged_warehouse
from apps.warehouse import project_root


def _write_value(path: Path, value: int) -> None:
    with duckdb.connect(str(path)) as con:
        con.execute("create or replace table marker as select ? as value", [value])


def _read_value(path: Path) -> int:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute("select value from marker").fetchall()[0][0]


def test_publish_replaces_the_file_after_success(tmp_path: Path) -> None:
    """A step that finishes is published: the next reader sees its data, no copy is left."""
    published = tmp_path / "finseg.duckdb"
    _write_value(published, 1)
    with staged_warehouse(published, start_from_published=True) as staged:
        assert _read_value(staged) == 1
        _write_value(staged, 2)
        assert _read_value(published) == 1
    assert _read_value(published) == 2
    assert not building_path(published).exists()


def test_failed_step_leaves_the_published_file_unchanged(tmp_path: Path) -> None:
    """An error inside the step publishes nothing; the next step starts from a fresh copy."""
    published = tmp_path / "finseg.duckdb"
    _write_value(published, 1)
    with pytest.raises(RuntimeError), staged_warehouse(published, start_from_published=True) as s:
        _write_value(s, 99)
        raise RuntimeError("a test failed")
    assert _read_value(published) == 1
    with staged_warehouse(published, start_from_published=True) as staged:
        assert _read_value(staged) == 1


def test_reader_open_during_the_swap_keeps_its_data(tmp_path: Path) -> None:
    """A read-only connection open across a publish keeps working; a new one sees the new data."""
    published = tmp_path / "finseg.duckdb"
    _write_value(published, 1)
    reader = duckdb.connect(str(published), read_only=True)
    try:
        with staged_warehouse(published, start_from_published=True) as staged:
            _write_value(staged, 2)
        assert reader.execute("select value from marker").fetchall()[0][0] == 1
    finally:
        reader.close()
    assert _read_value(published) == 2


def test_fresh_start_ignores_the_published_data(tmp_path: Path) -> None:
    """A load or generation starts from an empty file: it replaces the dataset, never adds to it."""
    published = tmp_path / "finseg.duckdb"
    _write_value(published, 1)
    with staged_warehouse(published, start_from_published=False) as staged:
        assert not staged.exists()
        _write_value(staged, 5)
    assert _read_value(published) == 5


def _marts_fingerprint(path: Path) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(
            "select segment_id, count(*), sum(hash(customer_id)) "
            "from marts.fct_customer_segments group by segment_id order by segment_id"
        ).fetchall()


@pytest.mark.slow
def test_killed_build_leaves_the_last_published_warehouse(tmp_path: Path) -> None:
    """SIGKILL at several points of `finseg build` leaves the published warehouse as it was."""
    env = {
        **os.environ,
        "FINSEG_WAREHOUSE": str(tmp_path / "finseg.duckdb"),
        "DBT_TARGET_PATH": str(tmp_path / "target"),
        "DBT_LOG_PATH": str(tmp_path / "logs"),
    }
    finseg = [sys.executable, "-m", "apps.cli"]
    subprocess.run(
        [*finseg, "run", "--customers", "300", "--months", "6", "--seed", "3"],
        env=env,
        cwd=project_root(),
        check=True,
        capture_output=True,
    )
    published = tmp_path / "finseg.duckdb"
    before = _marts_fingerprint(published)
    for delay in (1.0, 4.0, 8.0):
        build = subprocess.Popen(
            [*finseg, "build", "--var", "k_max=4"],
            env=env,
            cwd=project_root(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(delay)
        build.send_signal(signal.SIGKILL)
        build.wait()
        assert _marts_fingerprint(published) == before, f"changed by a build killed at {delay}s"
    # The next build needs no clean-up and publishes.
    subprocess.run(
        [*finseg, "build", "--var", "k_max=4"],
        env=env,
        cwd=project_root(),
        check=True,
        capture_output=True,
    )
    with duckdb.connect(str(published), read_only=True) as con:
        k = con.execute(
            "select k from marts.fct_segment_model_selection where is_chosen"
        ).fetchall()[0][0]
    assert k <= 4
