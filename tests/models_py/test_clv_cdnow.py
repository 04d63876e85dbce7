"""Golden tests: the CLV models against the published fits on the CDNOW 1/10 sample.

The calibration summary is built from the raw purchases, not from the pre-made summary files:
the CDNOW master file, cut to the 2,357 customers of the 1/10 sample (the loader's ``cdnow``
mapping reads the master format; the sample file has another layout), is loaded with the
project's loader into a temporary DuckDB file, and summarised in SQL as PROVENANCE.md derives
it (same-day purchases merged, calibration 1997-01-01 .. 1997-09-30). Published values and
their sources: ../shared/data/cdnow/reference_values.json.
"""

from __future__ import annotations

import json

import duckdb
import numpy as np
import pandas as pd
import pytest
from clv_cdnow import CALIBRATION_END, CDNOW, sample_master_file

from models_py.clv import (
    ClvConfig,
    bgnbd,
    fit_models,
    gamma_gamma,
    pareto_nbd,
    score_customers,
    summary_from_frame,
)
from seeds_gen.loaders import load_files

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not (CDNOW / "CDNOW_master.txt.gz").exists(),
        reason=f"CDNOW files not found under {CDNOW.resolve()}: the shared data sets are "
        "expected in ../shared/data beside the repository",
    ),
]

# The PROVENANCE.md derivation, from raw.transactions as the cdnow mapping loads them
# (amount = -dollar_value, booked at midnight UTC of the day).
SUMMARY_SQL = f"""
with occasions as (
    select customer_id, cast(booked_at as date) as day, sum(-amount) as spend
    from raw.transactions
    where cast(booked_at as date) <= date '{CALIBRATION_END}'
    group by customer_id, cast(booked_at as date)
),
firsts as (
    select customer_id, min(day) as first_day, max(day) as last_day,
        count(*) as occasions, sum(spend) as total_spend
    from occasions
    group by customer_id
)
select
    firsts.customer_id,
    firsts.occasions - 1 as repeat_purchases,
    firsts.last_day - firsts.first_day as days_first_to_last_purchase,
    date '{CALIBRATION_END}' - firsts.first_day as days_since_first_purchase,
    firsts.total_spend - occasions.spend as repeat_spend
from firsts
inner join occasions
    on firsts.customer_id = occasions.customer_id and firsts.first_day = occasions.day
order by firsts.customer_id
"""


@pytest.fixture(scope="module")
def reference() -> dict:
    return json.loads((CDNOW / "reference_values.json").read_text())


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    """fct_clv_inputs-shaped summary of the sample, from the raw file via loader and SQL."""
    folder = tmp_path_factory.mktemp("cdnow")
    con = duckdb.connect(str(folder / "finseg.duckdb"))
    try:
        load_files(con, "cdnow", sample_master_file(folder))
        return con.execute(SUMMARY_SQL).df()
    finally:
        con.close()


@pytest.fixture(scope="module")
def summary(inputs: pd.DataFrame):
    return summary_from_frame(inputs, "weeks")


@pytest.fixture(scope="module")
def fits(summary):
    return fit_models(summary, ClvConfig(time_unit="weeks"))


def test_summary_from_raw_matches_provenance(inputs, summary, reference):
    # 2,357 customers, 2,457 repeat occasions, 946 repeat buyers, mean zbar 35.08.
    published = reference["summary"]
    assert len(summary) == published["customers"]
    assert summary.frequency.sum() == published["sum_x_calibration_repeat_transactions"]
    assert (summary.frequency > 0).sum() == published["customers_with_x_gt_0"]
    mean_zbar = np.nanmean(summary.monetary[summary.frequency > 0])
    assert mean_zbar == pytest.approx(published["mean_zbar_over_x_gt_0"], abs=0.005)


def test_summary_from_raw_matches_the_published_summary_file(inputs, summary):
    # Customer by customer, our x, t_x, T (weeks) and zbar equal the published file's, which
    # rounds to 2 decimals. Its ID is the sample id; the sample file maps master ids to it.
    sample = pd.read_csv(
        CDNOW / "CDNOW_sample.txt", sep=r"\s+", header=None, dtype=str, usecols=[0, 1]
    )
    sample_id = dict(zip(sample[0], sample[1].astype(int), strict=False))
    published = (
        pd.read_csv(CDNOW / "cdnow_customers_summary_with_transactions.csv")
        .set_index("ID")
        .loc[[sample_id[c] for c in inputs["customer_id"]]]
    )
    np.testing.assert_array_equal(summary.frequency, published["x"])
    np.testing.assert_allclose(summary.recency, published["t_x"], atol=0.005 + 1e-9)
    np.testing.assert_allclose(summary.age, published["T"], atol=0.005 + 1e-9)
    zbar = np.nan_to_num(summary.monetary, nan=0.0)
    np.testing.assert_allclose(zbar, published["zbar"], atol=0.005 + 1e-9)


def test_bgnbd_fit_matches_fader_hardie_lee_2005(fits, reference):
    # r, alpha, a, b within 0.005 of the paper; log-likelihood within 0.1.
    published = reference["bg_nbd"]["published"]
    fit = fits["bg_nbd"]
    for name, value in fit.params.items():
        assert value == pytest.approx(published[name], abs=0.005), name
    assert fit.log_likelihood == pytest.approx(published["log_likelihood"], abs=0.1)
    assert fit.converged and fit.n_fit == 2357


