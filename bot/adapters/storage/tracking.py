"""Tracking jobs and follower counts in SQL (the `TrackingStore` port)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlalchemy.orm import aliased

from bot.adapters.storage.schema import (
    DEFAULT_ACCOUNT,
    AmplifierReadRow,
    AmplifierRow,
    FollowerCountRow,
    PostRow,
    SnapshotRow,
)
from bot.core.networks import Network
from bot.core.posting.records import PostState
from bot.core.reach.metrics import Metrics
from bot.core.reach.tracking import DueSnapshot, TrackedPost
from bot.core.timespec import Step

PENDING, TAKEN, SKIPPED, ENDED = "pending", "taken", "skipped", "ended"
_METRIC_FIELDS = ("retweets", "likes", "replies", "quotes", "bookmarks", "impressions")


def _tracked(row: PostRow) -> TrackedPost:
    assert row.remote_id is not None and row.posted_at is not None  # real posts only (see _real_posts)
    return TrackedPost(row.id, row.set_id, row.remote_id, row.posted_at, row.followers_at_post,
                       Network(row.network or Network.X.value))


def first_sighting():
    """AmplifierRow's condition: the account's first row for its post (an account that reposted and quoted
    counts once)."""
    earlier = aliased(AmplifierRow)
    return ~select(earlier.id).where(earlier.post_id == AmplifierRow.post_id, earlier.user_id == AmplifierRow.user_id,
                                     earlier.id < AmplifierRow.id).correlate(AmplifierRow).exists()


def owned_post(post_id: Any, account: str) -> ColumnElement[bool]:
    """The post (an id, or a column to correlate with) is the account's."""
    return select(PostRow.id).where(PostRow.id == post_id, PostRow.account == account).exists()


def _real_posts():
    return (PostRow.state == PostState.POSTED.value, PostRow.simulated.is_(False), PostRow.remote_id.is_not(None))


class SqlTrackingStore:
    """The `TrackingStore`: snapshot jobs of real posts and the daily follower count, of one ``account``."""

    def __init__(self, engine: AsyncEngine, *, account: str = DEFAULT_ACCOUNT) -> None:
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)
        self._account = account

    # --- tracking jobs ---

    async def untracked_posts(self, posted_since: datetime) -> list[TrackedPost]:
        has_jobs = select(SnapshotRow.id).where(SnapshotRow.post_id == PostRow.id).exists()
        query = (select(PostRow).where(PostRow.account == self._account, *_real_posts(),
                                       PostRow.posted_at >= posted_since, ~has_jobs)
                 .order_by(PostRow.id))
        async with self._sessions() as session:
            return [_tracked(row) for row in await session.scalars(query)]

    async def add_snapshots(self, post_id: int, jobs: list[tuple[Step, datetime]]) -> None:
        try:
            async with self._sessions.begin() as session:
                if not await session.scalar(select(owned_post(post_id, self._account))):
                    return
                session.add_all(SnapshotRow(post_id=post_id, step=step.label, step_seconds=step.seconds, due_at=due,
                                            state=PENDING) for step, due in jobs)
        except IntegrityError:
            pass  # another round enrolled the post meanwhile

    async def due_snapshots(self, now: datetime) -> list[DueSnapshot]:
        query = (select(SnapshotRow, PostRow).join(PostRow, PostRow.id == SnapshotRow.post_id)
                 .where(SnapshotRow.state == PENDING, SnapshotRow.due_at <= now, PostRow.account == self._account)
                 .order_by(SnapshotRow.due_at, SnapshotRow.id))
        async with self._sessions() as session:
            return [DueSnapshot(snap.id, _tracked(post), snap.step, snap.step_seconds, snap.due_at)
                    for snap, post in (await session.execute(query)).all()]

    async def next_snapshot_due(self, network: Network | None = None) -> datetime | None:
        query = (select(func.min(SnapshotRow.due_at)).join(PostRow, PostRow.id == SnapshotRow.post_id)
                 .where(SnapshotRow.state == PENDING, PostRow.account == self._account))
        if network is not None:
            query = query.where(PostRow.network == network.value)
        async with self._sessions() as session:
            return await session.scalar(query)

    async def record_snapshot(self, snapshot_id: int, metrics: Metrics, *, taken_at: datetime) -> None:
        values = {name: getattr(metrics, name) for name in _METRIC_FIELDS}
        await self._set_state([snapshot_id], TAKEN, taken_at=taken_at, **values)

    async def skip_snapshots(self, snapshot_ids: list[int], reason: str, *, at: datetime) -> None:
        await self._set_state(snapshot_ids, SKIPPED, taken_at=at, note=reason)

    async def end_tracking(self, post_id: int, reason: str, *, at: datetime) -> None:
        async with self._sessions.begin() as session:
            await session.execute(update(SnapshotRow)
                                  .where(SnapshotRow.post_id == post_id, SnapshotRow.state == PENDING,
                                         owned_post(post_id, self._account))
                                  .values(state=ENDED, taken_at=at, note=reason))
            await session.execute(update(AmplifierReadRow)  # who carried a post that is gone: not asked either
                                  .where(AmplifierReadRow.post_id == post_id, AmplifierReadRow.state == PENDING,
                                         owned_post(post_id, self._account))
                                  .values(state=SKIPPED, taken_at=at, note=reason))

    async def _set_state(self, snapshot_ids: list[int], state: str, **values: object) -> None:
        if not snapshot_ids:
            return
        async with self._sessions.begin() as session:
            await session.execute(update(SnapshotRow)
                                  .where(SnapshotRow.id.in_(snapshot_ids), SnapshotRow.state == PENDING,
                                         owned_post(SnapshotRow.post_id, self._account))
                                  .values(state=state, **values))

    async def latest_post_at(self) -> datetime | None:
        async with self._sessions() as session:
            return await session.scalar(select(func.max(PostRow.posted_at))
                                        .where(PostRow.account == self._account, *_real_posts(),
                                               PostRow.network == Network.X.value))

    async def carried_followers(self, post_id: int) -> int:
        query = (select(func.coalesce(func.sum(AmplifierRow.followers), 0))
                 .where(AmplifierRow.post_id == post_id, AmplifierRow.account == self._account, first_sighting()))
        async with self._sessions() as session:
            return int(await session.scalar(query) or 0)

    # --- follower counts ---

    async def latest_followers_at(self) -> datetime | None:
        async with self._sessions() as session:
            return await session.scalar(select(func.max(FollowerCountRow.at))
                                        .where(FollowerCountRow.account == self._account))

    async def record_followers(self, count: int, *, at: datetime) -> None:
        day = at.astimezone(UTC).date().isoformat()
        try:
            async with self._sessions.begin() as session:
                row = await session.get(FollowerCountRow, {"account": self._account, "day": day})
                if row is None:
                    session.add(FollowerCountRow(account=self._account, day=day, count=count, at=at))
                elif at >= row.at:
                    row.count, row.at = count, at
        except IntegrityError:
            pass  # a concurrent round recorded the day first

    async def followers(self) -> list[tuple[str, int]]:
        async with self._sessions() as session:
            rows = await session.scalars(select(FollowerCountRow).where(FollowerCountRow.account == self._account)
                                         .order_by(FollowerCountRow.day))
            return [(row.day, row.count) for row in rows]
