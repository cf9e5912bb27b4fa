"""BlueskyPublisher: the real atproto client against the fake PDS; exactly once through derived record keys."""

import asyncio
import logging
from datetime import UTC, datetime, timedelta

import pytest

from bot.adapters.bluesky.publisher import BlueskyPublisher
from bot.adapters.bluesky.tid import post_rkey, reply_rkey
from bot.core.errors import PublishError
from bot.core.networks import Network
from bot.core.posting.ports import PostKey
from tests.fakes.bluesky_server import APP_PASSWORD, DID, DROP, HANDLE, HANG, HTML_PAGE, INTERNAL, POST, FakeBluesky

TEXT = "Wer zahlt am Ende die 3 Mrd. € für die neue Brücke – und warum sagt das niemand? https://example.org/ä?x=1"
SOURCE = "Quelle: tagesschau.de, 24.11.2026 https://www.tagesschau.de/inland/a.html"
KEY = PostKey(post_id=4711, approved_at=datetime(2026, 11, 30, 9, 15, 0, 123456, tzinfo=UTC))


@pytest.fixture
def publisher(make_bluesky_client):
    return BlueskyPublisher(make_bluesky_client())


def _byte_slice(text: str, facet: dict) -> str:
    index = facet["index"]
    return text.encode("utf-8")[index["byteStart"]:index["byteEnd"]].decode("utf-8")


async def test_posts_a_german_record_under_the_derived_rkey_with_link_facets(publisher, fake_bluesky):
    published = await publisher.publish(TEXT, key=KEY)
    [record] = fake_bluesky.posts()
    assert record.rkey == post_rkey(KEY) and record.value["text"] == TEXT
    assert record.value["langs"] == ["de"] and record.value["createdAt"].endswith("Z")
    [facet] = record.value["facets"]
    assert _byte_slice(TEXT, facet) == "https://example.org/ä?x=1"  # byte offsets in UTF-8, after „€“ and „–“
    assert facet["features"][0]["uri"] == "https://example.org/ä?x=1"
    assert published.post_id == f"at://{DID}/{POST}/{post_rkey(KEY)}" and not published.simulated
    assert published.url == f"https://bsky.app/profile/spitzfeder.bsky.social/post/{post_rkey(KEY)}"
    assert published.followers == 1234 and published.notice is None
    assert publisher.network is Network.BLUESKY


async def test_source_goes_out_as_a_reply_record_of_its_own(publisher, fake_bluesky):
    published = await publisher.publish(TEXT, key=KEY, source_line=SOURCE)
    question, reply = fake_bluesky.posts()
    assert reply.rkey == reply_rkey(KEY) and reply.rkey > question.rkey and reply.value["text"] == SOURCE
    ref = {"uri": question.uri, "cid": question.cid}
    assert {k: reply.value["reply"][part][k] for part in ("root", "parent") for k in ref} == ref
    assert reply.value["reply"]["root"]["uri"] == reply.value["reply"]["parent"]["uri"] == published.post_id
    assert _byte_slice(SOURCE, reply.value["facets"][0]) == "https://www.tagesschau.de/inland/a.html"


async def test_mentions_only_for_allowed_handles(make_bluesky_client, fake_bluesky):
    allowed = fake_bluesky.add_user("bundestag.de")
    fake_bluesky.add_user("csu.de")
    text = "Fragt @bundestag.de oder @csu.de: wer zahlt?"
    await BlueskyPublisher(make_bluesky_client(), allowed_handles={"@Bundestag.de"}).publish(text, key=KEY)
    [record] = fake_bluesky.posts()
    [facet] = record.value["facets"]
    assert facet["features"][0]["did"] == allowed and _byte_slice(text, facet) == "@bundestag.de"
    assert fake_bluesky.count("com.atproto.identity.resolveHandle") == 1  # the other handle is not even looked up


async def test_a_failed_source_reply_does_not_undo_the_post(publisher, fake_bluesky):
    fake_bluesky.reject_replies = True
    published = await publisher.publish(TEXT, key=KEY, source_line=SOURCE)
    assert [r.rkey for r in fake_bluesky.posts()] == [post_rkey(KEY)] and published.post_id.endswith(post_rkey(KEY))
    assert published.notice.startswith("Die Quelle konnte auf Bluesky nicht als Antwort gepostet werden")


