"""Due work on time: each lane sleeps until its earliest due time, and is woken early when new work is scheduled.

A lane is one kind of due work (posts whose undo window ended, metric snapshots, the
daily summary) with two functions: ``next_due`` says when the next work is due (read
from the database, so a restart loses nothing) and ``run_due`` does whatever is due.
Every lane runs as its own asyncio task, so a long tracking catch-up never holds up a
post. A lane's failure is logged and the lane goes on after a short back-off; every
sleep is capped, so a clock jump or a missed wake delays work by minutes at most.

Nothing due is kept only in memory: the scheduler keeps no timers of its own beyond
the current sleep, and every plan starts by asking ``next_due`` again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from bot.core.clock import Clock
from bot.core.notices import Notice, Notifier

log = logging.getLogger(__name__)

MAX_SLEEP = timedelta(minutes=5)  # plan again at least this often (clock jumps, missed wakes)
ERROR_BACKOFF = timedelta(seconds=5)  # after a lane failed, before it plans again

RunDue = Callable[[], Awaitable[object]]
NextDue = Callable[[], Awaitable[datetime | None]]  # None: nothing scheduled


class SleepUntil(Protocol):
    def __call__(self, until: datetime, woken: asyncio.Event, *, lane: str) -> Awaitable[None]:
        """Return at ``until`` (by the clock) or as soon as ``woken`` is set, whichever comes first."""


def real_sleep(clock: Clock) -> SleepUntil:
    """Waiting in real time on the event loop."""

    async def sleep_until(until: datetime, woken: asyncio.Event, *, lane: str) -> None:
        seconds = (until - clock.now()).total_seconds()
        if seconds <= 0 or woken.is_set():
            return
        try:
            await asyncio.wait_for(woken.wait(), seconds)
        except TimeoutError:
            pass

    return sleep_until


@dataclass(eq=False)
class _Lane:
    name: str
    run_due: RunDue
    next_due: NextDue
    woken: asyncio.Event = field(default_factory=asyncio.Event)
    round_lock: asyncio.Lock = field(default_factory=asyncio.Lock)  # one round at a time (lane or run_once)
    task: asyncio.Task[None] | None = None
    failures: int = 0  # failed plans or rounds in a row (e.g. while the database server is down)


class Scheduler:
    def __init__(self, clock: Clock, *, sleep_until: SleepUntil | None = None, max_sleep: timedelta = MAX_SLEEP,
                 error_backoff: timedelta = ERROR_BACKOFF) -> None:
        self._clock = clock
        self._sleep_until = sleep_until or real_sleep(clock)
        self._max_sleep = max_sleep
        self._backoff = error_backoff
        self._lanes: dict[str, _Lane] = {}
        self._started = False
        self._stopping = False
        self._stopped = asyncio.Event()  # back-off naps end only on stop, not on a wake

    @property
    def lanes(self) -> list[str]:
        return list(self._lanes)

    def add_lane(self, name: str, run_due: RunDue, next_due: NextDue) -> None:
        if name in self._lanes:
            raise ValueError(f"lane {name!r} exists already")
        lane = _Lane(name, run_due, next_due)
        self._lanes[name] = lane
        if self._started and not self._stopping:
            lane.task = asyncio.create_task(self._run_lane(lane), name=f"scheduler lane {name}")

    def wake(self, name: str | None = None) -> None:
        """Something was scheduled: the lane (every lane if None) plans again now. Unknown names are ignored."""
        lanes = self._lanes.values() if name is None else [self._lanes[name]] if name in self._lanes else []
        for lane in lanes:
            lane.woken.set()

    def waker(self, name: str) -> Callable[[], None]:
        """``wake`` bound to one lane, to hand to a service (the lane may be added later)."""
        return lambda: self.wake(name)

    def start(self) -> None:
        """Start every lane's task (in a running event loop); starting twice does nothing."""
        if self._started:
            return
        self._started = True
        for lane in self._lanes.values():
            lane.task = asyncio.create_task(self._run_lane(lane), name=f"scheduler lane {lane.name}")

    async def stop(self, grace_seconds: float = 10.0) -> None:
        """Let running rounds finish (cancel them after ``grace_seconds``); sleeping lanes end at once."""
        self._stopping = True
        self._stopped.set()
        for lane in self._lanes.values():
            lane.woken.set()
        tasks = [lane.task for lane in self._lanes.values() if lane.task is not None and not lane.task.done()]
        if not tasks:
            return
        _, pending = await asyncio.wait(tasks, timeout=grace_seconds)
        for task in pending:
            log.warning("%s did not finish within %.0f s: cancelled", task.get_name(), grace_seconds)
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def run_once(self) -> None:
        """Run every lane's due work once, one lane after the other; failures are logged."""
        for lane in self._lanes.values():
            await self._round(lane)

    # --- one lane ---

    async def _run_lane(self, lane: _Lane) -> None:
        last_round: datetime | None = None
        while not self._stopping:
            lane.woken.clear()  # cleared before planning: a wake from here on is seen by the next plan
            try:
                due = await lane.next_due()
            except Exception as exc:
                self._failed(lane, "planning the due work", exc)
                await self._back_off(lane)
                continue
            now = self._clock.now()
            if due is not None and due <= now and last_round is not None and due <= last_round:
                # The last round should have done this: do not spin on it, plan again after a pause.
                log.warning("due work %s still due at %s after a round; pausing", lane.name, due.isoformat())
                last_round = None
                await self._nap(lane, now + self._backoff)
                continue
            if due is None or due > now:
                await self._nap(lane, now + self._max_sleep if due is None else min(due, now + self._max_sleep))
                continue
            if self._stopping:
                return
            if await self._round(lane):
                last_round = now
                if lane.failures:
                    log.info("due work %s works again after %d failures", lane.name, lane.failures)
                    lane.failures = 0
            else:
                last_round = None
                await self._back_off(lane)

    async def _round(self, lane: _Lane) -> bool:
        async with lane.round_lock:
            try:
                await lane.run_due()
            except Exception as exc:
                self._failed(lane, "due work", exc)
                return False
            return True

    @staticmethod
    def _failed(lane: _Lane, what: str, exc: Exception) -> None:
        """The first failure in a row with its traceback; the repeats of an outage in one line each."""
        lane.failures += 1
        if lane.failures == 1:
            log.exception("%s %s failed", what, lane.name)
        else:
            log.warning("%s %s failed again (%d in a row): %s: %s", what, lane.name, lane.failures,
                        type(exc).__name__, exc)

    async def _nap(self, lane: _Lane, until: datetime) -> None:
        await self._sleep_until(until, lane.woken, lane=lane.name)

    async def _back_off(self, lane: _Lane) -> None:
        """Pause after a failure: 5 s, doubling with every failure in a row, at most the longest sleep."""
        if not self._stopping:
            doublings = min(max(lane.failures - 1, 0), 20)  # capped before multiplying: no overflow in long outages
            pause = min(self._backoff * 2 ** doublings, self._max_sleep)
            await self._sleep_until(self._clock.now() + pause, self._stopped, lane=lane.name)


def in_sequence(*works: tuple[RunDue, NextDue]) -> tuple[RunDue, NextDue]:
    """Several kinds of due work as one lane: each round runs them in order (e.g. amplifier reads right
    after the metric snapshots whose numbers they need); the lane is due when the earliest of them is."""

    async def run_due() -> None:
        for run, _ in works:
            await run()

    async def next_due() -> datetime | None:
        times = [await next_time() for _, next_time in works]
        return min((t for t in times if t is not None), default=None)

    return run_due, next_due


class WakeOn:
    """A Notifier that wakes lanes on certain notices, then passes every notice on.

    E.g. ``WakeOn(announcer, {PostPublished: scheduler.waker("tracking")})``: a new post is enrolled
    for tracking at once instead of at the tracking lane's next planned round.
    """

    def __init__(self, inner: Notifier, wakes: Mapping[type, Callable[[], None]]) -> None:
        self._inner = inner
        self._wakes = dict(wakes)

    async def notify(self, notice: Notice) -> None:
        for kind, wake in self._wakes.items():
            if isinstance(notice, kind):
                wake()
        await self._inner.notify(notice)
