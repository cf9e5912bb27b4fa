"""One approved question on X, Bluesky and Mastodon at once, through the real tweepy, atproto and Mastodon.py
clients against their fake servers: exactly once on every network, also across a crash; one network failing
never holds up or repeats the others."""

from __future__ import annotations

import asyncio
from contextlib import suppress
from datetime import timedelta

import pytest

from bot.adapters.storage.posts import SqlAuditLog, SqlPostStore
from bot.core.networks import Network
from bot.core.notices import PostFailed, PostPublished
from bot.core.posting.ports import PostKey, PublishedPost, Publisher
from bot.core.posting.records import PostState
from bot.core.posting.service import PostingService
from bot.settings import Settings
from bot.wiring import NetworkParts, build_networks
from tests.fakes.bluesky_server import APP_PASSWORD, HANDLE
from tests.fakes.mastodon_server import TOKEN
from tests.fakes.publisher import RecordingNotifier
from tests.fakes.samples import GOOD_DRAFTS
from tests.fakes.x_server import API_KEY
from tests.fixtures.x import new_draft_set

TEXT = GOOD_DRAFTS[0][0]
SOURCE = "Quelle: tagesschau.de, 24.11.2026 https://www.tagesschau.de/a"
WAIT = timedelta(seconds=60)  # RECONCILE_WAIT_SECONDS


class StallAfterPosting:
    """A real publisher that never returns once the network has accepted the post: the process is killed
    (its task cancelled) before the answer is recorded. ``everywhere`` is set once every network accepted."""

    simulated = False

    def __init__(self, inner: Publisher, accepted: set[Network], everywhere: asyncio.Event, count: int) -> None:
        self.inner, self.network = inner, inner.network
        self._accepted, self._everywhere, self._count = accepted, everywhere, count

    async def publish(self, text: str, *, key: PostKey, source_line: str | None = None) -> PublishedPost:
        await self.inner.publish(text, key=key, source_line=source_line)
        self._accepted.add(self.network)
        if len(self._accepted) == self._count:
            self._everywhere.set()
        await asyncio.get_running_loop().create_future()  # the kill comes first
        raise AssertionError("unreachable")

    async def find_existing(self, text: str, *, key: PostKey, since) -> PublishedPost | None:
        return await self.inner.find_existing(text, key=key, since=since)


@pytest.fixture
def settings(fake_x, fake_bluesky, fake_mastodon) -> Settings:
    return Settings(_env_file=None, x_api_key=API_KEY, x_api_secret="test-consumer-secret",
                    x_access_token="test-access-token", x_access_token_secret="test-access-secret",
                    x_api_base_url=fake_x.base_url, bluesky_handle=HANDLE, bluesky_app_password=APP_PASSWORD,
                    bluesky_pds_url=fake_bluesky.base_url, mastodon_base_url=fake_mastodon.base_url,
                    mastodon_access_token=TOKEN)


@pytest.fixture
async def networks(settings):
    built = build_networks(settings)
    yield built
    await _close(built)


async def _close(networks: dict[Network, NetworkParts]) -> None:
    for parts in networks.values():
        if parts.close is not None:
            await parts.close()


def service(engine, clock, publishers, notifier=None) -> PostingService:
    return PostingService(SqlPostStore(engine), publishers, SqlAuditLog(engine, clock),
                          notifier or RecordingNotifier(), clock, reconcile_wait=WAIT)


def on_networks(fake_x, fake_bluesky, fake_mastodon) -> dict[Network, int]:
    """Our questions on each fake network (source replies not counted)."""
    return {Network.X: sum(post.text == TEXT for post in fake_x.posts.values()),
            Network.BLUESKY: sum(record.value.get("text") == TEXT for record in fake_bluesky.posts()),
            Network.MASTODON: sum(status.text == TEXT for status in fake_mastodon.posts())}


async def test_an_approved_question_goes_to_every_active_network_once_with_its_source(
        engine, clock, networks, fake_x, fake_bluesky, fake_mastodon):
    assert list(networks) == [Network.X, Network.BLUESKY, Network.MASTODON]
    set_id = await new_draft_set(engine)
    notifier = RecordingNotifier()
    posting = service(engine, clock, {n: parts.publisher for n, parts in networks.items()}, notifier)
    approved = await posting.approve(set_id=set_id, draft_id=1, text=TEXT, source_url=None, approved_by=["1"],
                                     undo_seconds=0, source_line=SOURCE)
    assert [post.network for post in approved] == [Network.X, Network.BLUESKY, Network.MASTODON]

    posted = await posting.run_due()

    assert {post.network: post.state for post in posted} == dict.fromkeys(networks, PostState.POSTED)
    assert on_networks(fake_x, fake_bluesky, fake_mastodon) == dict.fromkeys(networks, 1)
    urls = {post.network: post.url for post in posted}
    assert urls[Network.X].startswith("https://x.com/") and urls[Network.BLUESKY].startswith("https://bsky.app/")
    assert urls[Network.MASTODON].startswith("https://example.social/@spitzfeder/")
    assert len([e for e in notifier.events if isinstance(e, PostPublished)]) == 3
    assert any(SOURCE in post.text for post in fake_x.posts.values())  # each network got its source reply
    assert any(record.value.get("text") == SOURCE for record in fake_bluesky.posts())
    assert any(SOURCE in status.text and status.in_reply_to_id for status in fake_mastodon.statuses.values())


