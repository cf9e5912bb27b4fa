"""The daily summary of the last 7 days, and answers to questions about the stored numbers.

Posts are per network: the summary lists each question once (its draft set) with one block of numbers per
network it went to, totals per network and overall, and the best post per network by that network's
multiplier (X: impressions-based; Bluesky, Mastodon: the „Reichweiten-Multiplikator“, see metrics.py).

The summary goes out once per local day at SUMMARY_TIME in TIMEZONE (zoneinfo, so
right across daylight-saving changes). A summary missed while the bot was down goes
out at the next start; the local date is claimed in the store before sending, so
no day ever gets two.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import cached_property
from operator import attrgetter
from typing import Protocol
from zoneinfo import ZoneInfo

from bot.core.clock import Clock
from bot.core.networks import ORDER, Network
from bot.core.notices import Announcement, Notifier
from bot.core.reach.metrics import (
    Metrics,
    counts_impressions,
    describe,
    engagement_rate,
    format_multiplier,
    format_percent,
    multiplier_name,
    network_multiplier,
    repost_share,
    signed,
)
from bot.core.reach.weekly import TOP_AMPLIFIERS, WEEK, TopAmplifier, WeekPost, WeekReport, render_week, split_weeks
from bot.core.text.numbers import de_int

log = logging.getLogger(__name__)

PERIOD = timedelta(days=7)
SEND_RETRY_PAUSE = timedelta(minutes=1)  # a summary that could not be sent is tried again after this
CHART_FILE = "zusammenfassung.png"
CHANGE_WINDOW = timedelta(hours=24)  # "in 24 h": growth since the last reading taken a day ago
CHART_MAX_POSTS = 8  # bars in the chart: the best posts per network; more are unreadable in a preview


@dataclass(slots=True)
class PostRecord:
    """A post as the reports need it: its newest numbers and those of a day before, not every reading."""

    post_id: int
    set_id: int
    text: str
    url: str | None
    posted_at: datetime
    simulated: bool
    followers_at_post: int | None
    latest: Metrics | None = None  # the newest reading
    baseline: Metrics | None = None  # the last reading taken at or before the report's baseline (24 h ago)
    tracking_note: str | None = None  # why tracking ended early, if it did
    notable: int = 0  # notable accounts (watchlist, many followers, verified institution) that carried it
    network: Network = Network.X
    carried_followers: int = 0  # the combined followers of the accounts that reposted or quoted it (each once)

    def change_since(self, since: datetime) -> Metrics | None:
        """The growth since ``since`` (the baseline moment the store was asked for): latest numbers minus the
        baseline reading (zero before posting)."""
        if self.latest is None:
            return None
        if self.baseline is not None:
            return self.latest.minus(self.baseline)
        return self.latest if self.posted_at > since else None

    @property
    def multiplier(self) -> float | None:
        """X: impressions ÷ followers at posting; Bluesky, Mastodon: the Reichweiten-Multiplikator."""
        if self.latest is None:
            return None
        return network_multiplier(self.network, self.latest, self.followers_at_post, self.carried_followers)


@dataclass(frozen=True)
class NotableSighting:
    """A notable account that reposted or quoted one of our posts."""

    post_id: int
    handle: str
    label: str | None  # watchlist label or verified type
    followers: int
    kind: str  # "repost" | "quote"
    network: Network = Network.X


class SummaryStore(Protocol):
    async def posts_since(self, since: datetime, *, baseline_at: datetime) -> list[PostRecord]:
        """Posts that went out since ``since`` (real and simulated), oldest first, each with its newest reading
        and the last reading taken at or before ``baseline_at``."""

    async def notable_since(self, since: datetime) -> list[NotableSighting]:
        """Notable accounts first seen carrying a post since then, most followers first."""

    async def top_amplifiers_since(self, since: datetime, limit: int) -> list[TopAmplifier]:
        """The accounts with the most followers that carried a post posted since then, each once."""

    async def claim_summary(self, local_day: date, *, at: datetime) -> bool:
        """Mark the day's summary as sent; False if it already was."""

    async def release_summary(self, local_day: date) -> None:
        """Undo a claim whose sending failed, so the next round tries again."""

    async def summary_delivered(self, local_day: date) -> bool:
        """Whether the day's claimed summary also reached the chat."""

    async def mark_summary_delivered(self, local_day: date, *, at: datetime) -> None: ...

    async def any_summary_sent(self) -> bool:
        """Whether a daily summary was ever sent (on a new installation there is nothing to catch up)."""


