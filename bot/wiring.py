"""The composition root: every service and adapter is built here from `Settings`, for every entry point.

Entry points (`bot/cli.py`, `bot/doctor.py`) call these builders; adapters and the core never import this
module. Heavy libraries are imported by the builders that need them, so `spitzfeder --help` stays quick.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.accounts import DEFAULT_ACCOUNT
from bot.core.clock import Clock, SystemClock
from bot.core.conversation.approval import ApprovalPolicy, SourceRule
from bot.core.drafting.history import History
from bot.core.drafting.lengths import NetworkLimit, limits_for
from bot.core.drafting.ports import Article, ArticleSource, DraftStore
from bot.core.drafting.prompts import PromptLibrary
from bot.core.drafting.service import DraftingService
from bot.core.errors import SpitzfederError
from bot.core.health import HealthReport, Presence, check
from bot.core.networks import ORDER, Network, labels
from bot.core.notices import Notice, Notifier, PostPublished
from bot.core.posting.ports import Publisher, Withdrawal
from bot.core.posting.records import Post
from bot.core.reach.amplifiers import AmplifierRules, AmplifierService, AmplifierSource
from bot.core.reach.learning import LearningService
from bot.core.reach.listing import amplifier_listing
from bot.core.reach.prices import usage_text
from bot.core.reach.read_budget import UsageRecorder
from bot.core.reach.reports import Reports, StoredReports
from bot.core.reach.summary import SummaryService
from bot.core.reach.tracking import MetricsSource, TrackingService
from bot.core.scheduler import NextDue, RunDue, Scheduler, WakeOn, in_sequence
from bot.core.timespec import parse_schedule, parse_time_of_day, parse_weekday
from bot.heap import freeze_loaded
from bot.settings import DEFAULT_PROMPTS_DIR, Settings

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

    from bot.accounts import Account
    from bot.adapters.discord.client import Desk, SpitzfederClient
    from bot.adapters.llm_openai import OpenAIChat
    from bot.adapters.storage.accounts import SqlAccountDirectory
    from bot.adapters.storage.posts import SqlAuditLog
    from bot.adapters.storage.usage import SqlUsageStore
    from bot.adapters.storage.write_queue import WriteQueue
    from bot.core.conversation.ports import Chat, Members
    from bot.core.conversation.workflow import Workflow
    from bot.core.posting.service import PostingService

log = logging.getLogger(__name__)


# --- drafting ---

def build_llm(settings: Settings) -> OpenAIChat:
    from bot.adapters.llm_openai import OpenAIChat

    return OpenAIChat(api_key=settings.openai_api_key.get_secret_value(), model=settings.openai_model,
                      base_url=settings.openai_base_url, timeout_seconds=settings.llm_timeout_seconds,
                      max_reply_chars=settings.llm_max_reply_chars)


def build_drafting(settings: Settings, llm: OpenAIChat, history: History | None = None,
                   network_limits: Sequence[NetworkLimit] | None = None) -> DraftingService:
    """``history``: what worked before, for the draft prompt (needs the database; None: no such block).
    ``network_limits``: each active network's length limit (see `network_limits`; None: the defaults)."""
    return DraftingService(llm, load_prompts(settings), max_news_chars=settings.max_news_chars,
                           max_attempts=settings.llm_max_attempts, max_retry_wait_seconds=settings.llm_timeout_seconds,
                           max_reply_chars=settings.llm_max_reply_chars, sleep=asyncio.sleep,
                           premise_check=settings.premise_check, default_tone=settings.tone_default,
                           hashtags_max=settings.hashtags_max, handle_allowlist=settings.handle_allowlist,
                           history=history,
                           network_limits=network_limits or limits_for(settings.active_networks))


async def network_limits(settings: Settings) -> tuple[NetworkLimit, ...]:
    """The length limit of each active network; Mastodon's as its instance reports it (one request at start;
    if the instance does not answer, Mastodon's usual 500 characters, logged)."""
    networks = settings.active_networks
    if Network.MASTODON not in networks or settings.dry_run:
        return limits_for(networks)
    from bot.adapters.mastodon import build_mastodon

    try:
        characters, per_url = await asyncio.wait_for(build_mastodon(settings).client.instance_limits(), 15)
    except Exception as exc:  # drafting must not depend on the instance being up right now
        log.warning("Mastodon's character limit could not be read (%s); drafts are checked against 500",
                    getattr(exc, "user_message", None) or type(exc).__name__)
        return limits_for(networks)
    return limits_for(networks, mastodon_limit=characters, mastodon_url_chars=per_url)


