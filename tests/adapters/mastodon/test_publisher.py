"""MastodonPublisher: the real Mastodon.py against the fake instance; exactly once by Idempotency-Key, reconciliation,
errors in German."""

import asyncio
import logging
from datetime import UTC, datetime, timedelta

import pytest

from bot.adapters.mastodon import build_mastodon
from bot.adapters.mastodon.client import MastodonClient
from bot.adapters.mastodon.metrics import MastodonMetrics
from bot.adapters.mastodon.publisher import MastodonPublisher, comparable, plain_text
from bot.core.errors import PublishError
from bot.core.networks import Network
from bot.core.posting.ports import PostKey
from bot.settings import Settings
from tests.fakes.mastodon_server import OUTSIDE_SCOPES, TOKEN, render
from tests.fakes.samples import GOOD_DRAFTS

TEXT = GOOD_DRAFTS[0][0]
SOURCE = "Quelle: tagesschau.de, 24.11.2026 https://www.tagesschau.de/inland/a.html"


@pytest.fixture
def publisher(make_mastodon_client):
    return MastodonPublisher(make_mastodon_client())


@pytest.fixture
def key(clock):
    return PostKey(post_id=7, approved_at=clock.now())


async def test_posts_with_visibility_language_and_key_and_returns_link_and_followers(
        make_mastodon_client, fake_mastodon, key):
    published = await MastodonPublisher(make_mastodon_client(visibility="unlisted")).publish(TEXT, key=key)
    [status] = fake_mastodon.statuses.values()
    assert status.text == TEXT and status.in_reply_to_id is None
    assert (status.visibility, status.language) == ("unlisted", "de")
    assert published.post_id == status.id and not published.simulated and published.followers == 1234
    assert published.url == f"https://example.social/@spitzfeder/{status.id}" and published.notice is None
    [create] = [r for r in fake_mastodon.requests if r.method == "POST"]
    assert create.idempotency_key == key.idempotency_key
    assert fake_mastodon.count("GET") == 1  # the account before the post; no version or instance probe


async def test_source_line_as_reply_with_its_own_key(publisher, fake_mastodon, key):
    published = await publisher.publish(TEXT, key=key, source_line=SOURCE)
    question, reply = fake_mastodon.statuses.values()
    assert question.id == published.post_id and reply.text == SOURCE and reply.in_reply_to_id == question.id
    keys = [r.idempotency_key for r in fake_mastodon.requests if r.method == "POST"]
    assert keys == [key.idempotency_key, key.idempotency_key + "-source"]


async def test_a_failed_source_reply_does_not_undo_the_post(publisher, fake_mastodon, key):
    fake_mastodon.reject_replies = True
    published = await publisher.publish(TEXT, key=key, source_line=SOURCE)
    assert published.notice.startswith("Die Quelle konnte auf Mastodon nicht als Antwort gepostet werden")
    assert "422" in published.notice and "Antwort nicht erlaubt" in published.notice
    assert [s.text for s in fake_mastodon.statuses.values()] == [TEXT] and fake_mastodon.count("POST") == 2


async def test_build_shares_one_client(fake_mastodon):
    settings = Settings(_env_file=None, mastodon_base_url=fake_mastodon.base_url,
                        mastodon_access_token=TOKEN, mastodon_visibility="private")
    adapters = build_mastodon(settings)
    assert adapters.publisher.client is adapters.client and adapters.publisher.network is Network.MASTODON
    published = await adapters.publisher.publish(TEXT, key=PostKey(1, datetime(2026, 11, 25, tzinfo=UTC)))
    assert fake_mastodon.statuses[published.post_id].visibility == "private"
    assert adapters.client.host == fake_mastodon.base_url.split("://")[1]


# --- exactly once ---

@pytest.mark.parametrize("fault", ["drop", "500", "timeout"])
async def test_an_uncertain_create_is_retried_with_the_same_key_and_makes_no_second_status(
        make_mastodon_client, fake_mastodon, key, clock, fault):
    publisher = MastodonPublisher(make_mastodon_client(timeout=0.5 if fault == "timeout" else 10.0))
    if fault == "drop":
        fake_mastodon.accept_then_drop()
    elif fault == "500":
        fake_mastodon.fail("POST /api/v1/statuses", 500, "<html><h1>We're sorry</h1></html>", accept_first=True)
    else:
        fake_mastodon.hold("POST /api/v1/statuses")  # never released: the client times out
    with pytest.raises(PublishError) as caught:
        await publisher.publish(TEXT, key=key, source_line=SOURCE)
    assert caught.value.maybe_posted and caught.value.retryable and "🔁" in caught.value.user_message
    if fault == "timeout":  # the instance finishes the create after the client gave up
        fake_mastodon.add_status(TEXT)
        fake_mastodon.idempotency[key.idempotency_key] = fake_mastodon.posts()[-1].id
    [status] = fake_mastodon.posts()

    # reconciliation finds it
    found = await publisher.find_existing(TEXT, key=key, since=clock.now() - timedelta(minutes=1))
    assert found is not None and found.post_id == status.id and found.followers == 1234

    # and a retry that posts anyway gets the same status back, with the source reply under it
    again = await MastodonPublisher(make_mastodon_client()).publish(TEXT, key=key, source_line=SOURCE)
    assert again.post_id == status.id and [s.text for s in fake_mastodon.posts()] == [TEXT]
    [reply] = [s for s in fake_mastodon.statuses.values() if s.in_reply_to_id]
    assert reply.in_reply_to_id == status.id and reply.text == SOURCE


