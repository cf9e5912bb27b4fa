"""The monthly X read budget (X_READ_BUDGET_MONTH): every X request is counted, and metric reads
are rationed: near the cap tracking thins out, at the cap it stops until the month is over.

Reads are counted in posts or users returned (what X bills), per UTC month. The team is
told once per month when tracking thins out and once when the budget is used up.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Generic, Protocol, TypeVar

from bot.core.notices import Announcement, Notifier
from bot.core.text.numbers import de_int

THIN_AT = 0.8  # share of the monthly read budget from which tracking thins out

# Only X's reads are budgeted: the notices say so, and name the other networks that go on (``{others}``).
THIN_NOTICE = ("📉 Das X-Lesebudget (X_READ_BUDGET_MONTH) ist zu {used} von {budget} Abrufen verbraucht: "
               "das Tracking auf X wird ausgedünnt, nur noch der erste und der letzte Messpunkt je Post werden "
               "von X abgefragt{others}.")
EXHAUSTED_NOTICE = ("⛔ Das X-Lesebudget (X_READ_BUDGET_MONTH = {budget}) ist für diesen Monat aufgebraucht: "
                    "bis zum Monatsende werden keine Zahlen mehr von X abgefragt{others}. "
                    "Budget erhöhen oder den Monat abwarten.")
OFF_NOTICE = "X_READ_BUDGET_MONTH ist 0: es werden keine Zahlen von X abgefragt{others}."


def others_go_on(networks: Sequence[str]) -> str:
    """„; Bluesky und Mastodon laufen weiter“ for the other active networks (their labels), or nothing."""
    if not networks:
        return ""
    names = networks[0] if len(networks) == 1 else f"{', '.join(networks[:-1])} und {networks[-1]}"
    return f"; {names} {'läuft' if len(networks) == 1 else 'laufen'} weiter"

_THINNED, _EXHAUSTED = 1, 2  # notice levels: what the team has been told this month

T = TypeVar("T")


class UsageRecorder(Protocol):
    async def record(self, kind: str, *, items: int = 0, cost: float = 0.0) -> None:
        """Count one X request: kind "read" (``items`` posts or users read) or "write"; ``cost``: its estimated
        dollars (bot.core.reach.prices)."""


class UsageStore(Protocol):
    async def reads_in_month(self, now: datetime) -> int:
        """Read items counted in the month of ``now`` (UTC)."""

    async def budget_notice_level(self, now: datetime) -> int: ...

    async def set_budget_notice_level(self, now: datetime, level: int) -> None: ...


@dataclass
class Ration(Generic[T]):
    allowed: list[T]
    thinned: list[T] = field(default_factory=list)  # left out because the budget is nearly used up
    refused: list[T] = field(default_factory=list)  # left out because it is used up


class ReadBudget:
    def __init__(self, store: UsageStore, notifier: Notifier, monthly: int, *,
                 other_networks: Sequence[str] = ()) -> None:
        """``other_networks``: the labels of the active networks besides X (their tracking goes on)."""
        self._others = others_go_on(other_networks)
        self._store = store
        self._notifier = notifier
        self._monthly = monthly

    async def has_room(self, now: datetime) -> bool:
        return self._monthly > 0 and await self._store.reads_in_month(now) < self._monthly

    async def room_beside_metrics(self, items: int, now: datetime) -> bool:
        """Room for reads that come after metric snapshots (amplifiers, lists, followers): ``items`` more must
        stay below the share from which tracking thins out, so these stop first."""
        if self._monthly <= 0:
            return False
        return await self._store.reads_in_month(now) + items <= THIN_AT * self._monthly

    async def ration(self, wanted: Sequence[T], now: datetime, *, thinnable: Callable[[T], bool]) -> Ration[T]:
        """Which of ``wanted`` (one read each) may be read now; near the cap ``thinnable`` ones are left out."""
        if not wanted:
            return Ration([])
        used = await self._store.reads_in_month(now)
        if self._monthly <= 0 or used >= self._monthly:
            await self._say_once(now, _EXHAUSTED, OFF_NOTICE if self._monthly <= 0 else EXHAUSTED_NOTICE, used)
            return Ration([], refused=list(wanted))
        thinned: list[T] = []
        kept = list(wanted)
        if used + len(kept) > THIN_AT * self._monthly:
            thinned = [item for item in kept if thinnable(item)]
            kept = [item for item in kept if not thinnable(item)]
            if thinned:
                await self._say_once(now, _THINNED, THIN_NOTICE, used)
        room = self._monthly - used
        if len(kept) > room:
            await self._say_once(now, _EXHAUSTED, EXHAUSTED_NOTICE, used)
        return Ration(kept[:room], thinned, kept[room:])

    async def _say_once(self, now: datetime, level: int, template: str, used: int) -> None:
        if await self._store.budget_notice_level(now) >= level:
            return
        await self._store.set_budget_notice_level(now, level)
        await self._notifier.notify(Announcement(template.format(used=de_int(used), budget=de_int(self._monthly),
                                                                   others=self._others)))