def test_bgnbd_conditional_expectation_and_p_alive_of_the_worked_example(fits, reference):
    # x = 2, t_x = 30.43, T = 38.86: 1.226 purchases in the next 39 weeks, P(alive) 0.7266,
    # with the published parameters and with ours.
    example = reference["bg_nbd"]["conditional_expectation"]
    args = (np.array([2.0]), np.array([30.43]), np.array([38.86]))
    published = np.array([reference["bg_nbd"]["published"][k] for k in bgnbd.PARAMETERS])
    for params in (published, fits["bg_nbd"].estimates):
        expected = bgnbd.conditional_expected_purchases(params, 39.0, *args)[0]
        assert expected == pytest.approx(example["expected_transactions"], abs=0.001)
    derived = reference["bg_nbd"]["derived_with_published_params_computed_here"]
    assert bgnbd.p_alive(published, *args)[0] == pytest.approx(
        derived["p_alive_x2_tx30.43_T38.86"], abs=1e-4
    )
    np.testing.assert_allclose(
        bgnbd.expected_purchases(published, np.array([39.0, 78.0])),
        [
            derived["expected_repeat_transactions_new_customer_t39"],
            derived["expected_repeat_transactions_new_customer_t78"],
        ],
        atol=1e-4,
    )
    np.testing.assert_allclose(
        bgnbd.probability_of_purchases(published, 39.0, np.arange(4)),
        derived["p_X39_eq_0_1_2_3"],
        atol=1e-4,
    )


def test_single_purchase_customer_has_frequency_zero_and_is_alive(summary, fits):
    # A CDNOW customer who bought on one day only: x = 0 and P(alive) = 1 under BG/NBD.
    single = summary.frequency == 0
    assert single.sum() == 2357 - 946
    alive = bgnbd.p_alive(fits["bg_nbd"].estimates, summary.frequency, summary.recency, summary.age)
    np.testing.assert_array_equal(alive[single], 1.0)
    assert (alive[~single] < 1).all()


def test_gamma_gamma_fit_matches_fader_hardie_lee_2005(fits, reference):
    # p, q, gamma within 0.02, 0.02, 0.05 of the paper, on the 946 repeat buyers.
    published = reference["gamma_gamma"]["published"]
    fit = fits["gamma_gamma"]
    tolerance = {"p": 0.02, "q": 0.02, "gamma": 0.05}
    for name, value in fit.params.items():
        assert value == pytest.approx(published[name], abs=tolerance[name]), name
    assert fit.n_fit == reference["summary"]["customers_with_x_gt_0"]
    refit = reference["gamma_gamma"]["refit_here"]["log_likelihood"]
    assert fit.log_likelihood == pytest.approx(refit, abs=0.1)


def test_gamma_gamma_expected_spend_with_the_published_parameters(reference):
    # Conditional spend 24.664 (x = 2, zbar 22.35) and 18.917 (x = 1, 11.77); mean 35.22.
    gg = reference["gamma_gamma"]
    params = np.array([gg["published"][k] for k in gamma_gamma.PARAMETERS])
    spend, _ = gamma_gamma.conditional_expected_spend(
        params, np.array([2.0, 1.0]), np.array([22.35, 11.77])
    )
    expected = gg["conditional_expected_spend_with_published_params"]
    np.testing.assert_allclose(
        spend, [expected["x2_zbar22.35"], expected["x1_zbar11.77"]], atol=1e-3
    )
    assert gamma_gamma.population_mean_spend(params) == pytest.approx(
        gg["population_mean_spend_p_gamma_over_q_minus_1"], abs=0.005
    )


def test_pareto_nbd_fit_matches_the_published_implementation_note(fits, reference):
    # r, alpha within 1e-3 relative, s, beta within 1e-2 relative (a flat ridge), LL within 0.1.
    published = reference["pareto_nbd"]["published"]
    fit = fits["pareto_nbd"]
    rtol = {"r": 1e-3, "alpha": 1e-3, "s": 1e-2, "beta": 1e-2}
    for name, value in fit.params.items():
        assert value == pytest.approx(published[name], rel=rtol[name]), name
    assert fit.log_likelihood == pytest.approx(published["log_likelihood"], abs=0.1)
    params = np.array([published[k] for k in pareto_nbd.PARAMETERS])
    alive = pareto_nbd.p_alive(params, np.array([26.0]), np.array([30.86]), np.array([31.0]))
    assert alive[0] == pytest.approx(reference["pareto_nbd"]["p_alive_x26_tx30.86_T31"], abs=1e-4)


def test_cdnow_scores_are_complete(summary, fits):
    # Every customer gets finite scores, spend from Gamma-Gamma or the population mean.
    config = ClvConfig(time_unit="weeks", margin=0.3)
    scored = score_customers(summary, fits["bg_nbd"], fits["gamma_gamma"], config)
    assert len(scored) == 2357
    numeric = scored.select_dtypes("number")
    assert np.isfinite(numeric.to_numpy()).all()
    assert set(scored["spend_estimate_source"]) <= set(gamma_gamma.SPEND_SOURCES)
