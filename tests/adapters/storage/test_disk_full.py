"""A full disk: every write that fails says so in German, and nothing is half-written."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import Engine, event, text

from bot.adapters.storage.database import DISK_FULL, StorageError, sqlite_file
from bot.adapters.storage.workflow import SqlWorkflowStore
from bot.cli import main
from bot.core.drafting.models import NewsItem
from tests.fakes.samples import GOOD_DRAFTS, NEWS
from tests.fixtures.database import rows

pytestmark = pytest.mark.sqlite_only  # SQLite's page limit stands in for the full disk


def _cap_the_file_at_its_size(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA page_count")
    cursor.execute(f"PRAGMA max_page_count = {cursor.fetchone()[0]}")
    cursor.close()


@pytest.fixture
def full_disk():
    """From now on every new database connection finds no room to grow."""
    event.listen(Engine, "connect", _cap_the_file_at_its_size)
    yield
    event.remove(Engine, "connect", _cap_the_file_at_its_size)


async def test_a_write_on_a_full_disk_is_a_german_error_and_leaves_nothing(engine, full_disk):
    await engine.dispose()  # connections made from now on are capped
    store = SqlWorkflowStore(engine)
    with pytest.raises(StorageError) as info:
        for _ in range(20):
            await store.create_case(NewsItem(NEWS * 20), origin="test", requester_id=1, guild_id=None,
                                    channel_id=2, count=3)
    assert info.value.user_message == DISK_FULL
    async with engine.connect() as connection:
        news = (await connection.execute(text("select count(*) from news_items"))).scalar()
        cases = (await connection.execute(text("select count(*) from cases"))).scalar()
    assert news == cases  # a news item is never stored without its case


def _fill(path) -> None:
    """Use up every free page of the file, then forbid it to grow (for this connection and, through
    ``full_disk``, every later one)."""
    with sqlite3.connect(path) as db:
        db.execute("create table filler (x blob)")
        db.execute(f"pragma max_page_count = {db.execute('pragma page_count').fetchone()[0]}")
        for size in (4096, 1024, 256, 64, 16, 1):
            try:
                while True:
                    db.execute("insert into filler values (zeroblob(?))", (size,))
            except sqlite3.OperationalError:
                pass


def test_the_cli_shows_the_paid_drafts_and_says_the_disk_is_full(capsys, llm_env, database_url, full_disk):
    llm_env.reply_drafts(*GOOD_DRAFTS)
    assert main(["draft", NEWS]) == 0  # the database exists and is migrated
    _fill(sqlite_file(database_url))
    llm_env.reply_drafts(*GOOD_DRAFTS)
    long_news = NEWS + " Weitere Einzelheiten folgen." * 300  # needs pages of its own
    code = main(["draft", long_news])
    out, err = capsys.readouterr()
    assert code == 1 and f"1. {GOOD_DRAFTS[0][0]}" in out  # paid for, so shown
    assert DISK_FULL in err and "Traceback" not in err
    assert rows(database_url, "select count(*) from draft_sets") == [(1,)]  # only the first run's
