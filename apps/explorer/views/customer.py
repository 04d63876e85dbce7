"""Customer lookup: one customer's profile, RFM, segment, CLV and features against the base."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from apps.explorer import data, queries_clv, queries_customer, ui
from apps.explorer import format as fmt

TITLE = "Customer lookup"
# Session key of the id box, which is also the URL parameter that carries the id: a link such as
# `.../customer?customer_id=C000000001` opens the page on that customer.
INPUT_KEY = "customer_id"

_PROFILE_LABELS = {
    "region": "region",
    "birth_year": "birth year",
    "income_annual": "annual income",
    "credit_score": "credit score",
    "joined_date": "customer since",
    "first_booked_date": "first transaction",
    "last_booked_date": "last transaction",
    "transactions_count": "transactions",
    "has_activity": "any activity",
}


def render() -> None:
    """The customer lookup page."""
    st.title(TITLE)
    st.caption("Type a customer id to see everything the marts hold about that customer.")
    with ui.warehouse_errors():
        warehouse = data.open_warehouse()
        warehouse.require("dim_customers")
        customer_id = _id_input(warehouse)
        if not customer_id:
            return
        found = queries_customer.profile(warehouse, customer_id)
        if found is None:
            _not_found(warehouse, customer_id)
            return
        _show(warehouse, customer_id, found)


def _id_input(warehouse: data.Warehouse) -> str:
    """The id box (bound to the URL's ?customer_id=), with example ids to click."""
    customer_id = st.text_input(
        "Customer id", key=INPUT_KEY, placeholder="e.g. C000000001", bind="query-params"
    )
    examples = queries_customer.examples(warehouse)
    if examples:
        columns = st.columns(len(examples) + 1, vertical_alignment="center")
        columns[0].caption("Examples:")
        for column, example in zip(columns[1:], examples, strict=True):
            column.button(
                example,
                key=f"customer_example_{example}",
                on_click=_pick,
                args=(example,),
                type="tertiary",
            )
    return (customer_id or "").strip()


def _pick(customer_id: str) -> None:
    st.session_state[INPUT_KEY] = customer_id


def _not_found(warehouse: data.Warehouse, customer_id: str) -> None:
    matches = queries_customer.close_matches(warehouse, customer_id)
    hint = (
        f" Did you mean {', '.join(f'`{m}`' for m in matches)}?"
        if matches
        else " Ids match exactly, upper and lower case included."
    )
    st.warning(f"No customer `{customer_id}` in this warehouse.{hint}", icon=":material/search:")


def _show(warehouse: data.Warehouse, customer_id: str, found: dict) -> None:
    segment = queries_customer.segment(warehouse, customer_id)
    rfm = queries_customer.rfm(warehouse, customer_id)
    clv = queries_customer.clv(warehouse, customer_id)
    st.header(customer_id)
    _headline(segment, rfm, clv, queries_clv.horizons(warehouse))
    if segment and pd.notna(segment.get("description")):
        st.caption(f"Segment: {segment['description']}")
    left, right = st.columns(2)
    with left:
        st.subheader("Profile")
        _pairs(_profile_rows(found))
        if rfm is not None:
            st.subheader("RFM")
            _pairs(_rfm_rows(rfm))
    with right:
        if clv is not None:
            st.subheader("Lifetime value")
            _clv(clv, queries_clv.horizons(warehouse))
    _features(warehouse, customer_id, segment)


def _headline(
    segment: dict | None, rfm: dict | None, clv: dict | None, horizons: list[int]
) -> None:
    columns = st.columns([3, 1.5, 2, 2, 2])
    if segment is not None:
        columns[0].metric(
            "Segment", fmt.segment_label(segment["segment_id"], segment["segment_name"])
        )
        columns[1].metric(
            "Membership",
            fmt.number(segment.get("membership_strength"), 2),
            help="How firmly the customer belongs to the segment: 0 on the border with another "
            "segment, 1 at its centre.",
        )
    if rfm is not None:
        columns[2].metric("RFM segment", str(rfm.get("rfm_segment") or fmt.MISSING))
        columns[3].metric(
            "Net spend", fmt.money(rfm.get("monetary")), help="Purchases minus refunds."
        )
    if clv is not None and horizons:
        columns[4].metric(
            f"CLV, {horizons[0]} months",
            fmt.money(clv.get(f"clv_{horizons[0]}m")),
            help="Profit (margin x expected spend, discounted) of the next months.",
        )


def _pairs(rows: list[tuple[str, str]]) -> None:
    """A two-column table of labels and formatted values."""
    frame = pd.DataFrame(rows, columns=["field", "value"])
    st.dataframe(frame, hide_index=True)


def _profile_rows(found: dict) -> list[tuple[str, str]]:
    rows = []
    for column, label in _PROFILE_LABELS.items():
        if column not in found or _missing(found[column]):
            continue
        value = found[column]
        if column == "income_annual":
            text = fmt.money(value)
        elif column.endswith("_date"):
            text = f"{pd.Timestamp(value):%Y-%m-%d}"
        elif column == "has_activity":
            text = "yes" if value else "no"
        elif column == "birth_year":
            text = str(int(value))
        elif isinstance(value, str):
            text = value
        else:
            text = fmt.number(value)
        rows.append((label, text))
    return rows


def _rfm_rows(rfm: dict) -> list[tuple[str, str]]:
    scores = rfm.get("rfm_score")
    rows = [
        ("RFM segment", str(rfm.get("rfm_segment") or fmt.MISSING)),
        ("days since last purchase", fmt.days(rfm.get("recency_days"))),
        ("purchase days", fmt.number(rfm.get("frequency"))),
        ("orders", fmt.number(rfm.get("orders_count"))),
        ("net spend", fmt.money(rfm.get("monetary"))),
        ("scores R F M (5 = best)", " ".join(str(scores)) if scores else fmt.MISSING),
    ]
    return [
        (label, value) for label, value in rows if value != fmt.MISSING or label == "RFM segment"
    ]


def _clv(clv: dict, horizons: list[int]) -> None:
    basis = clv.get("p_alive_basis")
    st.metric("P(alive)", fmt.percent(clv.get("p_alive")))
    if basis == "single_purchase_by_definition":
        st.caption(
            "One purchase only: P(alive) is 1 by the model's definition (a customer can drop "
            "out only after a repeat purchase). It is no sign of loyalty."
        )
    elif basis in queries_clv.BASIS_LABELS and basis != "estimated":
        st.caption(f"Not modelled: {queries_clv.BASIS_LABELS[basis]}.")
    rows = []
    for h in horizons:
        rows.append(
            {
                "horizon": f"{h} months",
                "expected purchases": fmt.number(clv.get(f"expected_purchases_{h}m"), 1),
                "expected spend": fmt.money(clv.get(f"expected_spend_{h}m")),
                "CLV": fmt.money(clv.get(f"clv_{h}m")),
                "CLV range": f"{fmt.money(clv.get(f'clv_{h}m_lower'))} to "
                f"{fmt.money(clv.get(f'clv_{h}m_upper'))}",
            }
        )
    if rows and clv.get("p_alive") is not None and not _missing(clv.get("p_alive")):
        st.dataframe(pd.DataFrame(rows), hide_index=True)
        st.caption(
            f"Expected spend per purchase {fmt.money(clv.get('expected_spend_per_purchase'))}. "
            "The CLV range reflects how well the model's parameters are known, not the "
            "customer's own randomness."
        )


def _features(warehouse: data.Warehouse, customer_id: str, segment: dict | None) -> None:
    segment_id = int(segment["segment_id"]) if segment is not None else None
    frame = queries_customer.features(warehouse, customer_id, segment_id)
    if frame is None or frame.empty:
        return
    st.subheader("Features against the segment and the base")
    st.caption(
        "Most unusual first: z-score = (the customer's value - base mean) / base std. Flags "
        "(has_...) are 1 for yes and 0 for no."
    )
    ui.table(
        frame.dropna(axis="columns", how="all"),
        labels={"value": "this customer", "base_std": "base std", "z_score": "z-score"},
    )


def _missing(value: object) -> bool:
    return value is None or (not isinstance(value, str) and bool(pd.isna(value)))


if __name__ == "__main__":
    render()
