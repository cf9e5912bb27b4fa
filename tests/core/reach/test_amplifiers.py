"""AmplifierService: reads only when reposts or quotes grew, notable alerts once, reach beyond our followers,
the budget order, restarts (SQLite store, an in-memory AmplifierSource, FakeClock)."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from bot.adapters.storage.amplifiers import SqlAmplifierStore
from bot.adapters.storage.schema import AmplifierReadRow
from bot.adapters.storage.tracking import SqlTrackingStore
from bot.core.errors import PublishError
from bot.core.notices import AmplifierSpotted, Announcement
from bot.core.reach.amplifiers import (
    Amplifier,
    AmplifierRead,
    AmplifierRules,
    AmplifierService,
    FollowerScan,
    StoredAmplifier,
    notability,
    reach_line,
)
from bot.core.reach.metrics import Metrics
from bot.core.reach.tracking import TrackingService
from bot.core.reach.watchlist import WatchEntry, Watchlist
from bot.core.timespec import parse_schedule
from tests.core.reach.test_tracking import FakeMetrics
from tests.fakes.publisher import RecordingNotifier
from tests.fixtures.x import posted_post

HOUR = 3600


def user(n: int, followers: int = 100, verified: str | None = None, kind="repost", text=None) -> Amplifier:
    return Amplifier(str(n), f"user{n}", f"User {n}", followers, verified, kind,
                     f"9{n}" if kind == "quote" else None, text)


class FakeAmplifierSource:
    """An in-memory AmplifierSource that counts what it returns like the X client does."""

    def __init__(self, usage) -> None:
        self.usage = usage
        self.reposts: dict[str, list[Amplifier]] = {}
        self.quotes: dict[str, list[Amplifier]] = {}
        self.lists: dict[str, list[tuple[str, str]]] = {}
        self.followers: set[str] = set()
        self.followers_complete = True
        self.calls: list[str] = []
        self.failure: PublishError | None = None

    async def _count(self, what: str, items: int) -> None:
        self.calls.append(what)
        if self.failure:
            raise self.failure
        await self.usage.record("read", items=items)

    async def reposters(self, remote_id, *, max_pages):
        found = self.reposts.get(remote_id, [])[:100 * max_pages]
        await self._count(f"reposters {remote_id}", len(found))
        return AmplifierRead(found, ["Not Found Error: user 77"])

    async def quoters(self, remote_id, *, max_pages):
        found = self.quotes.get(remote_id, [])[:100 * max_pages]
        await self._count(f"quoters {remote_id}", len(found))
        return AmplifierRead(found)

    async def list_members(self, list_id):
        await self._count(f"list {list_id}", len(self.lists.get(list_id, [])))
        return self.lists.get(list_id, [])

    async def our_followers(self, *, max_count):
        await self._count("followers", len(self.followers))
        return FollowerScan(set(self.followers), self.followers_complete)


@pytest.fixture
def amp_store(engine):
    return SqlAmplifierStore(engine)


@pytest.fixture
def amp_source(usage_store):
    return FakeAmplifierSource(usage_store)


@pytest.fixture
def notifier():
    return RecordingNotifier()


@pytest.fixture
def make_service(amp_store, amp_source, notifier, clock, usage_store):
    def make(schedule="6h,24h,7d", budget=10_000, **rules):
        return AmplifierService(amp_store, amp_source, notifier, clock, usage=usage_store, read_budget_month=budget,
                                rules=AmplifierRules(parse_schedule(schedule), **rules))
    return make


async def snapshot(engine, post_id: int, metrics: Metrics, clock) -> None:
    """A taken metric snapshot, as tracking leaves it."""
    store = SqlTrackingStore(engine)
    await store.add_snapshots(post_id, [(parse_schedule(f"{int(clock.now().timestamp())}s")[0], clock.now())])
    [due] = [d for d in await store.due_snapshots(clock.now()) if d.post.post_id == post_id]
    await store.record_snapshot(due.id, metrics, taken_at=clock.now())


def alerts(notifier):
    return [e for e in notifier.events if isinstance(e, AmplifierSpotted)]


async def read_states(engine):
    async with async_sessionmaker(engine)() as session:
        return [(r.step, r.state, r.note) for r in await session.scalars(select(AmplifierReadRow)
                                                                          .order_by(AmplifierReadRow.id))]


async def test_a_post_nobody_reposted_costs_no_request(engine, make_service, amp_source, clock):
    post = await posted_post(engine, clock, "111")
    service = make_service()
    assert await service.next_due() == clock.now()  # to plan
    await service.run_due()
    clock.advance(6 * HOUR)
    await snapshot(engine, post.id, Metrics(likes=5, impressions=300), clock)
    assert await service.next_due() == clock.now()
    result = await service.run_due()
    assert amp_source.calls == [] and result.reads == 1
    assert (await read_states(engine))[0] == ("6h", "taken", "keine neuen Reposts oder Zitate")


async def test_reads_only_what_grew_and_alerts_a_notable_amplifier_once(engine, make_service, amp_source, notifier,
                                                                         clock):
    post = await posted_post(engine, clock, "111")
    amp_source.reposts["111"] = [user(1), user(2, followers=45_300)]
    service = make_service()
    clock.advance(6 * HOUR)
    await snapshot(engine, post.id, Metrics(retweets=2), clock)
    result = await service.run_due()
    assert amp_source.calls == ["reposters 111"] and (result.found, result.alerts) == (2, 1)
    [alert] = alerts(notifier)
    assert (alert.set_id, alert.handle, alert.kind, alert.followers, alert.label) == (
        post.set_id, "user2", "repost", 45_300, None)
    # 24 h: one more repost and a quote by the same notable account: only the quotes are new to read
    amp_source.reposts["111"].append(user(3))
    amp_source.quotes["111"] = [user(2, followers=45_400, kind="quote", text="Gute Frage! @everyone")]
    clock.advance(18 * HOUR)
    await snapshot(engine, post.id, Metrics(retweets=3, quotes=1), clock)
    result = await service.run_due()
    assert amp_source.calls == ["reposters 111", "reposters 111", "quoters 111"]
    assert result.found == 2 and len(alerts(notifier)) == 1  # once per amplifier and post
    # 7 d: nothing grew, nothing asked
    clock.advance(6 * 86400)
    await snapshot(engine, post.id, Metrics(retweets=3, quotes=1), clock)
    await service.run_due()
    assert len(amp_source.calls) == 3
    assert [s for _, s, _ in await read_states(engine)] == ["taken", "taken", "taken"]


async def test_the_follow_up_carries_the_reach_line(engine, make_service, amp_source, notifier, clock, tracking_store,
                                                    usage_store):
    post = await posted_post(engine, clock, "111")
    amp_source.reposts["111"] = [user(1, 2_000), user(2, 45_300), user(3, 500, verified="government")]
    amp_source.followers = {"1"}
    await SqlTrackingStore(engine).record_followers(800, at=clock.now())
    watch = Watchlist({"user2": WatchEntry("user2", "MdB")})
    service = make_service(watchlist=watch)
    metrics = FakeMetrics(usage_store)
    metrics.numbers["111"] = Metrics(retweets=3, impressions=900)
    tracking = TrackingService(tracking_store, metrics, notifier, clock, usage=usage_store,
                               schedule=parse_schedule("1h,6h"), read_budget_month=10_000, after_snapshot=service)
    clock.advance(HOUR)
    await tracking.run_due()
    clock.advance(5 * HOUR)
    await tracking.run_due()
    follow_ups = [e.text for e in notifier.events if isinstance(e, Announcement) and e.set_id == post.set_id]
    assert "\n" not in follow_ups[0]  # at 1 h no amplifier read is due
    assert follow_ups[1].split("\n")[1] == ("Weitergetragen von 3 Konten (2 neu für uns), zusammen 47.800 Follower; "
                                            "darunter @user2 (MdB), @user3 (Regierung)")
    assert [(a.handle, a.label) for a in alerts(notifier)] == [("user2", "MdB"), ("user3", "Regierung")]
    assert amp_source.calls == ["reposters 111", "followers"]


async def test_followers_above_the_scan_limit_are_never_read(engine, make_service, amp_source, clock):
    post = await posted_post(engine, clock, "111")
    await SqlTrackingStore(engine).record_followers(2_001, at=clock.now())
    amp_source.reposts["111"] = [user(1)]
    clock.advance(6 * HOUR)
    await snapshot(engine, post.id, Metrics(retweets=1), clock)
    service = make_service(follower_scan_max=2_000)
    await service.run_due()
    assert amp_source.calls == ["reposters 111"]
    line = reach_line(await SqlAmplifierStore(engine).amplifiers_of(post.id))
    assert line == "Weitergetragen von 1 Konto (neu für uns: unbekannt), zusammen 100 Follower"


async def test_the_follower_list_is_read_at_most_every_scan_days(engine, make_service, amp_source, clock):
    await SqlTrackingStore(engine).record_followers(300, at=clock.now())
    service = make_service(schedule="6h,24h", follower_scan_days=7)
    for n in range(3):
        post = await posted_post(engine, clock, f"11{n}")
        amp_source.reposts[f"11{n}"] = [user(n)]
        clock.advance(6 * HOUR)
        await snapshot(engine, post.id, Metrics(retweets=1), clock)
        await service.run_due()
        clock.advance(4 * 86400)
    assert amp_source.calls.count("followers") == 2  # at 6 h and after 8 days, not after 4


async def test_an_incomplete_follower_list_means_unknown(engine, make_service, amp_source, clock):
    post = await posted_post(engine, clock, "111")
    await SqlTrackingStore(engine).record_followers(1_990, at=clock.now())
    amp_source.reposts["111"] = [user(1)]
    amp_source.followers_complete = False  # grown past the limit since the count was taken
    clock.advance(6 * HOUR)
    await snapshot(engine, post.id, Metrics(retweets=1), clock)
    service = make_service()
    await service.run_due()
    [stored] = await SqlAmplifierStore(engine).amplifiers_of(post.id)
    assert stored.follows_us is None
    second = await posted_post(engine, clock, "112")  # another post carried a day later: no new scan
    amp_source.reposts["112"] = [user(2)]
    clock.advance(24 * HOUR)
    await snapshot(engine, second.id, Metrics(retweets=1), clock)
    await service.run_due()
    assert amp_source.calls.count("followers") == 1  # each scan is paid: not repeated on every read


async def test_watchlist_members_from_an_x_list_refreshed_at_most_daily(engine, make_service, amp_source, notifier,
                                                                        clock):
    amp_source.lists["55"] = [("1", "user1")]
    service = make_service(schedule="6h,24h", watchlist=Watchlist({}, {"55": "Journalistin"}))
    post = await posted_post(engine, clock, "111")
    amp_source.reposts["111"] = [user(1, followers=12_100 - 12_000)]
    clock.advance(6 * HOUR)
    await snapshot(engine, post.id, Metrics(retweets=1), clock)
    await service.run_due()
    [alert] = alerts(notifier)
    assert (alert.handle, alert.label) == ("user1", "Journalistin")
    amp_source.reposts["111"].append(user(2))
    clock.advance(18 * HOUR - 60)  # less than a day after the list was read
    await snapshot(engine, post.id, Metrics(retweets=2), clock)
    await service.run_due()
    assert amp_source.calls.count("list 55") == 1


async def test_near_the_budget_cap_amplifiers_are_skipped_before_metrics(engine, make_service, amp_source, notifier,
                                                                         clock, tracking_store, usage_store):
    await posted_post(engine, clock, "111")
    amp_source.reposts["111"] = [user(1)]
    service = make_service(budget=1_000)
    metrics = FakeMetrics(usage_store)
    metrics.numbers["111"] = Metrics(retweets=5)
    tracking = TrackingService(tracking_store, metrics, notifier, clock, usage=usage_store,
                               schedule=parse_schedule("6h"), read_budget_month=1_000, after_snapshot=service)
    await usage_store.record("read", items=750)  # 75 %: one amplifier page (100) would pass 80 %
    clock.advance(6 * HOUR)
    result = await tracking.run_due()
    assert result.taken == 1 and amp_source.calls == []  # the snapshot is taken, the amplifier read is not
    assert (await read_states(engine))[0] == ("6h", "skipped", "Lesebudget knapp: Weiterträger übersprungen")


async def test_due_reads_survive_a_restart(engine, make_service, amp_source, clock):
    post = await posted_post(engine, clock, "111")
    await make_service().run_due()  # planned, then the bot stops
    amp_source.reposts["111"] = [user(1)]
    clock.advance(30 * HOUR)  # 6 h and 24 h fell due while it was down
    await snapshot(engine, post.id, Metrics(retweets=1), clock)
    restarted = make_service()
    assert await restarted.next_due() == post.posted_at + timedelta(hours=6)
    result = await restarted.run_due()
    assert (result.reads, result.skipped) == (1, 1) and amp_source.calls == ["reposters 111"]
    assert [s for _, s, _ in await read_states(engine)] == ["skipped", "taken", "pending"]


async def test_a_failed_read_keeps_it_pending_and_pauses(engine, make_service, amp_source, clock):
    post = await posted_post(engine, clock, "111")
    amp_source.reposts["111"] = [user(1)]
    service = make_service()
    clock.advance(6 * HOUR)
    await snapshot(engine, post.id, Metrics(retweets=1), clock)
    amp_source.failure = PublishError("Zu viele Anfragen an X (429).", retryable=True)
    result = await service.run_due()
    assert result.error and (await read_states(engine))[0][1] == "pending"
    assert await service.next_due() == clock.now() + timedelta(minutes=10)
    amp_source.failure = None
    await service.run_due()
    assert len(amp_source.calls) == 1  # paused
    clock.advance(600)
    await service.run_due()
    assert (await read_states(engine))[0][1] == "taken"


def test_notability():
    assert notability(user(1, 9_999), None, 10_000) == (False, None)
    assert notability(user(1, 10_000), None, 10_000) == (True, None)
    assert notability(user(1, 5, verified="business"), None, 10_000) == (True, "Organisation")
    assert notability(user(1, 5, verified="blue"), None, 10_000) == (False, None)
    assert notability(user(1, 5, verified="government"), "MdB", 10_000) == (True, "MdB")


def test_reach_line_counts_each_account_once():
    at = datetime(2026, 11, 25, tzinfo=UTC)
    items = [StoredAmplifier(user(1, 1_000), at, False, None, True),
             StoredAmplifier(user(1, 1_200, kind="quote", text="x"), at, False, None, True),
             StoredAmplifier(user(2, 181_000), at, True, None, False)]
    assert reach_line(items) == ("Weitergetragen von 2 Konten (1 neu für uns), zusammen 182.000 Follower; "
                                 "darunter @user2")
    assert reach_line([]) is None
