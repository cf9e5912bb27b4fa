"""Engagement tracking: metric snapshots of every real post on a schedule relative to its posting time.

The jobs live in the store (one row per post and schedule step), so a restart loses
nothing: whatever fell due while the bot was down is taken at the next round. Posts are
per network (X, Bluesky, Mastodon), each read through its network's ``MetricsSource``:
all posts of a network due in one round share one read request per ``batch_size`` ids
(X 100, Bluesky 25, Mastodon 1). Only X reads are paid: they alone are kept within the
monthly budget (bot.core.reach.read_budget), and only X's follower count is kept per day.
A failing network is paused on its own (ERROR_PAUSE); the others go on.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from bot.core.clock import Clock
from bot.core.errors import SpitzfederError
from bot.core.networks import ORDER, Network
from bot.core.notices import Announcement, Notifier
from bot.core.reach.metrics import (
    Metrics,
    counts_impressions,
    describe,
    format_multiplier,
    format_percent,
    multiplier,
    multiplier_name,
    reach_multiplier,
    repost_share,
)
from bot.core.reach.read_budget import ReadBudget, UsageStore
from bot.core.text.numbers import de_int
from bot.core.timespec import STEP_PATTERN, UNIT_SECONDS, Step

log = logging.getLogger(__name__)

ERROR_PAUSE = timedelta(minutes=10)  # after a failed read, wait this long before asking that network again
LATE_AFTER = timedelta(minutes=10)  # a snapshot taken later than this after its due time says so

def duration_de(seconds: int) -> str:
    """A readable German duration: '45 s', '15 min', '6 h', '1 Tag', '7 Tagen' (dative, after 'Nach')."""
    if seconds % 86400 == 0:
        days = seconds // 86400
        return "1 Tag" if days == 1 else f"{de_int(days)} Tagen"
    if seconds % 3600 == 0:
        return f"{de_int(seconds // 3600)} h"
    if seconds % 60 == 0:
        return f"{de_int(seconds // 60)} min"
    return f"{de_int(seconds)} s"


_SHORT = {"s": "s", "m": "min", "h": "h"}


def _step_de(label: str) -> str:
    """The step in the unit it was configured in: '24h' -> '24 h', '7d' -> '7 Tagen'."""
    match = STEP_PATTERN.match(label)
    if not match:
        return label
    return duration_de(int(match[1]) * UNIT_SECONDS[match[2]]) if match[2] == "d" else f"{match[1]} {_SHORT[match[2]]}"


# --- ports ---

@dataclass(frozen=True)
class TrackedPost:
    post_id: int
    set_id: int
    remote_id: str
    posted_at: datetime
    followers_at_post: int | None
    network: Network = Network.X


@dataclass(frozen=True)
class DueSnapshot:
    id: int
    post: TrackedPost
    step: str
    step_seconds: int
    due_at: datetime


@dataclass(frozen=True)
class Lookup:
    """What one read request returned: numbers per post id, and the posts the network no longer shows (with why)."""

    metrics: dict[str, Metrics]
    unavailable: dict[str, str] = field(default_factory=dict)  # id -> German reason
    followers: int | None = None  # the account's follower count, if the answer carried it


class MetricsSource(Protocol):
    batch_size: int  # ids per read request

    async def lookup(self, remote_ids: list[str]) -> Lookup:
        """One read request for up to ``batch_size`` posts; raises SpitzfederError."""

    async def followers(self) -> int:
        """The account's current follower count (one read request)."""


class TrackingStore(Protocol):
    async def untracked_posts(self, posted_since: datetime) -> list[TrackedPost]:
        """Real posts (not simulated) posted since then that have no snapshot jobs yet."""

    async def add_snapshots(self, post_id: int, jobs: list[tuple[Step, datetime]]) -> None: ...

    async def due_snapshots(self, now: datetime) -> list[DueSnapshot]:
        """Pending snapshots due by ``now``, oldest first."""

    async def next_snapshot_due(self, network: Network | None = None) -> datetime | None:
        """The earliest due time of a pending snapshot (of posts on ``network``, if given); None: none pending."""

    async def record_snapshot(self, snapshot_id: int, metrics: Metrics, *, taken_at: datetime) -> None: ...

    async def skip_snapshots(self, snapshot_ids: list[int], reason: str, *, at: datetime) -> None: ...

    async def end_tracking(self, post_id: int, reason: str, *, at: datetime) -> None:
        """Close every pending snapshot of the post (deleted or unavailable)."""

    async def latest_post_at(self) -> datetime | None:
        """When the newest real post on X went out (the daily follower count is X's)."""

    async def carried_followers(self, post_id: int) -> int:
        """The combined followers of the accounts that reposted or quoted the post (each account once)."""

    async def latest_followers_at(self) -> datetime | None:
        """When the follower count was last recorded."""

    async def record_followers(self, count: int, *, at: datetime) -> None:
        """Keep the count as the one of ``at``'s UTC day (a later reading that day replaces it)."""


