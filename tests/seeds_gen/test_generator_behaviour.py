"""The synthetic bank's behaviour: personas, churn, calendar, and the planted CLV processes."""

from __future__ import annotations

import duckdb
import pytest

from models_py.clv import CalibrationSummary, bgnbd, gamma_gamma, summary_from_frame
from seeds_gen.generator import BankConfig, write_synthetic_bank
from seeds_gen.generator.personas import PERSONAS_BY_NAME

PURCHASE = "category in ('groceries', 'dining', 'travel', 'fuel', 'other') and amount < 0"


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    """A 4,000-customer, 24-month bank with a fixed seed."""
    connection = duckdb.connect(str(tmp_path_factory.mktemp("bank") / "bank.duckdb"))
    write_synthetic_bank(connection, BankConfig(customers=4_000, seed=2024))
    yield connection
    connection.close()


def by_persona(con, sql: str) -> dict[str, float]:
    """Run ``sql`` returning (persona, value) rows; a dict persona -> value."""
    return {persona: value for persona, value in con.execute(sql).fetchall()}


def per_customer(con, expression: str, where: str = "true") -> dict[str, float]:
    """Mean over each persona's customers of ``expression`` aggregated over their transactions
    that match ``where`` (customers without such transactions count as NULL)."""
    return by_persona(con, f"""
        select persona, avg(value) from (
            select customer_id, {expression} as value
            from raw.transactions where {where} group by customer_id
        ) right join raw_truth.customer_personas using (customer_id)
        group by persona
    """)


def top(values: dict[str, float]) -> str:
    return max(values, key=values.get)


def bottom(values: dict[str, float]) -> str:
    return min(values, key=values.get)


def test_personas_differ_where_documented(con):
    # Each persona stands out on the behaviour its docstring names (seed 2024, 4,000 customers).
    age = by_persona(con, "select persona, avg(2025 - birth_year) from raw.customers "
                          "join raw_truth.customer_personas using (customer_id) group by 1")
    assert top(age) == "retiree" and bottom(age) == "young_digital"

    digital = per_customer(con, "avg(case when channel in ('online', 'mobile') then 1 else 0 end)",
                           PURCHASE)
    assert top(digital) == "young_digital"
    ticket = per_customer(con, "avg(-amount)", PURCHASE)
    assert bottom(ticket) == "young_digital" and top(ticket) == "small_business"
    purchases = per_customer(con, "count(*)", PURCHASE)
    assert top(purchases) in {"young_digital", "affluent_saver"}

    salary = per_customer(con, "count(*) filter (where category = 'salary')")
    assert salary["small_business"] == 0
    assert bottom({k: v for k, v in salary.items() if k != "small_business"}) == "disengaged"
    inflows = per_customer(con, "count(*)", "category = 'transfer' and amount > 0 "
                                            "and channel = 'transfer'")
    assert top(inflows) == "small_business"

    cash = per_customer(con, "count(*)", "category = 'cash'")
    assert top(cash) == "retiree"
    transactions = per_customer(con, "count(*)")
    assert bottom(transactions) == "disengaged"

    deposits = by_persona(con, """
        select persona, avg(balance) from raw.balances join raw.accounts using (account_id)
        join raw_truth.customer_personas using (customer_id)
        where product in ('savings', 'term_deposit', 'investment') group by 1""")
    assert top(deposits) == "affluent_saver"

    utilisation = by_persona(con, """
        select persona, avg(-balance / credit_limit) from raw.balances
        join raw.accounts using (account_id) join raw_truth.customer_personas using (customer_id)
        where product = 'credit_card' group by 1""")
    assert top(utilisation) == "credit_revolver"
    assert utilisation["credit_revolver"] > 3 * utilisation["salaried_mass"]
    late = by_persona(con, """
        select persona, avg(case when days_past_due > 0 then 1 else 0 end) from raw.balances
        join raw.accounts using (account_id) join raw_truth.customer_personas using (customer_id)
        where product in ('credit_card', 'personal_loan', 'mortgage') group by 1""")
    assert top(late) in {"credit_revolver", "disengaged"}
    assert late["credit_revolver"] > 3 * late["affluent_saver"]

    churned = by_persona(con, """
        select persona, avg(case when churn_date <= '2025-12-31' then 1 else 0 end)
        from raw_truth.customer_churn join raw_truth.customer_personas using (customer_id)
        group by 1""")
    assert top(churned) == "disengaged"


