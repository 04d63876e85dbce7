"""Publishing: writers work on a private copy of the warehouse and swap it in atomically.

DuckDB allows one writer process or many readers. The explorer reads the published file
(``warehouse/finseg.duckdb``) with short-lived read-only connections; a build, a load or a
generation never writes that file in place. It writes ``.<name>.building.duckdb`` beside it (a
copy of the published file, or a new one), and only when the whole step has succeeded (for a build:
every dbt model and test passed) the copy replaces the published file with one ``os.replace``.
A reader that has the old file open keeps reading it; the next connection opens the new one. A
failed or killed step leaves the published file as it was, and the next step starts from a fresh
copy, so nothing needs cleaning up by hand.
"""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

log = logging.getLogger(__name__)


def building_path(published: Path) -> Path:
    """The private working copy that a writer fills before it is published."""
    return published.with_name(f".{published.stem}.building{published.suffix}")


def _remove_database(path: Path) -> None:
    for leftover in (path, path.with_name(path.name + ".wal")):
        leftover.unlink(missing_ok=True)


@contextmanager
def staged_warehouse(published: Path, *, start_from_published: bool) -> Iterator[Path]:
    """Yield a private warehouse path; publish it atomically if the block finishes without error.

    ``start_from_published`` copies the published file first (a build adds to the raw data that
    is there); otherwise the writer starts from an empty file (a generation or a load replaces the
    dataset). A leftover copy from an interrupted run is discarded, never reused.
    """
    published.parent.mkdir(parents=True, exist_ok=True)
    staged = building_path(published)
    _remove_database(staged)
    if start_from_published and published.exists():
        shutil.copyfile(published, staged)
    try:
        yield staged
    except BaseException:
        _remove_database(staged)
        if published.exists():
            log.info("not published: %s keeps its last good data", published.name)
        else:
            log.info("not published: no %s was written", published.name)
        raise
    _checkpoint(staged)
    os.replace(staged, published)
    log.info("published %s", published)


def _checkpoint(path: Path) -> None:
    """Fold the write-ahead log into the file, so that the one file is the whole database."""
    with duckdb.connect(str(path)) as con:
        con.execute("checkpoint")
    wal = path.with_name(path.name + ".wal")
    if wal.exists():
        raise RuntimeError(f"{wal.name} still exists after a checkpoint; not publishing")
