"""Tracking, amplifiers and the summary across X, Bluesky and Mastodon: one source per network, batches and
pauses per network, the X-only read budget, both multipliers, texts that name the network (SQLite, in-memory
sources, FakeClock)."""

from datetime import UTC, datetime, time, timedelta

import pytest

from bot.adapters.storage.amplifiers import SqlAmplifierStore
from bot.core.errors import PublishError
from bot.core.networks import Network
from bot.core.notices import AmplifierSpotted, Announcement
from bot.core.reach.amplifiers import Amplifier, AmplifierRead, AmplifierRules, AmplifierService, FollowerScan
from bot.core.reach.learning import LearningRecord, learning_table, render_table, tracked_posts
from bot.core.reach.metrics import Metrics, format_multiplier, network_multiplier, reach_multiplier
from bot.core.reach.reports import StoredReports
from bot.core.reach.summary import SummaryService, chart_bars, chart_title, render_summary
from bot.core.reach.tracking import DueSnapshot, Lookup, TrackedPost, TrackingService, follow_up_text
from bot.core.reach.watchlist import Watchlist, parse_csv
from bot.core.reach.weekly import TopAmplifier, WeekPost, WeekReport, render_week, split_weeks
from bot.core.timespec import parse_schedule
from tests.core.reach.posts import bluesky_uri, posted_on
from tests.fakes.publisher import RecordingNotifier
from tests.fixtures.x import BERLIN

HOUR = 3600
BSKY, MASTO, X = Network.BLUESKY, Network.MASTODON, Network.X


class Source:
    """An in-memory MetricsSource; only X's reads are counted in the usage store (what X bills)."""

    def __init__(self, batch_size: int, usage=None) -> None:
        self.batch_size = batch_size
        self.usage = usage
        self.numbers: dict[str, Metrics] = {}
        self.gone: dict[str, str] = {}
        self.requests: list[list[str]] = []
        self.failure: PublishError | None = None

    async def lookup(self, remote_ids):
        self.requests.append(list(remote_ids))
        if self.failure:
            raise self.failure
        if self.usage is not None:
            await self.usage.record("read", items=len(remote_ids))
        return Lookup({i: self.numbers.get(i, Metrics()) for i in remote_ids if i not in self.gone},
                      {i: self.gone[i] for i in remote_ids if i in self.gone}, 777)

    async def followers(self):
        if self.usage is not None:
            await self.usage.record("read", items=1)
        return 600


class Amplifiers:
    """An in-memory AmplifierSource."""

    def __init__(self, usage=None) -> None:
        self.usage = usage
        self.reposts: dict[str, list[Amplifier]] = {}
        self.calls: list[str] = []
        self.failure: PublishError | None = None

    async def reposters(self, remote_id, *, max_pages):
        self.calls.append(f"reposters {remote_id}")
        if self.failure:
            raise self.failure
        if self.usage is not None:
            await self.usage.record("read", items=len(self.reposts.get(remote_id, [])))
        return AmplifierRead(self.reposts.get(remote_id, []))

    async def quoters(self, remote_id, *, max_pages):
        self.calls.append(f"quoters {remote_id}")
        return AmplifierRead([])

    async def list_members(self, list_id):
        self.calls.append(f"list {list_id}")
        return []

    async def our_followers(self, *, max_count):
        self.calls.append("followers")
        return FollowerScan(set(), True)


@pytest.fixture
def sources(usage_store):
    return {X: Source(100, usage_store), BSKY: Source(25), MASTO: Source(1)}


@pytest.fixture
def notifier():
    return RecordingNotifier()


def make_tracking(tracking_store, usage_store, sources, notifier, clock, *, budget=10_000, after=None,
                  schedule="1h,6h,24h"):
    return TrackingService(tracking_store, sources, notifier, clock, usage=usage_store,
                           schedule=parse_schedule(schedule), read_budget_month=budget, after_snapshot=after)


def texts(notifier, set_id=None):
    return [e.text for e in notifier.events if isinstance(e, Announcement) and e.set_id == set_id]


