"""Model comparison: every algorithm and k the segmentation tried, its scores, and the choice."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from apps.explorer import charts, data, queries, ui
from apps.explorer import format as fmt

TITLE = "Model comparison"
MART = "fct_segment_model_selection"

# Scores charted against k, where the mart has them: title, which way is better, what it means.
METRICS: dict[str, tuple[str, str, str]] = {
    "silhouette": (
        "Silhouette",
        "higher is better",
        "How much closer each customer is to its own cluster than to the next one, from -1 to 1, "
        "on one seeded sample.",
    ),
    "davies_bouldin": (
        "Davies-Bouldin",
        "lower is better",
        "How much clusters overlap: the spread of two clusters against the distance between "
        "their centres, averaged over each cluster's closest neighbour.",
    ),
    "stability_jaccard_min": (
        "Stability of the weakest cluster",
        "higher is better",
        "The lowest, over clusters, of the mean bootstrap Jaccard: how well a cluster comes back "
        "when the model is refit on resamples. Below 0.6 a cluster is not to be trusted; from "
        "0.75 it is stable.",
    ),
    "calinski_harabasz": (
        "Calinski-Harabasz",
        "higher is better",
        "Spread between clusters against spread within them.",
    ),
    "bic": (
        "BIC",
        "lower is better",
        "Bayesian information criterion, for the algorithms with a likelihood (mixtures).",
    ),
}
STABILITY_LINES = {0.6: "0.6: trusted above", 0.75: "0.75: stable"}


def render() -> None:
    """The model comparison page."""
    st.title(TITLE)
    st.caption(
        "Every clustering the build fitted (algorithm x number of segments k), how well each "
        "separates the customers and how stable it is, and which one the choice rule picked."
    )
    with ui.warehouse_errors():
        warehouse = data.open_warehouse()
        selection = queries.model_selection(warehouse)
        if selection is None:
            ui.missing_mart(MART, "model comparison")
            return
        if selection.empty:
            st.info(
                "No model was fitted: no customer has any activity up to the as-of date, so "
                "there was nothing to segment."
            )
            return
        _headline(selection)
        shown = _algorithm_filter(selection)
        _charts(shown)
        _table(shown)


def _chosen(selection: pd.DataFrame) -> pd.Series | None:
    chosen = selection[selection["is_chosen"].fillna(False).astype(bool)]
    return None if chosen.empty else chosen.iloc[0]


def _headline(selection: pd.DataFrame) -> None:
    chosen = _chosen(selection)
    if chosen is None:
        st.warning(
            "No fit is marked as chosen in this warehouse: rebuild with `dbt build`.",
            icon=":material/warning:",
        )
        return
    columns = st.columns(5)
    columns[0].metric("Chosen algorithm", str(chosen["algorithm"]))
    columns[1].metric("Segments (k)", fmt.number(chosen["k"]))
    columns[2].metric("Silhouette", fmt.number(chosen.get("silhouette"), 3))
    columns[3].metric(
        "Weakest cluster stability",
        fmt.number(chosen.get("stability_jaccard_min"), 2),
        help=METRICS["stability_jaccard_min"][2],
    )
    columns[4].metric(
        "Customers segmented",
        fmt.number(chosen.get("n_customers")),
        help="Customers with activity; customers without any form segment 0, outside the "
        "clustering.",
    )
    fits = len(selection)
    algorithms = selection["algorithm"].nunique()
    st.caption(
        f"{fmt.number(fits)} fits of {fmt.number(algorithms)} algorithm(s) compared. "
        f"Choice rule: {chosen.get('choice_rule') or fmt.MISSING}."
    )
    notes = selection["note"].dropna().unique() if "note" in selection else []
    for note in notes:
        if str(note).strip():
            st.caption(f"Note: {note}")


def _algorithm_filter(selection: pd.DataFrame) -> pd.DataFrame:
    algorithms = sorted(selection["algorithm"].dropna().unique())
    if len(algorithms) < 2:
        return selection
    picked = st.multiselect("Algorithms", algorithms, default=algorithms, key="models_algorithms")
    return selection[selection["algorithm"].isin(picked or algorithms)]


def _charts(selection: pd.DataFrame) -> None:
    st.subheader("Scores by number of segments")
    available = [
        metric
        for metric in METRICS
        if metric in selection.columns and selection[metric].notna().any()
    ]
    if not available:
        st.info("This warehouse holds no scores for the fits.")
        return
    st.caption(
        "The star marks the chosen fit. "
        + " ".join(f"{METRICS[m][0]}: {METRICS[m][1]}." for m in available)
    )
    for start in range(0, len(available), 2):
        columns = st.columns(2)
        for column, metric in zip(columns, available[start : start + 2], strict=False):
            title, _, explanation = METRICS[metric]
            lines = STABILITY_LINES if metric == "stability_jaccard_min" else None
            with column:
                st.plotly_chart(
                    charts.metric_by_k(selection, metric, title, lines),
                    key=f"models_{metric}",
                )
                st.caption(explanation)


def _table(selection: pd.DataFrame) -> None:
    st.subheader("Every fit")
    frame = selection.drop(columns=["choice_rule", "note"], errors="ignore").copy()
    marks = frame.pop("is_chosen").fillna(False).astype(bool)
    frame.insert(0, "chosen", marks.map({True: "★ chosen", False: ""}))
    ui.table(
        frame.dropna(axis="columns", how="all"),
        labels={
            "k": "k",
            "stability_jaccard_min": "stability (weakest cluster)",
            "stability_jaccard_mean": "stability (mean)",
            "n_fit": "customers fitted",
            "n_customers": "customers segmented",
            "silhouette_sample_size": "silhouette sample",
        },
    )


if __name__ == "__main__":
    render()
