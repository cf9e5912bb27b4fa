"""A post's public numbers, the figures derived from them and their German wording."""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.text.numbers import de_float, de_int


@dataclass(frozen=True, slots=True)
class Metrics:
    retweets: int = 0
    likes: int = 0
    replies: int = 0
    quotes: int = 0
    bookmarks: int = 0
    impressions: int = 0

    @property
    def interactions(self) -> int:
        return self.likes + self.retweets + self.replies + self.quotes

    def minus(self, other: Metrics) -> Metrics:
        return Metrics(*(a - b for a, b in zip(_values(self), _values(other), strict=True)))

    def plus(self, other: Metrics) -> Metrics:
        return Metrics(*(a + b for a, b in zip(_values(self), _values(other), strict=True)))


def _values(metrics: Metrics) -> tuple[int, ...]:
    return (metrics.retweets, metrics.likes, metrics.replies, metrics.quotes, metrics.bookmarks, metrics.impressions)


def multiplier(metrics: Metrics, followers_at_post: int | None) -> float | None:
    """Impressions per follower the account had when it posted."""
    if not followers_at_post:
        return None
    return metrics.impressions / followers_at_post


def repost_share(metrics: Metrics) -> float | None:
    return (metrics.retweets + metrics.quotes) / metrics.impressions if metrics.impressions else None


def engagement_rate(metrics: Metrics) -> float | None:
    return metrics.interactions / metrics.impressions if metrics.impressions else None


def _count(value: int, one: str, many: str) -> str:
    return f"{de_int(value)} {one if value == 1 else many}"


def describe(metrics: Metrics) -> str:
    """'12 Reposts, 30 Likes, 4 Antworten, 2 Zitate, 1.204 Impressionen'."""
    return ", ".join([
        _count(metrics.retweets, "Repost", "Reposts"),
        _count(metrics.likes, "Like", "Likes"),
        _count(metrics.replies, "Antwort", "Antworten"),
        _count(metrics.quotes, "Zitat", "Zitate"),
        _count(metrics.impressions, "Impression", "Impressionen"),
    ])


def format_multiplier(value: float | None) -> str:
    return "–" if value is None else f"{de_float(value)}×"


def format_percent(value: float | None) -> str:
    return "–" if value is None else f"{de_float(value * 100)} %"


def signed(value: int) -> str:
    return f"+{de_int(value)}" if value >= 0 else f"−{de_int(-value)}"
