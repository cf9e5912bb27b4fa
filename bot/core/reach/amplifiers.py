"""Who carried a post: the accounts that reposted or quoted it, which of them are notable, and how far beyond
our followers they took it.

Amplifier reads are jobs in the store (one per post and AMPLIFIER_SCHEDULE step), so a restart loses
nothing. Posts are per network; each is read through its network's ``AmplifierSource``. A read asks the
network only when the post's latest metric snapshot shows reposts (resp. quotes) grown since the last read:
a post nobody reposted costs nothing extra. X's reads are paid: near the read budget's cap they stop before
metric snapshots are thinned (bot.core.reach.read_budget). The X-only parts stay X-only: the watchlist's
X lists and whether an amplifier follows us (our follower ids are X's); on Bluesky and Mastodon reads are
free and „neu für uns“ stays unknown. A failing network is paused on its own; the others go on.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal, Protocol

from bot.core.clock import Clock
from bot.core.errors import SpitzfederError
from bot.core.networks import ORDER, Network
from bot.core.notices import AmplifierSpotted, Notifier
from bot.core.reach.metrics import Metrics
from bot.core.reach.read_budget import ReadBudget, UsageStore
from bot.core.reach.tracking import TrackedPost
from bot.core.reach.watchlist import Watchlist
from bot.core.text.numbers import de_int
from bot.core.timespec import Step

log = logging.getLogger(__name__)

Kind = Literal["repost", "quote"]
ERROR_PAUSE = timedelta(minutes=10)  # after a failed read, before that network is asked again
LIST_REFRESH = timedelta(days=1)  # watchlist X lists are read at most this often
NOTABLE_VERIFIED = {"government": "Regierung", "business": "Organisation"}
PAGE_ITEMS = 100  # users or posts per page of the amplifier endpoints


# --- what a network returns ---

@dataclass(frozen=True)
class Amplifier:
    user_id: str
    handle: str
    name: str
    followers: int
    verified_type: str | None  # "blue", "business", "government" or None
    kind: Kind
    quote_id: str | None = None
    quote_text: str | None = None


@dataclass(frozen=True)
class AmplifierRead:
    amplifiers: list[Amplifier]
    notes: list[str] = field(default_factory=list)  # users or posts not returned (deleted, protected …)


@dataclass(frozen=True)
class FollowerScan:
    user_ids: set[str]
    complete: bool  # False: the account had more followers than the pages read


class AmplifierSource(Protocol):
    async def reposters(self, remote_id: str, *, max_pages: int) -> AmplifierRead: ...

    async def quoters(self, remote_id: str, *, max_pages: int) -> AmplifierRead: ...

    async def list_members(self, list_id: str) -> list[tuple[str, str]]:
        """(user id, handle) of every member of an X list (all pages)."""

    async def our_followers(self, *, max_count: int) -> FollowerScan:
        """The ids of the account's followers, at most ``max_count`` (pages of 1 000)."""


# --- what is stored ---

@dataclass(frozen=True)
class StoredAmplifier:
    amplifier: Amplifier
    first_seen: datetime
    notable: bool
    label: str | None  # watchlist label, or the verified type in German
    follows_us: bool | None  # None: unknown (no follower scan, or the account too large)


@dataclass(frozen=True)
class DueRead:
    id: int
    post: TrackedPost
    step: str
    due_at: datetime


