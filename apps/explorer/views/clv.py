"""CLV: P(alive), expected purchases and customer lifetime value, and the fitted models."""

from __future__ import annotations

import streamlit as st

from apps.explorer import charts, data, queries, queries_clv, ui
from apps.explorer import format as fmt

TITLE = "CLV"


def render() -> None:
    """The CLV page."""
    st.title(TITLE)
    st.caption(
        "What customers are worth: the probability that each is still buying (P(alive)), the "
        "purchases and spend to expect, and the profit they bring over a horizon (CLV), from the "
        "buy-till-you-die models fitted at build time."
    )
    with ui.warehouse_errors():
        warehouse = data.open_warehouse()
        if not warehouse.has(queries_clv.CLV):
            ui.missing_mart(queries_clv.CLV, "CLV")
            return
        horizons = queries_clv.horizons(warehouse)
        if not horizons:
            st.error(
                f"`{data.MARTS}.{queries_clv.CLV}` has no `clv_<months>m` column: rebuild it "
                "with `dbt build`.",
                icon=":material/error:",
            )
            return
        segment_id, horizon = _filters(warehouse, horizons)
        totals = queries_clv.summary(warehouse, horizon, segment_id)
        _headline(totals, horizon)
        _p_alive(warehouse, horizon, segment_id, totals)
        _values(warehouse, segment_id, horizon)
        _by_segment(warehouse, horizon, segment_id)
        _fit(warehouse)


def _filters(warehouse: data.Warehouse, horizons: list[int]) -> tuple[int | None, int]:
    left, right = st.columns([2, 1])
    segment_id = None
    segments = queries.segments(warehouse)
    if segments is not None and not segments.empty and warehouse.has("fct_customer_segments"):
        with left:
            segment_id = ui.segment_picker(
                segments, key="clv_segment", allow_all=True, label="Customers"
            )
    with right:
        horizon = st.radio(
            "Horizon",
            horizons,
            format_func=lambda months: f"{months} months",
            horizontal=True,
            key="clv_horizon",
        )
    return segment_id, int(horizon)


def _headline(totals: dict[str, object], horizon: int) -> None:
    columns = st.columns(5)
    columns[0].metric(
        "Customers modelled",
        fmt.number(totals["modelled_customers"]),
        help=f"Customers with at least one purchase, of {fmt.number(totals['customers'])}.",
    )
    columns[1].metric(
        "Mean P(alive)",
        fmt.percent(totals["mean_p_alive"]),
        help="Of the customers whose P(alive) is estimated from repeat purchases "
        "(single-purchase customers left out, see below).",
    )
    columns[2].metric(
        f"Expected purchases, {horizon} months",
        fmt.compact(totals["expected_purchases"]),
        help=f"Purchase days to expect in the {horizon} months after the as-of date: "
        f"{fmt.number(totals['expected_purchases'], 1)}.",
    )
    columns[3].metric(
        f"CLV, {horizon} months",
        fmt.compact(totals["clv"]),
        help=f"Profit (margin x expected spend, discounted) of the next {horizon} months, all "
        f"customers here: {fmt.money(totals['clv'])}.",
    )
    columns[4].metric(f"CLV per customer, {horizon} months", fmt.money(totals["avg_clv"]))