def build_learning(settings: Settings, engine: AsyncEngine, clock: Clock,
                   account: str = DEFAULT_ACCOUNT) -> LearningService:
    """Pattern statistics (/muster) and, with LEARN_FROM_HISTORY, the draft prompt's „Was bei uns gut lief“ —
    from the account's own posts only."""
    from bot.adapters.storage.learning import SqlLearningStore

    return LearningService(SqlLearningStore(engine, account=account), clock, window_days=settings.learning_window_days,
                           default_tone=settings.tone_default, learn=settings.learn_from_history)


def load_prompts(settings: Settings) -> PromptLibrary:
    """The shipped templates, each replaced by a file of the same name in PROMPTS_DIR (if set); STYLE_PATH (an
    account's `style_path`) replaces the house style."""
    library = PromptLibrary.load(DEFAULT_PROMPTS_DIR, settings.prompts_dir)
    if settings.style_path is None:
        return library
    from dataclasses import replace

    from bot.core.drafting.prompts import PromptError, without_comments

    try:
        style = without_comments(settings.style_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise PromptError(f"Die Stilvorlage {settings.style_path} (STYLE_PATH) ist nicht lesbar.",
                          detail=str(exc)) from exc
    return replace(library, data={**library.data, "style": style},
                   sources={**library.sources, "style": settings.style_path})


def build_articles(settings: Settings) -> ArticleSource:
    """The news page fetcher, made with the first URL: its HTTP stack need not load before the bot is up."""
    return _ArticlesOnFirstUse(settings)


class _ArticlesOnFirstUse:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._fetcher: ArticleSource | None = None

    async def fetch(self, url: str) -> Article:
        if self._fetcher is None:
            from bot.adapters.news_fetch import ArticleFetcher

            settings = self._settings
            self._fetcher = ArticleFetcher(timeout_seconds=settings.fetch_timeout_seconds,
                                           max_bytes=settings.fetch_max_bytes,
                                           allow_private_hosts=settings.fetch_allow_private_hosts)
        return await self._fetcher.fetch(url)


@asynccontextmanager
async def open_database(settings: Settings, *, wait: bool = False) -> AsyncIterator[AsyncEngine]:
    """The database, migrated to the current schema; disposed afterwards.

    With ``wait`` (the running bot) a server that does not answer yet is waited for, up to
    DATABASE_START_WAIT_SECONDS; commands fail at once."""
    from bot.adapters.storage.database import create_engine, migrate_when_reachable

    engine = create_engine(settings.database_url, busy_seconds=settings.database_busy_seconds)
    try:
        await migrate_when_reachable(engine, patience_seconds=settings.database_start_wait_seconds if wait else 0)
        yield engine
    finally:
        await engine.dispose()


@dataclass(frozen=True)
class DraftingTools:
    """What `spitzfeder draft` needs: the pipeline, the article source, and where to keep the set (if anywhere)."""

    drafting: DraftingService
    articles: ArticleSource
    store: DraftStore | None


@asynccontextmanager
async def drafting_tools(settings: Settings, *, save: bool,
                         account: str = DEFAULT_ACCOUNT) -> AsyncIterator[DraftingTools]:
    llm = build_llm(settings)
    try:
        limits = await network_limits(settings)
        if not save:
            yield DraftingTools(build_drafting(settings, llm, network_limits=limits), build_articles(settings), None)
            return
        from bot.adapters.storage.drafts import SqlDraftStore

        async with open_database(settings) as engine:  # with a database, drafts learn from past posts too
            learning = (build_learning(settings, engine, SystemClock(), account) if settings.learn_from_history
                        else None)
            yield DraftingTools(build_drafting(settings, llm, learning, limits), build_articles(settings),
                                SqlDraftStore(engine, account=account))
    finally:
        await llm.aclose()


# --- posting and reach ---

@dataclass(frozen=True)
class NetworkParts:
    """One network's adapters: its publisher and, for a real account, the sources tracking reads from."""

    publisher: Publisher
    metrics: MetricsSource | None = None  # None in the dry run: simulated posts are never tracked
    amplifiers: AmplifierSource | None = None
    close: Callable[[], Awaitable[None]] | None = None


def build_networks(settings: Settings, usage: UsageRecorder | None = None) -> dict[Network, NetworkParts]:
    """Every active network (complete credentials, narrowed by NETWORKS); each one is simulated in the dry run,
    and X also without its keys (then it is the only network)."""
    networks = {}
    for network in settings.active_networks:
        if settings.dry_run or (network is Network.X and not settings.x_credentials_complete):
            from bot.adapters.dry_run import DryRunPublisher

            networks[network] = NetworkParts(DryRunPublisher(network))
        elif network is Network.X:
            from bot.adapters.x.amplifiers import XAmplifiers
            from bot.adapters.x.metrics import XMetrics
            from bot.adapters.x.publisher import XPublisher

            x = XPublisher.from_settings(settings, usage=usage)
            networks[network] = NetworkParts(x, XMetrics(x.client), XAmplifiers(x.client))
        elif network is Network.BLUESKY:
            from bot.adapters.bluesky.network import build_bluesky

            bluesky = build_bluesky(settings)
            networks[network] = NetworkParts(bluesky.publisher, bluesky.metrics, bluesky.amplifiers,
                                             bluesky.client.close)
        else:
            from bot.adapters.mastodon import build_mastodon

            mastodon = build_mastodon(settings)
            networks[network] = NetworkParts(mastodon.publisher, mastodon.metrics, mastodon.amplifiers)
    return networks


@dataclass(frozen=True)
class Reach:
    """Posting to every network, tracking and the daily summary, with the stored numbers behind them."""

    networks: dict[Network, NetworkParts]
    tracking: TrackingService | None  # None in the dry run: simulated posts are never tracked
    summary: SummaryService
    reports: StoredReports
    usage: SqlUsageStore  # every X request, counted
    amplifiers: AmplifierService | None = None  # who carried a post; None in the dry run

    @property
    def publishers(self) -> dict[Network, Publisher]:
        return {network: parts.publisher for network, parts in self.networks.items()}

    @property
    def simulated(self) -> bool:
        """The dry run: nothing reaches any network."""
        return all(parts.publisher.simulated for parts in self.networks.values())

    async def close(self) -> None:
        for parts in self.networks.values():
            if parts.close is not None:
                try:
                    await parts.close()
                except Exception:
                    log.warning("closing a network client failed", exc_info=True)


def build_summary(settings: Settings, engine: AsyncEngine, notifier: Notifier, clock: Clock, *,
                  max_chars: int | None = None, usage: SqlUsageStore | None = None,
                  learning: LearningService | None = None, account: str = DEFAULT_ACCOUNT) -> SummaryService:
    """``usage``: the summary ends with this month's X requests and estimated cost. The weekly part names the
    question patterns that travel best (from ``learning``, made here if not given)."""
    from bot.adapters.chart import MatplotlibChart
    from bot.adapters.storage.summaries import SqlSummaryStore

    async def costs() -> str:
        assert usage is not None
        return usage_text(await usage.month_usage(clock.now()), settings.x_read_budget_month)

    tz = ZoneInfo(settings.timezone)
    return SummaryService(SqlSummaryStore(engine, account=account), notifier, clock, tz=tz, chart=MatplotlibChart(),
                          summary_time=parse_time_of_day(settings.summary_time), max_chars=max_chars,
                          weekly_day=parse_weekday(settings.weekly_summary_day),
                          patterns=(learning or build_learning(settings, engine, clock, account)).patterns_line,
                          costs=costs if usage is not None else None)


def build_reach(settings: Settings, engine: AsyncEngine, notifier: Notifier, clock: Clock, *,
                max_chars: int | None = None, learning: LearningService | None = None,
                account: str = DEFAULT_ACCOUNT) -> Reach:
    """``learning``: the pattern statistics shared with drafting (made here if not given). Everything reads
    and writes ``account``'s rows only; its network clients are its own (rate-limit pauses included)."""
    from bot.adapters.storage.amplifiers import SqlAmplifierStore
    from bot.adapters.storage.tracking import SqlTrackingStore
    from bot.adapters.storage.usage import SqlUsageStore

    usage = SqlUsageStore(engine, clock, account=account)
    networks = build_networks(settings, usage=usage)
    learning = learning or build_learning(settings, engine, clock, account)
    x = networks.get(Network.X)
    x_real = x is not None and not x.publisher.simulated
    summary = build_summary(settings, engine, notifier, clock, max_chars=max_chars,
                            usage=usage if x_real else None, learning=learning, account=account)
    tracking = amplifiers = None
    book = SqlAmplifierStore(engine, account=account)
    metrics = {network: parts.metrics for network, parts in networks.items() if parts.metrics is not None}
    sources = {network: parts.amplifiers for network, parts in networks.items() if parts.amplifiers is not None}
    if metrics:  # every real network; the dry run's simulated posts are never tracked
        amplifiers = AmplifierService(book, sources, notifier, clock, usage=usage,
                                      read_budget_month=settings.x_read_budget_month,
                                      rules=amplifier_rules(settings))
        tracking = TrackingService(SqlTrackingStore(engine, account=account), metrics, notifier, clock,
                                   usage=usage, schedule=parse_schedule(settings.metrics_schedule),
                                   read_budget_month=settings.x_read_budget_month, after_snapshot=amplifiers)
    reports = StoredReports(summary, book, learning)
    return Reach(networks, tracking, summary, reports, usage, amplifiers)


def amplifier_rules(settings: Settings) -> AmplifierRules:
    """AMPLIFIER_* and the watchlist; raises ConfigError for a watchlist that cannot be used."""
    from bot.adapters.watchlist_file import load_watchlist

    return AmplifierRules(
        schedule=parse_schedule(settings.amplifier_schedule), max_pages=settings.amplifier_max_pages,
        notable_followers=settings.notable_followers, follower_scan_max=settings.follower_scan_max,
        follower_scan_days=settings.follower_scan_days,
        watchlist=load_watchlist(settings.watchlist_path, settings.watchlist_x_list_ids))


@asynccontextmanager
async def terminal_amplifiers(settings: Settings, reference: str | None,
                              account: str = DEFAULT_ACCOUNT) -> AsyncIterator[str]:
    """`spitzfeder amplifiers`: a post's amplifiers, all of them, from the database."""
    from bot.adapters.storage.amplifiers import SqlAmplifierStore

    async with open_database(settings) as engine:
        yield await amplifier_listing(SqlAmplifierStore(engine, account=account), reference, limit=None)


@asynccontextmanager
async def terminal_patterns(settings: Settings, account: str = DEFAULT_ACCOUNT) -> AsyncIterator[str]:
    """`spitzfeder patterns`: the table per pattern and tone, from the database, without a message limit."""
    async with open_database(settings) as engine:
        yield await build_learning(settings, engine, SystemClock(), account).answer(max_chars=1_000_000)


async def month_usage_text(settings: Settings, engine: AsyncEngine, clock: Clock | None = None,
                           account: str = DEFAULT_ACCOUNT) -> str:
    """This month's X requests and estimated dollars of ``account`` (summary, doctor)."""
    from bot.adapters.storage.usage import SqlUsageStore

    clock = clock or SystemClock()
    usage = await SqlUsageStore(engine, clock, account=account).month_usage(clock.now())
    return usage_text(usage, settings.x_read_budget_month)


class _Terminal:
    """The notifier of terminal commands: they print what they produce; nothing is announced."""

    async def notify(self, notice: Notice) -> None:
        pass


@asynccontextmanager
async def terminal_summary(settings: Settings, account: str = DEFAULT_ACCOUNT) -> AsyncIterator[SummaryService]:
    """The summary service for `spitzfeder summary` (no chat, no message limit)."""
    async with open_database(settings) as engine:
        yield build_summary(settings, engine, _Terminal(), SystemClock(), account=account)


# --- the Discord bot ---

def approval_policy(settings: Settings) -> ApprovalPolicy:
    return ApprovalPolicy(frozenset(settings.approver_role_ids), frozenset(settings.approver_user_ids),
                          settings.approvals_required, settings.allow_self_approval,
                          SourceRule(settings.source_confirmation))


@dataclass(frozen=True)
class AccountBot:
    """One account's part of the running bot."""

    name: str
    settings: Settings  # the account's own settings (the environment's with the account's on top)
    workflow: Workflow
    posting: PostingService
    reach: Reach
    audit: SqlAuditLog


@dataclass(frozen=True)
class DiscordBot:
    client: SpitzfederClient
    accounts: list[AccountBot]
    engine: AsyncEngine
    scheduler: Scheduler
    presence: Presence
    clock: Clock

    # The first account's parts: the only one's, when the bot serves one account.
    @property
    def workflow(self) -> Workflow:
        return self.accounts[0].workflow

    @property
    def posting(self) -> PostingService:
        return self.accounts[0].posting

    @property
    def reach(self) -> Reach:
        return self.accounts[0].reach

    @property
    def audit(self) -> SqlAuditLog:
        return self.accounts[0].audit


@dataclass(frozen=True)
class _Shared:
    """What every account's services share in one bot process."""

    engine: AsyncEngine
    clock: Clock
    scheduler: Scheduler
    llm: OpenAIChat
    articles: ArticleSource
    publisher: Publisher | Mapping[Network, Publisher] | None  # tests: replaces every account's networks
    reports: Reports | None  # tests: replaces every account's reports
    writes: WriteQueue  # one conversation write transaction at a time on the database, whichever account's


def _account_services(account: Account, shared: _Shared, drafting: DraftingService, learning: LearningService,
                      chat: Chat, members: Members, lane_suffix: str) -> tuple[AccountBot, Desk]:
    """One account's workflow, posting and reach on its own stores, its due work in its own lanes."""
    from bot.adapters.discord.client import Access, Desk
    from bot.adapters.storage.posts import SqlAuditLog, SqlPostFigures, SqlPostStore
    from bot.adapters.storage.workflow import SqlWorkflowStore
    from bot.core.conversation.board import SetBoard
    from bot.core.conversation.workflow import Workflow
    from bot.core.posting.announcer import ChatAnnouncer
    from bot.core.posting.service import PostingService

    settings, name, engine, clock, scheduler = account.settings, account.name, shared.engine, shared.clock, \
        shared.scheduler
    publisher = shared.publisher
    posts, audit = SqlPostStore(engine, account=name), SqlAuditLog(engine, clock, account=name)
    store = SqlWorkflowStore(engine, clock, account=name, writes=shared.writes)
    # The networks a draft may go to: those posting has a publisher for.
    networks = (settings.active_networks if publisher is None else sorted(publisher, key=ORDER.index)
                if isinstance(publisher, Mapping) else [publisher.network])
    # ✅ goes on the messages of drafts that need it under the approval rules in force.
    board = SetBoard(store, posts, chat, networks=networks, tz=ZoneInfo(settings.timezone),
                     needs_confirmation=lambda entry: workflow.policy.needs_source_check(entry.needs_source_check))
    announcer = ChatAnnouncer(store, board, chat, settings.summary_channel_id)
    reach = build_reach(settings, engine, announcer, clock, max_chars=chat.max_message_chars - 100,
                        learning=learning, account=name)

    def lane(kind: str) -> str:
        return kind + lane_suffix

    # A new post is enrolled for tracking at once; an approval or 🔁 wakes the posting lane.
    notifier = WakeOn(announcer, {PostPublished: scheduler.waker(lane("tracking"))})

    async def still_approved(post: Post) -> Withdrawal | None:  # the workflow owns votes and roles
        return await workflow.still_approved(post)

    posting = PostingService(posts, publisher or reach.publishers, audit, notifier, clock,
                             wake=scheduler.waker(lane("posting")), still_approved=still_approved,
                             reconcile_wait=timedelta(seconds=settings.reconcile_wait_seconds),
                             plan_stale=timedelta(hours=settings.plan_stale_hours))
    workflow = Workflow(
        drafting=drafting, articles=shared.articles, store=store, posts=posts, posting=posting, audit=audit,
        chat=chat, members=members, board=board, policy=approval_policy(settings),
        undo_seconds=settings.post_undo_seconds, default_count=settings.draft_count,
        source_as_reply=settings.source_as_reply, clock=clock, best_time=settings.best_time,
        figures=SqlPostFigures(engine, account=name).since)
    scheduler.add_lane(lane("posting"), posting.run_due, posting.next_due)
    # X requests are counted in memory; this lane writes the counts (a locked database waits).
    reach.usage.wake = scheduler.waker(lane("usage"))
    scheduler.add_lane(lane("usage"), reach.usage.run_flush, reach.usage.next_flush)
    if reach.tracking is not None:
        due: list[tuple[RunDue, NextDue]] = [(reach.tracking.run_due, reach.tracking.next_due)]
        if reach.amplifiers is not None:  # right after the snapshots, with their numbers
            due.append((reach.amplifiers.run_due, reach.amplifiers.next_due))
        scheduler.add_lane(lane("tracking"), *in_sequence(*due))
    if settings.summary_channel_id:
        scheduler.add_lane(lane("summary"), reach.summary.run_due, reach.summary.next_due)

    async def monthly(month: str | None, fmt: str) -> tuple[str, bytes]:
        chosen = month or last_full_month(clock.now(), ZoneInfo(settings.timezone))
        return await account_report(account, engine, chosen, fmt, clock=clock)

    access = Access(frozenset(settings.discord_channel_ids),
                    frozenset(settings.dm_allowed_user_ids) | frozenset(settings.approver_user_ids))
    desk = Desk(name, workflow, posting, shared.reports or reach.reports, access, monthly,
                settings.summary_channel_id, account.display_name)
    return AccountBot(name, settings, workflow, posting, reach, audit), desk


@asynccontextmanager
async def discord_bot(settings: Settings, *, clock: Clock | None = None,
                      publisher: Publisher | Mapping[Network, Publisher] | None = None,
                      reports: Reports | None = None, serving: bool = True,
                      scheduler_runs: bool = True) -> AsyncIterator[DiscordBot]:
    """The whole bot on one database, serving every account of ACCOUNTS_FILE (or the one from the environment);
    ``publisher`` and ``reports`` replace the configured ones (tests).

    ``scheduler_runs`` False: due work runs only when called (`bot.scheduler.run_once()`), as tests drive it.
    """
    from bot.accounts import load_accounts
    from bot.adapters.discord.client import BotServices, SpitzfederClient
    from bot.adapters.discord.runner import point_discord_at
    from bot.adapters.storage.accounts import SqlAccountDirectory
    from bot.adapters.storage.health import SqlHeartbeats
    from bot.adapters.storage.workflow import SqlCommandSyncs
    from bot.adapters.storage.write_queue import WriteQueue

    accounts = load_accounts(settings)  # a broken file stops the start here, before anything is opened
    clock = clock or SystemClock()
    scheduler = Scheduler(clock)
    point_discord_at(settings.discord_api_base_url, settings.discord_gateway_url)
    llm = build_llm(settings)
    built: list[AccountBot] = []
    try:
        async with open_database(settings, wait=True) as engine:
            directory = SqlAccountDirectory(engine)
            await _adopt_or_warn(directory, accounts)
            shared = _Shared(engine, clock, scheduler, llm, build_articles(settings), publisher, reports,
                             WriteQueue(engine))
            limits = await asyncio.gather(*(network_limits(account.settings) for account in accounts))
            drafting: dict[str, tuple[DraftingService, LearningService]] = {}
            for account, account_limits in zip(accounts, limits, strict=True):
                # One cache per account for drafting, /muster and the summary.
                learning = build_learning(account.settings, engine, clock, account.name)
                drafting[account.name] = (build_drafting(
                    account.settings, llm, learning if account.settings.learn_from_history else None,
                    account_limits), learning)
            presence = Presence(SqlHeartbeats(engine), clock)

            def services(chat: Chat, members: Members) -> BotServices:
                desks = []
                for account in accounts:
                    suffix = "" if len(accounts) == 1 else f" {account.name}"
                    part, desk = _account_services(account, shared, *drafting[account.name], chat, members, suffix)
                    built.append(part)
                    desks.append(desk)
                scheduler.add_lane("heartbeat", presence.run_due, presence.next_due)  # at most once a minute
                return BotServices(desks, scheduler if scheduler_runs else _Driven(),
                                   warm_up=lambda: _warm_up(llm), presence=presence, directory=directory)

            client = SpitzfederClient(command_syncs=SqlCommandSyncs(engine, clock), services=services,
                                      serving=serving)
            try:
                yield DiscordBot(client, built, engine, scheduler, presence, clock)
            finally:
                for part in built:
                    try:
                        await part.reach.usage.flush()  # the last counts, before the database closes
                    except Exception:
                        log.exception("account %s: the last X request counts could not be written", part.name)
                    await part.reach.close()
    finally:
        await llm.aclose()


async def _adopt_or_warn(directory: SqlAccountDirectory, accounts: Sequence[Account]) -> None:
    """A single account takes over a database that holds only `standard`'s rows (a bot that had no ACCOUNTS_FILE,
    or one whose rows were labelled before accounts were kept apart): its posts, plans and numbers go on. Rows
    of accounts the bot does not serve otherwise stay untouched, said once at start."""
    in_use = await directory.accounts_in_use()
    [only, *more] = [account.name for account in accounts]
    if not more and only != DEFAULT_ACCOUNT and in_use == {DEFAULT_ACCOUNT}:
        moved = await directory.adopt(DEFAULT_ACCOUNT, only)
        log.info("the database's %d rows of account %s belong to account %s, the only one served", moved,
                 DEFAULT_ACCOUNT, only)
        return
    unserved = sorted(in_use - {account.name for account in accounts})
    if unserved:
        log.warning("the database holds posts and drafts of accounts this bot does not serve (%s); they are kept "
                    "but neither tracked nor posted (an account of that name in ACCOUNTS_FILE takes them up)",
                    ", ".join(unserved))


def _warm_up(llm: OpenAIChat) -> None:
    from bot.core.drafting.language import guess_language
    from bot.core.drafting.xlength import weighted_length

    guess_language("Das ist ein kurzer deutscher Satz zum Aufwärmen.")
    weighted_length("Aufwärmen: https://example.org 👋")  # its patterns and the emoji library
    llm.warm_up()
    import dateparser  # type: ignore[import-untyped]  # noqa: F401  (the times of /planen)

    import bot.adapters.news_fetch  # noqa: F401  (its HTTP stack, for the first news URL)

    freeze_loaded()  # what is loaded now lives as long as the process: out of the garbage collector's sight


class _Driven:
    """Due work that is run by hand: nothing starts in the background."""

    def start(self) -> None:
        pass

    async def stop(self, grace_seconds: float = 0.0) -> None:
        pass


def _warn_about(part: AccountBot, several: bool) -> None:
    settings = part.settings
    who = f"account {part.name}: " if several else ""
    if not settings.summary_channel_id:
        log.warning("%sSUMMARY_CHANNEL_ID is not set: no daily summary (/zusammenfassung still works)", who)
    if part.reach.simulated:
        log.warning("%sdry run: posts are simulated and never reach any network (%s)", who,
                    "DRY_RUN=true" if settings.dry_run else "no network's credentials are complete")
    else:
        log.info("%sposting to: %s", who, labels(part.reach.networks))
    if not part.workflow.policy.configured:
        log.warning("%sno approvers configured (APPROVER_ROLE_IDS / APPROVER_USER_IDS): nothing can be approved",
                    who)


async def run(settings: Settings) -> int:
    """`spitzfeder run`: serve Discord until stopped; SIGTERM or SIGINT is a clean stop (0)."""
    from bot.adapters.discord.runner import StopOnSignals, required_token, serve

    token = required_token(settings.discord_token.get_secret_value())
    with StopOnSignals() as stops:
        async with discord_bot(settings) as bot:
            for part in bot.accounts:
                _warn_about(part, len(bot.accounts) > 1)
            async with _health_endpoint(settings, bot):
                if stops.received is None:  # a signal during the start: nothing to serve
                    serving = asyncio.create_task(serve(bot.client, token), name="serving Discord")
                    stops.stop_with(bot.client.close, serving)
                    try:
                        await asyncio.wait([serving])
                    finally:
                        if not serving.done():  # run itself was cancelled
                            serving.cancel()
                            await asyncio.gather(serving, return_exceptions=True)
                    failure = None if serving.cancelled() else serving.exception()
                    if failure is not None and (stops.received is None or not isinstance(failure, SpitzfederError)):
                        raise failure
                    if failure is not None:
                        log.warning("the connection ended with an error while stopping: %s", failure)
    if stops.received is not None:
        log.info("stopped cleanly after %s in %.1f s", stops.received, stops.seconds_since_signal)
    return 0


@asynccontextmanager
async def _health_endpoint(settings: Settings, bot: DiscordBot) -> AsyncIterator[None]:
    """HEALTH_PORT: the health check as GET /healthz while the bot runs."""
    if settings.health_port is None:
        yield
        return
    from bot.adapters.health_http import serve_health
    from bot.adapters.storage.health import SqlHeartbeats

    heartbeats = SqlHeartbeats(bot.engine)
    runner = await serve_health(settings.health_port, lambda: check(heartbeats, bot.clock))
    try:
        yield
    finally:
        await runner.cleanup()


async def health(settings: Settings, *, clock: Clock | None = None) -> HealthReport:
    """`spitzfeder health`: the database answers, the gateway is connected, the heartbeat is recent.

    Reads only: the database is neither created nor migrated.
    """
    from bot.adapters.storage.health import SqlHeartbeats, open_for_check

    try:
        engine = open_for_check(settings.database_url)
    except SpitzfederError as exc:
        return HealthReport([f"Datenbank antwortet nicht: {exc.user_message}"])
    try:
        return await check(SqlHeartbeats(engine), clock or SystemClock())
    finally:
        await engine.dispose()


async def sync_commands(settings: Settings) -> int:
    """`spitzfeder sync-commands`: register the slash commands everywhere; posts and due work stay untouched."""
    from bot.adapters.discord.runner import required_token, sync_everywhere

    token = required_token(settings.discord_token.get_secret_value())
    async with discord_bot(settings, serving=False) as bot:
        guilds = await sync_everywhere(bot.client, token)
    print(f"Slash-Befehle in {guilds} Server(n) registriert.")
    return 0


# --- monthly client reports ---

def report_account(settings: Settings, name: str) -> Account:
    """The account named (by `report --account`, the CLI's other commands): ACCOUNTS_FILE's or `standard`.
    An unknown name is an InputError naming the accounts there are; checked before any database is opened."""
    from bot.accounts import load_accounts
    from bot.core.reports.monthly import resolve_account

    accounts = {account.name: account for account in load_accounts(settings)}
    resolve_account(name, {key: account.display_name for key, account in accounts.items()})
    return accounts[name.strip()]


async def monthly_report(settings: Settings, engine: AsyncEngine, account: str, month: str, fmt: str, *,
                         clock: Clock | None = None) -> tuple[str, bytes]:
    """The report of ``account`` for ``month`` („2026-11“) as ``fmt`` (html, pdf, csv): its file name and content.
    Bad input raises InputError with a German message (CLI and Discord show it)."""
    return await account_report(report_account(settings, account), engine, month, fmt, clock=clock)


async def account_report(account: Account, engine: AsyncEngine, month: str, fmt: str, *,
                         clock: Clock | None = None) -> tuple[str, bytes]:
    from bot.adapters.report.csv import render_csv
    from bot.adapters.report.html import render_html
    from bot.adapters.report.pdf import render_pdf
    from bot.adapters.storage.monthly import SqlMonthlyStore
    from bot.core.errors import InputError
    from bot.core.reports.monthly import MonthlyReport, build_monthly_report
    from bot.core.reports.period import parse_month

    renderers: dict[str, Callable[[MonthlyReport], str | bytes]] = {"html": render_html, "pdf": render_pdf,
                                                                     "csv": render_csv}
    period = parse_month(month)
    if fmt not in renderers:
        raise InputError(f"„{fmt}“ ist kein Berichtsformat; möglich sind html, pdf und csv.")
    report = await build_monthly_report(SqlMonthlyStore(engine, account=account.name), period,
                                        tz=ZoneInfo(account.settings.timezone), account=account.name,
                                        display_name=account.display_name, now=(clock or SystemClock()).now())
    content: str | bytes = await asyncio.to_thread(renderers[fmt], report)
    text = content.encode("utf-8") if isinstance(content, str) else content
    return f"spitzfeder-bericht-{account.name}-{period.key}.{fmt}", text


def last_full_month(now: datetime, tz: ZoneInfo) -> str:
    """„2026-10“ on any day of November 2026 (in the account's time zone): the month a client report is for."""
    before = now.astimezone(tz).replace(day=1) - timedelta(days=1)
    return f"{before.year:04d}-{before.month:02d}"
