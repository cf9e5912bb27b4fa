"""The workflow store's writes for one news item, one after another: event-loop CPU and wall time per item.

Per item: the case (with its news item), the first draft set of four drafts, and the message that shows it, each
a write of its own through the shared write queue, as a mention's way takes them. A temporary SQLite database;
20 unmeasured items first. Prints figures; asserts nothing.

Run: .venv/bin/python bench/store_writes.py [--items 200] [--rounds 3]
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
from bot.adapters.storage.workflow import SqlWorkflowStore  # noqa: E402
from bot.core.clock import SystemClock  # noqa: E402
from bot.core.conversation.records import MessageKind, ShownMessage  # noqa: E402
from bot.core.drafting.models import Draft, DraftSet, NewsItem  # noqa: E402

NEWS = NewsItem(text="Die Stadt Hamburg erhöht zum 1. Januar die Preise im Nahverkehr um 9,5 Prozent. " * 4,
                language="de")
DRAFTS = [Draft(text=f"Wer zahlt die {n}. Preisrunde im Nahverkehr, wenn das Deutschlandticket bleibt?",
                evidence="erhöht zum 1. Januar die Preise", weighted_length=80, language="de", evidence_found=True)
          for n in range(1, 5)]


async def one_item(store: SqlWorkflowStore, number: int) -> None:
    case = await store.create_case(NEWS, origin="mention", requester_id=1, guild_id=2, channel_id=3, count=4)
    shown = await store.add_set(case, DraftSet(news=NEWS, drafts=DRAFTS))
    await store.remember_message(ShownMessage(
        message_id=10**9 + number, channel_id=3, case_id=case.id, kind=MessageKind.DRAFTS, set_id=shown.id,
        numbers={entry.number: entry.id for entry in shown.drafts}, body="…", first=True))


async def main(items: int, rounds: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        engine = create_engine(f"sqlite+aiosqlite:///{folder}/bench.db")
        try:
            await migrate(engine)
            store = SqlWorkflowStore(engine, SystemClock())
            for number in range(20):
                await one_item(store, number)
            cpu, wall = [], []
            for round_number in range(rounds):
                start_wall, start_cpu = time.perf_counter(), time.thread_time()
                for number in range(items):
                    await one_item(store, (round_number + 1) * 100_000 + number)
                wall.append((time.perf_counter() - start_wall) / items)
                cpu.append((time.thread_time() - start_cpu) / items)
        finally:
            await engine.dispose()
    print(f"{items} items a round, {rounds} rounds (case, set of 4 drafts, shown message: 3 writes per item)")
    print(f"event-loop CPU per item: median {statistics.median(cpu) * 1000:.2f} ms "
          f"(rounds: {', '.join(f'{c * 1000:.2f}' for c in cpu)})")
    print(f"wall time per item: median {statistics.median(wall) * 1000:.2f} ms")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.items, arguments.rounds))
