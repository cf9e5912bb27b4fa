"""The migrations build exactly the schema the code declares, along one straight line of revisions."""

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

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
    numbers = [f"{n:04d}" for n in range(1, len(revisions) + 1)]
    assert [r.revision for r in reversed(revisions)] == numbers
    assert [r.down_revision for r in reversed(revisions)] == [None, *numbers[:-1]]


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


def _upgrade_to(revision: str, *, down: bool = False):
    def upgrade(sync_connection) -> None:
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        config.attributes["connection"] = sync_connection
        (command.downgrade if down else command.upgrade)(config, revision)
    return upgrade


async def test_drafts_stored_before_the_trust_columns_keep_their_data(database_url):
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_upgrade_to("0005"))
            await connection.execute(text(
                "insert into news_items (id, created_at, origin, text) values (1, '2026-11-01', 'cli', 'Meldung')"))
            await connection.execute(text("insert into draft_sets (id, news_id, created_at, llm_calls, prompt_tokens, "
                                          "completion_tokens, state) values (1, 1, '2026-11-01', 1, 0, 0, 'open')"))
            await connection.execute(text("insert into drafts (id, set_id, position, text, evidence, evidence_found, "
                                          "weighted_length, warnings) values (1, 1, 1, 'Frage?', '', false, 6, '[]')"))
            await connection.execute(text(  # a post approved before the upgrade, its link still to be replied
                "insert into posts (set_id, draft_id, text, state, approved_at, due_at, approved_by, source_url) "
                "values (1, 1, 'Frage?', 'scheduled', '2026-11-01', '2026-11-01', '[]', 'https://example.org/a')"))
        await migrate(engine)
        async with engine.connect() as connection:
            row = (await connection.execute(text(
                "select text, premise, pattern, needs_source_check from drafts"))).one()
            assert tuple(row) == ("Frage?", "", "andere", 1)  # no evidence found: it needs the source check
            assert (await connection.execute(text("select outlet, published from news_items"))).one() == (None, None)
            assert (await connection.execute(text("select source_line from posts"))).scalar() == "https://example.org/a"
    finally:
        await engine.dispose()


async def test_a_current_database_is_left_alone_and_an_old_one_is_upgraded(database_url):
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_upgrade_to("0003"))
        await migrate(engine)  # 0003 → head builds the tracking tables, the heartbeats, the trust columns
        await migrate(engine)  # at the newest revision already: nothing to do
        async with engine.connect() as connection:
            version = (await connection.execute(text("select version_num from alembic_version"))).scalar()
            assert version == head_revision()
            assert (await connection.execute(text("select count(*) from metric_snapshots"))).scalar() == 0
            assert (await connection.execute(text("select count(*) from heartbeats"))).scalar() == 0
            assert (await connection.execute(text("select count(*) from source_confirmations"))).scalar() == 0
    finally:
        await engine.dispose()


async def test_going_back_before_the_trust_columns_keeps_posts_and_drafts(tmp_path):
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}")
    try:
        await migrate(engine)
        async with engine.begin() as connection:
            await connection.execute(text(
                "insert into news_items (id, created_at, origin, text) values (1, '2026-11-01', 'cli', 'Meldung')"))
            await connection.execute(text("insert into draft_sets (id, news_id, created_at, llm_calls, prompt_tokens, "
                                          "completion_tokens, state) values (1, 1, '2026-11-01', 1, 0, 0, 'open')"))
            await connection.execute(text("insert into drafts (id, set_id, position, text, evidence, evidence_found, "
                                          "weighted_length, warnings) values (1, 1, 1, 'Frage?', '', 0, 6, '[]')"))
            await connection.execute(text(
                "insert into posts (set_id, draft_id, text, state, approved_at, due_at, approved_by) "
                "values (1, 1, 'Frage?', 'scheduled', '2026-11-01', '2026-11-01', '[]')"))
        async with engine.begin() as connection:
            await connection.run_sync(_upgrade_to("0005", down=True))
        async with engine.connect() as connection:
            assert (await connection.execute(text("select text from posts"))).scalar() == "Frage?"
            assert (await connection.execute(text("select text from drafts"))).scalar() == "Frage?"
    finally:
        await engine.dispose()


