"""The Bluesky publisher: one ``app.bsky.feed.post`` record per post record, under a record key derived from it.

Exactly once: the question's rkey is a TID of the approval time and the post record's id (bluesky/tid.py), so a
second create of the same post cannot make a second post — the PDS refuses it (the reference PDS with a 500).
After any failed or uncertain create the record is read back by its rkey (com.atproto.repo.getRecord): found
means posted. The source goes out as a reply record of its own, under its own derived rkey.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from functools import partial
from typing import Any

from bot.adapters.bluesky.client import Account, BlueskyClient, BlueskyError, BlueskyNotFound, now_iso
from bot.adapters.bluesky.facets import link_facet, links, mention_facet, mentions
from bot.adapters.bluesky.tid import post_rkey, reply_rkey
from bot.core.drafting.bluesky_length import BLUESKY_LIMIT, bluesky_length
from bot.core.errors import PublishError
from bot.core.networks import Network
from bot.core.posting.ports import PostKey, PublishedPost

log = logging.getLogger(__name__)

POST = "app.bsky.feed.post"


async def _resolve(handle: str, client: Any) -> Any:
    return await client.com.atproto.identity.resolve_handle({"handle": handle})


def post_url(handle: str, rkey: str) -> str:
    return f"https://bsky.app/profile/{handle}/post/{rkey}"


def rkey_of(uri: str) -> str:
    return uri.rsplit("/", 1)[-1]


class BlueskyPublisher:
    network = Network.BLUESKY
    simulated = False

    def __init__(self, client: BlueskyClient, *, allowed_handles: set[str] | None = None,
                 now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._client = client
        self._allowed = {handle.lower().removeprefix("@") for handle in allowed_handles or set()}
        self._now = now

    @property
    def client(self) -> BlueskyClient:
        return self._client

    async def publish(self, text: str, *, key: PostKey, source_line: str | None = None) -> PublishedPost:
        # The account first: a login problem shows before anything is posted, and the follower count at
        # posting time is what the multiplier divides by.
        if bluesky_length(text) > BLUESKY_LIMIT:
            raise BlueskyError(f"Der Text ist für Bluesky zu lang ({bluesky_length(text)} von höchstens "
                               f"{BLUESKY_LIMIT} Zeichen). Eine kürzere Fassung ist nötig; 🔁 hilft hier nicht.",
                               detail="longer than BLUESKY_LIMIT graphemes", retryable=False)
        try:
            account = await self._account()
            record = await self._record(text)
        except BlueskyError as exc:
            raise exc.before_posting() from None
        question = await self._create(post_rkey(key), record)
        notice = None
        if source_line:
            notice = await self._reply_with_source(question, key, source_line)
        return replace(self._published(account, question["uri"]), notice=notice)

    async def find_existing(self, text: str, *, key: PostKey, since: datetime) -> PublishedPost | None:
        found = await self._read(post_rkey(key))
        if found is None:
            return None
        return self._published(await self._account(), found["uri"])

    async def _account(self) -> Account:
        """Our profile with its follower count. The profile comes from the AppView, the post goes to the PDS: if
        only the AppView fails, the session's DID and handle do, the follower count stays unknown."""
        try:
            return await self._client.account()
        except BlueskyError as exc:
            try:
                did, handle = self._client.did, self._client.handle
            except RuntimeError:  # no session: the login itself failed
                raise exc from None
            log.warning("our Bluesky profile could not be read (%s): posting without the follower count",
                        exc.detail or exc.problem)
            return Account(did, handle, None)

    # --- records ---

    async def _record(self, text: str, reply: dict[str, Any] | None = None) -> dict[str, Any]:
        record: dict[str, Any] = {"$type": POST, "text": text, "createdAt": now_iso(self._now()), "langs": ["de"]}
        facets = [link_facet(span) for span in links(text)] + await self._mention_facets(text)
        if facets:
            record["facets"] = sorted(facets, key=lambda facet: facet["index"]["byteStart"])
        if reply:
            record["reply"] = reply
        return record

    async def _mention_facets(self, text: str) -> list[dict[str, Any]]:
        facets = []
        for span in mentions(text):
            if span.value not in self._allowed:
                continue  # plain text: nobody is notified of a handle that was not allowed
            try:
                answer = await self._client.call("resolveHandle", partial(_resolve, span.value))
            except BlueskyError as exc:
                log.info("allowed handle @%s does not resolve, no mention: %s", span.value, exc.detail)
                continue
            facets.append(mention_facet(span, answer.did))
        return facets

    async def _create(self, rkey: str, record: dict[str, Any]) -> dict[str, str]:
        """Create the record under ``rkey``; after a failure, the record read back decides. Returns uri and cid."""
        try:
            created = await self._client.call("createRecord", lambda c: c.com.atproto.repo.create_record(
                {"repo": self._client.did, "collection": POST, "rkey": rkey, "record": record}))
            return {"uri": created.uri, "cid": created.cid}
        except BlueskyError as failure:
            try:
                found = await self._read(rkey)
            except BlueskyError as unreadable:
                raise BlueskyError(
                    f"{failure.problem} Ob der Post trotzdem angekommen ist, lässt sich gerade nicht prüfen "
                    f"({unreadable.problem})", when_posting="Später mit 🔁 erneut versuchen; vorher wird geprüft, "
                    "ob der Post schon existiert.", detail=f"{failure.detail}; getRecord: {unreadable.detail}",
                    retryable=True, maybe_posted=True) from None
            if found is None:
                raise
            log.info("createRecord %s failed (%s), but the record exists: posted", rkey, failure.detail)
            return found

    async def _read(self, rkey: str) -> dict[str, str] | None:
        try:
            found = await self._client.call("getRecord", lambda c: c.com.atproto.repo.get_record(
                {"repo": self._client.did, "collection": POST, "rkey": rkey}))
        except BlueskyNotFound:
            return None
        return {"uri": found.uri, "cid": found.cid or ""}

    async def _reply_with_source(self, question: dict[str, str], key: PostKey, source_line: str) -> str | None:
        """Post the source („Quelle: …") under our post; returns what the team should know if that failed."""
        ref = {"uri": question["uri"], "cid": question["cid"]}
        try:
            await self._create(reply_rkey(key), await self._record(source_line, {"root": ref, "parent": ref}))
        except PublishError as exc:  # the question is out; a missing source reply must not undo that
            log.warning("posting the source as a reply to %s failed: %s", question["uri"], exc.detail)
            problem = exc.problem if isinstance(exc, BlueskyError) else exc.user_message
            return f"Die Quelle konnte auf Bluesky nicht als Antwort gepostet werden: {problem}"
        return None

    @staticmethod
    def _published(account: Account, uri: str) -> PublishedPost:
        return PublishedPost(post_id=uri, url=post_url(account.handle, rkey_of(uri)), followers=account.followers)
