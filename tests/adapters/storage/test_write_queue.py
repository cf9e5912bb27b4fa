"""Writes that wait for their turn go together in one transaction; a failing one fails alone."""

import asyncio

import pytest
from sqlalchemy import event, text

from bot.adapters.storage.write_queue import WriteQueue


def insert(number: int):
    async def write(session):
        await session.execute(text("insert into queue_probe (id) values (:id)"), {"id": number})
        return number
    return write


async def failing(session):
    await session.execute(text("insert into queue_probe (id) values (99)"))
    raise ValueError("kaputt")


@pytest.fixture
async def queue(engine):
    async with engine.begin() as connection:
        await connection.execute(text("create table queue_probe (id integer primary key)"))
        await connection.execute(text("create table queue_child (id integer primary key, parent integer "
                                      "references queue_probe (id) deferrable initially deferred)"))
    return WriteQueue(engine)


async def orphan(session):  # accepted by its statement, refused when the transaction commits
    await session.execute(text("insert into queue_child (id, parent) values (1, 404)"))


async def stored(engine) -> list[int]:
    async with engine.connect() as connection:
        return list((await connection.execute(text("select id from queue_probe order by id"))).scalars())


def count_commits(engine) -> list[int]:
    commits: list[int] = []
    event.listen(engine.sync_engine, "commit", lambda _connection: commits.append(1))
    return commits


async def queued_behind_a_write(queue: WriteQueue, writes) -> tuple[asyncio.Event, asyncio.Future]:
    """The writes' tasks, waiting while another write holds the turn; set the event to let that one finish."""
    release = asyncio.Event()

    async def holding():
        async with queue.alone():
            await release.wait()

    holder = asyncio.ensure_future(holding())
    await asyncio.sleep(0)  # the holder takes the turn
    tasks = asyncio.gather(*(queue.run(write) for write in writes), return_exceptions=True)
    await asyncio.sleep(0)  # each write is queued
    return release, asyncio.gather(holder, tasks)


async def test_writes_that_wait_go_together_in_one_transaction(engine, queue):
    commits = count_commits(engine)
    release, done = await queued_behind_a_write(queue, [insert(n) for n in range(1, 6)])
    release.set()
    _, results = await done
    assert results == [1, 2, 3, 4, 5] and await stored(engine) == [1, 2, 3, 4, 5]
    assert len(commits) == 1  # the five in one transaction (the holder wrote nothing)


async def test_a_failing_write_fails_alone_and_the_others_are_stored(engine, queue):
    release, done = await queued_behind_a_write(queue, [insert(1), failing, insert(2)])
    release.set()
    _, (first, error, second) = await done
    assert (first, second) == (1, 2) and isinstance(error, ValueError)
    assert await stored(engine) == [1, 2]  # nothing of the failing write stays


async def test_a_write_given_up_before_its_turn_never_runs(engine, queue):
    release = asyncio.Event()

    async def holding():
        async with queue.alone():
            await release.wait()

    holder = asyncio.ensure_future(holding())
    await asyncio.sleep(0)
    given_up = asyncio.ensure_future(queue.run(insert(7)))
    await asyncio.sleep(0)
    given_up.cancel()
    release.set()
    await holder
    assert await queue.run(insert(8)) == 8
    assert await stored(engine) == [8]


async def test_a_write_alone_runs_straight_away(engine, queue):
    assert await queue.run(insert(3)) == 3
    with pytest.raises(ValueError):
        await queue.run(failing)
    assert await stored(engine) == [3]


async def test_a_failed_commit_reaches_every_write_and_none_runs_again(engine, queue):
    """A commit that failed may still have happened (a connection lost at that moment): nothing is run twice."""
    release, done = await queued_behind_a_write(queue, [insert(1), orphan, insert(2)])
    release.set()
    _, results = await done
    assert all(isinstance(result, Exception) for result in results)
    assert await stored(engine) == []
