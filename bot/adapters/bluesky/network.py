"""One Bluesky account's publisher, metrics and amplifier source on one shared client (for bot/wiring.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.adapters.bluesky.amplifiers import BlueskyAmplifiers
from bot.adapters.bluesky.client import BlueskyClient
from bot.adapters.bluesky.metrics import BlueskyMetrics
from bot.adapters.bluesky.publisher import BlueskyPublisher


@dataclass(frozen=True)
class BlueskyNetwork:
    client: BlueskyClient
    publisher: BlueskyPublisher
    metrics: BlueskyMetrics
    amplifiers: BlueskyAmplifiers


def build_bluesky(settings: Any, *, allowed_handles: set[str] | None = None) -> BlueskyNetwork:
    """``allowed_handles``: Bluesky handles (``name.bsky.social``) that may become mentions in our posts."""
    client = BlueskyClient.from_settings(settings)
    return BlueskyNetwork(client, BlueskyPublisher(client, allowed_handles=allowed_handles),
                          BlueskyMetrics(client), BlueskyAmplifiers(client))
