"""„Zur besten Zeit": the hour of the week whose posts had the best median engagement rate.

    best = best_hour(figures, now=clock.now(), tz=ZoneInfo(account.timezone), default=account.best_time)
    store(best.when_utc); say(best.reason)

`figures` are the account's posts (`PostFigures`: when posted, interactions ÷ impressions or None); the caller
reads them from storage. The hour is weekday + hour on the account's clock; only posts within `window_days`
before `now` with a known rate count, only hours with at least two of them compete, ties go to the hour with
more posts, then to the earlier one in the week (Monday 00:00 first). With fewer than `min_posts` usable posts
the account's `default` („Di 08:00") is used. `when_utc` is the next occurrence after `now`, daylight-saving
correct; `reason` says in German which hour was chosen and why.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from statistics import median
from zoneinfo import ZoneInfo

from bot.core.errors import ConfigError
from bot.core.planning.phrases import WEEKDAY_NAMES, WEEKDAY_SHORT, quote
from bot.core.planning.wall_time import resolve
from bot.core.text.numbers import de_float, de_int

_SLOT = re.compile(r"^(?P<day>[a-zäöü]+)\.?\s+(?P<hour>\d{1,2}):(?P<minute>\d{2})(?:\s*uhr)?$")


@dataclass(frozen=True)
class PostFigures:
    posted_at: datetime  # aware, UTC
    engagement_rate: float | None  # interactions ÷ impressions; None when unknown


@dataclass(frozen=True)
class WeeklyTime:
    weekday: int  # 0 = Monday
    hour: int
    minute: int = 0

    @property
    def label(self) -> str:
        """„Di 08:00 Uhr"."""
        return f"{WEEKDAY_SHORT[self.weekday]} {self.hour:02d}:{self.minute:02d} Uhr"


@dataclass(frozen=True)
class BestTime:
    slot: WeeklyTime
    when_utc: datetime  # the next occurrence after `now`
    reason: str  # German, for the thread
    learned: bool  # False: the account's default was used


def parse_weekly_time(text: str) -> WeeklyTime:
    """„Di 08:00" or „Dienstag 8:00" → WeeklyTime; raises ValueError with a German message (for settings, too)."""
    match = _SLOT.match(" ".join(text.casefold().split()))
    shorts = [s.casefold() for s in WEEKDAY_SHORT]
    if match:
        day, hour, minute = match["day"], int(match["hour"]), int(match["minute"])
        weekday = shorts.index(day) if day in shorts else WEEKDAY_NAMES.index(day) if day in WEEKDAY_NAMES else None
        if weekday is not None and hour < 24 and minute < 60:
            return WeeklyTime(weekday, hour, minute)
    raise ValueError(f"{quote(text)} ist keine Wochenzeit wie „Di 08:00“ (Wochentag und Uhrzeit)")


def next_occurrence(slot: WeeklyTime, *, now: datetime, tz: ZoneInfo) -> datetime:
    """The first instant after `now` (UTC) at which the account's clock shows the slot (or, skipped, just after)."""
    local_now = now.astimezone(tz)
    for days in range(8):
        day = local_now.date() + timedelta(days=days)
        if day.weekday() == slot.weekday:
            when = resolve(datetime.combine(day, time(slot.hour, slot.minute)), tz).utc
            if when > now:
                return when
    raise AssertionError("a weekly slot recurs within eight days")


def best_hour(posts: list[PostFigures], *, now: datetime, tz: ZoneInfo, default: str,
              window_days: int = 90, min_posts: int = 10) -> BestTime:
    """The best hour of the week from the posts' figures, or the account's default while there are too few."""
    since = now - timedelta(days=window_days)
    usable = [p for p in posts if since < p.posted_at <= now and _usable(p.engagement_rate)]
    by_hour: dict[tuple[int, int], list[float]] = defaultdict(list)
    for post in usable:
        local = post.posted_at.astimezone(tz)
        by_hour[(local.weekday(), local.hour)].append(post.engagement_rate or 0.0)
    candidates = {key: rates for key, rates in by_hour.items() if len(rates) >= 2}
    if len(usable) < min_posts or not candidates:
        slot = _default_slot(default)
        why = (f"erst {_posts(len(usable))} mit Zahlen, ab {de_int(min_posts)} wird gelernt"
               if len(usable) < min_posts else "keine Stunde mit mindestens 2 Posts mit Zahlen")
        return BestTime(slot, next_occurrence(slot, now=now, tz=tz), f"{slot.label}: Standardzeit des Kontos ({why})",
                        learned=False)
    (weekday, hour), rates = max(candidates.items(),
                                 key=lambda item: (median(item[1]), len(item[1]), -(item[0][0] * 24 + item[0][1])))
    slot = WeeklyTime(weekday, hour)
    reason = (f"{slot.label}: bester Median der Interaktionsrate ({de_float(median(rates) * 100)} % aus "
              f"{_posts(len(rates))}) unter {_posts(len(usable))} der letzten {de_int(window_days)} Tage")
    return BestTime(slot, next_occurrence(slot, now=now, tz=tz), reason, learned=True)


def _usable(rate: float | None) -> bool:
    return rate is not None and math.isfinite(rate) and rate >= 0


def _posts(count: int) -> str:
    return f"{de_int(count)} Post" if count == 1 else f"{de_int(count)} Posts"


def _default_slot(default: str) -> WeeklyTime:
    try:
        return parse_weekly_time(default)
    except ValueError as error:
        raise ConfigError(f"Die Standardzeit des Kontos ist ungültig: {error}.") from None

