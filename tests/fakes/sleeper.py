"""A waiter for the Scheduler that never sleeps in real time: the test sees every nap and ends it."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from tests.fakes.clock import FakeClock


@dataclass(eq=False)
class Nap:
    lane: str
    until: datetime
    woken: asyncio.Event  # the lane's wake event (or the scheduler's stop event for a back-off)
    elapsed: asyncio.Event = field(default_factory=asyncio.Event)
    ended_by: str | None = None  # "time" or "wake"


class FakeSleeper:
    """``sleep_until`` for the Scheduler: records each nap; ``advance_to`` moves the clock and ends the naps
    that are over by then."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.naps: list[Nap] = []
        self._new: defaultdict[str, asyncio.Queue[Nap]] = defaultdict(asyncio.Queue)

    async def __call__(self, until: datetime, woken: asyncio.Event, *, lane: str) -> None:
        nap = Nap(lane, until, woken)
        self.naps.append(nap)
        if until <= self.clock.now():
            nap.elapsed.set()
        self._new[lane].put_nowait(nap)
        time_up = asyncio.ensure_future(nap.elapsed.wait())
        wake = asyncio.ensure_future(woken.wait())
        try:
            await asyncio.wait({time_up, wake}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            time_up.cancel()
            wake.cancel()
        nap.ended_by = "time" if nap.elapsed.is_set() else "wake"

    async def next_nap(self, lane: str, timeout: float = 5.0) -> Nap:
        """The lane's next nap (waits until the lane lies down; ``timeout`` only guards against a hang)."""
        return await asyncio.wait_for(self._new[lane].get(), timeout)

    def advance_to(self, moment: datetime) -> None:
        """Set the clock; every nap that is over by then ends."""
        self.clock.current = moment
        for nap in self.naps:
            if nap.until <= moment:
                nap.elapsed.set()
