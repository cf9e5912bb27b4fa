"""Local wall times turned into real instants across daylight-saving changes."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bot.core.planning.wall_time import exists, is_ambiguous, resolve

BERLIN = ZoneInfo("Europe/Berlin")


def test_an_ordinary_time_has_no_note():
    resolved = resolve(datetime(2026, 11, 30, 14, 30), BERLIN)
    assert resolved.utc == datetime(2026, 11, 30, 13, 30, tzinfo=UTC) and resolved.note is None


def test_the_skipped_hour_does_not_exist_and_moves_to_its_end():
    assert not exists(datetime(2027, 3, 28, 2, 0), BERLIN) and exists(datetime(2027, 3, 28, 3, 0), BERLIN)
    resolved = resolve(datetime(2027, 3, 28, 2, 59), BERLIN)
    assert resolved.utc == datetime(2027, 3, 28, 1, 0, tzinfo=UTC)
    assert resolved.note == "02:59 Uhr gibt es am 28.03.2027 wegen der Zeitumstellung nicht – geplant für 03:00 Uhr."


def test_the_repeated_hour_takes_its_first_occurrence():
    assert is_ambiguous(datetime(2026, 10, 25, 2, 0), BERLIN) and not is_ambiguous(datetime(2026, 10, 25, 3, 0), BERLIN)
    resolved = resolve(datetime(2026, 10, 25, 2, 30), BERLIN)
    assert resolved.utc == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    assert resolved.note is not None and "zweimal" in resolved.note and "das erste Mal" in resolved.note


def test_an_aware_wall_time_is_read_by_its_clock_reading():
    assert resolve(datetime(2026, 11, 30, 14, 30, tzinfo=UTC), BERLIN).utc == datetime(2026, 11, 30, 13, 30, tzinfo=UTC)


def test_a_half_hour_change_moves_to_its_end_too():
    lord_howe = ZoneInfo("Australia/Lord_Howe")  # clocks go from 02:00 to 02:30 on 2026-10-04
    resolved = resolve(datetime(2026, 10, 4, 2, 10), lord_howe)
    assert resolved.utc.astimezone(lord_howe).replace(tzinfo=None) == datetime(2026, 10, 4, 2, 30)
    assert resolved.note is not None and "geplant für 02:30 Uhr" in resolved.note
