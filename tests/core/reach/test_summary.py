"""The daily summary: content, German formats, DST-correct timing, catch-up, never twice; questions answered."""

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta

import pytest

from bot.core.networks import Network
from bot.core.notices import Announcement
from bot.core.reach.metrics import Metrics
from bot.core.reach.reports import StoredReports
from bot.core.reach.summary import (
    CHART_MAX_POSTS,
    ChartBar,
    NotableSighting,
    PostRecord,
    SummaryService,
    chart_bars,
    last_slot,
    next_slot,
    render_summary,
)
from bot.core.timespec import Step, parse_time_of_day
from tests.fakes.publisher import RecordingNotifier
from tests.fakes.samples import GOOD_DRAFTS
from tests.fixtures.x import BERLIN, posted_post


class FakeChart:
    def __init__(self) -> None:
        self.calls = []

    async def render(self, bars, *, title):
        self.calls.append((bars, title))
        return b"\x89PNG fake"


class FailingNotifier:
    async def notify(self, event):
        raise ConnectionError("Discord unreachable")


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
async def make_summary(summary_store, clock):
    """Summary services of an installation that has sent summaries before."""
    await summary_store.claim_summary(date(2026, 1, 1), at=clock.now())

    def make(at="18:00", notifier=None, chart=None):
        return SummaryService(summary_store, notifier or RecordingNotifier(), clock,
                              summary_time=parse_time_of_day(at), tz=BERLIN, chart=chart)
    return make


async def add_reading(store, post, seconds: int, metrics: Metrics, at: datetime) -> None:
    await store.add_snapshots(post.id, [(Step(f"{seconds}s", seconds), at)])
    [due] = [d for d in await store.due_snapshots(at) if d.post.post_id == post.id and d.step_seconds == seconds]
    await store.record_snapshot(due.id, metrics, taken_at=at)


def test_time_of_day_parsing():
    assert parse_time_of_day("18:00") == time(18) and parse_time_of_day("07:05:30") == time(7, 5, 30)
    for bad in ("18", "25:00", "18:60", "abends", "18:00:00:00", ""):
        with pytest.raises(ValueError, match="SUMMARY_TIME"):
            parse_time_of_day(bad)


@pytest.mark.parametrize("at, now, expected_day, expected_slot", [
    # spring forward (2026-03-29): 18:00 is 16:00 UTC that day, 17:00 UTC the day before
    ("18:00", utc(2026, 3, 29, 15, 59, 59), "2026-03-28", utc(2026, 3, 28, 17)),
    ("18:00", utc(2026, 3, 29, 16), "2026-03-29", utc(2026, 3, 29, 16)),
    # 02:30 does not exist that day: it falls to 03:30 CEST
    ("02:30", utc(2026, 3, 29, 1, 29), "2026-03-28", utc(2026, 3, 28, 1, 30)),
    ("02:30", utc(2026, 3, 29, 1, 30), "2026-03-29", utc(2026, 3, 29, 1, 30)),
    # fall back (2026-10-25): 18:00 is 17:00 UTC; 02:30 exists twice and counts at its first occurrence
    ("18:00", utc(2026, 10, 25, 17), "2026-10-25", utc(2026, 10, 25, 17)),
    ("02:30", utc(2026, 10, 25, 0, 30), "2026-10-25", utc(2026, 10, 25, 0, 30)),
    ("02:30", utc(2026, 10, 25, 1, 30), "2026-10-25", utc(2026, 10, 25, 0, 30)),
])
def test_slots_across_daylight_saving_changes(at, now, expected_day, expected_slot):
    day, slot = last_slot(now, parse_time_of_day(at), BERLIN)
    assert (day.isoformat(), slot) == (expected_day, expected_slot)


