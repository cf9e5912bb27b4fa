"""Secrets never reach the log: not in messages, arguments, tracebacks or URL-encoded forms."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import datetime, timedelta
from urllib.parse import quote, quote_plus

import httpx2
import pytest
from aiohttp import web

from bot.logs import REDACTED, redact, register_secrets, setup_logging
from bot.settings import Settings
from tests.fakes.threaded_server import ThreadedServer

# '/', '+', '=' and ' ' all change when percent-encoded, so each encoded form differs from the plain one.
CANARY = "sk-canary/Ab+c=d 9xyz"
# X bearer tokens arrive already percent-encoded; clients may log them decoded.
ENCODED_CANARY = "AAAAbearer%2Bcanary%3DQ"


def forms(secret: str) -> list[str]:
    return [secret, quote(secret), quote(secret, safe=""), quote_plus(secret), quote_plus(secret, safe="/")]


def assert_clean(output: str) -> None:
    assert REDACTED in output
    for secret in (CANARY, ENCODED_CANARY, "AAAAbearer+canary=Q"):
        for form in forms(secret):
            assert form not in output, f"{form!r} leaked"


@pytest.fixture
def settings(monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("OPENAI_API_KEY", CANARY)
    monkeypatch.setenv("X_BEARER_TOKEN", ENCODED_CANARY)
    return Settings()


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    register_secrets(())


@pytest.fixture
def rejecting_server() -> Iterator[ThreadedServer]:
    async def unauthorized(_: web.Request) -> web.Response:
        return web.Response(status=401, text="nope")

    app = web.Application()
    app.router.add_get("/v1/check", unauthorized)
    server = ThreadedServer(app).start()
    yield server
    server.stop()


def test_traceback_of_a_client_error_with_the_secret_in_the_url(
    settings: Settings, rejecting_server: ThreadedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    setup_logging(settings)
    log = logging.getLogger("bot.test")
    try:
        with httpx2.Client() as client:
            response = client.get(f"{rejecting_server.base_url}/v1/check", params={"key": CANARY})
            response.raise_for_status()
    except httpx2.HTTPStatusError as exc:
        # Without redaction the client's own message would carry the key, percent-encoded.
        assert any(form in str(exc) for form in forms(CANARY)[1:])
        log.exception("key check failed for %s", exc.request.url)
    else:
        pytest.fail("the server should have refused")

    output = capsys.readouterr().err
    assert "key check failed" in output
    assert "HTTPStatusError" in output and "Traceback" in output
    assert_clean(output)


def test_plain_exception_arguments_and_stack_info(settings: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    setup_logging(settings)
    log = logging.getLogger("bot.test")
    try:
        raise RuntimeError(f"token {CANARY} rejected, bearer {ENCODED_CANARY}")
    except RuntimeError:
        log.exception("call failed")
    log.warning("configuration: %r", {"key": CANARY, "bearer": "AAAAbearer+canary=Q"})
    log.error("request to %s", f"https://api.example/?t={quote_plus(CANARY)}&u={quote(CANARY, safe='')}",
              stack_info=True)

    output = capsys.readouterr().err
    assert "RuntimeError: token [redacted] rejected, bearer [redacted]" in output
    assert "configuration: {'key': '[redacted]', 'bearer': '[redacted]'}" in output
    assert "?t=[redacted]&u=[redacted]" in output
    assert "Stack (most recent call last)" in output
    assert_clean(output)


def test_redact_serves_other_handlers(settings: Settings) -> None:
    setup_logging(settings)
    line = f'{{"msg": "auth {quote(CANARY, safe="")}"}}'
    assert redact(line) == '{"msg": "auth [redacted]"}'
    assert redact(f"a {CANARY} b {quote_plus(CANARY)} c") == "a [redacted] b [redacted] c"
    assert redact(f"lower-case hex {quote(CANARY, safe='').replace('%2F', '%2f')}") == "lower-case hex [redacted]"


def test_short_values_are_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "true")
    setup_logging(Settings())
    assert redact("it is true") == "it is true"


def test_json_lines_carry_time_level_logger_message_and_exception_without_secrets(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", CANARY)
    monkeypatch.setenv("X_BEARER_TOKEN", ENCODED_CANARY)
    monkeypatch.setenv("LOG_FORMAT", "json")
    setup_logging(Settings())
    log = logging.getLogger("bot.test")
    log.info("Frage „%s“ gepostet\nzweite Zeile", "Warum?")
    try:
        raise RuntimeError(f"token {CANARY} rejected, bearer {quote_plus(ENCODED_CANARY)}")
    except RuntimeError:
        log.exception("call with %s failed", f'{{"key": "{CANARY}"}}')

    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 2  # one object per line, even for a message with a line break and a traceback
    first, second = (json.loads(line) for line in lines)
    assert set(first) == {"time", "level", "logger", "message"}
    assert datetime.fromisoformat(first["time"]).utcoffset() == timedelta(0)
    assert (first["level"], first["logger"]) == ("INFO", "bot.test")
    assert first["message"] == "Frage „Warum?“ gepostet\nzweite Zeile"
    assert second["level"] == "ERROR" and second["message"] == 'call with {"key": "[redacted]"} failed'
    assert second["exception"].startswith("Traceback") and "RuntimeError: token [redacted]" in second["exception"]
    assert_clean("\n".join(lines))
    assert_clean(json.dumps([first, second], ensure_ascii=False))


def test_log_format_defaults_to_text(capsys: pytest.CaptureFixture[str]) -> None:
    setup_logging(Settings())
    logging.getLogger("bot.test").warning("plain")
    assert capsys.readouterr().err.rstrip().endswith("WARNING bot.test: plain")
