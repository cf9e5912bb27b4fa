from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from bot.adapters.storage.database import create_engine, migrate
from bot.settings import Settings
from tests.fakes.clock import FakeClock
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.sqlite_lock import WriteLock
from tests.fakes.x_server import FakeX

pytest_plugins = ["tests.fixtures.database", "tests.fixtures.discord", "tests.fixtures.x", "tests.fixtures.bluesky",
                  "tests.fixtures.mastodon"]

_OUR_VARIABLES = {name.upper() for name in Settings.model_fields}


@pytest.fixture(autouse=True)
def isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    """No test sees the developer's environment, `.env` or data folder; each runs in its own folder."""
    for name in list(os.environ):
        if name.upper() in _OUR_VARIABLES:
            monkeypatch.delenv(name)
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SPITZFEDER_HOME", str(tmp_path / "home"))  # the shipped prompts: no PROMPTS_DIR


@pytest.fixture(autouse=True)
def restored_logging():
    """The command line sets up logging to the test's captured stderr: undone after the test, so a late log line
    from another test's thread never writes to a closed stream."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def engine(migrated_database_url: str):
    """A migrated database of its own for each test (SQLite, or PostgreSQL with TEST_DATABASE_URL)."""
    engine = create_engine(migrated_database_url)
    yield engine
    await engine.dispose()


@pytest.fixture
async def busy_engine(tmp_path: Path):
    """A migrated SQLite database whose writes wait only 20 ms for a lock (5 s in production)."""
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'busy.db'}", busy_seconds=0.02)
    await migrate(engine)
    yield engine
    await engine.dispose()


@pytest.fixture
def write_lock(tmp_path: Path):
    """Another process's write lock on ``busy_engine``'s database (``hold()`` / ``release()``)."""
    lock = WriteLock(tmp_path / "busy.db")
    yield lock
    lock.release()


@pytest.fixture
def fake_x(clock: FakeClock):
    """The fake X API v2 server, on the test's clock."""
    server = FakeX()
    server.now = clock.now
    server.start()
    yield server
    server.stop()


@pytest.fixture
def fake_openai():
    server = FakeOpenAI().start()
    yield server
    server.stop()


@pytest.fixture
def llm_env(monkeypatch: pytest.MonkeyPatch, fake_openai: FakeOpenAI, database_url: str) -> FakeOpenAI:
    """Environment pointing the CLI at the fake LLM and a fresh database."""
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-secret-key-123456")
    monkeypatch.setenv("OPENAI_BASE_URL", fake_openai.base_url)
    monkeypatch.setenv("OPENAI_MODEL", "test-model")
    monkeypatch.setenv("DATABASE_URL", database_url)
    return fake_openai


@pytest.fixture
def unused_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound, never listening)."""
    import socket

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    yield sock.getsockname()[1]
    sock.close()
