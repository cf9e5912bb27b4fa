"""BlueskyMetrics and BlueskyAmplifiers: the real atproto client against the fake PDS, batched where it can."""

from datetime import UTC, datetime

import pytest

from bot.adapters.bluesky.amplifiers import BlueskyAmplifiers
from bot.adapters.bluesky.metrics import GONE, BlueskyMetrics
from bot.adapters.bluesky.publisher import BlueskyPublisher
from bot.core.errors import SpitzfederError
from bot.core.posting.ports import PostKey
from bot.core.reach.metrics import Metrics
from tests.fakes.bluesky_server import HTML_PAGE


async def _posts(client, count: int) -> list[str]:
    publisher = BlueskyPublisher(client)
    start = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    return [(await publisher.publish(f"Frage {n}?", key=PostKey(n, start.replace(minute=n % 60)))).post_id
            for n in range(1, count + 1)]


async def test_metrics_of_several_posts_in_one_request_and_a_deleted_one(make_bluesky_client, fake_bluesky):
    client = make_bluesky_client()
    first, second, gone = await _posts(client, 3)
    fake_bluesky.set_counts(first, reposts=30, likes=41, replies=5, quotes=2)
    fake_bluesky.deleted.add(gone)
    before = fake_bluesky.count("app.bsky.feed.getPosts")
    lookup = await BlueskyMetrics(client).lookup([first, second, gone])
    assert fake_bluesky.count("app.bsky.feed.getPosts") == before + 1
    assert lookup.metrics == {first: Metrics(retweets=30, likes=41, replies=5, quotes=2), second: Metrics()}
    assert lookup.unavailable == {gone: GONE} and "gelöscht" in GONE


async def test_batch_size_is_what_getposts_takes(make_bluesky_client, fake_bluesky):
    client = make_bluesky_client()
    uris = await _posts(client, 25)
    metrics = BlueskyMetrics(client)
    assert metrics.batch_size == 25
    assert len((await metrics.lookup(uris)).metrics) == 25


async def test_followers_and_a_failing_read_in_german(make_bluesky_client, fake_bluesky):
    metrics = BlueskyMetrics(make_bluesky_client())
    fake_bluesky.followers = 4321
    assert await metrics.followers() == 4321
    fake_bluesky.fail("app.bsky.feed.getPosts", 502, HTML_PAGE)
    with pytest.raises(SpitzfederError) as caught:
        await metrics.lookup(["at://did:plc:x/app.bsky.feed.post/3abc"])
    assert "antwortet gerade nicht" in caught.value.user_message and "🔁" not in caught.value.user_message


async def test_reposters_and_quoters_with_follower_counts(make_bluesky_client, fake_bluesky):
    client = make_bluesky_client()
    [uri] = await _posts(client, 1)
    anna = fake_bluesky.add_reposter(uri, "anna.bsky.social", 45_300)
    fake_bluesky.add_reposter(uri, "ben.bsky.social", 12)
    quote = fake_bluesky.add_quote(uri, "presse.bsky.social", "Gute Frage, @spitzfeder!", 12_100)
    amplifiers = BlueskyAmplifiers(client)

    reposts = await amplifiers.reposters(uri, max_pages=3)
    assert [(a.handle, a.followers, a.kind) for a in reposts.amplifiers] == [
        ("anna.bsky.social", 45_300, "repost"), ("ben.bsky.social", 12, "repost")]
    assert reposts.amplifiers[0].user_id == anna and reposts.amplifiers[0].verified_type is None

    [quoter] = (await amplifiers.quoters(uri, max_pages=3)).amplifiers
    assert (quoter.handle, quoter.followers, quoter.kind) == ("presse.bsky.social", 12_100, "quote")
    assert (quoter.quote_id, quoter.quote_text) == (quote, "Gute Frage, @spitzfeder!")
    assert await amplifiers.list_members("123") == []


async def test_reposters_paged_and_their_profiles_read_25_at_a_time(make_bluesky_client, fake_bluesky):
    client = make_bluesky_client()
    [uri] = await _posts(client, 1)
    for n in range(130):
        fake_bluesky.add_reposter(uri, f"r{n}.bsky.social", n)
    read = await BlueskyAmplifiers(client).reposters(uri, max_pages=1)
    assert len(read.amplifiers) == 100 and fake_bluesky.count("app.bsky.feed.getRepostedBy") == 1
    assert fake_bluesky.count("app.bsky.actor.getProfiles") == 4
    read = await BlueskyAmplifiers(client).reposters(uri, max_pages=5)
    assert len(read.amplifiers) == 130 and read.amplifiers[-1].followers == 129
    assert fake_bluesky.count("app.bsky.feed.getRepostedBy") == 3  # 1 before, then 2 pages


async def test_our_followers_paged_up_to_max_count(make_bluesky_client, fake_bluesky):
    fake_bluesky.follower_dids = [f"did:plc:follower{n:016d}" for n in range(250)]
    amplifiers = BlueskyAmplifiers(make_bluesky_client())
    scan = await amplifiers.our_followers(max_count=1000)
    assert len(scan.user_ids) == 250 and scan.complete and fake_bluesky.count("app.bsky.graph.getFollowers") == 3
    partial = await amplifiers.our_followers(max_count=100)
    assert len(partial.user_ids) == 100 and not partial.complete


async def test_a_failing_amplifier_read_says_so_without_retry_hint(make_bluesky_client, fake_bluesky):
    fake_bluesky.fail("app.bsky.feed.getRepostedBy", 429, {"error": "RateLimitExceeded", "message": "slow down"},
                      {"ratelimit-reset": str(int(datetime(2026, 11, 30, 14, 5, tzinfo=UTC).timestamp()))})
    with pytest.raises(SpitzfederError) as caught:
        await BlueskyAmplifiers(make_bluesky_client()).reposters("at://did:plc:x/app.bsky.feed.post/3a", max_pages=1)
    assert "ab 30.11. 15:05 Uhr" in caught.value.user_message and "🔁" not in caught.value.user_message


async def test_after_close_the_next_read_logs_in_anew(make_bluesky_client, fake_bluesky):
    client = make_bluesky_client()
    metrics = BlueskyMetrics(client)
    await metrics.followers()
    await client.close()
    assert await metrics.followers() == 1234 and fake_bluesky.sessions_created == 2
