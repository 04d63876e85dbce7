"""Fixtures of the models_py tests."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from segment_frames import customer_frames


@pytest.fixture
def frames() -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray]:
    return customer_frames()
