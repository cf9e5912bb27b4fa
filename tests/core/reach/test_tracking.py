"""TrackingService: the schedule, rounds, restarts, deleted posts and the read budget (SQLite, FakeClock)."""

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from bot.adapters.storage.schema import SnapshotRow
from bot.core.errors import PublishError
from bot.core.notices import Announcement
from bot.core.reach.metrics import Metrics
from bot.core.reach.tracking import Lookup, TrackingService, duration_de
from bot.core.timespec import parse_schedule
from tests.fakes.publisher import RecordingNotifier
from tests.fixtures.x import posted_post

HOUR = 3600


class FakeMetrics:
    """An in-memory MetricsSource that counts its reads like the X client does."""

    batch_size = 100

    def __init__(self, usage) -> None:
        self.usage = usage
        self.numbers: dict[str, Metrics] = {}
        self.gone: dict[str, str] = {}
        self.requests: list[list[str]] = []
        self.follower_count = 600
        self.follower_reads = 0
        self.failure: PublishError | None = None

    async def lookup(self, remote_ids):
        self.requests.append(list(remote_ids))
        if self.failure:
            raise self.failure
        await self.usage.record("read", items=len(remote_ids))
        return Lookup({i: self.numbers.get(i, Metrics()) for i in remote_ids if i not in self.gone},
                      {i: self.gone[i] for i in remote_ids if i in self.gone}, self.follower_count)

    async def followers(self):
        self.follower_reads += 1
        await self.usage.record("read", items=1)
        return self.follower_count


@pytest.fixture
def source(usage_store):
    return FakeMetrics(usage_store)


@pytest.fixture
def notifier():
    return RecordingNotifier()


@pytest.fixture
def make_tracking(tracking_store, usage_store, source, notifier, clock):
    def make(schedule="1h,6h,24h,48h,7d", budget=10_000):
        return TrackingService(tracking_store, source, notifier, clock, usage=usage_store,
                               schedule=parse_schedule(schedule), read_budget_month=budget)
    return make


def texts(notifier, set_id=None):
    return [e.text for e in notifier.events if isinstance(e, Announcement) and e.set_id == set_id]


async def snapshot_states(engine):
    async with async_sessionmaker(engine)() as session:
        return [(row.step, row.state) for row in await session.scalars(select(SnapshotRow).order_by(SnapshotRow.id))]


def test_schedule_parsing():
    assert [s.seconds for s in parse_schedule("7d, 1h,30s ,15m,1h")] == [30, 900, 3600, 604800]
    for bad in ("", " , ", "6x", "0h", "h", "1.5h"):
        with pytest.raises(ValueError, match="METRICS_SCHEDULE"):
            parse_schedule(bad)
    assert [duration_de(s) for s in (45, 900, 6 * HOUR, 86400, 7 * 86400)] == ["45 s", "15 min", "6 h", "1 Tag",
                                                                               "7 Tagen"]


async def test_a_follow_up_after_each_step(engine, make_tracking, source, notifier, clock):
    post = await posted_post(engine, clock, "111", followers=500)
    tracking = make_tracking()
    clock.advance(HOUR - 1)
    assert (await tracking.run_due()).taken == 0 and source.requests == []
    clock.advance(1)
    source.numbers["111"] = Metrics(retweets=3, likes=10, replies=1, quotes=0, impressions=400)
    assert (await tracking.run_due()).taken == 1
    clock.advance(5 * HOUR)
    source.numbers["111"] = Metrics(retweets=12, likes=30, replies=4, quotes=2, bookmarks=5, impressions=1204)
    await tracking.run_due()
    assert texts(notifier, post.set_id) == [
        "X nach 1 h: 3 Reposts, 10 Likes, 1 Antwort, 0 Zitate, 400 Impressionen — Multiplikator 0,8×, "
        "Repost-Anteil 0,8 %",
        "X nach 6 h: 12 Reposts, 30 Likes, 4 Antworten, 2 Zitate, 1.204 Impressionen — Multiplikator 2,4×, "
        "Repost-Anteil 1,2 %",
    ]
    assert await snapshot_states(engine) == [("1h", "taken"), ("6h", "taken"), ("24h", "pending"),
                                             ("48h", "pending"), ("7d", "pending")]


async def test_seconds_schedule_and_no_multiplier_without_follower_count(engine, make_tracking, notifier, clock):
    post = await posted_post(engine, clock, "5", followers=None)
    tracking = make_tracking("30s,2m")
    clock.advance(30)
    await tracking.run_due()
    assert texts(notifier, post.set_id) == ["X nach 30 s: 0 Reposts, 0 Likes, 0 Antworten, 0 Zitate, 0 Impressionen"]


async def test_all_posts_due_in_one_round_share_one_request(engine, make_tracking, tracking_store, source, clock):
    for n in range(3):
        await posted_post(engine, clock, str(n))
    clock.advance(HOUR)
    result = await make_tracking().run_due()
    assert result.taken == 3 and result.read_requests == 1 and source.requests == [["0", "1", "2"]]
    assert await tracking_store.followers() == [("2026-11-25", 600)]  # carried by the same answer
    assert source.follower_reads == 0


