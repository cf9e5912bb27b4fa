"""Who reposted and who quoted a post, members of X lists, and our followers (X API v2 through tweepy).

Users X cannot show (deleted, protected, suspended) come as errors inside a 200 or not at all: they are
skipped with a note, never a crash. Each page is one request, counted and priced by what it returns.
"""

from __future__ import annotations

import re
from typing import Any

from bot.adapters.x.client import XClient, XError, XNotFound
from bot.core.reach.amplifiers import Amplifier, AmplifierRead, FollowerScan, Kind
from bot.core.reach.prices import Resource

USER_FIELDS = ["public_metrics", "verified", "verified_type", "description", "username", "name"]
PAGE_SIZE = 100  # retweeted_by, quote_tweets and list members: at most 100 per page
FOLLOWER_PAGE = 1000  # followers: at most 1 000 per page
MAX_LIST_PAGES = 10
_HANDLE = re.compile(r"^[A-Za-z0-9_]{1,15}$")
_ID = re.compile(r"^\d{1,25}$")


def _user(raw: Any, kind: Kind, *, quote_id: str | None = None, quote_text: str | None = None) -> Amplifier | None:
    if not isinstance(raw, dict):
        return None
    user_id, handle = str(raw.get("id", "")), str(raw.get("username", ""))
    if not _ID.match(user_id) or not _HANDLE.match(handle):
        return None
    followers = (raw.get("public_metrics") or {}).get("followers_count")
    verified = raw.get("verified_type")
    return Amplifier(user_id, handle, str(raw.get("name") or handle), followers if isinstance(followers, int) else 0,
                     verified if isinstance(verified, str) and verified != "none" else None, kind, quote_id,
                     quote_text)


def _error_notes(body: dict) -> list[str]:
    return [f"{error.get('title') or 'Fehler'}: {error.get('detail') or error.get('resource_id') or ''}"[:200]
            for error in body.get("errors") or [] if isinstance(error, dict)]


class XAmplifiers:
    """The `AmplifierSource` port on the X client's reading lane."""

    def __init__(self, client: XClient) -> None:
        self._client = client
        self._account_id: str | None = None

    async def _pages(self, method: str, resource: Resource, max_pages: int, *, gone_ok: bool = True,
                     **params: Any) -> list[dict]:
        """Up to ``max_pages`` pages; with ``gone_ok`` a 404 on the first page (the post or list is gone) is an
        answer without data, not a failure to retry."""
        bodies: list[dict] = []
        token: str | None = None
        for _ in range(max_pages):
            try:
                body = await self._client.call(method, resource=resource, pagination_token=token, **params)
            except XNotFound as exc:
                if bodies or not gone_ok:
                    raise exc.without_posting_hints() from None
                return [{"errors": [{"title": "Not Found Error", "detail": f"{params.get('id')} (HTTP 404)"}]}]
            except XError as exc:
                raise exc.without_posting_hints() from None
            bodies.append(body if isinstance(body, dict) else {})
            token = (bodies[-1].get("meta") or {}).get("next_token")
            if not token:
                break
        return bodies

    async def reposters(self, remote_id: str, *, max_pages: int) -> AmplifierRead:
        found: list[Amplifier] = []
        notes: list[str] = []
        for body in await self._pages("get_retweeters", "user", max_pages, id=remote_id, max_results=PAGE_SIZE,
                                      user_fields=USER_FIELDS):
            notes += _error_notes(body)
            for raw in body.get("data") or []:
                user = _user(raw, "repost")
                if user is None:
                    notes.append(f"unlesbarer Nutzer: {str(raw)[:80]}")
                else:
                    found.append(user)
        return AmplifierRead(found, notes)

    async def quoters(self, remote_id: str, *, max_pages: int) -> AmplifierRead:
        found: list[Amplifier] = []
        notes: list[str] = []
        for body in await self._pages("get_quote_tweets", "post", max_pages, id=remote_id, max_results=PAGE_SIZE,
                                      expansions=["author_id"], user_fields=USER_FIELDS):
            notes += _error_notes(body)
            users = {str(u.get("id")): u for u in (body.get("includes") or {}).get("users") or []
                     if isinstance(u, dict)}
            for post in body.get("data") or []:
                if not isinstance(post, dict) or not _ID.match(str(post.get("id", ""))):
                    notes.append(f"unlesbares Zitat: {str(post)[:80]}")
                    continue
                user = _user(users.get(str(post.get("author_id"))), "quote", quote_id=str(post["id"]),
                             quote_text=str(post.get("text") or ""))
                if user is None:
                    notes.append(f"Autor des Zitats {post['id']} nicht lesbar (gelöscht oder geschützt)")
                else:
                    found.append(user)
        return AmplifierRead(found, notes)

    async def list_members(self, list_id: str) -> list[tuple[str, str]]:
        members = []
        for body in await self._pages("get_list_members", "user", MAX_LIST_PAGES, id=list_id,
                                      max_results=PAGE_SIZE):
            for raw in body.get("data") or []:
                user = _user(raw, "repost")
                if user is not None:
                    members.append((user.user_id, user.handle))
        return members

    async def our_followers(self, *, max_count: int) -> FollowerScan:
        if self._account_id is None:
            try:
                self._account_id = (await self._client.me()).id
            except XError as exc:
                raise exc.without_posting_hints() from None
        pages = max(1, -(-max_count // FOLLOWER_PAGE))
        bodies = await self._pages("get_users_followers", "owned", pages, gone_ok=False, id=self._account_id,
                                   max_results=FOLLOWER_PAGE)
        ids = {str(raw["id"]) for body in bodies for raw in body.get("data") or []
               if isinstance(raw, dict) and _ID.match(str(raw.get("id", "")))}
        complete = not (bodies[-1].get("meta") or {}).get("next_token") if bodies else True
        return FollowerScan(ids, complete and len(ids) <= max_count)
