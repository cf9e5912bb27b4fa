"""The monthly client report: a month of an account's posts with their newest numbers per network, totals and the
change versus the month before, the best posts, notable amplifiers, reach beyond our followers and the pattern table.

Two store reads per month of posts (this one and the one before) and one of amplifiers; every figure is computed
here. Multipliers: on X impressions ÷ followers when posting; on Bluesky and Mastodon, which count no impressions,
the „Reichweiten-Multiplikator“: the combined followers of the accounts that reposted or quoted ÷ our followers.
Simulated posts never count.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from statistics import median
from typing import Protocol

from bot.core.errors import InputError
from bot.core.networks import ORDER, Network
from bot.core.reach.metrics import Metrics
from bot.core.reports.period import Month

BEST_POSTS = 5  # by interactions
BEST_PER_NETWORK = 3  # by multiplier: per network, as X's and the others' multipliers measure different things
MAX_NOTABLE = 25  # notable amplifiers listed
REACH_MULTIPLIER = "Reichweiten-Multiplikator"
IMPRESSION_MULTIPLIER = "Multiplikator"


@dataclass(frozen=True, slots=True)
class MonthPost:
    """One post on one network, as stored: its question's pattern and its newest reading (None: none taken)."""

    post_id: int
    set_id: int
    network: Network
    text: str
    url: str | None
    pattern: str
    posted_at: datetime
    followers_at_post: int | None
    latest: Metrics | None


@dataclass(frozen=True, slots=True)
class MonthAmplifier:
    """An account that reposted or quoted one of the month's posts (handle, name, quote: untrusted text)."""

    post_id: int
    network: Network
    user_id: str
    handle: str
    name: str
    followers: int
    kind: str  # repost | quote
    notable: bool
    label: str | None
    follows_us: bool | None  # None: unknown


class MonthlyStore(Protocol):
    async def month_posts(self, start: datetime, end: datetime) -> list[MonthPost]:
        """Every real (not simulated) post posted in [start, end), each network's post on its own, oldest first."""

    async def month_amplifiers(self, start: datetime, end: datetime) -> list[MonthAmplifier]:
        """The amplifiers of every real post posted in [start, end), per post in the order they were seen."""


@dataclass(frozen=True, slots=True)
class PostLine:
    """A post of the month with the figures the report shows."""

    post: MonthPost
    metrics: Metrics  # zeros without a reading
    tracked: bool  # a reading was taken
    multiplier: float | None
    amplifier_followers: int  # distinct amplifiers' combined followers

    @property
    def interactions(self) -> int:
        return self.metrics.interactions

    @property
    def impressions(self) -> int | None:
        """Only X counts impressions."""
        return self.metrics.impressions if self.post.network is Network.X and self.tracked else None

    @property
    def multiplier_name(self) -> str:
        return multiplier_name(self.post.network)


def multiplier_name(network: Network) -> str:
    return IMPRESSION_MULTIPLIER if network is Network.X else REACH_MULTIPLIER


@dataclass(frozen=True, slots=True)
class Totals:
    posts: int = 0
    reposts: int = 0
    likes: int = 0
    replies: int = 0
    quotes: int = 0
    impressions: int = 0

    @property
    def interactions(self) -> int:
        return self.reposts + self.likes + self.replies + self.quotes

    def plus(self, other: Totals) -> Totals:
        return Totals(self.posts + other.posts, self.reposts + other.reposts, self.likes + other.likes,
                      self.replies + other.replies, self.quotes + other.quotes, self.impressions + other.impressions)


@dataclass(frozen=True, slots=True)
class Change:
    """One figure this month against the month before."""

    now: int
    before: int

    @property
    def delta(self) -> int:
        return self.now - self.before

    @property
    def percent(self) -> float | None:
        """None when there was nothing before (a percentage of zero means nothing)."""
        return None if self.before == 0 else self.delta / self.before * 100


TOTAL_FIELDS = (("posts", "Posts"), ("interactions", "Interaktionen"), ("reposts", "Reposts"), ("likes", "Likes"),
                ("replies", "Antworten"), ("quotes", "Zitate"), ("impressions", "Impressionen"))


