"""SQLite connections handed back to the pool: rolled back when a transaction is open, left alone after a commit."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from bot.adapters.storage.database import create_engine, migrate

pytestmark = pytest.mark.sqlite_only  # about the SQLite driver itself

NEWS_ROW = ("INSERT INTO news_items (created_at, origin, text, account) "
            "VALUES ('2026-11-30 12:00:00', 'discord', 'Meldung', 'default')")


@pytest.fixture
async def engine(tmp_path):
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'driver.db'}", busy_seconds=0.2)
    await migrate(engine)
    yield engine
    await engine.dispose()


async def count_news(engine) -> int:
    async with engine.connect() as connection:
        return (await connection.execute(text("SELECT count(*) FROM news_items"))).scalar_one()


async def test_a_transaction_left_open_on_a_connection_handed_back_is_rolled_back(engine):
    async with engine.connect() as connection:
        # A transaction SQLAlchemy knows nothing of: opened by the driver itself, as an interrupted write leaves it.
        driver = (await connection.get_raw_connection()).driver_connection
        await driver.execute(NEWS_ROW)
        assert driver.in_transaction

    assert await count_news(engine) == 0
    async with engine.begin() as connection:  # the write lock was given up: the next write does not wait for it
        await connection.execute(text(NEWS_ROW))
    assert await count_news(engine) == 1


async def test_a_committed_connection_goes_back_without_another_statement(engine):
    async with engine.begin() as connection:
        await connection.execute(text(NEWS_ROW))
        driver = (await connection.get_raw_connection()).driver_connection
    assert not driver.in_transaction
    async with engine.connect() as connection:  # the pool hands out the same connection, with nothing open
        assert (await connection.get_raw_connection()).driver_connection is driver
        assert (await connection.execute(text("SELECT count(*) FROM news_items"))).scalar_one() == 1
