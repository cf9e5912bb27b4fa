"""A damaged database file is named as such, apart from permission and path problems."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from bot.adapters.storage.database import StorageError, create_engine, migrate
from bot.cli import main

pytestmark = pytest.mark.sqlite_only  # about SQLite files themselves

DAMAGED = "ist beschädigt oder keine SQLite-Datei. Sicherung einspielen oder die Datei umbenennen, dann neu starten."


def garbage_file(path: Path) -> Path:
    path.write_bytes(random.Random(7).randbytes(8192))
    return path


async def malformed_file(path: Path) -> Path:
    """A real, migrated database whose first page (the schema) was overwritten after the header."""
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    await migrate(engine)
    await engine.dispose()
    data = bytearray(path.read_bytes())
    data[100:4096] = random.Random(11).randbytes(3996)
    path.write_bytes(bytes(data))
    return path


async def start_error(path: Path) -> StorageError:
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    try:
        with pytest.raises(StorageError) as info:
            await migrate(engine)
    finally:
        await engine.dispose()
    return info.value


def test_summary_on_a_file_that_is_not_a_database(capsys, monkeypatch, tmp_path):
    path = garbage_file(tmp_path / "spitzfeder.db")
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{path}")

    code = main(["summary"])

    out, err = capsys.readouterr()
    assert code == 1
    assert err.strip() == f"Fehler: Die Datenbank {path} {DAMAGED}"
    assert "Dateirechte" not in err and "Traceback" not in err and out == ""


def test_doctor_names_the_damaged_file(capsys, llm_env, monkeypatch, tmp_path):
    path = garbage_file(tmp_path / "kaputt.db")
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{path}")

    code = main(["doctor"])

    out, err = capsys.readouterr()
    assert code == 1
    assert f"FEHLER       Datenbank: Die Datenbank {path} {DAMAGED}" in out
    assert "OK           LLM" in out and "Traceback" not in err


async def test_malformed_database_is_reported_as_damaged(tmp_path):
    path = await malformed_file(tmp_path / "db.sqlite")
    error = await start_error(path)
    assert error.user_message == f"Die Datenbank {path} {DAMAGED}"
    assert "malformed" in error.detail


async def test_relative_path_is_shown_in_full(monkeypatch, tmp_path):
    garbage_file(tmp_path / "rel.db")
    monkeypatch.chdir(tmp_path)
    engine = create_engine("sqlite+aiosqlite:///./rel.db")
    try:
        with pytest.raises(StorageError) as info:
            await migrate(engine)
    finally:
        await engine.dispose()
    assert info.value.user_message.startswith(f"Die Datenbank {tmp_path / 'rel.db'} ist beschädigt")


async def test_unopenable_path_keeps_the_permission_message(tmp_path):
    # A folder where the file should be: SQLite cannot open it, but nothing is damaged.
    folder = tmp_path / "ein-ordner.db"
    folder.mkdir()
    error = await start_error(folder)
    assert "Dateirechte prüfen" in error.user_message
    assert "beschädigt" not in error.user_message
