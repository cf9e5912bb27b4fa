"""The syntax of configured times: schedules like '1h,6h,24h,48h,7d' and times of day like '18:00'.

Settings validate with these and services use the parsed values; nothing here knows either.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import time

UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
STEP_PATTERN = re.compile(r"^(\d+)\s*([smhd])$")


@dataclass(frozen=True)
class Step:
    label: str  # as configured, e.g. "6h"
    seconds: int


def parse_schedule(text: str) -> list[Step]:
    """'1h,6h,24h,48h,7d' -> steps sorted by time; raises ValueError with a German message."""
    steps: dict[int, Step] = {}
    for part in (p.strip().lower() for p in text.split(",")):
        if not part:
            continue
        match = STEP_PATTERN.match(part)
        if not match or int(match[1]) == 0:
            raise ValueError(f"METRICS_SCHEDULE: „{part}“ ist keine Dauer wie 30s, 15m, 6h oder 7d")
        seconds = int(match[1]) * UNIT_SECONDS[match[2]]
        steps.setdefault(seconds, Step(f"{int(match[1])}{match[2]}", seconds))
    if not steps:
        raise ValueError("METRICS_SCHEDULE ist leer (z. B. 1h,6h,24h,48h,7d)")
    return [steps[s] for s in sorted(steps)]


def parse_time_of_day(text: str) -> time:
    """'18:00' or '18:00:30'; raises ValueError with a German message."""
    parts = text.strip().split(":")
    try:
        if len(parts) not in (2, 3) or any(not p.isdigit() for p in parts):
            raise ValueError
        hour, minute, *second = (int(p) for p in parts)
        return time(hour, minute, second[0] if second else 0)
    except ValueError:
        raise ValueError(f"SUMMARY_TIME: „{text}“ ist keine Uhrzeit im Format HH:MM oder HH:MM:SS") from None


WEEKDAYS = ["montag", "dienstag", "mittwoch", "donnerstag", "freitag", "samstag", "sonntag"]
_ENGLISH = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


def parse_weekday(value: str) -> int | None:
    """„Montag" (or "monday") → 0 … 6; „aus"/"off"/empty → None (no weekly part)."""
    name = value.strip().casefold()
    if name in ("", "aus", "off", "none", "nie"):
        return None
    for names in (WEEKDAYS, _ENGLISH):
        if name in names:
            return names.index(name)
    raise ValueError(f"„{value}“ ist kein Wochentag (Montag … Sonntag, oder „aus“)")
