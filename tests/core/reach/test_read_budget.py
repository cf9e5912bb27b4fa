"""Rationing metric reads against the monthly X read budget, and telling the team once per month."""

from datetime import UTC, datetime

import pytest

from bot.core.notices import Announcement
from bot.core.reach.read_budget import EXHAUSTED_NOTICE, OFF_NOTICE, THIN_NOTICE, Ration, ReadBudget
from tests.fakes.publisher import RecordingNotifier

NOVEMBER = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
DECEMBER = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)


class MonthlyUsage:
    """An in-memory UsageStore: reads and the notice level per UTC month."""

    def __init__(self) -> None:
        self.reads: dict[tuple[int, int], int] = {}
        self.levels: dict[tuple[int, int], int] = {}

    @staticmethod
    def _month(now: datetime) -> tuple[int, int]:
        return now.year, now.month

    def use(self, now: datetime, reads: int) -> None:
        self.reads[self._month(now)] = reads

    async def reads_in_month(self, now: datetime) -> int:
        return self.reads.get(self._month(now), 0)

    async def budget_notice_level(self, now: datetime) -> int:
        return self.levels.get(self._month(now), 0)

    async def set_budget_notice_level(self, now: datetime, level: int) -> None:
        self.levels[self._month(now)] = level


@pytest.fixture
def usage() -> MonthlyUsage:
    return MonthlyUsage()


@pytest.fixture
def notifier() -> RecordingNotifier:
    return RecordingNotifier()


def budget(usage: MonthlyUsage, notifier: RecordingNotifier, monthly: int = 1000) -> ReadBudget:
    return ReadBudget(usage, notifier, monthly)


def is_middle(item: str) -> bool:
    """Items named "mid…" are middle measuring points, which tracking may thin out."""
    return item.startswith("mid")


def texts(notifier: RecordingNotifier) -> list[str]:
    assert all(isinstance(event, Announcement) and event.set_id is None for event in notifier.events)
    return [event.text for event in notifier.events]


async def test_nothing_wanted_is_nothing_allowed_and_says_nothing(usage, notifier):
    usage.use(NOVEMBER, 1000)
    ration = await budget(usage, notifier).ration([], NOVEMBER, thinnable=is_middle)
    assert ration == Ration([]) and notifier.events == []


async def test_below_the_thin_threshold_everything_is_allowed(usage, notifier):
    usage.use(NOVEMBER, 500)
    ration = await budget(usage, notifier).ration(["first", "mid1", "last"], NOVEMBER, thinnable=is_middle)
    assert ration == Ration(["first", "mid1", "last"]) and notifier.events == []


async def test_reaching_exactly_80_percent_is_still_allowed_in_full(usage, notifier):
    usage.use(NOVEMBER, 798)
    ration = await budget(usage, notifier).ration(["mid1", "mid2"], NOVEMBER, thinnable=is_middle)
    assert ration.allowed == ["mid1", "mid2"] and ration.thinned == [] and notifier.events == []


async def test_beyond_80_percent_thinnable_items_are_left_out(usage, notifier):
    usage.use(NOVEMBER, 799)
    ration = await budget(usage, notifier).ration(["first", "mid1", "last", "mid2"], NOVEMBER, thinnable=is_middle)
    assert ration == Ration(["first", "last"], thinned=["mid1", "mid2"])


async def test_thinning_tells_the_team_how_much_is_used(usage, notifier):
    usage.use(NOVEMBER, 850)
    await budget(usage, notifier).ration(["mid1"], NOVEMBER, thinnable=is_middle)
    assert texts(notifier) == [THIN_NOTICE.format(used="850", budget="1.000", others="")]
    assert "850 von 1.000 Abrufen" in texts(notifier)[0]


async def test_the_thin_notice_comes_once_per_month(usage, notifier):
    reads = budget(usage, notifier)
    usage.use(NOVEMBER, 850)
    await reads.ration(["mid1"], NOVEMBER, thinnable=is_middle)
    usage.use(NOVEMBER, 900)
    again = await reads.ration(["mid2"], NOVEMBER, thinnable=is_middle)
    assert again.thinned == ["mid2"] and len(notifier.events) == 1
    usage.use(DECEMBER, 900)
    await reads.ration(["mid3"], DECEMBER, thinnable=is_middle)
    assert len(notifier.events) == 2


async def test_near_the_cap_without_thinnable_items_nothing_is_said(usage, notifier):
    usage.use(NOVEMBER, 900)
    ration = await budget(usage, notifier).ration(["first", "last"], NOVEMBER, thinnable=is_middle)
    assert ration == Ration(["first", "last"]) and notifier.events == []


async def test_at_the_cap_everything_is_refused(usage, notifier):
    usage.use(NOVEMBER, 1000)
    ration = await budget(usage, notifier).ration(["first", "mid1"], NOVEMBER, thinnable=is_middle)
    assert ration == Ration([], refused=["first", "mid1"])
    assert texts(notifier) == [EXHAUSTED_NOTICE.format(used="1.000", budget="1.000", others="")]


async def test_over_the_cap_everything_is_refused(usage, notifier):
    usage.use(NOVEMBER, 1200)  # X counts a request's whole answer, so the count can overshoot
    ration = await budget(usage, notifier).ration(["first"], NOVEMBER, thinnable=is_middle)
    assert ration.allowed == [] and ration.refused == ["first"]


