"""Where an approved draft goes: the active networks, less those approvers left out and those it is too long for."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from bot.core.conversation.records import DraftEntry
from bot.core.networks import ORDER, Network


def targets(entry: DraftEntry, active: Sequence[Network], off: Collection[Network] = ()) -> tuple[Network, ...]:
    """The networks ``entry`` goes to when approved, in the usual order."""
    too_long = set(entry.too_long_for)
    return tuple(network for network in ORDER if network in active and network not in off
                 and network not in too_long)


def too_long_among(entry: DraftEntry, active: Sequence[Network]) -> tuple[Network, ...]:
    """The active networks ``entry`` is too long for."""
    return tuple(network for network in entry.too_long_for if network in active)
