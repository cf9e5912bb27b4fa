"""Where a question comes from, as the reply under our post says it: „Quelle: <Medium>, <Datum> <URL>".

X bills a post with a link far more than one without (see README, „Kosten"): the link goes into this reply,
never into the question itself.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from bot.core.drafting.models import NewsItem
from bot.core.text.numbers import de_date
from bot.core.text.untrusted import one_paragraph, plain_line

OUTLET_CHARS = 60  # an outlet name from a page's metadata is untrusted: one short line


def host_name(url: str) -> str:
    """The URL's host without a leading www. ('https://www.tagesschau.de/x' -> 'tagesschau.de')."""
    host = (urlsplit(url).hostname or "").lower()
    return host.removeprefix("www.")


def outlet_of(news: NewsItem) -> str:
    """The medium: its name from the article's metadata, else the link's host name; '' without either."""
    name = plain_line(one_paragraph(news.outlet or "")).lstrip("@ ")  # a leading @ would be a handle on X
    if name:
        return name if len(name) <= OUTLET_CHARS else name[: OUTLET_CHARS - 1].rstrip() + "…"
    return host_name(news.url) if news.url else ""


def source_label(news: NewsItem) -> str:
    """'tagesschau.de, 24.11.2026' (no date when the article gives none)."""
    outlet = outlet_of(news)
    return f"{outlet}, {de_date(news.published)}" if news.published else outlet


def source_line(news: NewsItem) -> str | None:
    """The reply's text: 'Quelle: tagesschau.de, 24.11.2026 https://…'; None for pasted text without a link."""
    if not news.url:
        return None
    return one_paragraph(f"Quelle: {source_label(news)} {news.url}")