def test_the_reach_multiplier_is_the_amplifiers_followers_per_follower():
    reposted = Metrics(retweets=2)
    assert reach_multiplier(reposted, 1200, 500) == 2.4 and reach_multiplier(reposted, 10, None) is None
    numbers = Metrics(retweets=3, impressions=1000)
    assert network_multiplier(X, numbers, 500, 99_999) == 2.0  # X: impressions, whatever carried it
    assert network_multiplier(BSKY, numbers, 500, 250) == 0.5 and network_multiplier(MASTO, numbers, 500, None) is None


def test_the_reach_multiplier_is_unknown_until_the_amplifiers_are_read():
    """Reposts or quotes but no amplifier followers known yet (first read at 6 h): unknown, not 0."""
    assert reach_multiplier(Metrics(retweets=3), 0, 500) is None
    assert reach_multiplier(Metrics(quotes=1), None, 500) is None
    assert reach_multiplier(Metrics(likes=9), 0, 500) == 0.0  # nobody carried it: 0
    assert reach_multiplier(Metrics(likes=9), None, 500) == 0.0
    assert network_multiplier(BSKY, Metrics(retweets=1), 500, 0) is None
    assert format_multiplier(network_multiplier(MASTO, Metrics(retweets=1), 500, 0)) == "–"


def test_the_first_follow_up_shows_no_reach_multiplier_before_the_amplifiers_are_read():
    posted = datetime(2026, 11, 25, 8, tzinfo=UTC)
    post = TrackedPost(1, 1, bluesky_uri("3kabc"), posted, 500, BSKY)
    snapshot = DueSnapshot(1, post, "1h", 3600, posted + timedelta(hours=1))
    reposted = follow_up_text(snapshot, Metrics(retweets=4, likes=2), snapshot.due_at, carried_followers=0)
    assert reposted.endswith("· Reichweiten-Multiplikator –")
    ignored = follow_up_text(snapshot, Metrics(likes=2), snapshot.due_at, carried_followers=0)
    assert ignored.endswith("· Reichweiten-Multiplikator 0,0×")
    carried = follow_up_text(snapshot, Metrics(retweets=4), snapshot.due_at, carried_followers=1200)
    assert carried.endswith("· Reichweiten-Multiplikator 2,4×")


async def test_snapshots_are_batched_per_network(engine, tracking_store, usage_store, sources, notifier, clock):
    for n in range(30):
        await posted_on(engine, clock, {X: str(100 + n), BSKY: bluesky_uri(f"3k{n:03d}"), MASTO: str(900 + n)}
                        if n < 2 else {X: str(100 + n), BSKY: bluesky_uri(f"3k{n:03d}")})
    clock.advance(HOUR)
    result = await make_tracking(tracking_store, usage_store, sources, notifier, clock).run_due()
    assert result.taken == 62 and result.requests_by_network == {X: 1, BSKY: 2, MASTO: 2}
    assert [len(r) for r in sources[BSKY].requests] == [25, 5] and sources[MASTO].requests == [["900"], ["901"]]
    assert [len(r) for r in sources[X].requests] == [30]
    assert await usage_store.reads_in_month(clock.now()) == 30  # Bluesky and Mastodon reads are free
    assert await tracking_store.followers() == [("2026-11-25", 777)]  # X's count only, not the others'


async def test_one_failing_network_waits_while_the_others_go_on(engine, tracking_store, usage_store, sources,
                                                                 notifier, clock):
    posts = await posted_on(engine, clock, {X: "1", BSKY: bluesky_uri("3kaaa"), MASTO: "77"})
    sources[BSKY].failure = PublishError("Bluesky bremst (Rate-Limit).")
    tracking = make_tracking(tracking_store, usage_store, sources, notifier, clock)
    clock.advance(HOUR)
    result = await tracking.run_due()
    assert result.taken == 2 and result.errors == {BSKY: "Bluesky bremst (Rate-Limit)."}
    assert texts(notifier) == ["⚠️ Die Zahlen konnten nicht von Bluesky abgefragt werden: Bluesky bremst "
                               "(Rate-Limit). Nächster Versuch in 10 min."]
    assert [t.split(":")[0] for t in texts(notifier, posts[X].set_id)] == ["X nach 1 h", "Mastodon nach 1 h"]
    clock.advance(300)  # within the pause: Bluesky is not asked again
    await tracking.run_due()
    assert len(sources[BSKY].requests) == 1
    sources[BSKY].failure = None
    clock.advance(300)
    assert (await tracking.run_due()).taken == 1 and len(sources[BSKY].requests) == 2
    assert texts(notifier, posts[X].set_id)[-1].startswith("Bluesky nach 1 h: 0 Reposts")


