"""Month by month: the transactions that depend on balances, and the month-end balances.

For every month, in this order: loan instalments (missed ones bring a late fee and days past
due), card repayments of the previous statement (in full, partly, the minimum or not at all, by
persona), standing orders to savings and investments (drawdowns for retirees and for leavers in
decline), a transfer out of checking of what exceeds the persona's buffer (or a top-up when the
overdraft limit is passed), then month-end interest and fees, then the closing transfers of
accounts whose customer leaves. The balance at a month end is the previous one plus the month's
signed amounts, for every account and month, by construction (integer cents throughout).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from seeds_gen.contract import PRODUCTS
from seeds_gen.generator.accounts import CC, CHK, DEBT_PRODUCTS, INV, MTG, PL, SAV, TD, Accounts
from seeds_gen.generator.customers import Customers
from seeds_gen.generator.events import CAT, CH, NO_CHANNEL, EventBuffer
from seeds_gen.generator.personas import TRANSFER_CHANNELS, PersonaTable
from seeds_gen.generator.sampling import choose, choose_cdf
from seeds_gen.generator.timeline import DAY, HOUR, Timeline

TRANSFER_CODES = np.array([CH[name] for name in TRANSFER_CHANNELS], dtype=np.int8)
LOAN_LATE_FEE_CENTS = 2_500
CARD_LATE_FEE_CENTS = 3_500
OVERDRAFT_FEE_CENTS = 800
OVERDRAFT_RATE = 0.12  # on negative checking balances, charged monthly
CARD_MIN_PAYMENT = (0.03, 2_500)  # share of the statement, floor in cents
DIVIDEND_RATE_QUARTER = 0.004  # investment income paid quarterly
QUARTER_ENDS = (3, 6, 9, 12)
SWEEP_MIN_SHARE = 0.5  # excess over the buffer moved out only above this share of net income
SWEEP_MIN_CENTS = 10_000


@dataclass
class Ledger:
    """Month-end balances: column 0 is the month end before the window, column m + 1 month m."""

    balance: np.ndarray  # (accounts, months + 1) int64 cents
    days_past_due: np.ndarray  # (accounts, months + 1) int32
    has_row: np.ndarray  # (accounts, months + 1) bool: the account is open at some point of it
    close_s: np.ndarray  # closing times, loan payoffs included


class _MonthlyBooks:
    """State of the month loop; one instance per block."""

    def __init__(self, rng, customers, accounts, timeline, table, buffer) -> None:
        self.rng, self.customers, self.accounts = rng, customers, accounts
        self.timeline, self.table, self.buffer = timeline, table, buffer
        self.close_s = accounts.close_s.copy()
        self.owner = accounts.customer
        self.persona = customers.persona[accounts.customer]
        self.checking = accounts.of[accounts.customer, CHK]
        self.of_product = {p: np.flatnonzero(accounts.product == p) for p in range(len(PRODUCTS))}
        self.loans = np.flatnonzero(np.isin(accounts.product, (PL, MTG)))
        n_acc = len(accounts)
        self.arrears = np.zeros(n_acc, dtype=np.int64)
        self.first_missed = np.full(n_acc, -1, dtype=np.int64)
        self.unpaid = np.zeros(n_acc, dtype=np.int64)
        net = customers.net_monthly * 100
        persona = customers.persona
        self.standing_order = np.round(table.col("savings_rate")[persona] * net / 100) * 100
        self.target = table.col("buffer_months")[persona] * net
        self.sweep_threshold = SWEEP_MIN_SHARE * net
        self.flow = np.zeros(n_acc, dtype=np.int64)
        mix = table.col("transfer_channels")
        self.transfer_cdf = np.cumsum(mix, axis=1) / mix.sum(axis=1, keepdims=True)

    # --- helpers -------------------------------------------------------------------------

    def _open(self, account: np.ndarray, time: np.ndarray) -> np.ndarray:
        return (time >= self.accounts.open_s[account]) & (time < self.close_s[account])

    def _post(self, account, time, amount, channel, category, counter=None) -> np.ndarray:
        """Book ``amount`` on ``account`` (and its opposite on ``counter``) where open; returns
        which rows were booked. ``account`` holds each account at most once."""
        amount = np.asarray(amount, dtype=np.int64)
        if np.ndim(time) == 0:
            time = np.full(len(amount), time, dtype=np.int64)
        ok = (amount != 0) & self._open(account, time)
        if counter is not None:
            ok &= self._open(counter, time)
        channel = channel[ok] if np.ndim(channel) else channel
        category = category[ok] if np.ndim(category) else category
        self.buffer.add(account[ok], time[ok], amount[ok], channel, category)
        self.flow[account[ok]] += amount[ok]
        if counter is not None:
            self.buffer.add(counter[ok], time[ok], -amount[ok], channel, category)
            np.add.at(self.flow, counter[ok], -amount[ok])
        return ok

    def _transfer_channel(self, account: np.ndarray) -> np.ndarray:
        """A channel per account from its persona's transfer channel mix."""
        return TRANSFER_CODES[choose_cdf(self.rng, self.transfer_cdf, self.persona[account])]

    def _stress(self, account: np.ndarray, time: np.ndarray) -> np.ndarray:
        return self.customers.ramp(self.owner[account], time)

    def _track_arrears(self, account, due, missed, paid) -> None:
        """Remember the first missed due date of each account until it pays again."""
        first_miss = missed & (self.arrears[account] == 0)
        self.first_missed[account] = np.where(
            first_miss, due, np.where(paid, -1, self.first_missed[account])
        )
        self.arrears[account] = np.where(
            missed, self.arrears[account] + 1, np.where(paid, 0, self.arrears[account])
        )

    # --- one month -----------------------------------------------------------------------

    def month(self, m: int, previous: np.ndarray, exogenous: np.ndarray) -> np.ndarray:
        """Book month ``m``; return the month-end balances."""
        self.flow = exogenous.copy()
        start = int(self.timeline.month_start_s[m])
        end = int(self.timeline.month_start_s[m + 1])
        self._loans(start, previous)
        self._cards(start, previous)
        self._savings(start, previous, SAV, self.standing_order, day=1)
        self._savings(start, previous, INV, np.maximum(self.standing_order, 0) // 2, day=5)
        self._sweep(start, previous)
        self._month_end(m, end, previous)
        self._closings(start, end, previous)
        return previous + self.flow

    def _loans(self, start: int, previous: np.ndarray) -> None:
        """Instalments by direct debit from checking; a missed one is caught up when paying."""
        loan = self.loans
        owed = -(previous[loan] + self.flow[loan])
        due = start + (self.accounts.due_day[loan] - 1) * DAY + 7 * HOUR
        checking = self.checking[loan]
        eligible = (self.accounts.open_s[loan] < start) & (owed > 0)
        eligible &= self._open(loan, due) & self._open(checking, due)
        miss = self.table.col("loan_miss_prob")[self.persona[loan]]
        miss = miss * (1 + 4 * self._stress(loan, due))
        missed = eligible & (self.rng.random(len(loan)) < miss)
        paid = eligible & ~missed
        instalment = np.maximum(self.accounts.instalment_cents[loan], 1) * (1 + self.arrears[loan])
        pay = np.where(paid, np.minimum(owed, instalment), 0)
        self._track_arrears(loan, due, missed, paid)
        self._post(loan, due, pay, CH["direct_debit"], CAT["loan_payment"], counter=checking)
        fee = np.full(missed.sum(), -LOAN_LATE_FEE_CENTS)
        self._post(loan[missed], due[missed] + DAY, fee, NO_CHANNEL, CAT["fee"])
        payoff = paid & (pay == owed)
        self.close_s[loan[payoff]] = due[payoff] + 60

    def _cards(self, start: int, previous: np.ndarray) -> None:
        """Repayment of the previous statement: in full, partly, the minimum, or missed."""
        card = self.of_product[CC]
        statement = -previous[card]
        due = start + (self.accounts.due_day[card] - 1) * DAY + 9 * HOUR
        checking = self.checking[card]
        eligible = (self.accounts.open_s[card] < start) & (statement > 0)
        eligible &= self._open(card, due) & self._open(checking, due)
        weights = self.table.col("card_repayment")[self.persona[card]].copy()
        weights[:, 3] *= 1 + 4 * self._stress(card, due)
        behaviour = choose(self.rng, weights)  # 0 full, 1 partial, 2 minimum, 3 missed
        missed = eligible & (behaviour == 3)
        self._track_arrears(card, due, missed, eligible & ~missed)

        share, floor = CARD_MIN_PAYMENT
        minimum = np.minimum(statement, np.maximum(np.round(share * statement), floor))
        partial = minimum + np.round((statement - minimum) * self.rng.random(len(card)) / 100) * 100
        pay = np.select(
            [behaviour == 0, behaviour == 1, behaviour == 2], [statement, partial, minimum], 0
        )
        pay = np.where(eligible, np.minimum(pay, statement), 0).astype(np.int64)
        channel = np.where(behaviour == 0, CH["direct_debit"], self._transfer_channel(card))
        self._post(card, due, pay, channel.astype(np.int8), CAT["loan_payment"], counter=checking)
        fee = np.full(missed.sum(), -CARD_LATE_FEE_CENTS)
        self._post(card[missed], due[missed] + DAY, fee, NO_CHANNEL, CAT["fee"])
        self.unpaid[card] = np.where(eligible, statement - pay, 0)

    def _savings(self, start, previous, product, order, day: int) -> None:
        """Standing order (checking -> product, or back when negative); drawdown by leavers."""
        account = self.of_product[product]
        owner, checking = self.owner[account], self.checking[account]
        time = start + (day - 1) * DAY + 8 * HOUR
        stress = self._stress(account, np.full(len(account), time))
        balance = previous[account]
        amount = order[owner]
        amount = np.where(amount < 0, -np.minimum(-amount, np.maximum(balance, 0)), amount)
        amount = np.where((stress > 0) | ((amount > 0) & (previous[checking] <= 0)), 0, amount)
        self._post(account, time, amount.astype(np.int64), CH["transfer"], CAT["transfer"],
                   counter=checking)

        leaving = self.customers.leaving[owner] & (stress > 0)
        share = 0.25 + 0.25 * self.rng.random(len(account))
        out = np.where(leaving, -np.round(np.maximum(balance, 0) * share / 100) * 100, 0)
        self._post(account, time + 9 * DAY, out.astype(np.int64),
                   self._transfer_channel(account), CAT["transfer"])

    def _sweep(self, start: int, previous: np.ndarray) -> None:
        """Move what exceeds the buffer out of checking (when it is worth it: more than half a
        month's net income); top checking up when it passes the overdraft limit."""
        account = self.of_product[CHK]
        owner = self.owner[account]
        time = start + 26 * DAY + 10 * HOUR + self.rng.integers(0, 8 * HOUR, len(account))
        projected = previous[account] + self.flow[account]
        target = self.target[owner] * (1 - 0.8 * self._stress(account, time))
        excess = projected - target
        share = 0.8 + 0.2 * self.rng.random(len(account))
        worth = excess > np.maximum(self.sweep_threshold[owner], SWEEP_MIN_CENTS)
        out = np.where(worth, np.floor(excess * share / 100) * 100, 0)
        limit = self.accounts.credit_limit_cents[account]
        topup = np.where(
            projected < -limit,
            -limit - projected + np.round(self.rng.random(len(account)) * 500) * 100,
            0,
        )
        channel = np.where(out > 0, self._transfer_channel(account), CH["transfer"])
        self._post(account, time, (topup - out).astype(np.int64), channel.astype(np.int8),
                   CAT["transfer"])

    def _month_end(self, m: int, end: int, previous: np.ndarray) -> None:
        """Interest: savings, term deposits and investment income quarterly; loans, unpaid card
        balances and overdrafts monthly; then the overdraft fee."""
        time = end - HOUR
        balance = previous + self.flow
        rate = self.accounts.rate_micro / 1e6
        interest = np.zeros(len(balance))
        deposit_part = np.maximum(balance, 0)
        if self.timeline.month_of_year[m] in QUARTER_ENDS:
            sav, inv = self.of_product[SAV], self.of_product[INV]
            interest[sav] = deposit_part[sav] * rate[sav] / 4
            interest[inv] = deposit_part[inv] * DIVIDEND_RATE_QUARTER
            td = self.of_product[TD]
            interest[td] = deposit_part[td] * rate[td] / 4
        loan, card = self.loans, self.of_product[CC]
        interest[loan] = np.minimum(balance[loan], 0) * rate[loan] / 12
        interest[card] = -self.unpaid[card] * rate[card] / 12
        checking = self.of_product[CHK]
        interest[checking] = np.minimum(balance[checking], 0) * OVERDRAFT_RATE / 12
        every = np.arange(len(balance))
        self._post(every, time, np.round(interest).astype(np.int64), NO_CHANNEL, CAT["interest"])

        overdrawn = checking[balance[checking] < 0]
        fee = np.full(len(overdrawn), -OVERDRAFT_FEE_CENTS)
        self._post(overdrawn, time + 60, fee, NO_CHANNEL, CAT["fee"])

    def _closings(self, start: int, end: int, previous: np.ndarray) -> None:
        """Accounts of leavers are emptied (or paid off) on the churn day, before 17:00."""
        closing = np.flatnonzero((self.close_s >= start) & (self.close_s < end))
        balance = previous[closing] + self.flow[closing]
        debt = np.isin(self.accounts.product[closing], DEBT_PRODUCTS)
        category = np.where(debt, CAT["loan_payment"], CAT["transfer"]).astype(np.int8)
        self._post(closing, self.close_s[closing] - 60, -balance, CH["transfer"], category)
        self.arrears[closing] = 0
        self.first_missed[closing] = -1


def run_ledger(
    rng: np.random.Generator,
    customers: Customers,
    accounts: Accounts,
    timeline: Timeline,
    table: PersonaTable,
    buffer: EventBuffer,
) -> Ledger:
    """Book the balance-dependent transactions of every month; return month-end balances."""
    months = timeline.months
    n_acc = len(accounts)
    books = _MonthlyBooks(rng, customers, accounts, timeline, table, buffer)
    exogenous = _monthly_sums(buffer, timeline, n_acc)

    balance = np.zeros((n_acc, months + 1), dtype=np.int64)
    dpd = np.zeros((n_acc, months + 1), dtype=np.int32)
    balance[:, 0] = accounts.opening_cents
    ends = timeline.month_start_s[1:]
    for m in range(months):
        balance[:, m + 1] = books.month(m, balance[:, m], exogenous[:, m])
        late = books.first_missed >= 0
        dpd[late, m + 1] = (ends[m] - books.first_missed[late]) // DAY

    starts = timeline.month_start_s
    has_row = np.empty((n_acc, months + 1), dtype=bool)
    has_row[:, 0] = accounts.open_s < 0
    has_row[:, 1:] = (accounts.open_s[:, None] < ends[None, :]) & (
        books.close_s[:, None] >= starts[None, :-1]
    )
    return Ledger(balance=balance, days_past_due=dpd, has_row=has_row, close_s=books.close_s)


def _monthly_sums(buffer: EventBuffer, timeline: Timeline, n_acc: int) -> np.ndarray:
    """(accounts, months) sums of the transactions booked so far, in cents."""
    events = buffer.events()
    months = timeline.months
    key = events.account * months + timeline.month_of(events.time)
    sums = np.bincount(key, weights=events.amount, minlength=n_acc * months)
    return np.round(sums).astype(np.int64).reshape(n_acc, months)