async def test_a_crash_after_every_network_accepted_leaves_no_second_post_after_the_restart(
        engine, clock, settings, networks, fake_x, fake_bluesky, fake_mastodon):
    set_id = await new_draft_set(engine)
    accepted: set[Network] = set()
    everywhere = asyncio.Event()
    stalling = {network: StallAfterPosting(parts.publisher, accepted, everywhere, len(networks))
                for network, parts in networks.items()}
    first_run = service(engine, clock, stalling)
    await first_run.approve(set_id=set_id, draft_id=1, text=TEXT, source_url=None, approved_by=["1"],
                            undo_seconds=0)
    posting = asyncio.create_task(first_run.run_due())
    await everywhere.wait()
    posting.cancel()  # the process is killed
    with suppress(asyncio.CancelledError):
        await posting
    stuck = await SqlPostStore(engine).for_set(set_id)
    assert {post.state for post in stuck} == {PostState.IN_FLIGHT}  # every network took it; nothing recorded
    assert on_networks(fake_x, fake_bluesky, fake_mastodon) == dict.fromkeys(networks, 1)

    restarted_networks = build_networks(settings)  # new clients, as after a restart
    try:
        restarted = service(engine, clock, {n: parts.publisher for n, parts in restarted_networks.items()})
        assert await restarted.reconcile() == []  # networks may still hold the requests: looked up later
        clock.advance(WAIT.total_seconds())
        found = await restarted.reconcile()
    finally:
        await _close(restarted_networks)

    assert {post.network: post.state for post in found} == dict.fromkeys(networks, PostState.POSTED)
    assert on_networks(fake_x, fake_bluesky, fake_mastodon) == dict.fromkeys(networks, 1)
    assert fake_x.count("POST", "/2/tweets") == 1 and fake_mastodon.count("POST", "/api/v1/statuses") == 1
    assert fake_bluesky.count("com.atproto.repo.createRecord") == 1


async def test_an_answer_lost_after_each_network_stored_the_post_is_found_not_sent_again(
        engine, clock, networks, fake_x, fake_bluesky, fake_mastodon):
    set_id = await new_draft_set(engine)
    fake_x.fail("POST /2/tweets", 503, "<html>down</html>", accept_first=True)
    fake_bluesky.fail("com.atproto.repo.createRecord", 500, {"error": "InternalServerError"}, accept_first=True)
    fake_mastodon.accept_then_drop()
    posting = service(engine, clock, {n: parts.publisher for n, parts in networks.items()})
    await posting.approve(set_id=set_id, draft_id=1, text=TEXT, source_url=None, approved_by=["1"],
                          undo_seconds=0)

    handled = await posting.run_due()

    states = {post.network: post.state for post in handled}
    # Bluesky and Mastodon find theirs at once by the record key and the idempotency key; X lists it by text.
    assert states[Network.BLUESKY] is PostState.POSTED and states[Network.MASTODON] is PostState.POSTED
    clock.advance(WAIT.total_seconds())
    await posting.run_due()
    final = await SqlPostStore(engine).for_set(set_id)
    assert {post.state for post in final} == {PostState.POSTED}
    assert on_networks(fake_x, fake_bluesky, fake_mastodon) == dict.fromkeys(networks, 1)


async def test_one_network_failing_does_not_hold_up_the_others_and_retry_repeats_only_it(
        engine, clock, networks, fake_x, fake_bluesky, fake_mastodon):
    set_id = await new_draft_set(engine)
    fake_mastodon.fail("POST /api/v1/statuses", 422, {"error": "Validierung fehlgeschlagen: Text ist zu lang"})
    notifier = RecordingNotifier()
    posting = service(engine, clock, {n: parts.publisher for n, parts in networks.items()}, notifier)
    await posting.approve(set_id=set_id, draft_id=1, text=TEXT, source_url=None, approved_by=["1"],
                          undo_seconds=0)

    await posting.run_due()

    states = {post.network: post for post in await SqlPostStore(engine).for_set(set_id)}
    assert states[Network.X].state is PostState.POSTED and states[Network.BLUESKY].state is PostState.POSTED
    failed = states[Network.MASTODON]
    assert failed.state is PostState.FAILED and not failed.retryable and "zu lang" in (failed.error or "")
    [failure] = [e for e in notifier.events if isinstance(e, PostFailed)]
    assert failure.post.network is Network.MASTODON
    assert await posting.retry(set_id, by="1") == []  # rejected content: 🔁 cannot help

    fake_mastodon.fail("POST /api/v1/statuses", 503, {"error": "Wartungsarbeiten"})
    await SqlPostStore(engine).transition(failed.id, {PostState.FAILED}, PostState.FAILED, retryable=True)
    [again] = await posting.retry(set_id, by="1")  # only the failed network is scheduled again
    assert again.network is Network.MASTODON
    await posting.run_due()
    assert on_networks(fake_x, fake_bluesky, fake_mastodon) == {Network.X: 1, Network.BLUESKY: 1,
                                                                 Network.MASTODON: 0}
    [again] = await posting.retry(set_id, by="1")  # the instance is back
    await posting.run_due()
    assert on_networks(fake_x, fake_bluesky, fake_mastodon) == dict.fromkeys(networks, 1)
    assert fake_x.count("POST", "/2/tweets") == 1 and fake_bluesky.count("com.atproto.repo.createRecord") == 1
