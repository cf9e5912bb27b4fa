"""Numbers of our statuses (GET /api/v1/statuses/:id, one per request) and the account's follower count."""

from __future__ import annotations

from typing import Any

from bot.adapters.mastodon.client import MastodonClient
from bot.adapters.mastodon.errors import MastodonFailure, MastodonGone
from bot.core.errors import SpitzfederError
from bot.core.reach.metrics import Metrics
from bot.core.reach.tracking import Lookup

BATCH_SIZE = 1  # Mastodon has no lookup of several statuses by id for numbers
GONE = "Der Post ist auf Mastodon nicht mehr zu finden (gelöscht?)."


def _count(raw: Any, name: str) -> int:
    value = raw.get(name)
    return value if isinstance(value, int) and value >= 0 else 0


def metrics_of(status: Any) -> Metrics:
    """Mastodon reports no impressions and no bookmarks; quotes only from 4.5 on (else 0)."""
    return Metrics(retweets=_count(status, "reblogs_count"), likes=_count(status, "favourites_count"),
                   replies=_count(status, "replies_count"), quotes=_count(status, "quotes_count"))


class MastodonMetrics:
    batch_size = BATCH_SIZE

    def __init__(self, client: MastodonClient) -> None:
        self._client = client

    async def lookup(self, remote_ids: list[str]) -> Lookup:
        found: dict[str, Metrics] = {}
        unavailable: dict[str, str] = {}
        followers: int | None = None
        for status_id in remote_ids:
            try:
                status = await self._client.call("status", status_id)
            except MastodonGone:
                unavailable[status_id] = GONE
                continue
            except MastodonFailure as exc:
                raise exc.without_posting_hints() from None  # said in a notice, not under a draft: no 🔁
            if not isinstance(status, dict) or str(status.get("id") or "") != status_id:
                raise SpitzfederError("Die Mastodon-Instanz liefert für den Post keine lesbaren Zahlen.",
                                      detail=f"status {status_id}: {type(status).__name__}")
            found[status_id] = metrics_of(status)
            account = status.get("account")
            if isinstance(account, dict) and isinstance(account.get("followers_count"), int):
                followers = account["followers_count"]
        return Lookup(found, unavailable, followers)

    async def followers(self) -> int:
        try:
            account = await self._client.me()
        except MastodonFailure as exc:
            raise exc.without_posting_hints() from None
        if account.followers is None:
            raise SpitzfederError("Die Mastodon-Instanz liefert keine Followerzahl für das Konto.",
                                  detail="followers_count missing")
        return account.followers
