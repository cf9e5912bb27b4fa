"""The X publisher: posts with OAuth 1.0a user context and finds our own posts again for reconciliation."""

from __future__ import annotations

import html
import logging
import re
import unicodedata
from dataclasses import replace
from datetime import UTC, datetime

from bot.adapters.x.client import Account, XClient, XError
from bot.core.errors import PublishError
from bot.core.networks import Network
from bot.core.posting.ports import PostKey, PublishedPost
from bot.core.reach.read_budget import UsageRecorder

log = logging.getLogger(__name__)

_URL = re.compile(r"https?://\S+")
RECENT_POSTS = 100  # how far back reconciliation looks on the account


def comparable(text: str) -> str:
    """X returns text HTML-escaped and with links shortened to t.co: compare without either."""
    text = unicodedata.normalize("NFC", html.unescape(text))
    return " ".join(_URL.sub("<link>", text).split())


def post_url(username: str, post_id: str) -> str:
    return f"https://x.com/{username or 'i'}/status/{post_id}"


class XPublisher:
    """Every request of a post (also its reads) goes in the X client's posting lane: never behind tracking reads.

    X knows no idempotency key: a post that may have reached X is found again by its text."""

    simulated = False
    network = Network.X

    def __init__(self, client: XClient) -> None:
        self._client = client

    @classmethod
    def from_settings(cls, settings, usage: UsageRecorder | None = None) -> XPublisher:
        return cls(XClient.from_settings(settings, usage=usage))

    @property
    def client(self) -> XClient:
        return self._client

    async def publish(self, text: str, *, key: PostKey | None = None, source_line: str | None = None) -> PublishedPost:
        # The account first: a key problem shows before anything is posted, and the follower count
        # at posting time is what the multiplier divides by.
        account = await self._client.me(lane="post")
        body = await self._client.call("create_tweet", kind="write", text=text)
        post_id = str((body.get("data") or {}).get("id") or "")
        if not post_id:
            raise PublishError("X hat den Post angenommen, aber keine ID geliefert. 🔁 prüft zuerst das Konto.",
                               detail=str(body)[:300], maybe_posted=True)
        notice = None
        if source_line:
            notice = await self._reply_with_source(post_id, source_line)
        return replace(self._published(account, post_id), notice=notice)

    async def _reply_with_source(self, post_id: str, source_line: str) -> str | None:
        """Post the source („Quelle: …") under our post; returns what the team should know if that failed."""
        try:
            await self._client.call("create_tweet", kind="write", text=source_line, in_reply_to_tweet_id=post_id)
        except PublishError as exc:  # the question is out; a missing source reply must not undo that
            log.warning("posting the source link as a reply to %s failed: %s", post_id, exc.detail)
            problem = exc.problem if isinstance(exc, XError) else exc.user_message
            return f"Die Quelle konnte nicht als Antwort gepostet werden: {problem}"
        return None

    async def find_existing(self, text: str, *, key: PostKey | None = None, since: datetime) -> PublishedPost | None:
        account = await self._client.me(lane="post")
        body = await self._client.call(
            "get_users_tweets", lane="post", id=account.id, max_results=RECENT_POSTS,
            start_time=since.astimezone(UTC), tweet_fields=["created_at"])
        wanted = comparable(text)
        for post in body.get("data") or []:
            if comparable(post.get("text", "")) == wanted:
                return self._published(account, str(post["id"]))
        return None

    @staticmethod
    def _published(account: Account, post_id: str) -> PublishedPost:
        return PublishedPost(post_id=post_id, url=post_url(account.username, post_id), followers=account.followers)
