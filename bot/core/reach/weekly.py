"""The week in the summary (on WEEKLY_SUMMARY_DAY): the last 7 days against the 7 before, and who carried the posts."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.core.networks import Network
from bot.core.reach.metrics import REACH_MULTIPLIER, Metrics, counts_impressions, format_multiplier
from bot.core.text.numbers import de_int

WEEK = timedelta(days=7)
TOP_AMPLIFIERS = 5


@dataclass(frozen=True)
class WeekPost:
    """A post with its newest numbers (None: none yet) and its network's multiplier."""

    posted_at: datetime
    latest: Metrics | None
    multiplier: float | None
    network: Network = Network.X
    set_id: int | None = None  # the question (draft set): its posts on several networks count once


@dataclass(frozen=True)
class TopAmplifier:
    handle: str
    label: str | None
    followers: int
    posts: int  # how many of our posts this account carried in the week
    network: Network = Network.X


@dataclass(frozen=True)
class WeekReport:
    end: datetime  # now
    this_week: list[WeekPost]
    last_week: list[WeekPost]
    top: list[TopAmplifier]


def split_weeks(posts: Sequence[WeekPost], now: datetime) -> tuple[list[WeekPost], list[WeekPost]]:
    this_week = [p for p in posts if p.posted_at > now - WEEK]
    last_week = [p for p in posts if now - 2 * WEEK < p.posted_at <= now - WEEK]
    return this_week, last_week


def _sum(posts: Sequence[WeekPost], field: str) -> int:
    return sum(getattr(p.latest, field) for p in posts if p.latest is not None)


def _questions(posts: Sequence[WeekPost]) -> int:
    """Distinct questions: one question posted on three networks counts once."""
    return len({p.set_id for p in posts if p.set_id is not None}) + sum(p.set_id is None for p in posts)


def _change(now: int, before: int) -> str:
    if not before:
        return ""
    percent = round((now - before) * 100 / before)
    return f" ({'+' if percent > 0 else '−' if percent < 0 else '±'}{abs(percent)} %)"


def _median_multiplier(posts: Sequence[WeekPost], *, impressions: bool = True) -> float | None:
    """The median of X's multipliers, or (``impressions`` False) of Bluesky's and Mastodon's
    Reichweiten-Multiplikatoren: the two kinds are never mixed."""
    values = [p.multiplier for p in posts if p.multiplier is not None and counts_impressions(p.network) == impressions]
    return statistics.median(values) if values else None


def render_week(week: WeekReport, tz: ZoneInfo) -> str:
    start = (week.end - WEEK).astimezone(tz).strftime("%d.%m.")
    end = week.end.astimezone(tz).strftime("%d.%m.")
    now, before = week.this_week, week.last_week
    lines = [f"📅 Die Woche ({start}–{end}) gegenüber der Woche davor:"]
    only_x = all(counts_impressions(p.network) for p in [*now, *before])
    questions = f"   Fragen: {de_int(_questions(now))} (davor {de_int(_questions(before))})"
    if not only_x:  # a question on several networks is one post per network
        questions += f", gepostet als {de_int(len(now))} Posts (davor {de_int(len(before))})"
    lines.append(questions)
    everywhere = "auf X" if only_x else "auf allen Netzwerken"
    for field, name in (("impressions", "Impressionen auf X"), ("interactions", f"Interaktionen {everywhere}")):
        value, earlier = _sum(now, field), _sum(before, field)
        lines.append(f"   {name}: {de_int(value)}{_change(value, earlier)} (davor {de_int(earlier)})")
    if any(counts_impressions(p.network) for p in [*now, *before]) or not [*now, *before]:
        lines.append(f"   Multiplikator im Median: {format_multiplier(_median_multiplier(now))} "
                     f"(davor {format_multiplier(_median_multiplier(before))})")
    if not all(counts_impressions(p.network) for p in [*now, *before]):
        lines.append(f"   {REACH_MULTIPLIER} (Bluesky, Mastodon) im Median: "
                     f"{format_multiplier(_median_multiplier(now, impressions=False))} "
                     f"(davor {format_multiplier(_median_multiplier(before, impressions=False))})")
    if week.top:
        names = [f"@{a.handle} ({', '.join(filter(None, [a.label, f'{de_int(a.followers)} Follower']))}"
                 + (f", {a.posts} Posts" if a.posts > 1 else "")
                 + ("" if a.network is Network.X else f", {a.network.label}") + ")" for a in week.top]
        lines.append(f"Wichtigste Weiterträger der Woche: {'; '.join(names)}")
    return "\n".join(lines)
