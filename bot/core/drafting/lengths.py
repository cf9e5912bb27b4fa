"""A draft's length on each network it may go to: X weighted 280, Bluesky 300 graphemes, Mastodon the instance's
limit (URLs counted as the instance reserves for them)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import partial

from bot.core.drafting.bluesky_length import BLUESKY_LIMIT, bluesky_length
from bot.core.drafting.mastodon_length import DEFAULT_LIMIT, DEFAULT_URL_CHARS, mastodon_length
from bot.core.drafting.xlength import MAX_WEIGHTED_LENGTH, weighted_length
from bot.core.networks import ORDER, Network


@dataclass(frozen=True)
class NetworkLimit:
    """How a network counts a text, and how much it takes."""

    network: Network
    limit: int
    measure: Callable[[str], int]


@dataclass(frozen=True)
class NetworkLength:
    """A draft's length on one network, against that network's limit."""

    network: Network
    length: int
    limit: int

    @property
    def fits(self) -> bool:
        return self.length <= self.limit

    @property
    def figure(self) -> str:
        """„121/280“."""
        return f"{self.length}/{self.limit}"


X_LIMIT = NetworkLimit(Network.X, MAX_WEIGHTED_LENGTH, weighted_length)
X_ONLY = (X_LIMIT,)


def limits_for(networks: Iterable[Network], *, mastodon_limit: int = DEFAULT_LIMIT,
               mastodon_url_chars: int = DEFAULT_URL_CHARS) -> tuple[NetworkLimit, ...]:
    """The limits of ``networks`` in the usual order; Mastodon's as the instance reported them."""
    chosen = set(networks)
    made = {
        Network.X: X_LIMIT,
        Network.BLUESKY: NetworkLimit(Network.BLUESKY, BLUESKY_LIMIT, bluesky_length),
        Network.MASTODON: NetworkLimit(Network.MASTODON, mastodon_limit,
                                       partial(mastodon_length, url_chars=mastodon_url_chars)),
    }
    return tuple(made[network] for network in ORDER if network in chosen)


def measure(text: str, limits: Sequence[NetworkLimit], *, x_length: int | None = None) -> tuple[NetworkLength, ...]:
    """``x_length``: X's weighted length of ``text`` when the caller has counted it already (the costliest count)."""
    def length(limit: NetworkLimit) -> int:
        if x_length is not None and limit.measure is weighted_length:
            return x_length
        return limit.measure(text)

    return tuple(NetworkLength(limit.network, length(limit), limit.limit) for limit in limits)


def too_long_for(lengths: Iterable[NetworkLength]) -> tuple[Network, ...]:
    return tuple(length.network for length in lengths if not length.fits)


def lengths_line(lengths: Sequence[NetworkLength]) -> str:
    """„121/280 X · 118/300 Bluesky“; just „121/280“ for X alone (as it always was)."""
    if len(lengths) == 1 and lengths[0].network is Network.X:
        return lengths[0].figure
    return " · ".join(f"{length.figure} {length.network.label}" for length in lengths)


def to_json(lengths: Iterable[NetworkLength]) -> dict[str, list[int]]:
    """{"x": [121, 280], …} for storage."""
    return {length.network.value: [length.length, length.limit] for length in lengths}


def from_json(stored: dict[str, list[int]] | None) -> tuple[NetworkLength, ...]:
    if not stored:
        return ()
    found = {Network(key): value for key, value in stored.items() if key in {n.value for n in Network}}
    return tuple(NetworkLength(network, *found[network]) for network in ORDER if network in found)
