"""Transactions of one block while they are being simulated: parallel numpy arrays.

Channels and categories are small integer codes into the contract's ``CHANNELS`` and
``CATEGORIES`` (channel -1 = NULL: interest and fee postings made by the bank have no channel).
Amounts are integer cents, signed as in the contract (positive = money into the account).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from seeds_gen.contract import CATEGORIES, CHANNELS

CH = {name: code for code, name in enumerate(CHANNELS)}
CAT = {name: code for code, name in enumerate(CATEGORIES)}
NO_CHANNEL = -1
NO_ORDER = -1


@dataclass
class Events:
    """Transactions as arrays of equal length."""

    account: np.ndarray  # int64, local account index in the block
    time: np.ndarray  # int64 seconds since the window start
    amount: np.ndarray  # int64 cents
    channel: np.ndarray  # int8 code, NO_CHANNEL = NULL
    category: np.ndarray  # int8 code
    order_ref: np.ndarray  # int64 index of the purchase this row belongs to, NO_ORDER = none

    def __len__(self) -> int:
        return len(self.account)

    def take(self, index: np.ndarray) -> Events:
        return Events(
            account=self.account[index],
            time=self.time[index],
            amount=self.amount[index],
            channel=self.channel[index],
            category=self.category[index],
            order_ref=self.order_ref[index],
        )


class EventBuffer:
    """Collects transactions in parts; :meth:`events` concatenates them once."""

    def __init__(self) -> None:
        self._parts: list[tuple[np.ndarray, ...]] = []
        self.count = 0

    def add(
        self,
        account: np.ndarray,
        time: np.ndarray,
        amount: np.ndarray,
        channel: int | np.ndarray,
        category: int | np.ndarray,
        order_ref: np.ndarray | None = None,
    ) -> int:
        """Append rows; returns the index of the first one (for order references)."""
        n = len(account)
        first = self.count
        if n == 0:
            return first
        self._parts.append(
            (
                np.asarray(account, dtype=np.int64),
                np.asarray(time, dtype=np.int64),
                np.asarray(amount, dtype=np.int64),
                _column(channel, n),
                _column(category, n),
                np.full(n, NO_ORDER, dtype=np.int64)
                if order_ref is None
                else np.asarray(order_ref, dtype=np.int64),
            )
        )
        self.count += n
        return first

    def events(self) -> Events:
        if not self._parts:
            empty = np.zeros(0, dtype=np.int64)
            return Events(
                empty, empty, empty, empty.astype(np.int8), empty.astype(np.int8), empty
            )
        columns = [np.concatenate(column) for column in zip(*self._parts, strict=True)]
        self._parts = [tuple(columns)]  # later calls only concatenate what was added since
        return Events(*columns)


def _column(value: int | np.ndarray, n: int) -> np.ndarray:
    if np.ndim(value) == 0:
        return np.full(n, value, dtype=np.int8)
    return np.asarray(value, dtype=np.int8)