@dataclass(frozen=True, slots=True)
class TotalsRow:
    """A network's (or, with ``network`` None, every network's) totals and their change."""

    network: Network | None
    now: Totals
    before: Totals

    @property
    def label(self) -> str:
        return self.network.label if self.network else "Gesamt"

    def change(self, name: str) -> Change:
        return Change(getattr(self.now, name), getattr(self.before, name))


@dataclass(frozen=True, slots=True)
class NotableAmplifier:
    network: Network
    handle: str
    name: str
    followers: int
    label: str | None
    posts: int  # of the month's posts it carried
    quoted: bool


@dataclass(frozen=True, slots=True)
class ReachBeyond:
    """Accounts that carried a post and do not follow us (what the follower scans know), per network."""

    network: Network
    accounts: int  # distinct amplifiers
    outside: int  # of them known not to follow us
    outside_followers: int  # their combined followers
    unknown: int  # whether they follow us is not known
    followers: int = 0  # the combined followers of all of them


@dataclass(frozen=True, slots=True)
class PatternRow:
    pattern: str
    network: Network
    posts: int
    median_interactions: float | None  # of tracked posts
    median_multiplier: float | None


@dataclass(frozen=True, slots=True)
class MonthlyReport:
    display_name: str
    account: str
    month: Month
    generated_at: datetime
    tz: tzinfo
    posts: tuple[PostLine, ...] = ()  # oldest first
    totals: tuple[TotalsRow, ...] = ()  # per network in the usual order, then „Gesamt“
    best_by_multiplier: tuple[PostLine, ...] = ()  # the best of each network, networks in the usual order
    best_by_interactions: tuple[PostLine, ...] = ()
    notable: tuple[NotableAmplifier, ...] = ()
    notable_total: int = 0  # before the list was cut to MAX_NOTABLE
    reach: tuple[ReachBeyond, ...] = ()
    patterns: tuple[PatternRow, ...] = ()
    previous_posts: int = 0
    networks: tuple[Network, ...] = ()  # with posts this month or the one before

    @property
    def period(self) -> str:
        return self.month.label

    @property
    def empty(self) -> bool:
        return not self.posts

    @property
    def finished(self) -> bool:
        """False for a report of the month still going on: its figures are a „Stand“."""
        return self.generated_at >= self.month.bounds(self.tz)[1]

    @property
    def empty_text(self) -> str:
        return f"Im {self.period} wurde nichts gepostet."

    @property
    def overall(self) -> TotalsRow:
        return self.totals[-1]


def resolve_account(name: str, accounts: dict[str, str]) -> str:
    """The display name of the account ``name``; an InputError naming the accounts there are otherwise."""
    key = name.strip()
    if key in accounts:
        return accounts[key]
    there = ", ".join(f"„{known}“" for known in sorted(accounts))
    raise InputError(f"Ein Konto „{key}“ gibt es nicht. Vorhanden: {there}.")


async def build_monthly_report(store: MonthlyStore, month: Month, *, tz: tzinfo, account: str, display_name: str,
                               now: datetime) -> MonthlyReport:
    start, end = month.bounds(tz)
    posts = await store.month_posts(start, end)
    if not posts:
        return MonthlyReport(display_name, account, month, now, tz)
    before_start, _ = month.previous().bounds(tz)
    previous = await store.month_posts(before_start, start)
    amplifiers = await store.month_amplifiers(start, end)
    carried_by = _combined_followers(amplifiers)
    lines = tuple(_line(post, carried_by) for post in posts)
    networks = tuple(n for n in ORDER if any(p.network is n for p in posts) or any(p.network is n for p in previous))
    return MonthlyReport(
        display_name, account, month, now, tz, lines, _totals(lines, previous, networks),
        tuple(best for network in networks
              for best in _best([line for line in lines if line.post.network is network],
                                lambda line: line.multiplier, BEST_PER_NETWORK)),
        _best(lines, lambda line: float(line.interactions) or None, BEST_POSTS),
        *_notable(amplifiers), _reach(amplifiers, networks), _patterns(lines), len(previous), networks)


def _combined_followers(amplifiers: Iterable[MonthAmplifier]) -> dict[int, int]:
    """Per post: the followers of the distinct accounts that carried it (reposted and quoted: once, with the figure of
    its first sighting, as the weekly summary counts them)."""
    by_post: dict[int, dict[str, int]] = {}
    for amplifier in amplifiers:  # in the order they were seen
        by_post.setdefault(amplifier.post_id, {}).setdefault(amplifier.user_id, amplifier.followers)
    return {post_id: sum(accounts.values()) for post_id, accounts in by_post.items()}


