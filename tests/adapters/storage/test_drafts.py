from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import inspect, text

from bot.adapters.storage.database import StorageError, create_engine, migrate
from bot.adapters.storage.drafts import SqlDraftStore
from bot.core.drafting.checks import check_draft
from bot.core.drafting.models import DraftSet, NewsItem
from tests.fakes.clock import FakeClock
from tests.fakes.samples import GOOD_DRAFTS, NEWS


@pytest.mark.sqlite_only
async def test_schema_is_created_in_a_new_folder_and_migrating_again_is_harmless(tmp_path):
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'new' / 'folder' / 'db.sqlite'}")
    await migrate(engine)
    await migrate(engine)
    async with engine.connect() as connection:
        tables = await connection.run_sync(lambda c: set(inspect(c).get_table_names()))
        heads = (await connection.execute(text("select count(*) from alembic_version"))).scalar()
    await engine.dispose()
    assert {"news_items", "draft_sets", "drafts", "posts", "audit_log"} <= tables and heads == 1


async def test_draft_set_round_trip_keeps_utc(engine):
    berlin_noon = datetime(2026, 7, 1, 12, 0, tzinfo=timezone(timedelta(hours=2)))
    store = SqlDraftStore(engine, FakeClock(berlin_noon))
    news = NewsItem(NEWS, url="https://example.com/a", title="Nahverkehr")
    set_id = await store.save_draft_set(DraftSet(news, [check_draft(t, e, news) for t, e in GOOD_DRAFTS]),
                                        origin="cli")
    again = await store.save_draft_set(DraftSet(news, [check_draft(*GOOD_DRAFTS[0], news)], instruction="kürzer"),
                                       origin="cli", news_id=1)
    async with engine.connect() as connection:
        texts = (await connection.execute(text("select text from drafts where set_id = :s order by position"),
                                          {"s": set_id})).scalars().all()
        stored = (await connection.execute(text("select created_at from news_items"))).scalar()
        news_count = (await connection.execute(text("select count(*) from news_items"))).scalar()
    assert again == set_id + 1 and news_count == 1 and texts == [t for t, _ in GOOD_DRAFTS]
    assert str(stored).startswith("2026-07-01 10:00:00")  # stored as UTC


def test_bad_database_url_is_explained():
    with pytest.raises(StorageError) as info:
        create_engine("nosuchdriver://x")
    assert "DATABASE_URL" in info.value.user_message
