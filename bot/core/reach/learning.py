"""Learning what works: per pattern and per tone, how our real posts of the last LEARNING_WINDOW_DAYS did.

One store query returns every post of the window with its pattern, tone, newest reading and notable
amplifiers; the figures are computed here. The same rows feed `/muster`, the plain questions about patterns
and tones, and the block „Was bei uns gut lief“ in the draft prompt (the `History` port of drafting).

Posts are per network, but a draft counts once, with one network's numbers, so that figures stay
comparable: its X post when that has a reading (X's impressions-based „Multiplikator“), otherwise its
Bluesky post, otherwise its Mastodon post (their „Reichweiten-Multiplikator“: the amplifiers' followers ÷
our followers, see metrics.py). `/muster` says when a figure is a Reichweiten-Multiplikator.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import median
from typing import Protocol

from bot.core.clock import Clock
from bot.core.drafting.history import HISTORY_PATTERNS, HISTORY_POSTS, HistoryBlock, PastPost
from bot.core.networks import ORDER, Network
from bot.core.reach.metrics import (
    REACH_MULTIPLIER,
    Metrics,
    counts_impressions,
    engagement_rate,
    format_multiplier,
    format_percent,
    network_multiplier,
)
from bot.core.text.numbers import de_float, de_int

MIN_POSTS = 3  # a pattern or tone with fewer tracked posts shows „zu wenig Daten“
MIN_HISTORY_POSTS = 5  # tracked posts in the window before the draft prompt learns from them
CACHE_FOR = timedelta(minutes=10)  # the draft prompt's block is read at most this often
MAX_ANSWER_CHARS = 2_000  # a Discord message


@dataclass(frozen=True, slots=True)
class LearningRecord:
    """A posted draft with what the figures need: pattern, tone (None: the default), newest reading."""

    post_id: int
    text: str
    url: str | None
    pattern: str
    tone: str | None
    simulated: bool
    followers_at_post: int | None
    latest: Metrics | None  # None: no reading taken yet
    notable: int = 0  # distinct notable accounts that carried it
    set_id: int | None = None  # the draft set: its posts on several networks count once
    network: Network = Network.X
    carried_followers: int = 0  # the amplifiers' combined followers (the Reichweiten-Multiplikator's)

    @property
    def multiplier(self) -> float | None:
        """X: impressions-based; Bluesky, Mastodon: the Reichweiten-Multiplikator."""
        if self.latest is None:
            return None
        return network_multiplier(self.network, self.latest, self.followers_at_post, self.carried_followers)

    @property
    def engagement(self) -> float | None:
        """Interactions per impression: X only (the others count no impressions)."""
        return engagement_rate(self.latest) if self.latest and counts_impressions(self.network) else None


class LearningStore(Protocol):
    async def learning_posts(self, since: datetime) -> list[LearningRecord]:
        """Every real post since ``since`` with its pattern, its case's tone, newest reading and notable count.

        The one place that decides whose posts count (later: only the account's own)."""


@dataclass(frozen=True, slots=True)
class GroupFigures:
    """One pattern or tone: its tracked posts, their medians and the best post by multiplier."""

    key: str
    posts: int
    median_multiplier: float | None
    median_engagement: float | None
    median_notable: float | None
    best: LearningRecord | None

    @property
    def enough(self) -> bool:
        return self.posts >= MIN_POSTS


@dataclass(frozen=True, slots=True)
class LearningTable:
    window_days: int
    tracked: int
    patterns: tuple[GroupFigures, ...]  # enough data first, by median multiplier
    tones: tuple[GroupFigures, ...]
    reach_based: int = 0  # drafts counted with Bluesky's or Mastodon's Reichweiten-Multiplikator (no X post)


def tracked_posts(records: Iterable[LearningRecord]) -> list[LearningRecord]:
    """Real posts with a reading, one per draft (X first, then Bluesky, then Mastodon): simulated posts never
    count."""
    chosen: dict[object, LearningRecord] = {}
    for record in records:
        if record.simulated or record.latest is None:
            continue
        key = record.set_id if record.set_id is not None else ("post", record.post_id)
        held = chosen.get(key)
        if held is None or ORDER.index(record.network) < ORDER.index(held.network):
            chosen[key] = record
    return sorted(chosen.values(), key=lambda r: r.post_id)


def _median(values: Iterable[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return median(present) if present else None


def _best(records: Sequence[LearningRecord]) -> LearningRecord | None:
    ranked = [r for r in records if r.multiplier is not None]
    return max(ranked, key=lambda r: (r.multiplier or 0.0, -r.post_id)) if ranked else None


def _figures(key: str, records: Sequence[LearningRecord]) -> GroupFigures:
    return GroupFigures(key, len(records), _median(r.multiplier for r in records),
                        _median(r.engagement for r in records), _median(float(r.notable) for r in records),
                        _best(records))


def _groups(records: Sequence[LearningRecord], key: Callable[[LearningRecord], str]) -> tuple[GroupFigures, ...]:
    grouped: dict[str, list[LearningRecord]] = {}
    for record in records:
        grouped.setdefault(key(record), []).append(record)
    figures = [_figures(name, members) for name, members in grouped.items()]
    return tuple(sorted(figures, key=lambda f: (not f.enough, f.median_multiplier is None,
                                               -(f.median_multiplier or 0.0), -f.posts, f.key)))


def learning_table(records: Iterable[LearningRecord], *, default_tone: str, window_days: int) -> LearningTable:
    tracked = tracked_posts(records)
    return LearningTable(window_days, len(tracked), _groups(tracked, lambda r: r.pattern),
                         _groups(tracked, lambda r: r.tone or default_tone),
                         sum(not counts_impressions(r.network) for r in tracked))


def history_block(records: Iterable[LearningRecord]) -> HistoryBlock | None:
    """The best past posts and patterns for the draft prompt; None with fewer than MIN_HISTORY_POSTS tracked."""
    tracked = tracked_posts(records)
    if len(tracked) < MIN_HISTORY_POSTS:
        return None
    ranked = sorted((r for r in tracked if r.multiplier is not None), key=lambda r: (-(r.multiplier or 0.0), r.post_id))
    if not ranked:
        return None
    posts = tuple(PastPost(r.text, r.pattern, r.multiplier or 0.0) for r in ranked[:HISTORY_POSTS])
    patterns = tuple((f.key, f.median_multiplier) for f in _groups(tracked, lambda r: r.pattern)
                     if f.enough and f.median_multiplier is not None)
    return HistoryBlock(posts, patterns[:HISTORY_PATTERNS])


# --- the German table ---

def _posts(count: int) -> str:
    return f"{de_int(count)} {'Post' if count == 1 else 'Posts'}"


def _number(value: float | None) -> str:
    """A median of counts: „2“, „1,5“, „–“."""
    if value is None:
        return "–"
    return de_int(int(value)) if value.is_integer() else de_float(value)


def _line(figures: GroupFigures, *, links: bool) -> str:
    if not figures.enough:
        return f"• {figures.key}: {_posts(figures.posts)} – zu wenig Daten"
    notable = _number(figures.median_notable)
    line = (f"• {figures.key}: {_posts(figures.posts)} · {format_multiplier(figures.median_multiplier)} · "
            f"{format_percent(figures.median_engagement)} · {notable} ⭐")
    best = figures.best
    if best is not None:
        line += f" · bester {format_multiplier(best.multiplier)}"
        if not counts_impressions(best.network):
            line += f" ({REACH_MULTIPLIER}, {best.network.label})"
        if links and best.url:
            line += f" <{best.url}>"
    return line


def render_table(table: LearningTable, *, max_chars: int = MAX_ANSWER_CHARS) -> str:
    """The table as one Discord message: when too long, links go first (from the last line up), then lines."""
    if not table.tracked:
        return (f"Noch keine Zahlen aus den letzten {de_int(table.window_days)} Tagen: kein getrackter echter Post, "
                "aus dem sich lernen ließe.")
    head = (f"Was bei uns läuft – {_posts(table.tracked)} der letzten {de_int(table.window_days)} Tage "
            f"(Median je Post: Multiplikator · Interaktionsrate · bemerkenswerte Weiterträger; "
            f"unter {MIN_POSTS} Posts: zu wenig Daten)")
    if table.reach_based:
        head += (f"\nJe Entwurf zählen die Zahlen von X; ohne X-Post die von Bluesky oder Mastodon mit dem "
                 f"{REACH_MULTIPLIER} (Follower der Weiterträger ÷ unsere Follower, {de_int(table.reach_based)} "
                 f"{'Post' if table.reach_based == 1 else 'Posts'}).")
    sections = [("**Nach Fragemuster**", table.patterns), ("**Nach Ton**", table.tones)]
    groups = [g for _, gs in sections for g in gs]
    linked = len(groups)  # the first ``linked`` lines keep their link
    while True:
        lines, index = [head], 0
        for title, members in sections:
            if members:
                lines += ["", title]
            for group in members:
                lines.append(_line(group, links=index < linked))
                index += 1
        text = "\n".join(lines)
        if len(text) <= max_chars or linked == 0:
            break
        linked -= 1
    if len(text) <= max_chars:
        return text
    cut = "\n… (gekürzt)"
    return text[:max_chars - len(cut)].rsplit("\n", 1)[0] + cut


def patterns_line(table: LearningTable, *, best: int = 3) -> str:
    """One line for the weekly summary: the patterns with enough posts, best median multiplier first."""
    enough = [g for g in table.patterns if g.enough][:best]
    if not enough:
        return (f"Fragemuster ({de_int(table.window_days)} Tage): noch zu wenig Daten "
                f"(je Muster ab {MIN_POSTS} Posts; `/muster` zeigt alle)")
    ranked = ", ".join(f"{g.key} {format_multiplier(g.median_multiplier)} ({_posts(g.posts)})" for g in enough)
    return f"Fragemuster mit dem höchsten Multiplikator ({de_int(table.window_days)} Tage, Median): {ranked}"


# --- the service: the table on demand, the block for drafting ---

class LearningService:
    """Pattern statistics for the reports and the `History` of drafting, from one store query each."""

    def __init__(self, store: LearningStore, clock: Clock, *, window_days: int = 90, default_tone: str,
                 learn: bool = True) -> None:
        self._store = store
        self._clock = clock
        self._window = timedelta(days=window_days)
        self._window_days = window_days
        self._default_tone = default_tone
        self._learn = learn
        self._cached: tuple[datetime, HistoryBlock | None] | None = None
        self._reading = asyncio.Lock()

    async def _records(self) -> list[LearningRecord]:
        return await self._store.learning_posts(self._clock.now() - self._window)

    def _table(self, records: list[LearningRecord]) -> LearningTable:
        return learning_table(records, default_tone=self._default_tone, window_days=self._window_days)

    async def table(self) -> LearningTable:
        return self._table(await self._records())

    async def patterns_line(self) -> str:
        records = await self._records()
        return await asyncio.to_thread(lambda: patterns_line(self._table(records)))

    async def answer(self, *, max_chars: int = MAX_ANSWER_CHARS) -> str:
        """The German table (`/muster`); thousands of posts are reckoned off the event loop."""
        records = await self._records()
        return await asyncio.to_thread(lambda: render_table(self._table(records), max_chars=max_chars))

    async def examples(self) -> HistoryBlock | None:
        """The draft prompt's block (the `History` port), read at most once per CACHE_FOR."""
        if not self._learn:
            return None
        async with self._reading:  # a burst of drafts at the cache's expiry reads the history once
            now = self._clock.now()
            if self._cached is not None and now - self._cached[0] < CACHE_FOR:
                return self._cached[1]
            records = await self._records()
            block = await asyncio.to_thread(history_block, records)  # a window of posts: off the event loop
            self._cached = (now, block)
            return block
