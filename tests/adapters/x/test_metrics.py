"""XMetrics: public_metrics through the real tweepy against the fake X API v2."""

import pytest

from bot.adapters.x.client import XNotFound
from bot.adapters.x.metrics import XMetrics
from bot.core.errors import PublishError
from bot.core.reach.metrics import Metrics
from bot.core.reach.tracking import TrackingService
from bot.core.timespec import parse_schedule
from tests.fakes.publisher import RecordingNotifier
from tests.fixtures.x import posted_post


@pytest.fixture
def metrics(make_client):
    return XMetrics(make_client())


async def test_reads_public_metrics_and_the_follower_count(metrics, fake_x):
    post = fake_x.add_post("Frage?", retweets=12, likes=30, replies=4, quotes=2, bookmarks=1, impressions=1204)
    lookup = await metrics.lookup([post.id])
    assert lookup.metrics == {post.id: Metrics(12, 30, 4, 2, 1, 1204)}
    assert lookup.unavailable == {} and lookup.followers == 500


async def test_150_posts_in_two_requests(metrics, fake_x, usage_store, clock):
    ids = [fake_x.add_post(f"Frage {n}?", impressions=n).id for n in range(150)]
    first, second = await metrics.lookup(ids[:100]), await metrics.lookup(ids[100:])
    assert len(first.metrics) == 100 and len(second.metrics) == 50
    assert [len(q["ids"].split(",")) for m, p, q in fake_x.requests if p == "/2/tweets"] == [100, 50]
    usage = await usage_store.usage(clock.now())
    assert (usage.read_requests, usage.read_items) == (2, 150)


async def test_deleted_post_and_field_authorization_error_inside_a_200(metrics, fake_x):
    alive, deleted, hidden = (fake_x.add_post(f"Frage {n}?", likes=n) for n in range(3))
    fake_x.deleted.add(deleted.id)
    fake_x.field_error_ids.add(hidden.id)
    lookup = await metrics.lookup([alive.id, deleted.id, hidden.id])
    assert set(lookup.metrics) == {alive.id}
    assert lookup.unavailable[deleted.id] == "gelöscht oder nicht mehr auffindbar"
    assert "Field Authorization Error" in lookup.unavailable[hidden.id]


async def test_404_for_a_single_post_means_it_is_gone(metrics, fake_x):
    fake_x.fail("GET /2/tweets", 404, {"title": "Not Found Error", "detail": "Not Found", "status": 404})
    lookup = await metrics.lookup(["123"])
    assert lookup.unavailable == {"123": "gelöscht oder nicht mehr auffindbar"}
    fake_x.fail("GET /2/tweets", 404, {"title": "Not Found Error", "detail": "Not Found", "status": 404})
    with pytest.raises(XNotFound) as caught:  # for a whole batch it is a wrong address, not 2 deleted posts
        await metrics.lookup(["123", "456"])
    assert "X_API_BASE_URL" in caught.value.user_message


async def test_followers(metrics, fake_x):
    fake_x.followers = 1234
    assert await metrics.followers() == 1234


async def test_a_round_of_150_due_posts_takes_two_requests(engine, make_client, fake_x, tracking_store, usage_store,
                                                           clock):
    for n in range(150):
        on_x = fake_x.add_post(f"Frage {n}?", impressions=n)
        await posted_post(engine, clock, on_x.id, text=on_x.text)
    tracking = TrackingService(tracking_store, XMetrics(make_client()), RecordingNotifier(), clock, usage=usage_store,
                               schedule=parse_schedule("1h"), read_budget_month=10_000)
    clock.advance(3600)
    result = await tracking.run_due()
    assert (result.taken, result.read_requests) == (150, 2) and len(fake_x.requests) == 2


async def test_failed_reads_are_told_without_posting_hints(engine, make_client, fake_x, tracking_store, usage_store,
                                                          clock):
    on_x = fake_x.add_post("Frage?")
    await posted_post(engine, clock, on_x.id, text=on_x.text)
    notifier = RecordingNotifier()
    tracking = TrackingService(tracking_store, XMetrics(make_client()), notifier, clock, usage=usage_store,
                               schedule=parse_schedule("1h"), read_budget_month=10_000)
    clock.advance(3600)
    fake_x.fail("GET /2/tweets", 503, "<html><body>Service Unavailable</body></html>")
    await tracking.run_due()
    [notice] = [e.text for e in notifier.events]
    assert notice == ("⚠️ Die Zahlen konnten nicht von X abgefragt werden: X ist gerade gestört (HTTP 503). "
                      "Nächster Versuch in 10 min.")  # no 🔁: there is no draft to retry under a notice
    fake_x.fail("GET /2/users/me", 401, {"title": "Unauthorized", "status": 401})
    with pytest.raises(PublishError) as caught:
        await XMetrics(make_client()).followers()
    assert "X_ACCESS_TOKEN" in caught.value.user_message and "🔁" not in caught.value.user_message


async def test_a_failed_follower_count_read_waits_before_asking_x_again(engine, make_client, fake_x, tracking_store,
                                                                         usage_store, clock):
    await posted_post(engine, clock, "1", followers=None)  # no count from posting time: one is due
    tracking = TrackingService(tracking_store, XMetrics(make_client()), RecordingNotifier(), clock, usage=usage_store,
                               schedule=parse_schedule("1h"), read_budget_month=10_000)
    for _ in range(3):
        fake_x.fail("GET /2/users/me", 429, {"title": "Too Many Requests"}, {"x-rate-limit-reset": "1795608720"})
    for _ in range(5):  # the scheduler runs it again and again
        await tracking.run_due()
        clock.advance(1)
    assert fake_x.count("GET", "/2/users/me") == 1
    clock.advance(600)
    await tracking.run_due()
    assert fake_x.count("GET", "/2/users/me") == 2
