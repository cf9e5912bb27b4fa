"""A database server that does not answer: `run` waits for it with growing pauses, everything else fails at once."""

from __future__ import annotations

import asyncio
import socket

import pytest
from sqlalchemy.engine import make_url

from bot.adapters.storage.database import StorageError, create_engine, migrate_when_reachable
from bot.cli import main
from tests.fixtures.database import postgres_url, rows


class Pauses:
    """Records the pauses instead of sleeping; ``then`` runs at the n-th pause."""

    def __init__(self, then=None, at: int = 1) -> None:
        self.taken: list[float] = []
        self._then, self._at = then, at

    async def __call__(self, seconds: float) -> None:
        self.taken.append(seconds)
        if self._then and len(self.taken) == self._at:
            await self._then()


async def test_a_silent_server_is_waited_for_with_growing_pauses_then_named(unused_port):
    engine = create_engine(f"postgresql+asyncpg://spitzfeder:geheim-123@127.0.0.1:{unused_port}/spitzfeder")
    pauses = Pauses()
    try:
        with pytest.raises(StorageError) as info:
            await migrate_when_reachable(engine, patience_seconds=40, sleep=pauses)
    finally:
        await engine.dispose()
    assert pauses.taken == [1, 2, 4, 8, 16]  # the next (30 s) would pass the patience of 40 s
    assert info.value.user_message == (f"Der Datenbankserver 127.0.0.1:{unused_port} antwortet nicht. Läuft er? "
                                       "DATABASE_URL prüfen. (Gewartet: 31 s, DATABASE_START_WAIT_SECONDS)")
    assert "geheim-123" not in str(info.value) + (info.value.detail or "")


async def test_commands_do_not_wait(unused_port):
    engine = create_engine(f"postgresql+asyncpg://spitzfeder@127.0.0.1:{unused_port}/spitzfeder")
    pauses = Pauses()
    try:
        with pytest.raises(StorageError, match="antwortet nicht. Läuft er"):
            await migrate_when_reachable(engine, patience_seconds=0, sleep=pauses)
    finally:
        await engine.dispose()
    assert pauses.taken == []


def test_run_names_the_silent_database_server_without_a_traceback(monkeypatch, capsys, unused_port):
    monkeypatch.setenv("DISCORD_TOKEN", "discord-test-token-123456")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-key-123456")
    monkeypatch.setenv("DATABASE_URL", f"postgresql+asyncpg://spitzfeder@127.0.0.1:{unused_port}/spitzfeder")
    monkeypatch.setenv("DATABASE_START_WAIT_SECONDS", "0")
    assert main(["run"]) == 1
    err = capsys.readouterr().err
    assert f"Der Datenbankserver 127.0.0.1:{unused_port} antwortet nicht" in err and "Traceback" not in err


needs_postgres = pytest.mark.skipif(postgres_url() is None, reason="needs TEST_DATABASE_URL (a PostgreSQL server)")


@needs_postgres
async def test_a_server_that_comes_up_while_waiting_is_used(database_url):
    """The bot starts before PostgreSQL: the port answers only after the second pause, then all goes on."""
    target = make_url(database_url)
    port = socket.socket()  # bound, not yet listening: connections are refused until the relay starts
    port.bind(("127.0.0.1", 0))
    relay: list[asyncio.Server] = []

    async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        finally:
            writer.close()

    async def forward(client_reader, client_writer) -> None:
        server_reader, server_writer = await asyncio.open_connection(target.host, target.port)
        await asyncio.gather(pipe(client_reader, server_writer), pipe(server_reader, client_writer))

    async def server_comes_up() -> None:
        relay.append(await asyncio.start_server(forward, sock=port))

    engine = create_engine(target.set(port=port.getsockname()[1]).render_as_string(hide_password=False))
    pauses = Pauses(then=server_comes_up, at=2)
    try:
        await migrate_when_reachable(engine, patience_seconds=60, sleep=pauses)
    finally:
        await engine.dispose()
        for server in relay:
            server.close()
        port.close()
    assert pauses.taken == [1, 2]
    assert rows(database_url, "select count(*) from alembic_version") == [(1,)]


@needs_postgres
async def test_a_wrong_database_name_is_not_waited_for(database_url):
    engine = create_engine(make_url(database_url).set(database="no_such_database").render_as_string(
        hide_password=False))
    pauses = Pauses()
    try:
        with pytest.raises(StorageError) as info:
            await migrate_when_reachable(engine, patience_seconds=60, sleep=pauses)
    finally:
        await engine.dispose()
    assert pauses.taken == []
    assert "lehnt ab" in info.value.user_message and "no_such_database" in info.value.user_message
