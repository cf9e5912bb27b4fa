"""Tracking jobs, follower counts, sent summaries and the X request counter in SQL."""

from __future__ import annotations

from datetime import date, datetime, timezone

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from bot.adapters.storage.schema import FollowerCountRow, PostRow, SentSummaryRow, SnapshotRow, XUsageRow
from bot.core.clock import Clock, SystemClock
from bot.core.posting.records import PostState
from bot.core.reach.metrics import Metrics
from bot.core.reach.summary import PostRecord, Reading
from bot.core.reach.tracking import DueSnapshot, Step, TrackedPost

PENDING, TAKEN, SKIPPED, ENDED = "pending", "taken", "skipped", "ended"
_METRIC_FIELDS = ("retweets", "likes", "replies", "quotes", "bookmarks", "impressions")


def _month(moment: datetime) -> str:
    return moment.strftime("%Y-%m")


def _tracked(row: PostRow) -> TrackedPost:
    return TrackedPost(row.id, row.set_id, row.x_post_id, row.posted_at, row.followers_at_post)


def _real_posts():
    return (PostRow.state == PostState.POSTED.value, PostRow.simulated.is_(False), PostRow.x_post_id.is_not(None))


class SqlTrackingStore:
    """TrackingStore, SummaryStore and the X usage counter on one database."""

    def __init__(self, engine: AsyncEngine, clock: Clock | None = None) -> None:
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)
        self._clock = clock or SystemClock()

    # --- tracking jobs ---

    async def untracked_posts(self, posted_since: datetime) -> list[TrackedPost]:
        has_jobs = select(SnapshotRow.id).where(SnapshotRow.post_id == PostRow.id).exists()
        query = (select(PostRow).where(*_real_posts(), PostRow.posted_at >= posted_since, ~has_jobs)
                 .order_by(PostRow.id))
        async with self._sessions() as session:
            return [_tracked(row) for row in await session.scalars(query)]

    async def add_snapshots(self, post_id: int, jobs: list[tuple[Step, datetime]]) -> None:
        try:
            async with self._sessions.begin() as session:
                session.add_all(SnapshotRow(post_id=post_id, step=step.label, step_seconds=step.seconds, due_at=due,
                                            state=PENDING) for step, due in jobs)
        except IntegrityError:
            pass  # another round enrolled the post meanwhile

    async def due_snapshots(self, now: datetime) -> list[DueSnapshot]:
        query = (select(SnapshotRow, PostRow).join(PostRow, PostRow.id == SnapshotRow.post_id)
                 .where(SnapshotRow.state == PENDING, SnapshotRow.due_at <= now)
                 .order_by(SnapshotRow.due_at, SnapshotRow.id))
        async with self._sessions() as session:
            return [DueSnapshot(snap.id, _tracked(post), snap.step, snap.step_seconds, snap.due_at)
                    for snap, post in (await session.execute(query)).all()]

    async def record_snapshot(self, snapshot_id: int, metrics: Metrics, *, taken_at: datetime) -> None:
        values = {name: getattr(metrics, name) for name in _METRIC_FIELDS}
        await self._set_state([snapshot_id], TAKEN, taken_at=taken_at, **values)

    async def skip_snapshots(self, snapshot_ids: list[int], reason: str, *, at: datetime) -> None:
        await self._set_state(snapshot_ids, SKIPPED, taken_at=at, note=reason)

    async def end_tracking(self, post_id: int, reason: str, *, at: datetime) -> None:
        async with self._sessions.begin() as session:
            await session.execute(update(SnapshotRow)
                                  .where(SnapshotRow.post_id == post_id, SnapshotRow.state == PENDING)
                                  .values(state=ENDED, taken_at=at, note=reason))

    async def _set_state(self, snapshot_ids: list[int], state: str, **values: object) -> None:
        if not snapshot_ids:
            return
        async with self._sessions.begin() as session:
            await session.execute(update(SnapshotRow)
                                  .where(SnapshotRow.id.in_(snapshot_ids), SnapshotRow.state == PENDING)
                                  .values(state=state, **values))

    async def latest_post_at(self) -> datetime | None:
        async with self._sessions() as session:
            return await session.scalar(select(func.max(PostRow.posted_at)).where(*_real_posts()))

    # --- follower counts ---

    async def latest_followers_at(self) -> datetime | None:
        async with self._sessions() as session:
            return await session.scalar(select(func.max(FollowerCountRow.at)))

    async def record_followers(self, count: int, *, at: datetime) -> None:
        day = at.astimezone(timezone.utc).date().isoformat()
        try:
            async with self._sessions.begin() as session:
                row = await session.get(FollowerCountRow, day)
                if row is None:
                    session.add(FollowerCountRow(day=day, count=count, at=at))
                elif at >= row.at:
                    row.count, row.at = count, at
        except IntegrityError:
            pass  # a concurrent round recorded the day first

    async def followers(self) -> list[tuple[str, int]]:
        async with self._sessions() as session:
            rows = await session.scalars(select(FollowerCountRow).order_by(FollowerCountRow.day))
            return [(row.day, row.count) for row in rows]

    # --- X usage ---

    async def record(self, kind: str, *, items: int = 0) -> None:
        """Count one X request in the current UTC month (the UsageRecorder port)."""
        increments = ({"write_requests": XUsageRow.write_requests + 1} if kind == "write" else
                      {"read_requests": XUsageRow.read_requests + 1, "read_items": XUsageRow.read_items + items})
        await self._bump_usage(_month(self._clock.now()), increments)

    async def _bump_usage(self, month: str, values: dict) -> None:
        for _ in range(2):
            async with self._sessions.begin() as session:
                result = await session.execute(update(XUsageRow).where(XUsageRow.month == month).values(**values))
                if result.rowcount == 1:
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

    # --- summaries ---

    async def posts_since(self, since: datetime) -> list[PostRecord]:
        posts_query = (select(PostRow).where(PostRow.state == PostState.POSTED.value, PostRow.posted_at >= since)
                       .order_by(PostRow.posted_at, PostRow.id))
        async with self._sessions() as session:
            posts = list(await session.scalars(posts_query))
            snapshots = list(await session.scalars(
                select(SnapshotRow).where(SnapshotRow.post_id.in_([p.id for p in posts]),
                                          SnapshotRow.state.in_([TAKEN, ENDED]))
                .order_by(SnapshotRow.taken_at, SnapshotRow.id)))
        records = {p.id: PostRecord(p.id, p.set_id, p.text, p.url, p.posted_at, p.simulated, p.followers_at_post)
                   for p in posts}
        for snap in snapshots:
            record = records[snap.post_id]
            if snap.state == ENDED:
                record.tracking_note = snap.note
            else:
                record.readings.append(Reading(snap.taken_at, Metrics(*(getattr(snap, n) for n in _METRIC_FIELDS))))
        return list(records.values())

    async def claim_summary(self, local_day: date, *, at: datetime) -> bool:
        try:
            async with self._sessions.begin() as session:
                session.add(SentSummaryRow(day=local_day.isoformat(), sent_at=at))
        except IntegrityError:
            return False
        return True

    async def summary_delivered(self, local_day: date) -> bool:
        async with self._sessions() as session:
            row = await session.get(SentSummaryRow, local_day.isoformat())
            return row is not None and row.delivered_at is not None

    async def mark_summary_delivered(self, local_day: date, *, at: datetime) -> None:
        async with self._sessions.begin() as session:
            row = await session.get(SentSummaryRow, local_day.isoformat())
            if row is not None:
                row.delivered_at = at

    async def any_summary_sent(self) -> bool:
        async with self._sessions() as session:
            return (await session.scalars(select(SentSummaryRow.day).limit(1))).first() is not None

    async def release_summary(self, local_day: date) -> None:
        async with self._sessions.begin() as session:
            row = await session.get(SentSummaryRow, local_day.isoformat())
            if row is not None:
                await session.delete(row)
