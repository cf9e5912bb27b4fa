"""Posts on any network in the database, as PostingService leaves them (one record per draft set and network)."""

from __future__ import annotations

from bot.core.networks import Network
from bot.core.posting.records import PostState
from tests.fakes.samples import GOOD_DRAFTS
from tests.fixtures.x import approved_on

URLS = {
    Network.X: "https://x.com/spitzfeder/status/{id}",
    Network.BLUESKY: "https://bsky.app/profile/spitzfeder.bsky.social/post/{id}",
    Network.MASTODON: "https://social.example/@spitzfeder/{id}",
}


def bluesky_uri(rkey: str) -> str:
    return f"at://did:plc:spitzfeder/app.bsky.feed.post/{rkey}"


async def posted_on(engine, clock, remote_ids: dict[Network, str], *, followers: int | None = 500,
                    text: str = GOOD_DRAFTS[0][0]):
    """One approved draft posted to each network of ``remote_ids`` at the clock's time; the posts by network."""
    store, scheduled = await approved_on(engine, clock, list(remote_ids), text)
    now = clock.now()
    posts = {}
    for post in scheduled:
        remote_id = remote_ids[post.network]
        key = remote_id.rsplit("/", 1)[-1]
        posts[post.network] = await store.transition(
            post.id, {PostState.SCHEDULED}, PostState.POSTED, posted_at=now, remote_id=remote_id, simulated=False,
            url=URLS[post.network].format(id=key), followers_at_post=followers)
    return posts
