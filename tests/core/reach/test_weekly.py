"""The week in the summary: the last 7 days against the 7 before, the accounts that carried the posts."""

from datetime import UTC, datetime, time, timedelta

import pytest

from bot.core.reach.learning import GroupFigures, LearningTable, patterns_line
from bot.core.reach.metrics import Metrics
from bot.core.reach.summary import PostRecord, SummaryService
from bot.core.reach.weekly import TopAmplifier, WeekPost, WeekReport, render_week, split_weeks
from bot.core.timespec import parse_weekday
from tests.fakes.publisher import RecordingNotifier
from tests.fixtures.x import BERLIN

MONDAY = datetime(2026, 11, 30, 17, tzinfo=UTC)  # 18:00 in Berlin


def post(days_ago: float, impressions: int, likes: int, multiplier: float | None) -> WeekPost:
    return WeekPost(MONDAY - timedelta(days=days_ago), Metrics(likes=likes, impressions=impressions), multiplier)


def test_the_week_against_the_week_before():
    posts = [post(1, 10_000, 100, 4.0), post(2, 2_000, 10, 1.0), post(3, 0, 0, None),
             post(9, 6_000, 200, 2.0)]
    this_week, last_week = split_weeks(posts, MONDAY)
    top = [TopAmplifier("mdb_beispiel", "MdB", 45_300, 2), TopAmplifier("verband", None, 12_100, 1)]
    text = render_week(WeekReport(MONDAY, this_week, last_week, top), BERLIN)
    assert text == (
        "📅 Die Woche (23.11.–30.11.) gegenüber der Woche davor:\n"
        "   Fragen: 3 (davor 1)\n"
        "   Impressionen auf X: 12.000 (+100 %) (davor 6.000)\n"
        "   Interaktionen auf X: 110 (−45 %) (davor 200)\n"
        "   Multiplikator im Median: 2,5× (davor 2,0×)\n"
        "Wichtigste Weiterträger der Woche: @mdb_beispiel (MdB, 45.300 Follower, 2 Posts); "
        "@verband (12.100 Follower)")


def test_a_first_week_has_no_percentages_and_no_amplifier_line():
    text = render_week(WeekReport(MONDAY, [post(1, 500, 5, None)], [], []), BERLIN)
    assert "Impressionen auf X: 500 (davor 0)" in text and "%" not in text
    assert "Multiplikator im Median: – (davor –)" in text and "Weiterträger" not in text


@pytest.mark.parametrize("value, day", [("Montag", 0), ("sonntag", 6), ("friday", 4), ("aus", None), ("", None)])
def test_weekdays_in_german_or_english(value, day):
    assert parse_weekday(value) == day


def test_a_wrong_weekday_is_named():
    with pytest.raises(ValueError, match="„Mondtag“ ist kein Wochentag"):
        parse_weekday("Mondtag")


class WeekStore:
    """A SummaryStore with one post this week and one the week before."""

    def __init__(self) -> None:
        self.posts = [
            PostRecord(1, 1, "Früher?", None, MONDAY - timedelta(days=9), False, 100,
                       latest=Metrics(likes=20, impressions=1_000)),
            PostRecord(2, 2, "Jetzt?", None, MONDAY - timedelta(days=1), False, 100,
                       latest=Metrics(likes=40, impressions=3_000)),
        ]

    async def posts_since(self, since, *, baseline_at):
        return [p for p in self.posts if p.posted_at >= since]

    async def notable_since(self, since):
        return []

    async def top_amplifiers_since(self, since, limit):
        return [TopAmplifier("journalistin", "Journalistin", 12_100, 1)]


@pytest.mark.parametrize("now, weekly", [(MONDAY, True), (MONDAY + timedelta(days=1), False)])
async def test_the_summary_adds_the_week_on_its_day(clock, now, weekly):
    clock.current = now
    service = SummaryService(WeekStore(), RecordingNotifier(), clock, summary_time=time(18), tz=BERLIN,
                             weekly_day=0, max_chars=1900)
    text = (await service.summary()).text
    assert ("📅 Die Woche" in text) is weekly
    if weekly:
        assert "Impressionen auf X: 3.000 (+200 %) (davor 1.000)" in text
        assert text.endswith("Wichtigste Weiterträger der Woche: @journalistin (Journalistin, 12.100 Follower)")
    assert len(text) <= 1900


async def test_without_a_weekly_day_the_week_comes_only_when_asked(clock):
    clock.current = MONDAY
    service = SummaryService(WeekStore(), RecordingNotifier(), clock, summary_time=time(18), tz=BERLIN)
    assert "📅" not in (await service.summary()).text
    assert "📅 Die Woche" in (await service.summary(week=True)).text


async def test_the_week_names_the_patterns_that_travel_best(clock):
    clock.current = MONDAY

    async def patterns() -> str:
        return "Fragemuster mit dem höchsten Multiplikator (90 Tage, Median): kosten 3,1× (7 Posts)"

    service = SummaryService(WeekStore(), RecordingNotifier(), clock, summary_time=time(18), tz=BERLIN,
                             patterns=patterns)
    assert (await service.week_text()).endswith("\nFragemuster mit dem höchsten Multiplikator (90 Tage, Median): "
                                                "kosten 3,1× (7 Posts)")


def test_the_patterns_line_names_the_best_three_with_enough_posts():
    def group(key: str, posts: int, median: float) -> GroupFigures:
        return GroupFigures(key, posts, median, None, None, None)

    table = LearningTable(90, 30, (group("kosten", 7, 3.1), group("widerspruch", 5, 2.4), group("folgen", 3, 1.0),
                                   group("ursache", 4, 0.5), group("andere", 2, 9.0)), ())
    assert patterns_line(table) == ("Fragemuster mit dem höchsten Multiplikator (90 Tage, Median): kosten 3,1× "
                                    "(7 Posts), widerspruch 2,4× (5 Posts), folgen 1,0× (3 Posts)")
    assert patterns_line(LearningTable(90, 2, (group("andere", 2, 9.0),), ())) == (
        "Fragemuster (90 Tage): noch zu wenig Daten (je Muster ab 3 Posts; `/muster` zeigt alle)")
