"""`Reports` for the front ends: the summary on demand and German answers to questions about the numbers.

Questions are matched by keywords, never sent to a model: the answer comes from the
stored numbers only ("Welche Frage lief diese Woche am besten?"). Posts are per network: every answer
names the network of a post, multipliers are compared within a network only (X's impressions-based
„Multiplikator“, Bluesky's and Mastodon's „Reichweiten-Multiplikator“), totals are per network and overall.
"""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta
from typing import Protocol

from bot.core.networks import Network, labels
from bot.core.notices import Announcement
from bot.core.reach.learning import LearningService
from bot.core.reach.listing import AmplifierBook, amplifier_listing
from bot.core.reach.metrics import (
    counts_impressions,
    describe,
    engagement_rate,
    format_multiplier,
    format_percent,
    multiplier_name,
)
from bot.core.reach.summary import PostRecord, Report, SummaryService, latest_numbers, quote, stamp
from bot.core.text.numbers import de_int


class Reports(Protocol):
    async def summary(self) -> Announcement:
        """The summary of the last 7 days, on demand."""

    async def statistics(self, question: str | None = None) -> str:
        """A German answer from the stored numbers (e.g. 'Welche Frage lief diese Woche am besten?')."""

    async def amplifiers(self, reference: str | None = None) -> str:
        """Who carried a post (its number or link on X, Bluesky or Mastodon; empty: the newest), notable first."""

    async def patterns(self) -> str:
        """Per pattern and tone: how our posts did (`/muster`, „Welche Art Frage läuft bei uns am besten?“)."""


_WORST = ("schlecht", "schwäch", "wenigsten", "flop")
_REACH = ("multiplikator", "reichweite", "follower")
_BEST = ("best", "lief", "erfolgreich", "top", "meisten", "gut")
# „Welche Art Frage läuft …?“, „Welcher Ton kommt am besten an?“: the pattern table answers.
_PATTERN_QUESTION = re.compile(r"\b(muster\w*|art\s+(von\s+)?frage\w*|fragen?art\w*|fragetyp\w*|ton|tonfall|töne)\b",
                               re.IGNORECASE)


def is_pattern_question(question: str) -> bool:
    return bool(_PATTERN_QUESTION.search(question))


def period_of(question: str) -> tuple[timedelta, str]:
    """The period a question asks about (default: this week)."""
    q = question.lower()
    if "heute" in q or "24 h" in q or "24h" in q:
        return timedelta(hours=24), "in den letzten 24 Stunden"
    if "monat" in q or "30 tage" in q:
        return timedelta(days=30), "in den letzten 30 Tagen"
    return timedelta(days=7), "in den letzten 7 Tagen"


def _has(q: str, words: tuple[str, ...]) -> bool:
    return any(word in q for word in words)


def _post(post: PostRecord, report: Report) -> str:
    tz = report.local_now.tzinfo
    numbers = latest_numbers(post)
    on = f", {post.network.label}" if len(report.networks) > 1 or post.network is not Network.X else ""
    text = (f"{quote(post.text)} ({stamp(post.posted_at, tz)}{on}): "
            f"{describe(numbers, impressions=counts_impressions(post.network))}; "
            f"{multiplier_name(post.network)} {format_multiplier(post.multiplier)}")
    if counts_impressions(post.network):
        text += f", Interaktionsrate {format_percent(engagement_rate(numbers))}"
    return text + (f"\n{post.url}" if post.url else "")


def answer(question: str, report: Report, period_label: str) -> str:
    q = question.lower()
    if not report.tracked:
        simulated = sum(p.simulated for p in report.posts)
        note = ""
        if simulated:
            note = " (1 simulierter Post hat keine Zahlen.)" if simulated == 1 else \
                f" ({de_int(simulated)} simulierte Posts haben keine Zahlen.)"
        where = labels(report.networks) or "X"
        return f"Noch keine Zahlen {period_label}: kein getrackter Post auf {where}.{note}"
    worst = report.worst_by_engagement() if _has(q, _WORST) else None
    if worst is not None:  # asked for, and with tracked posts there is one
        return f"Am schwächsten lief {period_label}: {_post(worst, report)}"
    if _has(q, _REACH):
        tops = [top for network in report.networks if (top := report.best_by_multiplier(network)) is not None]
        if not tops:
            return f"Für {period_label} fehlt die Followerzahl beim Posten: kein Multiplikator berechenbar."
        if len(tops) == 1 and tops[0].network is Network.X:
            return f"Den höchsten Multiplikator {period_label} hat: {_post(tops[0], report)}"
        return "\n".join(f"Den höchsten {multiplier_name(top.network)} auf {top.network.label} {period_label} hat: "
                         f"{_post(top, report)}" for top in tops)
    if _has(q, _BEST):
        best = report.best_by_engagement() or report.best_by_multiplier()
        if best is None:
            return f"{period_label.capitalize()} hat noch kein Post Interaktionen."
        return f"Am besten lief {period_label}: {_post(best, report)}"
    return overview(report, period_label)


def overview(report: Report, period_label: str) -> str:
    tracked = report.tracked
    networks = [n for n in report.networks if report.tracked_on(n)]
    with_x = Network.X in networks
    lines = [f"{de_int(len(tracked))} getrackte {'Post' if len(tracked) == 1 else 'Posts'} {period_label}: "
             f"{describe(report.total(), impressions=with_x)}."]
    if len(networks) > 1 or networks != [Network.X]:
        lines += [f"   {n.label}: {describe(report.total(n), impressions=counts_impressions(n))}" for n in networks]
    best = report.best_by_engagement()
    if best:
        on = "" if networks == [Network.X] else f", {best.network.label}"
        lines.append(f"Meiste Interaktionen: {quote(best.text, 50)} ({de_int(latest_numbers(best).interactions)}{on})")
    for network in networks:
        top = report.best_by_multiplier(network)
        if top:
            on = "" if networks == [Network.X] else f" auf {network.label}"
            lines.append(f"Höchster {multiplier_name(network)}{on}: {quote(top.text, 50)} "
                         f"({format_multiplier(top.multiplier)})")
    return "\n".join(lines)


class StoredReports:
    """The `Reports` port, answered from the database."""

    def __init__(self, summaries: SummaryService, book: AmplifierBook | None = None,
                 learning: LearningService | None = None) -> None:
        self._summaries = summaries
        self._book = book
        self._learning = learning

    async def summary(self) -> Announcement:
        return await self._summaries.summary()

    async def statistics(self, question: str | None = None) -> str:
        if self._learning is not None and is_pattern_question(question or ""):
            return await self._learning.answer()
        period, label = period_of(question or "")
        report = await self._summaries.report(period)
        return await asyncio.to_thread(answer, question or "", report, label)  # not on the event loop

    async def amplifiers(self, reference: str | None = None) -> str:
        if self._book is None:
            return "Weiterträger gibt es nur für echte Posts (im Testbetrieb wird nichts gepostet)."
        return await amplifier_listing(self._book, reference)

    async def patterns(self) -> str:
        if self._learning is None:
            return "Die Auswertung nach Fragemuster und Ton ist nicht eingerichtet."
        return await self._learning.answer()
