"""SqlLearningStore: pattern, tone, newest taken reading and distinct notable amplifiers per post, in one query."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import event

from bot.adapters.storage.learning import SqlLearningStore
from bot.core.reach.metrics import Metrics
from tests.fixtures.learning import Seed, seed_posts

POSTED = datetime(2026, 11, 20, 9, tzinfo=UTC)


async def test_posts_with_pattern_tone_newest_reading_and_notable_count(engine):
    ids = await seed_posts(engine, POSTED, [
        Seed("Wer zahlt?", "kosten", "ironisch",
             readings=[(timedelta(hours=1), 100, 1), (timedelta(hours=24), 900, 9), (timedelta(hours=6), 500, 5)],
             notable=["a", "b"], others=["c"]),
        Seed("Warum jetzt?", "zeitpunkt", None, readings=[]),
        Seed("Ohne Fall?", "folgen", with_case=False, followers=None),
        Seed("Simuliert?", simulated=True),
    ])
    records = await SqlLearningStore(engine).learning_posts(POSTED - timedelta(days=1))
    assert [r.post_id for r in records] == ids[:3]  # simulated posts are left out
    paid, untracked, caseless = records
    assert (paid.text, paid.pattern, paid.tone, paid.followers_at_post) == ("Wer zahlt?", "kosten", "ironisch", 1_000)
    assert paid.latest == Metrics(likes=9, impressions=900)  # the newest by time taken, not by step
    assert paid.notable == 2 and paid.url == "https://x.com/spitzfeder/status/1864000000000000000"
    assert paid.multiplier == 0.9
    assert (untracked.pattern, untracked.tone, untracked.latest, untracked.notable) == ("zeitpunkt", None, None, 0)
    assert (caseless.pattern, caseless.tone, caseless.followers_at_post) == ("folgen", None, None)
    assert await SqlLearningStore(engine).learning_posts(POSTED + timedelta(seconds=1)) == []


async def test_many_posts_take_one_statement(engine):
    await seed_posts(engine, POSTED, [Seed(f"Frage {n}?", notable=[str(n % 3)]) for n in range(60)])
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", count)
    try:
        records = await SqlLearningStore(engine).learning_posts(POSTED - timedelta(days=1))
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", count)
    assert len(records) == 60 and all(r.notable == 1 for r in records)
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 1
