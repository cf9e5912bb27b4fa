"""The networks a post can go to, with the names and reaction emoji users see."""

from __future__ import annotations

import enum


class Network(str, enum.Enum):
    X = "x"
    BLUESKY = "bluesky"
    MASTODON = "mastodon"

    @property
    def label(self) -> str:
        return _LABELS[self]

    @property
    def emoji(self) -> str:
        return _EMOJI[self]

    @classmethod
    def from_emoji(cls, emoji: str) -> Network | None:
        return next((network for network, mark in _EMOJI.items() if mark == emoji), None)


_LABELS = {Network.X: "X", Network.BLUESKY: "Bluesky", Network.MASTODON: "Mastodon"}
_EMOJI = {Network.X: "🐦", Network.BLUESKY: "🦋", Network.MASTODON: "🐘"}
ORDER = (Network.X, Network.BLUESKY, Network.MASTODON)  # the order networks are listed in


def labels(networks: object) -> str:
    """„X, Bluesky“ in the usual order."""
    chosen = set(networks)  # type: ignore[call-overload]
    return ", ".join(network.label for network in ORDER if network in chosen)
