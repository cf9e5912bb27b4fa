"""SQLite connections that cross to their thread once per statement.

aiosqlite runs SQLite in a thread of its own, and SQLAlchemy asks it for a cursor, runs the statement, fetches
the rows and closes the cursor: four hand-overs between that thread and the event loop, each waiting for the
loop's next turn. When the loop is busy (a burst of news items), every write keeps the others waiting four times
as long as it needs. Here a statement runs and its rows come back in one hand-over: the cursor is made, used and
closed in the thread, and the rows wait in memory for SQLAlchemy to fetch them. It fetches them all at once
anyway, except for a streamed result: that one is read whole too, and each of its parts still gives the event
loop a turn.

A connection handed back to the pool is rolled back only when SQLite says a transaction is open: after a commit
none is, and the pool's rollback of every connection it gets back was one more hand-over per transaction.

Built on aiosqlite's connection thread and its queue (`Connection._execute`), which SQLAlchemy's aiosqlite
dialect also relies on; `tests/adapters/storage` run every store through it.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections import deque
from collections.abc import Iterable, Sequence
from typing import Any

import aiosqlite
from aiosqlite.context import contextmanager
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import PoolResetState

_Outcome = tuple[list[Any], Any, int, int | None]  # rows, description, rowcount, lastrowid


def _run(connection: sqlite3.Connection, sql: str, parameters: Any, many: bool) -> _Outcome:
    """In the connection's thread: the statement, its rows and what the cursor says about it."""
    cursor = connection.cursor()
    try:
        if many:
            cursor.executemany(sql, parameters)
        else:
            cursor.execute(sql, parameters)
        rows = cursor.fetchall() if cursor.description else []
        return rows, cursor.description, cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


class OneTripCursor:
    """The part of aiosqlite's cursor SQLAlchemy uses, with the statement's results kept in memory."""

    arraysize = 1

    def __init__(self, connection: OneTripConnection) -> None:
        self._connection = connection
        self._rows: deque[Any] = deque()
        self.description: Any = None
        self.rowcount = -1
        self.lastrowid: int | None = None

    async def execute(self, sql: str, parameters: Iterable[Any] | None = None) -> OneTripCursor:
        return await self._go(sql, () if parameters is None else parameters, many=False)

    async def executemany(self, sql: str, parameters: Iterable[Iterable[Any]]) -> OneTripCursor:
        return await self._go(sql, parameters, many=True)

    async def _go(self, sql: str, parameters: Any, *, many: bool) -> OneTripCursor:
        connection = self._connection
        rows, self.description, self.rowcount, self.lastrowid = await connection._execute(
            _run, connection._conn, sql, parameters, many)
        self._rows = deque(rows)
        return self

    async def fetchone(self) -> Any:
        return self._rows.popleft() if self._rows else None

    async def fetchmany(self, size: int | None = None) -> Sequence[Any]:
        await asyncio.sleep(0)  # a streamed result's parts: the event loop runs other work in between
        count = min(len(self._rows), size or self.arraysize)
        return [self._rows.popleft() for _ in range(count)]

    async def fetchall(self) -> Sequence[Any]:
        rows, self._rows = list(self._rows), deque()
        return rows

    async def close(self) -> None:
        self._rows.clear()

    async def __aenter__(self) -> OneTripCursor:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()


class OneTripConnection(aiosqlite.Connection):
    @contextmanager
    async def cursor(self) -> OneTripCursor:  # type: ignore[override]
        return OneTripCursor(self)  # no hand-over: the SQLite cursor is made with its statement


def connect(database: str, **kwargs: Any) -> OneTripConnection:
    """Like `aiosqlite.connect`, with the one-trip cursor."""
    connection = OneTripConnection(lambda: sqlite3.connect(database, **kwargs), iter_chunk_size=64)
    connection._thread.daemon = True  # as SQLAlchemy's dialect does: an open connection never holds up an exit
    return connection


ENGINE_OPTIONS: dict[str, Any] = {"pool_reset_on_return": None}  # `use_one_trip_cursors` resets instead


def use_one_trip_cursors(engine: AsyncEngine) -> None:
    """Make the engine's new SQLite connections with `connect` (SQLAlchemy's arguments for them unchanged), and
    roll back a connection handed back with a transaction open (the engine is made with `ENGINE_OPTIONS`)."""
    @event.listens_for(engine.sync_engine, "do_connect")
    def one_trip(_dialect: Any, _record: Any, _args: Any, kwargs: dict[str, Any]) -> None:
        kwargs["async_creator_fn"] = connect

    @event.listens_for(engine.sync_engine, "reset")
    def roll_back_if_open(dbapi_connection: Any, record: Any, state: PoolResetState) -> None:
        if record is not None and state.asyncio_safe and record.driver_connection.in_transaction:  # None: detached
            dbapi_connection.rollback()