@pytest.mark.parametrize("duplicate_status", [500, 400])
@pytest.mark.parametrize("crash", [(500, INTERNAL), (DROP, None)])
async def test_crash_after_the_pds_accepted_never_posts_twice(make_bluesky_client, fake_bluesky, crash,
                                                              duplicate_status):
    """The PDS stores the record, then the answer is lost. The read-back finds it; a second publish (after a
    restart, the database never learnt of the first) meets the existing rkey and finds it too."""
    fake_bluesky.duplicate_status = duplicate_status
    fake_bluesky.fail("com.atproto.repo.createRecord", crash[0], crash[1], accept_first=True)
    first = await BlueskyPublisher(make_bluesky_client()).publish(TEXT, key=KEY, source_line=SOURCE)
    assert [r.rkey for r in fake_bluesky.posts()] == [post_rkey(KEY), reply_rkey(KEY)]
    assert first.post_id.endswith(post_rkey(KEY)) and first.notice is None

    restarted = BlueskyPublisher(make_bluesky_client())
    assert (await restarted.find_existing(TEXT, key=KEY, since=KEY.approved_at)).post_id == first.post_id
    again = await restarted.publish(TEXT, key=KEY, source_line=SOURCE)
    assert again.post_id == first.post_id and again.notice is None
    assert len(fake_bluesky.posts()) == 2  # the question and its reply, once each


async def test_find_existing_is_none_for_a_key_never_posted(publisher, fake_bluesky):
    await publisher.publish(TEXT, key=KEY)
    other = PostKey(post_id=KEY.post_id, approved_at=KEY.approved_at + timedelta(seconds=1))
    assert await publisher.find_existing(TEXT, key=other, since=KEY.approved_at) is None


async def test_a_failed_create_whose_read_back_fails_too_may_have_posted(publisher, fake_bluesky):
    fake_bluesky.fail("com.atproto.repo.createRecord", 503, {"error": "Unavailable", "message": "down"})
    fake_bluesky.fail("com.atproto.repo.getRecord", 503, HTML_PAGE)
    with pytest.raises(PublishError) as caught:
        await publisher.publish(TEXT, key=KEY)
    assert caught.value.maybe_posted and caught.value.retryable
    assert "lässt sich gerade nicht prüfen" in caught.value.user_message and "🔁" in caught.value.user_message


async def test_too_long_text_is_refused_before_asking_bluesky(publisher, fake_bluesky):
    with pytest.raises(PublishError) as caught:
        await publisher.publish("ä" * 301, key=KEY)
    assert not caught.value.retryable and not caught.value.maybe_posted
    assert "zu lang (301 von höchstens 300 Zeichen)" in caught.value.user_message
    assert fake_bluesky.requests == []


async def test_a_text_the_pds_refuses_as_too_long_is_not_retryable(publisher, fake_bluesky):
    fake_bluesky.max_graphemes = 20
    with pytest.raises(PublishError) as caught:
        await publisher.publish(TEXT, key=KEY)
    assert not caught.value.retryable and not caught.value.maybe_posted
    assert "zu lang" in caught.value.user_message and "300" in caught.value.user_message
    assert fake_bluesky.posts() == [] and fake_bluesky.count("com.atproto.repo.getRecord") == 1  # read back, none


RESET = int(datetime(2026, 11, 30, 14, 5, tzinfo=UTC).timestamp())


@pytest.mark.parametrize("status, body, headers, expected, retryable, maybe_posted", [
    (429, {"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"},
     {"ratelimit-reset": str(RESET), "ratelimit-remaining": "0"}, ["429", "ab 30.11. 15:05 Uhr", "🔁"], True, False),
    (502, HTML_PAGE, {}, ["antwortet gerade nicht", "HTTP 502", "127.0.0.1", "🔁"], True, True),
    (503, {"error": "InternalServerError", "message": "oops"}, {}, ["antwortet gerade nicht", "503"], True, True),
    (400, {"error": "InvalidRequest", "message": "Invalid app.bsky.feed.post record: blocked word"}, {},
     ["lehnt die Anfrage ab", "blocked word"], False, False),
])
async def test_errors_in_german_with_the_right_flags(publisher, fake_bluesky, status, body, headers, expected,
                                                     retryable, maybe_posted):
    fake_bluesky.fail("com.atproto.repo.createRecord", status, body, headers)
    with pytest.raises(PublishError) as caught:
        await publisher.publish(TEXT, key=KEY)
    message = caught.value.user_message
    assert all(part in message for part in expected), message
    assert (caught.value.retryable, caught.value.maybe_posted) == (retryable, maybe_posted)
    assert fake_bluesky.posts() == []


