"""`spitzfeder report`: the monthly report written to a file, its path printed; bad input exits 2 in German."""

import asyncio
from datetime import UTC, datetime

import pytest

from bot.cli import main
from tests.fixtures.reports import OnNetwork, Question, seed_questions


async def test_report_writes_the_html_file_in_the_current_folder(capsys, monkeypatch, tmp_path, engine,
                                                                 migrated_database_url):
    monkeypatch.setenv("DATABASE_URL", migrated_database_url)
    monkeypatch.setenv("DISPLAY_NAME", "Agentur Nord")
    await seed_questions(engine, [Question("Wer zahlt die Brücke?", datetime(2026, 11, 3, 9, 0, tzinfo=UTC),
                                           [OnNetwork("x", (3, 1_234, 5, 6, 20_000)), OnNetwork("mastodon")])])
    code = await asyncio.to_thread(main, ["report", "--account", "standard", "--month", "2026-11"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert out == "spitzfeder-bericht-standard-2026-11.html\n"
    html = (tmp_path / "spitzfeder-bericht-standard-2026-11.html").read_text(encoding="utf-8")
    assert "Agentur Nord: Monatsbericht November 2026" in html and "1.234" in html and "Mastodon" in html


async def test_report_as_csv_to_a_chosen_path(capsys, monkeypatch, tmp_path, engine, migrated_database_url):
    monkeypatch.setenv("DATABASE_URL", migrated_database_url)
    await seed_questions(engine, [Question("Wer zahlt?", datetime(2026, 11, 3, 9, 0, tzinfo=UTC),
                                           [OnNetwork("x"), OnNetwork("bluesky")])])
    target = tmp_path / "out" / "nov.csv"
    target.parent.mkdir()
    code = await asyncio.to_thread(main, ["report", "--account", "standard", "--month", "2026-11", "--format", "csv",
                                          "--out", str(target)])
    assert code == 0 and capsys.readouterr().out == f"{target}\n"
    assert len(target.read_text(encoding="utf-8-sig").splitlines()) == 3  # header, X, Bluesky


def test_report_refuses_bad_input_with_exit_2(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'r.db'}")
    assert main(["report", "--account", "kunde-a", "--month", "2026-11"]) == 2
    assert "Fehler: Ein Konto „kunde-a“ gibt es nicht. Vorhanden: „standard“." in capsys.readouterr().err
    with pytest.raises(SystemExit) as stopped:  # argparse's own exit, with the German message
        main(["report", "--account", "standard", "--month", "November"])
    assert stopped.value.code == 2
    assert "--month: „November“ ist kein Monat; erwartet wird JJJJ-MM, zum Beispiel 2026-11." in capsys.readouterr().err
    missing = str(tmp_path / "nix" / "a.html")
    assert main(["report", "--account", "standard", "--month", "2026-11", "--out", missing]) == 2
    assert "Der Bericht kann nicht nach" in capsys.readouterr().err


def test_an_unknown_account_is_refused_before_a_database_is_created(capsys, monkeypatch, tmp_path):
    database = tmp_path / "neu.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{database}")
    assert main(["report", "--account", "nobody", "--month", "2026-11"]) == 2
    assert "Ein Konto „nobody“ gibt es nicht. Vorhanden: „standard“." in capsys.readouterr().err
    assert not database.exists()


ONE = '[accounts.agentur]\ndisplay_name = "Agentur Nordlicht"\ndiscord_channel_ids = [11]\napprover_user_ids = [1]\n'
TWO = ONE + '[accounts.kunde-a]\ndisplay_name = "Verkehrsclub"\ndiscord_channel_ids = [44]\napprover_user_ids = [2]\n'


def test_each_account_of_the_file_has_its_report_and_an_unknown_one_is_refused(capsys, monkeypatch, tmp_path):
    database = tmp_path / "neu.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{database}")
    accounts = tmp_path / "accounts.toml"
    monkeypatch.setenv("ACCOUNTS_FILE", str(accounts))
    accounts.write_text(ONE, encoding="utf-8")
    assert main(["report", "--account", "standard", "--month", "2026-11"]) == 2
    assert "Ein Konto „standard“ gibt es nicht. Vorhanden: „agentur“." in capsys.readouterr().err
    assert not database.exists()
    accounts.write_text(TWO, encoding="utf-8")
    out = tmp_path / "bericht.html"
    assert main(["report", "--account", "kunde-a", "--month", "2026-11", "--out", str(out)]) == 0
    html = out.read_text(encoding="utf-8")
    assert "Verkehrsclub" in html and "Agentur Nordlicht" not in html


def test_the_account_help_names_the_accounts_file(capsys):
    with pytest.raises(SystemExit):
        main(["report", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert "standard, oder eines aus ACCOUNTS_FILE" in help_text and "heute: standard" not in help_text
