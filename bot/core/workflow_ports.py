"""What the news workflow needs from a chat front end and from storage, and the records it works with."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Protocol

from bot.core.models import ConversationTurn, Draft, DraftSet, NewsItem


class SetState(str, enum.Enum):
    """A draft set's own state; approval, posting and cancelling live in its post."""

    OPEN = "open"
    REPLACED = "replaced"  # a newer set for the same news item took over
    DISCARDED = "discarded"


class MessageKind(str, enum.Enum):
    DRAFTS = "drafts"  # (part of) a draft set
    EDIT = "edit"  # one hand-edited draft
    ANNOUNCEMENT = "announcement"  # a posting event (❌ / 🔁 act on it)
    ERROR = "error"  # a drafting failure (🔁 retries)


class Pending(str, enum.Enum):
    """What 🔁 repeats after a drafting job failed."""

    DRAFT = "draft"
    REFINE = "refine"
    RENEW = "renew"


@dataclass
class Case:
    """One news item's way through a conversation: its thread (or DM), requester and current draft set."""

    id: int
    news_id: int
    news: NewsItem
    requester_id: int
    guild_id: int | None
    channel_id: int  # the thread, or the DM channel
    count: int
    current_set_id: int | None = None
    pending: Pending | None = None
    pending_instruction: str | None = None


@dataclass(frozen=True)
class DraftEntry:
    """A stored draft in its current version; ``number`` is the 1-based number users see."""

    id: int
    number: int
    text: str
    evidence: str
    evidence_found: bool
    weighted_length: int
    warnings: tuple[str, ...] = ()

    def as_draft(self) -> Draft:
        return Draft(self.text, self.evidence, self.weighted_length, None, self.evidence_found)


@dataclass
class SetRecord:
    id: int
    state: SetState
    drafts: list[DraftEntry]  # current versions, by number

    def draft(self, number: int) -> DraftEntry | None:
        return next((d for d in self.drafts if d.number == number), None)


@dataclass
class ShownMessage:
    message_id: int
    channel_id: int
    case_id: int
    kind: MessageKind
    set_id: int | None = None
    numbers: dict[int, int] = field(default_factory=dict)  # number shown -> draft id
    body: str = ""  # the drafts part of a DRAFTS message; its header (state) is rendered anew
    first: bool = False  # the DRAFTS message that carries the set's header


class Chat(Protocol):
    """The few things the workflow does in a chat (Discord, or an in-memory fake)."""

    def mention(self, user_id: int) -> str: ...

    async def send(self, channel_id: int, text: str, *, attachment: tuple[str, bytes] | None = None) -> int:
        """Post a message; returns its id."""

    async def edit(self, channel_id: int, message_id: int, text: str) -> None: ...

    async def add_reactions(self, channel_id: int, message_id: int, emojis: Sequence[str]) -> None: ...

    async def remove_reaction(self, channel_id: int, message_id: int, emoji: str, user_id: int) -> bool:
        """Remove someone's reaction; False when not allowed (e.g. in a DM)."""

    async def open_thread(self, channel_id: int, message_id: int, name: str) -> int:
        """Start a thread on a message; returns the thread's id."""

    def working(self, channel_id: int) -> AbstractAsyncContextManager[None]:
        """Show that the bot is busy (typing) while the block runs."""


class WorkflowStore(Protocol):
    async def create_case(self, news: NewsItem, *, origin: str, requester_id: int, guild_id: int | None,
                          channel_id: int, count: int) -> Case:
        """Store the news item and its case; the case starts with its first drafts pending."""

    async def case(self, case_id: int) -> Case | None: ...

    async def latest_case_in(self, channel_id: int) -> Case | None: ...

    async def interrupted_cases(self) -> list[Case]:
        """Cases with a drafting job pending whose failure was never shown: a stop cut the job short."""

    async def case_for_set(self, set_id: int) -> Case | None: ...

    async def voted_open_sets(self) -> list[int]:
        """Current, open sets with votes and no post: a stop may have come between the deciding vote and approval."""

    async def add_set(self, case: Case, draft_set: DraftSet) -> int:
        """Store a new set for the case's news item; it becomes current, an open predecessor is REPLACED."""

    async def set_record(self, set_id: int) -> SetRecord | None: ...

    async def change_set_state(self, set_id: int, from_state: SetState, to_state: SetState) -> bool: ...

    async def add_draft_version(self, set_id: int, number: int, draft: Draft) -> DraftEntry: ...

    async def draft_number(self, draft_id: int) -> int | None: ...

    async def set_pending(self, case_id: int, pending: Pending | None, instruction: str | None = None) -> None: ...

    async def remember_message(self, message: ShownMessage) -> None: ...

    async def message(self, message_id: int) -> ShownMessage | None: ...

    async def messages_of_set(self, set_id: int, kind: MessageKind) -> list[ShownMessage]: ...

    async def add_vote(self, set_id: int, draft_id: int, voter_id: int) -> bool:
        """True when the vote is new."""

    async def remove_vote(self, draft_id: int, voter_id: int) -> bool: ...

    async def voters(self, draft_id: int) -> list[int]: ...

    async def add_turn(self, case_id: int, turn: ConversationTurn) -> None: ...

    async def turns(self, case_id: int) -> list[ConversationTurn]: ...

    async def first_notice(self, case_id: int, user_id: int, kind: str) -> bool:
        """True the first time this notice goes to this user in this case."""


def drafts_of(record: SetRecord) -> Sequence[Draft]:
    return [entry.as_draft() for entry in record.drafts]
