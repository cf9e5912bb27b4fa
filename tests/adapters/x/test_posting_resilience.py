"""Posting through the real tweepy against the fake X API while the database is busy or the bot was killed
mid-request: every post ends on X exactly once, and nothing is re-sent blindly."""

from __future__ import annotations

import asyncio
from contextlib import suppress
from datetime import timedelta

from bot.adapters.storage.posts import SqlAuditLog, SqlPostStore
from bot.adapters.storage.retry import WriteRetry
from bot.adapters.storage.usage import SqlUsageStore
from bot.adapters.x.client import XClient
from bot.adapters.x.publisher import XPublisher
from bot.core.notices import PostFailed, PostPublished
from bot.core.posting.records import PostState
from bot.core.posting.service import PostingService
from tests.fakes.publisher import RecordingNotifier, single
from tests.fakes.samples import GOOD_DRAFTS
from tests.fakes.sqlite_lock import ReleasingSleep
from tests.fakes.x_server import API_KEY
from tests.fixtures.x import BERLIN, new_draft_set

TEXT = GOOD_DRAFTS[0][0]
WAIT = timedelta(seconds=60)  # RECONCILE_WAIT_SECONDS


def x_publisher(fake_x, usage) -> XPublisher:
    return XPublisher(XClient(api_key=API_KEY, api_secret="test-consumer-secret", access_token="test-access-token",
                              access_token_secret="test-access-secret", base_url=fake_x.base_url, tz=BERLIN,
                              usage=usage))


async def test_x_accepts_while_another_process_locks_the_database_and_the_post_is_recorded_once(
        busy_engine, write_lock, fake_x, clock):
    set_id = await new_draft_set(busy_engine)
    # 5 pauses of the store's retries, then PostingService tries again: the lock goes at the 8th pause.
    sleep = ReleasingSleep(write_lock, release_at=8)
    retry = WriteRetry.of(busy_engine, sleep=sleep)
    usage, notifier = SqlUsageStore(busy_engine, clock), RecordingNotifier()
    service = PostingService(SqlPostStore(busy_engine, retry=retry), x_publisher(fake_x, usage),
                             SqlAuditLog(busy_engine, clock, retry=retry), notifier, clock, sleep=sleep)
    await service.approve(set_id=set_id, draft_id=1, text=TEXT, source_url=None, approved_by=["1"], undo_seconds=0)
    held = fake_x.hold("POST /2/tweets")
    posting = asyncio.create_task(service.run_due())
    await held.wait_until_arrived()
    write_lock.hold()  # the moment X accepts the post, another process is writing
    held.release()
    [post] = await posting

    assert len(sleep.pauses) == 8 and 0.5 in sleep.pauses and not write_lock.held  # store and service retried
    assert post.state is PostState.POSTED and len(fake_x.posts) == 1 and fake_x.count("POST", "/2/tweets") == 1
    assert post.remote_id == next(iter(fake_x.posts))
    assert [type(e) for e in notifier.events][-1] is PostPublished
    assert not any(isinstance(e, PostFailed) for e in notifier.events)
    row = await usage.usage(clock.now())  # counted in memory during the lock, written now
    assert (row.write_requests, row.read_requests) == (1, 1) and usage.pending == {}


async def test_an_outcome_that_cannot_be_recorded_for_long_is_looked_up_on_x_not_sent_again(
        busy_engine, write_lock, fake_x, clock):
    set_id = await new_draft_set(busy_engine)
    sleep = ReleasingSleep(write_lock, release_at=999)  # the other process keeps the lock
    retry = WriteRetry.of(busy_engine, sleep=sleep)
    usage, notifier = SqlUsageStore(busy_engine, clock), RecordingNotifier()
    service = PostingService(SqlPostStore(busy_engine, retry=retry), x_publisher(fake_x, usage),
                             SqlAuditLog(busy_engine, clock, retry=retry), notifier, clock, sleep=sleep,
                             record_patience=timedelta(seconds=10), reconcile_wait=WAIT)
    await service.approve(set_id=set_id, draft_id=1, text=TEXT, source_url=None, approved_by=["1"], undo_seconds=0)
    held = fake_x.hold("POST /2/tweets")
    posting = asyncio.create_task(service.run_due())
    await held.wait_until_arrived()
    write_lock.hold()
    held.release()
    assert await posting == []  # logged; the post could not be recorded

    write_lock.release()
    stuck = single(await SqlPostStore(busy_engine).for_set(set_id))
    assert stuck.state is PostState.IN_FLIGHT and stuck.due_at == stuck.attempted_at + WAIT
    assert await service.next_due() == stuck.due_at  # the posting lane comes back for it
    assert await service.run_due() == []  # not before the wait
    clock.advance(60)
    [post] = await service.run_due()
    assert post.state is PostState.POSTED and post.remote_id == next(iter(fake_x.posts))
    assert fake_x.count("POST", "/2/tweets") == 1 and fake_x.count("GET", "/2/users/4242/tweets") == 1
    assert await service.next_due() is None


async def test_a_restart_while_x_holds_the_create_request_waits_and_posts_exactly_once(engine, make_client,
                                                                                       fake_x, clock):
    fake_x.visible_after = timedelta(seconds=90)  # X lists a new post in the timeline only after a while
    set_id = await new_draft_set(engine)
    before = PostingService(SqlPostStore(engine), XPublisher(make_client()), SqlAuditLog(engine, clock),
                            RecordingNotifier(), clock, reconcile_wait=WAIT)
    await before.approve(set_id=set_id, draft_id=1, text=TEXT, source_url=None, approved_by=["1"], undo_seconds=0)
    attempt = clock.now()
    held = fake_x.hold("POST /2/tweets")
    posting = asyncio.create_task(before.run_due())
    await held.wait_until_arrived()
    posting.cancel()  # the bot is killed while X holds the create request
    with suppress(asyncio.CancelledError):
        await posting

    notifier = RecordingNotifier()  # restarted at once: new objects, same database, same account
    after = PostingService(SqlPostStore(engine), XPublisher(make_client()), SqlAuditLog(engine, clock),
                           notifier, clock, reconcile_wait=WAIT)
    clock.advance(1)
    assert await after.reconcile() == []
    assert await after.next_due() == attempt + WAIT
    assert fake_x.count("GET", "/2/users/4242/tweets") == 0  # no lookup while X may still hold the request
    clock.advance(7)
    fake_x.stored.clear()
    held.release()  # 8 s after the attempt, X accepts the first request
    assert await asyncio.to_thread(fake_x.stored.wait, 10)

    clock.advance(52)  # the wait is over; X does not list the post yet
    [waiting] = await after.run_due()
    assert fake_x.count("GET", "/2/users/4242/tweets") == 2  # looked, sent, told "duplicate", looked again
    assert waiting.state is PostState.IN_FLIGHT and waiting.due_at == clock.now() + WAIT
    assert notifier.events == []  # a duplicate after a re-send is no user error

    clock.advance(60)  # X lists it now
    [post] = await after.run_due()
    [on_x] = fake_x.posts.values()
    assert post.state is PostState.POSTED and post.remote_id == on_x.id and post.error is None
    assert fake_x.count("POST", "/2/tweets") == 2 and len(fake_x.posts) == 1
    assert [type(e) for e in notifier.events] == [PostPublished]