async def test_an_unexpected_error_pauses_only_its_network(engine, tracking_store, usage_store, sources, notifier,
                                                           clock, caplog):
    """An adapter bug (not a SpitzfederError) neither aborts the round nor starves the other networks."""
    posts = await posted_on(engine, clock, {X: "1", BSKY: bluesky_uri("3kaaa"), MASTO: "77"})
    sources[X].failure = RuntimeError("bug in the adapter")  # type: ignore[assignment]
    tracking = make_tracking(tracking_store, usage_store, sources, notifier, clock)
    clock.advance(HOUR)
    result = await tracking.run_due()
    assert result.taken == 2 and set(result.errors) == {X}
    assert texts(notifier) == ["⚠️ Die Zahlen konnten nicht von X abgefragt werden: Unerwarteter Fehler "
                               "(RuntimeError), Einzelheiten im Log. Nächster Versuch in 10 min."]
    assert [t.split(":")[0] for t in texts(notifier, posts[X].set_id)] == ["Bluesky nach 1 h", "Mastodon nach 1 h"]
    assert [str(r.exc_info[1]) for r in caplog.records if r.exc_info] == ["bug in the adapter"]
    clock.advance(600)
    await tracking.run_due()  # fails again: no second notice, no second traceback
    assert len(texts(notifier)) == 1 and sum(r.exc_info is not None for r in caplog.records) == 1
    sources[X].failure = None
    clock.advance(600)
    assert (await tracking.run_due()).taken == 1


async def test_a_paused_network_does_not_spin_the_lane(engine, tracking_store, usage_store, sources, notifier,
                                                       clock):
    await posted_on(engine, clock, {BSKY: bluesky_uri("3kaaa")})
    sources[BSKY].failure = PublishError("Bluesky ist gestört.")
    tracking = make_tracking(tracking_store, usage_store, sources, notifier, clock)
    clock.advance(HOUR)
    await tracking.run_due()
    assert await tracking.next_due() == clock.now() + timedelta(minutes=10)


async def test_the_read_budget_holds_x_back_only(engine, tracking_store, usage_store, sources, notifier, clock):
    posts = await posted_on(engine, clock, {X: "1", BSKY: bluesky_uri("3kaaa"), MASTO: "77"})
    await usage_store.record("read", items=5)
    clock.advance(HOUR)
    result = await make_tracking(tracking_store, usage_store, sources, notifier, clock, budget=5).run_due()
    assert result.taken == 2 and result.skipped == 1 and sources[X].requests == []
    assert [t.split(":")[0] for t in texts(notifier, posts[X].set_id)] == ["Bluesky nach 1 h", "Mastodon nach 1 h"]


async def test_a_deleted_post_on_one_network_ends_its_tracking_only(engine, tracking_store, usage_store, sources,
                                                                    notifier, clock):
    posts = await posted_on(engine, clock, {X: "1", MASTO: "77"})
    sources[MASTO].gone["77"] = "auf Mastodon gelöscht"
    tracking = make_tracking(tracking_store, usage_store, sources, notifier, clock)
    clock.advance(HOUR)
    result = await tracking.run_due()
    assert result.taken == 1 and result.ended == 1
    assert texts(notifier, posts[X].set_id)[-1] == ("Tracking beendet: Der Post ist auf Mastodon gelöscht. "
                                                    "Die bisherigen Zahlen bleiben gespeichert.")
    clock.advance(5 * HOUR)
    await tracking.run_due()
    assert sources[MASTO].requests == [["77"]] and len(sources[X].requests) == 2


async def test_posts_on_a_network_without_access_are_skipped(engine, tracking_store, usage_store, notifier, clock):
    await posted_on(engine, clock, {MASTO: "77"})
    tracking = make_tracking(tracking_store, usage_store, {X: Source(100)}, notifier, clock, schedule="1h")
    clock.advance(HOUR)
    assert (await tracking.run_due()).skipped == 1
    assert await tracking.next_due() is None


