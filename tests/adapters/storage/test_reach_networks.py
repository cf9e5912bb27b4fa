"""The reach stores across networks: the network carried through, the amplifiers' followers counted once per
account, posts found by a link of any network, due times per network, X's follower count only from X."""

from datetime import timedelta

from bot.adapters.storage.amplifiers import SqlAmplifierStore
from bot.adapters.storage.learning import SqlLearningStore
from bot.adapters.storage.summaries import SqlSummaryStore
from bot.core.networks import Network
from bot.core.reach.amplifiers import Amplifier, StoredAmplifier
from bot.core.reach.listing import RemoteRef, amplifier_listing
from bot.core.timespec import parse_schedule
from tests.core.reach.posts import bluesky_uri, posted_on

X, BSKY, MASTO = Network.X, Network.BLUESKY, Network.MASTODON


def carried(user_id: str, followers: int, at, kind="repost", notable=False) -> StoredAmplifier:
    return StoredAmplifier(Amplifier(user_id, f"u{user_id}", "U", followers, None, kind), at, notable, None, None)


async def test_the_network_and_the_carried_followers_reach_every_store(engine, clock, tracking_store):
    posts = await posted_on(engine, clock, {X: "1", BSKY: bluesky_uri("3kaaa"), MASTO: "77"})
    book = SqlAmplifierStore(engine)
    now = clock.now()
    await book.add_amplifiers(posts[BSKY].id, [carried("a", 1000, now, notable=True),
                                               carried("a", 1000, now, "quote"), carried("b", 300, now)])
    assert await tracking_store.carried_followers(posts[BSKY].id) == 1300  # „a“ reposted and quoted: counted once
    assert await tracking_store.carried_followers(posts[X].id) == 0
    untracked = await tracking_store.untracked_posts(clock.now() - timedelta(days=1))
    assert [(p.network, p.remote_id) for p in untracked] == [(X, "1"), (BSKY, bluesky_uri("3kaaa")), (MASTO, "77")]

    records = {r.network: r for r in await SqlSummaryStore(engine).posts_since(clock.now() - timedelta(days=1),
                                                                                baseline_at=clock.now())}
    assert records[BSKY].carried_followers == 1300 and records[BSKY].notable == 1 and records[MASTO].network is MASTO
    [sighting] = await SqlSummaryStore(engine).notable_since(clock.now() - timedelta(days=1))
    assert sighting.network is BSKY
    [top, *_] = await SqlSummaryStore(engine).top_amplifiers_since(clock.now() - timedelta(days=1), 5)
    assert (top.handle, top.network) == ("ua", BSKY)
    learning = {r.network: r for r in await SqlLearningStore(engine).learning_posts(clock.now() - timedelta(days=1))}
    assert learning[BSKY].carried_followers == 1300 and learning[BSKY].set_id == posts[X].set_id


async def test_due_times_per_network_and_x_followers_only(engine, clock, tracking_store):
    posts = await posted_on(engine, clock, {BSKY: bluesky_uri("3kaaa")})
    assert await tracking_store.latest_post_at() is None  # the daily follower count is X's
    [step] = parse_schedule("1h")
    await tracking_store.add_snapshots(posts[BSKY].id, [(step, clock.now() + timedelta(hours=1))])
    assert await tracking_store.next_snapshot_due(BSKY) == clock.now() + timedelta(hours=1)
    assert await tracking_store.next_snapshot_due(X) is None
    assert await tracking_store.next_snapshot_due() == clock.now() + timedelta(hours=1)


async def test_a_post_is_found_by_a_link_of_its_network(engine, clock):
    posts = await posted_on(engine, clock, {X: "1900", BSKY: bluesky_uri("3kaaa"), MASTO: "1900"})
    book = SqlAmplifierStore(engine)
    found = await book.find_post(remote=RemoteRef(BSKY, "3kaaa"))
    assert found is not None and found[0].post_id == posts[BSKY].id and found[2].endswith("/post/3kaaa")
    assert (await book.find_post(remote=RemoteRef(MASTO, "1900")))[0].post_id == posts[MASTO].id
    assert (await book.find_post(remote=RemoteRef(X, "1900")))[0].post_id == posts[X].id
    assert await book.find_post(remote=RemoteRef(BSKY, "3k%")) is None  # no wildcards from the user
    text = await amplifier_listing(book, "https://social.example/@spitzfeder/1900")
    assert text.startswith(f"Weiterträger von Post {posts[MASTO].id} (") and ") auf Mastodon <https://social" in text
    assert await amplifier_listing(book, "https://bsky.app/profile/x.bsky.social/post/nichtda") == \
        "Kein Post auf Bluesky zu „<https://bsky.app/profile/x.bsky.social/post/nichtda>“ gefunden."
