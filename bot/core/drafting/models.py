"""Domain types: a news item, its drafts and what the checks found."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date

from bot.core.drafting.lengths import NetworkLength, too_long_for
from bot.core.networks import Network


class Severity(enum.Enum):
    WARNING = "warning"  # shown beside the draft
    FATAL = "fatal"  # the draft is dropped unless the repair round fixes it


class ProblemKind(enum.Enum):
    EMPTY = "empty"
    TOO_LONG = "too_long"
    TOO_LONG_FOR_SOME = "too_long_for_some"  # too long for some active networks, fits the others
    NOT_A_QUESTION = "not_a_question"
    NOT_GERMAN = "not_german"
    NEAR_DUPLICATE = "near_duplicate"
    FOREIGN_LINK = "foreign_link"
    EVIDENCE_MISSING = "evidence_missing"
    CONTAINS_URL = "contains_url"
    CHAT_MARKUP = "chat_markup"
    INVALID_CHARACTER = "invalid_character"
    PREMISE_UNSUPPORTED = "premise_unsupported"  # the premise check said „nein"
    PREMISE_PARTIAL = "premise_partial"  # the premise check said „teilweise"
    PREMISE_UNCHECKED = "premise_unchecked"  # the premise check could not run
    SMEAR = "smear"  # a word of the fairness lexicon that the evidence does not quote
    QUOTED_SMEAR = "quoted_smear"  # such a word, but quoted from the news
    TOO_MANY_HASHTAGS = "too_many_hashtags"


# Problems that make a draft approvable only after an approver has confirmed its source (✅).
SOURCE_CHECK_KINDS = frozenset({
    ProblemKind.EVIDENCE_MISSING, ProblemKind.PREMISE_UNSUPPORTED, ProblemKind.PREMISE_PARTIAL,
    ProblemKind.PREMISE_UNCHECKED,
})

DEFAULT_PATTERN = "andere"


@dataclass(frozen=True)
class Problem:
    kind: ProblemKind
    severity: Severity
    label: str  # short German label for the user, e.g. "Prämisse nicht belegt"
    reason: str  # German explanation for the model's repair round

    @property
    def fatal(self) -> bool:
        return self.severity is Severity.FATAL


@dataclass(frozen=True)
class NewsItem:
    text: str
    url: str | None = None
    title: str | None = None
    language: str | None = None
    outlet: str | None = None  # the medium („tagesschau.de"), from the article's metadata or its host
    published: date | None = None  # the article's date, when its metadata gives one

    @property
    def headline(self) -> str:
        """A one-line name for the item: its title, else its first line."""
        if self.title and self.title.strip():
            return " ".join(self.title.split())
        first_line = next((line for line in self.text.splitlines() if line.strip()), "")
        return " ".join(first_line.split()) or (self.url or "Meldung")


@dataclass(frozen=True)
class Draft:
    text: str
    evidence: str
    weighted_length: int
    language: str | None
    evidence_found: bool
    problems: tuple[Problem, ...] = ()
    premise: str = ""  # the question's factual assumption, in one German sentence (from the model)
    pattern: str = DEFAULT_PATTERN  # the kind of question, a key of prompts/patterns.txt
    lengths: tuple[NetworkLength, ...] = ()  # its length on each active network (empty: X weighted alone)

    @property
    def too_long_for(self) -> tuple[Network, ...]:
        """The active networks the draft is too long for (it goes to the others)."""
        return too_long_for(self.lengths)

    @property
    def warnings(self) -> list[str]:
        return [problem.label for problem in self.problems]

    @property
    def needs_source_check(self) -> bool:
        """Approvable only after an approver confirmed the source: the premise is not (surely) backed."""
        return any(problem.kind in SOURCE_CHECK_KINDS for problem in self.problems)

    @property
    def usable(self) -> bool:
        return not any(problem.fatal for problem in self.problems)


@dataclass
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def add(self, other: Usage) -> None:
        self.prompt_tokens += other.prompt_tokens
        self.completion_tokens += other.completion_tokens

    def as_dict(self) -> dict[str, int]:
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": self.total_tokens,
        }


@dataclass
class DraftSet:
    news: NewsItem
    drafts: list[Draft]
    llm_calls: int = 0
    usage: Usage = field(default_factory=Usage)
    dropped: list[Draft] = field(default_factory=list)  # failed even after repair
    instruction: str | None = None  # the refinement request that produced this set

    @property
    def dropped_reasons(self) -> list[str]:
        """Why each dropped draft was dropped: its fatal problems' labels, one entry per draft."""
        return [", ".join(p.label for p in draft.problems if p.fatal) for draft in self.dropped]


@dataclass(frozen=True)
class ConversationTurn:
    """One exchange in a draft thread: what the user asked for."""

    author: str
    text: str