@pytest.mark.parametrize("at, first, slot_utc", [
    ("18:00", utc(2026, 3, 28, 17), utc(2026, 3, 29, 16)),
    ("18:00", utc(2026, 10, 24, 16), utc(2026, 10, 25, 17)),
    ("02:30", utc(2026, 10, 24, 0, 30), utc(2026, 10, 25, 0, 30)),
])
async def test_once_per_day_on_daylight_saving_days(make_summary, clock, at, first, slot_utc):
    notifier = RecordingNotifier()
    service = make_summary(at, notifier)
    clock.current = first
    assert await service.run_due() is not None  # the day before
    clock.current = slot_utc - timedelta(seconds=1)
    assert await service.run_due() is None
    clock.current = slot_utc
    sent = await service.run_due()
    assert sent.set_id is None
    assert sent.text.startswith(f"📊 Zusammenfassung vom {slot_utc.astimezone(BERLIN):%d.%m.%Y}")
    for hours in (1, 2, 5):  # also past the repeated hour of the fall-back night
        clock.current = slot_utc + timedelta(hours=hours)
        assert await service.run_due() is None
    assert len(notifier.events) == 2


async def test_catch_up_after_downtime_and_never_twice(make_summary, clock):
    notifier = RecordingNotifier()
    clock.current = utc(2026, 11, 24, 17)  # 18:00 in Berlin
    await make_summary(notifier=notifier).run_due()
    clock.current = utc(2026, 11, 25, 19, 30)  # down at 18:00, back at 20:30
    restarted = make_summary(notifier=notifier)
    assert await restarted.run_due() is not None
    assert await make_summary(notifier=notifier).run_due() is None  # another restart: not again
    clock.current = utc(2026, 11, 27, 7)  # down through the 26th's slot, back next morning
    late = await make_summary(notifier=notifier).run_due()
    assert late is not None and len(notifier.events) == 3
    clock.current = utc(2026, 11, 27, 16, 59)
    assert await make_summary(notifier=notifier).run_due() is None


async def test_a_summary_cut_short_by_a_stop_is_sent_at_the_next_start_once(make_summary, summary_store, clock):
    clock.current = utc(2026, 11, 25, 17)
    await summary_store.claim_summary(date(2026, 11, 25), at=clock.now())  # the bot stopped while sending
    clock.advance(600)
    notifier = RecordingNotifier()
    assert await make_summary(notifier=notifier).run_due() is not None
    assert await make_summary(notifier=notifier).run_due() is None and len(notifier.events) == 1


async def test_a_failed_send_is_tried_again(make_summary, clock):
    clock.current = utc(2026, 11, 25, 17)
    with pytest.raises(ConnectionError):
        await make_summary(notifier=FailingNotifier()).run_due()
    notifier = RecordingNotifier()
    assert await make_summary(notifier=notifier).run_due() is not None


# --- next_due: when the scheduler's summary lane plans its next round ---

@pytest.mark.parametrize("at, now, expected", [
    ("18:00", utc(2026, 11, 25, 16, 59), utc(2026, 11, 25, 17)),
    ("18:00", utc(2026, 11, 25, 17), utc(2026, 11, 26, 17)),  # at the slot: the next one
    ("18:00", utc(2026, 3, 28, 17), utc(2026, 3, 29, 16)),  # spring forward
    ("02:30", utc(2026, 3, 28, 23), utc(2026, 3, 29, 1, 30)),  # 02:30 does not exist: 03:30 CEST
    ("02:30", utc(2026, 10, 25, 0, 30), utc(2026, 10, 26, 1, 30)),  # fall back: first occurrence, then next day
])
def test_next_slot_is_the_slot_last_slot_names_from_then_on(at, now, expected):
    slot = next_slot(now, parse_time_of_day(at), BERLIN)
    assert slot == expected and last_slot(slot, parse_time_of_day(at), BERLIN)[1] == slot


async def test_next_due_first_now_then_the_next_slot(make_summary, clock):
    clock.current = utc(2026, 11, 25, 12)
    service = make_summary()
    assert await service.next_due() == clock.now()  # the first round asks the store what is settled
    assert await service.run_due() is not None  # yesterday's summary, missed while the bot was down
    assert await service.next_due() == utc(2026, 11, 25, 17)
    clock.current = utc(2026, 11, 25, 17)
    assert await service.next_due() == clock.now()
    assert await service.run_due() is not None
    assert await service.next_due() == utc(2026, 11, 26, 17)