@dataclass(frozen=True)
class ChartBar:
    number: int  # the post's number in the summary's list
    label: str  # the beginning of its text
    impressions: int  # the reach shown: X's impressions; Bluesky's and Mastodon's amplifiers' followers
    multiplier: float | None
    notable: int = 0  # notable accounts that carried the post (marked at the bar)
    network: Network = Network.X


class ChartRenderer(Protocol):
    async def render(self, bars: list[ChartBar], *, title: str) -> bytes:
        """A PNG: one horizontal bar of impressions per post, its multiplier written on it."""


@dataclass
class Report:
    now: datetime
    local_now: datetime
    since: datetime
    posts: list[PostRecord]
    notable_today: list[NotableSighting] = field(default_factory=list)  # first seen in the last 24 h

    @property
    def baseline_at(self) -> datetime:
        """The moment "in 24 h" counts from (the store's ``baseline_at``)."""
        return self.now - CHANGE_WINDOW

    @cached_property
    def real(self) -> list[PostRecord]:
        """The real posts (every network), newest first (simulated ones never count)."""
        return [p for p in reversed(self.posts) if not p.simulated]

    @cached_property
    def entries(self) -> list[list[PostRecord]]:
        """The summary's list: one entry per question (draft set), newest first, numbered from 1; each entry's
        posts in network order."""
        grouped: dict[int, list[PostRecord]] = {}
        for post in self.real:
            grouped.setdefault(post.set_id, []).append(post)
        return [sorted(posts, key=lambda p: ORDER.index(p.network)) for posts in grouped.values()]

    @cached_property
    def tracked(self) -> list[PostRecord]:
        """The real posts with numbers, oldest first."""
        return [p for p in self.posts if p.latest is not None and not p.simulated]

    @cached_property
    def networks(self) -> list[Network]:
        """The networks with real posts in the period, in the usual order."""
        present = {p.network for p in self.real}
        return [n for n in ORDER if n in present]

    @cached_property
    def numbers(self) -> dict[int, int]:
        """Post id → the number of its entry in the list (posts of one question share it)."""
        return {p.post_id: n for n, entry in enumerate(self.entries, 1) for p in entry}

    def number_of(self, post: PostRecord) -> int:
        """A post's number in the list."""
        return self.numbers[post.post_id]

    def tracked_on(self, network: Network | None) -> list[PostRecord]:
        return [p for p in self.tracked if network is None or p.network is network]

    def total(self, network: Network | None = None) -> Metrics:
        """The newest numbers summed (of one network, or of all)."""
        return _sum(p.latest for p in self.tracked_on(network) if p.latest is not None)

    def total_change(self, network: Network | None = None) -> Metrics:
        """The sum of every post's ``change_since(baseline_at)``, in one pass."""
        tracked = self.tracked_on(network)
        grown = _sum(p.latest for p in tracked
                     if p.latest is not None and (p.baseline is not None or p.posted_at > self.baseline_at))
        return grown.minus(_sum(p.baseline for p in tracked if p.latest is not None and p.baseline is not None))

    def best_by_engagement(self) -> PostRecord | None:
        candidates = [p for p in self.tracked if latest_numbers(p).interactions > 0]
        return max(candidates, default=None,
                   key=lambda p: (latest_numbers(p).interactions, engagement_rate(latest_numbers(p)) or 0))

    def worst_by_engagement(self) -> PostRecord | None:
        return min(self.tracked, default=None,
                   key=lambda p: (latest_numbers(p).interactions, latest_numbers(p).impressions))

    def best_by_multiplier(self, network: Network | None = None) -> PostRecord | None:
        """The post with the highest multiplier on ``network``; without one: on X if it has posts, else on the
        first network that has (multipliers of different kinds are not compared)."""
        if network is None:
            network = next((n for n in ORDER if self.tracked_on(n)), Network.X)
        candidates = [p for p in self.tracked_on(network) if p.multiplier is not None]
        return max(candidates, key=lambda p: p.multiplier or 0.0, default=None)


