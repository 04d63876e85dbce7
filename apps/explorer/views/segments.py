"""Segments: one segment in depth, its profile against the base, its RFM mix and its customers."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from apps.explorer import charts, data, queries, ui
from apps.explorer import format as fmt

TITLE = "Segments"
# Features shown in the profile chart unless the user asks for all of them.
PROFILE_FEATURES = 20


def render() -> None:
    """The segment drill-down page."""
    st.title(TITLE)
    st.caption("Pick a segment: what sets it apart from the whole base, and who is in it.")
    with ui.warehouse_errors():
        warehouse = data.open_warehouse()
        segments = queries.segments(warehouse)
        if segments is None:
            warehouse.require("dim_segments")
        if segments.empty:
            st.info("The segmentation produced no segments for this warehouse.")
            return
        segment_id = ui.segment_picker(segments, key="segments_segment", allow_all=False)
        segment = segments.set_index("segment_id").loc[segment_id]
        _headline(warehouse, segment_id, segment)
        _profile(warehouse, segment_id)
        _rfm_mix(warehouse, segment_id)
        _customers(warehouse, segment_id, int(segment["customers"]))


def _headline(warehouse: data.Warehouse, segment_id: int, segment: pd.Series) -> None:
    st.header(fmt.segment_label(segment_id, segment["segment_name"]))
    if pd.notna(segment.get("description")) and str(segment["description"]).strip():
        st.markdown(str(segment["description"]))
    spend = queries.segment_spend(warehouse, segment_id) or {}
    columns = st.columns(4)
    columns[0].metric("Customers", fmt.number(segment["customers"]))
    columns[1].metric("Share of the base", fmt.percent(segment["share"]))
    columns[2].metric(
        "Net spend per customer",
        fmt.money(spend.get("avg_net_spend")),
        help=f"Purchases minus refunds; the segment in total: {fmt.money(spend.get('net_spend'))}.",
    )
    columns[3].metric(
        "Mean membership",
        fmt.number(segment.get("membership_strength"), 2),
        help="How firmly customers belong to the segment, from 0 (on the border with another "
        "segment) to 1 (at its centre).",
    )
    if segment_id == 0:
        st.caption(
            "Segment 0 holds customers without any transaction up to the as-of date; the "
            "clustering does not see them."
        )


def _profile(warehouse: data.Warehouse, segment_id: int) -> None:
    st.subheader("Profile against the whole base")
    profiles = queries.segment_profiles(warehouse)
    if profiles is None:
        ui.missing_mart("fct_segment_profiles", "profile")
        return
    profile = profiles[profiles["segment_id"] == segment_id].dropna(subset=["z_score"])
    if profile.empty:
        st.info("This segment has no feature profile (segment 0 and empty segments have none).")
        return
    show_all = False
    if len(profile) > PROFILE_FEATURES:
        show_all = st.toggle(
            f"Show all {len(profile)} features (the {PROFILE_FEATURES} most distinctive are shown)",
            key="segments_all_features",
        )
    figure = charts.segment_profile(profile, None if show_all else PROFILE_FEATURES)
    st.plotly_chart(figure, key="segment_profile")
    with st.expander("Profile figures"):
        table = profile.assign(abs_z=profile["z_score"].abs()).sort_values("abs_z", ascending=False)
        ui.table(
            table[["feature", "segment_mean", "base_mean", "base_std", "z_score"]].dropna(
                axis="columns", how="all"
            ),
            labels={"base_std": "base std", "z_score": "z-score"},
        )


def _rfm_mix(warehouse: data.Warehouse, segment_id: int) -> None:
    if not (warehouse.has("fct_customer_rfm") and warehouse.has("fct_customer_segments")):
        return
    st.subheader("RFM segments in this segment")
    in_segment = queries.rfm_segment_summary(warehouse, segment_id)
    base = queries.rfm_segment_summary(warehouse)
    comparison = base[["rfm_segment", "share"]].merge(
        in_segment[["rfm_segment", "share"]],
        on="rfm_segment",
        how="left",
        suffixes=("_base", "_segment"),
    )
    comparison["share_segment"] = comparison["share_segment"].fillna(0.0)
    st.plotly_chart(charts.share_against_base(comparison, "rfm_segment"), key="segment_rfm_mix")


def _customers(warehouse: data.Warehouse, segment_id: int, customers: int) -> None:
    st.subheader("Customers")
    if not warehouse.has("fct_customer_segments"):
        ui.missing_mart("fct_customer_segments", "customer list")
        return
    preview = queries.segment_customers(warehouse, segment_id)
    if preview.empty:
        st.info("No customers in this segment.")
        return
    shown = len(preview)
    if customers > shown:
        st.caption(
            f"Below: the {fmt.number(shown)} strongest members of {fmt.number(customers)}; "
            "the downloads hold them all."
        )
    ui.segment_downloads(warehouse, segment_id, customers)
    # The segment is the one picked above; the downloads keep its id and name on every row.
    ui.table(
        preview.drop(columns=["segment_id", "segment_name"], errors="ignore"),
        labels={
            "customer_id": "customer",
            "membership_strength": "membership",
            "rfm_segment": "RFM segment",
            "rfm_score": "RFM score",
            "monetary": "net spend",
        },
    )


if __name__ == "__main__":
    render()
