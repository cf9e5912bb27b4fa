"""Wake-ups with nothing due: the old one-second ticker against the Scheduler.

Real SQLite and the real services (posting, tracking, summary) on an installation with nothing scheduled: no
post in its undo window, no snapshot pending, today's summary sent. Counted: wake-ups (the ticker's rounds;
the lanes' plans and rounds) and SQL statements sent to the database.

1. Real time, ``--seconds`` long: the old DueWorkTicker (discord.ext.tasks, 1 s) and the Scheduler.
2. One hour of fake time for the Scheduler (its naps end at once; the clock jumps to each nap's end), which
   shows the steady state: each lane plans again every 5 minutes (the sleep cap), then only when woken.

Run: .venv/bin/python bench/scheduler_idle.py [--seconds 10]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import event

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from old_ticker import DueWorkTicker  # noqa: E402

from bot.adapters.storage.database import create_engine, migrate  # noqa: E402
from bot.adapters.storage.posts import SqlAuditLog, SqlPostStore  # noqa: E402
from bot.adapters.storage.summaries import SqlSummaryStore
from bot.adapters.storage.tracking import SqlTrackingStore
from bot.adapters.storage.usage import SqlUsageStore  # noqa: E402
from bot.core.clock import Clock, SystemClock  # noqa: E402
from bot.core.posting.service import PostingService  # noqa: E402
from bot.core.reach.summary import SummaryService
from bot.core.reach.tracking import TrackingService
from bot.core.scheduler import Scheduler  # noqa: E402
from bot.core.timespec import (
    parse_schedule,  # noqa: E402
    parse_time_of_day,  # noqa: E402
)
from tests.fakes.clock import FakeClock  # noqa: E402
from tests.fakes.publisher import FakePublisher  # noqa: E402
from tests.fakes.sleeper import FakeSleeper  # noqa: E402


class Silent:
    async def notify(self, notice: object) -> None:
        pass


class NoMetrics:
    batch_size = 100

    async def lookup(self, remote_ids):
        raise AssertionError("nothing is due")

    async def followers(self) -> int:
        raise AssertionError("nothing is due")


class Counted:
    """The three services, each call to run_due / next_due counted."""

    def __init__(self, engine, clock: Clock) -> None:
        store = SqlTrackingStore(engine)
        usage, summaries = SqlUsageStore(engine, clock), SqlSummaryStore(engine)
        self.calls: Counter[str] = Counter()
        self.posting = PostingService(SqlPostStore(engine), FakePublisher(clock), SqlAuditLog(engine, clock),
                                      Silent(), clock)
        self.tracking = TrackingService(store, NoMetrics(), Silent(), clock, usage=usage,
                                        schedule=parse_schedule("1h,7d"), read_budget_month=10_000)
        self.summary = SummaryService(summaries, Silent(), clock, summary_time=parse_time_of_day("18:00"),
                                      tz=ZoneInfo("Europe/Berlin"))

    def counted(self, name, function):
        async def call():
            self.calls[name] += 1
            return await function()
        return call

    def runners(self):
        return [self.counted("run_due", s.run_due) for s in (self.posting, self.tracking, self.summary)]

    def lanes(self, scheduler: Scheduler) -> None:
        for name, service in (("posting", self.posting), ("tracking", self.tracking), ("summary", self.summary)):
            scheduler.add_lane(name, self.counted("run_due", service.run_due),
                               self.counted("next_due", service.next_due))


async def database(folder: str, name: str):
    engine = create_engine(f"sqlite+aiosqlite:///{folder}/{name}.db")
    await migrate(engine)
    statements: Counter[str] = Counter()
    event.listen(engine.sync_engine, "before_cursor_execute", lambda *a: statements.update(["sql"]))
    return engine, statements


async def settle(services: Counted) -> None:
    """The first round settles the summary of a new installation; from then on nothing is due."""
    for runner in services.runners():
        await runner()
    services.calls.clear()


async def started(services: Counted, statements: Counter) -> None:
    """Let the start pass (the first tick; each lane's first plan), then count from zero."""
    await asyncio.sleep(0.5)
    services.calls.clear()
    statements.clear()


async def real_time(seconds: float, folder: str) -> None:
    print(f"1. real time, {seconds:.0f} s after the start, nothing due")
    for kind in ("old ticker", "Scheduler"):
        engine, statements = await database(folder, kind.replace(" ", "_"))
        services = Counted(engine, SystemClock())
        await settle(services)
        statements.clear()
        if kind == "old ticker":
            ticker = DueWorkTicker(services.runners(), 1.0)
            ticker.start()
            await started(services, statements)
            await asyncio.sleep(seconds)
            await ticker.stop()
            wakeups = services.calls["run_due"] / 3
        else:
            scheduler = Scheduler(SystemClock())
            services.lanes(scheduler)
            scheduler.start()
            await started(services, statements)
            await asyncio.sleep(seconds)
            await scheduler.stop()
            wakeups = services.calls["next_due"] + services.calls["run_due"]
        per_minute = 60 / seconds
        print(f"   {kind:10}: {wakeups * per_minute:6.1f} wake-ups/min, {statements['sql'] * per_minute:7.1f} SQL "
              f"statements/min ({services.calls['next_due']} plans, {services.calls['run_due']} run_due calls)")
        await engine.dispose()


async def fake_hour(folder: str) -> None:
    print("2. one hour of fake time, nothing due (Scheduler; the old ticker: 60 wake-ups/min by construction)")
    clock = FakeClock(datetime(2026, 11, 25, 19, tzinfo=UTC))
    engine, statements = await database(folder, "fake_hour")
    services = Counted(engine, clock)
    await settle(services)
    statements.clear()
    sleeper = FakeSleeper(clock)
    scheduler = Scheduler(clock, sleep_until=sleeper)
    services.lanes(scheduler)
    scheduler.start()
    end = clock.now() + timedelta(hours=1)
    while True:
        while len(pending := [n for n in sleeper.naps if n.ended_by is None and not n.elapsed.is_set()]) < 3:
            await asyncio.sleep(0.001)  # the lanes are planning (database work in threads)
        earliest = min(n.until for n in pending)
        if earliest > end:
            break
        sleeper.advance_to(earliest)
    await scheduler.stop()
    await engine.dispose()
    plans = services.calls["next_due"]
    print(f"   Scheduler : {plans / 60:6.2f} wake-ups/min ({plans} plans in 60 min for 3 lanes, "
          f"{services.calls['run_due']} run_due calls), {statements['sql'] / 60:5.1f} SQL statements/min")
    print("   old ticker: 60.00 wake-ups/min, each running all 3 services (180 run_due calls/min)")


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        await real_time(args.seconds, folder)
        print()
        await fake_hour(folder)


if __name__ == "__main__":
    asyncio.run(main())
