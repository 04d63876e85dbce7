"""Transactions that do not depend on balances: income, bills, cash, fees, account openings.

Card purchases are in purchases.py; repayments, standing orders, transfers and interest, which
depend on balances, are booked month by month in ledger.py.
"""

from __future__ import annotations

import numpy as np

from seeds_gen.generator.accounts import CHK, INV, MTG, PL, SAV, TD, Accounts
from seeds_gen.generator.customers import Customers
from seeds_gen.generator.events import CAT, CH, NO_CHANNEL, EventBuffer
from seeds_gen.generator.personas import PersonaTable
from seeds_gen.generator.sampling import lognormal
from seeds_gen.generator.timeline import DAY, HOUR, Timeline

ATM_FEE_SHARE = 0.1  # withdrawals at another bank's ATM, charged ATM_FEE_CENTS
ATM_FEE_CENTS = 250
STRESS_FEES_PER_MONTH = 1.5  # returned direct debits and reminders at the height of a decline
WINTER, SUMMER = (12, 1, 2), (6, 7, 8)
QUARTER_ENDS = (3, 6, 9, 12)


def open_at(accounts: Accounts, account: np.ndarray, time: np.ndarray) -> np.ndarray:
    """Whether each account is open at the matching time."""
    return (time >= accounts.open_s[account]) & (time < accounts.close_s[account])


def book_exogenous(
    rng: np.random.Generator,
    customers: Customers,
    accounts: Accounts,
    timeline: Timeline,
    table: PersonaTable,
    buffer: EventBuffer,
) -> None:
    """Add income, bills, cash, fees and opening transactions of the block to ``buffer``."""
    _salaries(rng, customers, accounts, timeline, table, buffer)
    _other_inflows(rng, customers, accounts, timeline, table, buffer)
    _bills(rng, customers, accounts, timeline, table, buffer)
    _cash(rng, customers, accounts, timeline, table, buffer)
    _fees(rng, customers, accounts, timeline, table, buffer)
    _openings(rng, customers, accounts, table, buffer)


def _add_checked(buffer, accounts, account, time, amount, channel, category) -> None:
    ok = open_at(accounts, account, time) & (amount != 0)
    channel = channel[ok] if np.ndim(channel) else channel
    buffer.add(account[ok], time[ok], amount[ok], channel, category)


def _salaries(rng, customers, accounts, timeline, table, buffer) -> None:
    """Salary or pension on the persona's pay day; doubled in December for bonus earners."""
    codes = table.col("salary_day").astype(np.int64)
    pay_days = np.array(
        [[timeline.pay_day(m, int(code)) for m in range(timeline.months)] for code in codes]
    )
    payee = np.flatnonzero(customers.has_salary)
    day = pay_days[customers.persona[payee]]  # (payees, months)
    time = (day * DAY + 6 * HOUR).ravel()
    who = np.repeat(payee, timeline.months)
    december = np.tile(timeline.month_of_year == 12, len(payee))
    noise = 1 + 0.01 * rng.standard_normal(len(who))
    euros = customers.net_monthly[who] * noise * np.where(december & customers.bonus[who], 2, 1)
    in_gap = (time >= customers.gap_start_s[who]) & (time < customers.gap_end_s[who])
    account = accounts.of[who, CHK]
    amount = np.where(in_gap, 0, np.round(euros * 100)).astype(np.int64)
    _add_checked(buffer, accounts, account, time, amount, CH["transfer"], CAT["salary"])


def _monthly_events(rng, customers, timeline, rate) -> tuple[np.ndarray, np.ndarray]:
    """Poisson(rate) events per customer and month; returns customer and time of each."""
    counts = rng.poisson(np.broadcast_to(rate[:, None], (len(customers), timeline.months)))
    flat = np.repeat(np.arange(counts.size), counts.ravel())
    who, month = flat // timeline.months, flat % timeline.months
    start = timeline.month_start_s[month]
    length = timeline.month_start_s[month + 1] - start
    time = start + (rng.random(len(flat)) * length).astype(np.int64)
    return who, time


def _other_inflows(rng, customers, accounts, timeline, table, buffer) -> None:
    """Business receipts (small business) and transfers from family or other banks."""
    persona = customers.persona
    who, time = _monthly_events(rng, customers, timeline, table.col("inflows_per_month")[persona])
    mean = table.col("inflow_share")[persona[who]] * customers.net_monthly[who]
    amount = np.round(lognormal(rng, mean * 0.85, 0.6) * 100).astype(np.int64)
    _add_checked(
        buffer, accounts, accounts.of[who, CHK], time, amount, CH["transfer"], CAT["transfer"]
    )