async def test_posts_become_x_posts_and_keep_their_snapshots_when_networks_arrive(database_url):
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_upgrade_to("0007"))
            await connection.execute(text(
                "insert into news_items (id, created_at, origin, text) values (1, '2026-11-01', 'cli', 'Meldung')"))
            await connection.execute(text("insert into draft_sets (id, news_id, created_at, llm_calls, prompt_tokens, "
                                          "completion_tokens, state) values (1, 1, '2026-11-01', 1, 0, 0, 'open')"))
            await connection.execute(text("insert into drafts (id, set_id, position, text, evidence, evidence_found, "
                                          "weighted_length, warnings) values (1, 1, 1, 'Frage?', '', false, 6, '[]')"))
            await connection.execute(text(
                "insert into posts (id, set_id, draft_id, text, state, approved_at, due_at, approved_by, x_post_id) "
                "values (7, 1, 1, 'Frage?', 'posted', '2026-11-01', '2026-11-01', '[]', '1900000000000000001')"))
            await connection.execute(text(
                "insert into metric_snapshots (post_id, step, step_seconds, due_at, state, likes) "
                "values (7, '1h', 3600, '2026-11-01', 'taken', 12)"))
        await migrate(engine)
        async with engine.begin() as connection:
            assert (await connection.execute(text("select network, remote_id from posts"))).one() == (
                "x", "1900000000000000001")
            assert (await connection.execute(text("select likes from metric_snapshots"))).scalar() == 12
            await connection.execute(text(  # the same draft on another network is a post of its own
                "insert into posts (set_id, network, draft_id, text, state, approved_at, due_at, approved_by) "
                "values (1, 'bluesky', 1, 'Frage?', 'scheduled', '2026-11-01', '2026-11-01', '[]')"))
        with pytest.raises(IntegrityError):  # but never twice on one network
            async with engine.begin() as connection:
                await connection.execute(text(
                    "insert into posts (set_id, network, draft_id, text, state, approved_at, due_at, approved_by) "
                    "values (1, 'x', 1, 'Frage?', 'scheduled', '2026-11-01', '2026-11-01', '[]')"))
    finally:
        await engine.dispose()


_ROWS_AT_0010 = [  # one row in every table there is at 0010
    "insert into news_items (id, created_at, origin, text) values (1, '2026-11-01', 'discord', 'Meldung')",
    "insert into draft_sets (id, news_id, created_at, llm_calls, prompt_tokens, completion_tokens, state, dropped) "
    "values (1, 1, '2026-11-01', 1, 0, 0, 'open', '[]')",
    "insert into drafts (id, set_id, position, text, evidence, evidence_found, weighted_length, warnings, premise, "
    "pattern, needs_source_check) values (1, 1, 1, 'Frage?', '', false, 6, '[]', '', 'andere', false)",
    "insert into posts (id, set_id, network, draft_id, text, state, approved_at, due_at, approved_by, remote_id) "
    "values (1, 1, 'x', 1, 'Frage?', 'posted', '2026-11-01', '2026-11-01', '[]', '1900000000000000001')",
    "insert into audit_log (at, action, set_id) values ('2026-11-01', 'approved', 1)",
    "insert into cases (id, news_id, created_at, requester_id, channel_id, count, current_set_id) "
    "values (1, 1, '2026-11-01', 5, 77, 4, 1)",
    "insert into shown_messages (message_id, channel_id, case_id, set_id, kind, numbers) "
    "values (900, 77, 1, 1, 'drafts', '{}')",
    "insert into votes (set_id, draft_id, voter_id, at) values (1, 1, 5, '2026-11-01')",
    "insert into source_confirmations (draft_id, user_id, at) values (1, 5, '2026-11-01')",
    "insert into network_toggles (set_id, number, network, user_id, at) values (1, 1, 'bluesky', 5, '2026-11-01')",
    "insert into plans (set_id, requested_by, requested_at) values (1, 5, '2026-11-01')",
    "insert into conversation_turns (case_id, at, author, text) values (1, '2026-11-01', 'anna', 'kürzer')",
    "insert into notices (case_id, user_id, kind) values (1, 5, 'not_approver')",
    "insert into command_syncs (guild_id, digest, synced_at) values (3, 'abc', '2026-11-01')",
    "insert into metric_snapshots (post_id, step, step_seconds, due_at, state) "
    "values (1, '1h', 3600, '2026-11-01', 'pending')",
    "insert into follower_counts (day, count, at) values ('2026-11-01', 1000, '2026-11-01')",
    "insert into sent_summaries (day, sent_at) values ('2026-11-01', '2026-11-01')",
    "insert into x_usage (month, read_requests, read_items, write_requests, budget_notice_level, cost_micro_usd) "
    "values ('2026-11', 1, 2, 3, 0, 15000)",
    "insert into heartbeats (component, at) values ('bot', '2026-11-01')",
    "insert into amplifier_reads (post_id, step, step_seconds, due_at, state) "
    "values (1, '1h', 3600, '2026-11-01', 'pending')",
    "insert into amplifiers (post_id, user_id, kind, handle, name, followers, first_seen, notable) "
    "values (1, 'u1', 'repost', 'h', 'n', 10, '2026-11-01', false)",
    "insert into watch_lists (list_id, refreshed_at) values ('l1', '2026-11-01')",
    "insert into watch_list_members (list_id, user_id, handle) values ('l1', 'u1', 'h')",
    "insert into follower_scans (at, count) values ('2026-11-01', 1)",
    "insert into our_followers (user_id) values ('u1')",
]
_PROCESS_WIDE = {"heartbeats", "command_syncs", "alembic_version"}


