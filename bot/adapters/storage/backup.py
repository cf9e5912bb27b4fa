"""A consistent copy of the SQLite database while the bot keeps running (`spitzfeder backup PATH`).

SQLite's online backup API copies the database as of one committed state: the bot's WAL mode lets it go on
writing meanwhile, and a transaction still open elsewhere is not in the copy. The copy goes to a temporary file
next to the target and is renamed over it only when complete, so PATH never holds half a backup. The copy is a
single self-contained file (rollback journal, no -wal/-shm beside it) that can replace the database as it is.
"""

from __future__ import annotations

import contextlib
import errno
import os
import sqlite3
import tempfile
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from bot.core.errors import ConfigError, InputError, SpitzfederError

PG_DUMP_HINT = ("DATABASE_URL zeigt auf PostgreSQL: dafür gibt es pg_dump, z. B. "
                "„pg_dump --format=custom --file=spitzfeder.dump DATENBANK“. "
                "spitzfeder backup sichert nur SQLite-Datenbanken.")


class BackupError(SpitzfederError):
    """The copy could not be written (target, disk) or the database could not be read."""


def sqlite_path(database_url: str) -> Path:
    """The database file behind ``database_url``; a German ``ConfigError`` for anything else."""
    try:
        url = make_url(database_url)
    except ArgumentError as exc:
        raise ConfigError("DATABASE_URL ist ungültig (z. B. sqlite+aiosqlite:///./data/spitzfeder.db).",
                          detail=str(exc)) from exc
    backend = url.get_backend_name()
    if backend == "postgresql":
        raise ConfigError(PG_DUMP_HINT)
    if backend != "sqlite":
        raise ConfigError(f"spitzfeder backup sichert nur SQLite-Datenbanken; DATABASE_URL nutzt „{backend}“. "
                          "Das Sicherungswerkzeug dieser Datenbank verwenden.")
    if url.database in (None, "", ":memory:"):
        raise ConfigError("DATABASE_URL nennt keine Datenbankdatei (nur im Arbeitsspeicher): nichts zu sichern.")
    return Path(url.database)


def backup_sqlite(database_url: str, target: Path, *, force: bool = False, busy_seconds: float = 5.0) -> int:
    """Copy the database to ``target``; returns the copy's size in bytes. Blocking: run it in a thread."""
    source = sqlite_path(database_url).resolve()
    if not source.is_file():
        raise ConfigError(f"Die Datenbank {source} gibt es nicht: nichts zu sichern. DATABASE_URL prüfen "
                          "(der Bot legt sie beim ersten Start an).")
    target = Path(target).absolute()
    if target == source:
        raise InputError(f"{target} ist die Datenbank selbst: ein anderes Ziel für die Sicherung angeben.")
    if target.is_dir():
        raise InputError(f"{target} ist ein Verzeichnis: einen Dateinamen für die Sicherung angeben.")
    if target.exists() and not force:
        raise InputError(f"{target} gibt es schon. Einen anderen Namen wählen oder mit --force überschreiben.")

    reader = _open_source(source, busy_seconds)
    try:
        temp = _temp_file(target)
        try:
            _copy(reader, temp, source, target)
            _sync(temp)
            os.replace(temp, target)
        except OSError as exc:
            raise _target_error(target, exc) from exc
        finally:
            _remove(temp)
    finally:
        reader.close()
    _sync_directory(target.parent)
    return target.stat().st_size


def _open_source(source: Path, busy_seconds: float) -> sqlite3.Connection:
    try:
        # mode=rw: never create a database that is not there; the backup itself only reads.
        return sqlite3.connect(source.as_uri() + "?mode=rw", uri=True, timeout=busy_seconds)
    except sqlite3.Error as exc:
        raise BackupError(f"Die Datenbank {source} lässt sich nicht öffnen ({exc}). Dateirechte prüfen.",
                          detail=str(exc)) from exc


def _temp_file(target: Path) -> Path:
    try:
        descriptor, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise _target_error(target, exc) from exc
    os.close(descriptor)
    return Path(name)


def _open_target(temp: Path) -> sqlite3.Connection:
    """The connection the copy is written through (a seam for the disk-full test)."""
    return sqlite3.connect(temp)


def _copy(reader: sqlite3.Connection, temp: Path, source: Path, target: Path) -> None:
    try:
        writer = _open_target(temp)
    except sqlite3.Error as exc:
        raise _target_error(target, exc) from exc
    try:
        reader.backup(writer)  # one step: every page from one read transaction, i.e. one committed state
        writer.execute("PRAGMA journal_mode=DELETE")  # a single file; the bot switches to WAL again on start
        writer.commit()
    except sqlite3.Error as exc:
        name = str(getattr(exc, "sqlite_errorname", ""))
        if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
            raise BackupError(f"Die Datenbank {source} ist gerade belegt. Gleich noch einmal versuchen.",
                              detail=str(exc)) from exc
        if name == "SQLITE_NOTADB" or name.startswith("SQLITE_CORRUPT"):
            raise BackupError(f"Die Datenbank {source} ist beschädigt oder keine SQLite-Datei; "
                              "die Sicherung wurde nicht geschrieben.", detail=str(exc)) from exc
        raise _target_error(target, exc) from exc
    finally:
        writer.close()


_OS_REASONS = {
    errno.ENOSPC: "kein Platz mehr auf dem Datenträger",
    errno.EDQUOT: "Speicherkontingent erschöpft",
    errno.ENOENT: "das Verzeichnis gibt es nicht",
    errno.ENOTDIR: "ein Teil des Pfads ist kein Verzeichnis",
    errno.EACCES: "keine Schreibrechte",
    errno.EPERM: "keine Schreibrechte",
    errno.EROFS: "das Dateisystem ist schreibgeschützt",
}


def _target_error(target: Path, exc: BaseException) -> BackupError:
    name = str(getattr(exc, "sqlite_errorname", ""))
    if name == "SQLITE_FULL":
        why = _OS_REASONS[errno.ENOSPC]
    elif name.startswith("SQLITE_READONLY"):
        why = _OS_REASONS[errno.EACCES]
    elif isinstance(exc, OSError):
        why = _OS_REASONS.get(exc.errno or 0) or exc.strerror or type(exc).__name__
    else:
        why = str(exc) or type(exc).__name__
    return BackupError(f"Die Sicherung kann nicht nach {target} geschrieben werden ({why}). "
                       "Verzeichnis, Schreibrechte und freien Platz prüfen; nichts wurde überschrieben.",
                       detail=f"{type(exc).__name__}: {exc}")


def _sync(path: Path) -> None:
    """Flush a file (or a folder, to make a rename in it durable) to the disk."""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _sync_directory(directory: Path) -> None:
    with contextlib.suppress(OSError):  # not every system can open a folder for that, which is fine
        _sync(directory)


def _remove(temp: Path) -> None:
    for leftover in (temp, Path(f"{temp}-journal"), Path(f"{temp}-wal"), Path(f"{temp}-shm")):
        with contextlib.suppress(FileNotFoundError):
            leftover.unlink()
