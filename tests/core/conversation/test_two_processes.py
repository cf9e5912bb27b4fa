"""Two bot processes on one database: votes for the same draft arrive at both at once, and each draft still goes
out exactly once. Runs on SQLite and, with TEST_DATABASE_URL, on PostgreSQL (where the row locks and the
compare-and-set updates of the post store are what hold)."""

from __future__ import annotations

import asyncio
import multiprocessing
from pathlib import Path
from types import SimpleNamespace

from bot.adapters.storage.database import create_engine
from tests.core.conversation.test_workflow import ANNA, BERT, Rig
from tests.fakes.chat import FakeMessage
from tests.fakes.clock import FakeClock
from tests.fakes.publisher import FakePublisher
from tests.fixtures.database import rows

CASES = 6


class CountingPublisher(FakePublisher):
    """Appends a line to a file shared by both processes for every post that reaches "X"."""

    def __init__(self, clock, log: Path) -> None:
        super().__init__(clock)
        self._log = log

    async def publish(self, text, *, key=None, source_line=None):
        with self._log.open("a", encoding="utf-8") as log:
            log.write(text.replace("\n", " ") + "\n")
        return await super().publish(text, key=key, source_line=source_line)


async def _vote_and_post(url: str, messages: list[tuple[int, int]], shown: list[FakeMessage], voter: int, barrier,
                         log: Path) -> None:
    engine = create_engine(url)
    try:
        rig = Rig(engine, undo=0, required=2, publisher=CountingPublisher(FakeClock(), log))
        rig.chat.messages = {message.id: message for message in shown}  # one Discord for both processes
        rig.chat._next_id = 100_000 * voter  # and its message ids are unique across them
        for message_id, channel_id in messages:
            barrier.wait()  # both processes vote for this draft at the same instant
            await rig.react(SimpleNamespace(id=message_id, channel_id=channel_id), "1️⃣", voter)
            await asyncio.gather(rig.posting.run_due(), rig.posting.run_due())
    finally:
        await engine.dispose()


def _bot_process(url: str, messages: list[tuple[int, int]], shown: list[FakeMessage], voter: int, barrier,
                 log: str) -> None:
    asyncio.run(_vote_and_post(url, messages, shown, voter, barrier, Path(log)))


async def test_votes_in_two_processes_at_once_post_each_draft_once(migrated_database_url, tmp_path):
    engine = create_engine(migrated_database_url)
    try:
        rig = Rig(engine)
        messages = []
        for _ in range(CASES):
            _, message = await rig.start()
            messages.append((message.id, message.channel_id))
        shown = list(rig.chat.messages.values())
    finally:
        await engine.dispose()
    log = tmp_path / "published.txt"
    context = multiprocessing.get_context("spawn")  # a fresh interpreter each, as two bot processes are
    barrier = context.Barrier(2)
    processes = [context.Process(target=_bot_process, args=(migrated_database_url, messages, shown, voter, barrier,
                                                                    str(log)))
                 for voter in (ANNA, BERT)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(120)
    assert [process.exitcode for process in processes] == [0, 0]
    assert len(log.read_text(encoding="utf-8").splitlines()) == CASES
    assert rows(migrated_database_url, "select count(*) from posts where state = 'posted'") == [(CASES,)]
    assert rows(migrated_database_url, "select count(distinct set_id) from posts") == [(CASES,)]
    assert rows(migrated_database_url, "select count(*) from votes") == [(2 * CASES,)]  # both votes counted
