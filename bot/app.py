"""Wiring: settings in, ready-to-use services out. The one place that picks the adapters."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.adapters.dry_run import DryRunPublisher
from bot.adapters.llm_openai import OpenAIChat
from bot.adapters.news_fetch import ArticleFetcher
from bot.adapters.storage.database import create_engine, migrate
from bot.adapters.storage.drafts import SqlDraftStore
from bot.adapters.storage.posts import SqlAuditLog, SqlPostStore
from bot.core.drafting import DraftingService
from bot.core.ports import Clock, Publisher, SystemClock
from bot.core.prompts import PromptLibrary
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


def build_publisher(settings: Settings) -> Publisher:
    """X when its four OAuth 1.0a values are set and DRY_RUN is off; otherwise the dry run."""
    if settings.dry_run or not settings.x_credentials_complete:
        return DryRunPublisher()
    from bot.adapters.x.publisher import XPublisher

    return XPublisher.from_settings(settings)


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
