"""Pieces every page shares: friendly errors, the segment picker, tables, downloads."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pandas as pd
import streamlit as st

from apps.explorer import data, queries
from apps.explorer import format as fmt

# The segment chosen on any page; pages read it so that a choice carries across pages. Widgets
# have page-specific keys (Streamlit drops a widget's state on pages that do not draw it).
SEGMENT_STATE = "finseg_segment_id"

# Display formats (Streamlit number formats) of the columns pages show; the data stays numeric.
_NUMBER_FORMATS: dict[str, str] = {
    **dict.fromkeys(
        (
            "customers",
            "purchasing_customers",
            "transactions_count",
            "rows_read",
            "rows_loaded",
            "rows_quarantined",
            "rows_in_raw",
            "n_fit",
            "n_customers",
            "silhouette_sample_size",
            "repeat_purchases",
            "recency_days",
            "frequency",
            "orders_count",
            "credit_score",
        ),
        "localized",
    ),
    **dict.fromkeys(
        (
            "net_spend",
            "avg_net_spend",
            "monetary",
            "income_annual",
            "segment_mean",
            "base_mean",
            "base_std",
        ),
        "%,.2f",
    ),
    # Shares are fractions in the marts; table() shows them as percentages with one decimal.
    "share": "%.1f%%",
    "clv_share": "%.1f%%",
    "avg_recency_days": "%,.0f",
    "avg_frequency": "%,.1f",
    "z_score": "%+.2f",
    "value": "%,.2f",
    "membership_strength": "%.2f",
    "silhouette": "%.3f",
    "calinski_harabasz": "%,.1f",
    "davies_bouldin": "%.3f",
    "inertia": "%,.1f",
    "bic": "%,.1f",
    "stability_jaccard_min": "%.3f",
    "stability_jaccard_mean": "%.3f",
    "p_alive": "%.3f",
    "mean_p_alive": "%.1f%%",
    "estimate": "%.4f",
    "std_error": "%.4f",
    "estimate_lower": "%.4f",
    "estimate_upper": "%.4f",
    "log_likelihood": "%,.1f",
    "clv": "%,.2f",
    "avg_clv": "%,.2f",
    "segment_id": "%d",
    "k": "%d",
    "birth_year": "%d",
}


# Columns holding fractions of 1 that table() shows as percentages.
_SHARE_COLUMNS = ("share", "clv_share", "mean_p_alive")


@contextmanager
def warehouse_errors() -> Iterator[None]:
    """Show a :class:`data.WarehouseError` as a message with its fix instead of a traceback."""
    try:
        yield
    except data.WarehouseError as error:
        if error.severity == "warning":
            st.warning(str(error), icon=":material/hourglass_top:")
        else:
            st.error(str(error), icon=":material/error:")


def table(frame: pd.DataFrame, labels: dict[str, str] | None = None, **kwargs: object) -> None:
    """A data frame with numbers formatted for a person and readable column headings."""
    labels = labels or {}
    shares = [column for column in _SHARE_COLUMNS if column in frame.columns]
    if shares:
        frame = frame.assign(**{column: frame[column] * 100 for column in shares})
    config: dict[str, object] = {}
    for column in frame.columns:
        label = labels.get(column, column.replace("_", " "))
        number_format = _NUMBER_FORMATS.get(column)
        if number_format is not None:
            config[column] = st.column_config.NumberColumn(label=label, format=number_format)
        elif column.endswith("_date"):  # DATE arrives as a timestamp; show the day only
            config[column] = st.column_config.DateColumn(label=label, format="YYYY-MM-DD")
        else:
            config[column] = st.column_config.Column(label=label)
    st.dataframe(frame, hide_index=True, column_config=config, **kwargs)


def segment_picker(
    segments: pd.DataFrame, *, key: str, allow_all: bool, label: str = "Segment"
) -> int | None:
    """A selectbox of segments (``None`` = all customers when ``allow_all``).

    Starts on the segment chosen last on any page; without one, on all customers or on the
    first segment of active customers (segment 0 holds customers without activity).
    """
    ids = [int(i) for i in segments["segment_id"]]
    options: list[int | None] = ([None] if allow_all else []) + ids
    rows = segments.set_index("segment_id")
    chosen = st.session_state.get(SEGMENT_STATE)
    if chosen not in options:
        active = [i for i in ids if i != 0]
        chosen = None if allow_all else (active or ids)[0]

    def describe(segment_id: int | None) -> str:
        if segment_id is None:
            return "All customers"
        row = rows.loc[segment_id]
        return (
            f"{fmt.segment_label(segment_id, row['segment_name'])} "
            f"({fmt.number(row['customers'])} customers)"
        )

    def remember() -> None:
        st.session_state[SEGMENT_STATE] = st.session_state[key]

    return st.selectbox(
        label,
        options,
        index=options.index(chosen),
        format_func=describe,
        key=key,
        on_change=remember,
    )


def segment_downloads(warehouse: data.Warehouse, segment_id: int, customers: int) -> None:
    """CSV and Parquet buttons for every customer of a segment (built when clicked)."""
    stem = f"finseg_segment_{segment_id}_customers"
    left, right, note = st.columns([1, 1, 3], vertical_alignment="center")
    left.download_button(
        "Download CSV",
        data=lambda: queries.segment_customers_csv(warehouse, segment_id),
        file_name=f"{stem}.csv",
        mime="text/csv",
        icon=":material/download:",
        key=f"download_csv_{segment_id}",
    )
    right.download_button(
        "Download Parquet",
        data=lambda: queries.segment_customers_parquet(warehouse, segment_id),
        file_name=f"{stem}.parquet",
        mime="application/vnd.apache.parquet",
        icon=":material/download:",
        key=f"download_parquet_{segment_id}",
    )
    note.caption(f"Every customer of the segment: {fmt.number(customers)} rows.")


def missing_mart(mart: str, what: str) -> None:
    """Say that a section (``what``, e.g. "profile heatmap") needs a mart, and how to get it."""
    st.info(
        f"No {what} yet: this warehouse has no `{data.MARTS}.{mart}`. "
        "Run `make run` (or `dbt build`) to build it.",
        icon=":material/info:",
    )