async def test_next_due_on_a_new_installation_is_the_next_slot(summary_store, clock):
    clock.current = utc(2026, 11, 25, 18)
    service = SummaryService(summary_store, RecordingNotifier(), clock, summary_time=time(18), tz=BERLIN)
    assert await service.next_due() == clock.now()
    assert await service.run_due() is None  # nothing to catch up on a new installation
    assert await service.next_due() == utc(2026, 11, 26, 17)


async def test_next_due_after_a_failed_send_is_the_retry(make_summary, clock):
    clock.current = utc(2026, 11, 25, 17)
    service = make_summary(notifier=FailingNotifier())
    with pytest.raises(ConnectionError):
        await service.run_due()
    assert await service.next_due() == clock.now() + timedelta(minutes=1)
    clock.advance(60)
    assert await service.next_due() == clock.now()


@pytest.fixture
async def week(engine, tracking_store, clock):
    """Three real posts, one simulated, one too old: readings as tracking would have stored them."""
    start = clock.current = utc(2026, 11, 17, 9)
    old = await posted_post(engine, clock, "100", text="Eine alte Frage?")
    await add_reading(tracking_store, old, 3600, Metrics(likes=999, impressions=99_999), start + timedelta(hours=1))
    clock.current = utc(2026, 11, 22, 10)
    first = await posted_post(engine, clock, "101", followers=500, text=GOOD_DRAFTS[0][0])
    await add_reading(tracking_store, first, 3600, Metrics(2, 10, 1, 0, 0, 300), utc(2026, 11, 22, 11))
    await add_reading(tracking_store, first, 86400, Metrics(12, 30, 4, 2, 3, 1204), utc(2026, 11, 23, 10))
    await add_reading(tracking_store, first, 2 * 86400, Metrics(20, 41, 6, 3, 3, 2400), utc(2026, 11, 24, 10))
    clock.current = utc(2026, 11, 24, 12)
    second = await posted_post(engine, clock, "102", followers=400, text=GOOD_DRAFTS[1][0])
    await add_reading(tracking_store, second, 3600, Metrics(1, 5, 0, 0, 0, 2000), utc(2026, 11, 24, 13))
    await add_reading(tracking_store, second, 86400, Metrics(5, 20, 2, 1, 0, 12_000), utc(2026, 11, 25, 12))
    clock.current = utc(2026, 11, 25, 8)
    await posted_post(engine, clock, "simuliert-1", simulated=True, followers=None, text=GOOD_DRAFTS[2][0])
    third = await posted_post(engine, clock, "103", followers=500, text=GOOD_DRAFTS[3][0])
    await tracking_store.add_snapshots(third.id, [(Step("1h", 3600), utc(2026, 11, 25, 9))])
    await tracking_store.end_tracking(third.id, "gelöscht oder nicht mehr auffindbar", at=utc(2026, 11, 25, 9))
    clock.current = utc(2026, 11, 25, 17)  # 18:00 in Berlin


async def test_summary_content(week, make_summary):
    chart = FakeChart()
    notifier = RecordingNotifier()
    sent = await make_summary(notifier=notifier, chart=chart).run_due()
    assert notifier.events == [sent] and isinstance(sent, Announcement)
    text = sent.text
    assert "Eine alte Frage" not in text and "99.999" not in text  # older than 7 days
    assert text.index(GOOD_DRAFTS[1][0][:40]) < text.index(GOOD_DRAFTS[0][0][:40])  # newest first
    assert "\n3. „Wer zahlt am Ende" in text and "\n4. " not in text  # the simulated post takes no place
    assert "20 Reposts, 41 Likes, 6 Antworten, 3 Zitate, 2.400 Impressionen\n" in text  # no „+0 in 24 h“
    assert "Multiplikator 4,8×, Interaktionsrate 2,9 %, Repost-Anteil 1,0 %" in text
    assert "5 Reposts, 20 Likes, 2 Antworten, 1 Zitat, 12.000 Impressionen (+10.000 in 24 h)" in text
    assert "Multiplikator 30,0×" in text
    assert GOOD_DRAFTS[2][0][:30] not in text and "simuliert" not in text.split("Summe")[0]
    assert "1. „Wie soll die Verkehrswende" in text and "\n   X: gelöscht oder nicht mehr auffindbar" in text
    assert "noch keine Zahlen" not in text
    assert "<https://x.com/spitzfeder/status/101>" in text
    assert "Summe: 3 Posts auf X, 1 simulierter Post" in text
    assert ("25 Reposts, 61 Likes, 8 Antworten, 4 Zitate, 14.400 Impressionen "
            "(+10.000 Impressionen, +22 Interaktionen in 24 h)") in text
    assert "Meiste Interaktionen: Nr. 3 „Wer zahlt am Ende" in text and "— 70 (Rate 2,9 %)" in text
    assert "Höchster Multiplikator: Nr. 2 „Was ist ein Versprechen" in text and "30,0×" in text
    assert sent.attachment == ("zusammenfassung.png", b"\x89PNG fake")
    [(bars, title)] = chart.calls
    assert [(bar.number, bar.impressions, bar.multiplier) for bar in bars] == [(2, 12_000, 30.0), (3, 2_400, 4.8)]
    assert title.startswith("Impressionen je Post, Posts vom 22.11.–24.11.2026\nam Balken: Multiplikator")


