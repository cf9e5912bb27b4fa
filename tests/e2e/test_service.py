"""`spitzfeder run` as a service manager runs it: a real process, stopped with SIGTERM or SIGINT.

The process talks to the local Discord-compatible server and the fake LLM; nothing reaches the network.
"""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.adapters.storage.database import create_engine
from bot.settings import Settings
from bot.wiring import health
from tests.fakes.discord_server import BOT_ID, ROLE_ID, FakeDiscord, user
from tests.fakes.samples import GOOD_DRAFTS, NEWS
from tests.fakes.x_server import FakeX

STOP_LIMIT_SECONDS = 10.0  # what `docker stop` waits before it kills


@pytest.fixture
def service_env(monkeypatch: pytest.MonkeyPatch, llm_env, fake_discord: FakeDiscord) -> FakeDiscord:
    monkeypatch.setenv("DISCORD_TOKEN", "discord-test-token-123456")
    monkeypatch.setenv("DISCORD_API_BASE_URL", fake_discord.api_url)
    monkeypatch.setenv("DISCORD_GATEWAY_URL", fake_discord.gateway_url)
    monkeypatch.setenv("APPROVER_ROLE_IDS", str(ROLE_ID))
    monkeypatch.setenv("DRY_RUN", "true")
    monkeypatch.setenv("LOG_LEVEL", "INFO")
    return fake_discord


def _until(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_a_stop_signal_ends_the_bot_cleanly_with_0_within_10_s(service_env, tmp_path: Path, stop):
    log_path, out_path = tmp_path / "bot.log", tmp_path / "bot.out"
    with log_path.open("w") as log, out_path.open("w") as out:
        process = subprocess.Popen([sys.executable, "-m", "bot", "run"], cwd=tmp_path, stdout=out, stderr=log)
    try:
        assert service_env.wait_until(lambda s: s.identify is not None, timeout=60), log_path.read_text()
        # Connected and alive, as `spitzfeder health` sees it (the same database).
        assert _until(lambda: asyncio.run(health(Settings())).ok, 30), log_path.read_text()
        signalled = time.monotonic()
        process.send_signal(stop)
        code = process.wait(STOP_LIMIT_SECONDS)
        took = time.monotonic() - signalled
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    log = log_path.read_text()
    assert code == 0, log
    assert took < STOP_LIMIT_SECONDS
    assert f"{stop.name} received: stopping" in log and f"stopped cleanly after {stop.name}" in log
    assert "Traceback" not in log and out_path.read_text() == ""
    assert asyncio.run(health(Settings())).problems[0].startswith("Gateway nicht verbunden seit ")
    assert asyncio.run(health(Settings())).problems[0].endswith("(Bot beendet)")
    print(f"{stop.name} → exit {code} in {took:.2f} s")


def test_a_post_under_way_at_sigterm_is_finished_before_the_bot_exits(service_env, llm_env, x_env: FakeX,
                                                                      monkeypatch, tmp_path: Path):
    server = service_env
    monkeypatch.setenv("DRY_RUN", "false")
    monkeypatch.setenv("POST_UNDO_SECONDS", "0")
    llm_env.reply_drafts(*GOOD_DRAFTS)
    held = x_env.hold("POST /2/tweets")  # X is slow: the post waits at the server until released
    anna = user(4242, "anna")
    log_path = tmp_path / "bot.log"
    with log_path.open("w") as log:
        process = subprocess.Popen([sys.executable, "-m", "bot", "run"], cwd=tmp_path, stdout=log, stderr=log)
    try:
        assert _until(lambda: asyncio.run(health(Settings())).ok, 60), log_path.read_text()
        server.dispatch("MESSAGE_CREATE", server.message_event(anna, [], f"<@{BOT_ID}> {NEWS}"))
        assert server.wait_until(lambda s: any(r.path.endswith("/reactions/🗑️/@me") for r in s.requests), 30)
        [drafts] = [r for r in server.sent() if r.body["content"].startswith("📰")]
        thread_id = int(drafts.path.split("/")[2])
        message_id = next(int(r.path.split("/")[4]) for r in server.requests if "/reactions/" in r.path)
        server.dispatch("MESSAGE_REACTION_ADD", server.reaction_event(anna, [ROLE_ID], thread_id, message_id, "1️⃣"))
        assert held.arrived.wait(30), log_path.read_text()  # the X call is under way
        signalled = time.monotonic()
        process.send_signal(signal.SIGTERM)
        time.sleep(1.0)
        assert process.poll() is None  # waiting for the post
        held.release()
        code = process.wait(STOP_LIMIT_SECONDS)
        took = time.monotonic() - signalled
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    log = log_path.read_text()
    assert code == 0 and took < STOP_LIMIT_SECONDS, log
    assert "stopped cleanly after SIGTERM" in log and "Traceback" not in log
    [post] = x_env.posts.values()
    assert post.text == GOOD_DRAFTS[0][0]
    assert asyncio.run(_posts_in_database()) == [("posted", post.id)]
    assert any(post.id in r.body["content"] for r in server.sent(thread_id))  # the thread got the link
    print(f"SIGTERM during a post → exit {code} in {took:.2f} s")


async def _posts_in_database() -> list[tuple[str, str]]:
    engine = create_engine(Settings().database_url)
    try:
        async with engine.connect() as connection:
            return [tuple(row) for row in await connection.execute(text("select state, remote_id from posts"))]
    finally:
        await engine.dispose()


HANGING_STOP = """
    import asyncio, logging, os, signal, sys
    from bot.adapters.discord.runner import StopOnSignals

    logging.basicConfig(level=logging.INFO)

    async def hang() -> None:
        await asyncio.sleep(3600)

    async def main() -> None:
        with StopOnSignals(force_after={force_after}) as stops:
            stops.stop_with(hang)
            print("ready", flush=True)
            await asyncio.sleep(3600)

    asyncio.run(main())
"""


def _hanging(force_after: float) -> subprocess.Popen[str]:
    process = subprocess.Popen([sys.executable, "-c", textwrap.dedent(HANGING_STOP.format(force_after=force_after))],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert process.stdout is not None and process.stdout.readline() == "ready\n"
    return process


def test_a_second_signal_ends_a_hanging_stop_at_once():
    process = _hanging(force_after=60)
    try:
        process.send_signal(signal.SIGTERM)
        time.sleep(0.3)
        assert process.poll() is None  # the first signal only starts the stop
        process.send_signal(signal.SIGINT)
        assert process.wait(10) == 128 + signal.SIGINT
    finally:
        if process.poll() is None:
            process.kill()
    _, err = process.communicate()
    assert "SIGTERM received: stopping" in err and "second SIGINT: exiting at once" in err


def test_a_stop_that_hangs_is_ended_by_the_watchdog():
    process = _hanging(force_after=0.5)
    try:
        process.send_signal(signal.SIGTERM)
        assert process.wait(10) == 1
    finally:
        if process.poll() is None:
            process.kill()
    _, err = process.communicate()
    assert "still stopping after 0.5 s: exiting at once" in err