def latest_numbers(post: PostRecord) -> Metrics:
    """The newest numbers of a tracked post (one of ``Report.tracked``)."""
    if post.latest is None:
        raise ValueError(f"post {post.post_id} has no numbers yet")
    return post.latest


_VALUES = attrgetter("retweets", "likes", "replies", "quotes", "bookmarks", "impressions")


def _sum(metrics: Iterable[Metrics]) -> Metrics:
    """Field by field, in one pass (thousands of posts are summed without building a Metrics per step)."""
    columns = list(zip(*map(_VALUES, metrics), strict=True))
    return Metrics(*map(sum, columns)) if columns else Metrics()


# --- scheduling ---

def last_slot(now: datetime, at: time, tz: ZoneInfo) -> tuple[date, datetime]:
    """The local day and UTC instant of the latest scheduled summary at or before ``now``.

    A wall time that does not exist that day (spring forward) falls an hour later; one
    that exists twice (fall back) counts at its first occurrence.
    """
    today = now.astimezone(tz).date()
    for day in (today, today - timedelta(days=1)):
        slot = datetime.combine(day, at, tzinfo=tz).astimezone(UTC)
        if slot <= now:
            return day, slot
    raise AssertionError("a slot a day ago always exists")


def next_slot(now: datetime, at: time, tz: ZoneInfo) -> datetime:
    """The UTC instant of the first scheduled summary after ``now`` (the slot ``last_slot`` names from then on)."""
    today = now.astimezone(tz).date()
    for day in (today, today + timedelta(days=1), today + timedelta(days=2)):
        slot = datetime.combine(day, at, tzinfo=tz).astimezone(UTC)
        if slot > now:
            return slot
    raise AssertionError("a slot within two days always exists")


# --- texts ---

def quote(text: str, limit: int = 70) -> str:
    flat = " ".join(text.split())
    return f"„{flat if len(flat) <= limit else flat[:limit - 1].rstrip() + '…'}“"


def stamp(moment: datetime, tz: tzinfo | None) -> str:
    return moment.astimezone(tz).strftime("%d.%m. %H:%M")


def post_lines(entry: list[PostRecord], report: Report, tz: ZoneInfo) -> list[str]:
    """One question: its text and time, then per network its numbers, multiplier and link."""
    first = entry[0]
    lines = [f"{quote(first.text)} — {stamp(min(p.posted_at for p in entry), tz)}"]
    for post in entry:
        lines.extend(network_lines(post, report))
    return lines


def network_lines(post: PostRecord, report: Report) -> list[str]:
    label = f"   {post.network.label}: "
    if post.latest is None:
        lines = [label + (post.tracking_note or "noch keine Zahlen")]
        return lines + ([f"   <{post.url}>"] if post.url else [])
    change = post.change_since(report.baseline_at)
    if counts_impressions(post.network):
        numbers = describe(post.latest)
        if change is not None and change.impressions:
            numbers += f" ({signed(change.impressions)} in 24 h)"
        details = (f"Multiplikator {format_multiplier(post.multiplier)}, "
                   f"Interaktionsrate {format_percent(engagement_rate(post.latest))}, "
                   f"Repost-Anteil {format_percent(repost_share(post.latest))}")
    else:
        numbers = describe(post.latest, impressions=False)
        if change is not None and change.interactions:
            numbers += f" ({signed(change.interactions)} Interaktionen in 24 h)"
        details = f"{multiplier_name(post.network)} {format_multiplier(post.multiplier)}"
    lines = [label + numbers, f"   {details}"]
    if post.tracking_note:
        lines.append(f"   Tracking beendet: {post.tracking_note}")
    if post.url:
        lines.append(f"   <{post.url}>")  # in angle brackets: Discord shows no preview
    return lines


def render_summary(report: Report, tz: ZoneInfo, *, max_posts: int | None = None,
                   max_chars: int | None = None) -> str:
    """The summary text; with limits, only the newest posts that fit are listed (totals always cover all)."""
    count = len(report.entries) if max_posts is None else min(max_posts, len(report.entries))
    totals = _totals_lines(report) if report.posts else []
    text = _summary_text(report, tz, count, totals)
    while max_chars is not None and len(text) > max_chars and count > 0:
        count -= 1
        text = _summary_text(report, tz, count, totals)
    if max_chars is not None and len(text) > max_chars:
        text = text[:max_chars - 1] + "…"
    return text


