"""Who reblogged a status (with their follower counts) and who follows us, paged by Mastodon's Link headers.

Handles are always ``name@instance``: Mastodon names accounts of our own instance just ``name``, so those get the
instance's domain (the host of MASTODON_BASE_URL), as the watchlist writes them.

Mastodon has no list of quotes of a status and no lists like X's watchlist lists: those reads answer empty.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from bot.adapters.mastodon.client import MastodonClient
from bot.adapters.mastodon.errors import MastodonFailure, MastodonGone
from bot.core.reach.amplifiers import Amplifier, AmplifierRead, FollowerScan

PAGE_SIZE = 80  # reblogged_by and followers: at most 80 per page
_ID = re.compile(r"^[A-Za-z0-9]{1,40}$")
_ACCT = re.compile(r"^[\w.-]{1,64}(@[\w.-]{1,253})?$")


def home_domain(host: str) -> str:
    """The instance's domain from the client's host (``Norden.social:443`` -> ``norden.social``)."""
    return (urlsplit(f"//{host}").hostname or host).lower()


def full_handle(acct: str, home: str) -> str:
    """``name@instance``: local accounts (``name``) are on ours."""
    return acct if "@" in acct else f"{acct}@{home}"


def _amplifier(raw: Any, home: str) -> Amplifier | None:
    if not isinstance(raw, dict):
        return None
    user_id, acct = str(raw.get("id") or ""), str(raw.get("acct") or "")
    if not _ID.match(user_id) or not _ACCT.match(acct):
        return None
    followers = raw.get("followers_count")
    handle = full_handle(acct, home)
    return Amplifier(user_id, handle, str(raw.get("display_name") or raw.get("username") or acct),
                     followers if isinstance(followers, int) and followers >= 0 else 0, None, "repost")


class MastodonAmplifiers:
    """The `AmplifierSource` port on the client's reading lane."""

    def __init__(self, client: MastodonClient, *, home: str | None = None) -> None:
        """``home``: our instance's domain (default: the host of the client's base URL)."""
        self._client = client
        self.home = home_domain(home or client.host)

    async def _pages(self, endpoint: str, max_pages: int) -> tuple[list[Any], bool]:
        """Up to ``max_pages`` pages of ``endpoint``, ``PAGE_SIZE`` each; and whether that was all of it.

        The first page is asked for through Mastodon.py's paging info, which takes a page size (its
        ``status_reblogged_by`` does not)."""
        page: Any = {"_pagination_method": "GET", "_pagination_endpoint": endpoint, "limit": PAGE_SIZE}
        items: list[Any] = []
        for _ in range(max(1, max_pages)):
            try:
                page = await self._client.call("fetch_next", page)
            except MastodonFailure as exc:
                raise exc.without_posting_hints() from None
            items += list(page or [])
            if not page or getattr(page, "_pagination_next", None) is None:
                return items, True
        return items, False

    async def reposters(self, remote_id: str, *, max_pages: int) -> AmplifierRead:
        if not _ID.match(remote_id):
            return AmplifierRead([], [f"keine Mastodon-Post-ID: {remote_id[:40]}"])
        try:
            accounts, _ = await self._pages(f"/api/v1/statuses/{remote_id}/reblogged_by", max_pages)
        except MastodonGone:
            return AmplifierRead([], ["Der Post ist auf Mastodon nicht mehr zu finden (gelöscht?)."])
        found: list[Amplifier] = []
        notes: list[str] = []
        for raw in accounts:
            amplifier = _amplifier(raw, self.home)
            if amplifier is None:
                notes.append(f"unlesbares Konto: {str(raw)[:80]}")
            else:
                found.append(amplifier)
        return AmplifierRead(found, notes)

    async def quoters(self, remote_id: str, *, max_pages: int) -> AmplifierRead:
        return AmplifierRead([])  # Mastodon has no endpoint listing the quotes of a status

    async def list_members(self, list_id: str) -> list[tuple[str, str]]:
        return []  # watchlist lists are an X feature

    async def our_followers(self, *, max_count: int) -> FollowerScan:
        try:
            account_id = await self._client.account_id()
        except MastodonFailure as exc:
            raise exc.without_posting_hints() from None
        pages = max(1, -(-max_count // PAGE_SIZE))
        accounts, complete = await self._pages(f"/api/v1/accounts/{account_id}/followers", pages)
        ids = {str(raw.get("id")) for raw in accounts if isinstance(raw, dict) and _ID.match(str(raw.get("id", "")))}
        return FollowerScan(ids, complete and len(ids) <= max_count)