@pytest.fixture
def amp_sources(usage_store):
    return {X: Amplifiers(usage_store), BSKY: Amplifiers(), MASTO: Amplifiers()}


def amplifier_service(engine, amp_sources, notifier, clock, usage_store, *, budget=10_000, watchlist=None):
    return AmplifierService(SqlAmplifierStore(engine), amp_sources, notifier, clock, usage=usage_store,
                            read_budget_month=budget,
                            rules=AmplifierRules(parse_schedule("1h,6h"), notable_followers=10_000,
                                                 watchlist=watchlist or Watchlist()))


async def test_follow_ups_and_alerts_per_network(engine, tracking_store, usage_store, sources, amp_sources,
                                                  notifier, clock):
    posts = await posted_on(engine, clock, {X: "1", BSKY: bluesky_uri("3kaaa"), MASTO: "77"})
    watch = Watchlist(parse_csv("handle,network,label,note\nanna.bsky.social,bluesky,MdB,\n"
                                "anna,x,Falsch,\nbert@social.example,mastodon,Journalist,\n"))
    amplifiers = amplifier_service(engine, amp_sources, notifier, clock, usage_store, watchlist=watch)
    tracking = make_tracking(tracking_store, usage_store, sources, notifier, clock, after=amplifiers)
    amp_sources[BSKY].reposts[bluesky_uri("3kaaa")] = [
        Amplifier("did:plc:anna", "anna.bsky.social", "Anna", 900, None, "repost"),
        Amplifier("did:plc:carl", "carl.bsky.social", "Carl", 300, None, "repost")]
    amp_sources[MASTO].reposts["77"] = [Amplifier("5", "bert@social.example", "Bert", 50, None, "repost")]
    sources[BSKY].numbers[bluesky_uri("3kaaa")] = Metrics(retweets=30, likes=41, replies=3, quotes=2)
    sources[MASTO].numbers["77"] = Metrics(retweets=1, likes=4)
    sources[X].numbers["1"] = Metrics(retweets=12, likes=30, replies=4, quotes=2, impressions=1204)
    clock.advance(HOUR)
    await tracking.run_due()
    x, bluesky, mastodon = texts(notifier, posts[X].set_id)
    assert x.startswith("X nach 1 h: 12 Reposts, 30 Likes, 4 Antworten, 2 Zitate, 1.204 Impressionen — "
                        "Multiplikator 2,4×")
    assert bluesky.split("\n")[0] == ("Bluesky nach 1 h: 30 Reposts, 41 Likes, 3 Antworten, 2 Zitate · "
                                      "Reichweiten-Multiplikator 2,4×")
    assert mastodon.split("\n")[0] == "Mastodon nach 1 h: 1 Repost, 4 Likes, 0 Antworten, 0 Zitate · " \
                                      "Reichweiten-Multiplikator 0,1×"
    assert "Weitergetragen von 2 Konten (neu für uns: unbekannt), zusammen 1.200 Follower" in bluesky
    spotted = [e for e in notifier.events if isinstance(e, AmplifierSpotted)]
    assert [(e.network, e.handle, e.label) for e in spotted] == [(BSKY, "anna.bsky.social", "MdB"),
                                                                 (MASTO, "bert@social.example", "Journalist")]
    assert "followers" not in amp_sources[BSKY].calls + amp_sources[MASTO].calls  # our follower ids are X's
    assert await usage_store.reads_in_month(clock.now()) == 1  # X's metric read only: the others are free


async def test_free_networks_read_amplifiers_when_x_has_no_budget(engine, tracking_store, usage_store, sources,
                                                                   amp_sources, notifier, clock):
    await posted_on(engine, clock, {X: "1", BSKY: bluesky_uri("3kaaa")})
    await usage_store.record("read", items=95)
    amplifiers = amplifier_service(engine, amp_sources, notifier, clock, usage_store, budget=100)
    sources[X].numbers["1"] = Metrics(retweets=3)
    sources[BSKY].numbers[bluesky_uri("3kaaa")] = Metrics(retweets=3)
    tracking = make_tracking(tracking_store, usage_store, sources, notifier, clock, budget=100, after=amplifiers)
    clock.advance(HOUR)
    await tracking.run_due()
    assert amp_sources[X].calls == [] and amp_sources[BSKY].calls == [f"reposters {bluesky_uri('3kaaa')}"]


