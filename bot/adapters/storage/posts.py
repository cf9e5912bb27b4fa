"""Posts and the audit log in SQL; every state change is one conditional UPDATE.

Writes that find the database locked by another process are tried again (``WriteRetry``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from bot.adapters.storage.retry import WriteRetry
from bot.adapters.storage.schema import DEFAULT_ACCOUNT, AuditRow, DraftSetRow, PostRow, SnapshotRow
from bot.core.clock import Clock, SystemClock
from bot.core.networks import ORDER as NETWORK_ORDER
from bot.core.networks import Network
from bot.core.planning.best_time import PostFigures
from bot.core.posting.records import Post, PostState

_FIELDS = [name for name in Post.__dataclass_fields__ if name not in ("state", "network")]


def _to_post(row: PostRow) -> Post:
    return Post(state=PostState(row.state), network=Network(row.network),
                **{name: getattr(row, name) for name in _FIELDS})


class _AlreadyApproved(Exception):
    """The set has posts: a second approval adds none (on any network)."""


_WAITING = [PostState.SCHEDULED.value, PostState.IN_FLIGHT.value]  # states with a due time that matters


class SqlPostStore:
    """``account``: the account whose posts this store makes, changes and lists (of its own draft sets only)."""

    def __init__(self, engine: AsyncEngine, *, retry: WriteRetry | None = None,
                 account: str = DEFAULT_ACCOUNT) -> None:
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)
        self._retry = retry or WriteRetry.of(engine)
        self._account = account

    async def create_scheduled(self, *, set_id: int, draft_id: int, text: str, source_url: str | None,
                               approved_by: list[str], approved_at: datetime, due_at: datetime,
                               networks: list[Network], source_line: str | None = None,
                               planned: bool = False) -> list[Post]:
        rows = [PostRow(set_id=set_id, network=network.value, draft_id=draft_id, text=text, source_url=source_url,
                        source_line=source_line, approved_by=approved_by, approved_at=approved_at, due_at=due_at,
                        state=PostState.SCHEDULED.value, attempts=0, simulated=False, retryable=True,
                        uncertain=False, planned=planned, account=self._account)
                for network in networks]

        async def insert() -> None:
            async with self._sessions.begin() as session:
                # A write first: it takes the set's lock (SQLite: the database's write lock; PostgreSQL: the row),
                # so a second approval in another process waits here and then sees the posts of the first.
                locked = await session.execute(update(DraftSetRow)
                                               .where(DraftSetRow.id == set_id, DraftSetRow.account == self._account)
                                               .values(state=DraftSetRow.state))
                if cast(CursorResult[Any], locked).rowcount != 1:
                    raise _AlreadyApproved  # not a set of this account's: no posts for it
                if await session.scalar(select(PostRow.id).where(PostRow.set_id == set_id).limit(1)) is not None:
                    raise _AlreadyApproved
                session.add_all(rows)

        try:
            await self._retry.run(insert, what="approving a post")
        except (IntegrityError, _AlreadyApproved):
            return []  # the set has its posts already (another approval was quicker)
        return [_to_post(row) for row in rows]

    async def transition(self, post_id: int, from_states: set[PostState], to_state: PostState,
                         **fields: object) -> Post | None:
        return await self._retry.run(lambda: self._transition(post_id, from_states, to_state, fields),
                                     what=f"post {post_id} to {to_state.value}")

    async def _transition(self, post_id: int, from_states: set[PostState], to_state: PostState,
                          fields: dict[str, object]) -> Post | None:
        async with self._sessions.begin() as session:
            result = await session.execute(
                update(PostRow)
                .where(PostRow.id == post_id, PostRow.account == self._account,
                       PostRow.state.in_([s.value for s in from_states]))
                .values(state=to_state.value, **fields)
            )
            if getattr(result, "rowcount", 0) != 1:  # a CursorResult for an UPDATE
                return None
            row = await session.get(PostRow, post_id, populate_existing=True)
            return _to_post(row) if row else None

    async def for_set(self, set_id: int) -> list[Post]:
        posts = await self._many(select(PostRow).where(PostRow.set_id == set_id, PostRow.account == self._account))
        return sorted(posts, key=lambda post: NETWORK_ORDER.index(post.network))

    async def due(self, now: datetime) -> list[Post]:
        return await self._many(
            select(PostRow).where(PostRow.account == self._account, PostRow.state.in_(_WAITING), PostRow.due_at <= now)
            .order_by(PostRow.due_at, PostRow.id)
        )

    async def next_due_at(self) -> datetime | None:
        async with self._sessions() as session:
            return await session.scalar(select(func.min(PostRow.due_at))
                                        .where(PostRow.account == self._account, PostRow.state.in_(_WAITING)))

    async def in_state(self, state: PostState) -> list[Post]:
        return await self._many(select(PostRow).where(PostRow.account == self._account, PostRow.state == state.value)
                                .order_by(PostRow.id))

    async def _many(self, query) -> list[Post]:
        async with self._sessions() as session:
            return [_to_post(row) for row in await session.scalars(query)]


class SqlPostFigures:
    """Posted posts with their engagement rate (interactions ÷ impressions of the newest reading), for the best
    time of the week."""

    def __init__(self, engine: AsyncEngine, *, account: str = DEFAULT_ACCOUNT) -> None:
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)
        self._account = account

    async def since(self, since: datetime) -> list[PostFigures]:
        newest = (select(SnapshotRow.post_id, func.max(SnapshotRow.taken_at).label("taken_at"))
                  .where(SnapshotRow.state == "taken", SnapshotRow.impressions.is_not(None))
                  .group_by(SnapshotRow.post_id).subquery())
        query = (select(PostRow.id, PostRow.posted_at, SnapshotRow.likes, SnapshotRow.retweets, SnapshotRow.replies,
                        SnapshotRow.quotes, SnapshotRow.impressions)
                 .join(newest, newest.c.post_id == PostRow.id)
                 .join(SnapshotRow, (SnapshotRow.post_id == PostRow.id) & (SnapshotRow.taken_at == newest.c.taken_at))
                 .where(PostRow.account == self._account, PostRow.state == PostState.POSTED.value,
                        PostRow.simulated.is_(False), PostRow.posted_at > since))
        async with self._sessions() as session:
            rows = (await session.execute(query)).all()
        figures: dict[int, PostFigures] = {}  # one per post, should two readings share a time
        for post_id, posted_at, likes, retweets, replies, quotes, impressions in rows:
            if posted_at is None:
                continue
            interactions = (likes or 0) + (retweets or 0) + (replies or 0) + (quotes or 0)
            figures[post_id] = PostFigures(posted_at, interactions / impressions if impressions else None)
        return list(figures.values())


class SqlAuditLog:
    """``account``: the account whose audit log this is."""

    def __init__(self, engine: AsyncEngine, clock: Clock | None = None, *, retry: WriteRetry | None = None,
                 account: str = DEFAULT_ACCOUNT) -> None:
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)
        self._account = account
        self._clock = clock or SystemClock()
        self._retry = retry or WriteRetry.of(engine)

    async def record(self, action: str, *, actor: str | None, set_id: int | None = None,
                     post_id: int | None = None, detail: str | None = None) -> None:
        at = self._clock.now()

        async def insert() -> None:
            async with self._sessions.begin() as session:
                session.add(AuditRow(at=at, action=action, actor=actor, set_id=set_id, post_id=post_id,
                                     detail=detail, account=self._account))

        await self._retry.run(insert, what=f"audit {action}")

    async def entries(self, set_id: int | None = None) -> list[AuditRow]:
        query = select(AuditRow).where(AuditRow.account == self._account).order_by(AuditRow.id)
        if set_id is not None:
            query = query.where(AuditRow.set_id == set_id)
        async with self._sessions() as session:
            return list(await session.scalars(query))