async def test_a_second_publish_with_the_same_key_returns_the_first_status(publisher, fake_mastodon, key):
    first = await publisher.publish(TEXT, key=key, source_line=SOURCE)
    second = await publisher.publish(TEXT, key=key, source_line=SOURCE)
    assert first.post_id == second.post_id and len(fake_mastodon.statuses) == 2  # question and one reply


async def test_find_existing_sees_through_html_shortened_links_and_mentions(publisher, fake_mastodon, key, clock):
    text = "Wer zahlt & wer profitiert, @anna@example.org?\n\nhttps://example.org/ein/sehr/langer/pfad/zum/artikel"
    fake_mastodon.add_status(text)
    since = clock.now() - timedelta(minutes=5)
    found = await publisher.find_existing(text, key=key, since=since)
    assert found and found.url.endswith(found.post_id)
    assert await publisher.find_existing("Eine andere Frage?", key=key, since=since) is None
    shown = plain_text(render(text))
    assert "&amp;" not in shown and "<" not in shown and comparable(shown) == comparable(text)


async def test_find_existing_ignores_older_statuses_and_replies(publisher, fake_mastodon, key, clock):
    fake_mastodon.add_status(TEXT, created_at=clock.now() - timedelta(days=2))  # same text, but before approval
    newer = fake_mastodon.add_status("Etwas anderes?")
    fake_mastodon.add_status(TEXT, in_reply_to_id=newer.id)  # a reply is never our post
    assert await publisher.find_existing(TEXT, key=key, since=clock.now() - timedelta(hours=1)) is None
    [timeline] = [r for r in fake_mastodon.requests if r.path.endswith("/statuses") and r.method == "GET"]
    assert timeline.query["exclude_replies"] in ("1", "true")


async def test_find_existing_pages_back_and_says_when_it_cannot_tell(publisher, fake_mastodon, key, clock):
    for n in range(130):
        fake_mastodon.add_status(f"Frage Nummer {n}?")
    with pytest.raises(PublishError) as caught:
        await publisher.find_existing(TEXT, key=key, since=clock.now() - timedelta(hours=1))
    assert "nicht sicher prüfen" in caught.value.user_message and caught.value.maybe_posted
    assert fake_mastodon.count("GET", "/api/v1/accounts/109000000000000001/statuses") == 3
    found = await publisher.find_existing("Frage Nummer 50?", key=key, since=clock.now() - timedelta(hours=1))
    assert found is not None  # on the third page


# --- posting lane: a post never waits behind tracking reads ---

async def test_a_post_goes_out_while_a_slow_metrics_read_is_in_progress(make_mastodon_client, fake_mastodon, key):
    client = make_mastodon_client()
    metrics, publisher = MastodonMetrics(client), MastodonPublisher(client)
    tracked = fake_mastodon.add_status("Eine frühere Frage?", favourites=7)
    held = fake_mastodon.hold("GET /api/v1/statuses/{id}")
    slow_read = asyncio.create_task(metrics.lookup([tracked.id]))
    await held.wait_until_arrived()
    second_read = asyncio.create_task(metrics.followers())  # reads stay one at a time, behind the slow one

    published = await asyncio.wait_for(publisher.publish(TEXT, key=key), timeout=10)  # one lock would hang here

    assert fake_mastodon.statuses[published.post_id].text == TEXT
    assert not slow_read.done() and not second_read.done()
    held.release()
    lookup, followers = await asyncio.gather(slow_read, second_read)
    assert lookup.metrics[tracked.id].likes == 7 and followers == 1234


# --- errors ---

