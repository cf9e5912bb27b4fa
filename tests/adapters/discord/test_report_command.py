"""/bericht: the monthly client report as a file in Discord; a bad month gets a German answer."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bot.wiring import last_full_month


async def test_the_report_of_a_month_arrives_as_a_file(world):
    result = await world.carla.slash(world.channel, "bericht", monat="2026-11", format="csv")
    assert result.response.content == "📄 Monatsbericht: `spitzfeder-bericht-standard-2026-11.csv`"
    assert [a.filename for a in result.response.attachments] == ["spitzfeder-bericht-standard-2026-11.csv"]


async def test_without_a_month_the_last_full_month_and_a_bad_month_is_explained(world):
    result = await world.carla.slash(world.channel, "bericht")
    assert [a.filename for a in result.response.attachments] == ["spitzfeder-bericht-standard-2026-10.html"]
    bad = await world.carla.slash(world.channel, "bericht", monat="November")
    assert "JJJJ-MM" in bad.response.content and not bad.response.attachments


def test_the_last_full_month_is_counted_in_the_account_s_time_zone():
    berlin = ZoneInfo("Europe/Berlin")
    assert last_full_month(datetime(2026, 11, 30, 23, 30, tzinfo=UTC), berlin) == "2026-11"  # 1 December there
    assert last_full_month(datetime(2026, 1, 15, tzinfo=UTC), berlin) == "2025-12"
