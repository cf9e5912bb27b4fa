"""Requests per tracked post on Bluesky over a week, counted at the fake PDS (the figures for bench/README.md).

Schedules as shipped: snapshots at 1h,6h,24h,48h,7d (METRICS_SCHEDULE), amplifier reads at 6h,24h,7d
(AMPLIFIER_SCHEDULE, made only when reposts or quotes grew: here they always do, the worst case).
"""

from datetime import UTC, datetime, timedelta

from bot.adapters.bluesky.amplifiers import BlueskyAmplifiers
from bot.adapters.bluesky.metrics import BlueskyMetrics
from bot.adapters.bluesky.publisher import BlueskyPublisher
from bot.core.posting.ports import PostKey

SNAPSHOTS, AMPLIFIER_READS, POSTS = 5, 3, 25
START = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)


async def test_requests_per_tracked_post_over_a_week(make_bluesky_client, fake_bluesky):
    client = make_bluesky_client()
    publisher, metrics, amplifiers = BlueskyPublisher(client), BlueskyMetrics(client), BlueskyAmplifiers(client)
    uris = []
    for n in range(POSTS):
        published = await publisher.publish(f"Frage {n}?", key=PostKey(n + 1, START + timedelta(minutes=n)),
                                            source_line=f"Quelle: example.org https://example.org/{n}")
        uris.append(published.post_id)
        for r in range(3):
            fake_bluesky.add_reposter(published.post_id, f"r{n}x{r}.bsky.social", 100 * r)
        fake_bluesky.add_quote(published.post_id, f"q{n}.bsky.social", "Genau!", 500)
    posting = len(fake_bluesky.requests)

    for _ in range(SNAPSHOTS):
        lookup = await metrics.lookup(uris)  # the tracking round: every due post in one getPosts call
        assert len(lookup.metrics) == POSTS
    tracking = len(fake_bluesky.requests) - posting

    for _ in range(AMPLIFIER_READS):
        for uri in uris:
            assert len((await amplifiers.reposters(uri, max_pages=3)).amplifiers) == 3
            assert len((await amplifiers.quoters(uri, max_pages=3)).amplifiers) == 1
    reading = len(fake_bluesky.requests) - posting - tracking

    # Posting: one session for the process, then per post getProfile + createRecord (question) + createRecord
    # (source reply). Tracking: one getPosts per round for up to 25 posts. Amplifiers: per read and post
    # getRepostedBy + getQuotes and one getProfiles each for their authors (25 per call).
    assert posting == 1 + 3 * POSTS
    assert tracking == SNAPSHOTS  # 0.2 requests per post and week when 25 are due together, 5 for a post alone
    assert reading == AMPLIFIER_READS * 4 * POSTS  # 12 per post and week at most
    per_post = (posting - 1 + tracking + reading) / POSTS
    assert per_post == 3 + SNAPSHOTS / POSTS + AMPLIFIER_READS * 4  # 15.2
