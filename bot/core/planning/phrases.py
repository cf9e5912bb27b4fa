"""German time phrases for planned posts, read in the account's time zone.

    now, tz = clock.now(), ZoneInfo(account.timezone)
    plan = parse_plan(message_text, now=now, tz=tz)          # InputError → show its user_message in the thread
    if plan.best_time:                                       # „zur besten Zeit"
        best = best_time.best_hour(figures, now=now, tz=tz, default=account.best_time)
        when, remarks = best.when_utc, [best.reason]
    else:
        when, remarks = plan.when_utc, list(plan.notes)
    store(when); say(describe_plan(when, now=now, tz=tz), *remarks)

`parse_plan` raises `InputError` (German, safe to show) for empty, unreadable, past and too distant times.
`check_window` applies the same limits to an instant found otherwise (the best time, a re-planned stale post);
`describe_plan` is the one display form of a planned instant for status lines, notices and `/warteschlange`.

Forms: „heute 14:30", „heute um 14 Uhr", „morgen 8:00", „morgen früh 8", „heute abend 8", „übermorgen 9 Uhr",
„Mo 7:30", „Montag 7:30", „am Dienstag um 8", „in 2 Stunden", „in 30 Minuten", „in einer Stunde", „30.11. 14:00",
„1.12.2026 8:00", „14:30", „heute 14.30 Uhr", „in 2 Tagen 14:00", „zur besten Zeit"; month names and other date
words („3. Dezember 14:00") go to dateparser.

The clock time is read by an explicit rule, because dateparser misreads „N Uhr" (the hour is lost: „heute um 14 Uhr"
gives 12:00, „Dienstag 8 Uhr" the 8th of the month) and gives a bare „14:30" a date weeks away. Day words, weekdays
and numeric dates are explicit too: dateparser knows no „morgen früh" or „am Dienstag um 8", sends „Mo 13:00" on a
Monday to next week although today's 13:00 is still ahead, and moves a numeric date that has passed to next year.
Relative phrases („in 2 Stunden") are measured by dateparser as an offset and added in real time, so two hours
across a daylight-saving change are two real hours; whole days („in 2 Tagen") keep the clock time.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.core.errors import InputError
from bot.core.planning.wall_time import is_ambiguous, resolve
from bot.core.text.untrusted import plain_line

MAX_AHEAD = timedelta(days=60)
MAX_INPUT = 200  # characters; a time phrase is short, longer text is not parsed at all
ECHO_LIMIT = 60
EXAMPLES = "„heute 14:30“, „morgen 8:00“, „Mo 7:30“, „in 2 Stunden“, „30.11. 14:00“ oder „zur besten Zeit“"

WEEKDAY_NAMES = ["montag", "dienstag", "mittwoch", "donnerstag", "freitag", "samstag", "sonntag"]
WEEKDAY_SHORT = ["Mo", "Di", "Mi", "Do", "Fr", "Sa", "So"]
DAY_WORDS = {"heute": 0, "morgen": 1, "übermorgen": 2, "uebermorgen": 2}
# Parts of the day: 12 hours are added to an hour in [low, high) („abends 8" → 20:00, „nachts 11" → 23:00).
_MORNING, _AFTERNOON, _NOON, _NIGHT = (0, 0), (0, 12), (0, 6), (6, 12)
PARTS = {"früh": _MORNING, "morgens": _MORNING, "vormittag": _MORNING, "vormittags": _MORNING,
         "mittag": _NOON, "mittags": _NOON, "nachmittag": _AFTERNOON, "nachmittags": _AFTERNOON,
         "abend": _AFTERNOON, "abends": _AFTERNOON, "nacht": _NIGHT, "nachts": _NIGHT}
_PART = "|".join(sorted(PARTS, key=len, reverse=True))

_BEST = re.compile(r"^(?:zur |die |zu der )?besten? zeit$")
_CLOCK = re.compile(rf"(?:^|\s)(?:(?P<part>{_PART})\s+)?(?P<um>um\s+)?(?P<hour>\d{{1,2}})"
                    rf"(?:(?P<sep>[:.])(?P<minute>\d{{2}}))?(?:\s*(?P<uhr>uhr))?(?:\s+(?P<after>{_PART}))?$")
_DATE = re.compile(r"^(?P<day>\d{1,2})\.(?P<month>\d{1,2})\.(?P<year>\d{4}|\d{2})?$")
_DAYS_ONLY = re.compile(r"^in \S+ (?:tag|tagen|woche|wochen)$")
_LEADING = re.compile(r"^(?:am|nächsten|nächster|kommenden|kommender)\s+")


@dataclass(frozen=True)
class PlannedTime:
    """A parsed plan: an instant (`when_utc`, `local` for display) or the request for the account's best time."""

    when_utc: datetime | None  # aware UTC; None when `best_time`
    local: datetime | None  # the same instant on the account's clock
    best_time: bool = False
    notes: tuple[str, ...] = ()  # German remarks worth showing (daylight-saving moves, „heute schon vorbei")