class AmplifierStore(Protocol):
    async def unplanned_posts(self, posted_since: datetime) -> list[TrackedPost]:
        """Real posts posted since then that have no amplifier reads planned yet."""

    async def plan_reads(self, post_id: int, jobs: list[tuple[Step, datetime]]) -> None: ...

    async def due_reads(self, now: datetime, post_id: int | None = None) -> list[DueRead]:
        """Pending reads due by ``now`` (of one post, if given), oldest first."""

    async def next_read_due(self, network: Network | None = None) -> datetime | None:
        """The earliest due time of a pending read (of posts on ``network``, if given)."""

    async def latest_metrics(self, post_id: int) -> Metrics | None:
        """The post's newest metric snapshot."""

    async def counts_at_last_read(self, post_id: int) -> tuple[int, int]:
        """(reposts, quotes) the post had at its last amplifier read that asked its network; (0, 0) before any."""

    async def finish_read(self, read_id: int, state: str, *, at: datetime, note: str | None = None,
                          counts: tuple[int, int] | None = None) -> None:
        """state "taken" (``counts``: the reposts and quotes read at) or "skipped"."""

    async def add_amplifiers(self, post_id: int, found: list[StoredAmplifier]) -> list[StoredAmplifier]:
        """Keep the ones not yet stored for the post (per user and kind); returns those."""

    async def amplifiers_of(self, post_id: int) -> list[StoredAmplifier]: ...

    async def alerted(self, post_id: int) -> set[str]:
        """User ids already announced for the post."""

    async def mark_alerted(self, post_id: int, user_ids: set[str], *, at: datetime) -> None: ...

    async def follower_count(self) -> int | None:
        """The account's latest recorded follower count on X."""

    async def last_follower_scan(self) -> datetime | None: ...

    async def replace_followers(self, user_ids: set[str], *, at: datetime) -> None: ...

    async def followers_among(self, user_ids: set[str]) -> set[str]: ...

    async def list_refreshed_at(self, list_id: str) -> datetime | None: ...

    async def replace_list_members(self, list_id: str, members: list[tuple[str, str]], *, at: datetime) -> None: ...

    async def lists_of(self, user_ids: set[str]) -> dict[str, frozenset[str]]:
        """The watchlist X lists each of these users is a member of."""


# --- rules and texts ---

def notability(amplifier: Amplifier, watch_label: str | None, notable_followers: int) -> tuple[bool, str | None]:
    """Notable: on the watchlist, at least ``notable_followers`` followers, or verified as government or
    organisation. The label shown: the watchlist's, else the verified type in German."""
    verified = NOTABLE_VERIFIED.get(amplifier.verified_type or "")
    label = watch_label or verified
    notable = watch_label is not None or verified is not None or amplifier.followers >= notable_followers
    return notable, label


def followers_de(count: int) -> str:
    return f"{de_int(count)} Follower"


def by_user(amplifiers: list[StoredAmplifier]) -> list[StoredAmplifier]:
    """One entry per account (the first seen), notable first, then by followers."""
    first: dict[str, StoredAmplifier] = {}
    for item in sorted(amplifiers, key=lambda a: a.first_seen):
        first.setdefault(item.amplifier.user_id, item)
    return sorted(first.values(), key=lambda a: (not a.notable, -a.amplifier.followers, a.amplifier.handle.lower()))


def reach_line(amplifiers: list[StoredAmplifier], *, named: int = 3) -> str | None:
    """„Weitergetragen von 14 Konten (9 neu für uns), zusammen 182.000 Follower; darunter @… (MdB)“."""
    accounts = by_user(amplifiers)
    if not accounts:
        return None
    count = f"{de_int(len(accounts))} {'Konto' if len(accounts) == 1 else 'Konten'}"
    if any(a.follows_us is None for a in accounts):
        new = "neu für uns: unbekannt"
    else:
        new = f"{de_int(sum(not a.follows_us for a in accounts))} neu für uns"
    total = sum(a.amplifier.followers for a in accounts)
    text = f"Weitergetragen von {count} ({new}), zusammen {followers_de(total)}"
    notable = [a for a in accounts if a.notable][:named]
    if notable:
        text += "; darunter " + ", ".join(
            f"@{a.amplifier.handle}" + (f" ({a.label})" if a.label else "") for a in notable)
    return text


