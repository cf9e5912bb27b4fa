"""Writes that wait out a database another process is writing to.

SQLite lets one writer at a time; ``busy_timeout`` (see ``database.create_engine``) makes a
write wait for the lock, and ``WriteRetry`` tries a write that still found the database
locked again after a growing pause, for a bounded number of times. Only "database is locked"
(and "busy") is retried: every other error goes to the caller at once.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

log = logging.getLogger(__name__)

T = TypeVar("T")
Sleep = Callable[[float], Awaitable[object]]

DEFAULT_BUSY_SECONDS = 5.0
_busy_seconds: weakref.WeakKeyDictionary[object, float] = weakref.WeakKeyDictionary()


def remember_busy_seconds(engine: AsyncEngine, seconds: float) -> None:
    """Called by ``create_engine``: how long one write waits for the lock on this engine."""
    _busy_seconds[engine.sync_engine] = seconds


def is_locked(exc: BaseException) -> bool:
    """SQLite (or a driver behind SQLAlchemy) said the database is locked or busy."""
    if not isinstance(exc, OperationalError):
        return False
    text = str(exc.orig if exc.orig is not None else exc).lower()
    return "database is locked" in text or "database is busy" in text or "database table is locked" in text


@dataclass(frozen=True)
class WriteRetry:
    """Try a write ``attempts`` times; pauses start at ``first_delay`` seconds and double up to ``max_delay``.

    Every attempt itself waits up to the engine's busy timeout for the lock, so one write gives up after
    about ``attempts`` × busy timeout plus the pauses (30 s and 6 s with the default 5 s).
    """

    attempts: int = 6
    first_delay: float = 0.2
    max_delay: float = 5.0
    sleep: Sleep = asyncio.sleep

    @classmethod
    def of(cls, engine: AsyncEngine, *, sleep: Sleep | None = None) -> WriteRetry:
        """Pauses in proportion to the engine's busy timeout (a short timeout in tests: short pauses)."""
        busy = _busy_seconds.get(engine.sync_engine, DEFAULT_BUSY_SECONDS)
        return cls(first_delay=busy / 25, max_delay=busy, sleep=sleep or asyncio.sleep)

    async def run(self, write: Callable[[], Awaitable[T]], *, what: str = "write") -> T:
        delay = self.first_delay
        for attempt in range(1, self.attempts + 1):
            try:
                return await write()
            except OperationalError as exc:
                if not is_locked(exc) or attempt == self.attempts:
                    raise
                log.warning("database locked (%s, attempt %d of %d): trying again in %.2f s", what, attempt,
                            self.attempts, delay)
            await self.sleep(delay)
            delay = min(delay * 2, self.max_delay)
        raise AssertionError("unreachable")  # the last attempt returns or raises
