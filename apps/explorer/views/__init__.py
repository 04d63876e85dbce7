"""Pages of the explorer: one module per page, each with a ``render()`` function."""