@dataclass
class AmplifierRound:
    reads: int = 0  # read jobs finished
    requests: int = 0  # amplifier requests (list and follower reads included)
    found: int = 0  # new amplifiers stored
    alerts: int = 0
    skipped: int = 0
    error: str | None = None
    requests_by_network: dict[Network, int] = field(default_factory=dict)

    def count_request(self, network: Network) -> None:
        self.requests += 1
        self.requests_by_network[network] = self.requests_by_network.get(network, 0) + 1


def quote_url(network: Network, handle: str, quote_id: str | None) -> str | None:
    """The link to a quoting post: an X status, or a Bluesky post from its at:// URI (Mastodon lists no quotes)."""
    if not quote_id:
        return None
    if network is Network.X:
        return f"https://x.com/{handle}/status/{quote_id}"
    if network is Network.BLUESKY and quote_id.startswith("at://"):
        did, _, rkey = quote_id.removeprefix("at://").partition("/app.bsky.feed.post/")
        return f"https://bsky.app/profile/{did}/post/{rkey}" if rkey else None
    return None


def sources_by_network(sources: Mapping[Network, AmplifierSource] | AmplifierSource) -> dict[Network, AmplifierSource]:
    """One source per network; a single source (older callers) is X's."""
    if isinstance(sources, Mapping):
        return dict(sources)
    return {Network.X: sources}


@dataclass(frozen=True)
class AmplifierRules:
    schedule: list[Step]
    max_pages: int = 1
    notable_followers: int = 10_000
    follower_scan_max: int = 2_000
    follower_scan_days: int = 7
    watchlist: Watchlist = field(default_factory=Watchlist)