async def test_simulated_posts_are_never_tracked(engine, make_tracking, source, clock):
    await posted_post(engine, clock, "simuliert-abc", simulated=True)
    clock.advance(8 * 86400)
    assert (await make_tracking().run_due()).taken == 0 and source.requests == []
    assert await snapshot_states(engine) == []


async def test_snapshots_missed_while_down_are_taken_at_start(engine, make_tracking, source, notifier, clock):
    post = await posted_post(engine, clock, "7")
    # the bot goes down right after posting and comes back 30 hours later
    clock.advance(30 * HOUR)
    restarted = make_tracking()  # a new service on the same database
    source.numbers["7"] = Metrics(likes=40, impressions=2000)
    result = await restarted.run_due()
    assert result.taken == 1 and result.skipped == 2 and len(source.requests) == 1
    [text] = texts(notifier, post.set_id)
    assert text.startswith("X nach 24 h: 0 Reposts, 40 Likes") and "verspätet erfasst, nach 30 h" in text
    assert await snapshot_states(engine) == [("1h", "skipped"), ("6h", "skipped"), ("24h", "taken"),
                                             ("48h", "pending"), ("7d", "pending")]
    assert (await restarted.run_due()).taken == 0  # nothing twice


async def test_deleted_post_ends_its_tracking_with_a_note(engine, make_tracking, source, notifier, clock):
    post = await posted_post(engine, clock, "9")
    tracking = make_tracking()
    clock.advance(HOUR)
    source.gone["9"] = "gelöscht oder nicht mehr auffindbar"
    result = await tracking.run_due()
    assert result.ended == 1 and result.taken == 0
    assert texts(notifier, post.set_id) == ["Tracking beendet: Der Post ist gelöscht oder nicht mehr auffindbar. "
                                            "Die bisherigen Zahlen bleiben gespeichert."]
    clock.advance(8 * 86400)
    assert (await tracking.run_due()).ended == 0 and len(source.requests) == 1
    assert {state for _, state in await snapshot_states(engine)} == {"ended"}


async def test_a_failed_read_keeps_the_snapshots_and_says_so_once(engine, make_tracking, source, notifier, clock):
    post = await posted_post(engine, clock, "3")
    tracking = make_tracking()
    clock.advance(HOUR)
    source.failure = PublishError("X ist gerade gestört (HTTP 503).", retryable=True)
    assert (await tracking.run_due()).error
    clock.advance(60)
    await tracking.run_due()  # paused: X is not asked again right away
    assert len(source.requests) == 1
    assert texts(notifier) == ["⚠️ Die Zahlen konnten nicht von X abgefragt werden: X ist gerade gestört (HTTP 503). "
                               "Nächster Versuch in 10 min."]
    source.failure = None
    clock.advance(600)
    assert (await tracking.run_due()).taken == 1 and texts(notifier, post.set_id)[0].startswith("X nach 1 h")


async def test_follower_count_recorded_at_posting_and_daily(engine, make_tracking, tracking_store, source, clock):
    await posted_post(engine, clock, "1", followers=500)
    tracking = make_tracking("1h,7d")
    await tracking.run_due()
    assert await tracking_store.followers() == [("2026-11-25", 500)]  # from posting time
    clock.advance(HOUR)
    await tracking.run_due()  # the metrics answer carries the count: no extra request
    assert await tracking_store.followers() == [("2026-11-25", 600)] and source.follower_reads == 0
    clock.advance(24 * HOUR)
    source.follower_count = 650
    await tracking.run_due()  # a day without a snapshot: one read of its own
    await tracking.run_due()
    assert await tracking_store.followers() == [("2026-11-25", 600), ("2026-11-26", 650)]
    assert source.follower_reads == 1 and len(source.requests) == 1


async def test_budget_thins_out_near_the_cap_and_stops_at_it(engine, make_tracking, usage_store, source,
                                                             notifier, clock):
    tracking = make_tracking("1h,6h,24h", budget=10)
    for n in range(3):
        await posted_post(engine, clock, f"p{n}")
    clock.advance(HOUR)
    assert (await tracking.run_due()).taken == 3  # 3 of 10: fine
    for _ in range(5):
        await usage_store.record("read", items=1)  # other reads this month: 8 of 10 used
    clock.advance(5 * HOUR)
    result = await tracking.run_due()
    assert result.taken == 0 and result.skipped == 3  # the 6 h step is thinned out
    [notice] = texts(notifier)
    assert "ausgedünnt" in notice and "8 von 10" in notice
    clock.advance(18 * HOUR)
    result = await tracking.run_due()  # the last step is kept while the budget lasts: room for 2
    assert (result.taken, result.skipped) == (2, 1)
    assert "aufgebraucht" in texts(notifier)[-1] and len(texts(notifier)) == 2
    assert await usage_store.reads_in_month(clock.now()) == 10
    clock.advance(HOUR)
    await tracking.run_due()
    assert len(texts(notifier)) == 2  # said once


