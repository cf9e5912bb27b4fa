"""From approval to posted on X, Bluesky and Mastodon: the real tweepy, atproto and Mastodon.py clients against
their fake servers, each answer delayed by that network's latency. The networks are posted concurrently, so the
whole should take about the slowest network alone (target: its time + 100 ms).

Run: python bench/networks_posting.py [--runs 10] [--x-ms 120] [--bluesky-ms 80] [--mastodon-ms 150]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.adapters.storage.database import create_engine, migrate  # noqa: E402
from bot.adapters.storage.posts import SqlAuditLog, SqlPostStore  # noqa: E402
from bot.core.clock import SystemClock  # noqa: E402
from bot.core.networks import Network  # noqa: E402
from bot.core.posting.records import PostState  # noqa: E402
from bot.core.posting.service import PostingService  # noqa: E402
from bot.settings import Settings, sqlite_url  # noqa: E402
from bot.wiring import build_networks  # noqa: E402
from tests.fakes.bluesky_server import APP_PASSWORD, HANDLE, FakeBluesky  # noqa: E402
from tests.fakes.mastodon_server import TOKEN, FakeMastodon  # noqa: E402
from tests.fakes.publisher import RecordingNotifier  # noqa: E402
from tests.fakes.samples import GOOD_DRAFTS  # noqa: E402
from tests.fakes.x_server import ACCESS_TOKEN, API_KEY, FakeX  # noqa: E402
from tests.fixtures.x import new_draft_set  # noqa: E402

SOURCE = "Quelle: tagesschau.de, 24.11.2026 https://www.tagesschau.de/a"


async def one_round(settings: Settings, engine, networks: list[Network], text: str, source: str) -> float:
    """Seconds from approval (undo window 0) until every network's post is recorded."""
    built = {network: parts for network, parts in build_networks(settings).items() if network in networks}
    try:
        posting = PostingService(SqlPostStore(engine), {n: p.publisher for n, p in built.items()},
                                 SqlAuditLog(engine), RecordingNotifier(), SystemClock())
        set_id = await new_draft_set(engine)
        started = time.perf_counter()
        await posting.approve(set_id=set_id, draft_id=1, text=text, source_url=None, approved_by=["1"],
                              undo_seconds=0, source_line=source)
        posted = await posting.run_due()
        took = time.perf_counter() - started
        assert [p.state for p in posted] == [PostState.POSTED] * len(networks), posted
        return took
    finally:
        for parts in built.values():
            if parts.close is not None:
                await parts.close()


async def main(runs: int, latency: dict[Network, float]) -> None:
    fakes = {Network.X: FakeX(), Network.BLUESKY: FakeBluesky(), Network.MASTODON: FakeMastodon()}
    for network, fake in fakes.items():
        fake.start()
        fake._server.latency = latency[network]
    settings = Settings(
        _env_file=None, x_api_key=API_KEY, x_api_secret="s", x_access_token=ACCESS_TOKEN, x_access_token_secret="ts",
        x_api_base_url=fakes[Network.X].base_url, bluesky_handle=HANDLE, bluesky_app_password=APP_PASSWORD,
        bluesky_pds_url=fakes[Network.BLUESKY].base_url, mastodon_base_url=fakes[Network.MASTODON].base_url,
        mastodon_access_token=TOKEN)
    try:
        with tempfile.TemporaryDirectory() as folder:
            engine = create_engine(sqlite_url(Path(folder) / "bench.db"))
            await migrate(engine)
            results: dict[str, list[float]] = {}
            numbers = iter(range(10_000))
            cases = [(network.label, [network]) for network in fakes] + [("alle drei", list(fakes))]
            for _ in range(runs + 1):  # the first round warms up (imports, sessions, TLS-free connections)
                for label, networks in cases:
                    n = next(numbers)  # X refuses a text it has already
                    took = await one_round(settings, engine, networks, f"{GOOD_DRAFTS[0][0]} ({n})", f"{SOURCE}?n={n}")
                    results.setdefault(label, []).append(took)
            await engine.dispose()
    finally:
        for fake in fakes.values():
            fake.stop()
    print("latency per answer: " + ", ".join(f"{n.label} {latency[n] * 1000:.0f} ms" for n in fakes))
    print(f"{'posted on':<12} {'median':>8} {'max':>8}   ({runs} runs each, after one warm-up)")
    medians = {}
    for label, times in results.items():
        times = times[1:]
        medians[label] = statistics.median(times)
        print(f"{label:<12} {medians[label] * 1000:7.0f} ms {max(times) * 1000:6.0f} ms")
    slowest = max(medians[network.label] for network in fakes)
    print(f"all three − slowest alone: {(medians['alle drei'] - slowest) * 1000:+.0f} ms (target ≤ +100 ms)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--x-ms", type=float, default=120)
    parser.add_argument("--bluesky-ms", type=float, default=80)
    parser.add_argument("--mastodon-ms", type=float, default=150)
    args = parser.parse_args()
    asyncio.run(main(args.runs, {Network.X: args.x_ms / 1000, Network.BLUESKY: args.bluesky_ms / 1000,
                                 Network.MASTODON: args.mastodon_ms / 1000}))
