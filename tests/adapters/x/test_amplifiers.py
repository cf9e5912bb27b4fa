"""XAmplifiers and the whole amplifier flow through the real tweepy against the fake X API v2."""

from datetime import timedelta

import pytest

from bot.adapters.storage.amplifiers import SqlAmplifierStore
from bot.adapters.x.amplifiers import XAmplifiers
from bot.adapters.x.client import XError
from bot.adapters.x.metrics import XMetrics
from bot.core.notices import AmplifierSpotted, Announcement
from bot.core.reach.amplifiers import AmplifierRules, AmplifierService
from bot.core.reach.tracking import TrackingService
from bot.core.reach.watchlist import Watchlist, parse_csv
from bot.core.timespec import parse_schedule
from tests.fakes.publisher import RecordingNotifier
from tests.fakes.x_server import x_user
from tests.fixtures.x import posted_post

HOUR = 3600


@pytest.fixture
def amplifiers(make_client):
    return XAmplifiers(make_client())


async def test_reposters_with_paging_and_users_x_cannot_show(amplifiers, fake_x, usage_store, clock):
    post = fake_x.add_post("Frage?")
    fake_x.reposters[post.id] = [x_user(str(n), f"user{n}", followers=n) for n in range(1, 151)]
    fake_x.gone_users = {"3"}
    first = await amplifiers.reposters(post.id, max_pages=1)
    assert len(first.amplifiers) == 99 and first.notes and "Not Found Error" in first.notes[0]
    both = await amplifiers.reposters(post.id, max_pages=2)
    assert len(both.amplifiers) == 149 and {a.kind for a in both.amplifiers} == {"repost"}
    assert [q.get("pagination_token") for m, p, q in fake_x.requests] == [None, None, "100"]
    assert fake_x.requests[0][2]["user.fields"] == "public_metrics,verified,verified_type,description,username,name"
    usage = await usage_store.usage(clock.now())
    assert (usage.read_requests, usage.read_items) == (3, 99 + 149)
    assert usage.cost_micro_usd == 248 * 10_000  # $0.010 per user returned


async def test_quotes_with_their_authors_and_a_deleted_author(amplifiers, fake_x, usage_store, clock):
    post = fake_x.add_post("Frage?")
    fake_x.quotes[post.id] = [("901", "Genau!", x_user("1", "presse", 12_100, "business")),
                              ("902", "Weg", x_user("2", "weg"))]
    fake_x.gone_users = {"2"}
    read = await amplifiers.quoters(post.id, max_pages=1)
    [quote] = read.amplifiers
    assert (quote.handle, quote.kind, quote.quote_id, quote.quote_text, quote.followers, quote.verified_type) == (
        "presse", "quote", "901", "Genau!", 12_100, "business")
    assert any("902" in note for note in read.notes)
    assert fake_x.requests[0][2]["expansions"] == "author_id"
    assert (await usage_store.usage(clock.now())).cost_micro_usd == 2 * 5_000  # $0.005 per post returned


async def test_a_429_is_an_x_error_without_posting_hints(amplifiers, fake_x):
    fake_x.fail("GET /2/tweets/1/retweeted_by", 429, {"title": "Too Many Requests"},
                {"x-rate-limit-reset": "1795608720"})
    with pytest.raises(XError) as caught:
        await amplifiers.reposters("1", max_pages=1)
    assert "429" in caught.value.user_message and "🔁" not in caught.value.user_message


async def test_list_members_and_our_followers(amplifiers, fake_x, usage_store, clock):
    fake_x.lists["55"] = [x_user(str(n), f"m{n}") for n in range(150)]
    members = await amplifiers.list_members("55")
    assert len(members) == 150 and members[0] == ("0", "m0")
    fake_x.follower_ids = [str(n) for n in range(1_500)]
    scan = await amplifiers.our_followers(max_count=2_000)
    assert scan.complete and len(scan.user_ids) == 1_500
    assert fake_x.count("GET", "/2/users/4242/followers") == 2  # 1 000 per page
    fake_x.follower_ids = [str(n) for n in range(2_500)]
    assert not (await amplifiers.our_followers(max_count=2_000)).complete


@pytest.fixture
def make_reach(engine, make_client, tracking_store, usage_store, clock):
    """Tracking with amplifiers on one X client, as the bot wires them."""
    def make(notifier, *, schedule="1h,6h,24h", amplifier_schedule="6h,24h", budget=10_000, **rules):
        client = make_client()
        amplifiers = AmplifierService(SqlAmplifierStore(engine), XAmplifiers(client), notifier, clock,
                                      usage=usage_store, read_budget_month=budget,
                                      rules=AmplifierRules(parse_schedule(amplifier_schedule), **rules))
        return TrackingService(tracking_store, XMetrics(client), notifier, clock, usage=usage_store,
                               schedule=parse_schedule(schedule), read_budget_month=budget,
                               after_snapshot=amplifiers), amplifiers
    return make


async def run_for(tracking, amplifiers, clock, hours: int) -> None:
    for _ in range(hours * 4):
        clock.advance(15 * 60)
        await tracking.run_due()
        await amplifiers.run_due()


async def test_no_amplifier_request_for_a_post_nobody_reposted(engine, make_reach, fake_x, clock):
    on_x = fake_x.add_post("Frage?", likes=3, impressions=200)
    await posted_post(engine, clock, on_x.id, text=on_x.text)
    tracking, amplifiers = make_reach(RecordingNotifier())
    await run_for(tracking, amplifiers, clock, 25)
    assert fake_x.count_amplifier_requests() == 0
    assert fake_x.count("GET", "/2/tweets") == 3  # the metric snapshots only


