"""What the monthly report reads, in SQL (the `MonthlyStore` port).

Two queries whatever the number of posts: the month's posts (post → draft for the pattern, each post's newest
taken reading found by a correlated subquery and joined by primary key), and the amplifiers of those posts.
Simulated and unposted records are left out here already.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Row, ScalarSelect, select
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm import aliased

from bot.adapters.storage.schema import DEFAULT_ACCOUNT, AmplifierRow, DraftRow, PostRow, SnapshotRow
from bot.core.networks import Network
from bot.core.posting.records import PostState
from bot.core.reach.metrics import Metrics
from bot.core.reports.monthly import MonthAmplifier, MonthPost

_TAKEN = "taken"
_METRICS = ("retweets", "likes", "replies", "quotes", "bookmarks", "impressions")  # in the order of `Metrics`


def _newest_taken() -> ScalarSelect[int]:
    return (select(SnapshotRow.id).where(SnapshotRow.post_id == PostRow.id, SnapshotRow.state == _TAKEN)
            .order_by(SnapshotRow.taken_at.desc(), SnapshotRow.id.desc()).limit(1)
            .correlate(PostRow).scalar_subquery())


def _in_month(account: str, start: datetime, end: datetime) -> tuple[Any, ...]:
    return (PostRow.account == account, PostRow.state == PostState.POSTED.value, PostRow.simulated.is_(False),
            PostRow.posted_at >= start, PostRow.posted_at < end)


def _network(value: str | None) -> Network:
    try:
        return Network(value or Network.X.value)
    except ValueError:
        return Network.X


def _post(row: Row[Any]) -> MonthPost:
    post_id, set_id, network, text, url, pattern, posted_at, followers, *numbers, snapshot_id = tuple(row)
    latest = None if snapshot_id is None else Metrics(*(value or 0 for value in numbers))
    return MonthPost(post_id, set_id, _network(network), text, url, pattern or "andere", posted_at, followers, latest)


class SqlMonthlyStore:
    """``account``: whose month is reported."""

    def __init__(self, engine: AsyncEngine, *, account: str = DEFAULT_ACCOUNT) -> None:
        self._engine = engine
        self._account = account

    async def month_posts(self, start: datetime, end: datetime) -> list[MonthPost]:
        latest = aliased(SnapshotRow)
        query = (select(PostRow.id, PostRow.set_id, PostRow.network, PostRow.text, PostRow.url, DraftRow.pattern,
                        PostRow.posted_at, PostRow.followers_at_post, *(getattr(latest, n) for n in _METRICS),
                        latest.id)
                 .select_from(PostRow)
                 .join(DraftRow, DraftRow.id == PostRow.draft_id)
                 .outerjoin(latest, latest.id == _newest_taken())
                 .where(*_in_month(self._account, start, end))
                 .order_by(PostRow.posted_at, PostRow.id))
        async with self._engine.connect() as connection:
            return [_post(row) for row in await connection.execute(query)]

    async def month_amplifiers(self, start: datetime, end: datetime) -> list[MonthAmplifier]:
        query = (select(AmplifierRow.post_id, PostRow.network, AmplifierRow.user_id, AmplifierRow.handle,
                        AmplifierRow.name, AmplifierRow.followers, AmplifierRow.kind, AmplifierRow.notable,
                        AmplifierRow.label, AmplifierRow.follows_us)
                 .join(PostRow, PostRow.id == AmplifierRow.post_id)
                 .where(*_in_month(self._account, start, end))
                 .order_by(AmplifierRow.post_id, AmplifierRow.id))
        async with self._engine.connect() as connection:
            return [MonthAmplifier(post_id, _network(network), user_id, handle, name, followers or 0, kind,
                                   bool(notable), label, follows_us)
                    for post_id, network, user_id, handle, name, followers, kind, notable, label, follows_us
                    in await connection.execute(query)]
