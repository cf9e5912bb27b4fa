"""XPublisher: the real tweepy against the fake X API v2, errors in German, exactly-once with reconciliation."""

import asyncio
from datetime import timedelta

import pytest

from bot.adapters.storage.posts import SqlAuditLog, SqlPostStore
from bot.adapters.x.metrics import XMetrics
from bot.adapters.x.publisher import XPublisher, comparable
from bot.core.drafting.models import NewsItem
from bot.core.errors import PublishError
from bot.core.posting.records import PostState
from bot.core.posting.service import PostingService
from bot.core.posting.source import source_line
from tests.fakes.publisher import RecordingNotifier, single
from tests.fakes.samples import GOOD_DRAFTS
from tests.fakes.x_server import DUPLICATE, NOT_ENROLLED, READ_ONLY
from tests.fixtures.x import new_draft_set

TEXT = GOOD_DRAFTS[0][0]


@pytest.fixture
def publisher(make_client):
    return XPublisher(make_client())


async def test_posts_and_returns_link_and_followers(publisher, fake_x, usage_store, clock):
    published = await publisher.publish(TEXT)
    [post] = fake_x.posts.values()
    assert post.text == TEXT and post.reply_to is None  # no source line (SOURCE_AS_REPLY off, or no link): no reply
    assert published.post_id == post.id and not published.simulated and published.followers == 500
    assert published.url == f"https://x.com/spitzfeder/status/{post.id}"
    usage = await usage_store.usage(clock.now())
    assert (usage.write_requests, usage.read_requests) == (1, 1)  # the post, and the account before it


SOURCE = "Quelle: tagesschau.de, 24.11.2026 https://www.tagesschau.de/inland/a.html"


async def test_source_line_as_reply_to_our_own_post(publisher, fake_x):
    published = await publisher.publish(TEXT, source_line=SOURCE)
    question, reply = fake_x.posts.values()
    assert question.id == published.post_id and question.text == TEXT and question.reply_to is None
    assert reply.text == SOURCE and reply.reply_to == question.id


async def test_a_failed_source_reply_does_not_undo_the_post(make_client, fake_x):
    fake_x.reject_replies = True
    published = await XPublisher(make_client()).publish(TEXT, source_line=SOURCE)
    [question] = fake_x.posts.values()
    assert question.id == published.post_id and fake_x.count("POST", "/2/tweets") == 2
    assert published.notice.startswith("Die Quelle konnte nicht als Antwort gepostet werden")


@pytest.mark.parametrize("status, body, headers, expected, retryable", [
    (401, {"title": "Unauthorized", "detail": "Unauthorized", "status": 401}, {},
     ["401", "X_API_KEY", "X_ACCESS_TOKEN_SECRET", "🔁"], True),
    (403, READ_ONLY, {}, ["nur lesen", "Read and write", "Access Token", "neu erzeugen"], True),
    (403, NOT_ENROLLED, {}, ["client-not-enrolled", "Projekt"], True),
    (429, {"title": "Too Many Requests", "detail": "Too Many Requests", "status": 429},
     {"x-rate-limit-limit": "100", "x-rate-limit-remaining": "0", "x-rate-limit-reset": "1795608720"},
     ["Zu viele Anfragen", "ab 25.11. 13:12 Uhr", "🔁"], True),
    (429, {"title": "Too Many Requests", "detail": "Too Many Requests", "status": 429},
     {"x-user-limit-24hour-limit": "17", "x-user-limit-24hour-remaining": "0",
      "x-user-limit-24hour-reset": "1795694400", "x-rate-limit-reset": "1795608720"},
     ["Tageslimit des Kontos", "17 Posts in 24 Stunden", "ab 26.11. 13:00 Uhr"], True),
    (429, {"title": "Too Many Requests", "status": 429},
     {"x-app-limit-24hour-limit": "1500", "x-app-limit-24hour-remaining": "0",
      "x-app-limit-24hour-reset": "1795694400"},
     ["Tageslimit der App", "1500 Posts", "ab 26.11. 13:00 Uhr"], True),
    (503, {"title": "Service Unavailable", "detail": "Service Unavailable", "status": 503}, {},
     ["gestört", "HTTP 503", "🔁"], True),
    (502, "<html><body><h1>502 Bad Gateway</h1></body></html>", {}, ["gestört", "HTTP 502"], True),
    (400, {"title": "Invalid Request", "detail": "text is too long", "status": 400}, {},
     ["400", "text is too long"], False),
])
async def test_x_errors_become_german_messages(publisher, fake_x, status, body, headers, expected, retryable):
    fake_x.fail("POST /2/tweets", status, body, headers)
    with pytest.raises(PublishError) as caught:
        await publisher.publish(TEXT)
    error = caught.value
    for part in expected:
        assert part in error.user_message
    assert error.retryable is retryable and not error.duplicate
    assert error.maybe_posted is (status >= 500)
    assert "test-access" not in error.user_message + error.detail and not fake_x.posts


