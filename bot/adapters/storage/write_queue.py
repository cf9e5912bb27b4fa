"""One write transaction at a time on a database; the writes that queue meanwhile go together in the next one.

In a burst of news items, twenty sets and then twenty shown messages are stored one after another. Each
transaction pays for its own session, connection check-out, commit and reset, every one a hand-over to the
database's thread while the event loop is busy. Here the write that gets the turn runs every write waiting by then
in one transaction ("flat combining"), and keeps the turn until every one of them is settled. If one of them
fails, that transaction is undone and the others run again, each alone, so one bad write never takes the others
with it. A write that a batch took along returns without waiting for a turn of its own.

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
        time (alone, after a batch undone because another write failed), so it must change nothing but the
        database."""
        done: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        done.add_done_callback(_retrieved)
        entry = (write, done)
        self._waiting.append(entry)
        taking = asyncio.ensure_future(self._turn.acquire())
        try:
            await asyncio.wait((done, taking), return_when=asyncio.FIRST_COMPLETED)
        except asyncio.CancelledError:
            self._give_back(taking)
            if entry in self._waiting:
                self._waiting.remove(entry)  # not taken yet: it never runs
            raise
        if done.done():  # another write's batch took it along: no turn needed
            self._give_back(taking)
            return done.result()
        if taking.cancelled():  # the loop is shutting down
            self._waiting.remove(entry)
            raise asyncio.CancelledError
        # The turn is ours, and (a batch keeps the turn until it is settled) our write still waits among the others.
        batch, self._waiting = self._waiting, []
        settling = asyncio.ensure_future(self._settle(batch))  # gives the turn back once every write is settled
        await asyncio.shield(settling)  # a caller who gives up leaves the batch to finish
        return done.result()

    @asynccontextmanager
    async def alone(self) -> AsyncIterator[AsyncSession]:
        """A write transaction of its own, between the batches (for writes that read what they change)."""
        async with self._sessions() as session:
            async with self._turn, session.begin():
                yield session

    def _give_back(self, taking: asyncio.Future[Any]) -> None:
        if taking.done() and not taking.cancelled() and taking.exception() is None:
            self._turn.release()
        else:
            taking.cancel()  # (a lock granted meanwhile passes on to the next in line)

    async def _settle(self, batch: list[tuple[Write, asyncio.Future[Any]]]) -> None:
        try:
            try:
                results = await self._transaction([write for write, _ in batch])
            except _WriteFailed as failed:  # undone together: the others again, each alone
                _set(batch[failed.index][1], error=failed.error)
                for write, done in batch[:failed.index] + batch[failed.index + 1:]:
                    try:
                        [result] = await self._transaction([write])
                    except _WriteFailed as alone:
                        _set(done, error=alone.error)
                    except Exception as exc:
                        _set(done, error=exc)
                    else:
                        _set(done, result)
            except Exception as exc:  # the transaction itself failed (its commit, say): it may have happened
                for _, done in batch:
                    _set(done, error=exc)
            else:
                for (_, done), result in zip(batch, results, strict=True):
                    _set(done, result)
        finally:
            self._turn.release()

    async def _transaction(self, writes: list[Write]) -> list[Any]:
        async with self._sessions() as session, session.begin():
            results = []
            for index, write in enumerate(writes):
                try:
                    results.append(await write(session))
                except Exception as exc:
                    raise _WriteFailed(index, exc) from exc
            return results


class _WriteFailed(Exception):
    """A write of a transaction failed (not the transaction itself): its error, and where it stood."""

    def __init__(self, index: int, error: Exception) -> None:
        super().__init__(index, error)
        self.index, self.error = index, error


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
