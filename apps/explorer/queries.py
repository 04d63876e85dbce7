"""The explorer's questions to the marts: one function per figure or table a page shows.

Every function takes a :class:`data.Warehouse` (one version of the file and its catalog) and reads
through :func:`data.query` (cached) or :func:`data.run_arrow` (downloads, uncached). Optional marts
and columns are checked against the catalog: a function returns None, or leaves a column out,
where the warehouse lacks them.
"""

from __future__ import annotations

import io

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from apps.explorer import data

# Columns of a segment's customer list, in order, where the warehouse has them. Gender is left
# out on purpose: the product keeps it for fairness checks, not for targeting lists.
CUSTOMER_LIST_COLUMNS: dict[str, tuple[str, ...]] = {
    "fct_customer_segments": ("segment_id", "segment_name", "membership_strength"),
    "fct_customer_rfm": ("rfm_segment", "rfm_score", "recency_days", "frequency", "monetary"),
    "dim_customers": (
        "region",
        "birth_year",
        "income_annual",
        "credit_score",
        "joined_date",
        "first_booked_date",
        "last_booked_date",
        "transactions_count",
    ),
}

# Rows of a segment's customer list shown on a page; the downloads hold every customer.
CUSTOMER_LIST_PREVIEW_ROWS = 1_000


# --- Overview -------------------------------------------------------------------------------


def customer_counts(warehouse: data.Warehouse) -> dict[str, object]:
    """Customers in the base, with activity, with purchases; net spend; the last booked date."""
    counts: dict[str, object] = {}
    if warehouse.has("dim_customers"):
        active = (
            "count(*) filter (where has_activity)"
            if warehouse.has("dim_customers", "has_activity")
            else "null"
        )
        last_booked = (
            "max(last_booked_date)"
            if warehouse.has("dim_customers", "last_booked_date")
            else "null"
        )
        row = data.query(
            warehouse,
            f"select count(*) as customers, {active} as active_customers, "
            f"{last_booked} as last_booked_date from {data.mart('dim_customers')}",
        ).iloc[0]
        counts.update(row.to_dict())
    if warehouse.has("fct_customer_rfm"):
        row = data.query(
            warehouse,
            "select count(*) as rfm_customers, "
            "count(*) filter (where r_score is not null) as purchasing_customers, "
            "cast(sum(monetary) as double) as net_spend "
            f"from {data.mart('fct_customer_rfm')}",
        ).iloc[0]
        counts.update(row.to_dict())
        counts.setdefault("customers", counts["rfm_customers"])
    return counts


def segments(warehouse: data.Warehouse) -> pd.DataFrame | None:
    """One row per segment: segment_id, segment_name, customers, share, description,
    membership_strength (mean). From dim_segments, else counted from fct_customer_segments;
    None when the warehouse has neither."""
    if warehouse.has("dim_segments"):
        share = (
            "share"
            if warehouse.has("dim_segments", "share")
            else ("customers / sum(customers) over ()")
        )
        description = "description" if warehouse.has("dim_segments", "description") else "null"
        frame = data.query(
            warehouse,
            "select segment_id, segment_name, customers, "
            f"cast({share} as double) as share, {description} as description "
            f"from {data.mart('dim_segments')} order by segment_id",
        )
    elif warehouse.has("fct_customer_segments"):
        frame = data.query(
            warehouse,
            "select segment_id, any_value(segment_name) as segment_name, "
            "count(*) as customers, "
            "cast(count(*) / sum(count(*)) over () as double) as share, "
            "null as description "
            f"from {data.mart('fct_customer_segments')} group by segment_id order by segment_id",
        )
    else:
        return None
    if warehouse.has("fct_customer_segments", "membership_strength"):
        strength = data.query(
            warehouse,
            "select segment_id, avg(membership_strength) as membership_strength "
            f"from {data.mart('fct_customer_segments')} group by segment_id",
        )
        frame = frame.merge(strength, on="segment_id", how="left")
    else:
        frame["membership_strength"] = float("nan")
    return frame


def segment_profiles(warehouse: data.Warehouse) -> pd.DataFrame | None:
    """fct_segment_profiles without features whose z-score is NULL for every segment.

    Columns: segment_id, segment_name, feature, segment_mean, base_mean, base_std, z_score.
    None when the mart is missing.
    """
    if not warehouse.has("fct_segment_profiles"):
        return None
    columns = ", ".join(
        data.optional_column(warehouse, "fct_segment_profiles", column, cast="double")
        for column in ("segment_mean", "base_mean", "base_std")
    )
    name = data.optional_column(warehouse, "fct_segment_profiles", "segment_name")
    return data.query(
        warehouse,
        f"select segment_id, {name}, feature, {columns}, "
        "cast(z_score as double) as z_score "
        f"from {data.mart('fct_segment_profiles')} "
        "where feature in (select feature from "
        f"{data.mart('fct_segment_profiles')} group by feature having count(z_score) > 0) "
        "order by segment_id, feature",
    )


