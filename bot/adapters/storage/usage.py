"""The X request counter per UTC month and the read budget notices in SQL (`UsageRecorder` and `UsageStore`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from bot.adapters.storage.schema import XUsageRow
from bot.core.clock import Clock, SystemClock


def _month(moment: datetime) -> str:
    return moment.strftime("%Y-%m")


class SqlUsageStore:
    """Counts every X request (the `UsageRecorder` port of the X client) and answers the read budget
    (the `UsageStore` port of `ReadBudget`)."""

    def __init__(self, engine: AsyncEngine, clock: Clock | None = None) -> None:
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)
        self._clock = clock or SystemClock()

    async def record(self, kind: str, *, items: int = 0) -> None:
        """Count one X request in the current UTC month (the UsageRecorder port)."""
        increments = ({"write_requests": XUsageRow.write_requests + 1} if kind == "write" else
                      {"read_requests": XUsageRow.read_requests + 1, "read_items": XUsageRow.read_items + items})
        await self._bump_usage(_month(self._clock.now()), increments)

    async def _bump_usage(self, month: str, values: dict) -> None:
        for _ in range(2):
            async with self._sessions.begin() as session:
                result = await session.execute(update(XUsageRow).where(XUsageRow.month == month).values(**values))
                if cast(CursorResult[Any], result).rowcount == 1:
                    return
            try:
                async with self._sessions.begin() as session:
                    session.add(XUsageRow(month=month, read_requests=0, read_items=0, write_requests=0,
                                          budget_notice_level=0))
            except IntegrityError:
                pass  # created by a concurrent request: update it now

    async def usage(self, now: datetime) -> XUsageRow | None:
        async with self._sessions() as session:
            return await session.get(XUsageRow, _month(now))

    async def reads_in_month(self, now: datetime) -> int:
        row = await self.usage(now)
        return row.read_items if row else 0

    async def budget_notice_level(self, now: datetime) -> int:
        row = await self.usage(now)
        return row.budget_notice_level if row else 0

    async def set_budget_notice_level(self, now: datetime, level: int) -> None:
        await self._bump_usage(_month(now), {"budget_notice_level": level})