def test_salary_and_pension_days_follow_the_persona(con):
    # Salaried mass: last business day; retirees: first business day; never on a weekend.
    rows = con.execute("""
        select persona,
            avg(case when cast(booked_at as date) >= last_day(cast(booked_at as date)) - 3
                then 1 else 0 end),
            avg(case when day(booked_at) <= 4 then 1 else 0 end),
            sum(case when dayofweek(booked_at) in (0, 6) then 1 else 0 end)
        from raw.transactions join raw_truth.customer_personas using (customer_id)
        where category = 'salary' group by 1
    """).fetchall()
    stats = {persona: (late, early, weekend) for persona, late, early, weekend in rows}
    assert stats["salaried_mass"][0] == 1.0
    assert stats["retiree"][1] == 1.0
    assert all(weekend == 0 for _, _, weekend in stats.values())


def test_calendar_shows_december_summer_and_weekends(con):
    # More purchases per day in December and on Fridays/Saturdays; more travel in summer.
    december, rest = con.execute(f"""
        select
            count(*) filter (where month(booked_at) = 12) / 62.0,
            count(*) filter (where month(booked_at) <> 12) / (731 - 62.0)
        from raw.transactions where {PURCHASE}
    """).fetchone()
    assert december > 1.15 * rest
    weekend, weekday = con.execute(f"""
        select
            count(*) filter (where dayofweek(booked_at) in (5, 6)),
            count(*) filter (where dayofweek(booked_at) in (1, 2, 3))
        from raw.transactions where {PURCHASE}
    """).fetchone()
    assert weekend / 2 > 1.15 * weekday / 3
    summer, other = con.execute(f"""
        select
            avg(case when category = 'travel' then 1 else 0 end)
                filter (where month(booked_at) in (6, 7, 8)),
            avg(case when category = 'travel' then 1 else 0 end)
                filter (where month(booked_at) not in (6, 7, 8))
        from raw.transactions where {PURCHASE}
    """).fetchone()
    assert summer > 1.5 * other


def test_refunds_fees_and_interest_appear_at_plausible_rates(con):
    # Refunds are 1-5% of purchases and point at their online order; fees and interest are
    # posted on a share of account-months.
    purchases, refunds, linked = con.execute(f"""
        select
            count(*) filter (where {PURCHASE}),
            count(*) filter (where category = 'refund'),
            count(*) filter (where category = 'refund' and order_id is not null)
        from raw.transactions
    """).fetchone()
    assert 0.01 < refunds / purchases < 0.05
    assert linked > 0
    account_months = con.execute("select count(*) from raw.balances").fetchone()[0]
    fees, interest = con.execute("""
        select count(*) filter (where category = 'fee'),
            count(*) filter (where category = 'interest')
        from raw.transactions""").fetchone()
    assert 0.02 < fees / account_months < 0.5
    assert 0.05 < interest / account_months < 0.8


def test_churn_is_preceded_by_an_observable_decline(con):
    # Gradual leavers buy less, get paid less and pay more fees in the 60 days before leaving
    # than in the 60 days before their decline began; some leave abruptly, some stayers dip.
    before, during = con.execute(f"""
        with leavers as (
            select customer_id, churn_date, decline_start_date
            from raw_truth.customer_churn
            where churn_kind = 'gradual' and churn_date <= '2025-12-31'
                and decline_start_date >= '2024-04-01'
        ),
        windows as (
            select
                leavers.customer_id,
                sum(case when t.booked_at >= churn_date - 60 and t.booked_at < churn_date
                    then 1 else 0 end) as recent,
                sum(case when t.booked_at >= decline_start_date - 60
                    and t.booked_at < decline_start_date then 1 else 0 end) as earlier
            from leavers join raw.transactions as t using (customer_id)
            where {PURCHASE} or category = 'salary'
            group by 1
        )
        select sum(earlier), sum(recent) from windows
    """).fetchone()
    assert during < 0.6 * before
    fees_before, fees_during = con.execute("""
        select
            count(*) filter (where t.booked_at >= decline_start_date - 60
                             and t.booked_at < decline_start_date),
            count(*) filter (where t.booked_at >= churn_date - 60 and t.booked_at < churn_date)
        from raw_truth.customer_churn join raw.transactions as t using (customer_id)
        where churn_kind = 'gradual' and churn_date <= '2025-12-31'
            and decline_start_date >= '2024-04-01' and category = 'fee'
    """).fetchone()
    assert fees_during > 1.5 * fees_before
    kinds = dict(con.execute("""
        select coalesce(churn_kind, 'stays'), count(*) from raw_truth.customer_churn group by 1
    """).fetchall())
    assert kinds["abrupt"] > 0 and kinds["gradual"] > kinds["abrupt"]
    dips = con.execute(
        "select count(*) from raw_truth.customer_churn where dip_start_date is not null"
    ).fetchone()[0]
    assert dips > 0.03 * kinds["stays"]


