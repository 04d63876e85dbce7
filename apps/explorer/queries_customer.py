"""The explorer's questions about one customer: profile, RFM, segment, features, CLV.

The customer id always travels as a ``?`` parameter. Each function reads one mart (a point lookup:
DuckDB skips the row groups whose min/max exclude the id) and returns None when the mart is
missing or holds no row for the customer.
"""

from __future__ import annotations

import pandas as pd

from apps.explorer import data

# Columns of dim_customers shown on the lookup page, in order. Gender is left out on purpose: the
# product keeps it for fairness checks, not for looking at one person.
PROFILE_COLUMNS = (
    "region",
    "birth_year",
    "income_annual",
    "credit_score",
    "joined_date",
    "first_booked_date",
    "last_booked_date",
    "transactions_count",
    "has_activity",
)
RFM_COLUMNS = (
    "recency_days",
    "frequency",
    "orders_count",
    "monetary",
    "r_score",
    "f_score",
    "m_score",
    "rfm_score",
    "rfm_segment",
)
# Example ids offered on an empty lookup: at most this many, one per segment.
EXAMPLES = 6


def _row(warehouse: data.Warehouse, mart: str, columns: list[str], customer_id: str) -> dict | None:
    """The customer's row of ``mart`` (only ``columns`` it has), or None."""
    if not warehouse.has(mart):
        return None
    present = [c for c in columns if c in warehouse.marts[mart]]
    if not present:
        return None
    frame = data.query(
        warehouse,
        f"select {', '.join(data.ident(c) for c in present)} from {data.mart(mart)} "
        "where customer_id = ? limit 1",
        [customer_id],
    )
    return None if frame.empty else frame.iloc[0].to_dict()


def profile(warehouse: data.Warehouse, customer_id: str) -> dict | None:
    """The customer's dim_customers row (customer_id and PROFILE_COLUMNS), or None when the
    customer is not in the warehouse."""
    return _row(warehouse, "dim_customers", ["customer_id", *PROFILE_COLUMNS], customer_id)


def rfm(warehouse: data.Warehouse, customer_id: str) -> dict | None:
    """The customer's fct_customer_rfm row (RFM_COLUMNS), or None."""
    return _row(warehouse, "fct_customer_rfm", list(RFM_COLUMNS), customer_id)


def segment(warehouse: data.Warehouse, customer_id: str) -> dict | None:
    """segment_id, segment_name, membership_strength, algorithm and the segment's description,
    or None without a segmentation."""
    row = _row(
        warehouse,
        "fct_customer_segments",
        ["segment_id", "segment_name", "membership_strength", "algorithm"],
        customer_id,
    )
    if row is None or not warehouse.has("dim_segments", "description"):
        return row
    described = data.query(
        warehouse,
        f"select description from {data.mart('dim_segments')} where segment_id = ?",
        [int(row["segment_id"])],
    )
    row["description"] = None if described.empty else described.iloc[0, 0]
    return row


def clv(warehouse: data.Warehouse, customer_id: str) -> dict | None:
    """The customer's fct_customer_clv row (every column), or None."""
    if not warehouse.has("fct_customer_clv"):
        return None
    return _row(
        warehouse, "fct_customer_clv", list(warehouse.marts["fct_customer_clv"]), customer_id
    )


def features(
    warehouse: data.Warehouse, customer_id: str, segment_id: int | None
) -> pd.DataFrame | None:
    """The customer's features against the segment and the base, most unusual first.

    Columns: feature, value (the customer's, booleans as 0/1), segment_mean, base_mean, base_std,
    z_score ((value - base_mean) / base_std). Features without a value for the customer and
    without a base mean (the input cannot support them) are left out. None without the mart.
    """
    if not warehouse.has("fct_customer_features"):
        return None
    columns = [c for c in warehouse.marts["fct_customer_features"] if c != "customer_id"]
    row = _row(warehouse, "fct_customer_features", columns, customer_id)
    if row is None:
        return None
    frame = pd.DataFrame({"feature": list(row), "value": [_number(v) for v in row.values()]})
    frame = frame.merge(_profile(warehouse, segment_id), on="feature", how="left")
    frame["z_score"] = (frame["value"] - frame["base_mean"]) / frame["base_std"].where(
        frame["base_std"] > 0
    )
    frame = frame[frame["value"].notna() | frame["base_mean"].notna()]
    order = frame["z_score"].abs().fillna(-1.0).sort_values(ascending=False, kind="stable").index
    return frame.loc[order].reset_index(drop=True)


def _profile(warehouse: data.Warehouse, segment_id: int | None) -> pd.DataFrame:
    """feature, segment_mean, base_mean, base_std of the segment (empty without profiles)."""
    empty = pd.DataFrame(columns=["feature", "segment_mean", "base_mean", "base_std"])
    if segment_id is None or not warehouse.has(
        "fct_segment_profiles", "segment_mean", "base_mean", "base_std"
    ):
        return empty.astype({c: "float64" for c in empty.columns[1:]})
    return data.query(
        warehouse,
        "select feature, cast(segment_mean as double) as segment_mean, "
        "cast(base_mean as double) as base_mean, cast(base_std as double) as base_std "
        f"from {data.mart('fct_segment_profiles')} where segment_id = ?",
        [segment_id],
    )


def _number(value: object) -> float:
    """A feature value as a float (True -> 1.0), NaN when missing."""
    if value is None or value is pd.NA:
        return float("nan")
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("nan")


def close_matches(warehouse: data.Warehouse, customer_id: str) -> list[str]:
    """Ids equal to ``customer_id`` but for upper/lower case or surrounding spaces (at most 5)."""
    if not warehouse.has("dim_customers"):
        return []
    frame = data.query(
        warehouse,
        f"select customer_id from {data.mart('dim_customers')} "
        "where lower(customer_id) = lower(trim(?)) order by customer_id limit 5",
        [customer_id],
    )
    return [str(v) for v in frame["customer_id"]]


def examples(warehouse: data.Warehouse) -> list[str]:
    """A few customer ids to try: the first id of each segment (segment 0 last), else the first
    ids."""
    if warehouse.has("fct_customer_segments"):
        frame = data.query(
            warehouse,
            "select min(customer_id) as customer_id "
            f"from {data.mart('fct_customer_segments')} group by segment_id "
            "order by segment_id = 0, segment_id limit ?",
            [EXAMPLES],
        )
    elif warehouse.has("dim_customers"):
        frame = data.query(
            warehouse,
            f"select customer_id from {data.mart('dim_customers')} order by customer_id limit ?",
            [EXAMPLES],
        )
    else:
        return []
    return [str(v) for v in frame["customer_id"]]