async def test_the_exhausted_notice_comes_once_per_month(usage, notifier):
    reads = budget(usage, notifier)
    usage.use(NOVEMBER, 1000)
    await reads.ration(["first"], NOVEMBER, thinnable=is_middle)
    await reads.ration(["last"], NOVEMBER, thinnable=is_middle)
    assert len(notifier.events) == 1
    usage.use(DECEMBER, 1000)
    await reads.ration(["first"], DECEMBER, thinnable=is_middle)
    assert len(notifier.events) == 2


async def test_what_does_not_fit_under_the_cap_is_refused(usage, notifier):
    usage.use(NOVEMBER, 998)
    ration = await budget(usage, notifier).ration(["a", "b", "c", "d"], NOVEMBER, thinnable=is_middle)
    assert ration == Ration(["a", "b"], refused=["c", "d"])
    assert texts(notifier) == [EXHAUSTED_NOTICE.format(used="998", budget="1.000", others="")]


async def test_thinning_first_can_make_the_rest_fit(usage, notifier):
    usage.use(NOVEMBER, 997)
    ration = await budget(usage, notifier).ration(["first", "mid1", "mid2", "last"], NOVEMBER,
                                                  thinnable=is_middle)
    assert ration == Ration(["first", "last"], thinned=["mid1", "mid2"])
    assert texts(notifier) == [THIN_NOTICE.format(used="997", budget="1.000", others="")]


async def test_after_thinning_the_exhausted_notice_still_comes(usage, notifier):
    reads = budget(usage, notifier)
    usage.use(NOVEMBER, 850)
    await reads.ration(["mid1"], NOVEMBER, thinnable=is_middle)
    usage.use(NOVEMBER, 1000)
    await reads.ration(["first"], NOVEMBER, thinnable=is_middle)
    assert texts(notifier) == [THIN_NOTICE.format(used="850", budget="1.000", others=""),
                               EXHAUSTED_NOTICE.format(used="1.000", budget="1.000", others="")]


async def test_once_exhausted_thinning_is_not_announced_any_more(usage, notifier):
    reads = budget(usage, notifier)
    usage.use(NOVEMBER, 998)
    await reads.ration(["first", "last", "first2"], NOVEMBER, thinnable=is_middle)
    usage.use(NOVEMBER, 999)
    ration = await reads.ration(["mid1", "last2"], NOVEMBER, thinnable=is_middle)
    assert ration == Ration(["last2"], thinned=["mid1"])
    assert texts(notifier) == [EXHAUSTED_NOTICE.format(used="998", budget="1.000", others="")]


async def test_a_budget_of_zero_refuses_every_read_and_says_tracking_is_off(usage, notifier):
    reads = budget(usage, notifier, monthly=0)
    ration = await reads.ration(["first", "mid1"], NOVEMBER, thinnable=is_middle)
    assert ration == Ration([], refused=["first", "mid1"])
    await reads.ration(["last"], NOVEMBER, thinnable=is_middle)
    assert texts(notifier) == [OFF_NOTICE.format(others="")]


async def test_has_room_below_the_cap(usage, notifier):
    usage.use(NOVEMBER, 999)
    assert await budget(usage, notifier).has_room(NOVEMBER)


async def test_has_no_room_at_the_cap(usage, notifier):
    usage.use(NOVEMBER, 1000)
    assert not await budget(usage, notifier).has_room(NOVEMBER)


async def test_a_new_month_has_room_again(usage, notifier):
    usage.use(NOVEMBER, 1000)
    assert await budget(usage, notifier).has_room(DECEMBER)


async def test_a_budget_of_zero_has_no_room(usage, notifier):
    assert not await budget(usage, notifier, monthly=0).has_room(NOVEMBER)


async def test_the_notices_say_that_only_x_stops_and_the_other_networks_go_on(usage, notifier):
    usage.use(NOVEMBER, 1000)
    reads = ReadBudget(usage, notifier, 1000, other_networks=["Bluesky", "Mastodon"])
    await reads.ration(["first"], NOVEMBER, thinnable=is_middle)
    assert texts(notifier) == [
        "⛔ Das X-Lesebudget (X_READ_BUDGET_MONTH = 1.000) ist für diesen Monat aufgebraucht: bis zum Monatsende "
        "werden keine Zahlen mehr von X abgefragt; Bluesky und Mastodon laufen weiter. "
        "Budget erhöhen oder den Monat abwarten."]


async def test_without_other_networks_the_notice_names_only_x(usage, notifier):
    await ReadBudget(usage, notifier, 0).ration(["first"], NOVEMBER, thinnable=is_middle)
    await ReadBudget(MonthlyUsage(), notifier, 0, other_networks=["Mastodon"]).ration(
        ["first"], NOVEMBER, thinnable=is_middle)
    assert texts(notifier) == ["X_READ_BUDGET_MONTH ist 0: es werden keine Zahlen von X abgefragt.",
                               "X_READ_BUDGET_MONTH ist 0: es werden keine Zahlen von X abgefragt; "
                               "Mastodon läuft weiter."]
