"""What drafting needs from outside: a language model, a news page source and a place to keep draft sets."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from bot.core.drafting.models import DraftSet, Usage


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
    async def complete_json(self, messages: list[ChatMessage], schema: dict[str, Any], *,
                            name: str = "drafts") -> LLMReply:
        """Ask for one JSON object following ``schema``, which is called ``name`` (e.g. "premise_check").

        Raises LLMConfigError (no retry helps) or LLMTransientError.
        """


class Article(Protocol):
    @property
    def url(self) -> str: ...

    @property
    def title(self) -> str | None: ...

    @property
    def text(self) -> str: ...

    @property
    def outlet(self) -> str | None:
        """The medium's name from the page's metadata, else its host name."""

    @property
    def published(self) -> date | None:
        """The article's date, when its metadata gives one."""


class ArticleSource(Protocol):
    async def fetch(self, url: str) -> Article:
        """Download ``url`` and return its article; raises NewsFetchError."""


class DraftStore(Protocol):
    async def save_draft_set(self, draft_set: DraftSet, *, origin: str) -> int:
        """Persist the news item and its drafts (outside a conversation, e.g. the CLI); returns the set's id."""
