"""Exactly-once posting with the SQL store on SQLite and an in-memory publisher."""

import asyncio
from datetime import timedelta

import pytest

from bot.adapters.storage.database import create_engine
from bot.adapters.storage.drafts import SqlDraftStore
from bot.adapters.storage.posts import SqlAuditLog, SqlPostStore
from bot.core.drafting.checks import check_draft
from bot.core.drafting.models import DraftSet, NewsItem
from bot.core.errors import PublishError
from bot.core.networks import Network
from bot.core.notices import PostCancelled, PostFailed, PostPublished, PostScheduled
from bot.core.posting.records import PostState
from bot.core.posting.service import PostingService
from tests.fakes.publisher import FakePublisher, RecordingNotifier, single
from tests.fakes.samples import GOOD_DRAFTS, NEWS

TEXT = GOOD_DRAFTS[0][0]


@pytest.fixture
async def set_id(engine):
    news = NewsItem(NEWS)
    drafts = [check_draft(t, e, news) for t, e in GOOD_DRAFTS]
    return await SqlDraftStore(engine).save_draft_set(DraftSet(news, drafts), origin="test")


@pytest.fixture
def publisher(clock):
    return FakePublisher(clock)


@pytest.fixture
def notifier():
    return RecordingNotifier()


@pytest.fixture
def wakes():
    """How often the services woke the scheduler's posting lane."""
    return []


@pytest.fixture
def make_service(engine, publisher, notifier, clock, wakes):
    def make(pub=None):
        return PostingService(SqlPostStore(engine), pub or publisher, SqlAuditLog(engine, clock), notifier, clock,
                              wake=lambda: wakes.append("posting"))
    return make


async def approve(service, set_id, undo=30):
    return single(await service.approve(set_id=set_id, draft_id=1, text=TEXT, source_url=None,
                                        approved_by=["anna"], undo_seconds=undo))


async def approve_and_post(service, set_id):
    """Approve with no undo window, then run the due work as the woken posting lane does."""
    post = await approve(service, set_id, undo=0)
    await service.run_due()
    return post


async def retry_and_post(service, set_id):
    again = single(await service.retry(set_id, by="anna"))
    await service.run_due()
    return again


async def test_posts_after_the_undo_window(make_service, set_id, clock, publisher, notifier):
    service = make_service()
    post = await approve(service, set_id)
    assert post.state is PostState.SCHEDULED and await service.run_due() == []
    clock.advance(30)
    [done] = await service.run_due()
    assert done.state is PostState.POSTED and done.remote_id == "1000" and done.followers_at_post == 500
    assert [type(e) for e in notifier.events] == [PostScheduled, PostPublished]
    assert await service.run_due() == [] and publisher.calls == 1


async def test_undo_zero_is_due_at_once_and_wakes_the_posting_lane(make_service, set_id, clock, publisher, wakes):
    service = make_service()
    assert await service.next_due() is None
    await approve(service, set_id, undo=0)
    assert publisher.calls == 0 and wakes == ["posting"]  # one path: the lane publishes, approve does not
    assert await service.next_due() == clock.now()
    [done] = await service.run_due()
    assert done.state is PostState.POSTED and publisher.calls == 1 and await service.next_due() is None


async def test_next_due_is_the_earliest_scheduled_post(make_service, engine, set_id, clock):
    service = make_service()
    await approve(service, set_id, undo=30)
    news = NewsItem(NEWS)
    other = await SqlDraftStore(engine).save_draft_set(DraftSet(news, [check_draft(t, e, news)
                                                                       for t, e in GOOD_DRAFTS]), origin="test")
    await approve(service, other, undo=10)
    assert await service.next_due() == clock.now() + timedelta(seconds=10)
    await service.cancel(other, by="bert")
    assert await service.next_due() == clock.now() + timedelta(seconds=30)


async def test_cancel_inside_the_window(make_service, set_id, clock, publisher, notifier, engine):
    service = make_service()
    await approve(service, set_id)
    cancelled = single(await service.cancel(set_id, by="bert"))
    assert cancelled.state is PostState.CANCELLED and isinstance(notifier.events[-1], PostCancelled)
    clock.advance(60)
    assert await service.run_due() == [] and publisher.calls == 0
    actions = [(e.action, e.actor) for e in await SqlAuditLog(engine).entries(set_id)]
    assert actions == [("approved", "anna"), ("cancelled", "bert")]