class AmplifierService:
    def __init__(self, store: AmplifierStore, sources: Mapping[Network, AmplifierSource] | AmplifierSource,
                 notifier: Notifier, clock: Clock, *, usage: UsageStore, read_budget_month: int,
                 rules: AmplifierRules) -> None:
        """``sources``: the AmplifierSource of every network posts are read on; ``read_budget_month``: X's."""
        self._store = store
        self._sources = sources_by_network(sources)
        self._notifier = notifier
        self._clock = clock
        self._rules = rules
        self._budget = ReadBudget(usage, notifier, read_budget_month)
        self._paused_until: dict[Network, datetime] = {}
        self._planned_at: datetime | None = None  # one planning per round, not one per snapshot
        # After a failed or incomplete read of our followers or a list: not again before this (each read is paid).
        self._not_before: dict[str, datetime] = {}

    # --- the lane ---

    async def run_due(self) -> AmplifierRound:
        """Every amplifier read that is due, against the latest stored snapshot of its post."""
        now = self._clock.now()
        result = AmplifierRound()
        await self._plan(now)
        due = await self._store.due_reads(now)
        posts = {read.post.post_id: read.post for read in due}
        for post in posts.values():
            if self._paused(post.network, now):  # failed this round or shortly before: the others go on
                continue
            reads = [r for r in due if r.post.post_id == post.post_id]
            try:
                metrics = await self._store.latest_metrics(post.post_id)
                await self._take(post, reads, metrics, now, result)
            except Exception as exc:  # an adapter bug or a database error: this network waits, the others go on
                self._network_failed(post.network, exc, now, result)
        return result

    def _network_failed(self, network: Network, exc: Exception, now: datetime, result: AmplifierRound) -> None:
        """Pause the network's reads (they stay pending); an unexpected error is logged with its traceback."""
        if isinstance(exc, SpitzfederError):
            log.warning("reading amplifiers from %s failed: %s", network.label, exc.detail or exc.user_message)
            result.error = exc.user_message
        else:
            log.error("reading amplifiers from %s failed unexpectedly", network.label, exc_info=exc)
            result.error = f"Unerwarteter Fehler ({type(exc).__name__}), Einzelheiten im Log."
        self._paused_until[network] = now + ERROR_PAUSE

    async def next_due(self) -> datetime | None:
        now = self._clock.now()
        if await self._store.unplanned_posts(self._horizon(now)):
            return now
        if not any(self._paused(network, now) for network in self._paused_until):
            return await self._store.next_read_due()
        times = []  # a paused network's reads wait for the pause's end, the others' do not
        for network in ORDER:
            due = await self._store.next_read_due(network)
            if due is not None and self._paused(network, now):
                due = max(due, self._paused_until[network])
            times.append(due)
        return min((t for t in times if t is not None), default=None)

    async def after_snapshot(self, post: TrackedPost, metrics: Metrics, now: datetime) -> str | None:
        """Called by tracking right after a snapshot: the post's due amplifier reads with these fresh numbers,
        then the line for the follow-up (None: nobody carried it so far). ``now`` is the round's moment: the
        reads are planned once per round."""
        await self._plan(now)
        due = await self._store.due_reads(now, post.post_id)
        if due and not self._paused(post.network, now):
            await self._take(post, due, metrics, now, AmplifierRound())
        return reach_line(await self._store.amplifiers_of(post.post_id))

    # --- one post ---

    def _horizon(self, now: datetime) -> datetime:
        return now - timedelta(seconds=self._rules.schedule[-1].seconds) - timedelta(days=1)

    def _paused(self, network: Network, now: datetime) -> bool:
        until = self._paused_until.get(network)
        return until is not None and now < until

    async def _plan(self, now: datetime) -> None:
        if self._planned_at == now:
            return
        self._planned_at = now
        for post in await self._store.unplanned_posts(self._horizon(now)):
            await self._store.plan_reads(
                post.post_id,
                [(step, post.posted_at + timedelta(seconds=step.seconds)) for step in self._rules.schedule])

    async def _take(self, post: TrackedPost, due: list[DueRead], metrics: Metrics | None, now: datetime,
                    result: AmplifierRound) -> bool:
        """Read what grew since the last read; False when the network failed (the reads stay pending)."""
        *superseded, read = sorted(due, key=lambda r: r.due_at)
        for old in superseded:
            await self._store.finish_read(old.id, "skipped", at=now, note="ersetzt durch einen späteren Messpunkt")
            result.skipped += 1
        source = self._sources.get(post.network)
        if source is None:
            await self._store.finish_read(read.id, "skipped", at=now,
                                          note=f"kein Zugang zu {post.network.label} konfiguriert")
            result.skipped += 1
            return True
        reposts, quotes = (metrics.retweets, metrics.quotes) if metrics else (0, 0)
        last_reposts, last_quotes = await self._store.counts_at_last_read(post.post_id)
        wanted: list[Kind] = []
        if reposts > last_reposts:
            wanted.append("repost")
        if quotes > last_quotes:
            wanted.append("quote")
        if not wanted:
            await self._store.finish_read(read.id, "taken", at=now, note="keine neuen Reposts oder Zitate")
            result.reads += 1
            return True
        if post.network is Network.X and not await self._budget.room_beside_metrics(
                len(wanted) * self._rules.max_pages * PAGE_ITEMS, now):
            await self._store.finish_read(read.id, "skipped", at=now,
                                          note="Lesebudget knapp: Weiterträger übersprungen")
            log.info("amplifier read of post %d skipped: the read budget is nearly used up", post.post_id)
            result.skipped += 1
            return True
        try:
            found: list[Amplifier] = []
            for kind in wanted:
                read_result = await (source.reposters if kind == "repost" else source.quoters)(
                    post.remote_id, max_pages=self._rules.max_pages)
                result.count_request(post.network)
                for note in read_result.notes:
                    log.info("amplifier of post %d skipped: %s", post.post_id, note)
                found.extend(read_result.amplifiers)
            await self._keep(post, found, now, result)
        except Exception as exc:
            self._network_failed(post.network, exc, now, result)
            return False
        await self._store.finish_read(read.id, "taken", at=now, counts=(reposts, quotes))
        result.reads += 1
        return True

    async def _keep(self, post: TrackedPost, found: list[Amplifier], now: datetime, result: AmplifierRound) -> None:
        if not found:
            return
        user_ids = {a.user_id for a in found}
        on_x = post.network is Network.X  # X lists and our follower ids are X's
        lists = await self._watch_lists(user_ids, now, result) if on_x else {}
        follows = await self._follows(user_ids, now, result) if on_x else None
        stored = []
        for amplifier in found:
            watch = self._rules.watchlist.label_for(amplifier.handle, lists.get(amplifier.user_id, frozenset()),
                                                    network=post.network)
            notable, label = notability(amplifier, watch, self._rules.notable_followers)
            stored.append(StoredAmplifier(amplifier, now, notable, label,
                                          None if follows is None else amplifier.user_id in follows))
        new = await self._store.add_amplifiers(post.post_id, stored)
        result.found += len(new)
        await self._alert(post, new, now, result)

    async def _alert(self, post: TrackedPost, new: list[StoredAmplifier], now: datetime,
                     result: AmplifierRound) -> None:
        told = await self._store.alerted(post.post_id)
        for item in new:
            user_id = item.amplifier.user_id
            if not item.notable or user_id in told:
                continue
            told.add(user_id)
            await self._store.mark_alerted(post.post_id, {user_id}, at=now)
            a = item.amplifier
            await self._notifier.notify(AmplifierSpotted(
                set_id=post.set_id, handle=a.handle, kind=a.kind, followers=a.followers, label=item.label,
                quote_text=a.quote_text, quote_url=quote_url(post.network, a.handle, a.quote_id),
                network=post.network))
            result.alerts += 1

    async def _watch_lists(self, user_ids: set[str], now: datetime,
                           result: AmplifierRound) -> dict[str, frozenset[str]]:
        """Refresh the watchlist's X lists (at most daily, within the budget), then whose lists these users are on."""
        for list_id in sorted(self._rules.watchlist.list_labels):
            refreshed = await self._store.list_refreshed_at(list_id)
            if refreshed is not None and now - refreshed < LIST_REFRESH or self._waiting(f"list:{list_id}", now):
                continue
            if not await self._budget.room_beside_metrics(PAGE_ITEMS, now):
                continue
            try:
                members = await self._sources[Network.X].list_members(list_id)
            except SpitzfederError as exc:
                log.warning("reading the members of X list %s failed: %s", list_id, exc.detail or exc.user_message)
                self._not_before[f"list:{list_id}"] = now + ERROR_PAUSE
                continue
            result.count_request(Network.X)
            await self._store.replace_list_members(list_id, members, at=now)
        if not self._rules.watchlist.list_labels:
            return {}
        return await self._store.lists_of(user_ids)

    def _waiting(self, read: str, now: datetime) -> bool:
        return read in self._not_before and now < self._not_before[read]

    async def _follows(self, user_ids: set[str], now: datetime, result: AmplifierRound) -> set[str] | None:
        """Which of these users follow the account; None when unknown (too many followers, no scan)."""
        count = await self._store.follower_count()
        if count is None or count > self._rules.follower_scan_max:
            return None
        scanned = await self._store.last_follower_scan()
        due = scanned is None or now - scanned >= timedelta(days=self._rules.follower_scan_days)
        if due and not self._waiting("followers", now):
            if not await self._budget.room_beside_metrics(count, now):
                return None  # without budget: unknown, never guessed
            try:
                scan = await self._sources[Network.X].our_followers(max_count=self._rules.follower_scan_max)
            except SpitzfederError as exc:
                log.warning("reading our followers failed: %s", exc.detail or exc.user_message)
                self._not_before["followers"] = now + ERROR_PAUSE
                return None
            result.count_request(Network.X)
            if not scan.complete:  # grown past FOLLOWER_SCAN_MAX: unknown, never guessed, not read again soon
                self._not_before["followers"] = now + timedelta(days=self._rules.follower_scan_days)
                return None
            await self._store.replace_followers(scan.user_ids, at=now)
            scanned = now
        if scanned is None:
            return None
        return await self._store.followers_among(user_ids)
