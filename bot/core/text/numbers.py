"""German number formats for user-facing texts."""

import math
from datetime import date


def de_int(value: int) -> str:
    """12345 -> '12.345'."""
    return f"{value:,}".replace(",", ".")


def de_float(value: float, digits: int = 1) -> str:
    """2.45 -> '2,5' (with thousands separators: 1234.5 -> '1.234,5')."""
    return f"{value:,.{digits}f}".replace(",", "\0").replace(".", ",").replace("\0", ".")


def de_duration(seconds: float) -> str:
    """A wait in words, rounded up: 1 -> '1 Sekunde', 90 -> '90 Sekunden', 300 -> '5 Minuten', 7200 -> '2 Stunden'."""
    whole = max(1, math.ceil(min(seconds, 1e9)))  # also for float("inf")
    if whole < 120:
        return f"{whole} Sekunde" if whole == 1 else f"{whole} Sekunden"
    minutes = math.ceil(whole / 60)
    if minutes < 120:
        return f"{minutes} Minuten"
    hours = math.ceil(minutes / 60)
    return f"{de_int(hours)} Stunden"


def de_date(day: date) -> str:
    """date(2026, 11, 24) -> '24.11.2026'."""
    return f"{day.day:02d}.{day.month:02d}.{day.year}"
