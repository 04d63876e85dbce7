"""RFM: recency x frequency grid, and the customers of each named RFM segment."""

from __future__ import annotations

import streamlit as st

from apps.explorer import charts, data, queries, ui
from apps.explorer import format as fmt

TITLE = "RFM"


def render() -> None:
    """The RFM page."""
    st.title(TITLE)
    st.caption(
        "Recency (days since the last purchase), frequency (purchase days) and monetary value "
        "(net spend), scored 1-5 against the whole base: 5 is the most recent, the most frequent, "
        "the highest spend."
    )
    with ui.warehouse_errors():
        warehouse = data.open_warehouse()
        warehouse.require("fct_customer_rfm")
        segment_id = _segment_filter(warehouse)
        _headline(warehouse, segment_id)
        _grid(warehouse, segment_id)
        _named_segments(warehouse, segment_id)


def _segment_filter(warehouse: data.Warehouse) -> int | None:
    """Limit the page to one segment of the segmentation, when the warehouse has one."""
    segments = queries.segments(warehouse)
    if segments is None or segments.empty or not warehouse.has("fct_customer_segments"):
        return None
    return ui.segment_picker(segments, key="rfm_segment", allow_all=True, label="Customers")


def _headline(warehouse: data.Warehouse, segment_id: int | None) -> None:
    totals = queries.rfm_totals(warehouse, segment_id)
    columns = st.columns(5)
    columns[0].metric("Customers", fmt.number(totals["customers"]))
    columns[1].metric(
        "With purchases",
        fmt.number(totals["purchasing_customers"]),
        help="Customers with at least one purchase; the others are 'No purchases' and have no "
        "RFM scores.",
    )
    columns[2].metric(
        "Net spend",
        fmt.compact(totals["net_spend"]),
        help=f"Purchases minus refunds: {fmt.money(totals['net_spend'])}.",
    )
    columns[3].metric("Median recency", fmt.days(totals["median_recency_days"]))
    columns[4].metric(
        "Median frequency",
        fmt.number(totals["median_frequency"], 1),
        help="Purchase days of the median purchasing customer.",
    )


def _grid(warehouse: data.Warehouse, segment_id: int | None) -> None:
    st.subheader("Recency x frequency")
    grid = queries.rfm_grid(warehouse, segment_id)
    if grid["customers"].sum() == 0:
        st.info("No customer here has a purchase, so there are no RFM scores to place.")
        return
    measure = st.radio(
        "Colour by",
        list(charts.RFM_MEASURES),
        format_func=charts.RFM_MEASURES.get,
        horizontal=True,
        key="rfm_measure",
    )
    st.plotly_chart(charts.rfm_grid(grid, measure), key="rfm_grid")
    st.caption(
        "Top right: recent and frequent buyers. Bottom left: customers who bought rarely and long "
        "ago. Hover a cell for its customers, net spend, recency and frequency."
    )


def _named_segments(warehouse: data.Warehouse, segment_id: int | None) -> None:
    st.subheader("RFM segments")
    summary = queries.rfm_segment_summary(warehouse, segment_id)
    if summary.empty:
        st.info("No customers here.")
        return
    left, right = st.columns(2)
    with left:
        st.plotly_chart(charts.rfm_segments(summary), key="rfm_segments")
    with right:
        ui.table(
            summary[["rfm_segment", "customers", "share", "avg_net_spend"]],
            labels={"rfm_segment": "RFM segment", "avg_net_spend": "net spend per customer"},
        )
    with st.expander("All RFM segment figures"):
        ui.table(
            summary,
            labels={
                "rfm_segment": "RFM segment",
                "avg_net_spend": "net spend per customer",
                "avg_recency_days": "average recency (days)",
                "avg_frequency": "average frequency (purchase days)",
            },
        )


if __name__ == "__main__":
    render()
