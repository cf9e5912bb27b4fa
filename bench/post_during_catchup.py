"""Post delay (due → publisher called) while tracking catches up on 1 000 snapshots, before and after the Scheduler.

Real SQLite, real PostingService / TrackingService / SummaryService, real time. The metrics source is a fake
that answers each read of up to 100 ids after ``--batch-seconds`` (X's latency); the publisher is a fake that
notes when it is called. A post becomes due (undo window of 1 s) while the catch-up round is running.

before: the old DueWorkTicker (one-second tick, posting → tracking → summary one after another)
after:  the Scheduler, each kind of due work in its own lane; approve() wakes the posting lane

Run: .venv/bin/python bench/post_during_catchup.py [--snapshots 1000] [--batch-seconds 0.3] [--runs 3]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import async_sessionmaker

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from old_ticker import DueWorkTicker  # noqa: E402

from bot.adapters.storage.database import create_engine, migrate  # noqa: E402
from bot.adapters.storage.posts import SqlAuditLog, SqlPostStore  # noqa: E402
from bot.adapters.storage.schema import DraftRow, DraftSetRow, NewsRow, PostRow, SentSummaryRow, SnapshotRow  # noqa: E402  # noqa: E402
from bot.adapters.storage.summaries import SqlSummaryStore
from bot.adapters.storage.tracking import SqlTrackingStore
from bot.adapters.storage.usage import SqlUsageStore  # noqa: E402
from bot.core.clock import SystemClock  # noqa: E402
from bot.core.networks import Network  # noqa: E402
from bot.core.posting.ports import PostKey, PublishedPost  # noqa: E402
from bot.core.posting.service import PostingService  # noqa: E402
from bot.core.reach.metrics import Metrics  # noqa: E402
from bot.core.reach.summary import SummaryService
from bot.core.reach.tracking import Lookup, TrackingService
from bot.core.scheduler import Scheduler  # noqa: E402
from bot.core.timespec import (
    parse_schedule,  # noqa: E402
    parse_time_of_day,  # noqa: E402
)

UNDO_SECONDS = 1


class Silent:
    async def notify(self, notice: object) -> None:
        pass


class SlowMetrics:
    batch_size = 100

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.first_read = asyncio.Event()
        self.reads = 0

    async def lookup(self, remote_ids: list[str]) -> Lookup:
        self.first_read.set()
        self.reads += 1
        await asyncio.sleep(self.seconds)
        return Lookup({i: Metrics(likes=3, impressions=120) for i in remote_ids}, followers=500)

    async def followers(self) -> int:
        await asyncio.sleep(self.seconds)
        return 500


class TimedPublisher:
    network = Network.X
    simulated = False

    def __init__(self) -> None:
        self.called_at: datetime | None = None
        self.called = asyncio.Event()

    async def publish(self, text: str, *, key: PostKey, source_line: str | None = None) -> PublishedPost:
        self.called_at = datetime.now().astimezone()
        self.called.set()
        return PublishedPost(post_id="9" * 19, url=None, followers=500)

    async def find_existing(self, text: str, *, key: PostKey, since: datetime) -> PublishedPost | None:
        return None


async def seed(engine, snapshots: int, now: datetime) -> tuple[int, int]:
    """``snapshots`` tracked posts with one snapshot each overdue, and one draft set to approve (its ids)."""
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    posted = now - timedelta(hours=2)
    async with sessions.begin() as session:
        news = NewsRow(created_at=posted, origin="cli", url=None, title=None, text="Nachricht", language="de")
        session.add(news)
        await session.flush()
        sets = [DraftSetRow(news_id=news.id, created_at=posted, instruction=None) for _ in range(snapshots + 1)]
        session.add_all(sets)
        await session.flush()
        drafts = [DraftRow(set_id=s.id, position=1, text=f"Frage {s.id}?", weighted_length=10, language="de")
                  for s in sets]
        session.add_all(drafts)
        await session.flush()
        posts = [PostRow(set_id=d.set_id, draft_id=d.id, text=d.text, state="posted", approved_at=posted,
                         due_at=posted, approved_by=["anna"], posted_at=posted, remote_id=str(10**18 + d.id),
                         simulated=False, followers_at_post=500, attempts=1, retryable=True, uncertain=False)
                 for d in drafts[:snapshots]]
        session.add_all(posts)
        await session.flush()
        session.add_all(SnapshotRow(post_id=p.id, step=step, step_seconds=seconds, due_at=posted + timedelta(
            seconds=seconds), state="pending") for p in posts for step, seconds in (("1h", 3600), ("7d", 604800)))
        session.add(SentSummaryRow(day="2026-01-01", sent_at=posted, delivered_at=posted))
        return sets[-1].id, drafts[-1].id


async def one_run(kind: str, snapshots: int, batch_seconds: float) -> tuple[float, float]:
    """(post delay in ms, tracking round in s)."""
    with tempfile.TemporaryDirectory() as folder:
        engine = create_engine(f"sqlite+aiosqlite:///{folder}/bench.db")
        await migrate(engine)
        clock = SystemClock()
        set_id, draft_id = await seed(engine, snapshots, clock.now())
        store = SqlTrackingStore(engine)
        usage, summaries = SqlUsageStore(engine, clock), SqlSummaryStore(engine)
        source, publisher = SlowMetrics(batch_seconds), TimedPublisher()
        tracking = TrackingService(store, source, Silent(), clock, usage=usage, schedule=parse_schedule("1h,7d"),
                                   read_budget_month=1_000_000)
        summary = SummaryService(summaries, Silent(), clock, summary_time=parse_time_of_day("18:00"),
                                 tz=ZoneInfo("Europe/Berlin"))
        scheduler = Scheduler(clock)
        service = PostingService(SqlPostStore(engine), publisher, SqlAuditLog(engine, clock), Silent(), clock,
                                 wake=scheduler.waker("posting") if kind == "after" else lambda: None)
        round_started = time.perf_counter()
        if kind == "before":
            ticker = DueWorkTicker([service.run_due, tracking.run_due, summary.run_due], 1.0)
            ticker.start()
        else:
            scheduler.add_lane("posting", service.run_due, service.next_due)
            scheduler.add_lane("tracking", tracking.run_due, tracking.next_due)
            scheduler.add_lane("summary", summary.run_due, summary.next_due)
            scheduler.start()
        await source.first_read.wait()  # the catch-up has begun
        [post] = await service.approve(set_id=set_id, draft_id=draft_id, text="Eine neue Frage?", source_url=None,
                                       approved_by=["anna"], undo_seconds=UNDO_SECONDS)
        await publisher.called.wait()
        assert publisher.called_at is not None
        delay = (publisher.called_at - post.due_at).total_seconds() * 1000
        while (next_snapshot := await store.next_snapshot_due()) is not None and next_snapshot < clock.now():
            await asyncio.sleep(0.05)  # until the catch-up is over
        round_seconds = time.perf_counter() - round_started
        if kind == "before":
            await ticker.stop()
        else:
            await scheduler.stop()
        await engine.dispose()
        return delay, round_seconds


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--snapshots", type=int, default=1000)
    parser.add_argument("--batch-seconds", type=float, default=0.3)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print(f"{args.snapshots} overdue snapshots, {args.batch_seconds} s per read of 100 ids, "
          f"post due {UNDO_SECONDS} s after approval (approved once the catch-up has begun)\n")
    for kind, label in (("before", "before: one-second ticker, sequential"), ("after", "after: Scheduler lanes")):
        delays, rounds = [], []
        for _ in range(args.runs):
            delay, round_seconds = await one_run(kind, args.snapshots, args.batch_seconds)
            delays.append(delay)
            rounds.append(round_seconds)
        print(f"{label}")
        print(f"  due → publisher called: median {statistics.median(delays):7.0f} ms, max {max(delays):7.0f} ms "
              f"({', '.join(f'{d:.0f}' for d in delays)})")
        print(f"  catch-up until all snapshots taken: median {statistics.median(rounds):.1f} s")


if __name__ == "__main__":
    asyncio.run(main())
