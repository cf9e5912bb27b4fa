"""Plans per draft set and the posts' figures for the best time, in SQL."""

from datetime import UTC, datetime, timedelta

import pytest

from bot.adapters.storage.posts import SqlPostFigures
from bot.adapters.storage.workflow import SqlWorkflowStore
from bot.core.conversation.records import Plan
from tests.fixtures.learning import Seed, seed_posts
from tests.fixtures.x import new_draft_set

POSTED = datetime(2026, 11, 10, 7, 0, tzinfo=UTC)


async def test_a_plan_is_kept_and_replaced(engine):
    store = SqlWorkflowStore(engine)
    set_id = await new_draft_set(engine)
    assert await store.plan(set_id) is None
    await store.save_plan(Plan(set_id, 1, POSTED, asking=True))
    assert await store.plan(set_id) == Plan(set_id, 1, POSTED, asking=True)
    planned = Plan(set_id, 2, POSTED, asking=False, planned_at=POSTED + timedelta(days=1), said="morgen 8:00")
    await store.save_plan(planned)
    assert await SqlWorkflowStore(engine).plan(set_id) == planned  # another process reads it alike


async def test_figures_use_the_newest_reading_of_real_posts(engine):
    readings = [(timedelta(hours=6), 1_000, 10), (timedelta(hours=24), 2_000, 50)]
    await seed_posts(engine, POSTED, [Seed("Frage eins?", readings=readings),
                                      Seed("Simuliert?", simulated=True),
                                      Seed("Ohne Zahlen?", readings=[])])
    await seed_posts(engine, POSTED - timedelta(days=100), [Seed("Alt?")])
    figures = await SqlPostFigures(engine).since(POSTED - timedelta(days=90))
    assert [(f.posted_at, f.engagement_rate) for f in figures] == [(POSTED, pytest.approx(0.025))]
