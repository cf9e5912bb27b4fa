"""Engine creation and automatic migration at start (SQLite by default, PostgreSQL by URL)."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bot.adapters.storage.retry import DEFAULT_BUSY_SECONDS, remember_busy_seconds
from bot.adapters.storage.sqlite_driver import ENGINE_OPTIONS, use_one_trip_cursors
from bot.core.errors import SpitzfederError

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
FIRST_RETRY_SECONDS, LONGEST_RETRY_SECONDS = 1.0, 30.0

log = logging.getLogger(__name__)


class StorageError(SpitzfederError):
    pass


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL (absolute), None for another database, an in-memory one or a URL we cannot read."""
    try:
        parsed = make_url(url)
    except Exception:
        return None
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database).expanduser().absolute()


def describe_database(url: str) -> str:
    """The database for people: the file of a SQLite database, otherwise the URL without its password."""
    path = sqlite_file(url)
    if path is not None:
        return str(path)
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "(DATABASE_URL ist keine gültige URL)"


def why_not_creatable(path: Path) -> str | None:
    """Why the missing database file ``path`` could not be created, None if it could; creates nothing."""
    folder = path.parent
    while not folder.exists():
        if folder.parent == folder:
            break
        folder = folder.parent
    if not folder.is_dir():
        return f"{folder} ist eine Datei, kein Ordner"
    if not os.access(folder, os.W_OK | os.X_OK):
        return f"keine Schreibrechte in {folder}"
    return None


def _prepare_sqlite_path(url: str) -> None:
    path = sqlite_file(url)
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(
                f"Das Datenbankverzeichnis {path.parent} kann nicht angelegt werden "
                f"({exc.strerror or 'Schreibfehler'}). DATABASE_URL oder SPITZFEDER_HOME prüfen.",
                detail=str(exc),
            ) from exc


def create_engine(url: str, *, busy_seconds: float = DEFAULT_BUSY_SECONDS) -> AsyncEngine:
    """``busy_seconds``: how long a write waits for a database another connection is writing to (SQLite)."""
    try:
        _prepare_sqlite_path(url)
        sqlite = make_url(url).get_backend_name() == "sqlite"
        engine = create_async_engine(url, **(ENGINE_OPTIONS if sqlite else {}))
    except StorageError:
        raise
    except Exception as exc:  # bad URL or missing driver
        raise StorageError(
            "DATABASE_URL ist ungültig oder der Datenbanktreiber fehlt "
            "(z. B. sqlite+aiosqlite:///./data/spitzfeder.db; leer lassen für die Datei in SPITZFEDER_HOME).",
            detail=type(exc).__name__,
        ) from exc
    if engine.dialect.name == "sqlite":
        busy_ms = max(1, round(busy_seconds * 1000))

        def sqlite_pragmas(dbapi_connection, _record) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
            cursor.close()

        event.listen(engine.sync_engine, "connect", sqlite_pragmas)
        use_one_trip_cursors(engine)
    event.listen(engine.sync_engine, "handle_error", _disk_full)
    remember_busy_seconds(engine, busy_seconds)
    return engine


DISK_FULL = ("Die Datenbank hat keinen Speicherplatz mehr (Datenträger voll). Nichts davon wurde gespeichert; "
             "bitte Platz schaffen und dann noch einmal versuchen.")


def _disk_full(context) -> None:
    """A full disk is said in German wherever a write fails; the transaction is rolled back, nothing half-written.

    SQLite: SQLITE_FULL ("database or disk is full"); PostgreSQL: SQLSTATE 53100 (disk_full)."""
    error = context.original_exception
    if getattr(error, "sqlite_errorname", "") == "SQLITE_FULL" or "database or disk is full" in str(error) \
            or getattr(error, "sqlstate", None) == "53100" or "53100" in str(getattr(error, "pgcode", "")):
        raise StorageError(DISK_FULL, detail=f"{type(error).__name__}: {error}") from error


def _upgrade(sync_connection) -> None:
    from alembic import command  # alembic is needed once, at start: not imported with this module
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = sync_connection
    command.upgrade(config, "head")


def head_revision() -> str:
    """The newest migration, read from the file names (the history is linear and each file starts with its id)."""
    return max(path.name.split("_", 1)[0] for path in (MIGRATIONS / "versions").glob("[0-9]*.py"))


async def _current_revision(engine: AsyncEngine) -> str | None:
    try:
        async with engine.connect() as connection:
            return (await connection.execute(text("select version_num from alembic_version"))).scalar()
    except DBAPIError:
        return None  # a new database, or one older than the migrations


