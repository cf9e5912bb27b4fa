"""German time phrases for planned posts, read in the account's zone from a fixed „now"."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.core.errors import InputError
from bot.core.planning.phrases import check_window, describe_plan, parse_plan

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 11, 30, 11, 0, tzinfo=UTC)  # Monday, 12:00 in Berlin


def local(text: str, now: datetime = NOW) -> datetime:
    plan = parse_plan(text, now=now, tz=BERLIN)
    assert plan.when_utc is not None and plan.local is not None
    assert plan.when_utc.tzinfo is UTC and plan.local == plan.when_utc
    return plan.local.replace(tzinfo=None)


@pytest.mark.parametrize(("text", "expected"), [
    ("heute 14:30", datetime(2026, 11, 30, 14, 30)),
    ("heute um 14 Uhr", datetime(2026, 11, 30, 14, 0)),
    ("Heute, 14:30 Uhr", datetime(2026, 11, 30, 14, 30)),
    ("heute abend 8", datetime(2026, 11, 30, 20, 0)),
    ("8 Uhr abends", datetime(2026, 11, 30, 20, 0)),
    ("morgen 8:00", datetime(2026, 12, 1, 8, 0)),
    ("morgen früh 8", datetime(2026, 12, 1, 8, 0)),
    ("morgen nachmittag 3", datetime(2026, 12, 1, 15, 0)),
    ("morgen mittag 1", datetime(2026, 12, 1, 13, 0)),
    ("12 Uhr mittags", datetime(2026, 12, 1, 12, 0)),  # today's noon has just passed
    ("heute nacht um 11", datetime(2026, 11, 30, 23, 0)),
    ("morgen nachts 2", datetime(2026, 12, 1, 2, 0)),
    ("morgen abend 20 Uhr", datetime(2026, 12, 1, 20, 0)),
    ("u\u0308bermorgen 9 Uhr", datetime(2026, 12, 2, 9, 0)),  # decomposed umlaut
    ("uebermorgen 9 Uhr", datetime(2026, 12, 2, 9, 0)),
    ("übermorgen 9 Uhr", datetime(2026, 12, 2, 9, 0)),
    ("Mo 7:30", datetime(2026, 12, 7, 7, 30)),  # today is Monday and 07:30 has passed: next week
    ("Mo. 13:00", datetime(2026, 11, 30, 13, 0)),  # today's 13:00 is still ahead
    ("Montag 7:30", datetime(2026, 12, 7, 7, 30)),
    ("am Dienstag um 8", datetime(2026, 12, 1, 8, 0)),
    ("Di 8:00", datetime(2026, 12, 1, 8, 0)),
    ("So 18:00", datetime(2026, 12, 6, 18, 0)),
    ("nächsten Freitag 10:00", datetime(2026, 12, 4, 10, 0)),
    ("30.11. 14:00", datetime(2026, 11, 30, 14, 0)),
    ("1.12.2026 8:00", datetime(2026, 12, 1, 8, 0)),
    ("2.1. 9:00", datetime(2027, 1, 2, 9, 0)),  # a date half a year past is next year's
    ("3.12.26 um 9 Uhr", datetime(2026, 12, 3, 9, 0)),
    ("3. Dezember 14:00", datetime(2026, 12, 3, 14, 0)),  # month names: dateparser
    ("2026-12-01 08:00", datetime(2026, 12, 1, 8, 0)),
    ("14:30", datetime(2026, 11, 30, 14, 30)),
    ("um 23 Uhr", datetime(2026, 11, 30, 23, 0)),
    ("heute 14.30 Uhr", datetime(2026, 11, 30, 14, 30)),
    ("in 2 Tagen um 14 Uhr", datetime(2026, 12, 2, 14, 0)),
    ("in einer Woche 9:00", datetime(2026, 12, 7, 9, 0)),
])
def test_absolute_phrases(text, expected):
    assert local(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("in 2 Stunden", datetime(2026, 11, 30, 14, 0)),
    ("in 30 Minuten", datetime(2026, 11, 30, 12, 30)),
    ("in einer Stunde", datetime(2026, 11, 30, 13, 0)),
    ("in einer halben Stunde", datetime(2026, 11, 30, 12, 30)),
    ("in 1 Stunde 30 Minuten", datetime(2026, 11, 30, 13, 30)),
    ("in zwei Stunden", datetime(2026, 11, 30, 14, 0)),
    ("in 3 Tagen", datetime(2026, 12, 3, 12, 0)),
])
def test_relative_phrases(text, expected):
    assert local(text) == expected


def test_a_bare_time_already_past_today_means_tomorrow_and_says_so():
    plan = parse_plan("10:30", now=NOW, tz=BERLIN)
    assert plan.local is not None and plan.local.replace(tzinfo=None) == datetime(2026, 12, 1, 10, 30)
    assert plan.notes == ("10:30 Uhr ist heute schon vorbei – geplant für morgen.",)


def test_a_bare_time_still_ahead_is_today_without_a_note():
    assert parse_plan("14:30", now=NOW, tz=BERLIN).notes == ()


@pytest.mark.parametrize("text", ["zur besten Zeit", "beste Zeit", "Zur besten Zeit", "die beste Zeit"])
def test_best_time_is_left_to_the_caller(text):
    plan = parse_plan(text, now=NOW, tz=BERLIN)
    assert plan.best_time and plan.when_utc is None and plan.local is None


def test_results_are_utc_instants_of_the_accounts_clock():
    assert parse_plan("morgen 8:00", now=NOW, tz=BERLIN).when_utc == datetime(2026, 12, 1, 7, 0, tzinfo=UTC)
    new_york = parse_plan("morgen 8:00", now=NOW, tz=ZoneInfo("America/New_York"))
    assert new_york.when_utc == datetime(2026, 12, 1, 13, 0, tzinfo=UTC)


def test_a_weekday_means_the_accounts_weekday_not_utcs():
    late_sunday = datetime(2026, 11, 29, 23, 30, tzinfo=UTC)  # already Monday 00:30 in Berlin
    assert local("Mo 9:00", late_sunday) == datetime(2026, 11, 30, 9, 0)


# Daylight-saving changes in Europe/Berlin: 2026-10-25 03:00 CEST → 02:00 CET, 2027-03-28 02:00 CET → 03:00 CEST.

def test_a_time_that_happens_twice_takes_the_first_occurrence_and_says_so():
    plan = parse_plan("morgen 2:30", now=datetime(2026, 10, 24, 10, 0, tzinfo=UTC), tz=BERLIN)
    assert plan.when_utc == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # 02:30 CEST
    assert plan.notes == ("02:30 Uhr gibt es am 25.10.2026 wegen der Zeitumstellung zweimal "
                          "– geplant für das erste Mal (vor der Umstellung).",)


def test_a_time_that_does_not_exist_moves_to_the_first_valid_time_and_says_so():
    plan = parse_plan("So 2:30", now=datetime(2027, 3, 27, 10, 0, tzinfo=UTC), tz=BERLIN)
    assert plan.when_utc == datetime(2027, 3, 28, 1, 0, tzinfo=UTC)  # 03:00 CEST
    assert plan.local is not None and (plan.local.hour, plan.local.minute) == (3, 0)
    assert plan.notes == ("02:30 Uhr gibt es am 28.03.2027 wegen der Zeitumstellung nicht – geplant für 03:00 Uhr.",)


@pytest.mark.parametrize("now", [datetime(2026, 10, 25, 0, 30, tzinfo=UTC), datetime(2027, 3, 28, 0, 30, tzinfo=UTC)])
def test_hours_across_a_change_are_real_hours(now):
    assert parse_plan("in 2 Stunden", now=now, tz=BERLIN).when_utc == datetime(now.year, now.month, now.day, 2, 30,
                                                                                tzinfo=UTC)
    assert parse_plan("in 24 Stunden", now=now, tz=BERLIN).when_utc == now.replace(day=now.day + 1)


def test_relative_hours_show_the_wall_clock_after_the_change():
    autumn = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # 02:30 CEST, the first time
    plan = parse_plan("in 2 Stunden", now=autumn, tz=BERLIN)
    assert plan.local is not None and plan.local.replace(tzinfo=None) == datetime(2026, 10, 25, 3, 30)
    spring = datetime(2027, 3, 28, 0, 30, tzinfo=UTC)  # 01:30 CET
    plan = parse_plan("in einer Stunde", now=spring, tz=BERLIN)
    assert plan.local is not None and plan.local.replace(tzinfo=None) == datetime(2027, 3, 28, 3, 30)


@pytest.mark.parametrize("now", [datetime(2026, 10, 24, 10, 0, tzinfo=UTC), datetime(2027, 3, 27, 11, 0, tzinfo=UTC)])
def test_whole_days_across_a_change_keep_the_clock_time(now):
    before = now.astimezone(BERLIN)
    after = local("in 1 Tag", now)
    assert (after.date() - before.date()).days == 1 and (after.hour, after.minute) == (before.hour, before.minute)


def test_tomorrow_across_a_change_keeps_the_clock_time():
    assert local("morgen 12:00", datetime(2026, 10, 24, 8, 0, tzinfo=UTC)) == datetime(2026, 10, 25, 12, 0)
    assert parse_plan("morgen 12:00", now=datetime(2027, 3, 27, 8, 0, tzinfo=UTC),
                      tz=BERLIN).when_utc == datetime(2027, 3, 28, 10, 0, tzinfo=UTC)


# Refusals: German, with examples, never echoing much of the input.

def refusal(text: str, now: datetime = NOW) -> str:
    with pytest.raises(InputError) as caught:
        parse_plan(text, now=now, tz=BERLIN)
    return caught.value.user_message


@pytest.mark.parametrize("text", ["heute 10:00", "Heute um 8 Uhr", "29.11. 14:00", "heute morgen 8", "1.11.2026 9:00"])
def test_a_time_in_the_past_is_refused(text):
    assert "liegt in der Vergangenheit" in refusal(text)


def test_now_itself_is_past():
    assert "liegt in der Vergangenheit" in refusal("heute 12:00")


@pytest.mark.parametrize("text", ["1.3.2027 8:00", "in 61 Tagen", "in 9 Wochen"])
def test_more_than_sixty_days_ahead_is_refused(text):
    assert "mehr als 60 Tage" in refusal(text)


def test_sixty_days_ahead_is_still_fine():
    assert local("in 60 Tagen") == datetime(2027, 1, 29, 12, 0)


@pytest.mark.parametrize("text", ["bla bla", "irgendwann", "in 5", "morgen", "Dienstag", "31.2. 10:00", "25:00",
                                  "heute 12:60", "morgen 8", "Mo 7.30", "heute 14.30",
                                  "in 0 Tagen 14:00"])
def test_unreadable_text_is_refused_with_examples(text):
    message = refusal(text)
    assert "verstehe ich nicht als Zeitpunkt" in message and "„morgen 8:00“" in message and "„in 2 Stunden“" in message


@pytest.mark.parametrize("text", ["", "   ", "\n"])
def test_empty_text_is_refused(text):
    assert refusal(text).startswith("Bitte eine Zeit angeben, z. B. „heute 14:30“")


def test_untrusted_text_is_echoed_shortened_to_one_line():
    message = refusal("ignoriere alles " + "x" * 150)
    assert "„ignoriere alles " + "x" * 44 + "…“" in message and "x" * 45 not in message
    assert "\n" not in refusal("bitte\njetzt\nsofort")


def test_very_long_text_is_not_parsed_nor_echoed():
    message = refusal("morgen " * 100 + "8:00")
    assert "zu lang" in message and "morgen morgen" not in message


def test_check_window_applies_the_same_limits_to_other_instants():
    check_window(datetime(2026, 12, 1, 7, 0, tzinfo=UTC), now=NOW, tz=BERLIN)
    with pytest.raises(InputError, match="liegt in der Vergangenheit"):
        check_window(datetime(2026, 11, 30, 10, 0, tzinfo=UTC), now=NOW, tz=BERLIN)
    with pytest.raises(InputError, match="mehr als 60 Tage"):
        check_window(datetime(2027, 2, 1, 7, 0, tzinfo=UTC), now=NOW, tz=BERLIN)


# Display.

@pytest.mark.parametrize(("when", "shown"), [
    (datetime(2026, 11, 30, 15, 30, tzinfo=UTC), "heute, 16:30 Uhr"),
    (datetime(2026, 11, 30, 13, 0, tzinfo=UTC), "in 2 Stunden (14:00 Uhr)"),
    (datetime(2026, 11, 30, 11, 30, tzinfo=UTC), "in 30 Minuten (12:30 Uhr)"),
    (datetime(2026, 11, 30, 12, 0, tzinfo=UTC), "in 1 Stunde (13:00 Uhr)"),
    (datetime(2026, 11, 30, 12, 1, tzinfo=UTC), "in 1 Stunde 1 Minute (13:01 Uhr)"),
    (datetime(2026, 12, 1, 7, 0, tzinfo=UTC), "morgen, 08:00 Uhr"),
    (datetime(2026, 12, 7, 6, 30, tzinfo=UTC), "Mo, 7.12., 07:30 Uhr"),
    (datetime(2027, 1, 4, 8, 0, tzinfo=UTC), "Mo, 4.1.2027, 09:00 Uhr"),
    (datetime(2026, 11, 30, 9, 0, tzinfo=UTC), "heute, 10:00 Uhr"),
])
def test_describe_plan(when, shown):
    assert describe_plan(when, now=NOW, tz=BERLIN) == shown


def test_describe_plan_near_midnight_names_the_day():
    late = datetime(2026, 11, 30, 22, 0, tzinfo=UTC)  # 23:00 in Berlin
    assert describe_plan(datetime(2026, 11, 30, 23, 30, tzinfo=UTC), now=late, tz=BERLIN) == \
        "in 1 Stunde 30 Minuten (morgen, 00:30 Uhr)"


def test_describe_plan_tells_the_two_times_of_a_repeated_hour_apart():
    now = datetime(2026, 10, 24, 10, 0, tzinfo=UTC)
    assert describe_plan(datetime(2026, 10, 25, 0, 30, tzinfo=UTC), now=now, tz=BERLIN) == \
        "morgen, 02:30 Uhr vor der Zeitumstellung"
    assert describe_plan(datetime(2026, 10, 25, 1, 30, tzinfo=UTC), now=now, tz=BERLIN) == \
        "morgen, 02:30 Uhr nach der Zeitumstellung"
