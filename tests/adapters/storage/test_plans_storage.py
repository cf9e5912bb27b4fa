"""Plans per draft set and the posts' figures for the best time, in SQL."""

from datetime import UTC, datetime, timedelta

import pytest

from bot.adapters.storage.posts import SqlPostFigures
from bot.adapters.storage.workflow import SqlWorkflowStore
from bot.core.conversation.records import Plan, SetState
from bot.core.drafting.checks import check_draft
from bot.core.drafting.models import DraftSet, NewsItem
from bot.core.networks import Network
from tests.fakes.samples import GOOD_DRAFTS, NEWS
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


async def test_reopening_a_set_copies_its_drafts_with_their_checks_and_left_out_networks(engine):
    store = SqlWorkflowStore(engine)
    news = NewsItem(NEWS)
    case = await store.create_case(news, origin="test", requester_id=1, guild_id=None, channel_id=5, count=4)
    set_id = (await store.add_set(case, DraftSet(news, [check_draft(t, e, news) for t, e in GOOD_DRAFTS]))).id
    await store.add_draft_version(set_id, 2, check_draft("Wer zahlt das am Ende wirklich?", "", news))
    await store.add_network_toggle(set_id, 1, Network.BLUESKY, 7)
    await store.add_vote(set_id, (await store.set_record(set_id)).entry(1).id, 7)
    new_id = await store.reopen_set(case, set_id)
    old, new = await store.set_record(set_id), await store.set_record(new_id)
    assert old.state is SetState.REPLACED and new.state is SetState.OPEN
    assert (await store.case(case.id)).current_set_id == new_id
    assert [(d.number, d.text, d.warnings, d.needs_source_check) for d in new.drafts] == \
        [(d.number, d.text, d.warnings, d.needs_source_check) for d in old.drafts]
    assert new.entry(2).text == "Wer zahlt das am Ende wirklich?" and new.entry(2).needs_source_check
    assert await store.networks_off(new_id) == {1: frozenset({Network.BLUESKY})}
    assert await store.voters(new.entry(1).id) == []
