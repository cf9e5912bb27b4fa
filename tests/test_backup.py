"""`spitzfeder backup PATH`: a consistent SQLite copy while others write, never half-written, German errors."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import threading
from pathlib import Path

import pytest

import bot.adapters.storage.backup as backup_module
from bot.adapters.storage.database import create_engine, head_revision, migrate
from bot.cli import main

pytestmark = pytest.mark.sqlite_only  # about SQLite files themselves


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def database(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """The bot's migrated database (WAL, as the bot leaves it) with 10 committed rows in a probe table."""
    path = tmp_path / "data" / "spitzfeder.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{path}")

    async def create() -> None:
        engine = create_engine(f"sqlite+aiosqlite:///{path}")
        await migrate(engine)
        await engine.dispose()

    asyncio.run(create())
    with sqlite3.connect(path) as db:
        db.execute("create table probe (n integer not null)")
        db.executemany("insert into probe values (?)", [(n,) for n in range(10)])
    return path


def rows(path: Path) -> int:
    with sqlite3.connect(path) as db:
        return db.execute("select count(*) from probe").fetchone()[0]


def assert_sound_copy(path: Path) -> None:
    """The copy is one self-contained file the bot can start from."""
    assert not Path(f"{path}-wal").exists() and not Path(f"{path}-journal").exists()
    with sqlite3.connect(path) as db:
        assert db.execute("pragma integrity_check").fetchone() == ("ok",)
        assert db.execute("select version_num from alembic_version").fetchone() == (head_revision(),)

    async def reopen() -> None:  # the bot's own start: migrate() leaves a current copy alone
        engine = create_engine(f"sqlite+aiosqlite:///{path}")
        await migrate(engine)
        await engine.dispose()

    asyncio.run(reopen())


def no_leftovers(directory: Path) -> list[str]:
    return [name for name in os.listdir(directory) if name.endswith((".tmp", ".tmp-journal", ".tmp-wal"))]


def test_copy_is_consistent_while_another_connection_writes(capsys, database, tmp_path):
    in_transaction, backup_done = threading.Event(), threading.Event()
    written: list[int] = []

    def writer() -> None:  # holds an open write transaction and keeps inserting while the backup runs
        db = sqlite3.connect(database, isolation_level=None)
        db.execute("begin immediate")
        db.execute("insert into probe values (100)")
        written.append(1)
        in_transaction.set()
        while not backup_done.wait(0.001):
            db.execute("insert into probe values (101)")
            written.append(1)
        db.execute("commit")
        db.close()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        assert in_transaction.wait(5)
        code, out, err = run(capsys, "backup", str(tmp_path / "copy.db"))
    finally:
        backup_done.set()
        thread.join(5)
    assert code == 0, err
    assert "Sicherung geschrieben" in out and "copy.db" in out
    assert rows(tmp_path / "copy.db") == 10  # the last committed state, none of the open transaction
    assert rows(database) == 10 + len(written)  # the writer was never blocked
    assert_sound_copy(tmp_path / "copy.db")
    assert no_leftovers(tmp_path) == []


def test_copy_taken_between_committed_batches_is_whole(capsys, database, tmp_path):
    stop = threading.Event()

    def writer() -> None:  # commits batches of ten rows as fast as it can
        db = sqlite3.connect(database, isolation_level=None, timeout=5)
        while not stop.is_set():
            db.execute("begin immediate")
            db.executemany("insert into probe values (?)", [(n,) for n in range(10)])
            db.execute("commit")
        db.close()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        codes = [run(capsys, "backup", str(tmp_path / f"copy{i}.db"))[0] for i in range(3)]
    finally:
        stop.set()
        thread.join(5)
    assert codes == [0, 0, 0]
    for i in range(3):
        assert rows(tmp_path / f"copy{i}.db") % 10 == 0
        assert_sound_copy(tmp_path / f"copy{i}.db")


def test_an_existing_file_is_not_overwritten_without_force(capsys, database, tmp_path):
    target = tmp_path / "copy.db"
    target.write_bytes(b"older backup")
    code, out, err = run(capsys, "backup", str(target))
    assert code == 2 and out == ""
    assert f"{target} gibt es schon" in err and "--force" in err
    assert target.read_bytes() == b"older backup"

    code, out, err = run(capsys, "backup", str(target), "--force")
    assert code == 0, err
    assert rows(target) == 10
    assert_sound_copy(target)


def test_postgresql_points_to_pg_dump(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://spitzfeder:geheim@db/spitzfeder")
    code, out, err = run(capsys, "backup", str(tmp_path / "copy.db"))
    assert code == 2 and out == ""
    assert "PostgreSQL" in err and "pg_dump" in err and "geheim" not in err
    assert not (tmp_path / "copy.db").exists()


def test_a_missing_database_is_named_and_not_created(capsys, monkeypatch, tmp_path):
    missing = tmp_path / "nirgends" / "spitzfeder.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{missing}")
    code, _, err = run(capsys, "backup", str(tmp_path / "copy.db"))
    assert code == 2
    assert f"Die Datenbank {missing} gibt es nicht" in err
    assert not missing.exists() and not missing.parent.exists()


def test_an_unusable_target_directory_is_named_without_traceback(capsys, database, tmp_path):
    (tmp_path / "a-file").write_text("not a directory")
    target = tmp_path / "a-file" / "copy.db"
    code, out, err = run(capsys, "backup", str(target))
    assert code == 1 and out == ""
    assert f"nicht nach {target} geschrieben werden" in err and "kein Verzeichnis" in err
    assert "Traceback" not in err and err.count("\n") == 1


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root may write anywhere")
def test_a_read_only_directory_is_named(capsys, database, tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        code, _, err = run(capsys, "backup", str(locked / "copy.db"))
    finally:
        locked.chmod(0o700)
    assert code == 1 and "keine Schreibrechte" in err and str(locked / "copy.db") in err


def test_a_full_disk_leaves_the_old_backup_and_no_half_copy(capsys, database, tmp_path, monkeypatch):
    target = tmp_path / "copy.db"
    target.write_bytes(b"older backup")
    real_open = backup_module._open_target

    def tiny_disk(temp: Path) -> sqlite3.Connection:  # SQLite's own "database or disk is full" after 3 pages
        connection = real_open(temp)
        connection.execute("pragma max_page_count=3")
        return connection

    monkeypatch.setattr(backup_module, "_open_target", tiny_disk)
    code, out, err = run(capsys, "backup", str(target), "--force")
    assert code == 1 and out == ""
    assert f"nicht nach {target} geschrieben werden (kein Platz mehr auf dem Datenträger)" in err
    assert "Traceback" not in err
    assert target.read_bytes() == b"older backup"
    assert no_leftovers(tmp_path) == []


def test_help_names_the_command(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["backup", "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert "PFAD" in out and "--force" in out
