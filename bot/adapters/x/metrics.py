"""public_metrics of our posts, up to 100 ids per request, and the account's follower count."""

from __future__ import annotations

from bot.adapters.x.client import XClient, XError, XNotFound
from bot.core.reach.metrics import Metrics
from bot.core.reach.tracking import Lookup

BATCH_SIZE = 100  # GET /2/tweets takes up to 100 ids

_REASONS = {  # X's error titles inside a 200 -> why the post has no numbers
    "not found error": "gelöscht oder nicht mehr auffindbar",
    "authorization error": "nicht mehr öffentlich sichtbar (geschützt oder gesperrt)",
    "field authorization error": "ohne freigegebene Zahlen (X meldet einen Field Authorization Error)",
}


def _metrics(public: dict) -> Metrics:
    return Metrics(
        retweets=public.get("retweet_count", 0), likes=public.get("like_count", 0),
        replies=public.get("reply_count", 0), quotes=public.get("quote_count", 0),
        bookmarks=public.get("bookmark_count", 0), impressions=public.get("impression_count", 0),
    )


def _reason(error: dict) -> str:
    title = str(error.get("title", "")).lower()
    return _REASONS.get(title) or f"bei X nicht abrufbar ({error.get('title') or error.get('detail') or 'unbekannt'})"


class XMetrics:
    batch_size = BATCH_SIZE

    def __init__(self, client: XClient) -> None:
        self._client = client

    async def lookup(self, remote_ids: list[str]) -> Lookup:
        try:
            body = await self._client.call(
                "get_tweets", ids=remote_ids, tweet_fields=["public_metrics"], expansions=["author_id"],
                user_fields=["public_metrics"])
        except XError as exc:
            if isinstance(exc, XNotFound) and len(remote_ids) == 1:  # the one post asked for is gone
                return Lookup({}, {remote_ids[0]: _REASONS["not found error"]})
            raise exc.without_posting_hints() from None  # said in a notice, not under a draft: no 🔁
        found = {str(post["id"]): _metrics(post["public_metrics"])
                 for post in body.get("data") or [] if post.get("public_metrics")}
        unavailable = {}
        for error in body.get("errors") or []:
            post_id = str(error.get("resource_id") or error.get("value") or "")
            if post_id in remote_ids and post_id not in found:
                unavailable[post_id] = _reason(error)
        users = (body.get("includes") or {}).get("users") or []
        followers = (users[0].get("public_metrics") or {}).get("followers_count") if users else None
        return Lookup(found, unavailable, followers)

    async def followers(self) -> int:
        try:
            account = await self._client.me()
        except XError as exc:
            raise exc.without_posting_hints() from None
        if account.followers is None:
            raise XError("X liefert keine Followerzahl für das Konto.", detail="public_metrics missing")
        return account.followers