async def test_wrong_keys_fail_before_anything_is_posted(make_client, fake_x):
    with pytest.raises(PublishError) as caught:
        await XPublisher(make_client("wrong-key")).publish(TEXT)
    assert "401" in caught.value.user_message and fake_x.count("POST", "/2/tweets") == 0


async def test_duplicate_answer_is_flagged(publisher, fake_x):
    fake_x.fail("POST /2/tweets", 403, DUPLICATE)
    with pytest.raises(PublishError) as caught:
        await publisher.publish(TEXT)
    assert caught.value.duplicate and not caught.value.retryable and "Duplikat" in caught.value.user_message
    assert "andere Formulierung" in caught.value.user_message  # the thread then offers new drafts


async def test_find_existing_sees_through_entities_and_tco_links(publisher, fake_x, clock):
    text = "Wer zahlt & wer profitiert? https://example.org/artikel"
    fake_x.add_post(text)
    found = await publisher.find_existing(text, since=clock.now() - timedelta(minutes=5))
    assert found and found.url.endswith(found.post_id) and found.followers == 500
    assert await publisher.find_existing("Eine andere Frage?", since=clock.now() - timedelta(minutes=5)) is None
    assert comparable("a &amp; b  https://t.co/x") == comparable("a & b https://example.org/y")


# --- exactly once with PostingService ---

class Crash(BaseException):
    """The process dies: nothing after this point runs."""


class CrashingPostStore(SqlPostStore):
    async def transition(self, post_id, from_states, to_state, **fields):
        if to_state is PostState.POSTED:
            raise Crash()
        return await super().transition(post_id, from_states, to_state, **fields)


async def test_crash_after_x_accepted_then_restart_reconciles_without_a_second_post(engine, make_client, fake_x, clock):
    set_id = await new_draft_set(engine)
    notifier = RecordingNotifier()
    before = PostingService(CrashingPostStore(engine), XPublisher(make_client()), SqlAuditLog(engine, clock),
                            notifier, clock)
    await before.approve(set_id=set_id, draft_id=1, text=TEXT, source_url=None, approved_by=["anna"], undo_seconds=30)
    clock.advance(30)
    with pytest.raises(Crash):
        await before.run_due()
    assert fake_x.count("POST", "/2/tweets") == 1
    assert (single(await SqlPostStore(engine).for_set(set_id))).state is PostState.IN_FLIGHT

    clock.advance(120)  # restart: new objects, same database, same X account
    after = PostingService(SqlPostStore(engine), XPublisher(make_client()), SqlAuditLog(engine, clock), notifier, clock)
    await after.reconcile()
    post = single(await SqlPostStore(engine).for_set(set_id))
    [on_x] = fake_x.posts.values()
    assert post.state is PostState.POSTED and post.remote_id == on_x.id and post.followers_at_post == 500
    assert post.url == f"https://x.com/spitzfeder/status/{on_x.id}"
    assert fake_x.count("POST", "/2/tweets") == 1  # no second post
    assert "reconciled" in (await SqlAuditLog(engine).entries(set_id))[-1].detail


async def test_accepted_but_answer_lost_is_found_not_posted_again(engine, make_client, fake_x, clock):
    set_id = await new_draft_set(engine)
    service = PostingService(SqlPostStore(engine), XPublisher(make_client()), SqlAuditLog(engine, clock),
                             RecordingNotifier(), clock)
    fake_x.fail("POST /2/tweets", 503, "<html>upstream timeout</html>", accept_first=True)
    await service.approve(set_id=set_id, draft_id=1, text=TEXT, source_url=None, approved_by=["anna"], undo_seconds=0)
    await service.run_due()  # the scheduler's posting lane
    post = single(await SqlPostStore(engine).for_set(set_id))
    assert post.state is PostState.POSTED and len(fake_x.posts) == 1 and fake_x.count("POST", "/2/tweets") == 1


