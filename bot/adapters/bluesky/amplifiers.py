"""Who reposted and who quoted a Bluesky post, with their follower counts, and our own followers.

Reposters come from app.bsky.feed.getRepostedBy, quoters from app.bsky.feed.getQuotes (both paged by cursor,
100 per page); neither carries follower counts, so the accounts' profiles are read through
app.bsky.actor.getProfiles, 25 per request. Lists are an X feature: ``list_members`` is always empty.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

from bot.adapters.bluesky.client import BlueskyClient, BlueskyError
from bot.core.reach.amplifiers import Amplifier, AmplifierRead, FollowerScan, Kind

PAGE_SIZE = 100
PROFILES_PER_CALL = 25


class BlueskyAmplifiers:
    """The `AmplifierSource` port for Bluesky."""

    def __init__(self, client: BlueskyClient) -> None:
        self._client = client

    async def _pages(self, what: str, fetch: Callable[..., Awaitable[Any]],
                     max_pages: int) -> list[Any]:
        pages: list[Any] = []
        cursor: str | None = None
        for _ in range(max(1, max_pages)):
            try:
                page = await self._client.call(what, partial(fetch, after=cursor))
            except BlueskyError as exc:
                raise exc.without_posting_hints() from None
            pages.append(page)
            cursor = page.cursor
            if not cursor:
                break
        return pages

    async def _followers(self, dids: list[str]) -> dict[str, int]:
        counts: dict[str, int] = {}
        unique = list(dict.fromkeys(dids))
        for start in range(0, len(unique), PROFILES_PER_CALL):
            batch = unique[start:start + PROFILES_PER_CALL]
            try:
                answer = await self._client.call("getProfiles", partial(_profiles, batch))
            except BlueskyError as exc:
                raise exc.without_posting_hints() from None
            counts.update({profile.did: profile.followers_count or 0 for profile in answer.profiles})
        return counts

    async def _read(self, people: list[tuple[Any, Kind, str | None, str | None]]) -> AmplifierRead:
        """Amplifiers from (profile, kind, quote URI, quote text), with follower counts; unknown profiles noted."""
        counts = await self._followers([profile.did for profile, *_ in people])
        found, notes = [], []
        for profile, kind, quote_id, quote_text in people:
            if profile.did not in counts:
                notes.append(f"Profil {profile.handle} nicht lesbar (gelöscht oder gesperrt)")
                continue
            found.append(Amplifier(profile.did, profile.handle, profile.display_name or profile.handle,
                                   counts[profile.did], None, kind, quote_id, quote_text))
        return AmplifierRead(found, notes)

    async def reposters(self, remote_id: str, *, max_pages: int) -> AmplifierRead:
        pages = await self._pages("getRepostedBy", lambda c, after: c.app.bsky.feed.get_reposted_by(
            {"uri": remote_id, "limit": PAGE_SIZE, "cursor": after}), max_pages)
        return await self._read([(profile, "repost", None, None) for page in pages for profile in page.reposted_by])

    async def quoters(self, remote_id: str, *, max_pages: int) -> AmplifierRead:
        pages = await self._pages("getQuotes", lambda c, after: c.app.bsky.feed.get_quotes(
            {"uri": remote_id, "limit": PAGE_SIZE, "cursor": after}), max_pages)
        return await self._read([(post.author, "quote", post.uri, _text(post.record))
                                 for page in pages for post in page.posts])

    async def list_members(self, list_id: str) -> list[tuple[str, str]]:
        return []

    async def our_followers(self, *, max_count: int) -> FollowerScan:
        pages = await self._pages("getFollowers", lambda c, after: c.app.bsky.graph.get_followers(
            {"actor": self._client.did, "limit": PAGE_SIZE, "cursor": after}), -(-max_count // PAGE_SIZE))
        dids = {profile.did for page in pages for profile in page.followers}
        return FollowerScan(dids, not pages[-1].cursor and len(dids) <= max_count)


async def _profiles(actors: list[str], client: Any) -> Any:
    return await client.app.bsky.actor.get_profiles({"actors": actors})


def _text(record: Any) -> str:
    text = record.get("text") if isinstance(record, dict) else getattr(record, "text", "")
    return str(text or "")
