"""Another process holding SQLite's write lock: writes wait and retry, X request counts are never lost."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from bot.adapters.storage.drafts import SqlDraftStore
from bot.adapters.storage.posts import SqlPostStore
from bot.adapters.storage.retry import WriteRetry
from bot.adapters.storage.usage import SqlUsageStore
from bot.core.drafting.checks import check_draft
from bot.core.drafting.models import DraftSet, NewsItem
from bot.core.networks import Network
from bot.core.posting.records import PostState
from tests.fakes.samples import GOOD_DRAFTS, NEWS
from tests.fakes.sqlite_lock import ReleasingSleep

pytestmark = pytest.mark.sqlite_only  # about SQLite files themselves


def a_draft_set() -> DraftSet:
    news = NewsItem(NEWS)
    return DraftSet(news, [check_draft(t, e, news) for t, e in GOOD_DRAFTS])


async def test_a_draft_set_is_saved_once_the_other_writer_is_done(busy_engine, write_lock):
    sleep = ReleasingSleep(write_lock, release_at=2)
    store = SqlDraftStore(busy_engine, retry=WriteRetry.of(busy_engine, sleep=sleep))
    write_lock.hold()
    set_id = await store.save_draft_set(a_draft_set(), origin="test")
    assert len(sleep.pauses) == 2 and sleep.pauses[1] == 2 * sleep.pauses[0]  # backed off, then saved
    async with busy_engine.connect() as connection:
        query = text("select count(*) from drafts where set_id = :s")
        stored = (await connection.execute(query, {"s": set_id})).scalar()
    assert stored == len(GOOD_DRAFTS)


async def test_a_write_gives_up_after_a_bounded_number_of_tries(busy_engine, write_lock):
    sleep = ReleasingSleep(write_lock, release_at=99)
    store = SqlDraftStore(busy_engine, retry=WriteRetry.of(busy_engine, sleep=sleep))
    write_lock.hold()
    with pytest.raises(OperationalError, match="database is locked"):
        await store.save_draft_set(a_draft_set(), origin="test")
    assert len(sleep.pauses) == WriteRetry().attempts - 1


async def test_a_post_transition_waits_for_the_lock(busy_engine, write_lock, clock):
    set_id = await SqlDraftStore(busy_engine).save_draft_set(a_draft_set(), origin="test")
    sleep = ReleasingSleep(write_lock, release_at=3)
    posts = SqlPostStore(busy_engine, retry=WriteRetry.of(busy_engine, sleep=sleep))
    [post] = await posts.create_scheduled(set_id=set_id, draft_id=1, text="Frage?", source_url=None,
                                          approved_by=["1"], approved_at=clock.now(), due_at=clock.now(),
                                          networks=[Network.X])
    write_lock.hold()
    moved = await posts.transition(post.id, {PostState.SCHEDULED}, PostState.IN_FLIGHT, attempts=1)
    assert moved.state is PostState.IN_FLIGHT and len(sleep.pauses) == 3


async def test_counting_x_requests_never_touches_a_locked_database(busy_engine, write_lock, clock):
    wakes = []
    usage = SqlUsageStore(busy_engine, clock, wake=lambda: wakes.append("usage"))
    write_lock.hold()
    await usage.record("write")
    await usage.record("read", items=3)
    assert wakes == ["usage", "usage"] and await usage.next_flush() == clock.now()
    assert await usage.flush() is False  # logged, not raised; the counts stay in memory
    assert usage.pending == {"2026-11": {"write_requests": 1, "read_requests": 1, "read_items": 3}}
    assert await usage.reads_in_month(clock.now()) == 3  # what is counted shows all the same
    assert (await usage.next_flush()) > clock.now()  # the usage lane backs off
    write_lock.release()
    await usage.record("read", items=2)
    assert await usage.flush() is True and usage.pending == {} and await usage.next_flush() is None
    row = await usage.usage(clock.now())
    assert (row.write_requests, row.read_requests, row.read_items) == (1, 2, 5)
