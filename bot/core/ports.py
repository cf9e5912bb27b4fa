"""The small interfaces the core needs from the outside world.

Adapters (OpenAI, SQL storage, the news fetcher, Discord, X) implement them;
tests use simple in-memory fakes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Protocol

from bot.core.models import DraftSet, Usage


@dataclass(frozen=True)
class ChatMessage:
    role: str  # "system" | "user" | "assistant"
    content: str


@dataclass(frozen=True)
class LLMReply:
    text: str
    usage: Usage
    finish_reason: str | None = "stop"


class LLMClient(Protocol):
    async def complete_json(self, messages: list[ChatMessage], schema: dict) -> LLMReply:
        """Ask for one JSON object following ``schema``.

        Raises LLMConfigError (no retry helps) or LLMTransientError.
        """


class Article(Protocol):
    url: str
    title: str | None
    text: str


class ArticleSource(Protocol):
    async def fetch(self, url: str) -> Article:
        """Download ``url`` and return its article; raises NewsFetchError."""


class DraftStore(Protocol):
    async def save_draft_set(self, draft_set: DraftSet, *, origin: str) -> int:
        """Persist the news item and its drafts; returns the draft set's id."""


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(timezone.utc)


@dataclass(frozen=True)
class PublishedPost:
    post_id: str
    url: str | None
    simulated: bool = False
    followers: int | None = None  # the account's follower count when it posted, if known
    notice: str | None = None  # something the team should know about an otherwise good post (German)


class Publisher(Protocol):
    simulated: bool  # True for the dry-run publisher: nothing reaches X

    async def publish(self, text: str, *, source_url: str | None = None) -> PublishedPost:
        """Post ``text``; raises PublishError."""

    async def find_existing(self, text: str, *, since: datetime) -> PublishedPost | None:
        """Our own post with exactly ``text`` created after ``since``, if any (for reconciliation)."""


class AuditLog(Protocol):
    async def record(self, action: str, *, actor: str | None, set_id: int | None = None,
                     post_id: int | None = None, detail: str | None = None) -> None:
        """Append who did what and when."""


class Notifier(Protocol):
    async def notify(self, event: object) -> None:
        """Tell the people concerned (the front end decides where and how)."""


@dataclass(frozen=True)
class Announcement:
    """A message for the team: into a draft set's thread, or (set_id None) into the summary channel."""

    text: str
    set_id: int | None = None
    attachment: tuple[str, bytes] | None = None  # (file name, content), e.g. a PNG chart
    must_arrive: bool = False  # the notifier raises if it cannot deliver, so the sender can try again


class Reports(Protocol):
    async def summary(self) -> Announcement:
        """The summary of the last 7 days, on demand."""

    async def statistics(self, question: str | None = None) -> str:
        """A German answer from the stored numbers (e.g. 'Welche Frage lief diese Woche am besten?')."""
