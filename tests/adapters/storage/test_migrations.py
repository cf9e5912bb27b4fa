"""The migrations build exactly the schema the code declares, along one straight line of revisions."""

from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text

from bot.adapters.storage import schema
from bot.adapters.storage.database import MIGRATIONS, create_engine, head_revision, migrate


def _scripts() -> ScriptDirectory:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(config)


def test_the_history_is_one_line_with_one_head_and_no_merge():
    scripts = _scripts()
    revisions = list(scripts.walk_revisions())  # newest first
    assert len(scripts.get_heads()) == 1
    assert not [r.revision for r in revisions if r.is_merge_point]
    assert [r.revision for r in reversed(revisions)] == ["0001", "0002", "0003", "0004", "0005"]
    assert [r.down_revision for r in reversed(revisions)] == [None, "0001", "0002", "0003", "0004"]


async def test_the_migrated_database_equals_the_schema(engine):
    def differences(connection):
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, schema.Base.metadata)

    async with engine.connect() as connection:
        diff = await connection.run_sync(differences)
    assert diff == []


def test_migrations_do_not_import_the_live_schema():
    for path in (MIGRATIONS / "versions").glob("*.py"):
        assert "bot.adapters.storage.schema" not in path.read_text(encoding="utf-8"), path.name


def test_the_quick_head_check_agrees_with_alembic():
    assert head_revision() == _scripts().get_current_head()


async def test_a_current_database_is_left_alone_and_an_old_one_is_upgraded(tmp_path):
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}")
    try:
        await migrate(engine)
        await migrate(engine)  # at the newest revision already: nothing to do
        async with engine.begin() as connection:
            await connection.execute(text("update alembic_version set version_num = '0003'"))
            for table in ("metric_snapshots", "follower_counts", "sent_summaries", "x_usage",  # what 0004 builds
                          "heartbeats"):  # what 0005 builds
                await connection.execute(text(f"drop table {table}"))
        await migrate(engine)  # 0003 → 0005 builds the tracking tables and the heartbeats again
        async with engine.connect() as connection:
            assert (await connection.execute(text("select version_num from alembic_version"))).scalar() == "0005"
            assert (await connection.execute(text("select count(*) from metric_snapshots"))).scalar() == 0
            assert (await connection.execute(text("select count(*) from heartbeats"))).scalar() == 0
    finally:
        await engine.dispose()