async def test_cancel_after_posting_does_nothing(make_service, set_id, publisher):
    service = make_service()
    await approve_and_post(service, set_id)
    assert await service.cancel(set_id, by="bert") == []


async def test_a_set_is_approved_only_once(make_service, set_id):
    service = make_service()
    first, second = await asyncio.gather(approve(service, set_id), approve(service, set_id))
    assert (first is None) != (second is None)


async def test_a_set_is_approved_only_once_also_for_different_networks(engine, migrated_database_url, set_id,
                                                                       clock, notifier):
    engines = [create_engine(migrated_database_url) for _ in range(2)]  # as two processes
    try:
        pairs = zip(engines, (Network.X, Network.BLUESKY), strict=True)
        services = [PostingService(SqlPostStore(own), FakePublisher(clock, network), SqlAuditLog(own, clock),
                                   notifier, clock) for own, network in pairs]
        first, second = await asyncio.gather(*(
            service.approve(set_id=set_id, draft_id=n, text=TEXT, source_url=None, approved_by=["anna"],
                            undo_seconds=30) for n, service in enumerate(services, 1)))
    finally:
        for own in engines:
            await own.dispose()
    assert (first == []) != (second == [])  # one draft per news item, whichever network it goes to
    assert len(await SqlPostStore(engine).for_set(set_id)) == 1


async def test_a_post_that_may_be_out_stays_to_be_looked_up_when_its_network_is_switched_off(
        engine, make_service, set_id, clock):
    [post] = await make_service(FakePublisher(clock, Network.MASTODON)).approve(
        set_id=set_id, draft_id=1, text=TEXT, source_url=None, approved_by=["anna"], undo_seconds=0)
    store = SqlPostStore(engine)
    await store.transition(post.id, {PostState.SCHEDULED}, PostState.FAILED, uncertain=True, attempts=1)
    without_mastodon = make_service(FakePublisher(clock, Network.X))
    await without_mastodon.retry(set_id, by="anna")
    await without_mastodon.run_due()
    failed = single(await store.for_set(set_id))
    assert failed.state is PostState.FAILED and failed.uncertain and "Mastodon ist nicht mehr eingerichtet" in (
        failed.error or "")
    assert await without_mastodon.cancel(set_id, by="bert") == []  # it may be out: not given up blindly


async def test_concurrent_runs_publish_once(make_service, set_id, clock, publisher):
    await approve(make_service(), set_id)
    clock.advance(30)
    results = await asyncio.gather(*(make_service().run_due() for _ in range(5)))
    assert sum(len(r) for r in results) == 1 and publisher.calls == 1


async def test_failure_keeps_the_post_and_retry_posts_it(make_service, set_id, clock, publisher, notifier, wakes):
    service = make_service()
    publisher.failures.append(PublishError("X ist gerade gestört (HTTP 503). Später 🔁.", retryable=True))
    await approve_and_post(service, set_id)
    failed = notifier.events[-1]
    assert isinstance(failed, PostFailed) and failed.post.error.startswith("X ist gerade gestört")
    wakes.clear()
    posted = single(await service.retry(set_id, by="anna"))
    assert posted.state is PostState.SCHEDULED and wakes == ["posting"] and publisher.calls == 1
    await service.run_due()
    assert (single(await make_service()._store.for_set(set_id))).state is PostState.POSTED
    assert publisher.calls == 2 and len(publisher.timeline) == 1


async def test_a_failed_post_can_be_given_up_unless_it_may_be_on_x(make_service, set_id, publisher):
    service = make_service()
    publisher.failures.append(PublishError("X ist gerade gestört (HTTP 503).", retryable=True))
    await approve_and_post(service, set_id)
    assert single(await service.cancel(set_id, by="bert")).state is PostState.CANCELLED


async def test_a_failed_post_that_may_be_on_x_cannot_be_given_up(make_service, set_id, publisher):
    service = make_service()
    publisher.failures.append(PublishError("Antwort verloren", maybe_posted=True))
    publisher.lookup_fails = True
    await approve_and_post(service, set_id)
    assert await service.cancel(set_id, by="bert") == []