def _summary_text(report: Report, tz: ZoneInfo, count: int, totals: list[str]) -> str:
    day = report.local_now.strftime("%d.%m.%Y")
    lines = [f"📊 Zusammenfassung vom {day} — Posts der letzten 7 Tage"]
    if not report.real:
        lines.append("Keine Posts in den letzten 7 Tagen."
                     + (f" ({_simulated(len(report.posts))})" if report.posts else ""))
        return "\n".join(lines)
    for number, entry in enumerate(report.entries[:count], 1):
        lines.append("")
        first, *rest = post_lines(entry, report, tz)
        lines.append(f"{number}. {first}")
        lines.extend(rest)
    if count < len(report.entries):
        lines.append(f"… und {len(report.entries) - count} ältere (alle: `spitzfeder summary`)")
    lines.append("")
    lines.extend(totals)
    return "\n".join(lines)


def _simulated(count: int) -> str:
    return f"{de_int(count)} {'simulierter Post' if count == 1 else 'simulierte Posts'}, nicht veröffentlicht"


def _totals_lines(report: Report) -> list[str]:
    real = report.real
    simulated = len(report.posts) - len(real)
    counts = []
    for network in report.networks or [Network.X]:
        n = sum(p.network is network for p in real)
        counts.append(f"{de_int(n)} {'Post' if n == 1 else 'Posts'} auf {network.label}")
    count = ", ".join(counts)
    if simulated:
        count += f", {_simulated(simulated).removesuffix(', nicht veröffentlicht')}"
    lines = [f"Summe: {count}"]
    for network in report.networks:
        if report.tracked_on(network):
            lines.append(f"   {network.label}: {_total_numbers(report, network)}")
    if len([n for n in report.networks if report.tracked_on(n)]) > 1:
        lines.append(f"   Gesamt: {_total_numbers(report, None)}")
    best = report.best_by_engagement()
    tops = [(network, report.best_by_multiplier(network)) for network in report.networks]
    x_top = dict(tops).get(Network.X)
    if best and best is x_top:
        numbers = latest_numbers(best)
        lines.append(f"Meiste Interaktionen und höchster Multiplikator: Nr. {report.number_of(best)} "
                     f"{quote(best.text, 50)} — {de_int(numbers.interactions)} Interaktionen, "
                     f"{format_multiplier(best.multiplier)}")
    elif best:
        numbers = latest_numbers(best)
        rate = f" (Rate {format_percent(engagement_rate(numbers))})" if numbers.impressions else ""
        on = f" auf {best.network.label}" if len(report.networks) > 1 else ""
        lines.append(f"Meiste Interaktionen{on}: Nr. {report.number_of(best)} {quote(best.text, 50)} — "
                     f"{de_int(numbers.interactions)}{rate}")
    for network, top in tops:
        if top is None or (top is best and top is x_top):
            continue
        on = f" auf {network.label}" if network is not Network.X or len(report.networks) > 1 else ""
        lines.append(f"Höchster {multiplier_name(network)}{on}: Nr. {report.number_of(top)} {quote(top.text, 50)} — "
                     f"{format_multiplier(top.multiplier)}")
    return lines + _notable_lines(report)


def _total_numbers(report: Report, network: Network | None) -> str:
    """Summed numbers with their growth in 24 h; impressions only where they are counted (X)."""
    total, change = report.total(network), report.total_change(network)
    impressions = network is None and Network.X in report.networks or network is Network.X
    grown = [f"{signed(value)} {name}" for value, name in
             ((change.impressions if impressions else 0, "Impressionen"), (change.interactions, "Interaktionen"))
             if value]
    return describe(total, impressions=impressions) + (f" ({', '.join(grown)} in 24 h)" if grown else "")


NOTABLE_SHOWN = 5


