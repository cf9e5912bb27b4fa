"""The workflow store's writes on a news item's way: what they return is what a later read finds."""

from dataclasses import replace

import pytest
from sqlalchemy import func, select

from bot.adapters.storage.schema import DraftSetRow
from bot.adapters.storage.workflow import SqlWorkflowStore
from bot.core.conversation.records import SetState
from bot.core.drafting.checks import check_draft
from bot.core.drafting.lengths import NetworkLength
from bot.core.drafting.models import DraftSet, NewsItem
from bot.core.errors import MissingRecord
from bot.core.networks import Network
from tests.fakes.samples import GOOD_DRAFTS, NEWS

NEWS_ITEM = NewsItem(NEWS, url="https://example.com/a", title="Nahverkehr", language="de")


def a_set(*, dropped: bool = False) -> DraftSet:
    drafts = [check_draft(t, e, NEWS_ITEM) for t, e in GOOD_DRAFTS]
    drafts[0] = replace(drafts[0], pattern="widerspruch", premise="Der Senat erhöht die Preise.",
                        lengths=(NetworkLength(Network.BLUESKY, 120, 300), NetworkLength(Network.X, 118, 280)))
    too_long = check_draft("Warum? " * 80, "", NEWS_ITEM)
    return DraftSet(NEWS_ITEM, drafts, dropped=[too_long] if dropped else [])


async def test_a_new_case_is_what_reading_it_finds(engine):
    store = SqlWorkflowStore(engine)
    case = await store.create_case(NEWS_ITEM, origin="discord", requester_id=7, guild_id=3, channel_id=11, count=4,
                                   tone="sachlich")
    assert await store.case(case.id) == case
    assert await store.latest_case_in(11) == case


async def test_a_stored_set_is_returned_as_reading_it_finds_it(engine):
    store = SqlWorkflowStore(engine)
    case = await store.create_case(NEWS_ITEM, origin="discord", requester_id=7, guild_id=3, channel_id=11, count=4)
    first = await store.add_set(case, a_set(dropped=True))
    assert first == await store.set_record(first.id)
    assert first.dropped and first.entry(1).lengths and first.entry(1).pattern == "widerspruch"
    second = await store.add_set(case, a_set())
    assert second == await store.set_record(second.id)
    assert (await store.set_record(first.id)).state is SetState.REPLACED
    stored = await store.case(case.id)
    assert stored.current_set_id == second.id and stored.pending is None


async def test_a_set_for_another_accounts_case_leaves_nothing_behind(engine):
    theirs = SqlWorkflowStore(engine, account="kunde-a")
    case = await theirs.create_case(NEWS_ITEM, origin="discord", requester_id=7, guild_id=3, channel_id=11,
                                    count=4)
    with pytest.raises(MissingRecord):
        await SqlWorkflowStore(engine, account="kunde-b").add_set(case, a_set())
    async with engine.connect() as connection:
        assert await connection.scalar(select(func.count()).select_from(DraftSetRow)) == 0
    assert (await theirs.case(case.id)).current_set_id is None