async def test_one_failing_network_leaves_the_other_amplifier_reads(engine, tracking_store, usage_store, sources,
                                                                     amp_sources, notifier, clock):
    await posted_on(engine, clock, {X: "1", BSKY: bluesky_uri("3kaaa"), MASTO: "77"})
    amplifiers = amplifier_service(engine, amp_sources, notifier, clock, usage_store)
    for network, remote_id in ((X, "1"), (BSKY, bluesky_uri("3kaaa")), (MASTO, "77")):
        sources[network].numbers[remote_id] = Metrics(retweets=2)
    tracking = make_tracking(tracking_store, usage_store, sources, notifier, clock)  # amplifiers in their own lane
    clock.advance(HOUR)
    await tracking.run_due()
    amp_sources[X].failure = PublishError("X ist gestört.")
    result = await amplifiers.run_due()
    assert result.error == "X ist gestört." and result.requests_by_network == {BSKY: 1, MASTO: 1}


async def test_an_unexpected_amplifier_error_leaves_the_other_networks(engine, tracking_store, usage_store, sources,
                                                                        amp_sources, notifier, clock, caplog):
    await posted_on(engine, clock, {X: "1", BSKY: bluesky_uri("3kaaa"), MASTO: "77"})
    amplifiers = amplifier_service(engine, amp_sources, notifier, clock, usage_store)
    for network, remote_id in ((X, "1"), (BSKY, bluesky_uri("3kaaa")), (MASTO, "77")):
        sources[network].numbers[remote_id] = Metrics(retweets=2)
    tracking = make_tracking(tracking_store, usage_store, sources, notifier, clock)
    clock.advance(HOUR)
    await tracking.run_due()
    amp_sources[BSKY].failure = RuntimeError("bug in the adapter")  # type: ignore[assignment]
    result = await amplifiers.run_due()
    assert result.error == "Unerwarteter Fehler (RuntimeError), Einzelheiten im Log."
    assert result.requests_by_network == {X: 1, MASTO: 1}
    assert sum(r.exc_info is not None for r in caplog.records) == 1


async def test_the_summary_per_network_and_in_total(engine, tracking_store, usage_store, sources, amp_sources,
                                                     summary_store, notifier, clock):
    posts = await posted_on(engine, clock, {X: "1", BSKY: bluesky_uri("3kaaa"), MASTO: "77"}, text="Wer zahlt?")
    amplifiers = amplifier_service(engine, amp_sources, notifier, clock, usage_store)
    amp_sources[BSKY].reposts[bluesky_uri("3kaaa")] = [
        Amplifier("did:plc:anna", "anna.bsky.social", "Anna", 20_000, None, "repost")]
    sources[X].numbers["1"] = Metrics(retweets=12, likes=30, replies=4, quotes=2, impressions=1204)
    sources[BSKY].numbers[bluesky_uri("3kaaa")] = Metrics(retweets=30, likes=41, replies=3, quotes=2)
    sources[MASTO].numbers["77"] = Metrics(retweets=1, likes=4)
    await make_tracking(tracking_store, usage_store, sources, notifier, clock, after=amplifiers).run_due()
    clock.advance(HOUR)
    await make_tracking(tracking_store, usage_store, sources, notifier, clock, after=amplifiers).run_due()
    service = SummaryService(summary_store, RecordingNotifier(), clock, summary_time=time(18), tz=BERLIN)
    report = await service.report()
    text = render_summary(report, BERLIN)
    assert [(bar.number, bar.network, bar.impressions) for bar in chart_bars(report)] == [
        (1, X, 1204), (1, BSKY, 20_000), (1, MASTO, 0)]  # the reach: impressions on X, amplifiers' followers else
    assert chart_title(report, BERLIN).startswith(
        "Reichweite je Post, Posts vom 25.11.2026\n(X: Impressionen; Bluesky, Mastodon: Follower der Weiterträger)\n"
        "am Balken: Multiplikator (X) bzw. R: Reichweiten-Multiplikator")
    assert "\n1. „Wer zahlt?“ — 25.11. 10:00\n   X: 12 Reposts, 30 Likes, 4 Antworten, 2 Zitate, 1.204 Impressionen" \
        in text and "\n2. " not in text
    assert "\n   Bluesky: 30 Reposts, 41 Likes, 3 Antworten, 2 Zitate (+76 Interaktionen in 24 h)\n" \
           "   Reichweiten-Multiplikator 40,0×\n   <https://bsky.app/profile/spitzfeder.bsky.social/post/3kaaa>" in text
    assert "\n   Mastodon: 1 Repost, 4 Likes, 0 Antworten, 0 Zitate" in text
    assert "Summe: 1 Post auf X, 1 Post auf Bluesky, 1 Post auf Mastodon" in text
    assert "\n   Gesamt: 43 Reposts, 75 Likes, 7 Antworten, 4 Zitate, 1.204 Impressionen" in text
    assert "Höchster Multiplikator auf X: Nr. 1" in text and "Höchster Reichweiten-Multiplikator auf Bluesky: Nr. 1 " \
        "„Wer zahlt?“ — 40,0×" in text
    assert "Meiste Interaktionen auf Bluesky: Nr. 1 „Wer zahlt?“ — 76" in text
    assert posts[BSKY].id != posts[X].id


