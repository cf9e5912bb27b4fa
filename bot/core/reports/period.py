"""The calendar month a report covers: parsed from „2026-11“, named in German, bounded in the account's time zone."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo

from bot.core.errors import InputError

GERMAN_MONTHS = ("Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober",
                 "November", "Dezember")
FIRST_YEAR, LAST_YEAR = 2006, 2999  # X began in 2006; anything outside is a typing error
_PATTERN = re.compile(r"(\d{4})-(\d{1,2})")


@dataclass(frozen=True, slots=True, order=True)
class Month:
    year: int
    month: int

    @property
    def key(self) -> str:
        """„2026-11“, as in file names."""
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def label(self) -> str:
        """„November 2026“."""
        return f"{GERMAN_MONTHS[self.month - 1]} {self.year}"

    def previous(self) -> Month:
        return Month(self.year - 1, 12) if self.month == 1 else Month(self.year, self.month - 1)

    def following(self) -> Month:
        return Month(self.year + 1, 1) if self.month == 12 else Month(self.year, self.month + 1)

    def bounds(self, tz: tzinfo) -> tuple[datetime, datetime]:
        """The month's first and the next month's first instant, local midnight in ``tz``, as UTC."""
        after = self.following()
        return (datetime(self.year, self.month, 1, tzinfo=tz).astimezone(UTC),
                datetime(after.year, after.month, 1, tzinfo=tz).astimezone(UTC))


def parse_month(text: str) -> Month:
    """„2026-11“ → Month(2026, 11); anything else: an InputError that says what is expected."""
    value = text.strip()
    match = _PATTERN.fullmatch(value)
    example = "erwartet wird JJJJ-MM, zum Beispiel 2026-11"
    if not value:
        raise InputError(f"Kein Monat angegeben; {example}.")
    if match is None:
        raise InputError(f"„{value}“ ist kein Monat; {example}.")
    year, month = int(match.group(1)), int(match.group(2))
    if not 1 <= month <= 12:
        raise InputError(f"„{value}“: einen Monat {month} gibt es nicht (1 bis 12); {example}.")
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise InputError(f"„{value}“: das Jahr {year} liegt außerhalb von {FIRST_YEAR} bis {LAST_YEAR}.")
    return Month(year, month)
