"""X requests spent on tracking, counted at a fake X API v2 server on 127.0.0.1 (real tweepy, real SQLite).

1. One post tracked alone for 7 days with the default schedule (1h,6h,24h,48h,7d).
2. 21 posts spread over a week (three a day): read requests per tracked post.
3. 250 posts due in the same round: requests for that round.
4. Amplifiers (AMPLIFIER_SCHEDULE 6h,24h,7d): requests and estimated dollars per tracked post over 7 days, metrics
   alone versus metrics with amplifiers, for a post nobody reposted and for one with 40 reposters and 5 quotes.

The bot ticks every 5 minutes of fake time; nothing sleeps.
Run: .venv/bin/python bench/x_requests.py
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.adapters.storage.amplifiers import SqlAmplifierStore  # noqa: E402
from bot.adapters.storage.database import create_engine, migrate  # noqa: E402
from bot.adapters.storage.tracking import SqlTrackingStore  # noqa: E402
from bot.adapters.storage.usage import SqlUsageStore  # noqa: E402
from bot.adapters.x.amplifiers import XAmplifiers  # noqa: E402
from bot.adapters.x.client import XClient  # noqa: E402
from bot.adapters.x.metrics import XMetrics  # noqa: E402
from bot.core.reach.amplifiers import AmplifierRules, AmplifierService  # noqa: E402
from bot.core.reach.tracking import TrackingService  # noqa: E402
from bot.core.timespec import parse_schedule  # noqa: E402
from tests.fakes.clock import FakeClock  # noqa: E402
from tests.fakes.x_server import ACCESS_TOKEN, API_KEY, FakeX, x_user  # noqa: E402
from tests.fixtures.x import posted_post  # noqa: E402

TICK = timedelta(minutes=5)
SCHEDULE = "1h,6h,24h,48h,7d"
AMPLIFIER_SCHEDULE = "6h,24h,7d"


class Silent:
    async def notify(self, event: object) -> None:
        pass


class Setup:
    def __init__(self, folder: str, *, amplifiers: bool = False) -> None:
        self.clock = FakeClock(datetime(2026, 11, 2, 8, tzinfo=UTC))
        self.x = FakeX()
        self.x.now = self.clock.now
        self.folder = folder
        self.with_amplifiers = amplifiers
        self.amplifiers: AmplifierService | None = None

    async def __aenter__(self) -> Setup:
        self.x.start()
        self.engine = create_engine(f"sqlite+aiosqlite:///{self.folder}/bench.db")
        await migrate(self.engine)
        self.usage = usage = SqlUsageStore(self.engine, self.clock)
        client = XClient(api_key=API_KEY, api_secret="s", access_token=ACCESS_TOKEN, access_token_secret="ts",
                         base_url=self.x.base_url, usage=usage)
        if self.with_amplifiers:
            self.amplifiers = AmplifierService(
                SqlAmplifierStore(self.engine), XAmplifiers(client), Silent(), self.clock, usage=usage,
                read_budget_month=1_000_000, rules=AmplifierRules(parse_schedule(AMPLIFIER_SCHEDULE)))
        self.tracking = TrackingService(SqlTrackingStore(self.engine), XMetrics(client), Silent(), self.clock,
                                        usage=usage, schedule=parse_schedule(SCHEDULE), read_budget_month=1_000_000,
                                        after_snapshot=self.amplifiers)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.engine.dispose()
        self.x.stop()

    async def post(self) -> None:
        on_x = self.x.add_post(f"Frage {len(self.x.posts)}?", impressions=100)
        await posted_post(self.engine, self.clock, on_x.id, text=on_x.text)

    def reads(self) -> tuple[int, int]:
        """(metrics lookups, follower-count reads) so far."""
        return self.x.count("GET", "/2/tweets"), self.x.count("GET", "/2/users/me")

    async def run_until(self, end: datetime) -> None:
        while self.clock.now() < end:
            self.clock.advance(TICK.total_seconds())
            await self.tracking.run_due()
            if self.amplifiers is not None:
                await self.amplifiers.run_due()


async def single_post(folder: str) -> None:
    async with Setup(folder) as s:
        await s.post()
        await s.run_until(s.clock.now() + timedelta(days=7, hours=1))
        lookups, followers = s.reads()
        print(f"1. one post alone, 7 days:        {lookups} metrics requests for the post "
              f"(+ {followers} daily follower-count reads for the account)")


async def spread_posts(folder: str) -> None:
    async with Setup(folder) as s:
        start = s.clock.now()
        for n in range(21):  # 08:00, 12:00, 17:00 each day for a week
            await s.run_until(start + timedelta(days=n // 3, hours=(0, 4, 9)[n % 3]))
            await s.post()
        await s.run_until(s.clock.now() + timedelta(days=7, hours=1))
        lookups, followers = s.reads()
        print(f"2. 21 posts over a week:          {lookups} metrics + {followers} follower reads = "
              f"{(lookups + followers) / 21:.2f} requests per tracked post")


async def posts_due_together(folder: str) -> None:
    async with Setup(folder) as s:
        for _ in range(250):
            await s.post()
        s.clock.advance(3600)
        before = s.reads()
        started = time.perf_counter()
        result = await s.tracking.run_due()
        elapsed = time.perf_counter() - started
        lookups, followers = (a - b for a, b in zip(s.reads(), before, strict=True))
        sizes = [len(q["ids"].split(",")) for m, p, q in s.x.requests if p == "/2/tweets"]
        print(f"3. 250 posts due in one round:    {lookups + followers} requests (ids per request: {sizes}), "
              f"{result.taken} snapshots, {elapsed * 1000:.0f} ms for the round")


async def one_post_with_amplifiers(folder: str, *, amplifiers: bool, carried: bool) -> tuple[int, float]:
    """(X requests, estimated dollars) for one post tracked 7 days; ``carried``: 40 reposters and 5 quotes."""
    async with Setup(folder, amplifiers=amplifiers) as s:
        s.x.follower_ids = [str(n) for n in range(500)]
        on_x = s.x.add_post("Frage?", impressions=100)
        await posted_post(s.engine, s.clock, on_x.id, text=on_x.text)
        if carried:
            s.x.reposters[on_x.id] = [x_user(str(10_000 + n), f"fan{n}", followers=200 * n) for n in range(40)]
            s.x.quotes[on_x.id] = [(str(90_000 + n), f"Zitat {n}", x_user(str(20_000 + n), f"q{n}", 5_000))
                                   for n in range(5)]
        start = s.clock.now()
        # the counts grow over the first day: 10 reposts after 1 h, 25 and 2 quotes after 6 h, 40 and 5 from 24 h
        for hours, reposts, quotes in ((1, 10, 0), (6, 25, 2), (24, 40, 5)):
            await s.run_until(start + timedelta(hours=hours) - TICK)
            if carried:
                on_x.metrics.update(retweet_count=reposts, quote_count=quotes)
        await s.run_until(start + timedelta(days=7, hours=1))
        month = await s.usage.month_usage(s.clock.now())
        return len(s.x.requests), month.dollars


async def amplifier_costs(folder: str) -> None:
    for carried, label in ((False, "nobody reposted"), (True, "40 reposters, 5 quotes")):
        runs = []
        for amplifiers in (False, True):
            with tempfile.TemporaryDirectory() as own:
                runs.append(await one_post_with_amplifiers(own, amplifiers=amplifiers, carried=carried))
        (base, base_usd), (full, full_usd) = runs
        print(f"4. one post, 7 days, {label + ':':<24} metrics alone {base} requests ${base_usd:.3f}; "
              f"with amplifiers {full} requests ${full_usd:.3f} (+{full - base} requests, +${full_usd - base_usd:.3f})")


async def main() -> None:
    for scenario in (single_post, spread_posts, posts_due_together, amplifier_costs):
        with tempfile.TemporaryDirectory() as folder:
            await scenario(folder)


if __name__ == "__main__":
    asyncio.run(main())
