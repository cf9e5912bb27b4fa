"""What the daily summary and the questions about the numbers read, and which summaries went out, in SQL
(the `SummaryStore` port).

The figures are picked in the database: one row per post with only its newest reading and the last one
taken at or before the baseline (correlated subqueries find their ids, joined by primary key), as plain
columns, never ORM objects; with each post the number of notable accounts that carried it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, ScalarSelect, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlalchemy.orm import aliased

from bot.adapters.storage.schema import DEFAULT_ACCOUNT, AmplifierRow, PostRow, SentSummaryRow, SnapshotRow
from bot.adapters.storage.tracking import ENDED, TAKEN, first_sighting
from bot.core.networks import Network
from bot.core.posting.records import PostState
from bot.core.reach.metrics import Metrics
from bot.core.reach.summary import NotableSighting, PostRecord
from bot.core.reach.weekly import TopAmplifier

_METRICS = (SnapshotRow.retweets, SnapshotRow.likes, SnapshotRow.replies, SnapshotRow.quotes, SnapshotRow.bookmarks,
            SnapshotRow.impressions)  # in the order of `Metrics`
_POST = (PostRow.id, PostRow.set_id, PostRow.text, PostRow.url, PostRow.posted_at, PostRow.simulated,
         PostRow.followers_at_post)  # in the order of `PostRecord`
_ROWS_PER_STEP = 250  # posts are fetched and shaped in parts


def _newest(state: str, *, taken_by: datetime | None = None) -> ScalarSelect[int]:
    """The id of the post's newest snapshot in ``state`` (taken at or before ``taken_by``, if given)."""
    conditions: list[ColumnElement[bool]] = [SnapshotRow.post_id == PostRow.id, SnapshotRow.state == state]
    if taken_by is not None:
        conditions.append(SnapshotRow.taken_at <= taken_by)
    return (select(SnapshotRow.id).where(*conditions).order_by(SnapshotRow.taken_at.desc(), SnapshotRow.id.desc())
            .limit(1).correlate(PostRow).scalar_subquery())


def _metrics(values: Sequence[Any]) -> Metrics | None:
    return None if values[-1] is None else Metrics(*values[:-1])  # the snapshot id is None without a reading


_NOTABLE_COUNT = (select(func.count(func.distinct(AmplifierRow.user_id)))
                  .where(AmplifierRow.post_id == PostRow.id, AmplifierRow.notable.is_(True))
                  .correlate(PostRow).scalar_subquery())
_CARRIED = (select(func.coalesce(func.sum(AmplifierRow.followers), 0))  # each account once (Reichweiten-Multiplikator)
            .where(AmplifierRow.post_id == PostRow.id, first_sighting())
            .correlate(PostRow).scalar_subquery())


def _record(row: Row[Any]) -> PostRecord:
    values: tuple[Any, ...] = tuple(row)
    post_id, set_id, text, url, posted_at, simulated, followers = values[:len(_POST)]
    start, width = len(_POST), len(_METRICS) + 1
    return PostRecord(post_id, set_id, text, url, posted_at, simulated, followers,
                      latest=_metrics(values[start:start + width]),
                      baseline=_metrics(values[start + width:start + 2 * width]), tracking_note=values[-4],
                      notable=values[-3] or 0, network=Network(values[-2] or Network.X.value),
                      carried_followers=values[-1] or 0)


class SqlSummaryStore:
    """The `SummaryStore`: posts with their figures, and the sent summaries, of one ``account``."""

    def __init__(self, engine: AsyncEngine, *, account: str = DEFAULT_ACCOUNT) -> None:
        self._engine = engine
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)
        self._account = account

    # --- figures ---

    async def posts_since(self, since: datetime, *, baseline_at: datetime) -> list[PostRecord]:
        latest, baseline, ended = (aliased(SnapshotRow) for _ in range(3))
        query = (select(*_POST,
                        *(getattr(latest, c.key) for c in _METRICS), latest.id,
                        *(getattr(baseline, c.key) for c in _METRICS), baseline.id,
                        ended.note, _NOTABLE_COUNT, PostRow.network, _CARRIED)
                 .select_from(PostRow)
                 .outerjoin(latest, latest.id == _newest(TAKEN))
                 .outerjoin(baseline, baseline.id == _newest(TAKEN, taken_by=baseline_at))
                 .outerjoin(ended, ended.id == _newest(ENDED))
                 .where(PostRow.account == self._account, PostRow.state == PostState.POSTED.value,
                        PostRow.posted_at >= since)
                 .order_by(PostRow.posted_at, PostRow.id))
        records: list[PostRecord] = []
        async with self._engine.connect() as connection:
            result = await connection.stream(query)
            async for rows in result.partitions(_ROWS_PER_STEP):  # the event loop runs other work in between
                records.extend(_record(row) for row in rows)
        return records

    async def notable_since(self, since: datetime) -> list[NotableSighting]:
        query = (select(AmplifierRow.post_id, AmplifierRow.handle, AmplifierRow.label, AmplifierRow.followers,
                        AmplifierRow.kind, PostRow.network)
                 .join(PostRow, PostRow.id == AmplifierRow.post_id)
                 .where(PostRow.account == self._account, AmplifierRow.notable.is_(True),
                        AmplifierRow.first_seen >= since)
                 .order_by(AmplifierRow.followers.desc(), AmplifierRow.id))
        async with self._engine.connect() as connection:
            return [NotableSighting(*row[:5], network=Network(row[5] or Network.X.value))
                    for row in await connection.execute(query)]

    async def top_amplifiers_since(self, since: datetime, limit: int) -> list[TopAmplifier]:
        query = (select(AmplifierRow.handle, func.max(AmplifierRow.label), func.max(AmplifierRow.followers),
                        func.count(func.distinct(AmplifierRow.post_id)), PostRow.network)
                 .join(PostRow, PostRow.id == AmplifierRow.post_id)
                 .where(PostRow.account == self._account, PostRow.posted_at >= since)
                 .group_by(PostRow.network, AmplifierRow.user_id, AmplifierRow.handle)
                 .order_by(func.max(AmplifierRow.followers).desc(), AmplifierRow.handle)
                 .limit(limit))
        async with self._engine.connect() as connection:
            return [TopAmplifier(*row[:4], network=Network(row[4] or Network.X.value))
                    for row in await connection.execute(query)]

    # --- sent summaries ---

    async def claim_summary(self, local_day: date, *, at: datetime) -> bool:
        try:
            async with self._sessions.begin() as session:
                session.add(SentSummaryRow(account=self._account, day=local_day.isoformat(), sent_at=at))
        except IntegrityError:
            return False
        return True

    async def summary_delivered(self, local_day: date) -> bool:
        async with self._sessions() as session:
            row = await session.get(SentSummaryRow, self._key(local_day))
            return row is not None and row.delivered_at is not None

    async def mark_summary_delivered(self, local_day: date, *, at: datetime) -> None:
        async with self._sessions.begin() as session:
            row = await session.get(SentSummaryRow, self._key(local_day))
            if row is not None:
                row.delivered_at = at

    async def any_summary_sent(self) -> bool:
        async with self._sessions() as session:
            return (await session.scalars(select(SentSummaryRow.day).where(SentSummaryRow.account == self._account)
                                          .limit(1))).first() is not None

    async def release_summary(self, local_day: date) -> None:
        async with self._sessions.begin() as session:
            row = await session.get(SentSummaryRow, self._key(local_day))
            if row is not None:
                await session.delete(row)

    def _key(self, local_day: date) -> dict[str, str]:
        return {"account": self._account, "day": local_day.isoformat()}
