"""Plotly figures of the explorer, built from the frames that :mod:`apps.explorer.data` returns.

Pure functions (a frame in, a figure out) so that they are tested without Streamlit.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from apps.explorer import format as fmt

# Diverging scale for z-scores: blue below the base, red above, white at the base mean.
Z_SCALE = "RdBu_r"
# Colours saturate at this |z|, so that one extreme feature does not wash out the rest.
Z_CLIP = 2.0
SEQUENTIAL_SCALE = "Blues"
BAR_COLOUR = "#2e6fac"

RFM_MEASURES = {
    "customers": "Customers",
    "net_spend": "Net spend",
    "avg_net_spend": "Average net spend",
}


def _layout(figure: go.Figure, height: int) -> go.Figure:
    figure.update_layout(height=height, margin={"l": 10, "r": 10, "t": 30, "b": 10})
    return figure


def segment_sizes(segments: pd.DataFrame) -> go.Figure:
    """Horizontal bars of customers per segment, labelled with the share of the base.

    ``segments``: segment_id, segment_name, customers, share (one row per segment).
    """
    frame = segments.sort_values("segment_id", ascending=False)
    labels = [
        fmt.segment_label(i, n)
        for i, n in zip(frame["segment_id"], frame["segment_name"], strict=True)
    ]
    texts = [
        f"{fmt.number(c)} · {fmt.percent(s)}"
        for c, s in zip(frame["customers"], frame["share"], strict=True)
    ]
    figure = go.Figure(
        go.Bar(
            x=frame["customers"],
            y=labels,
            orientation="h",
            marker_color=BAR_COLOUR,
            text=texts,
            textposition="auto",
            hovertemplate="%{y}<br>%{x:" + fmt.D3_NUMBER + "} customers<extra></extra>",
        )
    )
    figure.update_xaxes(title="customers", tickformat=fmt.D3_NUMBER)
    return _layout(figure, height=max(220, 40 * len(frame) + 60))


def profile_heatmap(profiles: pd.DataFrame, max_features: int | None = None) -> go.Figure:
    """Segment x feature heatmap of z-scores (segment mean against the base, in base standard
    deviations). Features are ordered by their largest |z| over segments; ``max_features`` keeps
    the most distinctive ones.

    ``profiles``: segment_id, segment_name, feature, z_score, segment_mean, base_mean (one row
    per segment and feature).
    """
    z = profiles.pivot_table(index="segment_id", columns="feature", values="z_score")
    order = z.abs().max().sort_values(ascending=False).index
    if max_features is not None:
        order = order[:max_features]
    z = z[order]
    names = profiles.drop_duplicates("segment_id").set_index("segment_id")["segment_name"]
    labels = [fmt.segment_label(i, names.get(i)) for i in z.index]
    segment_mean = _pivot(profiles, "segment_mean", z)
    base_mean = _pivot(profiles, "base_mean", z)
    hover = np.dstack([segment_mean.to_numpy(), base_mean.to_numpy()])
    show_text = z.shape[1] <= 30
    figure = go.Figure(
        go.Heatmap(
            z=z.to_numpy(),
            x=[fmt.feature_label(f) for f in z.columns],
            y=labels,
            customdata=hover,
            colorscale=Z_SCALE,
            zmid=0,
            zmin=-Z_CLIP,
            zmax=Z_CLIP,
            colorbar={"title": "z-score"},
            text=np.vectorize(lambda v: fmt.signed(v, 1))(z.to_numpy()) if show_text else None,
            texttemplate="%{text}" if show_text else None,
            hovertemplate=(
                "%{y}<br>%{x}<br>z-score %{z:+.2f}<br>segment mean %{customdata[0]:,.2f}"
                "<br>base mean %{customdata[1]:,.2f}<extra></extra>"
            ),
            xgap=1,
            ygap=1,
        )
    )
    figure.update_yaxes(autorange="reversed")
    figure.update_xaxes(tickangle=-45)
    return _layout(figure, height=max(300, 45 * len(labels) + 220))


def _pivot(profiles: pd.DataFrame, column: str, like: pd.DataFrame) -> pd.DataFrame:
    """``column`` pivoted to the shape and order of ``like`` (NaN where absent)."""
    if column not in profiles or profiles[column].isna().all():
        return pd.DataFrame(np.nan, index=like.index, columns=like.columns)
    return profiles.pivot_table(index="segment_id", columns="feature", values=column).reindex(
        index=like.index, columns=like.columns
    )


def rfm_grid(grid: pd.DataFrame, measure: str = "customers") -> go.Figure:
    """5 x 5 heatmap of recency score (rows, 5 = most recent on top) by frequency score
    (columns), coloured by ``measure`` (a key of :data:`RFM_MEASURES`), every measure in hover.

    ``grid``: r_score, f_score, customers, net_spend, avg_net_spend, avg_recency_days,
    avg_frequency; one row per cell.
    """
    cells = grid.set_index(["r_score", "f_score"])
    scores = list(range(1, 6))

    def matrix(column: str) -> np.ndarray:
        return cells[column].unstack("f_score").reindex(index=scores, columns=scores).to_numpy()

    values = matrix(measure).astype(float)
    text_format = fmt.number if measure == "customers" else fmt.compact
    hover = np.dstack(
        [
            matrix(c).astype(float)
            for c in (
                "net_spend",
                "avg_net_spend",
                "avg_recency_days",
                "avg_frequency",
                "customers",
            )
        ]
    )
    figure = go.Figure(
        go.Heatmap(
            z=values,
            x=[f"F{s}" for s in scores],
            y=[f"R{s}" for s in scores],
            customdata=hover,
            colorscale=SEQUENTIAL_SCALE,
            colorbar={"title": RFM_MEASURES[measure]},
            text=np.vectorize(text_format)(values),
            texttemplate="%{text}",
            hovertemplate=(
                "%{y} · %{x}<br>customers %{customdata[4]:,.0f}"
                "<br>net spend %{customdata[0]:,.2f}<br>average net spend %{customdata[1]:,.2f}"
                "<br>average recency %{customdata[2]:,.0f} days"
                "<br>average frequency %{customdata[3]:,.1f}<extra></extra>"
            ),
            xgap=2,
            ygap=2,
        )
    )
    figure.update_xaxes(title="frequency score (5 = most purchase days)", side="bottom")
    # Rows run R1 (bottom) to R5 (top): the most recent customers sit on top.
    figure.update_yaxes(title="recency score (5 = most recent)")
    return _layout(figure, height=460)


def rfm_segments(summary: pd.DataFrame) -> go.Figure:
    """Horizontal bars of customers per RFM segment, largest on top.

    ``summary``: rfm_segment, customers, share, net_spend (one row per RFM segment).
    """
    frame = summary.sort_values("customers")
    figure = go.Figure(
        go.Bar(
            x=frame["customers"],
            y=frame["rfm_segment"].fillna("(none)"),
            orientation="h",
            marker_color=BAR_COLOUR,
            text=[fmt.percent(s) for s in frame["share"]],
            textposition="auto",
            customdata=frame[["net_spend"]].to_numpy(),
            hovertemplate=(
                "%{y}<br>%{x:,.0f} customers<br>net spend %{customdata[0]:,.2f}<extra></extra>"
            ),
        )
    )
    figure.update_xaxes(title="customers", tickformat=fmt.D3_NUMBER)
    return _layout(figure, height=max(260, 32 * len(frame) + 80))


def segment_profile(profile: pd.DataFrame, max_features: int | None = 20) -> go.Figure:
    """One segment against the base: horizontal bars of z-scores, most distinctive on top,
    red above the base and blue below.

    ``profile``: feature, z_score, segment_mean, base_mean (one row per feature).
    """
    frame = profile.dropna(subset=["z_score"])
    frame = frame.reindex(frame["z_score"].abs().sort_values(ascending=False).index)
    if max_features is not None:
        frame = frame.head(max_features)
    frame = frame.iloc[::-1]
    figure = go.Figure(
        go.Bar(
            x=frame["z_score"],
            y=[fmt.feature_label(f) for f in frame["feature"]],
            orientation="h",
            marker_color=["#c0392b" if z > 0 else "#2e6fac" for z in frame["z_score"]],
            customdata=frame[["segment_mean", "base_mean"]].to_numpy(dtype=float),
            hovertemplate=(
                "%{y}<br>z-score %{x:+.2f}<br>segment mean %{customdata[0]:,.2f}"
                "<br>base mean %{customdata[1]:,.2f}<extra></extra>"
            ),
        )
    )
    figure.update_xaxes(title="z-score: segment mean against the base, in base std", zeroline=True)
    return _layout(figure, height=max(260, 26 * len(frame) + 90))


def share_against_base(comparison: pd.DataFrame, category: str) -> go.Figure:
    """Grouped horizontal bars: the share of each category in a segment and in the whole base.

    ``comparison``: ``category`` column, share_segment, share_base (one row per category).
    """
    frame = comparison.sort_values("share_base")
    figure = go.Figure()
    for column, name, colour in (
        ("share_base", "whole base", "#b0b7c3"),
        ("share_segment", "this segment", BAR_COLOUR),
    ):
        figure.add_bar(
            x=frame[column],
            y=frame[category],
            name=name,
            orientation="h",
            marker_color=colour,
            hovertemplate="%{y}<br>" + name + " %{x:.1%}<extra></extra>",
        )
    figure.update_xaxes(title="share of customers", tickformat=".0%")
    figure.update_layout(barmode="group", legend={"orientation": "h", "y": -0.2})
    return _layout(figure, height=max(260, 44 * len(frame) + 100))


# Line colours of the algorithms in the model comparison, in the order they are first seen.
ALGORITHM_COLOURS = ("#2e6fac", "#c0392b", "#27ae60", "#8e44ad", "#d35400")


def metric_by_k(
    selection: pd.DataFrame,
    metric: str,
    title: str,
    reference_lines: dict[float, str] | None = None,
) -> go.Figure:
    """One line per algorithm of a model-selection score against k; the chosen fit is a star.

    ``selection``: algorithm, k, is_chosen and the ``metric`` column (one row per algorithm and
    k). ``reference_lines`` maps a value to a label (thresholds such as a Jaccard of 0.6).
    """
    figure = go.Figure()
    frame = selection.dropna(subset=[metric]).sort_values(["algorithm", "k"])
    for number, (algorithm, fits) in enumerate(frame.groupby("algorithm", sort=False)):
        figure.add_scatter(
            x=fits["k"],
            y=fits[metric],
            name=str(algorithm),
            mode="lines+markers",
            line={"color": ALGORITHM_COLOURS[number % len(ALGORITHM_COLOURS)]},
            hovertemplate=f"{algorithm}<br>k %{{x}}<br>{title} %{{y:.3f}}<extra></extra>",
        )
    chosen = frame[frame["is_chosen"].fillna(False).astype(bool)]
    if not chosen.empty:
        figure.add_scatter(
            x=chosen["k"],
            y=chosen[metric],
            name="chosen",
            mode="markers",
            marker={"symbol": "star", "size": 18, "color": "#f1c40f", "line": {"width": 1}},
            hovertemplate=f"chosen<br>k %{{x}}<br>{title} %{{y:.3f}}<extra></extra>",
        )
    for value, label in (reference_lines or {}).items():
        figure.add_hline(
            y=value,
            line_dash="dash",
            line_color="#7f8c8d",
            annotation_text=label,
            annotation_position="bottom right",
        )
    figure.update_xaxes(title="k (clusters)", dtick=1)
    figure.update_layout(title=title, legend={"orientation": "h", "y": -0.25})
    return _layout(figure, height=340)


def histogram(
    bins: pd.DataFrame, x_title: str, *, x_format: str = ",.2f", tick_format: str = ",~f"
) -> go.Figure:
    """Bars of a histogram counted in SQL; an overflow bin (values at or above the last edge)
    is drawn in grey at the right end. ``x_format`` formats the bin edges in hover labels,
    ``tick_format`` the axis (d3-format strings).

    ``bins``: bin_start, bin_end, customers, is_overflow (one row per bin, in order).
    """
    regular = bins[~bins["is_overflow"]]
    overflow = bins[bins["is_overflow"]]
    figure = go.Figure()
    figure.add_bar(
        x=(regular["bin_start"] + regular["bin_end"]) / 2,
        y=regular["customers"],
        width=regular["bin_end"] - regular["bin_start"],
        marker_color=BAR_COLOUR,
        customdata=regular[["bin_start", "bin_end"]].to_numpy(dtype=float),
        hovertemplate=(
            f"%{{customdata[0]:{x_format}}} to %{{customdata[1]:{x_format}}}"
            "<br>%{y:,.0f} customers<extra></extra>"
        ),
        name="customers",
    )
    if not overflow.empty:
        width = float((regular["bin_end"] - regular["bin_start"]).max()) if len(regular) else 1.0
        figure.add_bar(
            x=overflow["bin_start"] + width / 2,
            y=overflow["customers"],
            width=width,
            marker_color="#b0b7c3",
            customdata=overflow[["bin_start"]].to_numpy(dtype=float),
            hovertemplate=(
                f"%{{customdata[0]:{x_format}}} and above<br>%{{y:,.0f}} customers<extra></extra>"
            ),
            name="top 1%",
        )
    figure.update_xaxes(title=x_title, tickformat=tick_format)
    # Counts can be small: ",~f" shows 0.5 as 0.5 rather than rounding it to 1.
    figure.update_yaxes(title="customers", tickformat=",~f", rangemode="tozero")
    figure.update_layout(showlegend=False, bargap=0.05)
    return _layout(figure, height=320)


def value_by_segment(frame: pd.DataFrame, value: str, title: str) -> go.Figure:
    """Horizontal bars of a value per segment (such as total CLV), labelled with its share.

    ``frame``: segment_id, segment_name, ``value``, clv_share (the segment's share of the total);
    one row per segment.
    """
    ordered = frame.sort_values("segment_id", ascending=False)
    labels = [
        fmt.segment_label(i, n)
        for i, n in zip(ordered["segment_id"], ordered["segment_name"], strict=True)
    ]
    figure = go.Figure(
        go.Bar(
            x=ordered[value],
            y=labels,
            orientation="h",
            marker_color=BAR_COLOUR,
            text=[fmt.percent(s) for s in ordered["clv_share"]],
            textposition="auto",
            hovertemplate="%{y}<br>%{x:,.2f}<extra></extra>",
        )
    )
    figure.update_xaxes(title=title, tickformat=",.0f")
    return _layout(figure, height=max(220, 40 * len(ordered) + 60))
