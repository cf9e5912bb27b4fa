"""`spitzfeder amplifiers`, doctor's watchlist and cost checks, the watchlist file, and the AMPLIFIER_* settings."""

import asyncio

import pytest

from bot.adapters.storage.amplifiers import SqlAmplifierStore
from bot.adapters.storage.database import create_engine, migrate
from bot.adapters.storage.usage import SqlUsageStore
from bot.adapters.watchlist_file import load_watchlist
from bot.cli import main
from bot.core.clock import SystemClock
from bot.core.errors import ConfigError
from bot.core.reach.amplifiers import Amplifier, StoredAmplifier
from bot.doctor import check_watchlist, check_x_costs, run_checks
from bot.settings import PROJECT_ROOT, Settings
from tests.fixtures.x import posted_post

CHECKS = [("Beobachtungsliste", check_watchlist), ("X-Kosten", check_x_costs)]


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def seed(post_x_id: str = "1900") -> int:
    async def go() -> int:
        engine = create_engine(Settings().database_url)
        await migrate(engine)
        clock = SystemClock()
        post = await posted_post(engine, clock, post_x_id, text="Warum kostet das so viel?")
        await SqlAmplifierStore(engine).add_amplifiers(post.id, [
            StoredAmplifier(Amplifier("2", "mdb", "M", 45_300, None, "repost"), clock.now(), True, "MdB", None)])
        usage = SqlUsageStore(engine, clock)
        await usage.record("read", items=40, cost=0.40)
        await usage.record("write", cost=0.02)
        await usage.flush()
        await engine.dispose()
        return post.id

    return asyncio.run(go())


def test_amplifiers_cli_lists_a_post(capsys, x_env):
    post_id = seed()
    code, out, err = run(capsys, "amplifiers")
    assert code == 0, err
    assert f"Weiterträger von Post {post_id}" in out and "⭐ @mdb (MdB, 45.300 Follower) — Repost" in out
    assert "neu für uns: unbekannt" in out
    code, same, _ = run(capsys, "amplifiers", "--post", str(post_id))
    assert same == out
    code, _, err = run(capsys, "amplifiers", "--post", "gestern")
    assert code == 2 and "weder eine Postnummer" in err


@pytest.mark.sqlite_only
def test_amplifiers_cli_creates_no_database(capsys, x_env, tmp_path):
    code, out, _ = run(capsys, "amplifiers")
    assert code == 0 and out.startswith("Noch keine Datenbank") and not (tmp_path / "db").exists()


def test_amplifiers_help_is_german(capsys):
    with pytest.raises(SystemExit):
        main(["amplifiers", "--help"])
    assert "Nummer des Posts oder Link auf X" in capsys.readouterr().out


@pytest.mark.sqlite_only
async def test_doctor_skips_the_costs_without_a_database(x_env):
    [watch, costs] = await run_checks(Settings(), CHECKS)
    assert watch.skipped and costs.skipped


async def test_doctor_shows_this_months_x_requests_and_cost(x_env, tmp_path, monkeypatch):
    await asyncio.to_thread(seed)
    csv = tmp_path / "watch.csv"
    csv.write_text("handle,label,note\nanna,MdB,\n", encoding="utf-8")
    monkeypatch.setenv("WATCHLIST_PATH", str(csv))
    monkeypatch.setenv("WATCHLIST_X_LIST_IDS", "55:Verband")
    [watch, costs] = await run_checks(Settings(), CHECKS)
    assert watch.ok and watch.message.startswith(f"1 Konten aus {csv}, 1 X-Liste(n)")
    assert costs.ok and costs.message == ("X diesen Monat: 2 Anfragen (1 zum Posten), 40 gelesene Einträge von "
                                          "10.000, geschätzt 0,42 $")
    csv.write_text("handle,label,note\nanna,MdB,\nkein handle,MdB,\n", encoding="utf-8")
    [watch, _] = await run_checks(Settings(), CHECKS)
    assert not watch.ok and watch.message == (f"WATCHLIST_PATH {csv}, Zeile 3: „kein handle“ ist kein X-Handle "
                                              "(1–15 Buchstaben, Ziffern oder _)")


def test_the_watchlist_file_and_the_shipped_example(tmp_path):
    example = load_watchlist(PROJECT_ROOT / "watchlist.example.csv", "")
    assert example.by_handle and all(e.note.startswith("fiktiv") for e in example.by_handle.values())
    with pytest.raises(ConfigError, match="WATCHLIST_PATH: die Datei .* gibt es nicht"):
        load_watchlist(tmp_path / "missing.csv", "")


def test_a_broken_watchlist_stops_the_bot_at_start(capsys, x_env, tmp_path, monkeypatch):
    (tmp_path / "w.csv").write_text("handle,label\n", encoding="utf-8")
    monkeypatch.setenv("WATCHLIST_PATH", str(tmp_path / "w.csv"))
    monkeypatch.setenv("DISCORD_TOKEN", "discord-test-token-123456")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    code, _, err = run(capsys, "run")
    assert code == 2 and "Zeile 1: die Kopfzeile muss „handle,network,label,note“" in err


@pytest.mark.parametrize("name, value, message", [
    ("AMPLIFIER_SCHEDULE", "6h,1x", "AMPLIFIER_SCHEDULE: „1x“ ist keine Dauer"),
    ("WATCHLIST_X_LIST_IDS", "abc", "WATCHLIST_X_LIST_IDS: „abc“ ist keine Listen-ID"),
    ("AMPLIFIER_MAX_PAGES", "0", "AMPLIFIER_MAX_PAGES: muss eine ganze Zahl zwischen 1 und 10 sein"),
])
def test_bad_amplifier_settings_are_named(capsys, name, value, message, monkeypatch):
    monkeypatch.setenv(name, value)
    code, _, err = run(capsys, "summary")
    assert code == 2 and message in err