def _line(post: MonthPost, carried_by: dict[int, int]) -> PostLine:
    metrics = post.latest or Metrics()
    carried = carried_by.get(post.post_id, 0) if post.network is not Network.X else 0
    value: float | None = None
    if post.followers_at_post and post.latest is not None:  # without a reading: no multiplier, not a zero
        value = (metrics.impressions if post.network is Network.X else carried) / post.followers_at_post
    return PostLine(post, metrics, post.latest is not None, value, carried)


def _totals_of(metrics: Iterable[tuple[Metrics | None, Network]]) -> Totals:
    total = Totals()
    for reading, network in metrics:
        m = reading or Metrics()
        total = total.plus(Totals(1, m.retweets, m.likes, m.replies, m.quotes,
                                  m.impressions if network is Network.X else 0))
    return total


def _totals(lines: Sequence[PostLine], previous: Sequence[MonthPost],
            networks: Sequence[Network]) -> tuple[TotalsRow, ...]:
    current = [line.post for line in lines]
    rows = [TotalsRow(network, _totals_of((p.latest, p.network) for p in current if p.network is network),
                      _totals_of((p.latest, p.network) for p in previous if p.network is network))
            for network in networks]
    now, before = Totals(), Totals()
    for row in rows:
        now, before = now.plus(row.now), before.plus(row.before)
    overall = TotalsRow(None, now, before)
    return (*rows, overall)


def _best(lines: Sequence[PostLine], rank: Callable[[PostLine], float | None], count: int) -> tuple[PostLine, ...]:
    scored = [(rank(line), line) for line in lines]
    present = [(score, line) for score, line in scored if score is not None and score > 0]
    present.sort(key=lambda pair: (-pair[0], pair[1].post.post_id))
    return tuple(line for _score, line in present[:count])


def _notable(amplifiers: Sequence[MonthAmplifier]) -> tuple[tuple[NotableAmplifier, ...], int]:
    grouped: dict[tuple[Network, str], list[MonthAmplifier]] = {}
    for amplifier in amplifiers:
        if amplifier.notable:
            grouped.setdefault((amplifier.network, amplifier.user_id), []).append(amplifier)
    notable = [NotableAmplifier(network, seen[-1].handle, seen[-1].name, seen[0].followers,
                                next((a.label for a in seen if a.label), None), len({a.post_id for a in seen}),
                                any(a.kind == "quote" for a in seen))
               for (network, _user), seen in grouped.items()]
    notable.sort(key=lambda a: (-a.followers, a.handle.casefold()))
    return tuple(notable[:MAX_NOTABLE]), len(notable)


def _reach(amplifiers: Sequence[MonthAmplifier], networks: Sequence[Network]) -> tuple[ReachBeyond, ...]:
    rows = []
    for network in networks:
        accounts: dict[str, MonthAmplifier] = {}
        for amplifier in amplifiers:  # each account as first seen, as the multipliers count it
            if amplifier.network is network:
                accounts.setdefault(amplifier.user_id, amplifier)
        if not accounts:
            continue
        outside = [a for a in accounts.values() if a.follows_us is False]
        rows.append(ReachBeyond(network, len(accounts), len(outside), sum(a.followers for a in outside),
                                sum(1 for a in accounts.values() if a.follows_us is None),
                                sum(a.followers for a in accounts.values())))
    return tuple(rows)


def _median(values: Iterable[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return median(present) if present else None


def _patterns(lines: Sequence[PostLine]) -> tuple[PatternRow, ...]:
    grouped: dict[tuple[str, Network], list[PostLine]] = {}
    for line in lines:
        grouped.setdefault((line.post.pattern, line.post.network), []).append(line)
    rows = [PatternRow(pattern, network, len(members),
                       _median(float(m.interactions) for m in members if m.tracked),
                       _median(m.multiplier for m in members))
            for (pattern, network), members in grouped.items()]
    rows.sort(key=lambda r: (r.pattern, ORDER.index(r.network)))
    return tuple(rows)
