"""A post's public numbers, the figures derived from them and their German wording.

Two multipliers, one per kind of network:
- X reports impressions: its „Multiplikator“ is impressions ÷ our followers at posting (``multiplier``).
- Bluesky and Mastodon report none: their „Reichweiten-Multiplikator“ is the combined followers of the
  accounts that reposted or quoted the post (the amplifiers read so far) ÷ our followers at posting
  (``reach_multiplier``). ``network_multiplier`` picks the right one, ``multiplier_name`` says which it is.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.networks import Network
from bot.core.text.numbers import de_float, de_int

MULTIPLIER = "Multiplikator"  # X: impressions per follower
REACH_MULTIPLIER = "Reichweiten-Multiplikator"  # Bluesky, Mastodon: amplifiers' followers per follower


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


def reach_multiplier(metrics: Metrics, carried_followers: int | None, followers_at_post: int | None) -> float | None:
    """The combined followers of the accounts that carried the post per follower we had when it went out.

    0 when nobody reposted or quoted it; unknown (None) while it has reposts or quotes but no amplifier's
    followers are known yet (amplifiers are first read hours after the first follow-up)."""
    if not followers_at_post:
        return None
    if not metrics.retweets and not metrics.quotes:
        return 0.0
    if not carried_followers:
        return None
    return carried_followers / followers_at_post


def counts_impressions(network: Network) -> bool:
    """Whether the network reports impressions (only X does)."""
    return network is Network.X


def multiplier_name(network: Network) -> str:
    return MULTIPLIER if counts_impressions(network) else REACH_MULTIPLIER


def network_multiplier(network: Network, metrics: Metrics, followers_at_post: int | None,
                       carried_followers: int | None) -> float | None:
    """X: impressions-based; Bluesky and Mastodon: amplifier-based (None while unknown, see ``reach_multiplier``)."""
    if counts_impressions(network):
        return multiplier(metrics, followers_at_post)
    return reach_multiplier(metrics, carried_followers, followers_at_post)


def repost_share(metrics: Metrics) -> float | None:
    return (metrics.retweets + metrics.quotes) / metrics.impressions if metrics.impressions else None


def engagement_rate(metrics: Metrics) -> float | None:
    return metrics.interactions / metrics.impressions if metrics.impressions else None


def _count(value: int, one: str, many: str) -> str:
    return f"{de_int(value)} {one if value == 1 else many}"


def describe(metrics: Metrics, *, impressions: bool = True) -> str:
    """'12 Reposts, 30 Likes, 4 Antworten, 2 Zitate, 1.204 Impressionen' (without the last for networks that
    report no impressions)."""
    parts = [
        _count(metrics.retweets, "Repost", "Reposts"),
        _count(metrics.likes, "Like", "Likes"),
        _count(metrics.replies, "Antwort", "Antworten"),
        _count(metrics.quotes, "Zitat", "Zitate"),
    ]
    if impressions:
        parts.append(_count(metrics.impressions, "Impression", "Impressionen"))
    return ", ".join(parts)


def format_multiplier(value: float | None) -> str:
    return "–" if value is None else f"{de_float(value)}×"


def format_percent(value: float | None) -> str:
    return "–" if value is None else f"{de_float(value * 100)} %"


def signed(value: int) -> str:
    return f"+{de_int(value)}" if value >= 0 else f"−{de_int(-value)}"