async def test_duplicate_counts_as_posted_only_when_found_on_the_account(engine, make_client, fake_x, clock):
    old = fake_x.add_post(TEXT)
    old.created_at -= timedelta(days=3)  # an old post with the same text: not ours to claim
    set_id = await new_draft_set(engine)
    notifier = RecordingNotifier()
    service = PostingService(SqlPostStore(engine), XPublisher(make_client()), SqlAuditLog(engine, clock),
                             notifier, clock)
    await service.approve(set_id=set_id, draft_id=1, text=TEXT, source_url=None, approved_by=["anna"], undo_seconds=0)
    await service.run_due()  # the scheduler's posting lane
    post = single(await SqlPostStore(engine).for_set(set_id))
    assert post.state is PostState.FAILED and not post.retryable and "Duplikat" in post.error
    assert fake_x.count("GET", "/2/users/4242/tweets") == 1  # looked before deciding


async def test_errors_leave_the_draft_approved_and_retry_posts_it(engine, make_client, fake_x, clock):
    set_id = await new_draft_set(engine)
    service = PostingService(SqlPostStore(engine), XPublisher(make_client()), SqlAuditLog(engine, clock),
                             RecordingNotifier(), clock)
    fake_x.fail("POST /2/tweets", 429, {"title": "Too Many Requests"}, {"x-rate-limit-reset": "1795608720"})
    await service.approve(set_id=set_id, draft_id=1, text=TEXT, source_url=None, approved_by=["anna"], undo_seconds=0)
    await service.run_due()  # the scheduler's posting lane
    failed = single(await SqlPostStore(engine).for_set(set_id))
    assert failed.state is PostState.FAILED and failed.retryable and "13:12 Uhr" in failed.error
    await service.retry(set_id, by="anna")
    await service.run_due()
    assert (single(await SqlPostStore(engine).for_set(set_id))).state is PostState.POSTED and len(fake_x.posts) == 1


# --- posting lane: a post never waits behind tracking reads ---

async def test_a_post_goes_out_while_a_slow_metrics_read_is_in_progress(make_client, fake_x):
    client = make_client()
    metrics, publisher = XMetrics(client), XPublisher(client)
    tracked = fake_x.add_post("Eine frühere Frage?", impressions=70)
    held = fake_x.hold("GET /2/tweets")
    slow_read = asyncio.create_task(metrics.lookup([tracked.id]))
    await held.wait_until_arrived()
    second_read = asyncio.create_task(metrics.followers())  # reads stay one at a time, behind the slow one

    published = await asyncio.wait_for(publisher.publish(TEXT), timeout=10)  # a shared lock would hang here

    assert fake_x.posts[published.post_id].text == TEXT
    assert not slow_read.done() and not second_read.done()
    assert fake_x.count("GET", "/2/users/me") == 1  # only the publisher's account read reached X so far
    held.release()
    lookup, followers = await asyncio.gather(slow_read, second_read)
    assert lookup.metrics[tracked.id].impressions == 70 and followers == 500
    assert fake_x.count("GET", "/2/users/me") == 2


async def test_an_approved_post_goes_out_with_its_source_reply_through_tweepy(engine, make_client, fake_x, clock):
    set_id = await new_draft_set(engine)
    service = PostingService(SqlPostStore(engine), XPublisher(make_client()), SqlAuditLog(engine, clock),
                             RecordingNotifier(), clock)
    news = NewsItem("Meldung", "https://www.example.org/a", outlet=None, published=None)  # no metadata
    await service.approve(set_id=set_id, draft_id=1, text=TEXT, source_url=news.url, source_line=source_line(news),
                          approved_by=["anna"], undo_seconds=0)
    await service.run_due()
    question, reply = fake_x.posts.values()
    assert question.text == TEXT and reply.reply_to == question.id
    assert reply.text == "Quelle: example.org https://www.example.org/a"
    assert (single(await SqlPostStore(engine).for_set(set_id))).source_line == reply.text
