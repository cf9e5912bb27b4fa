"""Event-loop lag while /statistik and the daily summary are answered over a busy week.

5 000 tracked posts of the last 7 days with 5 readings each, in a temporary SQLite database.
Measured: the time of the /statistik answer (`StoredReports.statistics(QUESTION)`) and of the
daily summary (text with the week, and the chart drawn), and meanwhile the lag
of the event loop: a probe task asks to wake every 10 ms and notes how late it wakes. "full GCs"
counts Python's full garbage collections meanwhile: each stops every thread, and is the usual
cause of a lag spike. Prints figures; asserts nothing.

Run: .venv/bin/python bench/report_lag.py [--posts 5000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from datetime import time as time_of_day
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import MetaData, insert  # noqa: E402
from sqlalchemy.ext.asyncio import AsyncEngine  # noqa: E402

from bot.adapters.chart import MatplotlibChart  # noqa: E402
from bot.adapters.storage.database import create_engine, migrate  # noqa: E402
from bot.adapters.storage.summaries import SqlSummaryStore  # noqa: E402
from bot.core.reach.reports import StoredReports  # noqa: E402
from bot.core.reach.summary import SummaryService  # noqa: E402
from bot.heap import freeze_loaded  # noqa: E402
from tests.fakes.clock import FakeClock  # noqa: E402

QUESTION = "Welche Frage lief diese Woche am besten?"
READINGS = (3600, 6 * 3600, 24 * 3600, 48 * 3600, 72 * 3600)  # seconds after posting
NOW = datetime(2026, 11, 25, 17, tzinfo=UTC)
PROBE_SECONDS = 0.010
BERLIN = ZoneInfo("Europe/Berlin")


class Silent:
    async def notify(self, event: object) -> None:
        pass


class DrawnChart(MatplotlibChart):
    """The real chart (drawn in a worker thread), remembering how many bars it drew."""

    bars = 0

    async def render(self, bars: list, *, title: str) -> bytes:
        self.bars = len(bars)
        return await super().render(bars, title=title)


async def seed(engine: AsyncEngine, posts: int) -> None:
    """``posts`` real posts spread over the last 7 days, each with its readings (as tracking leaves them)."""
    def naive(moment: datetime) -> datetime:  # what the schema stores on SQLite: UTC without zone
        return moment.astimezone(UTC).replace(tzinfo=None)

    async with engine.begin() as connection:
        meta = MetaData()
        await connection.run_sync(meta.reflect)
        t = meta.tables
        period = timedelta(days=7).total_seconds() - 3600
        news, sets, drafts, rows, snapshots = [], [], [], [], []
        for n in range(1, posts + 1):
            posted = NOW - timedelta(seconds=period * n / posts)
            news.append({"id": n, "created_at": naive(posted), "origin": "discord", "text": f"Nachricht {n}"})
            sets.append({"id": n, "news_id": n, "created_at": naive(posted), "llm_calls": 1, "prompt_tokens": 0,
                         "completion_tokens": 0, "state": "posted"})
            text = f"{n}: Wie soll die Verkehrswende gelingen, wenn Bus und Bahn teurer werden?"
            drafts.append({"id": n, "set_id": n, "position": 1, "text": text, "evidence": "", "evidence_found": True,
                           "weighted_length": len(text), "warnings": []})
            rows.append({"id": n, "set_id": n, "draft_id": n, "text": text, "state": "posted",
                         "approved_at": naive(posted), "due_at": naive(posted), "approved_by": ["anna"],
                         "attempts": 1, "posted_at": naive(posted), "remote_id": str(1_900_000 + n),
                         "url": f"https://x.com/spitzfeder/status/{1_900_000 + n}", "simulated": False,
                         "followers_at_post": 1000 + n, "retryable": True, "uncertain": False})
            for step, seconds in enumerate(READINGS, 1):
                due = posted + timedelta(seconds=seconds)
                taken = due <= NOW
                snapshots.append({
                    "post_id": n, "step": f"{seconds}s", "step_seconds": seconds, "due_at": naive(due),
                    "state": "taken" if taken else "pending", "taken_at": naive(due) if taken else None,
                    "retweets": step * 2 if taken else None, "likes": step * 5 + n % 7 if taken else None,
                    "replies": step if taken else None, "quotes": step // 2 if taken else None,
                    "bookmarks": step if taken else None, "impressions": step * 400 + n if taken else None})
        for name, values in (("news_items", news), ("draft_sets", sets), ("drafts", drafts), ("posts", rows),
                             ("metric_snapshots", snapshots)):
            await connection.execute(insert(t[name]), values)


async def measured(work: Callable[[], Awaitable[object]]) -> tuple[float, float, float, int, int]:
    """(seconds, max lag ms, median lag ms, samples, full garbage collections) of one run of ``work``
    with the probe running."""
    lags: list[float] = []
    done = asyncio.Event()
    loop = asyncio.get_running_loop()

    async def probe() -> None:
        while not done.is_set():
            asked = loop.time()
            await asyncio.sleep(PROBE_SECONDS)
            lags.append(loop.time() - asked - PROBE_SECONDS)

    prober = asyncio.create_task(probe())
    await asyncio.sleep(0)  # let the probe start
    full_collections = gc.get_stats()[2]["collections"]
    start = time.perf_counter()
    await work()
    elapsed = time.perf_counter() - start
    full_collections = gc.get_stats()[2]["collections"] - full_collections
    done.set()
    await prober
    lags = lags or [0.0]
    return elapsed, max(lags) * 1000, statistics.median(lags) * 1000, len(lags), full_collections


async def main(posts: int, rounds: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        engine = create_engine(f"sqlite+aiosqlite:///{folder}/bench.db")
        try:
            await migrate(engine)
            freeze_loaded()  # as the bot does at the end of its start (the warm-up in bot/wiring.py)
            started = time.perf_counter()
            await seed(engine, posts)
            print(f"{posts} posts with {len(READINGS)} readings each seeded in {time.perf_counter() - started:.1f} s")
            clock = FakeClock(NOW)
            chart = DrawnChart()
            service = SummaryService(SqlSummaryStore(engine), Silent(), clock, summary_time=time_of_day(18),
                                     tz=BERLIN, chart=chart, max_chars=1900, weekly_day=NOW.weekday())
            reports = StoredReports(service)
            print(f"{'':<12} {'time':>9} {'lag max':>9} {'lag median':>11} {'samples':>8} {'full GCs':>9}")
            for name, work in (("/statistik", lambda: reports.statistics(QUESTION)), ("summary", service.summary)):
                for _ in range(rounds):
                    elapsed, worst, median, samples, collections = await measured(work)
                    print(f"{name:<12} {elapsed * 1000:>6.0f} ms {worst:>6.0f} ms {median:>8.1f} ms {samples:>8} "
                          f"{collections:>9}")
            sent = await service.summary()
            print(f"the summary (with the week): {len(sent.text)} characters, one Discord message; "
                  f"chart: {chart.bars} bars, {len(sent.attachment[1]) // 1024 if sent.attachment else 0} KiB")
        finally:
            await engine.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=3)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.posts, arguments.rounds))
