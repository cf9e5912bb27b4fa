"""The `HeartbeatStore`: one row per component with its latest sign of life."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy import insert, select, update
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.adapters.storage.database import StorageError, create_engine
from bot.adapters.storage.schema import HeartbeatRow
from bot.core.health import Beat


def open_for_check(url: str) -> AsyncEngine:
    """The database for a health check: a SQLite file that does not exist is an error, never created."""
    try:
        parsed = make_url(url)
    except Exception as exc:
        raise StorageError("DATABASE_URL ist ungültig.", detail=type(exc).__name__) from exc
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        path = Path(parsed.database)
        if not path.is_file():
            raise StorageError(f"die Datei {path.resolve()} gibt es nicht (DATABASE_URL prüfen)")
    return create_engine(url)


class SqlHeartbeats:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def write(self, component: str, at: datetime, state: str | None = None) -> None:
        async with self._engine.begin() as connection:
            changed = await connection.execute(
                update(HeartbeatRow).where(HeartbeatRow.component == component).values(at=at, state=state))
            if changed.rowcount == 0:
                await connection.execute(insert(HeartbeatRow).values(component=component, at=at, state=state))

    async def read_all(self) -> dict[str, Beat]:
        async with self._engine.connect() as connection:
            rows = (await connection.execute(select(HeartbeatRow.component, HeartbeatRow.at, HeartbeatRow.state)))
            return {row.component: Beat(row.component, row.at, row.state) for row in rows}