async def test_alerts_once_per_notable_amplifier_from_csv_and_list(engine, make_reach, fake_x, clock):
    on_x = fake_x.add_post("Frage?")
    post = await posted_post(engine, clock, on_x.id, text=on_x.text)
    fake_x.lists["55"] = [x_user("3", "presse")]
    fake_x.follower_ids = ["1", "2"]
    notifier = RecordingNotifier()
    watch = Watchlist(parse_csv("handle,label,note\nanna_mdb,MdB,fiktiv\n"), {"55": "Journalistin"})
    tracking, amplifiers = make_reach(notifier, watchlist=watch)
    fake_x.reposters[on_x.id] = [x_user("1", "anna_mdb", 45_300), x_user("4", "gross", 20_000),
                                 x_user("5", "klein", 50)]
    fake_x.quotes[on_x.id] = [("901", "Genau **so**! <@123>", x_user("3", "presse", 12_100))]
    on_x.metrics.update(retweet_count=3, quote_count=1, impression_count=5_000)
    await run_for(tracking, amplifiers, clock, 7)
    fake_x.reposters[on_x.id].append(x_user("6", "neu", 10))
    on_x.metrics.update(retweet_count=4)
    await run_for(tracking, amplifiers, clock, 18)
    spotted = [e for e in notifier.events if isinstance(e, AmplifierSpotted)]
    assert sorted((a.handle, a.kind, a.label) for a in spotted) == [
        ("anna_mdb", "repost", "MdB"), ("gross", "repost", None), ("presse", "quote", "Journalistin")]
    follow_ups = [e.text for e in notifier.events if isinstance(e, Announcement) and e.set_id == post.set_id]
    assert follow_ups[1].split("\n")[1] == (
        "Weitergetragen von 4 Konten (3 neu für uns), zusammen 77.450 Follower; "
        "darunter @anna_mdb (MdB), @gross, @presse (Journalistin)")
    assert "Weitergetragen von 5 Konten (4 neu für uns)" in follow_ups[2]
    assert fake_x.count("GET", "/2/lists/55/members") == 1  # read at most daily
    assert fake_x.count("GET", "/2/users/4242/followers") == 1  # at most every FOLLOWER_SCAN_DAYS
    assert fake_x.count("GET", f"/2/tweets/{on_x.id}/quote_tweets") == 1  # quotes did not grow again


async def test_followers_above_the_scan_limit_are_unknown(engine, make_reach, fake_x, clock):
    fake_x.followers = 2_500
    on_x = fake_x.add_post("Frage?")
    post = await posted_post(engine, clock, on_x.id, text=on_x.text, followers=2_500)
    fake_x.reposters[on_x.id] = [x_user("1", "anna", 300)]
    on_x.metrics.update(retweet_count=1)
    notifier = RecordingNotifier()
    tracking, amplifiers = make_reach(notifier, follower_scan_max=2_000)
    await run_for(tracking, amplifiers, clock, 7)
    assert fake_x.count("GET", "/2/users/4242/followers") == 0
    [line] = [e.text.split("\n")[1] for e in notifier.events
              if isinstance(e, Announcement) and e.set_id == post.set_id and "\n" in e.text]
    assert line == "Weitergetragen von 1 Konto (neu für uns: unbekannt), zusammen 300 Follower"


async def test_budget_order_and_restart_against_the_wire(engine, make_reach, fake_x, usage_store, clock):
    on_x = fake_x.add_post("Frage?")
    await posted_post(engine, clock, on_x.id, text=on_x.text)
    fake_x.reposters[on_x.id] = [x_user("1", "anna", 300)]
    on_x.metrics.update(retweet_count=1)
    tracking, amplifiers = make_reach(RecordingNotifier(), budget=200)
    await usage_store.record("read", items=100)  # 50 %: a page of 100 users would pass 80 %
    await run_for(tracking, amplifiers, clock, 7)
    assert fake_x.count("GET", "/2/tweets") == 2 and fake_x.count_amplifier_requests() == 0
    # the 24 h read stays planned across a restart, and is taken once the budget allows (a new month)
    clock.advance(40 * 86400)
    tracking, amplifiers = make_reach(RecordingNotifier(), budget=200)
    assert await amplifiers.next_due() <= clock.now()
    await amplifiers.run_due()
    assert fake_x.count("GET", f"/2/tweets/{on_x.id}/retweeted_by") == 1
    assert timedelta(0) <= clock.now() - (await SqlAmplifierStore(engine).amplifiers_of(1))[0].first_seen


async def test_a_post_that_is_gone_has_no_amplifiers_and_is_not_asked_again(amplifiers, fake_x, engine, make_reach,
                                                                            clock):
    fake_x.fail("GET /2/tweets/1/retweeted_by", 404, {"title": "Not Found Error", "status": 404})
    read = await amplifiers.reposters("1", max_pages=1)
    assert read.amplifiers == [] and "404" in read.notes[0]
    on_x = fake_x.add_post("Frage?", retweets=3)
    await posted_post(engine, clock, on_x.id, text=on_x.text)
    tracking, service = make_reach(RecordingNotifier(), schedule="1h,6h", amplifier_schedule="6h,24h")
    await run_for(tracking, service, clock, 2)
    fake_x.deleted.add(on_x.id)  # deleted after the 1 h snapshot counted 3 reposts
    await run_for(tracking, service, clock, 30)  # the 6 h snapshot finds it gone: tracking ends, amplifiers too
    assert fake_x.count("GET", f"/2/tweets/{on_x.id}/retweeted_by") == 0
    assert await service.next_due() is None