async def test_summary_without_posts_and_without_chart(make_summary, clock):
    sent = await make_summary(chart=FakeChart()).summary()
    assert "Keine Posts in den letzten 7 Tagen." in sent.text and sent.attachment is None


async def test_long_summaries_list_the_newest_posts(week, summary_store, clock):
    service = SummaryService(summary_store, RecordingNotifier(), clock, summary_time=time(18), tz=BERLIN,
                             max_posts=2)
    text = (await service.summary()).text
    assert "… und 1 ältere (alle: `spitzfeder summary`)" in text and "1. „Wie soll die Verkehrswende" in text
    assert "\n2. „Was ist ein Versprechen" in text and "\n3. " not in text


@pytest.mark.parametrize("question, expected", [
    ("Welche Frage lief diese Woche am besten?", "Am besten lief in den letzten 7 Tagen: „Wer zahlt am Ende"),
    ("Welcher Post hatte den höchsten Multiplikator?",
     "Den höchsten Multiplikator in den letzten 7 Tagen hat: „Was ist"),
    ("Was lief am schlechtesten?", "Am schwächsten lief in den letzten 7 Tagen: „Was ist"),
    ("Welche Frage lief diesen Monat am besten?", "Am besten lief in den letzten 30 Tagen: „Eine alte Frage?“"),
    ("Wie lief es heute?", "Noch keine Zahlen in den letzten 24 Stunden: kein getrackter Post auf X. "
                           "(1 simulierter Post hat keine Zahlen.)"),
    (None, "2 getrackte Posts in den letzten 7 Tagen: 25 Reposts, 61 Likes, 8 Antworten, 4 Zitate, "
           "14.400 Impressionen."),
])
async def test_questions_are_answered_from_stored_numbers(week, make_summary, question, expected):
    answer = await StoredReports(make_summary()).statistics(question)
    assert answer.startswith(expected), answer


async def test_questions_without_numbers(make_summary):
    answer = await StoredReports(make_summary()).statistics("Welche Frage lief diese Woche am besten?")
    assert answer == "Noch keine Zahlen in den letzten 7 Tagen: kein getrackter Post auf X."


async def test_reports_summary_on_demand_does_not_count_as_the_daily_one(week, make_summary):
    notifier = RecordingNotifier()
    service = make_summary(notifier=notifier)
    on_demand = await StoredReports(service).summary()
    assert on_demand.text.startswith("📊 Zusammenfassung") and notifier.events == []
    assert await service.run_due() is not None


async def test_a_new_installation_does_not_catch_up_a_slot_from_before_it_existed(summary_store, clock):
    notifier = RecordingNotifier()
    clock.current = utc(2026, 11, 25, 9)  # first start ever, the morning after a slot

    def make():
        return SummaryService(summary_store, notifier, clock, summary_time=parse_time_of_day("18:00"), tz=BERLIN)

    assert await make().run_due() is None
    clock.current = utc(2026, 11, 25, 17)  # the first slot of its life
    assert await make().run_due() is not None and len(notifier.events) == 1


