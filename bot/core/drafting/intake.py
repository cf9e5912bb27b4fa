"""Turning what a user hands in (text and/or a URL) into a news item."""

from __future__ import annotations

import asyncio
import re
from dataclasses import replace

from bot.core.drafting.models import NewsItem
from bot.core.drafting.ports import ArticleSource
from bot.core.drafting.service import DraftingService
from bot.core.errors import InputError, NewsFetchError

# Discord users wrap links in <…> to suppress the preview.
_URL = re.compile(r"<(https?://[^\s<>]+)>|(https?://[^\s<>\"']+)", re.IGNORECASE)


def split_url(text: str) -> tuple[str, str | None]:
    """Separate the first URL from the rest of a message."""
    match = _URL.search(text)
    if not match:
        return text.strip(), None
    if match.group(1):
        url, end = match.group(1), match.end()
    else:
        url = match.group(2).rstrip(".,;:!?)]")
        end = match.start() + len(url)
    return (text[: match.start()] + text[end:]).strip(), url


async def obtain_news(
    drafting: DraftingService, articles: ArticleSource, *, text: str = "", url: str | None = None
) -> NewsItem:
    """A URL's article wins; text alone is the news itself; text is the fallback when the page fails.

    Checking the news (its language above all) runs in a worker thread, off the event loop."""
    text = (text or "").strip()
    if not url:
        if not text:
            raise InputError("Keine Meldung angegeben: bitte den Text der Nachricht oder eine URL schicken.")
        return await asyncio.to_thread(drafting.prepare_news, text)
    try:
        article = await articles.fetch(url)
    except NewsFetchError:
        if len(text) >= 200:  # enough pasted text to work from
            return await asyncio.to_thread(drafting.prepare_news, text, url=url)
        raise
    news = await asyncio.to_thread(drafting.prepare_news, article.text, url=article.url, title=article.title)
    return replace(news, outlet=article.outlet, published=article.published)