async def test_wrong_app_password_says_what_to_fix(make_bluesky_client, fake_bluesky, caplog):
    caplog.set_level(logging.DEBUG)
    with pytest.raises(PublishError) as caught:
        await BlueskyPublisher(make_bluesky_client("wrong-pass-word-1234")).publish(TEXT, key=KEY)
    message = caught.value.user_message
    assert "Handle oder App-Passwort" in message and "BLUESKY_APP_PASSWORD" in message and "🔁" in message
    assert caught.value.retryable and not caught.value.maybe_posted
    assert "wrong-pass-word-1234" not in message + caught.value.detail + caplog.text
    assert fake_bluesky.posts() == []


async def test_dropped_connection_on_create_is_maybe_posted_and_read_back(publisher, fake_bluesky):
    fake_bluesky.fail("com.atproto.repo.createRecord", DROP, None)  # dropped before the PDS stored anything
    with pytest.raises(PublishError) as caught:
        await publisher.publish(TEXT, key=KEY)
    assert caught.value.maybe_posted and caught.value.retryable and "nicht erreichbar" in caught.value.user_message
    assert fake_bluesky.count("com.atproto.repo.getRecord") == 1 and fake_bluesky.posts() == []


async def test_a_create_that_times_out_after_the_pds_stored_it_counts_as_posted(make_bluesky_client, fake_bluesky):
    fake_bluesky.fail("com.atproto.repo.createRecord", HANG, None, accept_first=True)
    published = await BlueskyPublisher(make_bluesky_client(timeout=0.3)).publish(TEXT, key=KEY)
    assert published.post_id.endswith(post_rkey(KEY)) and len(fake_bluesky.posts()) == 1


async def test_a_create_that_times_out_unstored_may_have_posted(make_bluesky_client, fake_bluesky):
    fake_bluesky.fail("com.atproto.repo.createRecord", HANG, None)
    with pytest.raises(PublishError) as caught:
        await BlueskyPublisher(make_bluesky_client(timeout=0.3)).publish(TEXT, key=KEY)
    assert caught.value.maybe_posted and "Zeitüberschreitung" in caught.value.user_message


async def test_an_expired_session_is_refreshed_and_the_post_goes_out(publisher, fake_bluesky, caplog):
    caplog.set_level(logging.DEBUG)
    await publisher.publish(TEXT, key=KEY)
    fake_bluesky.expire_sessions()  # the PDS now answers the old access token with ExpiredToken
    second = PostKey(post_id=4712, approved_at=KEY.approved_at + timedelta(minutes=5))
    published = await publisher.publish("Und wer zahlt das?", key=second)
    assert published.post_id.endswith(post_rkey(second)) and len(fake_bluesky.posts()) == 2
    assert fake_bluesky.refreshes == 1 and fake_bluesky.sessions_created == 1
    assert APP_PASSWORD not in caplog.text and "eyJ" not in caplog.text  # no password, no JWT in the logs


async def test_posting_does_not_depend_on_the_appview(publisher, fake_bluesky):
    fake_bluesky.fail("app.bsky.actor.getProfile", 502, HTML_PAGE)  # the profile read fails, the PDS works
    published = await publisher.publish(TEXT, key=KEY)
    assert published.followers is None and published.url.startswith(f"https://bsky.app/profile/{HANDLE}/post/")
    assert len(fake_bluesky.posts()) == 1


async def test_calls_that_meet_one_expired_session_renew_it_once(publisher, fake_bluesky):
    await publisher.publish(TEXT, key=KEY)
    fake_bluesky.expire_sessions()
    client = publisher.client
    accounts = await asyncio.gather(*(client.account() for _ in range(3)))
    assert {account.handle for account in accounts} == {HANDLE}
    assert fake_bluesky.refreshes == 1 and fake_bluesky.sessions_created == 1


async def test_short_lived_tokens_are_refreshed_before_they_expire(make_bluesky_client, fake_bluesky):
    fake_bluesky.access_lifetime = 60  # atproto refreshes 15 minutes ahead of expiry
    publisher = BlueskyPublisher(make_bluesky_client())
    await publisher.publish(TEXT, key=KEY)
    assert fake_bluesky.refreshes >= 1 and fake_bluesky.sessions_created == 1 and len(fake_bluesky.posts()) == 1


