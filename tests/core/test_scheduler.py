"""The Scheduler with a fake clock and a fake waiter: nothing sleeps in real time; the test ends every nap."""

import asyncio
import logging
from datetime import timedelta

import pytest

from bot.adapters.storage.posts import SqlAuditLog, SqlPostStore
from bot.adapters.storage.tracking import SqlTrackingStore
from bot.adapters.storage.usage import SqlUsageStore
from bot.core.notices import PostPublished, PostScheduled
from bot.core.posting.records import PostState
from bot.core.posting.service import PostingService
from bot.core.reach.tracking import TrackingService
from bot.core.scheduler import ERROR_BACKOFF, MAX_SLEEP, Scheduler, WakeOn
from bot.core.timespec import parse_schedule
from tests.core.reach.test_tracking import FakeMetrics
from tests.fakes.clock import FakeClock
from tests.fakes.publisher import FakePublisher, RecordingNotifier, single
from tests.fakes.samples import GOOD_DRAFTS
from tests.fakes.sleeper import FakeSleeper
from tests.fixtures.x import new_draft_set


class FakeLane:
    """Due times in a list; a round takes what is due by the clock. Rounds can be held, or made to fail."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.due = []
        self.rounds = asyncio.Queue()  # what each finished round took
        self.started = 0
        self.finished = 0
        self.failures = 0  # the next rounds that raise
        self.plan_failures = 0  # the next next_due calls that raise
        self.hold: asyncio.Event | None = None  # a round waits on it (a long catch-up)
        self.plan_hold: asyncio.Event | None = None  # the next next_due waits on it after reading the plan
        self.planning = asyncio.Event()
        self.holding = asyncio.Event()
        self.cancelled = False
        self.forget_work = False  # a faulty round that never takes what is due

    async def next_due(self):
        answer = min(self.due, default=None)
        if self.plan_hold is not None:
            self.planning.set()
            await self.plan_hold.wait()
            self.plan_hold = None
        if self.plan_failures:
            self.plan_failures -= 1
            raise RuntimeError("database locked")
        return answer

    async def run_due(self):
        self.started += 1
        now = self.clock.now()
        try:
            if self.hold is not None:
                self.holding.set()
                await self.hold.wait()
        except asyncio.CancelledError:
            self.cancelled = True
            raise
        if self.failures:
            self.failures -= 1
            raise RuntimeError("X is down")
        taken = [] if self.forget_work else [d for d in self.due if d <= now]
        self.due = [d for d in self.due if d not in taken]
        self.finished += 1
        self.rounds.put_nowait(taken)
        return taken

    async def next_round(self, timeout=5.0):
        return await asyncio.wait_for(self.rounds.get(), timeout)


@pytest.fixture
def sleeper(clock):
    return FakeSleeper(clock)


@pytest.fixture
async def scheduler(clock, sleeper):
    scheduler = Scheduler(clock, sleep_until=sleeper)
    yield scheduler
    await scheduler.stop(grace_seconds=0)


def lane(scheduler, clock, name="posting"):
    fake = FakeLane(clock)
    scheduler.add_lane(name, fake.run_due, fake.next_due)
    return fake


def after(clock, seconds):
    return clock.now() + timedelta(seconds=seconds)


async def test_sleeps_until_the_earliest_due_time(scheduler, sleeper, clock):
    posting = lane(scheduler, clock)
    first, second = after(clock, 30), after(clock, 90)
    posting.due = [second, first]
    scheduler.start()
    nap = await sleeper.next_nap("posting")
    assert nap.until == first and posting.started == 0
    sleeper.advance_to(first)
    assert await posting.next_round() == [first]
    assert (await sleeper.next_nap("posting")).until == second
    sleeper.advance_to(second)
    assert await posting.next_round() == [second]
    assert posting.started == 2  # one round per due time, no polling in between


async def test_a_sleep_is_capped_and_the_plan_read_again(scheduler, sleeper, clock):
    posting = lane(scheduler, clock)
    far = after(clock, 3600)
    posting.due = [far]
    scheduler.start()
    naps = []
    for _ in range(12):
        nap = await sleeper.next_nap("posting")
        naps.append(nap.until)
        sleeper.advance_to(nap.until)
    assert naps[0] - (far - timedelta(seconds=3600)) == MAX_SLEEP and naps[-1] == far
    assert await posting.next_round() == [far] and posting.started == 1


async def test_nothing_scheduled_sleeps_until_woken(scheduler, sleeper, clock):
    posting = lane(scheduler, clock)
    scheduler.start()
    idle = await sleeper.next_nap("posting")
    assert idle.until == clock.now() + MAX_SLEEP  # nothing due: only the cap ends this nap
    due = after(clock, 10)
    posting.due = [due]
    scheduler.wake("posting")
    replanned = await sleeper.next_nap("posting")
    assert idle.ended_by == "wake" and replanned.until == due and posting.started == 0
    posting.due.append(clock.now())  # scheduled with no undo window: due at once
    scheduler.wake()
    assert await posting.next_round() == [clock.now()]
    sleeper.advance_to(due)
    assert await posting.next_round() == [due]


async def test_a_wake_while_planning_is_not_lost(scheduler, sleeper, clock):
    posting = lane(scheduler, clock)
    posting.plan_hold = asyncio.Event()
    scheduler.start()
    await posting.planning.wait()  # the lane has read "nothing scheduled" and not yet lain down
    due = clock.now()
    posting.due = [due]
    scheduler.wake("posting")
    posting.plan_hold.set()
    stale = await sleeper.next_nap("posting")
    assert stale.until == clock.now() + MAX_SLEEP  # planned before the post existed ...
    assert await posting.next_round() == [due] and stale.ended_by == "wake"  # ... but the wake ends that nap


async def test_a_failing_lane_keeps_running(scheduler, sleeper, clock, caplog):
    posting = lane(scheduler, clock)
    posting.failures = 1
    posting.plan_failures = 1
    posting.due = [clock.now()]
    scheduler.start()
    backoff = await sleeper.next_nap("posting")  # planning failed
    assert backoff.until == clock.now() + ERROR_BACKOFF
    sleeper.advance_to(backoff.until)
    backoff = await sleeper.next_nap("posting")  # the round failed: the second failure in a row waits longer
    assert backoff.until == clock.now() + 2 * ERROR_BACKOFF and posting.started == 1 and posting.finished == 0
    scheduler.wake("posting")  # a wake does not cut a back-off short
    sleeper.advance_to(backoff.until)
    assert len(await posting.next_round()) == 1 and posting.started == 2
    assert "planning the due work posting failed" in caplog.text
    assert "due work posting failed again (2 in a row): RuntimeError: X is down" in caplog.text


async def test_an_outage_is_retried_with_growing_pauses_and_one_traceback(scheduler, sleeper, clock, caplog):
    posting = lane(scheduler, clock)
    posting.failures = 8  # e.g. the database server is down for a while
    posting.due = [clock.now()]
    scheduler.start()
    pauses = []
    for _ in range(8):
        backoff = await sleeper.next_nap("posting")
        pauses.append(backoff.until - clock.now())
        sleeper.advance_to(backoff.until)
    assert pauses == [ERROR_BACKOFF * n for n in (1, 2, 4, 8, 16, 32)] + [MAX_SLEEP, MAX_SLEEP]
    assert len(await posting.next_round()) == 1  # the ninth round works: nothing was lost
    assert caplog.text.count("Traceback") == 1 and "failed again (8 in a row)" in caplog.text


async def test_a_weekend_long_outage_keeps_the_lane_alive(scheduler, sleeper, clock):
    posting = lane(scheduler, clock)
    posting.failures = 60  # hours of a database server that does not answer
    posting.due = [clock.now()]
    scheduler.start()
    for _ in range(60):
        backoff = await sleeper.next_nap("posting")
        assert backoff.until - clock.now() <= MAX_SLEEP
        sleeper.advance_to(backoff.until)
    assert len(await posting.next_round()) == 1


async def test_a_round_that_leaves_its_work_does_not_spin(scheduler, sleeper, clock, caplog):
    posting = lane(scheduler, clock)
    posting.forget_work = True
    posting.due = [clock.now()]
    scheduler.start()
    assert await posting.next_round() == []
    pause = await sleeper.next_nap("posting")
    assert pause.until == clock.now() + ERROR_BACKOFF and posting.started == 1
    assert "still due" in caplog.text
    sleeper.advance_to(pause.until)
    assert await posting.next_round() == [] and posting.started == 2


async def test_a_long_tracking_round_does_not_delay_the_posting_lane(scheduler, sleeper, clock):
    posting, tracking = lane(scheduler, clock, "posting"), lane(scheduler, clock, "tracking")
    tracking.due = [clock.now()]
    tracking.hold = asyncio.Event()  # a 1 000-snapshot catch-up in progress
    due = after(clock, 10)
    posting.due = [due]
    scheduler.start()
    await tracking.holding.wait()
    assert (await sleeper.next_nap("posting")).until == due
    sleeper.advance_to(due)
    assert await posting.next_round() == [due]
    assert tracking.finished == 0  # the catch-up is still running
    tracking.hold.set()
    assert len(await tracking.next_round()) == 1


async def test_stop_lets_a_running_round_finish(scheduler, sleeper, clock):
    posting = lane(scheduler, clock, "posting")
    lane(scheduler, clock, "summary")
    posting.hold = asyncio.Event()
    posting.due = [clock.now()]
    scheduler.start()
    await posting.holding.wait()
    await sleeper.next_nap("summary")
    stopping = asyncio.create_task(scheduler.stop(grace_seconds=60))
    for _ in range(20):
        await asyncio.sleep(0)  # let stop() run as far as it can
    assert not stopping.done() and posting.finished == 0
    posting.hold.set()
    await stopping
    assert posting.finished == 1 and not posting.cancelled
    posting.due = [clock.now()]
    scheduler.wake()
    await asyncio.sleep(0)
    assert posting.started == 1  # stopped: no new rounds


async def test_stop_cancels_a_round_that_outlasts_the_grace(scheduler, sleeper, clock):
    posting = lane(scheduler, clock)
    posting.hold = asyncio.Event()
    posting.due = [clock.now()]
    scheduler.start()
    await posting.holding.wait()
    await scheduler.stop(grace_seconds=0)
    assert posting.cancelled and posting.finished == 0


async def test_run_once_runs_every_lane_once_and_logs_failures(scheduler, clock, caplog):
    posting, tracking, summary = (lane(scheduler, clock, name) for name in ("posting", "tracking", "summary"))
    for fake in (posting, tracking, summary):
        fake.due = [clock.now()]
    tracking.failures = 1
    await scheduler.run_once()
    assert (posting.finished, tracking.finished, summary.finished) == (1, 0, 1)
    assert "due work tracking failed" in caplog.text


async def test_wake_names_a_lane_or_all_and_ignores_unknown_ones(scheduler, sleeper, clock):
    lane(scheduler, clock, "posting")
    lane(scheduler, clock, "tracking")
    scheduler.wake("nonexistent")  # nothing happens
    scheduler.start()
    posting_nap, tracking_nap = await sleeper.next_nap("posting"), await sleeper.next_nap("tracking")
    scheduler.waker("tracking")()
    await sleeper.next_nap("tracking")
    assert tracking_nap.ended_by == "wake" and not posting_nap.elapsed.is_set() and posting_nap.ended_by is None
    scheduler.wake()
    await sleeper.next_nap("posting")
    assert posting_nap.ended_by == "wake"


async def test_wake_on_notices_wakes_the_tracking_lane_after_a_post():
    woken = []
    inner = RecordingNotifier()
    notifier = WakeOn(inner, {PostPublished: lambda: woken.append("tracking")})
    await notifier.notify(PostScheduled(posts=()))
    assert woken == []
    await notifier.notify(PostPublished(post=None))
    assert woken == ["tracking"] and len(inner.events) == 2


# --- the real services in their lanes (SQLite) ---

async def test_posting_and_tracking_lanes_with_the_real_services(engine, clock, sleeper, caplog):
    caplog.set_level(logging.WARNING)
    day = timedelta(days=1)
    scheduler = Scheduler(clock, sleep_until=sleeper, max_sleep=day)
    publisher, notifier = FakePublisher(clock), RecordingNotifier()
    store = SqlTrackingStore(engine)
    usage = SqlUsageStore(engine, clock)
    source = FakeMetrics(usage)
    tracking = TrackingService(store, source, notifier, clock, usage=usage, schedule=parse_schedule("1h,6h"),
                               read_budget_month=1000)
    posting = PostingService(SqlPostStore(engine), publisher, SqlAuditLog(engine, clock),
                             WakeOn(notifier, {PostPublished: scheduler.waker("tracking")}), clock,
                             wake=scheduler.waker("posting"))
    scheduler.add_lane("posting", posting.run_due, posting.next_due)
    scheduler.add_lane("tracking", tracking.run_due, tracking.next_due)
    scheduler.start()
    try:
        assert (await sleeper.next_nap("posting")).until == clock.now() + day  # nothing scheduled
        await sleeper.next_nap("tracking")
        set_id = await new_draft_set(engine)
        await posting.approve(set_id=set_id, draft_id=1, text=GOOD_DRAFTS[0][0], source_url=None,
                              approved_by=["anna"], undo_seconds=30)
        assert (await sleeper.next_nap("posting")).until == after(clock, 30)  # woken, sleeps out the window
        sleeper.advance_to(after(clock, 30))
        assert (await sleeper.next_nap("posting")).until == clock.now() + day
        assert publisher.calls == 1
        posted_at = clock.now()
        # PostPublished woke the tracking lane: it enrolled the post and sleeps until its first snapshot.
        # (Its earlier nap may also have seen the clock move: wait for the plan that knows the snapshots.)
        while (nap := await sleeper.next_nap("tracking")).until != posted_at + timedelta(hours=1):
            assert nap.until > posted_at
        sleeper.advance_to(posted_at + timedelta(hours=1))
        assert (await sleeper.next_nap("tracking")).until == posted_at + timedelta(hours=6)
        assert len(source.requests) == 1
        assert (single(await SqlPostStore(engine).for_set(set_id))).state is PostState.POSTED
    finally:
        await scheduler.stop()
    assert "failed" not in caplog.text
