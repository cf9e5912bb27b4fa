"""Requests per tracked post and network over 7 days: TrackingService and AmplifierService against the real X
(tweepy), Bluesky (atproto) and Mastodon (Mastodon.py) adapters and the fake servers on 127.0.0.1 (real SQLite).

N posts per network go out at once (one question to all three networks, N times), each carried by 3 accounts
(X: 3 reposters and 1 quote; Bluesky: 3 reposters and 1 quote; Mastodon: 3 rebloggers) from the first hour on.
Default schedules: snapshots at 1h,6h,24h,48h,7d, amplifier reads at 6h,24h,7d; a 5-minute tick of fake time.
Counted: every request a fake server received after posting (metrics, follower counts, amplifiers, profiles,
sessions, our follower list), divided by N.

Run: .venv/bin/python bench/network_requests.py [--posts N ...]   (default: 1 and 25)
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.adapters.bluesky.network import build_bluesky  # noqa: E402
from bot.adapters.mastodon import build_mastodon  # noqa: E402
from bot.adapters.storage.amplifiers import SqlAmplifierStore  # noqa: E402
from bot.adapters.storage.database import create_engine, migrate  # noqa: E402
from bot.adapters.storage.tracking import SqlTrackingStore  # noqa: E402
from bot.adapters.storage.usage import SqlUsageStore  # noqa: E402
from bot.adapters.x.amplifiers import XAmplifiers  # noqa: E402
from bot.adapters.x.client import XClient  # noqa: E402
from bot.adapters.x.metrics import XMetrics  # noqa: E402
from bot.core.networks import Network  # noqa: E402
from bot.core.posting.ports import PostKey  # noqa: E402
from bot.core.reach.amplifiers import AmplifierRules, AmplifierService  # noqa: E402
from bot.core.reach.tracking import TrackingService  # noqa: E402
from bot.core.timespec import parse_schedule  # noqa: E402
from bot.settings import Settings  # noqa: E402
from tests.core.reach.posts import posted_on  # noqa: E402
from tests.fakes.bluesky_server import APP_PASSWORD, HANDLE, FakeBluesky  # noqa: E402
from tests.fakes.clock import FakeClock  # noqa: E402
from tests.fakes.mastodon_server import TOKEN, FakeMastodon, account  # noqa: E402
from tests.fakes.x_server import ACCESS_TOKEN, API_KEY, FakeX, x_user  # noqa: E402

TICK = timedelta(minutes=5)
SCHEDULE = "1h,6h,24h,48h,7d"
AMPLIFIER_SCHEDULE = "6h,24h,7d"
X, BSKY, MASTO = Network.X, Network.BLUESKY, Network.MASTODON


class Silent:
    async def notify(self, event: object) -> None:
        pass


async def run(posts: int, folder: str) -> dict[Network, int]:
    """Requests each fake server received after posting, for ``posts`` posts per network tracked 7 days."""
    clock = FakeClock(datetime(2026, 11, 2, 8, tzinfo=UTC))
    x, bluesky_server, mastodon_server = FakeX(), FakeBluesky(), FakeMastodon()
    x.now = mastodon_server.now = clock.now
    for server in (x, bluesky_server, mastodon_server):
        server.start()
    engine = create_engine(f"sqlite+aiosqlite:///{folder}/bench.db")
    try:
        await migrate(engine)
        usage = SqlUsageStore(engine, clock)
        settings = Settings(bluesky_handle=HANDLE, bluesky_app_password=APP_PASSWORD,
                            bluesky_pds_url=bluesky_server.base_url, mastodon_base_url=mastodon_server.base_url,
                            mastodon_access_token=TOKEN)
        x_client = XClient(api_key=API_KEY, api_secret="s", access_token=ACCESS_TOKEN, access_token_secret="ts",
                           base_url=x.base_url, usage=usage)
        bluesky, mastodon = build_bluesky(settings), build_mastodon(settings)
        x.follower_ids = [str(n) for n in range(500)]
        for n in range(posts):
            on_x = x.add_post(f"Frage {n}?", impressions=100, retweets=3, quotes=1)
            x.reposters[on_x.id] = [x_user(str(10_000 + 10 * n + r), f"fan{n}x{r}", 200) for r in range(3)]
            x.quotes[on_x.id] = [(str(90_000 + n), "Genau!", x_user(str(20_000 + n), f"q{n}", 500))]
            on_bluesky = await bluesky.publisher.publish(f"Frage {n}?", key=PostKey(n + 1, clock.now()),
                                                         source_line=None)
            for r in range(3):
                bluesky_server.add_reposter(on_bluesky.post_id, f"fan{n}x{r}.bsky.social", 200)
            bluesky_server.add_quote(on_bluesky.post_id, f"q{n}.bsky.social", "Genau!", 500)
            bluesky_server.set_counts(on_bluesky.post_id, reposts=3, quotes=1, likes=5)
            on_mastodon = mastodon_server.add_status(f"Frage {n}?", reblogs=3, favourites=5)
            mastodon_server.reblogged_by[on_mastodon.id] = [account(str(50_000 + 10 * n + r), f"fan{n}x{r}", 200)
                                                            for r in range(3)]
            await posted_on(engine, clock, {X: on_x.id, BSKY: on_bluesky.post_id, MASTO: on_mastodon.id},
                            text=f"Frage {n}?")
        before = {X: len(x.requests), BSKY: len(bluesky_server.requests), MASTO: len(mastodon_server.requests)}
        amplifiers = AmplifierService(
            SqlAmplifierStore(engine), {X: XAmplifiers(x_client), BSKY: bluesky.amplifiers, MASTO: mastodon.amplifiers},
            Silent(), clock, usage=usage, read_budget_month=1_000_000,
            rules=AmplifierRules(parse_schedule(AMPLIFIER_SCHEDULE)))
        tracking = TrackingService(
            SqlTrackingStore(engine), {X: XMetrics(x_client), BSKY: bluesky.metrics, MASTO: mastodon.metrics},
            Silent(), clock, usage=usage, schedule=parse_schedule(SCHEDULE), read_budget_month=1_000_000,
            after_snapshot=amplifiers)
        end = clock.now() + timedelta(days=7, hours=1)
        while clock.now() < end:
            clock.advance(TICK.total_seconds())
            await tracking.run_due()
            await amplifiers.run_due()
        after = {X: len(x.requests), BSKY: len(bluesky_server.requests), MASTO: len(mastodon_server.requests)}
        await bluesky.client.close()
        return {network: after[network] - before[network] for network in after}
    finally:
        await engine.dispose()
        for server in (x, bluesky_server, mastodon_server):
            server.stop()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--posts", type=int, nargs="+", default=[1, 25], help="posts per network (default 1 25)")
    args = parser.parse_args()
    for posts in args.posts:
        with tempfile.TemporaryDirectory() as folder:
            started = time.perf_counter()
            counts = await run(posts, folder)
            elapsed = time.perf_counter() - started
        figures = ", ".join(f"{network.label} {counts[network]} ({counts[network] / posts:.2f} per post)"
                            for network in (X, BSKY, MASTO))
        print(f"{posts} post(s) per network, 7 days: {figures}  [{elapsed:.1f} s]")


if __name__ == "__main__":
    asyncio.run(main())
