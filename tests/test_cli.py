"""The CLI end to end: real openai client, fake LLM server, a real database."""

import asyncio
import io
import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest

from bot.adapters.storage.database import sqlite_file
from bot.adapters.storage.health import SqlHeartbeats
from bot.cli import main
from bot.core.health import CONNECTED, GATEWAY, LIFE, Presence
from bot.settings import Settings
from bot.wiring import health, open_database
from tests.fakes.clock import FakeClock
from tests.fakes.samples import GOOD_DRAFTS, NEWS
from tests.fixtures.database import rows


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_draft_json(capsys, llm_env, database_url):
    llm_env.reply_drafts(*GOOD_DRAFTS)
    code, out, err = run(capsys, "draft", NEWS, "--json")
    assert code == 0, err
    data = json.loads(out)
    assert [d["text"] for d in data["drafts"]] == [t for t, _ in GOOD_DRAFTS]
    first = data["drafts"][0]
    assert set(first) == {"text", "weighted_length", "evidence", "evidence_found", "premise", "pattern",
                          "needs_source_check", "language", "warnings"}
    assert first["pattern"] == "andere" and first["needs_source_check"] is False
    assert first["evidence_found"] is True and first["language"] == "de" and first["warnings"] == []
    assert data["llm_calls"] == 2 and data["usage"]["total_tokens"] == 150
    assert data["news"]["language"] == "de" and data["draft_set_id"] == 1
    assert rows(database_url, "select count(*) from drafts") == [(4,)]
    assert rows(database_url, "select origin from news_items") == [("cli",)]


def test_draft_text_output_shows_length_evidence_and_warnings(capsys, llm_env):
    llm_env.reply_drafts(GOOD_DRAFTS[0], ("Warum schweigt der Senat zu den Schulen?", "Schulen"))
    llm_env.reply_drafts(("Warum schweigt der Senat zu den Schulen?", "Schulen"))
    code, out, _ = run(capsys, "draft", NEWS, "--count", "2", "--no-save")
    assert code == 0
    assert f"1. {GOOD_DRAFTS[0][0]}" in out and f"Länge: {len(GOOD_DRAFTS[0][0])}/280" in out
    assert "⚠️ Kein Beleg aus der Meldung" in out and "LLM: 3 Aufrufe, 300 Tokens" in out  # with the premise check


def test_draft_from_stdin(capsys, llm_env, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO(NEWS))
    llm_env.reply_drafts(*GOOD_DRAFTS[:1])
    code, out, _ = run(capsys, "draft", "-", "--count", "1", "--json", "--no-save")
    assert code == 0 and json.loads(out)["draft_set_id"] is None


def test_no_save_creates_no_database(capsys, llm_env, tmp_path):
    llm_env.reply_drafts(*GOOD_DRAFTS)
    assert run(capsys, "draft", NEWS, "--no-save")[0] == 0
    assert not (tmp_path / "db").exists()


@pytest.mark.parametrize("argv", [["draft"], ["draft", "   "], ["draft", "kurz"], ["draft", "x" * 20_001]])
def test_empty_or_invalid_input(capsys, llm_env, argv):
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == "" and err.startswith("Fehler: ")
    assert llm_env.requests == []


@pytest.mark.parametrize("count", ["0", "9", "vier"])
def test_count_out_of_range(capsys, llm_env, count):
    with pytest.raises(SystemExit) as info:
        main(["draft", NEWS, "--count", count])
    assert info.value.code == 2
    assert "--count" in capsys.readouterr().err


def test_rejected_key(capsys, llm_env):
    llm_env.error(401, "Incorrect API key provided: sk-test-secret-key-123456")
    code, out, err = run(capsys, "draft", NEWS)
    assert code == 1 and "OPENAI_API_KEY prüfen" in err
    assert "sk-test-secret-key-123456" not in out + err


def test_unknown_model(capsys, llm_env):
    llm_env.error(404, "The model `test-model` does not exist", code="model_not_found")
    code, _, err = run(capsys, "draft", NEWS)
    assert code == 1 and "OPENAI_MODEL" in err


def test_unreachable_llm(capsys, llm_env, monkeypatch, unused_port):
    monkeypatch.setenv("OPENAI_BASE_URL", f"http://127.0.0.1:{unused_port}/v1")
    monkeypatch.setenv("LLM_MAX_ATTEMPTS", "1")
    code, _, err = run(capsys, "draft", NEWS)
    assert code == 1 and "nicht erreichbar" in err


