"""Tracking and amplifiers through the real Bluesky (atproto) and Mastodon (Mastodon.py) adapters against the
wire-level fakes: per-network batches, the Reichweiten-Multiplikator, alerts naming the network, one network
failing while the other is read, a deleted post ending its tracking."""

import pytest

from bot.adapters.bluesky import network as bluesky_network
from bot.adapters.mastodon import build_mastodon
from bot.adapters.storage.amplifiers import SqlAmplifierStore
from bot.core.networks import Network
from bot.core.notices import AmplifierSpotted, Announcement
from bot.core.posting.ports import PostKey
from bot.core.reach.amplifiers import AmplifierRules, AmplifierService
from bot.core.reach.tracking import TrackingService
from bot.core.timespec import parse_schedule
from bot.settings import Settings
from tests.core.reach.posts import posted_on
from tests.fakes.bluesky_server import APP_PASSWORD, HANDLE
from tests.fakes.mastodon_server import TOKEN, account
from tests.fakes.publisher import RecordingNotifier
from tests.fixtures.bluesky import fake_bluesky  # noqa: F401
from tests.fixtures.mastodon import fake_mastodon  # noqa: F401

HOUR = 3600
BSKY, MASTO = Network.BLUESKY, Network.MASTODON


@pytest.fixture
async def networks(fake_bluesky, fake_mastodon):  # noqa: F811
    settings = Settings(bluesky_handle=HANDLE, bluesky_app_password=APP_PASSWORD,
                        bluesky_pds_url=fake_bluesky.base_url, mastodon_base_url=fake_mastodon.base_url,
                        mastodon_access_token=TOKEN)
    bluesky, mastodon = bluesky_network.build_bluesky(settings), build_mastodon(settings)
    yield bluesky, mastodon
    await bluesky.client.close()
    close = getattr(mastodon.client, "close", None)
    if close is not None:
        await close()


def texts(notifier, set_id=None):
    return [e.text for e in notifier.events if isinstance(e, Announcement) and e.set_id == set_id]


async def test_tracking_and_amplifiers_on_bluesky_and_mastodon(engine, clock, tracking_store, usage_store,
                                                               networks, fake_bluesky, fake_mastodon):  # noqa: F811
    bluesky, mastodon = networks
    on_bluesky = await bluesky.publisher.publish("Wer zahlt?", key=PostKey(1, clock.now()), source_line=None)
    on_mastodon = await mastodon.publisher.publish("Wer zahlt?", key=PostKey(2, clock.now()), source_line=None)
    posts = await posted_on(engine, clock, {BSKY: on_bluesky.post_id, MASTO: on_mastodon.post_id}, followers=1000)
    notifier = RecordingNotifier()
    amplifiers = AmplifierService(SqlAmplifierStore(engine), {BSKY: bluesky.amplifiers, MASTO: mastodon.amplifiers},
                                  notifier, clock, usage=usage_store, read_budget_month=0,
                                  rules=AmplifierRules(parse_schedule("1h,6h"), notable_followers=10_000))
    tracking = TrackingService(tracking_store, {BSKY: bluesky.metrics, MASTO: mastodon.metrics}, notifier, clock,
                               usage=usage_store, schedule=parse_schedule("1h,6h,24h"), read_budget_month=0,
                               after_snapshot=amplifiers)

    fake_bluesky.set_counts(on_bluesky.post_id, reposts=2, likes=5, replies=1)
    fake_bluesky.add_reposter(on_bluesky.post_id, "anna.bsky.social", 20_000)
    fake_bluesky.add_reposter(on_bluesky.post_id, "bert.bsky.social", 400)
    fake_mastodon.statuses[on_mastodon.post_id].counts = {"reblogs": 1, "favourites": 3}
    fake_mastodon.reblogged_by[on_mastodon.post_id] = [account("77", "carla@social.example", 600)]
    clock.advance(HOUR)
    result = await tracking.run_due()  # the read budget is 0: Bluesky and Mastodon are read all the same

    assert result.taken == 2 and result.requests_by_network == {BSKY: 1, MASTO: 1}
    bluesky_text, mastodon_text = texts(notifier, posts[BSKY].set_id)
    assert bluesky_text.split("\n")[0] == ("Bluesky nach 1 h: 2 Reposts, 5 Likes, 1 Antwort, 0 Zitate · "
                                           "Reichweiten-Multiplikator 20,4×")
    assert mastodon_text.split("\n")[0] == ("Mastodon nach 1 h: 1 Repost, 3 Likes, 0 Antworten, 0 Zitate · "
                                            "Reichweiten-Multiplikator 0,6×")
    [spotted] = [e for e in notifier.events if isinstance(e, AmplifierSpotted)]
    assert (spotted.network, spotted.handle, spotted.followers) == (BSKY, "anna.bsky.social", 20_000)
    assert await usage_store.reads_in_month(clock.now()) == 0

    # Mastodon is down at the 6 h step, Bluesky goes on; then the Bluesky post is deleted
    fake_mastodon.fail("GET /api/v1/statuses/{id}", 503, "<html>Bad Gateway</html>")
    clock.advance(5 * HOUR)
    result = await tracking.run_due()
    assert result.taken == 1 and set(result.errors) == {MASTO}
    assert texts(notifier)[-1].startswith("⚠️ Die Zahlen konnten nicht von Mastodon abgefragt werden:")
    fake_bluesky.deleted.add(on_bluesky.post_id)
    clock.advance(18 * HOUR)
    result = await tracking.run_due()
    assert result.ended == 1 and result.taken == 1
    assert "Tracking beendet: Der Post ist auf Bluesky nicht mehr zu finden (gelöscht?). Die bisherigen Zahlen " \
           "bleiben gespeichert." in texts(notifier, posts[BSKY].set_id)
    assert texts(notifier, posts[BSKY].set_id)[-1].startswith("Mastodon nach 24 h: 1 Repost")
    assert await tracking.next_due() is None  # every step taken or ended; no X, so no daily follower read
