"""Local wall times of an account's time zone turned into real (UTC) instants, daylight-saving changes included.

A wall time that does not exist (the hour skipped in spring) moves to the first valid time after it; one that
exists twice (the hour repeated in autumn) takes the first occurrence. Both come with a German note to show.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.core.text.numbers import de_date


@dataclass(frozen=True)
class ResolvedTime:
    utc: datetime  # aware, UTC
    note: str | None  # German, when the daylight-saving change moved or disambiguated the wall time


def exists(wall: datetime, tz: ZoneInfo, *, fold: int = 0) -> bool:
    """Whether the naive wall time is shown on the clocks of `tz` (the hour skipped in spring is not)."""
    aware = wall.replace(tzinfo=tz, fold=fold)
    return aware.astimezone(UTC).astimezone(tz).replace(tzinfo=None) == wall


def is_ambiguous(wall: datetime, tz: ZoneInfo) -> bool:
    """Whether the naive wall time happens twice (the hour repeated in autumn)."""
    first, second = wall.replace(tzinfo=tz, fold=0), wall.replace(tzinfo=tz, fold=1)
    return exists(wall, tz) and first.utcoffset() != second.utcoffset()


def resolve(wall: datetime, tz: ZoneInfo) -> ResolvedTime:
    """The real instant of a local wall time in `tz` (read by its clock reading; a tzinfo on it is ignored)."""
    wall = wall.replace(tzinfo=None)
    clock = f"{wall:%H:%M} Uhr"
    if not exists(wall, tz):
        moved = wall.replace(second=0, microsecond=0)
        while not exists(moved, tz):  # a gap lasts at most a few hours: walk to its end by minutes
            moved += timedelta(minutes=1)
        return ResolvedTime(moved.replace(tzinfo=tz).astimezone(UTC),
                            f"{clock} gibt es am {de_date(wall.date())} wegen der Zeitumstellung nicht "
                            f"– geplant für {moved:%H:%M} Uhr.")
    if is_ambiguous(wall, tz):
        return ResolvedTime(wall.replace(tzinfo=tz, fold=0).astimezone(UTC),
                            f"{clock} gibt es am {de_date(wall.date())} wegen der Zeitumstellung zweimal "
                            f"– geplant für das erste Mal (vor der Umstellung).")
    return ResolvedTime(wall.replace(tzinfo=tz).astimezone(UTC), None)