class AfterSnapshot(Protocol):
    async def after_snapshot(self, post: TrackedPost, metrics: Metrics, now: datetime) -> str | None:
        """Work that needs the fresh numbers (amplifier reads); returns a line for the follow-up, or None.

        ``now`` is the tracking round's moment, the same for every snapshot of the round."""


@dataclass
class TrackingRound:
    taken: int = 0
    ended: int = 0
    skipped: int = 0
    read_requests: int = 0
    error: str | None = None
    requests_by_network: dict[Network, int] = field(default_factory=dict)
    errors: dict[Network, str] = field(default_factory=dict)


# --- texts ---

def follow_up_text(snapshot: DueSnapshot, metrics: Metrics, taken_at: datetime, *,
                   carried_followers: int | None = None) -> str:
    """„X nach 6 h: … — Multiplikator 2,4×, Repost-Anteil 1,2 %“ or, without impressions,
    „Bluesky nach 6 h: 30 Reposts, 41 Likes, 3 Antworten, 2 Zitate · Reichweiten-Multiplikator 2,4×“."""
    post = snapshot.post
    head = f"{post.network.label} nach {_step_de(snapshot.step)}: "
    if counts_impressions(post.network):
        text = head + describe(metrics)
        derived = []
        if post.followers_at_post:
            derived.append(f"{multiplier_name(post.network)} "
                           f"{format_multiplier(multiplier(metrics, post.followers_at_post))}")
        if metrics.impressions:
            derived.append(f"Repost-Anteil {format_percent(repost_share(metrics))}")
        if derived:
            text += " — " + ", ".join(derived)
    else:
        text = head + describe(metrics, impressions=False)
        if post.followers_at_post:
            text += (f" · {multiplier_name(post.network)} "
                     f"{format_multiplier(reach_multiplier(metrics, carried_followers, post.followers_at_post))}")
    if taken_at - snapshot.due_at > LATE_AFTER:
        elapsed = int((taken_at - post.posted_at).total_seconds())
        text += f" (verspätet erfasst, nach {_rough_duration(elapsed)})"
    return text