def chosen_model(warehouse: data.Warehouse) -> dict[str, object] | None:
    """The row of fct_segment_model_selection marked is_chosen, or None."""
    if not warehouse.has("fct_segment_model_selection"):
        return None
    frame = data.query(
        warehouse,
        f"select * from {data.mart('fct_segment_model_selection')} where is_chosen limit 1",
    )
    return None if frame.empty else frame.iloc[0].to_dict()


def model_selection(warehouse: data.Warehouse) -> pd.DataFrame | None:
    """fct_segment_model_selection ordered by algorithm and k, or None."""
    if not warehouse.has("fct_segment_model_selection"):
        return None
    return data.query(
        warehouse, f"select * from {data.mart('fct_segment_model_selection')} order by algorithm, k"
    )


def load_reconciliation(warehouse: data.Warehouse) -> pd.DataFrame | None:
    """fct_load_reconciliation (load x table), or None."""
    if not warehouse.has("fct_load_reconciliation"):
        return None
    return data.query(warehouse, f"select * from {data.mart('fct_load_reconciliation')}")


# --- RFM ------------------------------------------------------------------------------------


def _rfm_scope(warehouse: data.Warehouse, segment_id: int | None) -> tuple[str, list[object]]:
    """A from-clause over fct_customer_rfm named ``rfm``, limited to a segment when one is given."""
    source = f"{data.mart('fct_customer_rfm')} as rfm"
    if segment_id is None:
        return source, []
    warehouse.require("fct_customer_segments")
    return (
        f"{source} inner join {data.mart('fct_customer_segments')} as segments "
        "on rfm.customer_id = segments.customer_id and segments.segment_id = ?",
        [segment_id],
    )


def rfm_grid(warehouse: data.Warehouse, segment_id: int | None = None) -> pd.DataFrame:
    """The 5 x 5 R x F grid: r_score, f_score, customers, net_spend, avg_net_spend,
    avg_recency_days, avg_frequency; every cell present (zero customers where none)."""
    warehouse.require("fct_customer_rfm")
    source, params = _rfm_scope(warehouse, segment_id)
    frame = data.query(
        warehouse,
        "select rfm.r_score, rfm.f_score, count(*) as customers, "
        "cast(sum(rfm.monetary) as double) as net_spend, "
        "cast(avg(rfm.monetary) as double) as avg_net_spend, "
        "cast(avg(rfm.recency_days) as double) as avg_recency_days, "
        "cast(avg(rfm.frequency) as double) as avg_frequency "
        f"from {source} "
        "where rfm.r_score is not null and rfm.f_score is not null "
        "group by rfm.r_score, rfm.f_score",
        params,
    )
    cells = pd.MultiIndex.from_product([range(1, 6), range(1, 6)], names=["r_score", "f_score"])
    frame = frame.astype({"r_score": "int64", "f_score": "int64"})
    frame = frame.set_index(["r_score", "f_score"]).reindex(cells).reset_index()
    frame["customers"] = frame["customers"].fillna(0).astype("int64")
    return frame


def rfm_segment_summary(warehouse: data.Warehouse, segment_id: int | None = None) -> pd.DataFrame:
    """One row per rfm_segment: customers, share, net_spend, avg_net_spend, avg_recency_days,
    avg_frequency; largest first."""
    warehouse.require("fct_customer_rfm")
    source, params = _rfm_scope(warehouse, segment_id)
    return data.query(
        warehouse,
        "select rfm.rfm_segment, count(*) as customers, "
        "cast(count(*) / sum(count(*)) over () as double) as share, "
        "cast(sum(rfm.monetary) as double) as net_spend, "
        "cast(avg(rfm.monetary) as double) as avg_net_spend, "
        "cast(avg(rfm.recency_days) as double) as avg_recency_days, "
        "cast(avg(rfm.frequency) as double) as avg_frequency "
        f"from {source} group by rfm.rfm_segment order by customers desc, rfm.rfm_segment",
        params,
    )


