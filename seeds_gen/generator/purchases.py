"""Card purchases and refunds: a BG/NBD purchase process with Gamma-Gamma amounts per customer.

For each customer: purchase rate ``lambda ~ Gamma(r, alpha)`` per day, dropout probability
``p ~ Beta(a, b)`` and spend rate ``nu ~ Gamma(q, gamma)`` (persona parameters). The process
starts at ``t0``, a uniform day in the first 30 days of the customer's time in the window, with
a first purchase; repeat purchases then arrive as a Poisson process of rate ``lambda`` and after
each repeat purchase the customer stops buying with probability ``p`` (BG/NBD). It runs until
the window ends or the customer leaves the bank. Each amount is ``Gamma(p_spend, nu)`` EUR.

A customer makes at most one card purchase a day: the marts count purchase *occasions* as
days, and a second purchase on one day would merge into the first (lowering the rate and
raising the spend per occasion that a fit recovers). A purchase that lands on a day already
taken moves to the next free day. With the planted rates (0.02 to 0.2 a day on average) that
moves 9% of purchases in the default mix (16% for young_digital), mostly by a day or two, and
leaves the parameters fitted on purchase days within a few percent of the planted ones.

The process runs in *operational* time: calendar days weighted by the purchase intensity
(weekends, December, summer; mean 1), so seasonality moves purchases without changing their
number. With ``BankConfig(seasonality=False)`` operational time is calendar time. During a
decline or a dip, purchases are thinned (up to 70% dropped) and move away from digital
channels: churn is visible in the card data too.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from seeds_gen.generator.accounts import CC, CHK, Accounts
from seeds_gen.generator.customers import Customers
from seeds_gen.generator.events import CAT, CH, NO_ORDER, EventBuffer
from seeds_gen.generator.personas import PURCHASE_CATEGORIES, PURCHASE_CHANNELS, PersonaTable
from seeds_gen.generator.sampling import choose_cdf, cumsum_by_group, ragged
from seeds_gen.generator.timeline import DAY, HOUR, Timeline

CATEGORY_CODES = np.array([CAT[name] for name in PURCHASE_CATEGORIES], dtype=np.int8)
CHANNEL_CODES = np.array([CH[name] for name in PURCHASE_CHANNELS], dtype=np.int8)
ONLINE = PURCHASE_CHANNELS.index("online")
TRAVEL, DINING, OTHER = (PURCHASE_CATEGORIES.index(c) for c in ("travel", "dining", "other"))
START_SPREAD_DAYS = 30
REFUND_FULL_SHARE = 0.6  # refunds of the whole amount; the others return 20 .. 90%


@dataclass
class PurchaseTruth:
    """Planted per-customer values of the purchase process."""

    rate: np.ndarray  # lambda, purchases per (operational) day
    dropout: np.ndarray  # p
    nu: np.ndarray  # spend rate; mean amount = p_spend / nu
    mean_spend: np.ndarray  # EUR
    start_s: np.ndarray  # t0 (first purchase), NEVER-like past the end when none
    dropout_s: np.ndarray  # time of the last purchase when the customer dropped out, else -1
    purchases: np.ndarray  # purchase days of the process (first + repeats) before thinning


def card_purchases(
    rng: np.random.Generator,
    customers: Customers,
    accounts: Accounts,
    timeline: Timeline,
    table: PersonaTable,
    buffer: EventBuffer,
) -> PurchaseTruth:
    """Simulate purchases and refunds of every customer into ``buffer``; return the truth."""
    n = len(customers)
    persona = customers.persona
    rate = rng.gamma(table.col("btyd.r")[persona], 1 / table.col("btyd.alpha")[persona])
    dropout = rng.beta(table.col("btyd.a")[persona], table.col("btyd.b")[persona])
    nu = rng.gamma(table.col("spend.q")[persona], 1 / table.col("spend.gamma")[persona])

    # Operational-time window of each customer's process.
    t0 = customers.start_s + rng.integers(0, START_SPREAD_DAYS, n) * DAY
    stop = np.minimum(timeline.end_s, customers.churn_s)
    active = t0 < stop
    s0, s1 = timeline.to_operational(t0), timeline.to_operational(stop)
    length = np.where(active, s1 - s0, 0.0)

    # Repeat purchases: K Poisson events, of which the first min(K, J) happen (J ~ geometric).
    k = rng.poisson(rate * length)
    j = rng.geometric(dropout)
    repeats = np.minimum(k, j)
    # The first n of K sorted uniforms are partial sums of exponential spacings divided by the
    # sum of all K + 1 spacings; the K + 1 - n spacings not needed are one gamma draw.
    owner = ragged(repeats)
    cum = cumsum_by_group(rng.exponential(size=len(owner)), repeats)
    group_total = np.zeros(n)
    last = np.cumsum(repeats) - 1
    group_total[repeats > 0] = cum[last[repeats > 0]]
    denominator = group_total + rng.gamma(k - repeats + 1.0)
    operational = s0[owner] + cum / denominator[owner] * length[owner]
    repeat_day = timeline.operational_day(operational)

    dropped = active & (j <= k) & (repeats > 0)

    # All purchases: the first at t0, then the repeats, grouped by customer in time order, one
    # purchase occasion (day) each: a purchase landing on a day already taken moves to the next
    # free day, and those moved past the end of the process are lost.
    first = np.flatnonzero(active)
    who = np.concatenate([first, owner])
    day = np.concatenate([t0[first] // DAY, repeat_day])
    order = np.lexsort((day, who))
    who, day = who[order], _one_per_day(who[order], day[order], timeline.n_days)
    kept = day * DAY < stop[who]
    who, day = who[kept], day[kept]
    seconds = np.clip(rng.normal(15 * HOUR, 3.5 * HOUR, len(who)), 6 * HOUR, 23 * HOUR)
    time = day * DAY + seconds.astype(np.int64)

    counts = np.bincount(who, minlength=n)
    last_day = np.full(n, -1, dtype=np.int64)
    has_last = dropped & (counts > 0)
    last_day[has_last] = day[np.cumsum(counts)[has_last] - 1]
    truth = PurchaseTruth(
        rate=rate,
        dropout=dropout,
        nu=nu,
        mean_spend=table.col("spend.p")[persona] / nu,
        start_s=np.where(active, t0, -1),
        dropout_s=np.where(last_day >= 0, last_day * DAY, -1),
        purchases=counts,
    )
    _book(rng, who, time, customers, accounts, timeline, table, buffer, nu)
    return truth


def _one_per_day(who: np.ndarray, day: np.ndarray, n_days: int) -> np.ndarray:
    """Move purchases forward so that a customer's days strictly increase (``who`` grouped,
    ``day`` sorted within each group): day_k = max(day_k, day_(k-1) + 1)."""
    if len(who) == 0:
        return day
    starts = np.flatnonzero(np.r_[True, who[1:] != who[:-1]])
    rank = np.arange(len(who)) - np.repeat(starts, np.diff(np.r_[starts, len(who)]))
    big = n_days + len(who) + 1  # keeps groups apart in one running maximum
    group = np.repeat(np.arange(len(starts)), np.diff(np.r_[starts, len(who)]))
    running = np.maximum.accumulate(day - rank + group * big)
    return running - group * big + rank


def _book(rng, who, time, customers, accounts, timeline, table, buffer, nu) -> None:
    """Thin, price, categorise and route purchases, add them and their refunds."""
    stress = customers.ramp(who, time)
    keep = rng.random(len(who)) >= 0.7 * stress
    who, time, stress = who[keep], time[keep], stress[keep]
    persona = customers.persona[who]

    euros = rng.gamma(table.col("spend.p")[persona], 1 / nu[who])
    cents = np.maximum(np.round(euros * 100), 1).astype(np.int64)
    category = _categories(rng, persona, time, timeline, table)
    channel = _channels(rng, persona, category, stress, table)

    card = accounts.of[who, CC]
    card_open = (card >= 0) & (time >= accounts.open_s[card]) & (time < accounts.close_s[card])
    on_card = card_open & (rng.random(len(who)) < table.col("credit_card_share")[persona])
    account = np.where(on_card, card, accounts.of[who, CHK])
    valid = (time >= accounts.open_s[account]) & (time < accounts.close_s[account])
    valid &= time < timeline.end_s
    account, time, cents, channel, category, persona = (
        a[valid] for a in (account, time, cents, channel, category, persona)
    )

    online = channel == ONLINE
    first = buffer.count
    order_ref = np.where(online, first + np.arange(len(account)), NO_ORDER)
    buffer.add(account, time, -cents, CHANNEL_CODES[channel], CATEGORY_CODES[category], order_ref)

    # Refunds: same account and channel, 1 .. 30 days later, whole or partial amount.
    rate = table.col("refund_rate")[persona] * np.where(online, 2.0, 1.0)
    refunded = np.flatnonzero(rng.random(len(account)) < rate)
    later = time[refunded] + rng.integers(DAY, 30 * DAY, len(refunded))
    share = np.where(rng.random(len(refunded)) < REFUND_FULL_SHARE, 1.0,
                     0.2 + 0.7 * rng.random(len(refunded)))
    amount = np.maximum(np.round(cents[refunded] * share), 1).astype(np.int64)
    acc = account[refunded]
    ok = (later < accounts.close_s[acc]) & (later < timeline.end_s)
    buffer.add(
        acc[ok], later[ok], amount[ok], CHANNEL_CODES[channel[refunded][ok]], CAT["refund"],
        order_ref[refunded][ok],
    )


def _categories(rng, persona, time, timeline: Timeline, table: PersonaTable) -> np.ndarray:
    """Spend category per purchase: the persona mix, more travel in summer, gifts in December,
    dining on Fridays and weekends."""
    day = np.clip(time // DAY, 0, timeline.n_days - 1)
    # Cumulative category shares by persona and day state (summer, December, weekend): 8 states.
    weights = np.repeat(table.col("categories")[:, None, :], 8, axis=1)
    state = np.arange(8)
    weights[:, :, TRAVEL] *= np.where(state & 1, 2.2, 1.0)
    weights[:, :, OTHER] *= np.where(state & 2, 1.6, 1.0)
    weights[:, :, DINING] *= np.where(state & 4, 1.4, 1.0)
    cdf = np.cumsum(weights, axis=2) / weights.sum(axis=2, keepdims=True)
    month = timeline.day_month[day]
    day_state = (
        ((month >= 6) & (month <= 8)).astype(np.int64)
        + 2 * (month == 12)
        + 4 * (timeline.weekday[day] >= 4)
    )
    return choose_cdf(rng, cdf.reshape(-1, cdf.shape[2]), persona * 8 + day_state)


def _channels(rng, persona, category, stress, table: PersonaTable) -> np.ndarray:
    """Channel per purchase: the persona mix, travel booked online, less digital under stress."""
    base = table.col("channels")
    pos = base[persona, 0]
    online = base[persona, 1] * np.where(category == TRAVEL, 3.0, 1.0) * (1 - 0.7 * stress)
    mobile = base[persona, 2] * (1 - 0.7 * stress)
    u = rng.random(len(persona)) * (pos + online + mobile)
    return (u >= pos).astype(np.int64) + (u >= pos + online)