async def test_a_revoked_session_logs_in_anew_once(publisher, fake_bluesky):
    await publisher.publish(TEXT, key=KEY)
    fake_bluesky.fail("com.atproto.repo.createRecord", 401, {"error": "InvalidToken", "message": "Token revoked"})
    second = PostKey(post_id=4712, approved_at=KEY.approved_at + timedelta(minutes=5))
    await publisher.publish("Und wer zahlt das?", key=second)
    assert fake_bluesky.sessions_created == 2 and len(fake_bluesky.posts()) == 2


async def test_an_app_password_revoked_meanwhile_says_what_to_fix(publisher, fake_bluesky):
    await publisher.publish(TEXT, key=KEY)
    fake_bluesky.fail("com.atproto.repo.createRecord", 401, {"error": "InvalidToken", "message": "Token revoked"})
    fake_bluesky.app_password = "new1-new2-new3-new4"
    second = PostKey(post_id=4712, approved_at=KEY.approved_at + timedelta(minutes=5))
    with pytest.raises(PublishError) as caught:
        await publisher.publish("Und wer zahlt das?", key=second)
    assert "BLUESKY_APP_PASSWORD" in caught.value.user_message and caught.value.retryable


async def test_an_account_that_moved_to_another_pds_names_the_new_host(make_bluesky_client, fake_bluesky):
    """Migrated accounts are deactivated on the old PDS; its session says so, and the DID document names
    the new host."""
    fake_bluesky.deactivated = True
    fake_bluesky.moved_to = "https://pds.example.net"
    with pytest.raises(PublishError) as caught:
        await BlueskyPublisher(make_bluesky_client()).publish(TEXT, key=KEY)
    message = caught.value.user_message
    assert "nicht mehr aktiv" in message and "pds.example.net" in message and "BLUESKY_PDS_URL" in message
    assert caught.value.retryable and fake_bluesky.posts() == []


async def test_a_retry_after_a_lost_source_reply_posts_only_the_reply(make_bluesky_client, fake_bluesky):
    """The question got through (its answer lost), the reply failed; 🔁 finds the question and adds the reply."""
    fake_bluesky.fail("com.atproto.repo.createRecord", 500, INTERNAL, accept_first=True)
    fake_bluesky.fail("com.atproto.repo.createRecord", 503, {"error": "Unavailable", "message": "busy"})
    first = await BlueskyPublisher(make_bluesky_client()).publish(TEXT, key=KEY, source_line=SOURCE)
    assert [r.rkey for r in fake_bluesky.posts()] == [post_rkey(KEY)] and "Quelle" in first.notice
    again = await BlueskyPublisher(make_bluesky_client()).publish(TEXT, key=KEY, source_line=SOURCE)
    assert again.post_id == first.post_id and again.notice is None
    assert [r.rkey for r in fake_bluesky.posts()] == [post_rkey(KEY), reply_rkey(KEY)]


async def test_a_pds_that_redirects_to_its_new_host_is_followed(make_bluesky_client, fake_bluesky):
    """The old host answers 308 to the new one; the session made there names the new host in its DID document,
    and the client talks to it directly from then on."""
    new_home = FakeBluesky().start()
    try:
        fake_bluesky.redirect_to = new_home.base_url
        publisher = BlueskyPublisher(make_bluesky_client())
        published = await publisher.publish(TEXT, key=KEY)
        assert [r.uri for r in new_home.posts()] == [published.post_id] and fake_bluesky.posts() == []
        before = len(fake_bluesky.requests)
        assert (await publisher.find_existing(TEXT, key=KEY, since=KEY.approved_at)).post_id == published.post_id
        assert len(fake_bluesky.requests) == before  # straight to the new host now
    finally:
        new_home.stop()


async def test_a_failure_before_the_create_cannot_have_posted(publisher, fake_bluesky):
    fake_bluesky.fail("com.atproto.server.createSession", 503, HTML_PAGE)
    with pytest.raises(PublishError) as caught:
        await publisher.publish(TEXT, key=KEY)
    assert caught.value.retryable and not caught.value.maybe_posted and "🔁" in caught.value.user_message
    assert fake_bluesky.count("com.atproto.repo.createRecord") == 0
