"""SqlSummaryStore: per post only its newest reading and the one a day before, picked in SQL; notable amplifiers."""

from datetime import UTC, datetime

from bot.adapters.storage.amplifiers import SqlAmplifierStore
from bot.core.reach.amplifiers import Amplifier, StoredAmplifier
from bot.core.reach.metrics import Metrics
from bot.core.reach.tracking import Step
from bot.core.reach.weekly import TopAmplifier
from tests.fixtures.x import posted_post


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


async def take(store, post, seconds: int, metrics: Metrics, at: datetime) -> None:
    await store.add_snapshots(post.id, [(Step(f"{seconds}s", seconds), at)])
    [due] = [d for d in await store.due_snapshots(at) if d.post.post_id == post.id and d.step_seconds == seconds]
    await store.record_snapshot(due.id, metrics, taken_at=at)


async def test_newest_and_baseline_readings_per_post(engine, tracking_store, summary_store, clock):
    clock.current = utc(2026, 11, 20, 9)
    early = await posted_post(engine, clock, "1", followers=300, text="Früh?")
    await take(tracking_store, early, 3600, Metrics(1, 2, 3, 4, 5, 60), utc(2026, 11, 20, 10))
    await take(tracking_store, early, 7200, Metrics(2, 3, 4, 5, 6, 70), utc(2026, 11, 24, 17))  # at the baseline
    await take(tracking_store, early, 10800, Metrics(3, 4, 5, 6, 7, 80), utc(2026, 11, 25, 16))
    clock.current = utc(2026, 11, 25, 8)
    fresh = await posted_post(engine, clock, "2", followers=None, text="Neu?")
    await take(tracking_store, fresh, 3600, Metrics(impressions=10), utc(2026, 11, 25, 9))
    simulated = await posted_post(engine, clock, "sim", simulated=True, followers=None, text="Simuliert?")
    gone = await posted_post(engine, clock, "3", text="Gelöscht?")
    await tracking_store.add_snapshots(gone.id, [(Step("1h", 3600), utc(2026, 11, 25, 9)),
                                                 (Step("6h", 21600), utc(2026, 11, 25, 14))])
    await tracking_store.end_tracking(gone.id, "gelöscht oder nicht mehr auffindbar", at=utc(2026, 11, 25, 9))

    records = await summary_store.posts_since(utc(2026, 11, 18), baseline_at=utc(2026, 11, 24, 17))

    assert [r.post_id for r in records] == [early.id, fresh.id, simulated.id, gone.id]  # oldest first
    first, second, sim, ended = records
    assert (first.text, first.followers_at_post, first.posted_at) == ("Früh?", 300, utc(2026, 11, 20, 9))
    assert first.latest == Metrics(3, 4, 5, 6, 7, 80) and first.baseline == Metrics(2, 3, 4, 5, 6, 70)
    assert first.url == "https://x.com/spitzfeder/status/1" and first.tracking_note is None
    assert second.latest == Metrics(impressions=10) and second.baseline is None
    assert sim.simulated and sim.latest is None and sim.baseline is None
    assert ended.latest is None and ended.tracking_note == "gelöscht oder nicht mehr auffindbar"

    later = await summary_store.posts_since(utc(2026, 11, 18), baseline_at=utc(2026, 11, 24, 16, 59))
    assert later[0].baseline == Metrics(1, 2, 3, 4, 5, 60)  # a reading after the baseline does not count
    assert [r.post_id for r in await summary_store.posts_since(utc(2026, 11, 21), baseline_at=utc(2026, 11, 24))] \
        == [fresh.id, simulated.id, gone.id]




async def test_notable_accounts_per_post_and_those_first_seen_since(engine, summary_store, clock):
    clock.current = utc(2026, 11, 25, 8)
    post = await posted_post(engine, clock, "1", followers=300, text="Wer zahlt?")

    def amplifier(user: str, followers: int, notable: bool, seen: datetime, kind="repost") -> StoredAmplifier:
        return StoredAmplifier(Amplifier(user, f"handle{user}", f"Name {user}", followers, None, kind,
                                         "9" if kind == "quote" else None, "Zitat" if kind == "quote" else None),
                               seen, notable, "MdB" if notable else None, None)

    await SqlAmplifierStore(engine).add_amplifiers(post.id, [
        amplifier("1", 45_300, True, utc(2026, 11, 24, 9)),
        amplifier("1", 45_300, True, utc(2026, 11, 25, 9), kind="quote"),  # the same account again: counted once
        amplifier("2", 80, False, utc(2026, 11, 25, 9)),
        amplifier("3", 12_100, True, utc(2026, 11, 25, 10))])

    [record] = await summary_store.posts_since(utc(2026, 11, 18), baseline_at=utc(2026, 11, 24, 17))
    assert record.notable == 2
    since = await summary_store.notable_since(utc(2026, 11, 25, 0))
    assert [(s.handle, s.kind, s.followers) for s in since] == [("handle1", "quote", 45_300),
                                                                 ("handle3", "repost", 12_100)]


async def test_the_accounts_with_the_most_followers_that_carried_posts_of_the_week(engine, summary_store, clock):
    clock.current = utc(2026, 11, 20, 8)
    old = await posted_post(engine, clock, "1", text="Alt?")
    clock.current = utc(2026, 11, 27, 8)
    first = await posted_post(engine, clock, "2", text="Eins?")
    second = await posted_post(engine, clock, "3", text="Zwei?")

    def carried(user: str, followers: int, label: str | None = None, kind="repost") -> StoredAmplifier:
        return StoredAmplifier(Amplifier(user, f"handle{user}", f"Name {user}", followers, None, kind),
                               clock.now(), label is not None, label, None)

    store = SqlAmplifierStore(engine)
    await store.add_amplifiers(old.id, [carried("9", 900_000)])  # a post of the week before: not counted
    await store.add_amplifiers(first.id, [carried("1", 45_300, "MdB"), carried("2", 500)])
    await store.add_amplifiers(second.id, [carried("1", 45_300, "MdB"), carried("3", 12_100)])

    top = await summary_store.top_amplifiers_since(utc(2026, 11, 23, 17), 2)
    assert top == [TopAmplifier("handle1", "MdB", 45_300, 2), TopAmplifier("handle3", None, 12_100, 1)]