@pytest.mark.parametrize("status, body, headers, expected, retryable, maybe_posted", [
    (422, {"error": "Validation failed: Text character limit of 500 exceeded"}, {},
     ["422", "„Validation failed: Text character limit of 500 exceeded“", "geändert"], False, False),
    (429, {"error": "Too many requests"}, {"X-RateLimit-Reset": "2026-11-25T11:12:00.000Z"},
     ["Zu viele Anfragen", "ab 25.11. 12:12 Uhr", "🔁"], True, False),
    (503, {"error": "Service Unavailable"}, {}, ["gestört", "HTTP 503", "🔁"], True, True),
    (502, "<html><body><h1>502 Bad Gateway</h1></body></html>", {}, ["gestört", "HTTP 502"], True, True),
    (403, OUTSIDE_SCOPES, {}, ["darf nicht posten", "write:statuses", "MASTODON_ACCESS_TOKEN"], True, False),
    (403, {"error": "Your login is currently disabled"}, {}, ["403", "currently disabled"], False, False),
    (200, "<html><body>Wartungsarbeiten</body></html>", {}, ["Webseite statt JSON", "MASTODON_BASE_URL"], True, True),
])
async def test_instance_errors_become_german_messages(publisher, fake_mastodon, key, status, body, headers,
                                                      expected, retryable, maybe_posted):
    fake_mastodon.fail("POST /api/v1/statuses", status, body, headers)
    with pytest.raises(PublishError) as caught:
        await publisher.publish(TEXT, key=key)
    error = caught.value
    for part in expected:
        assert part in error.user_message
    assert error.retryable is retryable and error.maybe_posted is maybe_posted and not error.duplicate
    assert TOKEN not in error.user_message + error.detail and not fake_mastodon.statuses
    assert "<html>" not in error.user_message


async def test_a_too_long_text_is_rejected_by_the_instance_not_retryable(publisher, fake_mastodon, key):
    with pytest.raises(PublishError) as caught:
        await publisher.publish("x" * 501, key=key)
    assert not caught.value.retryable and "character limit of 500" in caught.value.user_message


async def test_a_revoked_token_fails_before_anything_is_posted(make_mastodon_client, fake_mastodon, key, caplog):
    caplog.set_level(logging.DEBUG)
    with pytest.raises(PublishError) as caught:
        await MastodonPublisher(make_mastodon_client("revoked-secret-token")).publish(TEXT, key=key)
    error = caught.value
    assert "401" in error.user_message and "MASTODON_ACCESS_TOKEN" in error.user_message and error.retryable
    assert fake_mastodon.count("POST") == 0 and not error.maybe_posted
    assert "revoked-secret-token" not in error.user_message + error.detail + caplog.text


async def test_an_instance_down_before_the_create_means_nothing_can_be_posted(publisher, fake_mastodon, key):
    fake_mastodon.fail("GET /api/v1/accounts/verify_credentials", 503, "<html>Wartung</html>")
    with pytest.raises(PublishError) as caught:
        await publisher.publish(TEXT, key=key)
    assert caught.value.retryable and not caught.value.maybe_posted and fake_mastodon.count("POST") == 0


async def test_a_server_error_with_unreadable_rate_limit_headers_is_a_server_error(publisher, fake_mastodon, key):
    fake_mastodon.fail("POST /api/v1/statuses", 502, {"error": "bad gateway"}, {"X-RateLimit-Reset": "bald"})
    with pytest.raises(PublishError) as caught:
        await publisher.publish(TEXT, key=key)
    assert caught.value.maybe_posted and "429" not in caught.value.user_message


async def test_the_token_never_reaches_logs_or_messages(publisher, fake_mastodon, key, caplog):
    caplog.set_level(logging.DEBUG)
    await publisher.publish(TEXT, key=key, source_line=SOURCE)
    fake_mastodon.fail("POST /api/v1/statuses", 500, {"error": "oops"})
    with pytest.raises(PublishError) as caught:
        await publisher.publish("Noch eine Frage?", key=PostKey(9, key.approved_at))
    assert TOKEN not in caplog.text + caught.value.user_message + caught.value.detail


async def test_an_unreachable_instance_is_a_maybe_posted_network_error(key):
    client = MastodonClient(base_url="http://127.0.0.1:9", access_token=TOKEN, timeout=2)
    with pytest.raises(PublishError) as caught:
        await MastodonPublisher(client).publish(TEXT, key=key)
    assert "nicht erreichbar" in caught.value.user_message and caught.value.retryable


async def test_an_unreadable_rate_limit_header_on_an_accepted_create_counts_as_maybe_posted(publisher, fake_mastodon,
                                                                                            key):
    fake_mastodon.fail("POST /api/v1/statuses", 200, {"id": "1"}, {"X-RateLimit-Reset": "bald"}, accept_first=True)
    with pytest.raises(PublishError) as caught:
        await publisher.publish(TEXT, key=key)
    assert caught.value.maybe_posted and caught.value.retryable and len(fake_mastodon.posts()) == 1