def _bills(rng, customers, accounts, timeline, table, buffer) -> None:
    """Rent on the first business day; utilities every other month, higher in winter."""
    persona, months = customers.persona, timeline.months
    first_business = timeline.next_business_day(timeline.month_start_day[:-1])
    renter = np.flatnonzero(accounts.renter)
    rent = np.round(table.col("rent_share")[persona[renter]] * customers.net_monthly[renter])
    who = np.repeat(renter, months)
    time = np.tile(first_business * DAY + 5 * HOUR, len(renter))
    amount = -np.repeat(rent * 100, months).astype(np.int64)
    _add_checked(
        buffer, accounts, accounts.of[who, CHK], time, amount, CH["direct_debit"], CAT["rent"]
    )

    # Utilities: every two months (odd or even months by customer), a few days in.
    n = len(customers)
    offset = rng.integers(2, 8, n)
    parity = rng.integers(0, 2, n)
    months_billed = np.arange(months)
    who = np.repeat(np.arange(n), months)
    month = np.tile(months_billed, n)
    billed = (month % 2) == parity[who]
    who, month = who[billed], month[billed]
    day = timeline.month_start_day[month] + offset[who]
    moy = timeline.month_of_year[month]
    season = np.select([np.isin(moy, WINTER), np.isin(moy, SUMMER)], [1.25, 0.85], 1.0)
    euros = 2 * table.col("utilities_share")[persona[who]] * customers.net_monthly[who] * season
    euros *= 1 + 0.08 * rng.standard_normal(len(who))
    amount = -np.maximum(np.round(euros * 100), 100).astype(np.int64)
    time = day * DAY + 5 * HOUR
    _add_checked(
        buffer, accounts, accounts.of[who, CHK], time, amount, CH["direct_debit"],
        CAT["utilities"],
    )


def _cash(rng, customers, accounts, timeline, table, buffer) -> None:
    """Withdrawals at the ATM or branch (rounded to 10 EUR), some with a foreign-ATM fee."""
    persona = customers.persona
    who, time = _monthly_events(rng, customers, timeline, table.col("cash_per_month")[persona])
    time = (time // DAY) * DAY + rng.integers(8 * HOUR, 20 * HOUR, len(who))
    euros = lognormal(rng, table.col("cash_mean")[persona[who]], 0.5)
    amount = -np.maximum(np.round(euros / 10) * 10, 10).astype(np.int64) * 100
    branch = rng.random(len(who)) < table.col("branch_share")[persona[who]]
    channel = np.where(branch, CH["branch"], CH["atm"]).astype(np.int8)
    account = accounts.of[who, CHK]
    _add_checked(buffer, accounts, account, time, amount, channel, CAT["cash"])
    fee = ~branch & (rng.random(len(who)) < ATM_FEE_SHARE)
    _add_checked(
        buffer, accounts, account[fee], time[fee] + 1, np.full(fee.sum(), -ATM_FEE_CENTS),
        CH["atm"], CAT["fee"],
    )


def _fees(rng, customers, accounts, timeline, table, buffer) -> None:
    """Account fee at each quarter end; extra fees while a customer is under stress."""
    months = timeline.months
    fee = np.round(table.col("maintenance_fee")[customers.persona] * 300).astype(np.int64)
    quarter_end = np.flatnonzero(np.isin(timeline.month_of_year, QUARTER_ENDS))
    charged = np.flatnonzero(fee > 0)
    who = np.repeat(charged, len(quarter_end))
    time = np.tile(timeline.month_start_s[quarter_end + 1] - 2 * HOUR, len(charged))
    _add_checked(
        buffer, accounts, accounts.of[who, CHK], time, -fee[who], NO_CHANNEL, CAT["fee"]
    )

    middle = (timeline.month_start_s[:-1] + timeline.month_start_s[1:]) // 2
    stressed = np.flatnonzero(customers.stress_start_s < timeline.end_s)
    ramp = customers.ramp(np.repeat(stressed, months), np.tile(middle, len(stressed)))
    counts = rng.poisson(STRESS_FEES_PER_MONTH * ramp)
    flat = np.repeat(np.arange(len(ramp)), counts)
    who = stressed[flat // months]
    month = flat % months
    time = timeline.month_start_s[month] + rng.integers(0, 28 * DAY, len(flat))
    amount = -rng.integers(5, 16, len(flat)) * 100
    _add_checked(buffer, accounts, accounts.of[who, CHK], time, amount, NO_CHANNEL, CAT["fee"])


def _openings(rng, customers, accounts, table, buffer) -> None:
    """First movements of accounts opened in the window: loan payouts and first deposits."""
    new = np.flatnonzero(accounts.open_s >= 0)
    product = accounts.product[new]
    time = accounts.open_s[new] + 11 * HOUR
    persona = customers.persona[accounts.customer[new]]
    principal = accounts.principal_cents[new]
    first_deposit = np.select(
        [product == SAV, product == INV],
        [lognormal(rng, table.col("savings_median")[persona] * 0.1, 0.5),
         lognormal(rng, table.col("investment_median")[persona] * 0.3, 0.5)],
        0.0,
    )
    amount = np.select(
        [np.isin(product, (PL, MTG)), product == TD],
        [-principal, principal],
        np.round(first_deposit) * 100,
    ).astype(np.int64)
    channel = np.where(np.isin(product, (PL, MTG)), CH["branch"], CH["transfer"]).astype(np.int8)
    _add_checked(buffer, accounts, new, time, amount, channel, CAT["transfer"])

    # A personal loan is paid out into the customer's checking account.
    loan = new[product == PL]
    checking = accounts.of[accounts.customer[loan], CHK]
    _add_checked(
        buffer, accounts, checking, accounts.open_s[loan] + 11 * HOUR,
        accounts.principal_cents[loan], CH["transfer"], CAT["transfer"],
    )