def quote(text: str) -> str:
    """Untrusted text for a message: one line, at most ECHO_LIMIT characters, in German quotes."""
    line = plain_line(text)
    return f"„{line[:ECHO_LIMIT]}…“" if len(line) > ECHO_LIMIT else f"„{line}“"


def parse_plan(text: str, *, now: datetime, tz: ZoneInfo) -> PlannedTime:
    """A German time phrase → the planned instant; raises InputError with a German message."""
    phrase = " ".join(unicodedata.normalize("NFC", text).replace(",", " ").casefold().split())
    if not phrase:
        raise InputError(f"Bitte eine Zeit angeben, z. B. {EXAMPLES}.")
    if len(phrase) > MAX_INPUT:
        raise InputError(f"Das ist zu lang für eine Zeitangabe. Möglich sind z. B. {EXAMPLES}.")
    if _BEST.match(phrase):
        return PlannedTime(None, None, best_time=True)
    notes: tuple[str, ...] = ()
    if phrase.startswith("in ") and not _CLOCK.search(phrase):  # „in 2 Tagen 14:00" is a day and a clock time
        when = _relative(phrase, now, tz)
    else:
        when, notes = _absolute(phrase, now, tz)
    if when is None:
        raise InputError(f"{quote(text)} verstehe ich nicht als Zeitpunkt. Möglich sind z. B. {EXAMPLES}.")
    check_window(when, now=now, tz=tz, said=text)
    return PlannedTime(when, when.astimezone(tz), notes=notes)


def check_window(when_utc: datetime, *, now: datetime, tz: ZoneInfo, said: str | None = None) -> None:
    """Refuse (InputError) an instant that is not in the future or more than 60 days ahead."""
    shown = describe_plan(when_utc, now=now, tz=tz)
    subject = f"{quote(said)} ({shown})" if said is not None else shown
    if when_utc <= now:
        raise InputError(f"{subject} liegt in der Vergangenheit. Bitte eine Zeit in der Zukunft angeben.")
    if when_utc - now > MAX_AHEAD:
        raise InputError(f"{subject} liegt mehr als 60 Tage in der Zukunft; so weit im Voraus wird nicht geplant.")


def _relative(phrase: str, now: datetime, tz: ZoneInfo) -> datetime | None:
    """„in 2 Stunden": dateparser measures the offset, which is added in real time (or on the wall clock for days)."""
    phrase = phrase.replace("einer halben stunde", "30 minuten")  # dateparser does not know the half hour
    # Measured in UTC: in the account's zone dateparser shifts results that cross a daylight-saving change.
    base = now.astimezone(UTC).replace(tzinfo=None)
    parsed = _dateparser(phrase, base, ZoneInfo("UTC"))
    if parsed is None:
        return None
    offset = parsed.replace(tzinfo=None) - base
    if offset <= timedelta(0):  # „in 5" is read as the 5th of this month: not an offset
        return None
    if _DAYS_ONLY.match(phrase):  # „in 2 Tagen" at 12:00 is 12:00, also across a daylight-saving change
        return resolve(now.astimezone(tz).replace(tzinfo=None) + offset, tz).utc
    return now.astimezone(UTC) + offset


def _absolute(phrase: str, now: datetime, tz: ZoneInfo) -> tuple[datetime | None, tuple[str, ...]]:
    """A clock time with an optional day: „morgen früh 8", „am Dienstag um 8", „30.11. 14:00", „14:30"."""
    match = _CLOCK.search(phrase)
    if match is None:
        return None, ()
    day_text = phrase[:match.start()].strip()
    part = match["part"] or match["after"]
    words = day_text.split()
    if not part and len(words) >= 2 and (words[-1] in PARTS or words[-2:] == ["heute", "morgen"]):
        part = "früh" if words[-1] == "morgen" else words[-1]  # „heute morgen 8", „morgen abend 8"
        day_text = " ".join(words[:-1])
    if match["minute"] is None and not (match["um"] or match["uhr"] or part):
        return None, ()  # a bare number is no clock time
    if match["sep"] == "." and not match["uhr"]:
        return None, ()  # „14.30 Uhr" is a clock time, a bare „14.30" could be a date
    hour, minute = int(match["hour"]), int(match["minute"] or 0)
    if part and PARTS[part][0] <= hour < PARTS[part][1]:
        hour += 12
    if hour > 23 or minute > 59:
        return None, ()
    clock = time(hour, minute)
    local_now = now.astimezone(tz)
    notes: list[str] = []
    if not day_text:  # a bare clock time: today if still ahead, else tomorrow
        day = local_now.date()
        if datetime.combine(day, clock) <= local_now.replace(tzinfo=None):
            day += timedelta(days=1)
            notes.append(f"{clock:%H:%M} Uhr ist heute schon vorbei – geplant für morgen.")
    else:
        found = _day(_LEADING.sub("", day_text), local_now, clock, tz)
        if found is None:
            return None, ()
        day = found
    resolved = resolve(datetime.combine(day, clock), tz)
    if resolved.note:
        notes.append(resolved.note)
    return resolved.utc, tuple(notes)