async def test_statistics_name_the_network_and_compare_multipliers_within_one(engine, tracking_store, usage_store,
                                                                              sources, amp_sources, summary_store,
                                                                              notifier, clock):
    await posted_on(engine, clock, {X: "1", BSKY: bluesky_uri("3kaaa")}, text="Wer zahlt?")
    amplifiers = amplifier_service(engine, amp_sources, notifier, clock, usage_store)
    amp_sources[BSKY].reposts[bluesky_uri("3kaaa")] = [
        Amplifier("did:plc:anna", "anna.bsky.social", "Anna", 20_000, None, "repost")]
    sources[X].numbers["1"] = Metrics(retweets=1, likes=2, impressions=100)
    sources[BSKY].numbers[bluesky_uri("3kaaa")] = Metrics(retweets=3, likes=9)
    clock.advance(HOUR)
    await make_tracking(tracking_store, usage_store, sources, notifier, clock, after=amplifiers).run_due()
    reports = StoredReports(SummaryService(summary_store, RecordingNotifier(), clock, summary_time=time(18),
                                           tz=BERLIN))
    reach = await reports.statistics("Welcher Post hatte den höchsten Multiplikator?")
    assert reach.split("\n")[0] == ("Den höchsten Multiplikator auf X in den letzten 7 Tagen hat: „Wer zahlt?“ "
                                    "(25.11. 10:00, X): 1 Repost, 2 Likes, 0 Antworten, 0 Zitate, 100 Impressionen; "
                                    "Multiplikator 0,2×, Interaktionsrate 3,0 %")
    assert ("Den höchsten Reichweiten-Multiplikator auf Bluesky in den letzten 7 Tagen hat: „Wer zahlt?“ (25.11. "
            "10:00, Bluesky): 3 Reposts, 9 Likes, 0 Antworten, 0 Zitate; Reichweiten-Multiplikator 40,0×") in reach
    overview = await reports.statistics()
    assert overview.split("\n")[:3] == [
        "2 getrackte Posts in den letzten 7 Tagen: 4 Reposts, 11 Likes, 0 Antworten, 0 Zitate, 100 Impressionen.",
        "   X: 1 Repost, 2 Likes, 0 Antworten, 0 Zitate, 100 Impressionen",
        "   Bluesky: 3 Reposts, 9 Likes, 0 Antworten, 0 Zitate"]


def learning(post_id, set_id, network, *, impressions=0, carried=0, pattern="kosten"):
    return LearningRecord(post_id, f"Frage {set_id}?", f"https://example/{post_id}", pattern, None, False, 100,
                          Metrics(retweets=1, impressions=impressions), 0, set_id, network, carried)