def test_no_usable_draft(capsys, llm_env):
    llm_env.reply_drafts(("Alles wird teurer.", "x"))
    llm_env.reply_drafts(("Immer noch keine Frage.", "x"))
    code, _, err = run(capsys, "draft", NEWS, "--count", "1")
    assert code == 1 and "Kein Entwurf hat die Prüfungen bestanden" in err


def test_bad_configuration_value(capsys, llm_env, monkeypatch):
    monkeypatch.setenv("APPROVALS_REQUIRED", "viele")
    code, _, err = run(capsys, "doctor")
    assert code == 2 and "APPROVALS_REQUIRED" in err


def test_doctor_all_ok(capsys, llm_env):
    code, out, _ = run(capsys, "doctor")
    assert code == 0, out
    assert "OK           LLM: Modell test-model" in out and "OK           Datenbank" in out


@pytest.mark.sqlite_only
def test_doctor_names_what_is_wrong(capsys, llm_env, monkeypatch, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{blocker}/sub/db.sqlite")
    monkeypatch.setenv("OPENAI_MODEL", "gpt-unknown")
    code, out, _ = run(capsys, "doctor")
    assert code == 1
    assert "FEHLER       LLM: Das Modell „gpt-unknown“ gibt es" in out and "test-model" in out
    assert "FEHLER       Datenbank:" in out and "DATABASE_URL" in out


def test_doctor_missing_key(capsys, monkeypatch):
    code, out, _ = run(capsys, "doctor")
    assert code == 1 and "OPENAI_API_KEY fehlt" in out


def test_python_dash_m_bot_is_the_same_cli():
    result = subprocess.run([sys.executable, "-m", "bot", "--help"], capture_output=True, text=True, check=False)
    assert result.returncode == 0 and "draft" in result.stdout and "doctor" in result.stdout


def test_doctor_unreachable_llm(capsys, llm_env, monkeypatch, unused_port):
    monkeypatch.setenv("OPENAI_BASE_URL", f"http://127.0.0.1:{unused_port}/v1")
    code, out, _ = run(capsys, "doctor")
    assert code == 1 and "FEHLER       LLM:" in out and "nicht erreichbar" in out


def test_html_instead_of_json_is_a_german_error_without_traceback(capsys, llm_env, monkeypatch):
    monkeypatch.setenv("LLM_MAX_ATTEMPTS", "1")  # the CLI sleeps for real between attempts
    llm_env.raw(200, "<!DOCTYPE html><html><body>Bitte anmelden</body></html>")
    code, out, err = run(capsys, "draft", NEWS, "--no-save")
    assert code == 1 and out == ""
    last = err.strip().splitlines()[-1]
    assert last.startswith("Fehler: Der Sprachmodell-Server hat keine gültige Antwort geschickt (HTML statt JSON).")
    assert last.endswith("Nach 1 Versuch aufgegeben — bitte später erneut versuchen.")
    assert "Traceback" not in err and "attribute" not in err


def test_json_without_choices_is_a_german_error(capsys, llm_env, monkeypatch):
    monkeypatch.setenv("LLM_MAX_ATTEMPTS", "1")
    llm_env.json_body({"object": "chat.completion"})
    code, _, err = run(capsys, "draft", NEWS, "--no-save")
    assert code == 1 and "(JSON ohne „choices“)" in err and "Traceback" not in err


def test_a_long_retry_after_stops_at_once(capsys, llm_env, monkeypatch):
    monkeypatch.setenv("LLM_TIMEOUT_SECONDS", "10")
    llm_env.rate_limited({"Retry-After": "300"})
    code, _, err = run(capsys, "draft", NEWS, "--no-save")
    assert code == 1 and len(llm_env.requests) == 1
    assert err.strip() == ("Fehler: Das Sprachmodell ist ausgelastet; es bittet um 5 Minuten Pause. "
                           "Bitte später erneut versuchen.")


def test_max_reply_chars_is_configurable(capsys, llm_env, monkeypatch):
    monkeypatch.setenv("LLM_MAX_ATTEMPTS", "1")
    monkeypatch.setenv("LLM_MAX_REPLY_CHARS", "2000")
    llm_env.reply("x" * 2_001)
    code, _, err = run(capsys, "draft", NEWS, "--no-save")
    assert code == 1 and "mehr als 2.000 Zeichen" in err


@pytest.mark.sqlite_only
def test_drafts_are_shown_even_when_the_database_is_locked(capsys, llm_env, database_url, monkeypatch):
    from tests.fakes.sqlite_lock import WriteLock

    llm_env.reply_drafts(*GOOD_DRAFTS)
    assert run(capsys, "draft", NEWS)[0] == 0  # the database exists and is migrated
    monkeypatch.setenv("DATABASE_BUSY_SECONDS", "0.02")  # each write waits 20 ms for the lock, then retries
    llm_env.reply_drafts(*GOOD_DRAFTS)
    database = sqlite_file(database_url)
    assert database is not None
    lock = WriteLock(database).hold()  # another process writes, for longer than we wait
    try:
        code, out, err = run(capsys, "draft", NEWS)
    finally:
        lock.release()
    assert code == 1
    assert f"1. {GOOD_DRAFTS[0][0]}" in out and f"4. {GOOD_DRAFTS[3][0]}" in out  # paid for, so shown
    assert "Die Entwürfe ließen sich nicht speichern (Datenbank belegt)" in err
    assert "Traceback" not in err and "sqlalchemy" not in err.lower()
    assert rows(database_url, "select count(*) from draft_sets") == [(1,)]  # only the first run's


# --- one language: argparse's frame, errors, --version, -v ---

def parse_error(capsys, *argv):
    with pytest.raises(SystemExit) as info:
        main(list(argv))
    out, err = capsys.readouterr()
    assert info.value.code == 2 and out == ""
    return err


def test_help_is_german_throughout(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--help"])
    out = capsys.readouterr().out
    assert info.value.code == 0
    assert out.startswith("Aufruf: spitzfeder [-h] [--version] [-v] [--env-file PFAD] BEFEHL ...")
    assert "Optionen:" in out and "Befehle:" in out and "-h, --help" in out and "diese Hilfe zeigen und beenden" in out
    assert "Rückgabewerte: 0 erfolgreich" in out
    for english in ("usage:", "options:", "positional arguments", "show this help", "subcommands"):
        assert english not in out


def test_subcommand_help_is_german(capsys):
    with pytest.raises(SystemExit) as info:
        main(["draft", "--help"])
    out = capsys.readouterr().out
    assert info.value.code == 0
    assert out.startswith("Aufruf: spitzfeder draft ") and "Argumente:" in out and "Optionen:" in out
    assert "--count ANZAHL" in out and "usage:" not in out and "positional arguments" not in out


@pytest.mark.parametrize(("argv", "message"), [
    ([], "Fehler: es fehlt: BEFEHL"),
    (["entwurf"], "Fehler: BEFEHL: ungültige Wahl „entwurf“ "
                  "(möglich: draft, doctor, accounts, run, sync-commands, health, summary, amplifiers, patterns, "
                  "report, backup, prompts)"),
    (["draft", NEWS, "--bunt"], "Fehler: unbekannte Argumente: --bunt"),
    (["draft", "--url"], "Fehler: --url: erwartet einen Wert"),
    (["draft", NEWS, "--count", "vier"], "Fehler: --count: „vier“ ist keine ganze Zahl"),
    (["draft", NEWS, "--count", "9"], "Fehler: --count: muss zwischen 1 und 8 liegen (war 9)"),
    (["draft", NEWS, "--json=ja"], "Fehler: --json: nimmt keinen Wert an (angegeben: „ja“)"),
])
def test_parse_errors_are_german_and_exit_2(capsys, argv, message):
    err = parse_error(capsys, *argv)
    usage, error = err.strip().splitlines()[0], err.strip().splitlines()[-1]
    assert usage.startswith("Aufruf: spitzfeder") and error == message
    assert "error:" not in err and "usage:" not in err


def test_argparse_messages_are_translated_and_unknown_ones_kept():
    from bot.german_argparse import translate

    assert translate("argument --size: invalid int value: 'x'") == "--size: „x“ ist keine ganze Zahl"
    assert translate("argument --rate: invalid float value: 'y'") == "--rate: „y“ ist keine Zahl"
    assert translate("the following arguments are required: TEXT, --url") == "es fehlt: TEXT, --url"
    assert translate("ambiguous option: --n could match --no-save, --name") == (
        "mehrdeutige Option --n: passt zu --no-save, --name")
    assert translate("argument --a: not allowed with argument --b") == "--a: nicht zusammen mit --b erlaubt"
    assert translate("argument X: expected 2 arguments") == "X: erwartet 2 Werte"
    assert translate("something argparse says one day") == "something argparse says one day"


def test_version(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out == "spitzfeder 0.1.0\n"


@pytest.mark.parametrize(("argv", "verbose"), [
    (["draft", "x"], False), (["-v", "draft", "x"], True), (["draft", "-v", "x"], True),
    (["draft", "x", "--verbose"], True), (["--verbose", "doctor"], True), (["doctor", "-v"], True), (["run"], False),
])
def test_verbose_before_or_after_the_command(argv, verbose):
    from bot.cli import build_parser

    assert build_parser().parse_args(argv).verbose is verbose


# --- configuration errors ---

def test_each_invalid_variable_gets_its_own_line_with_the_reason(capsys, llm_env, monkeypatch):
    monkeypatch.setenv("TIMEZONE", "Mars/Olympus")
    monkeypatch.setenv("POST_UNDO_SECONDS", "abc")
    monkeypatch.setenv("DRY_RUN", "vielleicht")
    code, out, err = run(capsys, "doctor")
    assert code == 2 and out == ""
    assert err.splitlines() == [
        "Fehler: POST_UNDO_SECONDS: muss eine ganze Zahl zwischen 0 und 3600 sein (war „abc“)",
        "Fehler: DRY_RUN: muss true oder false sein (war „vielleicht“)",
        "Fehler: TIMEZONE: „Mars/Olympus“ ist keine Zeitzone wie Europe/Berlin",
    ]


@pytest.mark.parametrize(("name", "value", "line"), [
    ("APPROVALS_REQUIRED", "0", "APPROVALS_REQUIRED: muss eine ganze Zahl zwischen 1 und 10 sein (war „0“)"),
    ("LLM_TIMEOUT_SECONDS", "-5", "LLM_TIMEOUT_SECONDS: muss eine Zahl größer als 0 sein (war „-5“)"),
    ("MAX_NEWS_CHARS", "zehn", "MAX_NEWS_CHARS: muss eine ganze Zahl ab 500 sein (war „zehn“)"),
    ("SUMMARY_CHANNEL_ID", "#allgemein", "SUMMARY_CHANNEL_ID: muss eine ganze Zahl sein (war „#allgemein“)"),
    ("DISCORD_CHANNEL_IDS", "12,abc",
     "DISCORD_CHANNEL_IDS: „abc“ ist keine ID; erwartet werden Zahlen, durch Kommas getrennt"),
    ("METRICS_SCHEDULE", "1h,bald", "METRICS_SCHEDULE: „bald“ ist keine Dauer wie 30s, 15m, 6h oder 7d"),
    ("METRICS_SCHEDULE", ",", "METRICS_SCHEDULE ist leer (z. B. 1h,6h,24h,48h,7d)"),
    ("LOG_LEVEL", "laut", "LOG_LEVEL: „laut“ ist keine Protokollstufe; erlaubt sind DEBUG, INFO, WARNING, ERROR"),
])
def test_configuration_reasons_are_german(capsys, monkeypatch, name, value, line):
    monkeypatch.setenv(name, value)
    code, _, err = run(capsys, "draft", NEWS)
    assert code == 2 and err == f"Fehler: {line}\n"


def test_log_level_is_case_insensitive(capsys, llm_env, monkeypatch):
    monkeypatch.setenv("LOG_LEVEL", "warning")
    code, out, err = run(capsys, "run")  # gets as far as the token check, with logging set up at LOG_LEVEL
    assert code == 2 and "DISCORD_TOKEN fehlt" in err and "Traceback" not in err


def test_draft_without_key_and_server_says_so_before_any_request(capsys, monkeypatch, fake_openai):
    code, out, err = run(capsys, "draft", NEWS, "--no-save")
    assert code == 2 and out == ""
    assert err.startswith("Fehler: OPENAI_API_KEY fehlt") and "OPENAI_BASE_URL" in err
    assert fake_openai.requests == []


@pytest.mark.parametrize("command", ["run", "sync-commands"])
def test_missing_discord_token_is_a_configuration_error(capsys, command):
    code, out, err = run(capsys, command)
    assert code == 2 and out == "" and err.startswith("Fehler: DISCORD_TOKEN fehlt")


# --- doctor ---

def test_doctor_shows_skipped_checks_as_skipped(capsys, llm_env):
    code, out, _ = run(capsys, "doctor")
    assert code == 0  # skipped is not failed
    assert "ÜBERSPRUNGEN Discord-Token: kein DISCORD_TOKEN" in out
    assert "ÜBERSPRUNGEN Discord-Kanäle:" in out and "ÜBERSPRUNGEN Discord-Freigaben:" in out
    assert "OK           Discord" not in out and "übersprungen" not in out


# --- quiet output, unexpected errors ---

def test_no_log_lines_without_v(capsys, llm_env, monkeypatch):
    monkeypatch.setenv("LLM_MAX_ATTEMPTS", "1")
    llm_env.raw(200, "<!DOCTYPE html><html><body>Bitte anmelden</body></html>")
    code, _, err = run(capsys, "draft", NEWS, "--no-save")
    assert code == 1 and len(err.strip().splitlines()) == 1 and err.startswith("Fehler: ")

    llm_env.raw(200, "<!DOCTYPE html><html><body>Bitte anmelden</body></html>")
    code, _, err = run(capsys, "draft", "-v", NEWS, "--no-save")
    assert code == 1 and "WARNING" in err and "LLM attempt 1/1 failed" in err
    assert err.strip().splitlines()[-1].startswith("Fehler: ")


def _boom(monkeypatch):
    async def broken(settings):
        raise ZeroDivisionError("division by zero deep inside")

    monkeypatch.setattr("bot.cli.cmd_doctor", broken)


def test_an_unexpected_error_is_one_german_line(capsys, llm_env, monkeypatch):
    _boom(monkeypatch)
    code, out, err = run(capsys, "doctor")
    assert code == 1 and out == ""
    assert err == "Fehler: Unerwarteter Fehler (ZeroDivisionError); mit -v steht die Ursache im Protokoll.\n"


@pytest.mark.parametrize("argv", [["-v", "doctor"], ["doctor", "-v"]])
def test_an_unexpected_error_with_v_shows_the_traceback(capsys, llm_env, monkeypatch, argv):
    _boom(monkeypatch)
    code, _, err = run(capsys, *argv)
    assert code == 1 and "Traceback" in err and "division by zero deep inside" in err
    assert err.strip().splitlines()[-1] == (
        "Fehler: Unerwarteter Fehler (ZeroDivisionError); die Ursache steht im Protokoll.")


# --- spitzfeder health ---

async def _beats(database_url: str, *, heartbeat_age: float, gateway: str) -> None:
    async with open_database(Settings(database_url=database_url)) as engine:
        now = datetime.now(UTC)
        await SqlHeartbeats(engine).write(LIFE, now - timedelta(seconds=heartbeat_age))
        await SqlHeartbeats(engine).write(GATEWAY, now - timedelta(minutes=10), gateway)


def test_health_is_0_with_a_fresh_heartbeat_and_a_connected_gateway(capsys, llm_env, database_url):
    asyncio.run(_beats(database_url, heartbeat_age=30, gateway="connected"))
    code, out, _ = run(capsys, "health")
    assert code == 0
    assert out.startswith("OK: Gateway verbunden, letztes Lebenszeichen vor ")


def test_health_is_1_with_a_stale_heartbeat_and_says_how_long(capsys, llm_env, database_url):
    asyncio.run(_beats(database_url, heartbeat_age=7 * 60 + 20,
                       gateway="connected"))
    code, out, _ = run(capsys, "health")
    assert (code, out) == (1, "Kein Lebenszeichen seit 7 min\n")


def test_health_is_1_with_a_disconnected_gateway(capsys, llm_env, database_url):
    asyncio.run(_beats(database_url, heartbeat_age=10,
                       gateway="disconnected"))
    code, out, _ = run(capsys, "health")
    assert (code, out) == (1, "Gateway nicht verbunden seit 10 min\n")


@pytest.mark.sqlite_only
def test_health_without_a_database_says_so_and_creates_none(capsys, llm_env, tmp_path):
    code, out, _ = run(capsys, "health")
    assert code == 1
    assert out.startswith("Datenbank antwortet nicht: die Datei ") and "gibt es nicht" in out
    assert not (tmp_path / "db").exists()


async def test_health_on_the_injected_clock(llm_env, tmp_path):
    clock, settings = FakeClock(), Settings()
    async with open_database(settings) as engine:
        presence = Presence(SqlHeartbeats(engine), clock)
        await presence.gateway(CONNECTED)
        await presence.run_due()
    clock.advance(timedelta(minutes=3).total_seconds())
    assert (await health(settings, clock=clock)).ok
    clock.advance(1)
    assert (await health(settings, clock=clock)).problems == ["Kein Lebenszeichen seit 3 min"]


def test_a_reader_that_stops_early_ends_the_command_quietly(monkeypatch, llm_env):
    """`spitzfeder doctor | head -1`: no error message about the closed pipe."""
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone
    stderr = io.StringIO()
    with os.fdopen(write_end, "w") as closed_pipe:  # block-buffered like stdout into a pipe
        monkeypatch.setattr(sys, "stdout", closed_pipe)
        monkeypatch.setattr(sys, "stderr", stderr)
        assert main(["doctor"]) == 141  # 128 + SIGPIPE, as a shell tool cut off by `head`
        monkeypatch.undo()
    assert stderr.getvalue() == ""