async def migrate(engine: AsyncEngine) -> None:
    """Bring the schema to the newest revision; safe to run at every start.

    A database already at the newest revision is left alone without loading Alembic (a quicker start).
    """
    try:
        if await _current_revision(engine) == head_revision():
            return
        async with engine.connect() as connection:
            sqlite = connection.dialect.name == "sqlite"
            if sqlite:  # a table rebuilt in batch mode must not cascade into the rows that refer to it
                await connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            await connection.run_sync(_upgrade)
            await connection.commit()
            if sqlite:  # outside the transaction, where the pragma takes effect
                await connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                broken = (await connection.exec_driver_sql("PRAGMA foreign_key_check")).all()
                if broken:
                    raise RuntimeError(f"rows without their parent after the migration: {broken[:5]}")
    except Exception as exc:
        raise _start_error(engine, exc) from exc


async def migrate_when_reachable(engine: AsyncEngine, *, patience_seconds: float,
                                 sleep: Callable[[float], Awaitable[object]] = asyncio.sleep) -> None:
    """``migrate``, waiting with growing pauses while the database server does not answer (it may be starting,
    as PostgreSQL does beside the bot after a reboot). Other errors, and a server silent for longer than
    ``patience_seconds``, end the start at once."""
    delay, waited = FIRST_RETRY_SECONDS, 0.0
    while True:
        try:
            await migrate(engine)
            return
        except StorageError as exc:
            if not is_unreachable(exc) or waited + delay > patience_seconds:
                if waited:
                    raise StorageError(f"{exc.user_message} (Gewartet: {waited:.0f} s, "
                                       "DATABASE_START_WAIT_SECONDS)", detail=exc.detail) from exc
                raise
            log.warning("database not reachable (%s); trying again in %.0f s", exc.detail, delay)
            await sleep(delay)
            waited += delay
            delay = min(delay * 2, LONGEST_RETRY_SECONDS)


_FILE_ERRORS = (FileNotFoundError, PermissionError, IsADirectoryError, NotADirectoryError)
_UNREACHABLE_ERRORS = {"CannotConnectNowError", "TooManyConnectionsError", "ConnectionDoesNotExistError"}


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """The error, the driver's error SQLAlchemy wraps (``orig``), their causes and contexts, each once."""
    seen: set[int] = set()
    pending: list[BaseException | None] = [exc]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        orig = getattr(current, "orig", None)
        pending.extend([orig if isinstance(orig, BaseException) else None, current.__cause__, current.__context__])


def is_unreachable(exc: BaseException) -> bool:
    """The server did not answer or is not accepting connections yet (not: a wrong password or database name).

    Refused, timed out, host not (yet) resolvable; not the file errors of a SQLite path."""
    return any(type(error).__name__ in _UNREACHABLE_ERRORS
               or (isinstance(error, OSError) and not isinstance(error, _FILE_ERRORS)) for error in _chain(exc))


def _start_error(engine: AsyncEngine, exc: Exception) -> StorageError:
    detail = f"{type(exc).__name__}: {exc}"
    if engine.dialect.name == "sqlite" and engine.url.database and _is_damaged_sqlite(exc):
        path = Path(engine.url.database).resolve()
        return StorageError(
            f"Die Datenbank {path} ist beschädigt oder keine SQLite-Datei. "
            "Sicherung einspielen oder die Datei umbenennen, dann neu starten.",
            detail=detail,
        )
    if engine.dialect.name != "sqlite":
        server = f"{engine.url.host or 'localhost'}:{engine.url.port or 5432}"
        if is_unreachable(exc):
            return StorageError(f"Der Datenbankserver {server} antwortet nicht. Läuft er? DATABASE_URL prüfen.",
                                detail=detail)
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        return StorageError(f"Die Datenbank {engine.url.database or ''} auf {server} lehnt ab: {reason}. "
                            "DATABASE_URL, Benutzer und Rechte prüfen.", detail=detail)
    where = f" {describe_database(engine.url.render_as_string(hide_password=False))}"
    return StorageError(
        f"Die Datenbank{where} ist nicht beschreibbar oder nicht erreichbar. DATABASE_URL und Dateirechte prüfen.",
        detail=detail,
    )


def _is_damaged_sqlite(exc: BaseException) -> bool:
    """SQLite said "file is not a database" or "database disk image is malformed" somewhere in the chain."""
    names = (str(getattr(error, "sqlite_errorname", "")) for error in _chain(exc))  # set by sqlite3 on its errors
    return any(name == "SQLITE_NOTADB" or name.startswith("SQLITE_CORRUPT") for name in names)