async def test_every_row_from_before_accounts_is_kept_and_belongs_to_the_standard_account(database_url):
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_upgrade_to("0010"))
            for statement in _ROWS_AT_0010:
                await connection.execute(text(statement))
            tables = sorted(await connection.run_sync(lambda sync: sa_inspect(sync).get_table_names()))
        assert len(_ROWS_AT_0010) == len(tables) - 1  # every table but alembic_version has its row
        await migrate(engine)
        async with engine.connect() as connection:
            for table in tables:
                if table == "alembic_version":
                    continue
                assert (await connection.execute(text(f"select count(*) from {table}"))).scalar() == 1, table
            columns = await connection.run_sync(
                lambda sync: {t: {c["name"] for c in sa_inspect(sync).get_columns(t)} for t in tables})
        owned = {table for table, names in columns.items() if "account" in names}
        assert {"news_items", "draft_sets", "posts", "audit_log", "cases", "shown_messages", "notices",
                "follower_counts", "sent_summaries", "x_usage", "amplifiers", "watch_lists", "watch_list_members",
                "follower_scans", "our_followers"} <= owned
        assert not owned & _PROCESS_WIDE
        async with engine.begin() as connection:
            for table in owned:
                accounts = (await connection.execute(text(f"select distinct account from {table}"))).scalars().all()
                assert accounts == ["standard"], table
            # what was unique for the one account is unique per account now
            await connection.execute(text("insert into sent_summaries (account, day, sent_at) "
                                          "values ('b', '2026-11-01', '2026-11-01')"))
            await connection.execute(text("insert into x_usage (account, month, read_requests, read_items, "
                                          "write_requests, budget_notice_level, cost_micro_usd) "
                                          "values ('b', '2026-11', 0, 0, 0, 0, 0)"))
            await connection.execute(text("insert into our_followers (account, user_id) values ('b', 'u1')"))
        with pytest.raises(IntegrityError):
            async with engine.begin() as connection:
                await connection.execute(text("insert into sent_summaries (account, day, sent_at) "
                                              "values ('b', '2026-11-01', '2026-11-02')"))
        async with engine.begin() as connection:  # and back: the standard account's rows stay
            await connection.run_sync(_upgrade_to("0010", down=True))
        async with engine.connect() as connection:
            for table in tables:
                if table != "alembic_version":
                    assert (await connection.execute(text(f"select count(*) from {table}"))).scalar() == 1, table
    finally:
        await engine.dispose()
