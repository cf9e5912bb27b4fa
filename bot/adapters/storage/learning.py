"""What the pattern statistics read, in SQL (the `LearningStore` port).

One query: posts → drafts (pattern) → draft sets → cases (tone, via the news item), with each post's newest
taken reading (a correlated subquery finds its id, joined by primary key) and the number of distinct notable
accounts that carried it; plain columns, streamed in parts. Simulated posts are left out here already.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Row, ScalarSelect, func, select
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm import aliased

from bot.adapters.storage.schema import (
    DEFAULT_ACCOUNT,
    AmplifierRow,
    CaseRow,
    DraftRow,
    DraftSetRow,
    PostRow,
    SnapshotRow,
)
from bot.adapters.storage.tracking import TAKEN, first_sighting
from bot.core.networks import Network
from bot.core.posting.records import PostState
from bot.core.reach.learning import LearningRecord
from bot.core.reach.metrics import Metrics

_METRICS = ("retweets", "likes", "replies", "quotes", "bookmarks", "impressions")  # in the order of `Metrics`
_ROWS_PER_STEP = 500


def _newest_taken() -> ScalarSelect[int]:
    return (select(SnapshotRow.id).where(SnapshotRow.post_id == PostRow.id, SnapshotRow.state == TAKEN)
            .order_by(SnapshotRow.taken_at.desc(), SnapshotRow.id.desc()).limit(1)
            .correlate(PostRow).scalar_subquery())


_NOTABLE = (select(func.count(func.distinct(AmplifierRow.user_id)))
            .where(AmplifierRow.post_id == PostRow.id, AmplifierRow.notable.is_(True))
            .correlate(PostRow).scalar_subquery())
_CARRIED = (select(func.coalesce(func.sum(AmplifierRow.followers), 0))
            .where(AmplifierRow.post_id == PostRow.id, first_sighting())
            .correlate(PostRow).scalar_subquery())


def _record(row: Row[Any]) -> LearningRecord:
    post_id, text, url, pattern, tone, simulated, followers, *numbers, snapshot_id, notable, set_id, network, \
        carried = tuple(row)
    latest = None if snapshot_id is None else Metrics(*(value or 0 for value in numbers))
    return LearningRecord(post_id, text, url, pattern or "andere", tone, bool(simulated), followers, latest,
                          notable or 0, set_id, Network(network or Network.X.value), carried or 0)


class SqlLearningStore:
    """``account``: whose posts are learnt from."""

    def __init__(self, engine: AsyncEngine, *, account: str = DEFAULT_ACCOUNT) -> None:
        self._engine = engine
        self._account = account

    async def learning_posts(self, since: datetime) -> list[LearningRecord]:
        latest = aliased(SnapshotRow)
        query = (select(PostRow.id, PostRow.text, PostRow.url, DraftRow.pattern, CaseRow.tone, PostRow.simulated,
                        PostRow.followers_at_post, *(getattr(latest, name) for name in _METRICS), latest.id,
                        _NOTABLE, PostRow.set_id, PostRow.network, _CARRIED)
                 .select_from(PostRow)
                 .join(DraftRow, DraftRow.id == PostRow.draft_id)
                 .join(DraftSetRow, DraftSetRow.id == PostRow.set_id)
                 .outerjoin(CaseRow, CaseRow.news_id == DraftSetRow.news_id)
                 .outerjoin(latest, latest.id == _newest_taken())
                 .where(PostRow.account == self._account, PostRow.state == PostState.POSTED.value,
                        PostRow.posted_at >= since, PostRow.simulated.is_(False))
                 .order_by(PostRow.posted_at, PostRow.id))
        records: list[LearningRecord] = []
        async with self._engine.connect() as connection:
            result = await connection.stream(query)
            async for rows in result.partitions(_ROWS_PER_STEP):
                records.extend(_record(row) for row in rows)
        return records