def _p_alive(warehouse: data.Warehouse, horizon: int, segment_id: int | None, totals: dict) -> None:
    st.subheader("P(alive): who is still buying")
    single = int(totals["single_purchase_customers"] or 0)
    model = totals.get("transaction_model") or "bg_nbd"
    if model == "bg_nbd" or single:
        st.info(
            "**A customer with a single purchase has P(alive) = 1 by the model's definition.** "
            "BG/NBD lets a customer drop out only right after a repeat purchase, so one who "
            "bought once has, for the model, not dropped out yet: read that 1 as *no evidence "
            f"yet*, not as loyalty. {fmt.number(single)} customer(s) here are in that case; the "
            "chart leaves them out.",
            icon=":material/info:",
        )
    left, right = st.columns([3, 2])
    with left:
        bins = queries_clv.p_alive_bins(warehouse, horizon, segment_id)
        if bins["customers"].sum() == 0:
            st.info("No customer here has an estimated P(alive).")
        else:
            figure = charts.histogram(bins, "P(alive)", x_format=".0%", tick_format=".0%")
            st.plotly_chart(figure, key="clv_p_alive")
    with right:
        ui.table(
            queries_clv.basis_counts(warehouse, horizon, segment_id),
            labels={"p_alive_basis": "P(alive) basis"},
        )


def _values(warehouse: data.Warehouse, segment_id: int | None, horizon: int) -> None:
    st.subheader(f"Expected purchases and CLV over {horizon} months")
    left, right = st.columns(2)
    for column, measure, title in (
        (left, "expected_purchases", "expected purchases"),
        (right, "clv", "CLV"),
    ):
        bins = queries_clv.value_bins(warehouse, horizon, measure, segment_id)
        with column:
            if bins is None or bins["customers"].sum() == 0:
                st.info(f"No {title} to show here.")
                continue
            st.plotly_chart(charts.histogram(bins, title), key=f"clv_{measure}_{horizon}m")
    st.caption(
        "Bars run from 0 to the 99th percentile of the whole base (the same scale for every "
        "segment); the grey bar on the right holds the customers above it. Customers without a "
        "purchase are not modelled and not counted."
    )


def _by_segment(warehouse: data.Warehouse, horizon: int, segment_id: int | None) -> None:
    frame = queries_clv.by_segment(warehouse, horizon)
    if frame is None or frame.empty:
        return
    st.subheader("CLV by segment")
    if segment_id is not None:
        st.caption("All segments, whichever is picked above.")
    left, right = st.columns([2, 3])
    with left:
        figure = charts.value_by_segment(frame.fillna({"clv": 0.0}), "clv", f"CLV {horizon}m")
        st.plotly_chart(figure, key="clv_by_segment")
    with right:
        labelled = frame.copy()
        labelled.insert(
            0,
            "segment",
            [
                fmt.segment_label(i, n)
                for i, n in zip(labelled["segment_id"], labelled["segment_name"], strict=True)
            ],
        )
        ui.table(
            labelled.drop(columns=["segment_id", "segment_name"]),
            labels={
                "modelled_customers": "with purchases",
                "mean_p_alive": "mean P(alive)",
                "clv": f"CLV {horizon}m",
                "avg_clv": "CLV per customer",
                "clv_share": "share of CLV",
            },
        )


def _fit(warehouse: data.Warehouse) -> None:
    st.subheader("Fitted models")
    fit = queries_clv.model_fit(warehouse)
    if fit is None:
        ui.missing_mart(queries_clv.FIT, "fitted parameters")
        return
    if fit.empty:
        st.info("No model could be fitted (too few customers with purchases).")
        return
    if "is_converged" in fit and not fit["is_converged"].fillna(True).astype(bool).all():
        st.warning(
            "A fit did not converge: read its estimates with care (the dbt log says more).",
            icon=":material/warning:",
        )
    st.caption(
        "Maximum-likelihood estimates: BG/NBD and Pareto/NBD (purchase counts and dropout; "
        "alpha and beta in the time unit shown) and Gamma-Gamma (spend per purchase). For "
        "comparison, the CDNOW literature fit of BG/NBD in weeks: r 0.243, alpha 4.414, a 0.793, "
        "b 2.426."
    )
    ui.table(
        fit,
        labels={
            "std_error": "std error",
            "estimate_lower": "lower",
            "estimate_upper": "upper",
            "log_likelihood": "log-likelihood",
            "n_fit": "customers fitted",
            "n_customers": "customers",
        },
    )


if __name__ == "__main__":
    render()
