"""The X request counter per UTC month and the read budget notices in SQL (`UsageRecorder` and `UsageStore`).

Counting a request never touches the database: ``record`` adds to counts in memory, and
``flush`` writes them in one transaction — before every read of the numbers, in the
scheduler's "usage" lane, and at shutdown. A flush that fails (the database is locked by
another process, say) is logged and keeps the counts for the next flush; it never reaches
the X call that was counted, so counting can never fail a post.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.adapters.storage.schema import DEFAULT_ACCOUNT, XUsageRow
from bot.core.clock import Clock, SystemClock
from bot.core.reach.prices import MonthUsage

log = logging.getLogger(__name__)

FLUSH_BACKOFF = timedelta(seconds=30)  # after a failed flush, before the usage lane tries again
_COLUMNS = ("read_requests", "read_items", "write_requests", "cost_micro_usd")


def _month(moment: datetime) -> str:
    return moment.strftime("%Y-%m")


def _no_wake() -> None:
    pass


class SqlUsageStore:
    """Counts every X request (the `UsageRecorder` port of the X client) and answers the read budget
    (the `UsageStore` port of `ReadBudget`).

    ``wake``: tells the scheduler's usage lane that counts are waiting to be written. ``account``: whose
    requests these are (each account has its own counts and budget).
    """

    def __init__(self, engine: AsyncEngine, clock: Clock | None = None, *,
                 wake: Callable[[], None] = _no_wake, account: str = DEFAULT_ACCOUNT) -> None:
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)
        self._account = account
        self._clock = clock or SystemClock()
        self.wake = wake
        self._pending: defaultdict[str, Counter[str]] = defaultdict(Counter)
        self._flush_lock = asyncio.Lock()
        self._retry_at: datetime | None = None  # after a failed flush: when the usage lane tries again

    async def record(self, kind: str, *, items: int = 0, cost: float = 0.0) -> None:
        """Count one X request in the current UTC month (the UsageRecorder port); in memory, never fails."""
        counts = self._pending[_month(self._clock.now())]
        if cost:
            counts["cost_micro_usd"] += round(cost * 1_000_000)
        if kind == "write":
            counts["write_requests"] += 1
        else:
            counts["read_requests"] += 1
            counts["read_items"] += items
        self.wake()

    @property
    def pending(self) -> dict[str, dict[str, int]]:
        """Counts not yet written, per month."""
        return {month: dict(counts) for month, counts in self._pending.items() if counts}

    async def flush(self) -> bool:
        """Write the counts kept in memory; False (logged, counts kept) when the database refuses."""
        async with self._flush_lock:
            batch = {month: counts for month, counts in self._pending.items() if counts}
            if not batch:
                return True
            self._pending = defaultdict(Counter)
            try:
                async with self._sessions.begin() as session:
                    for month, counts in batch.items():
                        await self._add(session, month, counts)
            except Exception as exc:
                for month, counts in batch.items():  # back in: the next flush writes them
                    self._pending[month].update(counts)
                self._retry_at = self._clock.now() + FLUSH_BACKOFF
                log.warning("could not write the X request counts (kept for later): %s", exc)
                return False
            self._retry_at = None
            return True

    async def next_flush(self) -> datetime | None:
        """For the scheduler's usage lane: when counts are waiting to be written (None: none are)."""
        if not any(self._pending.values()):
            return None
        return self._retry_at or self._clock.now()

    async def run_flush(self) -> None:
        """The usage lane's round."""
        await self.flush()

    def _month_row(self, month: str) -> tuple[ColumnElement[bool], ...]:
        return (XUsageRow.account == self._account, XUsageRow.month == month)

    async def _add(self, session: AsyncSession, month: str, counts: Counter[str]) -> None:
        values = {name: getattr(XUsageRow, name) + counts[name] for name in _COLUMNS if counts[name]}
        if not values:
            return
        result = await session.execute(update(XUsageRow).where(*self._month_row(month)).values(**values))
        if cast(CursorResult[Any], result).rowcount != 1:
            session.add(XUsageRow(account=self._account, month=month, budget_notice_level=0,
                                  **{name: counts[name] for name in _COLUMNS}))
            await session.flush()

    async def usage(self, now: datetime) -> XUsageRow | None:
        """The month's row, with the counts written first (as far as the database lets them be)."""
        await self.flush()
        async with self._sessions() as session:
            row = await session.get(XUsageRow, {"account": self._account, "month": _month(now)})
        unwritten = self._pending.get(_month(now))
        if row is not None and unwritten:  # the flush failed: show what is counted all the same
            for name in _COLUMNS:
                setattr(row, name, getattr(row, name) + unwritten[name])
        return row

    async def month_usage(self, now: datetime) -> MonthUsage:
        """This month's X requests and estimated dollars (for the summary and doctor)."""
        row = await self.usage(now)
        if row is None:
            pending = self._pending.get(_month(now), Counter())
            return MonthUsage(pending["read_requests"], pending["write_requests"], pending["read_items"],
                              pending["cost_micro_usd"] / 1_000_000)
        return MonthUsage(row.read_requests, row.write_requests, row.read_items, row.cost_micro_usd / 1_000_000)

    async def reads_in_month(self, now: datetime) -> int:
        row = await self.usage(now)
        if row is None:
            return self._pending.get(_month(now), Counter())["read_items"]
        return row.read_items

    async def budget_notice_level(self, now: datetime) -> int:
        row = await self.usage(now)
        return row.budget_notice_level if row else 0

    async def set_budget_notice_level(self, now: datetime, level: int) -> None:
        month = _month(now)
        for _ in range(2):
            async with self._sessions.begin() as session:
                result = await session.execute(update(XUsageRow).where(*self._month_row(month))
                                               .values(budget_notice_level=level))
                if cast(CursorResult[Any], result).rowcount == 1:
                    return
            try:
                async with self._sessions.begin() as session:
                    session.add(XUsageRow(account=self._account, month=month, read_requests=0, read_items=0,
                                          write_requests=0, cost_micro_usd=0, budget_notice_level=level))
                return
            except IntegrityError:
                pass  # created by a concurrent writer: update it now