def _notable_lines(report: Report) -> list[str]:
    """The notable accounts that carried a post in the last 24 h (handles are the networks': no Discord ping)."""
    numbers = report.numbers
    seen = [s for s in report.notable_today if s.post_id in numbers]
    if not seen:
        return []
    names = [f"@{s.handle} ({', '.join(filter(None, [s.label, f'{de_int(s.followers)} Follower']))}, "
             f"{'repostet' if s.kind == 'repost' else 'zitiert'} Nr. {numbers[s.post_id]}"
             + ("" if s.network is Network.X else f" auf {s.network.label}") + ")"
             for s in seen[:NOTABLE_SHOWN]]
    more = f" und {len(seen) - NOTABLE_SHOWN} weitere" if len(seen) > NOTABLE_SHOWN else ""
    return [f"Neu weitergetragen (24 h): {'; '.join(names)}{more}"]


def chart_bars(report: Report) -> list[ChartBar]:
    """The best posts per kind of multiplier, at most CHART_MAX_POSTS: X's by its Multiplikator first, then
    Bluesky's and Mastodon's by their Reichweiten-Multiplikator (the two kinds are never ranked together; each
    gets at least half the bars when the other has enough). Numbered as in the list, labelled with the network.
    The bar is the reach: X's impressions, Bluesky's and Mastodon's amplifiers' combined followers."""
    with_numbers = [p for p in report.real if p.latest is not None]
    on_x = _ranked([p for p in with_numbers if counts_impressions(p.network)])
    others = _ranked([p for p in with_numbers if not counts_impressions(p.network)])
    x_bars = min(len(on_x), max(CHART_MAX_POSTS - len(others), CHART_MAX_POSTS // 2))
    shown = on_x[:x_bars] + others[:CHART_MAX_POSTS - x_bars]
    return [ChartBar(report.number_of(p), quote(p.text, 34), _reach(p), p.multiplier, p.notable, p.network)
            for p in shown]


def _ranked(posts: list[PostRecord]) -> list[PostRecord]:
    """Highest multiplier first; those without one after, by reach."""
    return sorted(posts, key=lambda p: (p.multiplier is not None, p.multiplier or 0.0, _reach(p)), reverse=True)


def _reach(post: PostRecord) -> int:
    return latest_numbers(post).impressions if counts_impressions(post.network) else post.carried_followers


def chart_title(report: Report, tz: ZoneInfo) -> str:
    """Names the days the shown posts went out, not a nominal period."""
    days = sorted({p.posted_at.astimezone(tz).date() for p in report.real if p.latest is not None})
    span = days[0].strftime("%d.%m.") + (f"–{days[-1].strftime('%d.%m.%Y')}" if days[-1] != days[0]
                                          else days[0].strftime("%Y"))
    bars = chart_bars(report)
    star = ", ★ bemerkenswerte Weiterträger" if any(bar.notable for bar in bars) else ""
    if all(bar.network is Network.X for bar in bars):
        return (f"Impressionen je Post, Posts vom {span}\n"
                f"am Balken: Multiplikator (Impressionen ÷ Follower beim Posten){star}")
    return (f"Reichweite je Post, Posts vom {span}\n(X: Impressionen; Bluesky, Mastodon: Follower der Weiterträger)"
            f"\nam Balken: Multiplikator (X) bzw. R: Reichweiten-Multiplikator{star}")


# --- the service ---

class SummaryService:
    """Sends the daily summary (``run_due``); ``summary()`` also serves /zusammenfassung.

    The chat text lists at most the ``max_posts`` newest posts and stays within ``max_chars``
    (one Discord message); the terminal (`spitzfeder summary`) lists all.
    """

    def __init__(self, store: SummaryStore, notifier: Notifier, clock: Clock, *, summary_time: time,
                 tz: ZoneInfo, chart: ChartRenderer | None = None, max_posts: int = 5,
                 max_chars: int | None = None, costs: Callable[[], Awaitable[str]] | None = None,
                 weekly_day: int | None = None, patterns: Callable[[], Awaitable[str]] | None = None) -> None:
        self._store = store
        self._costs = costs  # this month's X requests and estimated dollars, as a last line
        self._weekly_day = weekly_day  # on this local weekday (0: Monday) the summary adds the week
        self._patterns = patterns  # the week's line on the question patterns that travel best
        self._notifier = notifier
        self._clock = clock
        self._time = summary_time
        self._tz = tz
        self._chart = chart
        self._max_posts = max_posts
        self._max_chars = max_chars
        self._done_day: date | None = None
        self._retry_at: datetime | None = None  # after a failed send: when to try again

    async def report(self, period: timedelta = PERIOD) -> Report:
        now = self._clock.now()
        since = now - period
        return Report(now, now.astimezone(self._tz), since,
                      await self._store.posts_since(since, baseline_at=now - CHANGE_WINDOW),
                      await self._store.notable_since(now - CHANGE_WINDOW))

    async def next_due(self) -> datetime | None:
        """When ``run_due`` next has work: the next slot, a retry after a failed send, or now (first round,
        or a slot not yet settled)."""
        now = self._clock.now()
        if self._retry_at and now < self._retry_at:
            return self._retry_at
        if self._done_day is None or last_slot(now, self._time, self._tz)[0] != self._done_day:
            return now
        return next_slot(now, self._time, self._tz)

    async def run_due(self) -> Announcement | None:
        """Send the summary of the latest slot if it has not gone out yet (also right after a start)."""
        now = self._clock.now()
        day, _slot = last_slot(now, self._time, self._tz)
        if self._done_day is None and not await self._store.any_summary_sent():
            # A new installation: the latest slot passed before the bot existed; summaries start with the next.
            await self._store.claim_summary(day, at=now)
            await self._store.mark_summary_delivered(day, at=now)
            self._done_day = day
            return None
        if day == self._done_day or (self._retry_at and now < self._retry_at):
            return None
        if not await self._store.claim_summary(day, at=now):
            if await self._store.summary_delivered(day):
                self._done_day = day  # settled: the next rounds need not ask the store
                return None
            # Claimed but never delivered: the bot stopped while sending. Better once more than never.
            log.warning("the summary for %s was cut short by a stop; sending it now", day.isoformat())
        try:
            announcement = await self.summary()
            await self._notifier.notify(announcement)
        except Exception:
            await self._store.release_summary(day)
            self._retry_at = now + SEND_RETRY_PAUSE
            raise
        self._retry_at = None
        await self._store.mark_summary_delivered(day, at=self._clock.now())
        self._done_day = day
        log.info("daily summary for %s sent", day.isoformat())
        return announcement

    async def summary(self, *, week: bool | None = None) -> Announcement:
        """The summary; with the week on WEEKLY_SUMMARY_DAY (or when ``week`` says so)."""
        report = await self.report()
        if week is None:
            week = self._weekly_day is not None and report.local_now.weekday() == self._weekly_day
        extra = [await self.week_text()] if week else []
        extra += [await self._costs()] if self._costs is not None else []
        tail = "".join(f"\n\n{part}" for part in extra if part)
        limit = self._max_chars - len(tail) if self._max_chars is not None else None
        # Thousands of posts take a while to weigh and word: not on the event loop.
        text = await asyncio.to_thread(render_summary, report, self._tz, max_posts=self._max_posts, max_chars=limit)
        return Announcement(text + tail, set_id=None, attachment=await self._chart_file(report), must_arrive=True)

    async def week_text(self) -> str:
        """The last 7 days against the 7 before, and the accounts with the most followers that carried a post."""
        now = self._clock.now()
        posts = await self._store.posts_since(now - 2 * WEEK, baseline_at=now)
        this_week, last_week = split_weeks(
            [WeekPost(p.posted_at, p.latest, p.multiplier, p.network, p.set_id) for p in posts if not p.simulated], now)
        top = await self._store.top_amplifiers_since(now - WEEK, TOP_AMPLIFIERS)
        text = render_week(WeekReport(now, this_week, last_week, top), self._tz)
        return text + (f"\n{await self._patterns()}" if self._patterns is not None else "")

    async def chart_png(self, report: Report) -> bytes | None:
        """The chart of the posts with the highest multiplier; None when no post on X has numbers yet."""
        bars = chart_bars(report)
        if self._chart is None or not bars:
            return None
        return await self._chart.render(bars, title=chart_title(report, self._tz))

    async def _chart_file(self, report: Report) -> tuple[str, bytes] | None:
        try:
            png = await self.chart_png(report)
        except Exception:  # a summary without its chart beats no summary
            log.exception("rendering the summary chart failed")
            return None
        return (CHART_FILE, png) if png else None