def rfm_totals(warehouse: data.Warehouse, segment_id: int | None = None) -> dict[str, object]:
    """Customers, purchasing customers, net spend and medians of recency and frequency."""
    warehouse.require("fct_customer_rfm")
    source, params = _rfm_scope(warehouse, segment_id)
    return (
        data.query(
            warehouse,
            "select count(*) as customers, "
            "count(*) filter (where rfm.r_score is not null) as purchasing_customers, "
            "cast(sum(rfm.monetary) as double) as net_spend, "
            "cast(median(rfm.recency_days) as double) as median_recency_days, "
            "cast(median(rfm.frequency) filter (where rfm.frequency > 0) as double) "
            "as median_frequency "
            f"from {source}",
            params,
        )
        .iloc[0]
        .to_dict()
    )


# --- Segment drill-down ---------------------------------------------------------------------


def segment_spend(warehouse: data.Warehouse, segment_id: int) -> dict[str, object] | None:
    """Net spend (total and per customer) of a segment's customers, or None without RFM."""
    if not (warehouse.has("fct_customer_rfm") and warehouse.has("fct_customer_segments")):
        return None
    source, params = _rfm_scope(warehouse, segment_id)
    return (
        data.query(
            warehouse,
            "select cast(sum(rfm.monetary) as double) as net_spend, "
            "cast(avg(rfm.monetary) as double) as avg_net_spend, "
            "count(*) filter (where rfm.r_score is not null) as purchasing_customers "
            f"from {source}",
            params,
        )
        .iloc[0]
        .to_dict()
    )


def _customer_list_sql(warehouse: data.Warehouse) -> str:
    """Select of one segment's customers (parameter: segment_id), strongest members first."""
    warehouse.require("fct_customer_segments")
    columns = ["segments.customer_id"]
    joins = []
    for source, wanted in CUSTOMER_LIST_COLUMNS.items():
        if not warehouse.has(source):
            continue
        alias = {"fct_customer_segments": "segments", "fct_customer_rfm": "rfm"}.get(
            source, "customers"
        )
        columns += [f"{alias}.{data.ident(c)}" for c in wanted if c in warehouse.marts[source]]
        if alias != "segments":
            joins.append(
                f"left join {data.mart(source)} as {alias} "
                f"on {alias}.customer_id = segments.customer_id"
            )
    order = (
        "segments.membership_strength desc nulls last, segments.customer_id"
        if warehouse.has("fct_customer_segments", "membership_strength")
        else "segments.customer_id"
    )
    return (
        f"select {', '.join(columns)} from {data.mart('fct_customer_segments')} as segments "
        f"{' '.join(joins)} where segments.segment_id = ? order by {order}"
    )


def segment_customers(
    warehouse: data.Warehouse, segment_id: int, limit: int | None = CUSTOMER_LIST_PREVIEW_ROWS
) -> pd.DataFrame:
    """A segment's customers with their RFM and descriptive columns, strongest members first;
    columns that are NULL for every listed customer are left out."""
    sql = _customer_list_sql(warehouse)
    params: list[object] = [segment_id]
    if limit is not None:
        sql += " limit ?"
        params.append(limit)
    frame = data.query(warehouse, sql, params)
    return frame.dropna(axis="columns", how="all") if not frame.empty else frame


def _full_customer_list(warehouse: data.Warehouse, segment_id: int) -> pa.Table:
    """Every customer of a segment, read uncached (downloads are built only when asked for),
    without the columns that are NULL for all of them."""
    table = data.run_arrow(
        warehouse.path, warehouse.shown_path, _customer_list_sql(warehouse), [segment_id]
    )
    if table.num_rows == 0:
        return table
    empty = [name for name in table.column_names if table[name].null_count == table.num_rows]
    return table.drop_columns(empty)


def segment_customers_csv(warehouse: data.Warehouse, segment_id: int) -> bytes:
    """Every customer of a segment as CSV (UTF-8, header row, money with its two decimals),
    columns as on the page."""
    buffer = io.BytesIO()
    # Column names are plain identifiers from the catalog: no quotes needed in the header.
    options = pa_csv.WriteOptions(quoting_style="needed", quoting_header="none")
    pa_csv.write_csv(_full_customer_list(warehouse, segment_id), buffer, write_options=options)
    return buffer.getvalue()


def segment_customers_parquet(warehouse: data.Warehouse, segment_id: int) -> bytes:
    """Every customer of a segment as Parquet (money as DECIMAL), columns as on the page."""
    buffer = io.BytesIO()
    pq.write_table(_full_customer_list(warehouse, segment_id), buffer)
    return buffer.getvalue()
