"""`finseg --var` parsing: values reach dbt as the user meant them, mistakes stop before a build."""

from __future__ import annotations

import pytest
import typer

from apps.cli import _parse_vars


def test_parse_vars_passes_a_date_as_iso_text() -> None:
    """YAML reads 2019-01-31 as a date; dbt must get the same text back, not a crash."""
    assert _parse_vars(["as_of_date=2019-01-31"]) == {"as_of_date": "2019-01-31"}


def test_parse_vars_reads_numbers_and_lists_as_yaml() -> None:
    """Numbers and lists keep their types, as in dbt --vars."""
    parsed = _parse_vars(["k_max=5", "segmentation_algorithms=[kmeans, ward]"])
    assert parsed == {"k_max": 5, "segmentation_algorithms": ["kmeans", "ward"]}


@pytest.mark.parametrize(
    ("pairs", "message"),
    [
        (["as_of_date=2025-13-45"], "as_of_date must be a date"),
        (["as_of_date=yesterday"], "as_of_date must be a date"),
        (["k_min=6", "k_max=3"], "k_min <= k_max"),
        (["k_maxx=3"], "unknown dbt var(s) k_maxx"),
        (["novalue"], "NAME=VALUE"),
    ],
)
def test_parse_vars_refuses_mistakes_with_a_message(pairs: list[str], message: str) -> None:
    """Each mistake is refused before any build, with a message that names it."""
    with pytest.raises(typer.BadParameter, match=message.replace("(", r"\(").replace(")", r"\)")):
        _parse_vars(pairs)