def test_closed_accounts_end_at_zero_on_the_churn_date(con):
    # A leaver's accounts close on the churn date with a zero balance in that month.
    mismatched, nonzero = con.execute("""
        with closed as (
            select a.account_id, a.closed_date, c.churn_date, a.product
            from raw.accounts a join raw_truth.customer_churn c using (customer_id)
            where a.closed_date is not null
        )
        select
            count(*) filter (where product not in ('personal_loan', 'mortgage')
                             and closed_date <> churn_date),
            count(*) filter (where b.balance <> 0)
        from closed join raw.balances b
            on b.account_id = closed.account_id and b.month_end_date = last_day(closed_date)
    """).fetchone()
    assert (mismatched, nonzero) == (0, 0)


def test_planted_latents_follow_the_persona_distributions(con):
    # Per persona, the mean planted purchase rate, dropout probability and spend match the
    # means of their mixing distributions (within 15% on ~500 customers).
    rows = con.execute("""
        select persona, avg(purchase_rate_per_day), avg(dropout_probability), avg(mean_spend)
        from raw_truth.customer_purchase_process group by 1
    """).fetchall()
    for persona, rate, dropout, spend in rows:
        planted = PERSONAS_BY_NAME[persona]
        bg, gg = planted.btyd, planted.spend
        assert rate == pytest.approx(bg.r / bg.alpha, rel=0.15), persona
        assert dropout == pytest.approx(bg.a / (bg.a + bg.b), rel=0.25), persona
        assert spend == pytest.approx(gg.p * gg.gamma / (gg.q - 1), rel=0.15), persona


# --- recovery of the planted BG/NBD and Gamma-Gamma parameters -----------------------------


def calibration_summary(con: duckdb.DuckDBPyConnection) -> CalibrationSummary:
    """x, t_x, T (days) and repeat spend per customer from raw purchases, counting purchase
    days as the CLV marts do, for customers who neither leave nor dip (their purchases thin)."""
    frame = con.execute(f"""
        with purchase_days as (
            select customer_id, cast(booked_at as date) as day, sum(-amount) as spend
            from raw.transactions where {PURCHASE}
            group by all
        ),
        first_days as (
            select customer_id, min(day) as first_day from purchase_days group by 1
        ),
        stayers as (
            select customer_id from raw_truth.customer_churn
            where churn_date is null and dip_start_date is null
        )
        select
            purchase_days.customer_id,
            count(*) - 1 as repeat_purchases,
            date_diff('day', first_day, max(day)) as days_first_to_last_purchase,
            date_diff('day', first_day, date '2025-12-31') as days_since_first_purchase,
            cast(coalesce(sum(spend) filter (where day > first_day), 0) as double)
                as repeat_spend
        from purchase_days
        inner join first_days using (customer_id)
        semi join stayers using (customer_id)
        group by purchase_days.customer_id, first_day
    """).df()
    return summary_from_frame(frame, time_unit="days")


@pytest.mark.slow
@pytest.mark.parametrize(
    ("persona", "seasonality"), [("salaried_mass", False), ("young_digital", True)]
)
def test_planted_btyd_parameters_are_recovered_by_the_clv_fitter(tmp_path, persona, seasonality):
    # models_py.clv fitted on the purchase days of 20,000 customers of one persona (stayers
    # without a dip) recovers the planted parameters: r and alpha within 5%, the mean purchase
    # rate within 3%, the mean dropout probability within 15% (a and b alone within 25%); for
    # Gamma-Gamma q within 5%, p and gamma within 15%, the mean spend within 3%.
    con = duckdb.connect(str(tmp_path / "bank.duckdb"))
    config = BankConfig(
        customers=20_000, seed=5, persona_mix={persona: 1.0}, seasonality=seasonality
    )
    write_synthetic_bank(con, config)
    summary = calibration_summary(con)
    planted = PERSONAS_BY_NAME[persona]

    r, alpha, a, b = bgnbd.fit(summary).estimates
    bg = planted.btyd
    assert r == pytest.approx(bg.r, rel=0.05)
    assert alpha == pytest.approx(bg.alpha, rel=0.05)
    assert r / alpha == pytest.approx(bg.r / bg.alpha, rel=0.03)
    assert a / (a + b) == pytest.approx(bg.a / (bg.a + bg.b), rel=0.15)
    assert a == pytest.approx(bg.a, rel=0.25)
    assert b == pytest.approx(bg.b, rel=0.25)

    p, q, gamma = gamma_gamma.fit(summary.frequency, summary.monetary).estimates
    gg = planted.spend
    assert q == pytest.approx(gg.q, rel=0.05)
    assert p == pytest.approx(gg.p, rel=0.15)
    assert gamma == pytest.approx(gg.gamma, rel=0.15)
    assert p * gamma / (q - 1) == pytest.approx(gg.p * gg.gamma / (gg.q - 1), rel=0.03)
