"""The explorer's questions to the CLV marts (fct_customer_clv, fct_clv_model_fit).

Every figure is aggregated in DuckDB, so a page moves a few hundred numbers whatever the size of
the base. Two queries per horizon do the work, each joining fct_customer_clv to the segment of
every customer once: sums per segment and p_alive_basis (:func:`cells`), and histogram counts per
segment (:func:`binned`). Both are cached, and every figure of a page, for all customers or for
one segment, is cut from them in pandas, so picking another segment runs no query. Horizons are
read from the mart's columns (``clv_<months>m``), since the var clv_horizons_months sets them.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from apps.explorer import data

CLV = "fct_customer_clv"
FIT = "fct_clv_model_fit"
# Bins of the P(alive) histogram over [0, 1], and of the skewed value histograms up to the 99th
# percentile of the whole base (the same scale for every segment; values above it share one
# overflow bin, so that a few large customers do not squash the rest into one bar).
P_ALIVE_BINS = 20
VALUE_BINS = 30
VALUE_TOP_QUANTILE = 0.99

# What each p_alive_basis means, for a person.
BASIS_LABELS = {
    "estimated": "estimated from the purchase history",
    "single_purchase_by_definition": "one purchase only: P(alive) is 1 by the model's definition",
    "no_purchases": "no purchase: not modelled",
    "model_not_fitted": "the model could not be fitted",
}

_HORIZON = re.compile(r"^clv_(\d+)m$")


def horizons(warehouse: data.Warehouse) -> list[int]:
    """Months of the CLV horizons the mart holds (``clv_12m`` -> 12), shortest first."""
    columns = warehouse.marts.get(CLV, ())
    found = [int(m.group(1)) for c in columns if (m := _HORIZON.match(c))]
    return sorted(h for h in found if f"expected_purchases_{h}m" in columns)


def _joined(warehouse: data.Warehouse) -> tuple[str, str, str]:
    """From-clause of fct_customer_clv (``clv``) with each customer's segment, and the
    expressions of segment_id and segment_name (NULL without a segmentation)."""
    source = f"{data.mart(CLV)} as clv"
    if not warehouse.has("fct_customer_segments"):
        return source, "cast(null as integer)", "cast(null as varchar)"
    return (
        f"{source} left join {data.mart('fct_customer_segments')} as segments "
        "on segments.customer_id = clv.customer_id",
        "segments.segment_id",
        "segments.segment_name",
    )


def _value(warehouse: data.Warehouse, column: str, alias: str) -> str:
    """``clv.column`` as a double named ``alias``, or NULL when the mart lacks it."""
    if not warehouse.has(CLV, column):
        return f"cast(null as double) as {alias}"
    return f"cast(clv.{data.ident(column)} as double) as {alias}"


def _aggregates(warehouse: data.Warehouse, horizon: int) -> pd.DataFrame:
    """One join of fct_customer_clv to the segments, grouped by several grouping sets at once:
    (segment_id, p_alive_basis) with counts and sums, and (segment_id, <measure>_bin) for each
    histogram. ``grouping_set`` names the set of a row: 'basis', 'p_alive',
    'expected_purchases' or 'clv'. Cached like every query, so a page runs it once per horizon.
    """
    warehouse.require(CLV)
    source, segment_id, segment_name = _joined(warehouse)
    columns = {"expected_purchases": f"expected_purchases_{horizon}m", "clv": f"clv_{horizon}m"}
    present = {m: c for m, c in columns.items() if warehouse.has(CLV, c)}
    model = "clv.transaction_model" if warehouse.has(CLV, "transaction_model") else "null"
    bins = [
        "case when clv.p_alive_basis = 'estimated' and clv.p_alive is not null then "
        f"cast(least(floor(clv.p_alive * {P_ALIVE_BINS}), {P_ALIVE_BINS - 1}) as integer) "
        "end as p_alive_bin"
    ]
    for measure, column in present.items():
        value, top = f"cast(clv.{data.ident(column)} as double)", f"tops.{measure}_top"
        bins.append(
            f"case when {value} is null then null when {top} > 0 then "
            f"cast(least(floor({value} / {top} * {VALUE_BINS}), {VALUE_BINS}) as integer) "
            f"when {value} > 0 then {VALUE_BINS} else 0 end as {measure}_bin, {top}"
        )
    tops = ", ".join(
        f"quantile_cont(cast({data.ident(c)} as double), {VALUE_TOP_QUANTILE}) as {m}_top"
        for m, c in present.items()
    )
    from_tops = f"cross join (select {tops} from {data.mart(CLV)}) as tops" if present else ""
    measures = ["p_alive", *present]
    sets = ", ".join(["(segment_id, p_alive_basis)", *(f"(segment_id, {m}_bin)" for m in measures)])
    labels = " ".join(f"when grouping({m}_bin) = 0 then '{m}'" for m in measures)
    return data.query(
        warehouse,
        f"with scoped as (select {segment_id} as segment_id, {segment_name} as segment_name, "
        f"clv.p_alive_basis, clv.p_alive, {model} as transaction_model, "
        f"{_value(warehouse, columns['expected_purchases'], 'expected_purchases')}, "
        f"{_value(warehouse, f'expected_spend_{horizon}m', 'expected_spend')}, "
        f"{_value(warehouse, columns['clv'], 'clv')}, {', '.join(bins)} "
        f"from {source} {from_tops}) "
        "select case when grouping(p_alive_basis) = 0 then 'basis' "
        f"{labels} end as grouping_set, segment_id, p_alive_basis, "
        + "".join(f"{m}_bin, " for m in measures)
        + "any_value(segment_name) as segment_name, count(*) as customers, "
        "count(p_alive) as modelled_customers, cast(sum(p_alive) as double) as p_alive_sum, "
        "count(clv) as clv_customers, sum(expected_purchases) as expected_purchases, "
        "sum(expected_spend) as expected_spend, sum(clv) as clv, "
        "any_value(transaction_model) as transaction_model"
        + "".join(f", any_value({m}_top) as {m}_top" for m in present)
        + f" from scoped group by grouping sets ({sets})",
    )


def cells(warehouse: data.Warehouse, horizon: int) -> pd.DataFrame:
    """One row per segment and p_alive_basis: segment_id, segment_name, p_alive_basis, customers,
    modelled_customers (P(alive) not NULL), p_alive_sum, clv_customers (CLV not NULL),
    expected_purchases, expected_spend, clv (sums over ``horizon`` months), transaction_model."""
    frame = _aggregates(warehouse, horizon)
    rows = frame[frame["grouping_set"] == "basis"]
    return rows[
        [
            "segment_id",
            "segment_name",
            "p_alive_basis",
            "customers",
            "modelled_customers",
            "p_alive_sum",
            "clv_customers",
            "expected_purchases",
            "expected_spend",
            "clv",
            "transaction_model",
        ]
    ].reset_index(drop=True)


def _in_scope(frame: pd.DataFrame, segment_id: int | None) -> pd.DataFrame:
    return frame if segment_id is None else frame[frame["segment_id"] == segment_id]


def summary(
    warehouse: data.Warehouse, horizon: int, segment_id: int | None = None
) -> dict[str, object]:
    """Customers, modelled customers, single-purchase customers, mean P(alive) of the estimated
    ones, totals of expected purchases, expected spend and CLV over ``horizon`` months, CLV per
    modelled customer, and the transaction model; all customers or one segment."""
    scoped = _in_scope(cells(warehouse, horizon), segment_id)
    estimated = scoped[scoped["p_alive_basis"] == "estimated"]
    clv_customers = scoped["clv_customers"].sum()
    total_clv = scoped["clv"].sum(min_count=1)
    models = scoped["transaction_model"].dropna()
    return {
        "customers": int(scoped["customers"].sum()),
        "modelled_customers": int(scoped["modelled_customers"].sum()),
        "single_purchase_customers": int(
            scoped.loc[
                scoped["p_alive_basis"] == "single_purchase_by_definition", "customers"
            ].sum()
        ),
        "mean_p_alive": _ratio(
            estimated["p_alive_sum"].sum(), estimated["modelled_customers"].sum()
        ),
        "expected_purchases": scoped["expected_purchases"].sum(min_count=1),
        "expected_spend": scoped["expected_spend"].sum(min_count=1),
        "clv": total_clv,
        "avg_clv": _ratio(total_clv, clv_customers),
        "transaction_model": models.iloc[0] if len(models) else None,
    }


def _ratio(numerator: float, denominator: float) -> float:
    return float(numerator) / float(denominator) if denominator else float("nan")


def basis_counts(
    warehouse: data.Warehouse, horizon: int, segment_id: int | None = None
) -> pd.DataFrame:
    """Customers per p_alive_basis with its meaning: p_alive_basis, meaning, customers, share;
    largest first."""
    scoped = _in_scope(cells(warehouse, horizon), segment_id)
    frame = (
        scoped.groupby("p_alive_basis", as_index=False, dropna=False)["customers"]
        .sum()
        .sort_values(["customers", "p_alive_basis"], ascending=[False, True], ignore_index=True)
    )
    frame["share"] = frame["customers"] / frame["customers"].sum()
    frame.insert(1, "meaning", frame["p_alive_basis"].map(BASIS_LABELS).fillna(""))
    return frame


def by_segment(warehouse: data.Warehouse, horizon: int) -> pd.DataFrame | None:
    """CLV per segment over ``horizon`` months: segment_id, segment_name, customers,
    modelled_customers, mean_p_alive (estimated ones), clv, avg_clv, clv_share. None without a
    segmentation."""
    if not warehouse.has("fct_customer_segments"):
        return None
    frame = cells(warehouse, horizon).dropna(subset=["segment_id"])
    frame = frame.assign(
        estimated_sum=frame["p_alive_sum"].where(frame["p_alive_basis"] == "estimated"),
        estimated_count=frame["modelled_customers"].where(frame["p_alive_basis"] == "estimated"),
    )
    grouped = frame.groupby("segment_id", as_index=False).agg(
        segment_name=("segment_name", "first"),
        customers=("customers", "sum"),
        modelled_customers=("modelled_customers", "sum"),
        estimated_sum=("estimated_sum", "sum"),
        estimated_count=("estimated_count", "sum"),
        clv=("clv", lambda values: values.sum(min_count=1)),
        clv_customers=("clv_customers", "sum"),
    )
    grouped["segment_id"] = grouped["segment_id"].astype("int64")
    grouped["mean_p_alive"] = grouped["estimated_sum"] / grouped["estimated_count"].where(
        grouped["estimated_count"] > 0
    )
    grouped["avg_clv"] = grouped["clv"] / grouped["clv_customers"].where(
        grouped["clv_customers"] > 0
    )
    total = grouped["clv"].sum()
    grouped["clv_share"] = grouped["clv"] / total if total else float("nan")
    return grouped[
        [
            "segment_id",
            "segment_name",
            "customers",
            "modelled_customers",
            "mean_p_alive",
            "clv",
            "avg_clv",
            "clv_share",
        ]
    ]


def binned(warehouse: data.Warehouse, horizon: int) -> pd.DataFrame:
    """Histogram counts per segment: segment_id, measure ('p_alive', 'expected_purchases',
    'clv'), bin, customers, top (the upper edge of the regular bins of the measure).

    P(alive) counts only the estimated customers, in P_ALIVE_BINS bins over [0, 1]. The other
    measures have VALUE_BINS bins from 0 to their VALUE_TOP_QUANTILE over the whole base, then
    bin VALUE_BINS for the values above it.
    """
    frame = _aggregates(warehouse, horizon)
    pieces = []
    for measure in ("p_alive", "expected_purchases", "clv"):
        if f"{measure}_bin" not in frame:
            continue
        rows = frame[(frame["grouping_set"] == measure) & frame[f"{measure}_bin"].notna()]
        pieces.append(
            pd.DataFrame(
                {
                    "segment_id": rows["segment_id"],
                    "measure": measure,
                    "bin": rows[f"{measure}_bin"].astype("int64"),
                    "customers": rows["customers"],
                    "top": 1.0 if measure == "p_alive" else rows[f"{measure}_top"],
                }
            )
        )
    columns = ["segment_id", "measure", "bin", "customers", "top"]
    return pd.concat(pieces, ignore_index=True) if pieces else pd.DataFrame(columns=columns)


def p_alive_bins(
    warehouse: data.Warehouse, horizon: int, segment_id: int | None = None
) -> pd.DataFrame:
    """Histogram of the estimated P(alive) (single-purchase customers, at 1 by definition, are
    left out): bin_start, bin_end, customers, is_overflow; every bin over [0, 1] present."""
    counted = _counts(binned(warehouse, horizon), "p_alive", segment_id)
    return _bins(counted, np.linspace(0.0, 1.0, P_ALIVE_BINS + 1), overflow=False)


def value_bins(
    warehouse: data.Warehouse, horizon: int, measure: str, segment_id: int | None = None
) -> pd.DataFrame | None:
    """Histogram of ``measure`` ('expected_purchases' or 'clv') over ``horizon`` months:
    VALUE_BINS bins from 0 to the base's 99th percentile, then one overflow bin. Columns:
    bin_start, bin_end, customers, is_overflow. None when the mart lacks the column."""
    frame = binned(warehouse, horizon)
    rows = frame[frame["measure"] == measure]
    if rows.empty:
        return None if not warehouse.has(CLV, f"{measure}_{horizon}m") else _empty_bins()
    top = float(rows["top"].iloc[0]) if pd.notna(rows["top"].iloc[0]) else 0.0
    width = top / VALUE_BINS if top > 0 else 1.0
    edges = np.arange(VALUE_BINS + 2) * width
    return _bins(_counts(frame, measure, segment_id), edges, overflow=True)


def _empty_bins() -> pd.DataFrame:
    return pd.DataFrame(
        {"bin_start": [], "bin_end": [], "is_overflow": [], "customers": []}
    ).astype({"customers": "int64", "is_overflow": "bool"})


def _counts(frame: pd.DataFrame, measure: str, segment_id: int | None) -> pd.DataFrame:
    """bin, customers of one measure, for all customers or one segment."""
    rows = _in_scope(frame[frame["measure"] == measure], segment_id)
    return rows.groupby("bin", as_index=False)["customers"].sum()


def _bins(counted: pd.DataFrame, edges: np.ndarray, *, overflow: bool) -> pd.DataFrame:
    """Counts per bin index joined to the bin edges, zero where no customer falls; with
    ``overflow`` the last bin is the open-ended one."""
    count = len(edges) - 1
    frame = pd.DataFrame({"bin": np.arange(count), "bin_start": edges[:-1], "bin_end": edges[1:]})
    frame["is_overflow"] = overflow & (frame["bin"] == count - 1)
    frame = frame.merge(counted, on="bin", how="left")
    frame["customers"] = frame["customers"].fillna(0).astype("int64")
    return frame.drop(columns="bin")


def model_fit(warehouse: data.Warehouse) -> pd.DataFrame | None:
    """fct_clv_model_fit without its covariance lists: model, parameter, estimate, std_error,
    estimate_lower, estimate_upper, log_likelihood, n_fit, n_customers, time_unit, is_converged
    (those the mart has), ordered by model and parameter. None when the mart is missing."""
    if not warehouse.has(FIT):
        return None
    wanted = (
        "model",
        "parameter",
        "estimate",
        "std_error",
        "estimate_lower",
        "estimate_upper",
        "log_likelihood",
        "n_fit",
        "n_customers",
        "time_unit",
        "is_converged",
    )
    columns = [c for c in wanted if c in warehouse.marts[FIT]]
    order = "model, parameter_index" if warehouse.has(FIT, "parameter_index") else "model"
    return data.query(
        warehouse,
        f"select {', '.join(data.ident(c) for c in columns)} from {data.mart(FIT)} "
        f"order by {order}, parameter",
    )
