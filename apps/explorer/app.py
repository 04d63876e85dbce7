"""The finseg explorer: ``streamlit run apps/explorer/app.py`` from the repo root.

Builds the navigation and a sidebar that names the warehouse; each page lives in ``views/`` with
its body in a ``render()`` function. The warehouse path comes from $FINSEG_WAREHOUSE (default
``warehouse/finseg.duckdb``); the explorer only ever opens it read-only.
"""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

try:
    from apps.explorer import data
except ModuleNotFoundError:  # a checkout without `pip install -e .`: import from the repo root
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from apps.explorer import data

PAGES = Path(__file__).parent / "views"


def navigation() -> st.Page:
    """The pages, grouped as a user looks for them."""
    return st.navigation(
        {
            "Segments": [
                st.Page(
                    PAGES / "overview.py",
                    title="Overview",
                    icon=":material/dashboard:",
                    default=True,
                ),
                st.Page(PAGES / "segments.py", title="Segments", icon=":material/groups:"),
                st.Page(PAGES / "models.py", title="Model comparison", icon=":material/compare:"),
            ],
            "Customers": [
                st.Page(PAGES / "rfm.py", title="RFM", icon=":material/grid_on:"),
                st.Page(PAGES / "clv.py", title="CLV", icon=":material/savings:"),
                st.Page(
                    PAGES / "customer.py", title="Customer lookup", icon=":material/person_search:"
                ),
            ],
            "Data": [
                st.Page(PAGES / "sql.py", title="SQL", icon=":material/terminal:"),
            ],
        }
    )


def sidebar() -> None:
    """Which warehouse the explorer reads, and when it was written."""
    with st.sidebar:
        st.caption(f"Warehouse: `{data.configured_path()}`")
        written = data.written_at()
        if written:
            st.caption(f"Built {written}. A rebuilt warehouse shows on the next click.")


def main() -> None:
    st.set_page_config(
        page_title="finseg explorer", page_icon=":material/donut_small:", layout="wide"
    )
    page = navigation()
    sidebar()
    page.run()


if __name__ == "__main__":
    main()
