"""The migrations build exactly the schema the code declares, along one straight line of revisions."""

from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from bot.adapters.storage import schema
from bot.adapters.storage.database import MIGRATIONS


def _scripts() -> ScriptDirectory:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(config)


def test_the_history_is_one_line_with_one_head_and_no_merge():
    scripts = _scripts()
    revisions = list(scripts.walk_revisions())  # newest first
    assert len(scripts.get_heads()) == 1
    assert not [r.revision for r in revisions if r.is_merge_point]
    assert [r.revision for r in reversed(revisions)] == ["0001", "0002", "0003", "0004"]
    assert [r.down_revision for r in reversed(revisions)] == [None, "0001", "0002", "0003"]


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
