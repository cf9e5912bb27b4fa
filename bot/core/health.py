"""Is the bot alive? Signs of life the running bot leaves in the database, and the check that reads them.

The running bot writes a heartbeat (component ``bot``) at most once a minute from its own scheduler lane, and
the gateway's state (component ``gateway``) whenever it connects, resumes, drops or stops. `spitzfeder health`
and ``GET /healthz`` read both: healthy means the database answers, the gateway is connected and the last
heartbeat is at most ``MAX_SILENCE`` old.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from bot.core.clock import Clock

log = logging.getLogger(__name__)

BEAT_EVERY = timedelta(minutes=1)  # the heartbeat's period
MAX_SILENCE = timedelta(minutes=3)  # a heartbeat older than this: the bot is stuck or gone

LIFE = "bot"
GATEWAY = "gateway"
CONNECTED, DISCONNECTED, STOPPED = "connected", "disconnected", "stopped"


@dataclass(frozen=True)
class Beat:
    component: str
    at: datetime
    state: str | None = None


class HeartbeatStore(Protocol):
    async def write(self, component: str, at: datetime, state: str | None = None) -> None:
        """Set the component's latest sign of life (one row per component)."""

    async def read_all(self) -> Mapping[str, Beat]: ...


class Presence:
    """What the running bot says about itself: a heartbeat lane for the scheduler, and the gateway's state.

    A failed write is logged and never stops the bot: a missing heartbeat is exactly what the check reports.
    """

    def __init__(self, store: HeartbeatStore, clock: Clock, *, every: timedelta = BEAT_EVERY) -> None:
        self._store = store
        self._clock = clock
        self._every = every
        self._last: datetime | None = None
        self._failing = False

    async def next_due(self) -> datetime:
        return self._clock.now() if self._last is None else self._last + self._every

    async def run_due(self) -> None:
        now = self._clock.now()
        self._last = now  # a failed write is tried again a period later, not in a tight loop
        try:
            await self._store.write(LIFE, now)
        except Exception as exc:
            if not self._failing:
                log.warning("could not write the heartbeat: %s: %s", type(exc).__name__, exc)
            self._failing = True
            return
        if self._failing:
            log.info("the heartbeat is written again")
        self._failing = False

    async def gateway(self, state: str) -> None:
        try:
            await self._store.write(GATEWAY, self._clock.now(), state)
        except Exception as exc:
            log.warning("could not record the gateway as %s: %s: %s", state, type(exc).__name__, exc)


@dataclass(frozen=True)
class HealthReport:
    problems: list[str]
    facts: dict[str, object] = field(default_factory=dict)  # for /healthz: gateway state, heartbeat age

    @property
    def ok(self) -> bool:
        return not self.problems

    def lines(self) -> list[str]:
        if self.problems:
            return self.problems
        return [f"OK: Gateway verbunden, letztes Lebenszeichen vor {ago(self.facts.get('heartbeat_age_seconds'))}"]


def ago(seconds: object) -> str:
    """A short German duration: '40 s', '7 min', '5 h', '3 Tagen' (reads after 'seit' and 'vor')."""
    total = int(seconds) if isinstance(seconds, int | float) else 0
    if total < 60:
        return f"{max(total, 0)} s"
    if total < 120 * 60:
        return f"{total // 60} min"
    if total < 48 * 3600:
        return f"{total // 3600} h"
    return f"{total // 86400} Tagen"


def assess(beats: Mapping[str, Beat], now: datetime, *, max_silence: timedelta = MAX_SILENCE) -> HealthReport:
    problems: list[str] = []
    facts: dict[str, object] = {}
    life, gateway = beats.get(LIFE), beats.get(GATEWAY)
    silent = life is None or now - life.at > max_silence
    if life is None:
        problems.append("Kein Lebenszeichen: der Bot lief mit dieser Datenbank noch nie")
    else:
        age = max((now - life.at).total_seconds(), 0.0)
        facts["heartbeat_age_seconds"] = round(age)
        if silent:
            problems.append(f"Kein Lebenszeichen seit {ago(age)}")
    if gateway is not None:
        facts["gateway"] = gateway.state
    if gateway is None:
        if life is not None:
            problems.append("Gateway nicht verbunden: noch keine Verbindung zu Discord")
    elif gateway.state != CONNECTED:
        why = " (Bot beendet)" if gateway.state == STOPPED else ""
        problems.append(f"Gateway nicht verbunden seit {ago((now - gateway.at).total_seconds())}{why}")
    # A stale heartbeat makes a recorded "connected" meaningless: the silence alone is reported then.
    return HealthReport(problems, facts)


async def check(store: HeartbeatStore, clock: Clock, *, max_silence: timedelta = MAX_SILENCE) -> HealthReport:
    """The whole check: the database answers, the gateway is connected, the heartbeat is recent."""
    try:
        beats = await store.read_all()
    except Exception as exc:
        return HealthReport([f"Datenbank antwortet nicht: {short_error(exc)}"])
    return assess(beats, clock.now(), max_silence=max_silence)


def short_error(exc: BaseException) -> str:
    text = " ".join(str(getattr(exc, "orig", None) or exc).split())
    text = text.split("[SQL:")[0].strip()
    return f"{type(exc).__name__}: {text[:200]}" if text else type(exc).__name__