@dataclass(frozen=True)
class Reading:
    taken_at: datetime
    metrics: Metrics


class ListedPosts:
    """A SummaryStore with fixed posts and their readings (an installation that has sent summaries before)."""

    def __init__(self, posts: list[tuple[PostRecord, list[Reading]]], notable=()) -> None:
        self.posts = posts
        self.notable = list(notable)

    async def posts_since(self, since, *, baseline_at):
        return [replace(post, latest=readings[-1].metrics if readings else None,
                        baseline=next((r.metrics for r in reversed(readings) if r.taken_at <= baseline_at), None))
                for post, readings in self.posts if post.posted_at >= since]

    async def notable_since(self, since):
        return self.notable

    async def claim_summary(self, local_day, *, at):
        return True

    async def release_summary(self, local_day):
        pass

    async def any_summary_sent(self):
        return True

    async def summary_delivered(self, local_day):
        return False

    async def mark_summary_delivered(self, local_day, *, at):
        pass


async def test_the_chat_summary_fits_one_discord_message(clock):
    now = clock.current = utc(2026, 11, 25, 17)
    posts = []
    for n in range(5):
        posted = now - timedelta(hours=20 * n + 2)
        posts.insert(0, (PostRecord(
            n, n, f"{n}: Wie soll die Verkehrswende gelingen, wenn Bus und Bahn fast zehn Prozent teurer werden?",
            f"https://x.com/spitzfeder/status/19000000000000000{n:02d}", posted, False, 12_345,
            tracking_note="nicht mehr öffentlich sichtbar (geschützt oder gesperrt)"),
            [Reading(posted + timedelta(hours=1), Metrics(1, 1, 1, 1, 1, 1)),
             Reading(now - timedelta(minutes=5), Metrics(12_345, 123_456, 12_345, 12_345, 1_234, 12_345_678))]))
    service = SummaryService(ListedPosts(posts), RecordingNotifier(), clock, summary_time=time(18), tz=BERLIN,
                             max_chars=1900)
    sent = await service.run_due()
    assert len(sent.text) <= 1900  # Discord refuses more than 2000 characters: the summary would be lost
    assert "\n1. „0: Wie soll" in sent.text and "ältere (alle: `spitzfeder summary`)" in sent.text
    assert "Summe: 5 Posts auf X" in sent.text  # the totals still cover every post
    assert len(render_summary(await service.report(), BERLIN)) > 1900  # the terminal lists all


async def test_the_chart_shows_the_posts_with_the_highest_multiplier_numbered_as_in_the_list(clock):
    now = clock.current = utc(2026, 11, 25, 17)
    posts = []
    for n in range(CHART_MAX_POSTS + 3):
        posted = now - timedelta(hours=CHART_MAX_POSTS + 3 - n)  # oldest first
        followers = None if n == 0 else 100
        posts.append((PostRecord(n, n, f"Frage {n}?", None, posted, n == 1, followers),
                      [Reading(posted + timedelta(minutes=30), Metrics(likes=n, impressions=10 * n + 5))]))
    chart = FakeChart()
    service = SummaryService(ListedPosts(posts), RecordingNotifier(), clock, summary_time=time(18), tz=BERLIN,
                             chart=chart)
    assert (await service.summary()).attachment is not None
    [(bars, title)] = chart.calls
    newest = CHART_MAX_POSTS + 2
    assert len(bars) == CHART_MAX_POSTS and bars[0] == ChartBar(1, f"„Frage {newest}?“", 10 * newest + 5,
                                                              (10 * newest + 5) / 100)
    assert [bar.number for bar in bars] == list(range(1, CHART_MAX_POSTS + 1))  # the list's numbers
    assert all(bar.label != "„Frage 1?“" for bar in bars)  # simulated: never drawn
    assert title.startswith("Impressionen je Post, Posts vom 25.11.2026\n")


