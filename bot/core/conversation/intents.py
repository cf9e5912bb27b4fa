"""Reading what a user writes to the bot: a news item, a question about the numbers, a wish, a hand edit."""

from __future__ import annotations

import enum
import re
from typing import NamedTuple

from bot.core.drafting.intake import split_url
from bot.core.drafting.limits import MIN_NEWS_CHARS

NEWS_IN_DM_CHARS = 200  # in a DM with a running case, shorter texts are wishes, longer ones new news items
QUESTION_CHARS = 200  # a short text ending in '?' is a question to the bot, not a news item

_HAND_EDIT = re.compile(r"^\s*(\d)\s*[:：]\s*(\S.*)$", re.DOTALL)
# '… | Beleg: <quote>': the evidence for a hand edit, a quote from the news (the last such part counts).
_EVIDENCE = re.compile(r"\s*[|｜]\s*Beleg\s*[:：]\s*", re.IGNORECASE)
_STATS_WORDS = re.compile(
    r"\b(statistik\w*|zahlen|lief|läuft|laufen|reichweite|impressions?|aufrufe|likes?|klicks?|"
    r"am besten|beste\w*|erfolgreich\w*|zusammenfassung|performance|follower\w*|muster\w*)\b",
    re.IGNORECASE,
)


class Intent(enum.Enum):
    NEWS = "news"
    STATS = "stats"
    HELP = "help"
    REFINE = "refine"
    HAND_EDIT = "hand_edit"


class HandEdit(NamedTuple):
    number: int
    text: str
    evidence: str = ""  # the quote from the news the new text rests on; '' when none was given


def hand_edit(text: str) -> HandEdit | None:
    """'2: neuer Text' -> (2, 'neuer Text', ''); '2: neuer Text | Beleg: „Zitat“' -> (2, 'neuer Text', 'Zitat')."""
    match = _HAND_EDIT.match(text)
    if not match:
        return None
    body, evidence = match.group(2), ""
    parts = _EVIDENCE.split(body)
    if len(parts) > 1:
        body, evidence = " | Beleg: ".join(parts[:-1]), parts[-1].strip()
    return HandEdit(int(match.group(1)), body.strip(), evidence)


def is_stats_question(text: str) -> bool:
    text = text.strip()
    return len(text) <= QUESTION_CHARS and bool(_STATS_WORDS.search(text)) and (
        text.endswith("?") or text.lower().startswith(("statistik", "zahlen", "zusammenfassung"))
    )


def outside_case(text: str) -> Intent:
    """A mention or DM that does not continue a draft thread."""
    rest, url = split_url(text)
    if url:
        return Intent.NEWS
    if is_stats_question(rest):
        return Intent.STATS
    if len(rest) < MIN_NEWS_CHARS or (rest.endswith("?") and len(rest) <= QUESTION_CHARS):
        return Intent.HELP
    return Intent.NEWS


def in_case(text: str) -> Intent:
    """A message in a draft thread: every message is a wish, unless it is a hand edit."""
    return Intent.HAND_EDIT if hand_edit(text) else Intent.REFINE


def in_dm(text: str, *, has_case: bool) -> Intent:
    """A DM: new news items (a URL or a long text), else it continues the latest case."""
    if not has_case:
        return outside_case(text)
    rest, url = split_url(text)
    if url or len(rest) >= NEWS_IN_DM_CHARS:
        return Intent.NEWS
    if is_stats_question(rest):
        return Intent.STATS
    return in_case(text)
