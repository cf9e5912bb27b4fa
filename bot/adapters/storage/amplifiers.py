"""Amplifier reads, amplifiers, the watchlist's X lists and our followers in SQL (the `AmplifierStore` port)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from bot.adapters.storage.schema import (
    DEFAULT_ACCOUNT,
    AmplifierReadRow,
    AmplifierRow,
    FollowerCountRow,
    FollowerScanRow,
    OurFollowerRow,
    PostRow,
    SnapshotRow,
    WatchListMemberRow,
    WatchListRow,
)
from bot.adapters.storage.tracking import TAKEN, _real_posts, _tracked, owned_post
from bot.core.networks import Network
from bot.core.reach.amplifiers import Amplifier, DueRead, Kind, StoredAmplifier
from bot.core.reach.listing import RemoteRef
from bot.core.reach.metrics import Metrics
from bot.core.reach.tracking import TrackedPost
from bot.core.timespec import Step

PENDING = "pending"
_CHUNK = 500  # ids per IN (...) query


def _stored(row: AmplifierRow) -> StoredAmplifier:
    kind: Kind = "quote" if row.kind == "quote" else "repost"
    amplifier = Amplifier(row.user_id, row.handle, row.name, row.followers, row.verified_type, kind,
                          row.quote_id, row.quote_text)
    return StoredAmplifier(amplifier, row.first_seen, row.notable, row.label, row.follows_us)


def _chunks(ids: set[str]) -> list[list[str]]:
    ordered = sorted(ids)
    return [ordered[i:i + _CHUNK] for i in range(0, len(ordered), _CHUNK)]


class SqlAmplifierStore:
    """``account``: whose posts, amplifiers, followers and watch lists these are."""

    def __init__(self, engine: AsyncEngine, *, account: str = DEFAULT_ACCOUNT) -> None:
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)
        self._account = account

    # --- reads ---

    async def unplanned_posts(self, posted_since: datetime) -> list[TrackedPost]:
        planned = select(AmplifierReadRow.id).where(AmplifierReadRow.post_id == PostRow.id).exists()
        query = (select(PostRow).where(PostRow.account == self._account, *_real_posts(),
                                       PostRow.posted_at >= posted_since, ~planned)
                 .order_by(PostRow.id))
        async with self._sessions() as session:
            return [_tracked(row) for row in await session.scalars(query)]

    async def plan_reads(self, post_id: int, jobs: list[tuple[Step, datetime]]) -> None:
        try:
            async with self._sessions.begin() as session:
                if not await session.scalar(select(owned_post(post_id, self._account))):
                    return
                session.add_all(AmplifierReadRow(post_id=post_id, step=step.label, step_seconds=step.seconds,
                                                 due_at=due, state=PENDING) for step, due in jobs)
        except IntegrityError:
            pass  # planned by another round meanwhile

    async def due_reads(self, now: datetime, post_id: int | None = None) -> list[DueRead]:
        query = (select(AmplifierReadRow, PostRow).join(PostRow, PostRow.id == AmplifierReadRow.post_id)
                 .where(AmplifierReadRow.state == PENDING, AmplifierReadRow.due_at <= now,
                        PostRow.account == self._account)
                 .order_by(AmplifierReadRow.due_at, AmplifierReadRow.id))
        if post_id is not None:
            query = query.where(AmplifierReadRow.post_id == post_id)
        async with self._sessions() as session:
            return [DueRead(read.id, _tracked(post), read.step, read.due_at)
                    for read, post in (await session.execute(query)).all()]

    async def next_read_due(self, network: Network | None = None) -> datetime | None:
        query = (select(func.min(AmplifierReadRow.due_at)).join(PostRow, PostRow.id == AmplifierReadRow.post_id)
                 .where(AmplifierReadRow.state == PENDING, PostRow.account == self._account))
        if network is not None:
            query = query.where(PostRow.network == network.value)
        async with self._sessions() as session:
            return await session.scalar(query)

    async def latest_metrics(self, post_id: int) -> Metrics | None:
        query = (select(SnapshotRow).where(SnapshotRow.post_id == post_id, SnapshotRow.state == TAKEN,
                                           owned_post(post_id, self._account))
                 .order_by(SnapshotRow.taken_at.desc(), SnapshotRow.id.desc()).limit(1))
        async with self._sessions() as session:
            row = await session.scalar(query)
        if row is None:
            return None
        return Metrics(retweets=row.retweets or 0, likes=row.likes or 0, replies=row.replies or 0,
                       quotes=row.quotes or 0, bookmarks=row.bookmarks or 0, impressions=row.impressions or 0)

    async def counts_at_last_read(self, post_id: int) -> tuple[int, int]:
        query = (select(AmplifierReadRow).where(AmplifierReadRow.post_id == post_id,
                                                AmplifierReadRow.reposts.is_not(None),
                                                owned_post(post_id, self._account))
                 .order_by(AmplifierReadRow.taken_at.desc(), AmplifierReadRow.id.desc()).limit(1))
        async with self._sessions() as session:
            row = await session.scalar(query)
        return (row.reposts or 0, row.quotes or 0) if row is not None else (0, 0)

    async def finish_read(self, read_id: int, state: str, *, at: datetime, note: str | None = None,
                          counts: tuple[int, int] | None = None) -> None:
        values: dict[str, object] = {"state": state, "taken_at": at, "note": note}
        if counts is not None:
            values["reposts"], values["quotes"] = counts
        async with self._sessions.begin() as session:
            await session.execute(update(AmplifierReadRow)
                                  .where(AmplifierReadRow.id == read_id, AmplifierReadRow.state == PENDING,
                                         owned_post(AmplifierReadRow.post_id, self._account))
                                  .values(**values))

    # --- amplifiers ---

    async def add_amplifiers(self, post_id: int, found: list[StoredAmplifier]) -> list[StoredAmplifier]:
        async with self._sessions.begin() as session:
            if not await session.scalar(select(owned_post(post_id, self._account))):
                return []
            known = {(user, kind) for user, kind in (await session.execute(
                select(AmplifierRow.user_id, AmplifierRow.kind).where(AmplifierRow.post_id == post_id))).all()}
            new = []
            for item in found:
                a = item.amplifier
                if (a.user_id, a.kind) in known:
                    continue
                known.add((a.user_id, a.kind))
                session.add(AmplifierRow(
                    post_id=post_id, user_id=a.user_id, kind=a.kind, handle=a.handle, name=a.name,
                    followers=a.followers, verified_type=a.verified_type, quote_id=a.quote_id,
                    quote_text=a.quote_text, first_seen=item.first_seen, notable=item.notable, label=item.label,
                    follows_us=item.follows_us, account=self._account))
                new.append(item)
        return new

    async def amplifiers_of(self, post_id: int) -> list[StoredAmplifier]:
        query = (select(AmplifierRow).where(AmplifierRow.post_id == post_id, AmplifierRow.account == self._account)
                 .order_by(AmplifierRow.id))
        async with self._sessions() as session:
            return [_stored(row) for row in await session.scalars(query)]

    async def alerted(self, post_id: int) -> set[str]:
        query = select(AmplifierRow.user_id).where(AmplifierRow.post_id == post_id,
                                                   AmplifierRow.account == self._account,
                                                   AmplifierRow.alerted_at.is_not(None))
        async with self._sessions() as session:
            return set(await session.scalars(query))

    async def mark_alerted(self, post_id: int, user_ids: set[str], *, at: datetime) -> None:
        async with self._sessions.begin() as session:
            await session.execute(update(AmplifierRow)
                                  .where(AmplifierRow.post_id == post_id, AmplifierRow.account == self._account,
                                         AmplifierRow.user_id.in_(user_ids))
                                  .values(alerted_at=at))

    async def find_post(self, *, post_id: int | None = None, remote: RemoteRef | None = None,
                        ) -> tuple[TrackedPost, str, str | None] | None:
        """A real post by our number or its network's reference (Bluesky: the record key ending its at:// URI);
        neither given: the newest."""
        query = select(PostRow).where(PostRow.account == self._account, *_real_posts())
        if post_id is not None:
            query = query.where(PostRow.id == post_id)
        if remote is not None:
            query = query.where(PostRow.network == remote.network.value)
            if remote.network is Network.BLUESKY:
                query = query.where(PostRow.remote_id.endswith(f"/app.bsky.feed.post/{remote.key}", autoescape=True))
            else:
                query = query.where(PostRow.remote_id == remote.key)
        query = query.order_by(PostRow.posted_at.desc(), PostRow.id.desc()).limit(1)
        async with self._sessions() as session:
            row = await session.scalar(query)
        return (_tracked(row), row.text, row.url) if row is not None else None

    # --- our followers ---

    async def follower_count(self) -> int | None:
        query = (select(FollowerCountRow.count).where(FollowerCountRow.account == self._account)
                 .order_by(FollowerCountRow.at.desc()).limit(1))
        async with self._sessions() as session:
            return await session.scalar(query)

    async def last_follower_scan(self) -> datetime | None:
        async with self._sessions() as session:
            return await session.scalar(select(func.max(FollowerScanRow.at))
                                        .where(FollowerScanRow.account == self._account))

    async def replace_followers(self, user_ids: set[str], *, at: datetime) -> None:
        async with self._sessions.begin() as session:
            await session.execute(delete(OurFollowerRow).where(OurFollowerRow.account == self._account))
            session.add_all(OurFollowerRow(account=self._account, user_id=user_id) for user_id in sorted(user_ids))
            session.add(FollowerScanRow(at=at, count=len(user_ids), account=self._account))

    async def followers_among(self, user_ids: set[str]) -> set[str]:
        found: set[str] = set()
        async with self._sessions() as session:
            for chunk in _chunks(user_ids):
                found.update(await session.scalars(select(OurFollowerRow.user_id)
                                                   .where(OurFollowerRow.account == self._account,
                                                          OurFollowerRow.user_id.in_(chunk))))
        return found

    # --- the watchlist's X lists ---

    async def list_refreshed_at(self, list_id: str) -> datetime | None:
        async with self._sessions() as session:
            row = await session.get(WatchListRow, {"account": self._account, "list_id": list_id})
            return row.refreshed_at if row is not None else None

    async def replace_list_members(self, list_id: str, members: list[tuple[str, str]], *, at: datetime) -> None:
        async with self._sessions.begin() as session:
            await session.execute(delete(WatchListMemberRow).where(WatchListMemberRow.account == self._account,
                                                                   WatchListMemberRow.list_id == list_id))
            session.add_all(WatchListMemberRow(account=self._account, list_id=list_id, user_id=user_id, handle=handle)
                            for user_id, handle in dict(members).items())
            row = await session.get(WatchListRow, {"account": self._account, "list_id": list_id})
            if row is None:
                session.add(WatchListRow(account=self._account, list_id=list_id, refreshed_at=at))
            else:
                row.refreshed_at = at

    async def lists_of(self, user_ids: set[str]) -> dict[str, frozenset[str]]:
        found: dict[str, set[str]] = {}
        async with self._sessions() as session:
            for chunk in _chunks(user_ids):
                rows = await session.execute(select(WatchListMemberRow.user_id, WatchListMemberRow.list_id)
                                             .where(WatchListMemberRow.account == self._account,
                                                    WatchListMemberRow.user_id.in_(chunk)))
                for user_id, list_id in rows.all():
                    found.setdefault(user_id, set()).add(list_id)
        return {user_id: frozenset(lists) for user_id, lists in found.items()}