async def test_budget_zero_reads_nothing(engine, make_tracking, source, notifier, clock):
    await posted_post(engine, clock, "1")
    clock.advance(HOUR)
    result = await make_tracking(budget=0).run_due()
    assert result.skipped == 1 and source.requests == [] and "X_READ_BUDGET_MONTH ist 0" in texts(notifier)[0]


# --- next_due: when the scheduler's tracking lane plans its next round ---

async def test_next_due_is_now_for_a_new_post_then_its_first_snapshot(engine, make_tracking, clock):
    tracking = make_tracking("1h,6h,48h")
    assert await tracking.next_due() is None  # nothing posted, nothing to track
    await posted_post(engine, clock, "1", followers=None)
    posted_at = clock.now()
    clock.advance(5)
    assert await tracking.next_due() == clock.now()  # to enrol (the posting lane's PostPublished wakes it)
    await tracking.run_due()  # enrols, and reads the follower count of the day (none yet)
    assert await tracking.next_due() == posted_at + timedelta(hours=1)
    clock.advance(HOUR)
    await tracking.run_due()
    assert await tracking.next_due() == posted_at + timedelta(hours=6)
    clock.advance(5 * HOUR)
    await tracking.run_due()
    # the 6 h answer carried the follower count: the next daily read comes before the 48 h snapshot
    assert await tracking.next_due() == clock.now() + timedelta(days=1)
    clock.advance(24 * HOUR)
    await tracking.run_due()
    assert await tracking.next_due() == posted_at + timedelta(hours=48)


async def test_next_due_waits_out_the_pause_after_a_failed_read(engine, make_tracking, source, clock):
    await posted_post(engine, clock, "3")
    tracking = make_tracking()
    await tracking.run_due()
    clock.advance(HOUR)
    source.failure = PublishError("X ist gerade gestört (HTTP 503).", retryable=True)
    await tracking.run_due()
    assert await tracking.next_due() == clock.now() + timedelta(minutes=10)
    clock.advance(60)
    await posted_post(engine, clock, "4")  # a new post is enrolled even during the pause
    assert await tracking.next_due() == clock.now()
    await tracking.run_due()
    assert await tracking.next_due() == clock.now() + timedelta(minutes=9)


async def test_next_due_daily_follower_read_stops_with_tracking_and_budget(engine, make_tracking, usage_store,
                                                                         source, clock):
    await posted_post(engine, clock, "1", followers=500)
    posted_at = clock.now()
    tracking = make_tracking("1h", budget=2)
    await tracking.run_due()
    clock.advance(HOUR)
    await tracking.run_due()  # the 1 h snapshot; its answer carried the follower count
    assert await tracking.next_due() == clock.now() + timedelta(days=1)
    clock.advance(24 * HOUR)
    assert await tracking.next_due() == clock.now()  # the budget (2) has room for one more read
    await tracking.run_due()
    assert source.follower_reads == 1 and await tracking.next_due() is None  # 1 h + 1 day past: done
    assert clock.now() - posted_at == timedelta(hours=25)
    await usage_store.record("read", items=5)
    assert await tracking.next_due() is None


async def test_next_due_skips_the_follower_read_when_the_budget_is_used_up(engine, make_tracking, usage_store,
                                                                          source, clock):
    await posted_post(engine, clock, "1", followers=None)
    tracking = make_tracking("1h,7d", budget=1)
    await usage_store.record("read", items=1)
    await tracking.run_due()  # enrols; no room for the follower read
    assert source.follower_reads == 0
    assert await tracking.next_due() == clock.now() + timedelta(hours=1)  # the snapshot, not a spin on followers


class FailingAfterSnapshot:
    """Amplifier work that fails for the first post it is asked about (e.g. the database was locked)."""

    def __init__(self) -> None:
        self.asked: list[int] = []

    async def after_snapshot(self, post, metrics, now):
        self.asked.append(post.post_id)
        if len(self.asked) == 1:
            raise RuntimeError("database is locked")
        return "Weitergetragen von 1 Konto"


async def test_failing_work_after_a_snapshot_costs_neither_its_follow_up_nor_the_batch(
        engine, tracking_store, usage_store, source, notifier, clock, caplog):
    first = await posted_post(engine, clock, "201", followers=500)
    second = await posted_post(engine, clock, "202", followers=500)
    after = FailingAfterSnapshot()
    tracking = TrackingService(tracking_store, source, notifier, clock, usage=usage_store,
                               schedule=parse_schedule("1h"), read_budget_month=10_000, after_snapshot=after)
    clock.advance(HOUR)
    assert (await tracking.run_due()).taken == 2 and len(source.requests) == 1  # one read for both, not repeated
    assert texts(notifier, first.set_id)[0].startswith("X nach 1 h:") and "Weitergetragen" not in texts(
        notifier, first.set_id)[0]
    assert texts(notifier, second.set_id)[0].endswith("\nWeitergetragen von 1 Konto")
    assert "the work after the snapshot of post" in caplog.text
