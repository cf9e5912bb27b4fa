"""The records the conversation workflow works with: cases, stored draft sets, shown messages."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from bot.core.drafting.lengths import NetworkLength, too_long_for
from bot.core.drafting.models import DEFAULT_PATTERN, Draft, NewsItem
from bot.core.errors import MissingRecord
from bot.core.networks import Network


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
    SHOW = "show"  # the set is stored, but showing it failed


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
    tone: str | None = None  # the tone asked for (sachlich, zugespitzt, ironisch, konstruktiv); None: the default


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
    premise: str = ""
    pattern: str = DEFAULT_PATTERN
    needs_source_check: bool = False  # see Draft.needs_source_check
    lengths: tuple[NetworkLength, ...] = ()  # its length on each network active when it was checked

    @property
    def too_long_for(self) -> tuple[Network, ...]:
        return too_long_for(self.lengths)

    def as_draft(self) -> Draft:
        return Draft(self.text, self.evidence, self.weighted_length, None, self.evidence_found,
                     premise=self.premise, pattern=self.pattern, lengths=self.lengths)


@dataclass
class SetRecord:
    id: int
    state: SetState
    drafts: list[DraftEntry]  # current versions, by number
    dropped: tuple[str, ...] = ()  # why each draft that failed the checks was dropped (see DraftSet.dropped_reasons)

    def draft(self, number: int) -> DraftEntry | None:
        return next((d for d in self.drafts if d.number == number), None)

    def entry(self, number: int) -> DraftEntry:
        """A draft the set surely has (its number came from the set itself)."""
        found = self.draft(number)
        if found is None:
            raise MissingRecord(f"draft {number} of set {self.id}")
        return found


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


@dataclass(frozen=True)
class Plan:
    """When a draft set's approved draft is to go out (⏰ or `/planen`), kept per set."""

    set_id: int
    requested_by: int  # the approver who asked for (or last set) the plan
    requested_at: datetime
    asking: bool = False  # ⏰ asked for a time: the next message of an approver in the thread gives it
    planned_at: datetime | None = None  # aware UTC; None while no time was given yet
    said: str = ""  # the phrase the time came from („morgen 8:00")
    best_time: bool = False  # „zur besten Zeit"


def drafts_of(record: SetRecord) -> Sequence[Draft]:
    return [entry.as_draft() for entry in record.drafts]
