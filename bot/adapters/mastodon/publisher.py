"""The Mastodon publisher: posts with an Idempotency-Key and finds our own statuses again for reconciliation.

The key (from the post record) goes with every create, so a retry after an uncertain create (timeout, dropped
connection, 5xx) gets the status the instance already made instead of a second one; the instance keeps a key
for an hour. Older uncertain creates are reconciled by reading our account's latest statuses.
"""

from __future__ import annotations

import html
import logging
import re
import unicodedata
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from bot.adapters.mastodon.client import Account, MastodonClient
from bot.adapters.mastodon.errors import MastodonFailure
from bot.core.errors import PublishError
from bot.core.networks import Network
from bot.core.posting.ports import PostKey, PublishedPost

log = logging.getLogger(__name__)

LANGUAGE = "de"
RECENT_PAGE = 40  # statuses per page of the account's timeline (Mastodon's maximum)
RECENT_PAGES = 3  # how far back reconciliation reads before it says it cannot tell
_BREAK = re.compile(r"<br\s*/?>|</p>\s*<p[^>]*>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]*>")
_URL = re.compile(r"https?://\S+")
_MENTION = re.compile(r"(?<![\w@])@(\w+)@[\w.-]+\w")


def plain_text(content: str) -> str:
    """A status's HTML content as text: paragraphs and line breaks as whitespace, no tags, no entities."""
    return html.unescape(_TAG.sub("", _BREAK.sub("\n", content)))


def comparable(text: str) -> str:
    """What must match between our text and a status's: links may be shown shortened and remote mentions
    without their domain, so both are compared without; whitespace normalised."""
    text = unicodedata.normalize("NFC", text)
    text = _MENTION.sub(r"@\1", _URL.sub("<link>", text))
    return " ".join(text.split())


def _id(raw: Any) -> str:
    return str(raw.get("id") or "") if isinstance(raw, dict) else ""


class MastodonPublisher:
    """Every request of a post (also its reads) goes in the client's posting lane: never behind tracking reads."""

    network = Network.MASTODON
    simulated = False

    def __init__(self, client: MastodonClient) -> None:
        self._client = client

    @classmethod
    def from_settings(cls, settings: Any) -> MastodonPublisher:
        return cls(MastodonClient.from_settings(settings))

    @property
    def client(self) -> MastodonClient:
        return self._client

    async def publish(self, text: str, *, key: PostKey, source_line: str | None = None) -> PublishedPost:
        # The account first: a revoked token shows before anything is posted, and the follower count at
        # posting time is what the reach multiplier divides by.
        try:
            account = await self._client.me(lane="post")
        except MastodonFailure as exc:
            raise exc.before_posting() from None
        status = await self._create(text, key.idempotency_key)
        status_id = _id(status)
        if not status_id:
            raise PublishError("Mastodon hat den Post angenommen, aber keine ID geliefert. 🔁 prüft zuerst das Konto.",
                               detail=str(type(status)), maybe_posted=True)
        notice = None
        if source_line:
            notice = await self._reply_with_source(status_id, source_line, f"{key.idempotency_key}-source")
        return replace(self._published(account, status), notice=notice)

    async def _create(self, text: str, idempotency_key: str, in_reply_to_id: str | None = None) -> Any:
        return await self._client.call("status_post", text, in_reply_to_id=in_reply_to_id, lane="post",
                                       visibility=self._client.visibility, language=LANGUAGE,
                                       idempotency_key=idempotency_key)

    async def _reply_with_source(self, status_id: str, source_line: str, idempotency_key: str) -> str | None:
        """Post the source („Quelle: …“) under our status; returns what the team should know if that failed."""
        try:
            await self._create(source_line, idempotency_key, in_reply_to_id=status_id)
        except MastodonFailure as exc:  # the question is out; a missing source reply must not undo that
            log.warning("posting the source link as a reply to %s failed: %s", status_id, exc.detail)
            return f"Die Quelle konnte auf Mastodon nicht als Antwort gepostet werden: {exc.problem}"
        return None

    async def find_existing(self, text: str, *, key: PostKey, since: datetime) -> PublishedPost | None:
        """Our status with this text created after ``since``, from the account's latest statuses (no replies).

        The instance does not show which Idempotency-Key made a status, so the text decides; ``key`` is not
        needed. Raises when ``RECENT_PAGES`` pages all lie after ``since`` (it cannot tell)."""
        account = await self._client.me(lane="post")
        since = since if since.tzinfo else since.replace(tzinfo=UTC)
        wanted = comparable(text)
        page = await self._client.call("account_statuses", account.id, lane="post", exclude_replies=True,
                                       exclude_reblogs=True, limit=RECENT_PAGE)
        for read in range(1, RECENT_PAGES + 1):
            for status in page or []:
                created = status.get("created_at")
                if isinstance(created, datetime) and created < since:
                    return None  # newest first: everything further is older than the post could be
                if comparable(plain_text(str(status.get("content") or ""))) == wanted:
                    return self._published(account, status)
            if not page or getattr(page, "_pagination_next", None) is None:
                return None
            if read < RECENT_PAGES:
                page = await self._client.call("fetch_next", page, lane="post")
        raise PublishError(
            f"Auf Mastodon lässt sich nicht sicher prüfen, ob der Post schon existiert: die letzten "
            f"{RECENT_PAGES * RECENT_PAGE} Posts des Kontos sind alle neuer als die Freigabe. Bitte auf dem Konto "
            "nachsehen; 🔁 prüft erneut.", detail="reconciliation window exhausted", retryable=True,
            maybe_posted=True)

    @staticmethod
    def _published(account: Account, status: Any) -> PublishedPost:
        status_id = _id(status)
        url = str(status.get("url") or status.get("uri") or "") or None
        return PublishedPost(post_id=status_id, url=url, followers=account.followers)
