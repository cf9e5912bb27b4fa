"""Numbers of our Bluesky posts (app.bsky.feed.getPosts, 25 URIs per request) and the account's followers."""

from __future__ import annotations

from bot.adapters.bluesky.client import BlueskyClient, BlueskyError
from bot.core.reach.metrics import Metrics
from bot.core.reach.tracking import Lookup

BATCH_SIZE = 25  # getPosts takes up to 25 URIs
GONE = "Der Post ist auf Bluesky nicht mehr zu finden (gelöscht?)."


class BlueskyMetrics:
    batch_size = BATCH_SIZE

    def __init__(self, client: BlueskyClient) -> None:
        self._client = client

    async def lookup(self, remote_ids: list[str]) -> Lookup:
        try:
            answer = await self._client.call("getPosts", lambda c: c.app.bsky.feed.get_posts({"uris": remote_ids}))
        except BlueskyError as exc:
            raise exc.without_posting_hints() from None  # said in a notice, not under a draft: no 🔁
        found = {post.uri: Metrics(retweets=post.repost_count or 0, likes=post.like_count or 0,
                                   replies=post.reply_count or 0, quotes=post.quote_count or 0)
                 for post in answer.posts if post.uri in remote_ids}
        return Lookup(found, {uri: GONE for uri in remote_ids if uri not in found})

    async def followers(self) -> int:
        try:
            account = await self._client.account()
        except BlueskyError as exc:
            raise exc.without_posting_hints() from None
        if account.followers is None:
            raise BlueskyError("Bluesky liefert keine Followerzahl für das Konto.", detail="followersCount missing")
        return account.followers
