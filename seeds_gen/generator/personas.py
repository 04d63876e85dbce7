"""The personas of the synthetic bank: who the customers are and how each kind banks.

Every customer belongs to one persona (kept in ``raw_truth.customer_personas``); the persona's
parameters below shape everything the customer does. Amounts are in EUR, rates per year unless
the name says otherwise. The differences that a segmentation should find, persona by persona:

========================  ==========================================================================
persona                   what stands out
========================  ==========================================================================
salaried_mass             salary on the last business day, renter or small mortgage, groceries and
                          fuel at the POS, some cash, a card paid off most months, small savings.
affluent_saver            high salary and December bonus, savings + term deposit + investment
                          (balances growing), travel and dining, online, card paid in full.
young_digital             young, mid-month pay, renter, many small purchases (dining, other) on
                          mobile, almost no cash, small balances, leaves more often.
credit_revolver           card always held and mostly used, loan, minimum repayments, card
                          interest, late fees, days past due, overdraft fees, low credit score.
small_business            no salary: many irregular business inflows, volatile balances, large
                          transfers out, travel and fuel, online, business account fees.
retiree                   pension on the first business day, old, savings and term deposits drawn
                          down slowly, groceries, cash at the ATM and branch, little card use.
disengaged                checking only, salary paid elsewhere, few purchases, occasional top-ups,
                          fees, highest churn.
========================  ==========================================================================

Card purchases follow a BG/NBD process per customer (``btyd``: purchase rate ``lambda`` per day
~ Gamma(shape r, rate alpha); dropout probability after each repeat purchase ``p`` ~ Beta(a, b))
and their amounts a Gamma-Gamma process (``spend``: per-customer rate ``nu`` ~ Gamma(shape q, rate
gamma); each amount ~ Gamma(shape p, rate nu), mean p / nu). Parameter names follow
models_py.clv (bg_nbd: r, alpha, a, b; gamma_gamma: p, q, gamma). Both parameter sets are written to
``raw_truth.planted_parameters`` so that CLV fitting can be checked against them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Spend categories of card purchases and their channels, in the order of every tuple below.
PURCHASE_CATEGORIES = ("groceries", "dining", "travel", "fuel", "other")
PURCHASE_CHANNELS = ("pos", "online", "mobile")
# Channels of transfers the customer makes (card repayments by hand, transfers out).
TRANSFER_CHANNELS = ("online", "mobile", "branch")

# Salary day codes: 0 = last business day of the month; d > 0 = day d, moved to the previous
# business day when it falls on a weekend or holiday (day 1 moves to the next business day).
LAST_BUSINESS_DAY = 0


@dataclass(frozen=True)
class BgNbd:
    """Planted BG/NBD parameters (time unit: day)."""

    r: float  # shape of the gamma mixing distribution of the purchase rate lambda
    alpha: float  # rate of that gamma (mean lambda = r / alpha purchases per day)
    a: float  # beta mixing distribution of the dropout probability p (mean a / (a + b))
    b: float


@dataclass(frozen=True)
class GammaGamma:
    """Planted Gamma-Gamma spend parameters (amounts in EUR)."""

    p: float  # shape of each purchase amount given nu
    q: float  # shape of the gamma of nu across customers
    gamma: float  # rate of the gamma of nu (mean amount across customers = p * gamma / (q - 1))


@dataclass(frozen=True)
class Persona:
    """One kind of customer. Shares, probabilities and rates are per customer unless stated."""

    name: str
    share: float  # default weight in the persona mix
    age: tuple[int, int]  # age range at end_date (uniform)
    income_median: float  # annual gross income (pension for retirees; business profit)
    income_sigma: float  # sigma of log income
    occupations: tuple[tuple[str, float], ...]
    credit_score: tuple[float, float]  # mean, sd (clipped to 300 .. 850)
    pre_existing_share: float  # joined before the window (others join during it)
    # P(holds) per product, in contract.PRODUCTS order: checking, savings, term_deposit,
    # credit_card, personal_loan, mortgage, investment. Everyone holds a checking account.
    products: tuple[float, float, float, float, float, float, float]
    salary_prob: float  # salary (or pension) paid into checking
    salary_day: int  # LAST_BUSINESS_DAY or a day of the month
    bonus_prob: float  # December salary is doubled
    inflows_per_month: float  # other incoming transfers (business receipts, family), Poisson
    inflow_share: float  # mean size of one such inflow, as a share of net monthly income
    renter_prob: float  # pays rent (when no mortgage)
    rent_share: float  # rent as a share of net monthly income
    utilities_share: float  # utilities, share of net monthly income (billed every 2 months)
    cash_per_month: float  # ATM / branch withdrawals, Poisson
    cash_mean: float  # mean withdrawal (EUR, rounded to 10)
    branch_share: float  # share of withdrawals and own transfers made at a branch
    maintenance_fee: float  # account fee per month (EUR), charged quarterly
    btyd: BgNbd
    spend: GammaGamma
    credit_card_share: float  # share of purchases put on the credit card when one is held
    categories: tuple[float, float, float, float, float]  # PURCHASE_CATEGORIES mix
    channels: tuple[float, float, float]  # PURCHASE_CHANNELS mix
    transfer_channels: tuple[float, float, float]  # TRANSFER_CHANNELS mix
    refund_rate: float  # share of purchases refunded (online purchases: twice this)
    savings_rate: float  # standing order to savings, share of net monthly (< 0: drawdown)
    buffer_months: float  # checking balance kept, in months of net income; excess moves out
    card_repayment: tuple[float, float, float, float]  # full, partial, minimum, missed
    loan_miss_prob: float  # loan instalment missed in a month
    credit_limit: float  # median card limit (EUR)
    card_utilisation: tuple[float, float]  # beta(a, b) of the card balance at the window start
    overdraft_limit: float  # arranged overdraft on checking (EUR)
    savings_median: float  # savings balance at the window start (EUR)
    deposit_median: float  # term deposit principal (EUR)
    investment_median: float  # investment balance at the window start (EUR)
    churn_hazard: float  # probability per month of leaving the bank
    gradual_churn_share: float  # leavers whose decline is visible months before they leave


PERSONAS: tuple[Persona, ...] = (
    Persona(
        name="salaried_mass",
        share=0.30,
        age=(24, 62),
        income_median=38_000,
        income_sigma=0.30,
        occupations=(("employee", 0.8), ("public_sector", 0.15), ("manual_worker", 0.05)),
        credit_score=(660, 60),
        pre_existing_share=0.75,
        products=(1.0, 0.45, 0.05, 0.55, 0.20, 0.25, 0.05),
        salary_prob=0.97,
        salary_day=LAST_BUSINESS_DAY,
        bonus_prob=0.35,
        inflows_per_month=0.1,
        inflow_share=0.10,
        renter_prob=0.55,
        rent_share=0.28,
        utilities_share=0.05,
        cash_per_month=0.6,
        cash_mean=80,
        branch_share=0.10,
        maintenance_fee=3.5,
        btyd=BgNbd(r=2.0, alpha=25.0, a=0.5, b=30.0),
        spend=GammaGamma(p=5.0, q=4.0, gamma=24.0),
        credit_card_share=0.4,
        categories=(0.45, 0.15, 0.05, 0.20, 0.15),
        channels=(0.70, 0.15, 0.15),
        transfer_channels=(0.45, 0.35, 0.20),
        refund_rate=0.02,
        savings_rate=0.05,
        buffer_months=0.5,
        card_repayment=(0.60, 0.25, 0.13, 0.02),
        loan_miss_prob=0.01,
        credit_limit=3_000,
        card_utilisation=(1.5, 6.0),
        overdraft_limit=1_000,
        savings_median=4_000,
        deposit_median=10_000,
        investment_median=8_000,
        churn_hazard=0.007,
        gradual_churn_share=0.8,
    ),
    Persona(
        name="affluent_saver",
        share=0.12,
        age=(38, 72),
        income_median=120_000,
        income_sigma=0.40,
        occupations=(("professional", 0.55), ("manager", 0.35), ("employee", 0.10)),
        credit_score=(770, 40),
        pre_existing_share=0.85,
        products=(1.0, 0.95, 0.60, 0.85, 0.03, 0.45, 0.75),
        salary_prob=0.90,
        salary_day=25,
        bonus_prob=0.60,
        inflows_per_month=0.2,
        inflow_share=0.15,
        renter_prob=0.10,
        rent_share=0.20,
        utilities_share=0.03,
        cash_per_month=0.3,
        cash_mean=150,
        branch_share=0.05,
        maintenance_fee=0.0,
        btyd=BgNbd(r=3.0, alpha=30.0, a=0.3, b=40.0),
        spend=GammaGamma(p=4.0, q=5.0, gamma=100.0),
        credit_card_share=0.85,
        categories=(0.25, 0.30, 0.25, 0.08, 0.12),
        channels=(0.50, 0.40, 0.10),
        transfer_channels=(0.75, 0.15, 0.10),
        refund_rate=0.03,
        savings_rate=0.20,
        buffer_months=1.5,
        card_repayment=(0.97, 0.02, 0.01, 0.0),
        loan_miss_prob=0.0,
        credit_limit=12_000,
        card_utilisation=(1.0, 12.0),
        overdraft_limit=5_000,
        savings_median=50_000,
        deposit_median=60_000,
        investment_median=90_000,
        churn_hazard=0.003,
        gradual_churn_share=0.9,
    ),
    Persona(
        name="young_digital",
        share=0.16,
        age=(19, 30),
        income_median=28_000,
        income_sigma=0.35,
        occupations=(("employee", 0.5), ("student", 0.3), ("freelancer", 0.2)),
        credit_score=(620, 55),
        pre_existing_share=0.40,
        products=(1.0, 0.30, 0.0, 0.45, 0.10, 0.02, 0.15),
        salary_prob=0.80,
        salary_day=15,
        bonus_prob=0.05,
        inflows_per_month=0.5,
        inflow_share=0.08,
        renter_prob=0.85,
        rent_share=0.35,
        utilities_share=0.04,
        cash_per_month=0.1,
        cash_mean=50,
        branch_share=0.0,
        maintenance_fee=0.0,
        btyd=BgNbd(r=2.4, alpha=12.0, a=0.6, b=20.0),
        spend=GammaGamma(p=3.0, q=6.0, gamma=30.0),
        credit_card_share=0.5,
        categories=(0.20, 0.40, 0.08, 0.02, 0.30),
        channels=(0.25, 0.25, 0.50),
        transfer_channels=(0.20, 0.80, 0.0),
        refund_rate=0.04,
        savings_rate=0.03,
        buffer_months=0.3,
        card_repayment=(0.50, 0.30, 0.17, 0.03),
        loan_miss_prob=0.02,
        credit_limit=1_500,
        card_utilisation=(2.0, 5.0),
        overdraft_limit=500,
        savings_median=1_500,
        deposit_median=5_000,
        investment_median=2_000,
        churn_hazard=0.012,
        gradual_churn_share=0.7,
    ),
    Persona(
        name="credit_revolver",
        share=0.12,
        age=(25, 55),
        income_median=32_000,
        income_sigma=0.30,
        occupations=(("employee", 0.7), ("manual_worker", 0.2), ("unemployed", 0.1)),
        credit_score=(560, 50),
        pre_existing_share=0.70,
        products=(1.0, 0.10, 0.0, 1.0, 0.70, 0.15, 0.0),
        salary_prob=0.90,
        salary_day=LAST_BUSINESS_DAY,
        bonus_prob=0.10,
        inflows_per_month=0.3,
        inflow_share=0.10,
        renter_prob=0.60,
        rent_share=0.33,
        utilities_share=0.06,
        cash_per_month=1.0,
        cash_mean=60,
        branch_share=0.10,
        maintenance_fee=5.0,
        btyd=BgNbd(r=2.0, alpha=16.0, a=0.4, b=30.0),
        spend=GammaGamma(p=5.0, q=5.0, gamma=44.0),
        credit_card_share=0.9,
        categories=(0.35, 0.20, 0.05, 0.15, 0.25),
        channels=(0.60, 0.30, 0.10),
        transfer_channels=(0.40, 0.40, 0.20),
        refund_rate=0.02,
        savings_rate=0.0,
        buffer_months=0.05,
        card_repayment=(0.02, 0.18, 0.70, 0.10),
        loan_miss_prob=0.06,
        credit_limit=4_000,
        card_utilisation=(6.0, 2.0),
        overdraft_limit=1_000,
        savings_median=300,
        deposit_median=2_000,
        investment_median=1_000,
        churn_hazard=0.010,
        gradual_churn_share=0.8,
    ),
    Persona(
        name="small_business",
        share=0.08,
        age=(30, 65),
        income_median=70_000,
        income_sigma=0.60,
        occupations=(("self_employed", 0.7), ("business_owner", 0.3)),
        credit_score=(680, 70),
        pre_existing_share=0.70,
        products=(1.0, 0.50, 0.10, 0.80, 0.35, 0.30, 0.20),
        salary_prob=0.0,
        salary_day=LAST_BUSINESS_DAY,
        bonus_prob=0.0,
        inflows_per_month=3.0,
        inflow_share=0.40,
        renter_prob=0.30,
        rent_share=0.20,
        utilities_share=0.05,
        cash_per_month=0.4,
        cash_mean=200,
        branch_share=0.30,
        maintenance_fee=12.0,
        btyd=BgNbd(r=1.5, alpha=25.0, a=0.3, b=35.0),
        spend=GammaGamma(p=2.5, q=3.0, gamma=120.0),
        credit_card_share=0.7,
        categories=(0.10, 0.20, 0.25, 0.30, 0.15),
        channels=(0.40, 0.50, 0.10),
        transfer_channels=(0.70, 0.10, 0.20),
        refund_rate=0.03,
        savings_rate=0.05,
        buffer_months=1.0,
        card_repayment=(0.70, 0.20, 0.08, 0.02),
        loan_miss_prob=0.02,
        credit_limit=10_000,
        card_utilisation=(1.5, 4.0),
        overdraft_limit=5_000,
        savings_median=15_000,
        deposit_median=25_000,
        investment_median=20_000,
        churn_hazard=0.006,
        gradual_churn_share=0.8,
    ),
    Persona(
        name="retiree",
        share=0.12,
        age=(66, 90),
        income_median=24_000,
        income_sigma=0.30,
        occupations=(("retired", 1.0),),
        credit_score=(720, 45),
        pre_existing_share=0.92,
        products=(1.0, 0.80, 0.50, 0.20, 0.02, 0.03, 0.10),
        salary_prob=1.0,
        salary_day=1,
        bonus_prob=0.0,
        inflows_per_month=0.1,
        inflow_share=0.10,
        renter_prob=0.20,
        rent_share=0.25,
        utilities_share=0.06,
        cash_per_month=2.0,
        cash_mean=100,
        branch_share=0.50,
        maintenance_fee=2.0,
        btyd=BgNbd(r=3.0, alpha=75.0, a=0.2, b=40.0),
        spend=GammaGamma(p=6.0, q=6.0, gamma=30.0),
        credit_card_share=0.2,
        categories=(0.60, 0.10, 0.08, 0.07, 0.15),
        channels=(0.90, 0.08, 0.02),
        transfer_channels=(0.15, 0.05, 0.80),
        refund_rate=0.01,
        savings_rate=-0.10,
        buffer_months=1.0,
        card_repayment=(0.90, 0.05, 0.05, 0.0),
        loan_miss_prob=0.005,
        credit_limit=2_000,
        card_utilisation=(1.0, 10.0),
        overdraft_limit=500,
        savings_median=30_000,
        deposit_median=40_000,
        investment_median=30_000,
        churn_hazard=0.003,
        gradual_churn_share=0.6,
    ),
    Persona(
        name="disengaged",
        share=0.10,
        age=(20, 75),
        income_median=22_000,
        income_sigma=0.50,
        occupations=(("employee", 0.5), ("unemployed", 0.2), ("student", 0.1), ("retired", 0.2)),
        credit_score=(630, 70),
        pre_existing_share=0.70,
        products=(1.0, 0.05, 0.0, 0.05, 0.0, 0.0, 0.0),
        salary_prob=0.25,
        salary_day=LAST_BUSINESS_DAY,
        bonus_prob=0.0,
        inflows_per_month=0.5,
        inflow_share=0.08,
        renter_prob=0.0,
        rent_share=0.0,
        utilities_share=0.02,
        cash_per_month=0.3,
        cash_mean=60,
        branch_share=0.10,
        maintenance_fee=5.0,
        btyd=BgNbd(r=0.6, alpha=30.0, a=0.8, b=8.0),
        spend=GammaGamma(p=4.0, q=4.0, gamma=22.0),
        credit_card_share=0.3,
        categories=(0.40, 0.10, 0.05, 0.15, 0.30),
        channels=(0.80, 0.10, 0.10),
        transfer_channels=(0.40, 0.30, 0.30),
        refund_rate=0.01,
        savings_rate=0.0,
        buffer_months=0.2,
        card_repayment=(0.50, 0.20, 0.20, 0.10),
        loan_miss_prob=0.05,
        credit_limit=1_000,
        card_utilisation=(1.0, 4.0),
        overdraft_limit=200,
        savings_median=200,
        deposit_median=1_000,
        investment_median=1_000,
        churn_hazard=0.025,
        gradual_churn_share=0.6,
    ),
)

PERSONAS_BY_NAME: dict[str, Persona] = {persona.name: persona for persona in PERSONAS}
PERSONA_NAMES: tuple[str, ...] = tuple(PERSONAS_BY_NAME)
DEFAULT_MIX: tuple[tuple[str, float], ...] = tuple((p.name, p.share) for p in PERSONAS)


class PersonaTable:
    """The numeric persona parameters as arrays indexed by persona code (position in PERSONAS).

    ``table.col("income_median")[codes]`` looks a parameter up for many customers at once.
    """

    def __init__(self, personas: tuple[Persona, ...] = PERSONAS) -> None:
        self.personas = personas
        self._cache: dict[str, np.ndarray] = {}

    def col(self, name: str) -> np.ndarray:
        """One parameter for every persona: shape (n_personas,) or (n_personas, k) for tuples."""
        if name not in self._cache:
            path = name.split(".")
            values = []
            for persona in self.personas:
                value = persona
                for part in path:
                    value = getattr(value, part)
                values.append(value)
            self._cache[name] = np.asarray(values, dtype=np.float64)
        return self._cache[name]
