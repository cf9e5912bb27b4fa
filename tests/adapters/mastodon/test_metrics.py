"""MastodonMetrics: reblogs, favourites, replies and quotes of our statuses through Mastodon.py."""

import logging
from zoneinfo import ZoneInfo

import pytest

from bot.adapters.mastodon.client import MastodonClient
from bot.adapters.mastodon.errors import when
from bot.adapters.mastodon.metrics import GONE, MastodonMetrics
from bot.core.errors import PublishError, SpitzfederError
from bot.core.reach.metrics import Metrics
from bot.settings import Settings
from tests.fakes.mastodon_server import TOKEN


@pytest.fixture
def metrics(make_mastodon_client):
    return MastodonMetrics(make_mastodon_client())


async def test_reads_the_numbers_and_the_follower_count_one_status_per_request(metrics, fake_mastodon):
    status = fake_mastodon.add_status("Frage?", reblogs=12, favourites=30, replies=4, quotes=2)
    assert metrics.batch_size == 1
    lookup = await metrics.lookup([status.id])
    assert lookup.metrics == {status.id: Metrics(retweets=12, likes=30, replies=4, quotes=2)}
    assert lookup.unavailable == {} and lookup.followers == 1234
    assert fake_mastodon.count("GET") == 1  # the status carries our account: no second read for followers


async def test_quotes_are_zero_where_the_instance_does_not_count_them(metrics, fake_mastodon, monkeypatch):
    status = fake_mastodon.add_status("Frage?", reblogs=1)
    original = fake_mastodon._json
    monkeypatch.setattr(fake_mastodon, "_json", lambda s: {k: v for k, v in original(s).items()
                                                           if k != "quotes_count"})
    assert (await metrics.lookup([status.id])).metrics[status.id] == Metrics(retweets=1)


async def test_a_deleted_status_is_unavailable_with_a_german_reason(metrics, fake_mastodon):
    alive, deleted = fake_mastodon.add_status("A?", favourites=3), fake_mastodon.add_status("B?")
    fake_mastodon.deleted.add(deleted.id)
    lookup = await metrics.lookup([alive.id, deleted.id])
    assert lookup.metrics == {alive.id: Metrics(likes=3)}
    assert lookup.unavailable == {deleted.id: GONE} and "gelöscht" in GONE


async def test_followers_via_verify_credentials(metrics, fake_mastodon):
    fake_mastodon.followers = 4321
    assert await metrics.followers() == 4321


@pytest.mark.parametrize("status, body, headers, expected", [
    (429, {"error": "Too many requests"}, {"X-RateLimit-Reset": "2026-11-25T09:05:00.000Z"},
     ["Zu viele Anfragen", "ab 25.11. 10:05 Uhr"]),
    (502, "<html><body>Bad Gateway</body></html>", {}, ["gestört", "HTTP 502"]),
    (401, {"error": "The access token was revoked"}, {}, ["401", "MASTODON_ACCESS_TOKEN"]),
])
async def test_read_failures_say_what_to_do_without_the_retry_hint(metrics, fake_mastodon, caplog, status, body,
                                                                   headers, expected):
    caplog.set_level(logging.DEBUG)
    post = fake_mastodon.add_status("Frage?")
    fake_mastodon.fail("GET /api/v1/statuses/{id}", status, body, headers)
    with pytest.raises(SpitzfederError) as caught:
        await metrics.lookup([post.id])
    for part in expected:
        assert part in caught.value.user_message
    assert "🔁" not in caught.value.user_message and isinstance(caught.value, PublishError)
    assert TOKEN not in caught.value.user_message + caught.value.detail + caplog.text


async def test_the_reset_time_is_shown_in_the_configured_timezone(fake_mastodon):
    settings = Settings(mastodon_base_url=fake_mastodon.base_url, mastodon_access_token=TOKEN, timezone="UTC")
    post = fake_mastodon.add_status("Frage?")
    fake_mastodon.fail("GET /api/v1/statuses/{id}", 429, {"error": "Too many requests"},
                       {"X-RateLimit-Reset": "2026-11-25T09:05:00.000Z"})
    with pytest.raises(SpitzfederError) as caught:
        await MastodonMetrics(MastodonClient.from_settings(settings)).lookup([post.id])
    assert "ab 25.11. 09:05 Uhr" in caught.value.user_message


@pytest.mark.parametrize("reset, expected", [
    ("2026-11-25T09:05:00.000Z", "ab 25.11. 10:05 Uhr"),
    ("2026-11-25T09:05:00+00:00", "ab 25.11. 10:05 Uhr"),
    ("1795608720", "ab 25.11. 13:12 Uhr"),  # epoch seconds, as some servers send them
    ("bald", "später"),
    (None, "später"),
])
def test_reset_times(reset, expected):
    assert when(reset, ZoneInfo("Europe/Berlin")) == expected
