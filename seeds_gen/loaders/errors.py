"""Loader errors: each names the file, the column, the first offending rows and the fix."""

from __future__ import annotations

from dataclasses import dataclass

# How many offending rows an error message shows.
ROWS_SHOWN = 5


class LoadWarning(UserWarning):
    """A condition the caller can fix that did not stop the load (e.g. an ignored extra column)."""


@dataclass(frozen=True)
class Problem:
    """One reason why an input cannot be loaded.

    ``rows`` holds the first offending rows as ``(row, value)`` pairs, ``row`` being the 1-based
    data row number (header not counted, as in ``raw.quarantine.source_row``); ``count`` is how
    many rows have the problem in total.
    """

    file: str
    what: str
    fix: str
    column: str | None = None
    rows: tuple[tuple[int, object], ...] = ()
    count: int = 0

    def __str__(self) -> str:
        where = self.file + (f", column {self.column!r}" if self.column else "")
        text = f"{where}: {self.what}"
        if self.rows:
            shown = "; ".join(f"row {row}: {_show(value)}" for row, value in self.rows)
            more = self.count - len(self.rows)
            text += f". First rows (data rows counted from 1 after the header): {shown}" + (
                f" (and {more:,} more)" if more > 0 else ""
            )
        return f"{text}. Fix: {self.fix}"


class LoadError(Exception):
    """The input cannot be loaded; nothing was written.

    The message names the file, the column, the first offending rows (row numbers and values)
    and the fix. ``problems`` holds each problem found (usually one).
    """

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        super().__init__(str(self))

    def __str__(self) -> str:
        if len(self.problems) == 1:
            return str(self.problems[0])
        listed = "\n".join(f"{n}. {problem}" for n, problem in enumerate(self.problems, 1))
        return f"{len(self.problems)} problems, nothing was loaded:\n{listed}"


def fail(file: str, what: str, fix: str, **details: object) -> LoadError:
    """A LoadError with one problem (raise the result)."""
    return LoadError([Problem(file=file, what=what, fix=fix, **details)])


def _show(value: object) -> str:
    if value is None:
        return "empty"
    text = str(value)
    return repr(text if len(text) <= 80 else text[:77] + "...")