def _day(text: str, local_now: datetime, clock: time, tz: ZoneInfo) -> date | None:
    today = local_now.date()
    if text in DAY_WORDS:
        return today + timedelta(days=DAY_WORDS[text])
    if _DAYS_ONLY.match(text):  # „in 2 Tagen 14:00"; dateparser knows the number words („in einer Woche")
        parsed = _dateparser(text, datetime.combine(today, time()), ZoneInfo("UTC"))
        return parsed.date() if parsed is not None and parsed.date() > today else None
    weekday = _weekday(text)
    if weekday is not None:  # the next such day; today only while the time is still ahead
        ahead = (weekday - today.weekday()) % 7
        if ahead == 0 and datetime.combine(today, clock) <= local_now.replace(tzinfo=None):
            ahead = 7
        return today + timedelta(days=ahead)
    numeric = _DATE.match(text)
    if numeric:
        return _numeric_date(numeric, today)
    parsed = _dateparser(text, local_now.replace(tzinfo=None), tz)  # month names and other long-tail forms
    return parsed.date() if parsed is not None else None


def _weekday(text: str) -> int | None:
    name = text.rstrip(".")
    if name in WEEKDAY_NAMES:
        return WEEKDAY_NAMES.index(name)
    short = [s.casefold() for s in WEEKDAY_SHORT]
    return short.index(name) if name in short else None


def _numeric_date(match: re.Match[str], today: date) -> date | None:
    """„1.12.2026" or „1.12.26" is that day; „30.11." this year's, or next year's once it is half a year past
    (a date a few days past stays in this year, to be refused as past rather than planned a year ahead)."""
    year = int(match["year"]) if match["year"] else today.year
    if match["year"] and len(match["year"]) == 2:
        year += 2000
    try:
        day = date(year, int(match["month"]), int(match["day"]))
        if not match["year"] and (today - day).days > 182:
            day = day.replace(year=year + 1)
    except ValueError:  # 31.2., or 29.2. into a year without it
        return None
    return day


def _dateparser(text: str, base: datetime, tz: ZoneInfo) -> datetime | None:
    import dateparser  # type: ignore[import-untyped]  # ships no type hints; loaded by the warm-up, not the start

    return dateparser.parse(text, languages=["de"], settings={
        "PREFER_DATES_FROM": "future", "RELATIVE_BASE": base, "RETURN_AS_TIMEZONE_AWARE": True,
        "TIMEZONE": tz.key, "TO_TIMEZONE": tz.key})


def describe_plan(when_utc: datetime, *, now: datetime, tz: ZoneInfo) -> str:
    """German display: „in 2 Stunden (16:30 Uhr)", „heute, 14:30 Uhr", „morgen, 08:00 Uhr", „Mo, 7.12., 07:30 Uhr"."""
    local, local_now = when_utc.astimezone(tz), now.astimezone(tz)
    clock = f"{local:%H:%M} Uhr"
    wall = local.replace(tzinfo=None)
    if is_ambiguous(wall, tz):
        clock += " vor der Zeitumstellung" if local.fold == 0 else " nach der Zeitumstellung"
    days = (local.date() - local_now.date()).days
    if days == 0:
        day = "heute, "
    elif days == 1:
        day = "morgen, "
    else:
        year = "" if local.year == local_now.year else str(local.year)
        day = f"{WEEKDAY_SHORT[local.weekday()]}, {local.day}.{local.month}.{year}, "
    ahead = when_utc - now
    if timedelta(0) < ahead < timedelta(hours=3):
        return f"in {_span(ahead)} ({clock if days == 0 else day + clock})"
    return day + clock


def _span(ahead: timedelta) -> str:
    minutes = round(ahead.total_seconds() / 60)
    hours, minutes = divmod(minutes, 60)
    parts = [f"{hours} Stunde" + ("n" if hours != 1 else "")] if hours else []
    if minutes or not hours:
        parts.append(f"{minutes} Minute" + ("n" if minutes != 1 else ""))
    return " ".join(parts)