def test_learning_counts_a_draft_once_with_x_first():
    records = [learning(1, 1, X, impressions=300), learning(2, 1, BSKY, carried=5_000),
               learning(3, 2, BSKY, carried=200), learning(4, 2, MASTO, carried=900),
               learning(5, 3, MASTO, carried=400)]
    chosen = tracked_posts(records)
    assert [(r.post_id, r.multiplier) for r in chosen] == [(1, 3.0), (3, 2.0), (5, 4.0)]
    table = learning_table(records, default_tone="sachlich", window_days=90)
    assert table.tracked == 3 and table.reach_based == 2
    text = render_table(table)
    assert "ohne X-Post die von Bluesky oder Mastodon mit dem Reichweiten-Multiplikator" in text
    assert "bester 4,0× (Reichweiten-Multiplikator, Mastodon)" in text


def test_the_week_keeps_the_two_multipliers_apart():
    now = datetime(2026, 11, 30, 17, tzinfo=UTC)
    posts = [WeekPost(now - timedelta(days=1), Metrics(likes=5, impressions=1000), 2.0, X),
             WeekPost(now - timedelta(days=2), Metrics(likes=9), 40.0, BSKY),
             WeekPost(now - timedelta(days=3), Metrics(likes=1), 1.0, MASTO),
             WeekPost(now - timedelta(days=9), Metrics(likes=1), 3.0, BSKY)]
    this_week, last_week = split_weeks(posts, now)
    text = render_week(WeekReport(now, this_week, last_week, [TopAmplifier("anna.bsky.social", "MdB", 20_000, 2,
                                                                           BSKY)]), BERLIN)
    assert "   Multiplikator im Median: 2,0× (davor –)" in text
    assert "   Reichweiten-Multiplikator (Bluesky, Mastodon) im Median: 20,5× (davor 3,0×)" in text
    assert "@anna.bsky.social (MdB, 20.000 Follower, 2 Posts, Bluesky)" in text


def test_the_week_counts_a_question_on_three_networks_once():
    now = datetime(2026, 11, 30, 17, tzinfo=UTC)
    posts = [WeekPost(now - timedelta(days=1), Metrics(likes=5, impressions=1000), 2.0, X, set_id=1),
             WeekPost(now - timedelta(days=1), Metrics(likes=9), 4.0, BSKY, set_id=1),
             WeekPost(now - timedelta(days=1), Metrics(likes=1), None, MASTO, set_id=1),
             WeekPost(now - timedelta(days=2), Metrics(likes=2, impressions=500), 1.0, X, set_id=2),
             WeekPost(now - timedelta(days=9), Metrics(likes=4, impressions=800), 1.0, X, set_id=3)]
    this_week, last_week = split_weeks(posts, now)
    lines = render_week(WeekReport(now, this_week, last_week, []), BERLIN).splitlines()
    assert lines[1:4] == ["   Fragen: 2 (davor 1), gepostet als 4 Posts (davor 1)",
                          "   Impressionen auf X: 1.500 (+88 %) (davor 800)",
                          "   Interaktionen auf allen Netzwerken: 17 (+325 %) (davor 4)"]


async def test_a_paused_network_does_not_spin_the_amplifier_lane(engine, tracking_store, usage_store, sources,
                                                                 amp_sources, notifier, clock):
    await posted_on(engine, clock, {X: "1", BSKY: bluesky_uri("3kaaa")})
    amplifiers = amplifier_service(engine, amp_sources, notifier, clock, usage_store)
    sources[X].numbers["1"] = Metrics(retweets=2)
    sources[BSKY].numbers[bluesky_uri("3kaaa")] = Metrics(retweets=2)
    clock.advance(HOUR)
    await make_tracking(tracking_store, usage_store, sources, notifier, clock).run_due()
    amp_sources[BSKY].failure = PublishError("Bluesky ist gestört.")
    result = await amplifiers.run_due()
    assert result.error == "Bluesky ist gestört." and result.requests_by_network == {X: 1}  # failed: not counted
    # X's next read is at 6 h; Bluesky's 1 h read waits for the pause's end instead of being due at once
    assert await amplifiers.next_due() == clock.now() + timedelta(minutes=10)
