"""Overview: the customer base at a glance, segment sizes and what sets each segment apart."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from apps.explorer import charts, data, queries, ui
from apps.explorer import format as fmt

TITLE = "Overview"
# Features shown in the heatmap unless the user asks for all of them.
HEATMAP_FEATURES = 25


def render() -> None:
    """The Overview page."""
    st.title(TITLE)
    st.caption("Who the customers are: how many, which segments, and what sets each apart.")
    with ui.warehouse_errors():
        warehouse = data.open_warehouse()
        segments = queries.segments(warehouse)
        _headline(warehouse, segments)
        _segment_sizes(segments)
        _profile_heatmap(warehouse)
        _segment_table(segments)
        _data_checks(warehouse)


def _headline(warehouse: data.Warehouse, segments: pd.DataFrame | None) -> None:
    """Metrics: customers, active, purchasing, net spend, segments and the chosen model."""
    counts = queries.customer_counts(warehouse)
    model = queries.chosen_model(warehouse)
    columns = st.columns(5)
    columns[0].metric("Customers", fmt.number(counts.get("customers")))
    columns[1].metric(
        "With activity",
        fmt.number(counts.get("active_customers")),
        help="Customers with at least one transaction on or before the as-of date.",
    )
    columns[2].metric(
        "With purchases",
        fmt.number(counts.get("purchasing_customers")),
        help="Customers with at least one purchase (the events RFM counts).",
    )
    columns[3].metric(
        "Net spend",
        fmt.compact(counts.get("net_spend")),
        help="Purchases minus refunds over the whole history, all customers: "
        f"{fmt.money(counts.get('net_spend'))}.",
    )
    k = model.get("k") if model else None
    if k is None and segments is not None:
        k = int((segments["segment_id"] != 0).sum())
    columns[4].metric(
        "Segments",
        fmt.number(k),
        help="Clusters of active customers chosen by the segmentation (segment 0, customers "
        "without activity, comes on top).",
    )
    notes = []
    if pd.notna(counts.get("last_booked_date")):
        notes.append(f"transactions up to {pd.Timestamp(counts['last_booked_date']):%Y-%m-%d}")
    if model:
        silhouette = fmt.number(model.get("silhouette"), 3)
        quality = f", silhouette {silhouette}" if silhouette != fmt.MISSING else ""
        notes.append(f"model {model.get('algorithm')} with k = {fmt.number(k)}{quality}")
    if notes:
        st.caption("Data: " + "; ".join(notes) + ".")
    if counts.get("customers") == 0:
        st.warning(
            "The marts hold no customers: load data (`finseg generate` or `finseg load`), "
            "then rebuild with `finseg build`.",
            icon=":material/warning:",
        )


def _segment_sizes(segments: pd.DataFrame | None) -> None:
    st.subheader("Segment sizes")
    if segments is None:
        ui.missing_mart("dim_segments", "segment sizes")
        return
    if segments.empty:
        st.info("The segmentation produced no segments for this warehouse.")
        return
    st.plotly_chart(charts.segment_sizes(segments), key="segment_sizes")


def _profile_heatmap(warehouse: data.Warehouse) -> None:
    st.subheader("Segment profiles")
    profiles = queries.segment_profiles(warehouse)
    if profiles is None:
        ui.missing_mart("fct_segment_profiles", "profile heatmap")
        return
    if profiles.empty:
        st.info(
            "No feature has a value for any segment, so there is no profile to show. "
            "This happens when the input has only customers without transactions."
        )
        return
    features = profiles["feature"].nunique()
    st.caption(
        "Each cell is a segment's mean of a feature against the whole base, in standard "
        "deviations of the base (z-score): red above the base, blue below. Features the input "
        "cannot support (NULL for everyone) are left out."
    )
    show_all = False
    if features > HEATMAP_FEATURES:
        show_all = st.toggle(
            f"Show all {features} features (the {HEATMAP_FEATURES} most distinctive are shown)",
            key="overview_all_features",
        )
    figure = charts.profile_heatmap(profiles, None if show_all else HEATMAP_FEATURES)
    st.plotly_chart(figure, key="profile_heatmap")


def _segment_table(segments: pd.DataFrame | None) -> None:
    if segments is None or segments.empty:
        return
    st.subheader("Segments")
    frame = segments.copy()
    labels = zip(frame["segment_id"], frame["segment_name"], strict=True)
    frame.insert(0, "segment", [fmt.segment_label(i, n) for i, n in labels])
    frame = frame.drop(columns=["segment_id", "segment_name"]).dropna(axis="columns", how="all")
    if "description" in frame:
        frame["description"] = frame["description"].fillna("")
    ui.table(frame, labels={"membership_strength": "mean membership"})


def _data_checks(warehouse: data.Warehouse) -> None:
    """The load reconciliation and the model-selection table, folded away."""
    reconciliation = queries.load_reconciliation(warehouse)
    if reconciliation is not None and not reconciliation.empty:
        unreconciled = (
            int((~reconciliation["is_reconciled"].astype(bool)).sum())
            if "is_reconciled" in reconciliation
            else 0
        )
        label = "Data loads: every table reconciles"
        if unreconciled:
            label = f"Data loads: {unreconciled} table(s) do not reconcile"
            st.warning(
                f"{unreconciled} loaded table(s) do not reconcile (rows read differ from rows "
                "loaded plus rows quarantined): see Data loads below.",
                icon=":material/warning:",
            )
        with st.expander(label):
            ui.table(reconciliation)
    selection = queries.model_selection(warehouse)
    if selection is not None and not selection.empty:
        with st.expander("Model selection: every algorithm and k tried"):
            ui.table(selection.dropna(axis="columns", how="all"))


if __name__ == "__main__":
    render()
