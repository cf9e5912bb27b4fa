"""„Zur besten Zeit": the hour of the week with the best median engagement rate, or the account's default."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.core.errors import ConfigError
from bot.core.planning.best_time import (
    PostFigures,
    WeeklyTime,
    best_hour,
    next_occurrence,
    parse_weekly_time,
)

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 11, 30, 11, 0, tzinfo=UTC)  # Monday, 12:00 in Berlin


def at(weekday: int, hour: int, *, weeks_ago: int = 1, minute: int = 0) -> datetime:
    """An instant in UTC whose Berlin clock shows that weekday and hour, `weeks_ago` weeks before NOW's week."""
    monday = datetime(2026, 11, 30, tzinfo=BERLIN) - timedelta(weeks=weeks_ago)
    return (monday + timedelta(days=weekday, hours=hour, minutes=minute)).astimezone(UTC)


def posts(weekday: int, hour: int, rates: list[float | None], *, first_week: int = 1) -> list[PostFigures]:
    return [PostFigures(at(weekday, hour, weeks_ago=first_week + i), rate) for i, rate in enumerate(rates)]


FILLER = posts(4, 17, [0.01] * 6)  # Friday 17:00, a weak hour


def test_the_hour_with_the_best_median_wins_and_says_why():
    figures = FILLER + posts(1, 8, [0.03, 0.031, 0.05]) + posts(2, 12, [0.02, 0.09, 0.01])
    best = best_hour(figures, now=NOW, tz=BERLIN, default="Mi 10:00")
    assert best.learned and best.slot == WeeklyTime(1, 8)
    assert best.when_utc == datetime(2026, 12, 1, 7, 0, tzinfo=UTC)  # next Tuesday 08:00 in Berlin
    assert best.reason == ("Di 08:00 Uhr: bester Median der Interaktionsrate (3,1 % aus 3 Posts) "
                           "unter 12 Posts der letzten 90 Tage")


def test_hours_with_a_single_post_do_not_compete():
    figures = FILLER + posts(1, 8, [0.02, 0.02]) + posts(3, 9, [0.5]) + posts(5, 9, [0.01, 0.01])
    assert best_hour(figures, now=NOW, tz=BERLIN, default="Mi 10:00").slot == WeeklyTime(1, 8)


def test_a_tie_goes_to_the_hour_with_more_posts():
    figures = FILLER + posts(0, 7, [0.04, 0.04]) + posts(6, 20, [0.04, 0.04, 0.04])
    best = best_hour(figures, now=NOW, tz=BERLIN, default="Mi 10:00")
    assert best.slot == WeeklyTime(6, 20) and "aus 3 Posts" in best.reason


def test_a_full_tie_goes_to_the_earlier_hour_of_the_week():
    figures = FILLER + posts(6, 20, [0.04, 0.04]) + posts(2, 9, [0.04, 0.04]) + posts(2, 8, [0.04, 0.04])
    assert best_hour(figures, now=NOW, tz=BERLIN, default="Mi 10:00").slot == WeeklyTime(2, 8)


def test_too_few_posts_use_the_accounts_default():
    figures = posts(1, 8, [0.03, 0.04, None, None]) + posts(2, 9, [0.05, 0.06])
    best = best_hour(figures, now=NOW, tz=BERLIN, default="Di 08:00")
    assert not best.learned and best.slot == WeeklyTime(1, 8)
    assert best.when_utc == datetime(2026, 12, 1, 7, 0, tzinfo=UTC)
    assert best.reason == "Di 08:00 Uhr: Standardzeit des Kontos (erst 4 Posts mit Zahlen, ab 10 wird gelernt)"


def test_no_posts_at_all_use_the_default():
    best = best_hour([], now=NOW, tz=BERLIN, default="Freitag 18:30")
    assert best.slot == WeeklyTime(4, 18, 30) and best.when_utc == datetime(2026, 12, 4, 17, 30, tzinfo=UTC)
    assert "erst 0 Posts mit Zahlen" in best.reason


def test_enough_posts_but_no_hour_with_two_uses_the_default():
    figures = [PostFigures(at(day, hour), 0.05) for day in range(5) for hour in (8, 12)]
    best = best_hour(figures, now=NOW, tz=BERLIN, default="Di 08:00")
    assert not best.learned and "keine Stunde mit mindestens 2 Posts" in best.reason


def test_min_posts_is_the_threshold():
    figures = FILLER + posts(1, 8, [0.03, 0.05])
    assert not best_hour(figures, now=NOW, tz=BERLIN, default="Mi 10:00", min_posts=9).learned
    assert best_hour(figures, now=NOW, tz=BERLIN, default="Mi 10:00", min_posts=8).learned


def test_only_posts_inside_the_window_count():
    old = [PostFigures(NOW - timedelta(days=91), 0.9), PostFigures(NOW - timedelta(days=91, hours=-1), 0.9)]
    figures = FILLER + posts(1, 8, [0.02, 0.02, 0.02, 0.02])
    best = best_hour(figures + old, now=NOW, tz=BERLIN, default="Mi 10:00")
    assert best.slot == WeeklyTime(1, 8) and "unter 10 Posts der letzten 90 Tage" in best.reason
    short = best_hour(figures, now=NOW, tz=BERLIN, default="Mi 10:00", window_days=21)
    assert not short.learned and "erst 6 Posts" in short.reason  # 3 filler + 3 Tuesday posts within 21 days


