"""Posts and the audit log in SQL; every state change is one conditional UPDATE."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from bot.adapters.storage.schema import AuditRow, PostRow
from bot.core.clock import Clock, SystemClock
from bot.core.posting.records import Post, PostState

_FIELDS = [name for name in Post.__dataclass_fields__ if name != "state"]


def _to_post(row: PostRow) -> Post:
    return Post(state=PostState(row.state), **{name: getattr(row, name) for name in _FIELDS})


class SqlPostStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)

    async def create_scheduled(self, *, set_id: int, draft_id: int, text: str, source_url: str | None,
                               approved_by: list[str], approved_at: datetime, due_at: datetime) -> Post | None:
        row = PostRow(set_id=set_id, draft_id=draft_id, text=text, source_url=source_url, approved_by=approved_by,
                      approved_at=approved_at, due_at=due_at, state=PostState.SCHEDULED.value, attempts=0,
                      simulated=False, retryable=True, uncertain=False)
        try:
            async with self._sessions.begin() as session:
                session.add(row)
        except IntegrityError:
            return None  # the set has its post already (unique set_id)
        return _to_post(row)

    async def transition(self, post_id: int, from_states: set[PostState], to_state: PostState,
                         **fields: object) -> Post | None:
        async with self._sessions.begin() as session:
            result = await session.execute(
                update(PostRow)
                .where(PostRow.id == post_id, PostRow.state.in_([s.value for s in from_states]))
                .values(state=to_state.value, **fields)
            )
            if getattr(result, "rowcount", 0) != 1:  # a CursorResult for an UPDATE
                return None
            row = await session.get(PostRow, post_id, populate_existing=True)
            return _to_post(row) if row else None

    async def for_set(self, set_id: int) -> Post | None:
        return await self._one(select(PostRow).where(PostRow.set_id == set_id))

    async def due(self, now: datetime) -> list[Post]:
        return await self._many(
            select(PostRow).where(PostRow.state == PostState.SCHEDULED.value, PostRow.due_at <= now)
            .order_by(PostRow.due_at)
        )

    async def next_due_at(self) -> datetime | None:
        async with self._sessions() as session:
            return await session.scalar(select(func.min(PostRow.due_at))
                                        .where(PostRow.state == PostState.SCHEDULED.value))

    async def in_state(self, state: PostState) -> list[Post]:
        return await self._many(select(PostRow).where(PostRow.state == state.value).order_by(PostRow.id))

    async def _one(self, query) -> Post | None:
        async with self._sessions() as session:
            row = (await session.scalars(query)).first()
            return _to_post(row) if row else None

    async def _many(self, query) -> list[Post]:
        async with self._sessions() as session:
            return [_to_post(row) for row in await session.scalars(query)]


class SqlAuditLog:
    def __init__(self, engine: AsyncEngine, clock: Clock | None = None) -> None:
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)
        self._clock = clock or SystemClock()

    async def record(self, action: str, *, actor: str | None, set_id: int | None = None,
                     post_id: int | None = None, detail: str | None = None) -> None:
        async with self._sessions.begin() as session:
            session.add(AuditRow(at=self._clock.now(), action=action, actor=actor, set_id=set_id, post_id=post_id,
                                 detail=detail))

    async def entries(self, set_id: int | None = None) -> list[AuditRow]:
        query = select(AuditRow).order_by(AuditRow.id)
        if set_id is not None:
            query = query.where(AuditRow.set_id == set_id)
        async with self._sessions() as session:
            return list(await session.scalars(query))