async def test_notable_accounts_of_the_last_day_are_named_and_starred_in_the_chart(clock):
    now = clock.current = utc(2026, 11, 25, 17)
    posted = now - timedelta(hours=5)
    posts = [(PostRecord(7, 7, "Wer zahlt?", None, posted, False, 100, notable=2),
              [Reading(now - timedelta(hours=1), Metrics(retweets=40, impressions=4000))])]
    sightings = [NotableSighting(7, "mdb_beispiel", "MdB", 45_300, "repost"),
                 NotableSighting(7, "journalistin", None, 12_100, "quote")]
    chart = FakeChart()
    service = SummaryService(ListedPosts(posts, sightings), RecordingNotifier(), clock, summary_time=time(18),
                             tz=BERLIN, chart=chart)
    text = (await service.summary()).text
    assert ("Neu weitergetragen (24 h): @mdb_beispiel (MdB, 45.300 Follower, repostet Nr. 1); "
            "@journalistin (12.100 Follower, zitiert Nr. 1)") in text
    [(bars, title)] = chart.calls
    assert bars[0].notable == 2 and title.endswith("★ bemerkenswerte Weiterträger")


async def test_a_simulated_post_with_numbers_is_never_listed_ranked_or_summed(clock):
    now = clock.current = utc(2026, 11, 25, 17)
    posts = [(PostRecord(1, 1, "Echt?", "https://x.com/a/status/1", now - timedelta(hours=5), False, 100),
              [Reading(now - timedelta(hours=1), Metrics(likes=10, impressions=1_000))]),
             (PostRecord(2, 2, "Simuliert?", None, now - timedelta(hours=3), True, 100),
              [Reading(now - timedelta(hours=1), Metrics(likes=900, impressions=90_000))])]
    chart = FakeChart()
    service = SummaryService(ListedPosts(posts), RecordingNotifier(), clock, summary_time=time(18), tz=BERLIN,
                             chart=chart)
    text = (await service.summary()).text
    assert "Simuliert" not in text and "90.000" not in text
    assert "Meiste Interaktionen und höchster Multiplikator: Nr. 1 „Echt?“" in text
    assert "0 Reposts, 10 Likes, 0 Antworten, 0 Zitate, 1.000 Impressionen" in text.split("Summe")[1]
    [(bars, _)] = chart.calls
    assert [bar.label for bar in bars] == ["„Echt?“"]


def _mixed(clock, x_posts: int, bluesky_posts: int) -> ListedPosts:
    """X posts with high multipliers (n+1)×, Bluesky posts with lower Reichweiten-Multiplikatoren (n+1)/10×."""
    now = clock.current = utc(2026, 11, 25, 17)
    posts = []
    for n in range(x_posts):
        posted = now - timedelta(hours=40 - n)
        posts.append((PostRecord(n, n, f"X {n}?", None, posted, False, 100),
                      [Reading(posted + timedelta(minutes=30), Metrics(likes=1, impressions=100 * (n + 1)))]))
    for n in range(bluesky_posts):
        posted = now - timedelta(hours=20 - n)
        posts.append((PostRecord(100 + n, 100 + n, f"Bluesky {n}?", None, posted, False, 100,
                                 network=Network.BLUESKY, carried_followers=10 * (n + 1)),
                      [Reading(posted + timedelta(minutes=30), Metrics(retweets=1))]))
    return ListedPosts(posts)


@pytest.mark.parametrize("x_posts, bluesky_posts, x_bars", [(10, 6, 4), (10, 2, 6), (1, 10, 1), (0, 3, 0)])
async def test_the_chart_ranks_each_kind_of_multiplier_on_its_own(clock, x_posts, bluesky_posts, x_bars):
    """X's best by its Multiplikator, then Bluesky's best by the Reichweiten-Multiplikator: never mixed."""
    service = SummaryService(_mixed(clock, x_posts, bluesky_posts), RecordingNotifier(), clock,
                             summary_time=time(18), tz=BERLIN)
    bars = chart_bars(await service.report())
    labels = [bar.label for bar in bars]
    assert len(bars) == min(CHART_MAX_POSTS, x_posts + bluesky_posts)
    assert labels[:x_bars] == [f"„X {n}?“" for n in range(x_posts - 1, x_posts - 1 - x_bars, -1)]
    others = len(bars) - x_bars
    assert labels[x_bars:] == [f"„Bluesky {n}?“" for n in range(bluesky_posts - 1, bluesky_posts - 1 - others, -1)]