async def test_non_retryable_failure_cannot_be_retried(make_service, set_id, publisher):
    service = make_service()
    publisher.failures.append(PublishError("Schlüssel falsch", retryable=False))
    await approve_and_post(service, set_id)
    assert await service.retry(set_id, by="anna") == []


async def test_duplicate_answer_counts_only_when_the_post_is_found(make_service, set_id, clock, publisher):
    service = make_service()
    publisher.failures.append(PublishError("Doppelt", duplicate=True, retryable=False))
    await approve_and_post(service, set_id)
    assert (single(await service._store.for_set(set_id))).state is PostState.FAILED


async def test_crash_after_x_accepted_is_reconciled_without_a_second_post(make_service, set_id, clock, publisher):
    publisher.crash_after_posting = True
    await approve_and_post(make_service(), set_id)  # outcome unknown: failed, but marked uncertain
    publisher.crash_after_posting = False
    post = await retry_and_post(make_service(), set_id)
    assert post is not None
    final = single(await make_service()._store.for_set(set_id))
    assert final.state is PostState.POSTED and len(publisher.timeline) == 1 and publisher.calls == 1


async def test_retry_an_hour_after_an_uncertain_failure_finds_the_post(make_service, set_id, clock, publisher):
    publisher.crash_after_posting = True
    await approve_and_post(make_service(), set_id)
    publisher.crash_after_posting = False
    clock.advance(3600)
    await retry_and_post(make_service(), set_id)
    final = single(await make_service()._store.for_set(set_id))
    assert final.state is PostState.POSTED and len(publisher.timeline) == 1


async def test_in_flight_post_found_at_start_is_not_posted_again(make_service, set_id, clock, publisher, engine):
    service = make_service()
    post = await approve(service, set_id)
    clock.advance(30)
    # Simulate a crash between X accepting the post and the database recording it.
    claimed = await service._store.transition(post.id, {PostState.SCHEDULED}, PostState.IN_FLIGHT,
                                              attempted_at=clock.now(), attempts=1)
    await publisher.publish(claimed.text)
    restarted = make_service()
    clock.advance(60)  # RECONCILE_WAIT_SECONDS after the attempt
    await restarted.reconcile()
    final = single(await restarted._store.for_set(set_id))
    assert final.state is PostState.POSTED and final.remote_id == "1000" and publisher.calls == 1


async def test_in_flight_post_is_not_published_blindly_when_the_account_cannot_be_read(
        make_service, set_id, clock, publisher, notifier):
    service = make_service()
    post = await approve(service, set_id)
    clock.advance(30)
    claimed = await service._store.transition(post.id, {PostState.SCHEDULED}, PostState.IN_FLIGHT,
                                              attempted_at=clock.now())
    await publisher.publish(claimed.text)  # X took it; then the bot crashed
    publisher.lookup_fails = True
    clock.advance(60)
    await make_service().reconcile()
    failed = single(await service._store.for_set(set_id))
    assert failed.state is PostState.FAILED and failed.uncertain and "🔁 prüft erneut" in failed.error
    assert publisher.calls == 1
    publisher.lookup_fails = False
    await retry_and_post(make_service(), set_id)
    final = single(await service._store.for_set(set_id))
    assert final.state is PostState.POSTED and publisher.calls == 1


async def test_in_flight_post_missing_at_start_is_published(make_service, set_id, clock, publisher):
    service = make_service()
    post = await approve(service, set_id)
    clock.advance(30)
    await service._store.transition(post.id, {PostState.SCHEDULED}, PostState.IN_FLIGHT, attempted_at=clock.now())
    restarted = make_service()
    assert await restarted.reconcile() == []  # X may still be holding the request: not yet
    assert await restarted.next_due() == clock.now() + timedelta(seconds=60) and publisher.calls == 0
    clock.advance(60)
    await restarted.run_due()  # the posting lane, once the wait is over: not on the account, so it is sent
    assert (single(await service._store.for_set(set_id))).state is PostState.POSTED and publisher.calls == 1


async def test_undo_window_running_at_restart_is_honoured(make_service, set_id, clock, publisher):
    await approve(make_service(), set_id)
    clock.advance(10)
    restarted = make_service()
    assert await restarted.reconcile() == []
    clock.advance(25)
    assert len(await restarted.run_due()) == 1 and publisher.calls == 1