def test_posts_after_now_and_unusable_rates_are_ignored():
    future = [PostFigures(NOW + timedelta(hours=1), 0.9), PostFigures(NOW + timedelta(days=7, hours=1), 0.9)]
    broken = [PostFigures(at(3, 3), float("nan")), PostFigures(at(3, 3, weeks_ago=2), -1.0)]
    figures = FILLER + posts(1, 8, [0.02, 0.02, 0.02]) + future + broken + posts(3, 3, [None, None])
    best = best_hour(figures, now=NOW, tz=BERLIN, default="Mi 10:00")
    assert not best.learned and "erst 9 Posts mit Zahlen" in best.reason  # 6 filler + 3 Tuesday posts


def test_hours_are_counted_on_the_accounts_clock_across_the_week_boundary():
    # Sunday 23:30 in Berlin is Sunday 22:30 UTC in winter; Monday 00:10 in Berlin is still Sunday 23:10 UTC.
    sunday = [PostFigures(at(6, 23, weeks_ago=w, minute=30), 0.08) for w in (1, 2)]
    monday = [PostFigures(at(0, 0, weeks_ago=w, minute=10), 0.02) for w in (1, 2)]
    assert all(p.posted_at.weekday() == 6 for p in sunday + monday)  # all on a Sunday in UTC
    best = best_hour(FILLER + sunday + monday, now=NOW, tz=BERLIN, default="Mi 10:00")
    assert best.slot == WeeklyTime(6, 23) and best.reason.startswith("So 23:00 Uhr:")
    assert best.when_utc == datetime(2026, 12, 6, 22, 0, tzinfo=UTC)


def test_the_next_occurrence_is_after_now():
    assert next_occurrence(WeeklyTime(0, 12), now=NOW, tz=BERLIN) == datetime(2026, 12, 7, 11, 0, tzinfo=UTC)
    assert next_occurrence(WeeklyTime(0, 13), now=NOW, tz=BERLIN) == datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    assert next_occurrence(WeeklyTime(6, 23), now=NOW, tz=BERLIN) == datetime(2026, 12, 6, 22, 0, tzinfo=UTC)


def test_the_next_occurrence_across_daylight_saving_changes():
    autumn = datetime(2026, 10, 23, 12, 0, tzinfo=UTC)  # Friday, summer time
    assert next_occurrence(WeeklyTime(0, 8), now=autumn, tz=BERLIN) == datetime(2026, 10, 26, 7, 0, tzinfo=UTC)
    assert next_occurrence(WeeklyTime(6, 2, 30), now=autumn, tz=BERLIN) == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    spring = datetime(2027, 3, 26, 12, 0, tzinfo=UTC)  # Friday, winter time
    assert next_occurrence(WeeklyTime(0, 8), now=spring, tz=BERLIN) == datetime(2027, 3, 29, 6, 0, tzinfo=UTC)
    assert next_occurrence(WeeklyTime(6, 2, 30), now=spring, tz=BERLIN) == datetime(2027, 3, 28, 1, 0, tzinfo=UTC)


def test_posts_before_and_after_a_change_share_their_local_hour():
    summer = [PostFigures(datetime(2026, 10, 20, 6, 0, tzinfo=UTC), 0.07),  # Tuesday 08:00 CEST
              PostFigures(datetime(2026, 10, 13, 6, 0, tzinfo=UTC), 0.07)]
    winter = [PostFigures(datetime(2026, 10, 27, 7, 0, tzinfo=UTC), 0.07)]  # Tuesday 08:00 CET
    best = best_hour(FILLER + summer + winter + posts(2, 9, [0.01]), now=NOW, tz=BERLIN, default="Mi 10:00")
    assert best.slot == WeeklyTime(1, 8) and "aus 3 Posts" in best.reason


@pytest.mark.parametrize(("text", "slot"), [
    ("Di 08:00", WeeklyTime(1, 8)), ("Dienstag 8:00", WeeklyTime(1, 8)), ("so 23:59", WeeklyTime(6, 23, 59)),
    ("Mo. 07:30 Uhr", WeeklyTime(0, 7, 30)), ("  FR   18:00 ", WeeklyTime(4, 18)),
])
def test_parse_weekly_time(text, slot):
    assert parse_weekly_time(text) == slot


@pytest.mark.parametrize("text", ["", "Di", "08:00", "Xy 08:00", "Di 24:00", "Di 8:60", "Di 8"])
def test_a_bad_weekly_time_is_refused_in_german(text):
    with pytest.raises(ValueError, match="ist keine Wochenzeit wie „Di 08:00“"):
        parse_weekly_time(text)


def test_a_bad_default_is_a_german_config_error_only_when_needed():
    with pytest.raises(ConfigError) as caught:
        best_hour([], now=NOW, tz=BERLIN, default="Dienstags früh")
    assert caught.value.user_message.startswith("Die Standardzeit des Kontos ist ungültig: „Dienstags früh“")
    figures = FILLER + posts(1, 8, [0.03, 0.05, 0.04, 0.04])
    assert best_hour(figures, now=NOW, tz=BERLIN, default="Dienstags früh").learned