def _rough_duration(seconds: int) -> str:
    """Whole days from two days on, else whole hours or minutes."""
    unit = 86400 if seconds >= 2 * 86400 else 3600 if seconds >= 3600 else 60 if seconds >= 60 else 1
    return duration_de(max(seconds // unit * unit, 1))


def ended_text(reason: str) -> str:
    return f"Tracking beendet: Der Post ist {gone_reason(reason)}. Die bisherigen Zahlen bleiben gespeichert."


def gone_reason(reason: str) -> str:
    """The reason as the rest of „Der Post ist …“: adapters say it as a fragment („gelöscht oder nicht mehr
    auffindbar“, X) or as a sentence („Der Post ist auf Bluesky nicht mehr zu finden (gelöscht?).“)."""
    return reason.strip().removeprefix("Der Post ist ").rstrip(".")


ERROR_NOTICE = "⚠️ Die Zahlen konnten nicht von {network} abgefragt werden: {message} Nächster Versuch in {pause}."
NO_SOURCE = "kein Zugang zu {network} konfiguriert"


def sources_by_network(sources: Mapping[Network, MetricsSource] | MetricsSource) -> dict[Network, MetricsSource]:
    """One source per network; a single source (older callers) is X's."""
    if isinstance(sources, Mapping):
        return dict(sources)
    return {Network.X: sources}


class TrackingService:
    def __init__(self, store: TrackingStore, sources: Mapping[Network, MetricsSource] | MetricsSource,
                 notifier: Notifier, clock: Clock, *, usage: UsageStore, schedule: list[Step],
                 read_budget_month: int, after_snapshot: AfterSnapshot | None = None) -> None:
        """``sources``: the MetricsSource of every network posts are tracked on; ``read_budget_month``: X's."""
        self._store = store
        self._after_snapshot = after_snapshot
        self._sources = sources_by_network(sources)
        self._notifier = notifier
        self._clock = clock
        self._schedule = schedule
        self._budget = ReadBudget(usage, notifier, read_budget_month,
                                  other_networks=[n.label for n in ORDER if n in self._sources and n is not Network.X])
        self._paused_until: dict[Network, datetime] = {}
        self._followers_paused_until: datetime | None = None
        self._failing: set[Network] = set()

    def _paused(self, network: Network, now: datetime) -> bool:
        until = self._paused_until.get(network)
        return until is not None and now < until

    async def run_due(self) -> TrackingRound:
        """Take every snapshot that is due (also those missed while the bot was down) and report each; network
        by network, a failing network waits while the others are read."""
        now = self._clock.now()
        result = TrackingRound()
        await self._enrol(now)
        due = [s for s in await self._store.due_snapshots(now) if not self._paused(s.post.network, now)]
        wanted = await self._collapse(due, now, result)
        for network in ORDER:
            mine = [s for s in wanted if s.post.network is network]
            if mine:
                try:
                    await self._read_network(network, mine, now, result)
                except Exception as exc:  # an adapter bug or a database error: this network waits, the others go on
                    await self._failed(network, exc, now, result)
        await self._daily_followers(now, result)
        return result

    async def _read_network(self, network: Network, wanted: list[DueSnapshot], now: datetime,
                            result: TrackingRound) -> None:
        source = self._sources.get(network)
        if source is None:
            await self._skip(wanted, NO_SOURCE.format(network=network.label), now, result)
            return
        if network is Network.X:  # only X's reads are paid and budgeted
            wanted = await self._within_budget(wanted, now, result)
        for start in range(0, len(wanted), source.batch_size):
            batch = wanted[start:start + source.batch_size]
            lookup = await source.lookup([s.post.remote_id for s in batch])  # failures: run_due pauses the network
            result.read_requests += 1
            result.requests_by_network[network] = result.requests_by_network.get(network, 0) + 1
            await self._apply(network, batch, lookup, result)
        self._failing.discard(network)

    async def next_due(self) -> datetime | None:
        """When ``run_due`` next has work: a new post to enrol (now), the earliest pending snapshot of a network
        that is not paused (else the pause's end), or the daily follower read. None: nothing to track."""
        now = self._clock.now()
        if await self._store.untracked_posts(self._enrol_horizon(now)):
            return now  # enrolment runs at the start of every round, even during a pause
        if any(self._paused(network, now) for network in ORDER):
            times = []
            for network in ORDER:
                due = await self._store.next_snapshot_due(network)
                if due is not None and self._paused(network, now):
                    due = max(due, self._paused_until[network])
                times.append(due)
        else:
            times = [await self._store.next_snapshot_due()]
        times.append(await self._followers_due(now))
        return min((t for t in times if t is not None), default=None)

    async def _followers_due(self, now: datetime) -> datetime | None:
        """When ``_daily_followers`` would read the follower count (the same conditions), or None."""
        if Network.X not in self._sources:
            return None
        latest_post = await self._store.latest_post_at()
        if latest_post is None:
            return None
        recorded = await self._store.latest_followers_at()
        due = now if recorded is None else recorded + timedelta(days=1)
        if self._followers_paused_until:
            due = max(due, self._followers_paused_until)
        window = timedelta(seconds=self._schedule[-1].seconds) + timedelta(days=1)
        if max(due, now) - latest_post > window:
            return None
        if due <= now and not await self._budget.has_room(now):
            return None  # planned again within minutes; the budget is back at the month's start
        return due

    def _enrol_horizon(self, now: datetime) -> datetime:
        return now - timedelta(seconds=self._schedule[-1].seconds) - timedelta(days=1)

    async def _enrol(self, now: datetime) -> None:
        for post in await self._store.untracked_posts(self._enrol_horizon(now)):
            if post.followers_at_post is not None and post.network is Network.X:  # read right before posting
                await self._store.record_followers(post.followers_at_post, at=post.posted_at)
            await self._store.add_snapshots(
                post.post_id, [(step, post.posted_at + timedelta(seconds=step.seconds)) for step in self._schedule])

    async def _collapse(self, due: list[DueSnapshot], now: datetime, result: TrackingRound) -> list[DueSnapshot]:
        """One reading per post: when several steps fell due while the bot was down, the latest one is taken."""
        latest: dict[int, DueSnapshot] = {}
        superseded = []
        for snapshot in due:
            previous = latest.get(snapshot.post.post_id)
            if previous is not None:
                superseded.append(previous.id)
            latest[snapshot.post.post_id] = snapshot
        if superseded:
            await self._store.skip_snapshots(superseded, "ersetzt durch einen späteren Messpunkt", at=now)
            result.skipped += len(superseded)
        return sorted(latest.values(), key=lambda s: s.due_at)

    async def _within_budget(self, wanted: list[DueSnapshot], now: datetime,
                             result: TrackingRound) -> list[DueSnapshot]:
        """Near the cap only the first and the last step of each post are read; at the cap none."""
        keep = {self._schedule[0].seconds, self._schedule[-1].seconds}
        ration = await self._budget.ration(wanted, now, thinnable=lambda s: s.step_seconds not in keep)
        await self._skip(ration.thinned, "ausgedünnt: Lesebudget fast aufgebraucht", now, result)
        await self._skip(ration.refused, "Lesebudget aufgebraucht", now, result)
        return ration.allowed

    async def _skip(self, snapshots: list[DueSnapshot], reason: str, now: datetime, result: TrackingRound) -> None:
        if snapshots:
            await self._store.skip_snapshots([s.id for s in snapshots], reason, at=now)
            result.skipped += len(snapshots)

    async def _apply(self, network: Network, batch: list[DueSnapshot], lookup: Lookup,
                     result: TrackingRound) -> None:
        now = self._clock.now()
        if lookup.followers is not None and network is Network.X:
            await self._store.record_followers(lookup.followers, at=now)
        for snapshot in batch:
            metrics = lookup.metrics.get(snapshot.post.remote_id)
            if metrics is None:
                reason = gone_reason(lookup.unavailable.get(snapshot.post.remote_id,
                                                            f"bei {network.label} nicht mehr abrufbar"))
                await self._store.end_tracking(snapshot.post.post_id, reason, at=now)
                await self._notifier.notify(Announcement(ended_text(reason), set_id=snapshot.post.set_id))
                result.ended += 1
                continue
            await self._store.record_snapshot(snapshot.id, metrics, taken_at=now)
            extra = await self._extra_line(snapshot.post, metrics, now)
            carried = None if counts_impressions(network) else await self._store.carried_followers(
                snapshot.post.post_id)
            text = follow_up_text(snapshot, metrics, now, carried_followers=carried) + extra
            await self._notifier.notify(Announcement(text, set_id=snapshot.post.set_id))
            result.taken += 1

    async def _extra_line(self, post: TrackedPost, metrics: Metrics, now: datetime) -> str:
        """The follow-up's line from the work after a snapshot; its failure costs neither the follow-up nor the rest
        of the batch (the reads stay due for the amplifier lane)."""
        if self._after_snapshot is None:
            return ""
        try:
            extra = await self._after_snapshot.after_snapshot(post, metrics, now)
        except Exception:
            log.exception("the work after the snapshot of post %d failed", post.post_id)
            return ""
        return f"\n{extra}" if extra else ""

    async def _daily_followers(self, now: datetime, result: TrackingRound) -> None:
        """X's follower count at least once a day while a post is tracked; metric reads carry it for free."""
        source = self._sources.get(Network.X)
        if source is None:
            return
        latest_post = await self._store.latest_post_at()
        window = timedelta(seconds=self._schedule[-1].seconds) + timedelta(days=1)
        if latest_post is None or now - latest_post > window:
            return
        recorded = await self._store.latest_followers_at()
        if recorded is not None and now - recorded < timedelta(days=1):
            return
        if self._followers_paused_until and now < self._followers_paused_until:
            return
        if not await self._budget.has_room(now):
            return
        try:
            await self._store.record_followers(await source.followers(), at=now)
            result.read_requests += 1
            result.requests_by_network[Network.X] = result.requests_by_network.get(Network.X, 0) + 1
        except SpitzfederError as exc:
            self._followers_paused_until = now + ERROR_PAUSE  # not again on every tick while X fails
            log.warning("could not read the follower count: %s", exc.detail or exc.user_message)
        except Exception:
            self._followers_paused_until = now + ERROR_PAUSE
            log.exception("reading the follower count failed unexpectedly")

    async def _failed(self, network: Network, exc: Exception, now: datetime, result: TrackingRound) -> None:
        """Keep the network's snapshots pending, pause it, and tell the team once per run of failures. An
        unexpected error (not a SpitzfederError) is logged with its traceback once per run of failures."""
        first = network not in self._failing
        message = failure_message(exc)
        if isinstance(exc, SpitzfederError):
            log.warning("reading metrics from %s failed: %s", network.label, exc.detail or exc.user_message)
        elif first:
            log.error("reading metrics from %s failed unexpectedly", network.label, exc_info=exc)
        else:
            log.warning("reading metrics from %s failed again: %r", network.label, exc)
        result.error = message
        result.errors[network] = message
        self._paused_until[network] = now + ERROR_PAUSE
        if first:
            self._failing.add(network)
            await self._notifier.notify(Announcement(ERROR_NOTICE.format(
                network=network.label, message=message,
                pause=duration_de(int(ERROR_PAUSE.total_seconds())))))


def failure_message(exc: Exception) -> str:
    """The German message of a failure: a SpitzfederError's own, else a neutral one (details in the log)."""
    if isinstance(exc, SpitzfederError):
        return exc.user_message
    return f"Unerwarteter Fehler ({type(exc).__name__}), Einzelheiten im Log."
