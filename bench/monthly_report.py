"""The monthly report for an account with many posts in the month: time per format.

100 questions in November 2026 (default), each posted on X, Bluesky and Mastodon: 300 posts, each with two
readings and three amplifiers (one of them notable), and as many in October for the change, in a temporary SQLite
database. Measured: `wiring.monthly_report` as `spitzfeder report` and `/bericht` call it
(store reads, figures, charts, rendering) for HTML, PDF and CSV; the first round includes importing matplotlib and
WeasyPrint. Prints figures; asserts nothing.

Run: .venv/bin/python bench/monthly_report.py [--questions 100] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.adapters.storage.database import create_engine, migrate  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.wiring import monthly_report  # noqa: E402
from tests.fixtures.reports import Carrier, OnNetwork, Question, seed_questions  # noqa: E402

PATTERNS = ("kosten", "widerspruch", "zuständigkeit", "zeitplan", "folgen")
NETWORKS = ("x", "bluesky", "mastodon")


def questions(count: int, start: datetime) -> list[Question]:
    made = []
    for n in range(count):
        at = start + timedelta(minutes=n * (29 * 24 * 60 // max(count, 1)))
        posts = [OnNetwork(network, (n % 17, 40 + n % 90, n % 11, n % 5, 0 if network != "x" else 5_000 + 37 * n),
                           followers=8_000 + n, carriers=[Carrier(f"{network}{n}a", 12_000 + n, notable=True),
                                                          Carrier(f"{network}{n}b", 300 + n),
                                                          Carrier(f"{network}{n}c", 90, follows_us=True)])
                 for network in NETWORKS]
        made.append(Question(f"Frage Nummer {n}: Wer zahlt am Ende für „Projekt {n}“?", at, posts,
                             PATTERNS[n % len(PATTERNS)]))
    return made


async def bench(count: int, rounds: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
        engine = create_engine(url)
        await migrate(engine)
        began = time.perf_counter()
        await seed_questions(engine, questions(count, datetime(2026, 10, 1, 8, tzinfo=UTC)))
        await seed_questions(engine, questions(count, datetime(2026, 11, 1, 8, tzinfo=UTC)))
        print(f"seeded {2 * count} questions × {len(NETWORKS)} networks in {time.perf_counter() - began:.1f} s")
        settings = Settings(database_url=url, display_name="Bench")
        for fmt in ("html", "pdf", "csv"):
            times, size = [], 0
            for _ in range(rounds):
                began = time.perf_counter()
                _name, content = await monthly_report(settings, engine, "standard", "2026-11", fmt)
                times.append(time.perf_counter() - began)
                size = len(content)
            print(f"{fmt:>4}: first {times[0]:.2f} s, median {statistics.median(times):.2f} s, "
                  f"max {max(times):.2f} s over {rounds} rounds, {size / 1024:.0f} KB")
        await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=100, help="per month; each is posted on 3 networks")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    asyncio.run(bench(args.questions, args.rounds))


if __name__ == "__main__":
    main()
