"""SQL: read-only queries on the warehouse, within row and time limits."""

from __future__ import annotations

import streamlit as st

from apps.explorer import data, sql_runner, ui
from apps.explorer import format as fmt

TITLE = "SQL"
# The editor starts from the text under START_KEY. Picking an example stores it there and bumps
# the version in the editor's key, which gives a fresh editor holding the example: a widget's
# own state is never written, so the browser cannot lose it between runs.
START_KEY = "finseg_sql_start"
VERSION_KEY = "finseg_sql_version"
# The last query run and its outcome, kept so that a rerun (a click elsewhere) does not run it
# again: a QueryResult, or the QueryError it raised.
OUTCOME_KEY = "finseg_sql_outcome"

EXAMPLES: dict[str, str] = {
    "Segments": (
        "select segment_id, segment_name, customers, round(100 * share, 1) as share_pct\n"
        "from marts.dim_segments\norder by segment_id"
    ),
    "RFM segments with net spend": (
        "select rfm_segment, count(*) as customers, sum(monetary) as net_spend\n"
        "from marts.fct_customer_rfm\ngroup by rfm_segment\norder by customers desc"
    ),
    "Most valuable customers (CLV)": (
        "select customer_id, p_alive, clv_12m\nfrom marts.fct_customer_clv\n"
        "order by clv_12m desc nulls last\nlimit 20"
    ),
    "Columns of a mart": "describe marts.fct_customer_features",
    "Every table": "select schema, name, column_names from (show all tables)",
}
DEFAULT_QUERY = EXAMPLES["Segments"]


def render() -> None:
    """The SQL page."""
    st.title(TITLE)
    st.caption(
        f"Read-only queries on the warehouse: one SELECT at a time, at most "
        f"{fmt.number(sql_runner.MAX_ROWS)} rows and {sql_runner.TIME_LIMIT_SECONDS:g} seconds. "
        "Writes, ATTACH, COPY, INSTALL/LOAD, reading files and changing settings are refused."
    )
    with ui.warehouse_errors():
        warehouse = data.open_warehouse()
        _catalog(warehouse)
        submitted = _editor()
        if submitted is not None:
            st.session_state[OUTCOME_KEY] = (
                submitted,
                warehouse.version,
                _run(warehouse, submitted),
            )
        _outcome(warehouse)


def _catalog(warehouse: data.Warehouse) -> None:
    with st.expander(f"Marts and their columns ({len(warehouse.marts)})"):
        st.markdown(
            "\n".join(
                f"- **{data.MARTS}.{mart}**: {', '.join(columns)}"
                for mart, columns in sorted(warehouse.marts.items())
            )
        )
        st.caption(
            "The other schemas (intermediate, staging, raw, reference) can be read too: "
            "`show all tables` lists everything."
        )


def editor_key() -> str:
    """The key of the query editor in this session (it changes when an example is picked)."""
    return f"sql_text_{st.session_state.get(VERSION_KEY, 0)}"


def _example_chosen() -> None:
    choice = st.session_state.get("sql_example")
    if choice in EXAMPLES:
        st.session_state[START_KEY] = EXAMPLES[choice]
        st.session_state[VERSION_KEY] = st.session_state.get(VERSION_KEY, 0) + 1


def _editor() -> str | None:
    """The query box; returns the query when Run was pressed, else None."""
    st.selectbox(
        "Start from an example",
        list(EXAMPLES),
        index=None,
        placeholder="Pick an example query",
        key="sql_example",
        on_change=_example_chosen,
    )
    with st.form("sql_form", border=False):
        sql = st.text_area(
            "Query",
            value=st.session_state.get(START_KEY, DEFAULT_QUERY),
            key=editor_key(),
            height=180,
        )
        run = st.form_submit_button("Run", icon=":material/play_arrow:", type="primary")
    return sql if run else None


def _run(warehouse: data.Warehouse, sql: str) -> sql_runner.QueryResult | sql_runner.QueryError:
    try:
        return sql_runner.run_sql(
            warehouse.path,
            sql,
            shown_path=warehouse.shown_path,
            max_rows=sql_runner.MAX_ROWS,
            time_limit=sql_runner.TIME_LIMIT_SECONDS,
        )
    except sql_runner.QueryError as error:
        return error


def _outcome(warehouse: data.Warehouse) -> None:
    stored = st.session_state.get(OUTCOME_KEY)
    if stored is None:
        return
    sql, version, outcome = stored
    if version != warehouse.version:
        st.caption("The warehouse was rebuilt after this query ran: run it again for new data.")
    if isinstance(outcome, sql_runner.QueryError):
        _problem(outcome)
        return
    rows = len(outcome.frame)
    st.caption(
        f"{fmt.number(rows)} row{'s' if rows != 1 else ''} in {outcome.seconds:.2f} s.",
        help=sql,
    )
    if outcome.truncated:
        st.warning(
            f"Showing the first {fmt.number(outcome.max_rows)} rows: the query returned more. "
            "Add a LIMIT, a WHERE or an aggregate to see the rest.",
            icon=":material/content_cut:",
        )
    st.dataframe(outcome.frame, hide_index=True, key="sql_result")
    st.download_button(
        "Download CSV",
        data=outcome.frame.to_csv(index=False).encode("utf-8"),
        file_name="finseg_query.csv",
        mime="text/csv",
        icon=":material/download:",
        key="sql_download",
    )


def _problem(error: sql_runner.QueryError) -> None:
    """The refusal or failure as a message; a syntax error's LINE and caret in a code block."""
    message = str(error)
    first, _, context = message.partition("\n")
    if error.severity == "warning":
        st.warning(first, icon=":material/timer:")
    else:
        icon = ":material/block:" if isinstance(error, sql_runner.QueryRefusedError) else None
        st.error(first, icon=icon or ":material/error:")
    if context.strip():
        st.code(context.strip("\n"), language=None)


if __name__ == "__main__":
    render()
