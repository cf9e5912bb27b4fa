"""Wiring: settings in, ready-to-use services out. The one place that picks the adapters."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.adapters.llm_openai import OpenAIChat
from bot.adapters.news_fetch import ArticleFetcher
from bot.adapters.storage.database import create_engine, migrate
from bot.adapters.storage.drafts import SqlDraftStore
from bot.core.drafting import DraftingService
from bot.core.prompts import PromptLibrary
from bot.settings import Settings


@dataclass
class Services:
    settings: Settings
    llm: OpenAIChat
    drafting: DraftingService
    articles: ArticleFetcher
    engine: AsyncEngine | None
    store: SqlDraftStore | None


def build_llm(settings: Settings) -> OpenAIChat:
    return OpenAIChat(
        api_key=settings.openai_api_key.get_secret_value(),
        model=settings.openai_model,
        base_url=settings.openai_base_url,
        timeout_seconds=settings.llm_timeout_seconds,
    )


@asynccontextmanager
async def services(settings: Settings, *, with_storage: bool = True) -> AsyncIterator[Services]:
    prompts = PromptLibrary.load(settings.prompts_dir)
    llm = build_llm(settings)
    drafting = DraftingService(
        llm, prompts, max_news_chars=settings.max_news_chars, max_attempts=settings.llm_max_attempts,
        sleep=asyncio.sleep,
    )
    articles = ArticleFetcher(timeout_seconds=settings.fetch_timeout_seconds, max_bytes=settings.fetch_max_bytes)
    engine = store = None
    try:
        if with_storage:
            engine = create_engine(settings.database_url)
            await migrate(engine)
            store = SqlDraftStore(engine)
        yield Services(settings, llm, drafting, articles, engine, store)
    finally:
        await llm.aclose()
        if engine is not None:
            await engine.dispose()
