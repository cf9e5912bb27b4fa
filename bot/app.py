"""Wiring: settings in, ready-to-use services out. The one place that picks the adapters."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.adapters.dry_run import DryRunPublisher
from bot.adapters.llm_openai import OpenAIChat
from bot.adapters.news_fetch import ArticleFetcher
from bot.adapters.storage.database import create_engine, migrate
from bot.adapters.storage.drafts import SqlDraftStore
from bot.adapters.storage.posts import SqlAuditLog, SqlPostStore
from bot.adapters.storage.summaries import SqlSummaryStore
from bot.adapters.storage.tracking import SqlTrackingStore
from bot.adapters.storage.usage import SqlUsageStore
from bot.core.clock import Clock, SystemClock
from bot.core.drafting.prompts import PromptLibrary
from bot.core.drafting.service import DraftingService
from bot.core.notices import Notifier
from bot.core.posting.ports import Publisher
from bot.core.reach.read_budget import UsageRecorder
from bot.core.reach.reports import StoredReports
from bot.core.reach.summary import SummaryService, parse_time_of_day
from bot.core.reach.tracking import TrackingService, parse_schedule
from bot.settings import Settings


@dataclass
class Services:
    settings: Settings
    clock: Clock
    llm: OpenAIChat
    drafting: DraftingService
    articles: ArticleFetcher
    engine: AsyncEngine | None
    store: SqlDraftStore | None
    posts: SqlPostStore | None
    audit: SqlAuditLog | None


def build_llm(settings: Settings) -> OpenAIChat:
    return OpenAIChat(
        api_key=settings.openai_api_key.get_secret_value(),
        model=settings.openai_model,
        base_url=settings.openai_base_url,
        timeout_seconds=settings.llm_timeout_seconds,
    )


def build_publisher(settings: Settings, usage: UsageRecorder | None = None) -> Publisher:
    """X when its four OAuth 1.0a values are set and DRY_RUN is off; otherwise the dry run."""
    if settings.dry_run or not settings.x_credentials_complete:
        return DryRunPublisher()
    from bot.adapters.x.publisher import XPublisher

    return XPublisher.from_settings(settings, usage=usage)


@dataclass
class Reach:
    """Posting to X, tracking and the daily summary. The front end calls ``tracking.run_due()`` and
    ``summary.run_due()`` at start and then periodically; ``reports`` answers /zusammenfassung and /statistik."""

    publisher: Publisher
    tracking: TrackingService | None  # None in the dry run: simulated posts are never tracked
    summary: SummaryService
    reports: StoredReports
    usage: SqlUsageStore


def build_reach(settings: Settings, engine: AsyncEngine, notifier: Notifier, clock: Clock) -> Reach:
    from bot.adapters.chart import MatplotlibChart
    from bot.adapters.x.metrics import XMetrics

    usage = SqlUsageStore(engine, clock)
    publisher = build_publisher(settings, usage=usage)
    tz = ZoneInfo(settings.timezone)
    summary = SummaryService(SqlSummaryStore(engine), notifier, clock,
                             summary_time=parse_time_of_day(settings.summary_time), tz=tz, chart=MatplotlibChart(tz))
    tracking = None
    if not publisher.simulated:
        tracking = TrackingService(SqlTrackingStore(engine), XMetrics(publisher.client), notifier, clock,
                                   usage=usage, schedule=parse_schedule(settings.metrics_schedule),
                                   read_budget_month=settings.x_read_budget_month)
    return Reach(publisher, tracking, summary, StoredReports(summary), usage)


@asynccontextmanager
async def services(settings: Settings, *, with_storage: bool = True, clock: Clock | None = None) -> AsyncIterator[Services]:
    clock = clock or SystemClock()
    prompts = PromptLibrary.load(settings.prompts_dir)
    llm = build_llm(settings)
    drafting = DraftingService(
        llm, prompts, max_news_chars=settings.max_news_chars, max_attempts=settings.llm_max_attempts,
        sleep=asyncio.sleep,
    )
    articles = ArticleFetcher(timeout_seconds=settings.fetch_timeout_seconds, max_bytes=settings.fetch_max_bytes,
                              allow_private_hosts=settings.fetch_allow_private_hosts)
    engine = store = posts = audit = None
    try:
        if with_storage:
            engine = create_engine(settings.database_url)
            await migrate(engine)
            store, posts, audit = SqlDraftStore(engine, clock), SqlPostStore(engine), SqlAuditLog(engine, clock)
        yield Services(settings, clock, llm, drafting, articles, engine, store, posts, audit)
    finally:
        await llm.aclose()
        if engine is not None:
            await engine.dispose()
