"""One write transaction at a time on a database; the writes that queue meanwhile go together in the next one.

In a burst of news items, twenty sets and then twenty shown messages are stored one after another. Each
transaction pays for its own session, connection check-out, commit and reset, every one a hand-over to the
database's thread while the event loop is busy. Here the write that gets the turn runs every write waiting by then
in one transaction ("flat combining"). If any of them fails, that transaction is undone and each write runs again
alone, so one bad write never takes the others with it.

One writer at a time also keeps SQLite's busy handler out of the way: it sleeps up to 100 ms per retry.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

T = TypeVar("T")
Write = Callable[[AsyncSession], Awaitable[Any]]


class WriteQueue:
    """Shared by every store that writes through it on one database (the workflow stores of all accounts)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)
        self._turn = asyncio.Lock()
        self._waiting: list[tuple[Write, asyncio.Future[Any]]] = []

    async def run(self, write: Callable[[AsyncSession], Awaitable[T]]) -> T:
        """Run ``write``'s statements in a transaction, perhaps together with other writes. It may run a second
        time (alone, after its batch was undone), so it must change nothing but the database."""
        done: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        done.add_done_callback(_retrieved)
        entry = (write, done)
        self._waiting.append(entry)
        try:
            async with self._turn:
                batch, self._waiting = self._waiting, []
                if batch:
                    # Shielded: a write whose caller gives up still settles every write of its batch.
                    await asyncio.shield(self._settle(batch))
        except asyncio.CancelledError:
            if entry in self._waiting:
                self._waiting.remove(entry)  # not taken yet: it never runs
            raise
        return await done

    @asynccontextmanager
    async def alone(self) -> AsyncIterator[AsyncSession]:
        """A write transaction of its own, between the batches (for writes that read what they change)."""
        async with self._sessions() as session:
            async with self._turn, session.begin():
                yield session

    async def _settle(self, batch: list[tuple[Write, asyncio.Future[Any]]]) -> None:
        try:
            results = await self._transaction([write for write, _ in batch])
        except Exception as exc:
            if len(batch) == 1:
                _set(batch[0][1], error=exc)
                return
            for write, done in batch:  # undone together: each again alone, so a failure stays its own
                try:
                    [result] = await self._transaction([write])
                except Exception as alone_exc:
                    _set(done, error=alone_exc)
                else:
                    _set(done, result)
            return
        for (_, done), result in zip(batch, results, strict=True):
            _set(done, result)

    async def _transaction(self, writes: list[Write]) -> list[Any]:
        async with self._sessions() as session, session.begin():
            return [await write(session) for write in writes]


def _set(done: asyncio.Future[Any], result: Any = None, *, error: BaseException | None = None) -> None:
    if done.done():  # its caller gave up waiting
        return
    if error is not None:
        done.set_exception(error)
    else:
        done.set_result(result)


def _retrieved(done: asyncio.Future[Any]) -> None:
    """A failed write whose caller gave up waiting is not reported again as never retrieved."""
    if not done.cancelled():
        done.exception()
