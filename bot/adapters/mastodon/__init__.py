"""Mastodon: posting, metrics, amplifiers and the doctor check, on one shared client (Mastodon.py).

``build_mastodon(settings)`` makes all three ports on one client, so wiring needs three lines."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.adapters.mastodon.amplifiers import MastodonAmplifiers
from bot.adapters.mastodon.client import MastodonClient
from bot.adapters.mastodon.metrics import MastodonMetrics
from bot.adapters.mastodon.publisher import MastodonPublisher


@dataclass(frozen=True)
class MastodonAdapters:
    client: MastodonClient
    publisher: MastodonPublisher
    metrics: MastodonMetrics
    amplifiers: MastodonAmplifiers


def build_mastodon(settings: Any) -> MastodonAdapters:
    """Publisher, metrics and amplifier source of the configured account, sharing one client."""
    client = MastodonClient.from_settings(settings)
    return MastodonAdapters(client, MastodonPublisher(client), MastodonMetrics(client), MastodonAmplifiers(client))
