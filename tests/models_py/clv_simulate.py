"""Simulated BG/NBD and Gamma-Gamma customers with known parameters (for the CLV tests)."""

from __future__ import annotations

import numpy as np
import pandas as pd


def simulate_bgnbd(
    n: int,
    r: float,
    alpha: float,
    a: float,
    b: float,
    *,
    max_age_days: int,
    seed: int,
    spend: tuple[float, float, float] | None = None,
    whole_days: bool = True,
) -> pd.DataFrame:
    """One row per customer, as the mart fct_clv_inputs holds it (x, t_x, T in days).

    Purchase rate lambda ~ Gamma(r, alpha) per day, dropout p ~ Beta(a, b) after each repeat
    purchase, T uniform on 1 .. ``max_age_days``. Given N(T) ~ Poisson(lambda T) arrivals and
    K ~ Geometric(p) repeat purchases before dropping out, x = min(K, N) and t_x is the x-th
    of N uniform arrival times on (0, T], i.e. T * Beta(x, N - x + 1). ``spend = (p, q,
    gamma)`` adds Gamma-Gamma spend: nu ~ Gamma(q, gamma), the x repeat amounts ~ Gamma(p,
    nu), so their total ~ Gamma(p x, nu). With ``whole_days``, T and t_x are rounded down to
    days (the mart's resolution); x is then capped at t_x as same-day purchases merge.
    """
    rng = np.random.default_rng(seed)
    rate = rng.gamma(r, 1.0 / alpha, n)
    dropout = rng.beta(a, b, n)
    age = rng.integers(1, max_age_days + 1, n).astype(float)
    arrivals = rng.poisson(rate * age)
    before_dropout = rng.geometric(dropout)
    x = np.minimum(arrivals, before_dropout)
    t_x = np.zeros(n)
    repeat = x > 0
    t_x[repeat] = age[repeat] * rng.beta(x[repeat], arrivals[repeat] - x[repeat] + 1)
    if whole_days:
        t_x = np.floor(t_x)
        x = np.minimum(x, t_x.astype(int))
    frame = pd.DataFrame(
        {
            "customer_id": [f"C{i:07d}" for i in range(n)],
            "repeat_purchases": x.astype(np.int64),
            "days_first_to_last_purchase": t_x,
            "days_since_first_purchase": age,
        }
    )
    if spend is not None:
        p, q, gamma = spend
        nu = rng.gamma(q, 1.0 / gamma, n)
        total = np.zeros(n)
        total[x > 0] = rng.gamma(p * x[x > 0], 1.0 / nu[x > 0])
        frame["repeat_spend"] = np.round(total, 2)
    return frame
