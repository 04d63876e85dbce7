"""User-facing entry points: the `finseg` command and the Streamlit explorer."""
