"""Where Spitzfeder keeps things: SPITZFEDER_HOME, `.env` lookup, `--env-file`, the shipped prompts and their
export, and commands that read without creating a database."""

import sqlite3
from pathlib import Path

import pytest

from bot.cli import build_parser, main
from bot.settings import DEFAULT_PROMPTS_DIR, Settings, default_home, load_settings
from tests.fakes.samples import GOOD_DRAFTS, NEWS

pytestmark = pytest.mark.sqlite_only  # the home and its default SQLite file

TEMPLATES = ["draft.txt", "refine.txt", "repair.txt", "system.txt"]


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def home(tmp_path) -> Path:
    return tmp_path / "home"  # SPITZFEDER_HOME of every test (conftest)


# --- the data folder ---

def test_default_home_follows_xdg_or_falls_back_to_local_share(monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path / "user"))
    assert default_home() == tmp_path / "user" / ".local" / "share" / "spitzfeder"
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert default_home() == tmp_path / "xdg" / "spitzfeder"
    monkeypatch.setenv("XDG_DATA_HOME", "relativ")  # the XDG spec: a relative path is ignored
    assert default_home() == tmp_path / "user" / ".local" / "share" / "spitzfeder"
    monkeypatch.delenv("SPITZFEDER_HOME")
    assert Settings().database_url == f"sqlite+aiosqlite:///{tmp_path / 'user/.local/share/spitzfeder/spitzfeder.db'}"


def test_the_default_database_lives_in_the_home(home, monkeypatch):
    assert Settings().database_url == f"sqlite+aiosqlite:///{home / 'spitzfeder.db'}"
    monkeypatch.setenv("DATABASE_URL", "sqlite+aiosqlite:///./anders.db")
    assert Settings().database_url == "sqlite+aiosqlite:///./anders.db"
    monkeypatch.setenv("SPITZFEDER_HOME", "relativ")  # relative to where the command starts, shown absolute
    assert load_settings().spitzfeder_home == Path.cwd() / "relativ"


def test_a_saved_draft_goes_to_the_database_in_the_home(capsys, llm_env, monkeypatch, home):
    monkeypatch.delenv("DATABASE_URL")
    llm_env.reply_drafts(*GOOD_DRAFTS)
    code, _, err = run(capsys, "draft", NEWS)
    assert code == 0, err
    with sqlite3.connect(home / "spitzfeder.db") as db:
        assert db.execute("select count(*) from drafts").fetchone() == (4,)


def test_an_unusable_home_is_named_without_a_traceback(capsys, llm_env, monkeypatch, tmp_path):
    blocker = tmp_path / "datei"
    blocker.write_text("")
    monkeypatch.setenv("SPITZFEDER_HOME", str(blocker / "spitzfeder"))
    monkeypatch.delenv("DATABASE_URL")
    llm_env.reply_drafts(*GOOD_DRAFTS)
    code, out, err = run(capsys, "draft", NEWS)
    assert code == 1 and "Traceback" not in err
    assert err.startswith(f"Fehler: Das Datenbankverzeichnis {blocker / 'spitzfeder'} kann nicht angelegt werden")
    assert "SPITZFEDER_HOME" in err

    code, out, _ = run(capsys, "doctor")
    assert code == 1
    assert (f"FEHLER       Datenbank: Die Datenbank {blocker / 'spitzfeder' / 'spitzfeder.db'} kann nicht angelegt "
            f"werden: {blocker} ist eine Datei, kein Ordner.") in out


# --- which .env ---

def test_the_env_of_the_current_directory_wins_over_the_home(tmp_path, home):
    home.mkdir()
    (home / ".env").write_text("DRAFT_COUNT=3\nOPENAI_MODEL=aus-home\n")
    settings = load_settings()
    assert settings.env_file_used == home / ".env" and settings.draft_count == 3
    (tmp_path / ".env").write_text("DRAFT_COUNT=5\n")
    settings = load_settings()
    assert settings.env_file_used == tmp_path / ".env" and settings.draft_count == 5
    assert settings.openai_model == "gpt-4o-mini"  # one file is read, not a merge of both


def test_no_env_anywhere(home):
    assert load_settings().env_file_used is None


@pytest.mark.parametrize("where", ["before", "after"])
def test_env_file_before_or_after_the_command(capsys, llm_env, monkeypatch, tmp_path, where):
    monkeypatch.delenv("OPENAI_MODEL")  # the environment would win over any file
    env = tmp_path / "anders.env"
    env.write_text("OPENAI_MODEL=gpt-unknown\n", encoding="utf-8")
    (tmp_path / ".env").write_text("OPENAI_MODEL=test-model\n")  # ignored: --env-file names the file
    argv = ["--env-file", env, "doctor"] if where == "before" else ["doctor", "--env-file", env]
    code, out, _ = run(capsys, *argv)
    assert out.splitlines()[0] == f"Konfiguration: {env}"
    assert "„gpt-unknown“" in out and code == 1


def test_env_file_is_accepted_by_every_command(tmp_path):
    env = tmp_path / "x.env"
    for argv in (["draft", "x"], ["doctor"], ["run"], ["sync-commands"], ["summary"], ["prompts", "export", "d"]):
        assert build_parser().parse_args([*argv, "--env-file", str(env)]).env_file == env
        assert build_parser().parse_args(["--env-file", str(env), *argv]).env_file == env
        assert build_parser().parse_args(argv).env_file is None


def test_a_missing_env_file_is_a_configuration_error(capsys, tmp_path):
    code, out, err = run(capsys, "doctor", "--env-file", tmp_path / "fehlt.env")
    assert code == 2 and out == ""
    assert err == f"Fehler: Die Konfigurationsdatei {tmp_path / 'fehlt.env'} gibt es nicht (--env-file).\n"


def test_an_env_file_that_is_not_utf8_is_named(capsys, tmp_path):
    (tmp_path / ".env").write_bytes(b"OPENAI_MODEL=\xff\xfe\n")
    code, _, err = run(capsys, "doctor")
    assert code == 2 and err.startswith(f"Fehler: Die Konfigurationsdatei {tmp_path / '.env'} ist nicht lesbar")


# --- doctor and summary read, they create nothing ---

def test_doctor_names_env_and_database_first_and_creates_nothing(capsys, llm_env, monkeypatch, tmp_path, home):
    monkeypatch.delenv("DATABASE_URL")
    code, out, _ = run(capsys, "doctor")
    assert code == 0, out
    lines = out.splitlines()
    assert lines[0] == (f"Konfiguration: keine .env gefunden (gesucht: {tmp_path / '.env'}, {home / '.env'})")
    assert lines[1] == f"Datenbank:     {home / 'spitzfeder.db'}"
    assert (f"OK           Datenbank: noch keine Datenbank unter {home / 'spitzfeder.db'}; "
            "sie wird beim ersten Start angelegt") in out
    assert not home.exists()


def test_doctor_checks_an_existing_database(capsys, llm_env, tmp_path):
    llm_env.reply_drafts(*GOOD_DRAFTS)
    assert run(capsys, "draft", NEWS)[0] == 0
    code, out, _ = run(capsys, "doctor")
    assert code == 0 and "beschreibbar, Schema aktuell" in out


def test_summary_without_a_database_says_so_and_creates_none(capsys, home):
    code, out, err = run(capsys, "summary")
    assert code == 0, err
    assert out.startswith(f"Noch keine Datenbank unter {home / 'spitzfeder.db'}")
    assert not home.exists()


# --- the shipped prompts, their export and own templates ---

def test_prompts_export_writes_the_shipped_templates(capsys, tmp_path):
    target = tmp_path / "neu" / "prompts"
    code, out, err = run(capsys, "prompts", "export", target)
    assert code == 0, err
    shipped = sorted([*TEMPLATES, "fairness.txt", "patterns.txt", "premise_check.txt", "style.txt"])  # + data files
    assert sorted(path.name for path in target.iterdir()) == shipped
    for name in shipped:
        assert (target / name).read_text(encoding="utf-8") == (DEFAULT_PROMPTS_DIR / name).read_text(encoding="utf-8")
    assert f"PROMPTS_DIR={target}" in out


def test_prompts_export_keeps_existing_files_unless_forced(capsys, tmp_path):
    target = tmp_path / "prompts"
    target.mkdir()
    (target / "draft.txt").write_text("meine Fassung")
    code, out, err = run(capsys, "prompts", "export", target)
    assert code == 2 and out == ""
    assert err == (f"Fehler: In {target} gibt es schon draft.txt; nichts geschrieben. "
                   "Mit --force werden sie überschrieben.\n")
    assert [path.name for path in target.iterdir()] == ["draft.txt"]
    assert (target / "draft.txt").read_text() == "meine Fassung"
    code, _, err = run(capsys, "prompts", "export", target, "--force")
    assert code == 0, err
    assert (target / "draft.txt").read_text(encoding="utf-8") == (DEFAULT_PROMPTS_DIR / "draft.txt").read_text()


def test_prompts_export_into_a_file_is_refused(capsys, tmp_path):
    (tmp_path / "datei").write_text("")
    code, _, err = run(capsys, "prompts", "export", tmp_path / "datei")
    assert code == 2 and err == f"Fehler: {tmp_path / 'datei'} ist eine Datei, kein Ordner.\n"


def test_prompts_export_works_with_a_broken_configuration(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("TIMEZONE", "Mars/Olympus")
    assert run(capsys, "prompts", "export", tmp_path / "p")[0] == 0


def test_prompts_needs_an_action(capsys):
    with pytest.raises(SystemExit) as info:
        main(["prompts"])
    assert info.value.code == 2 and "Fehler: es fehlt: AKTION" in capsys.readouterr().err


def test_own_template_replaces_the_shipped_one_file_by_file(capsys, llm_env, monkeypatch, tmp_path):
    own = tmp_path / "eigene"
    own.mkdir()
    shipped = (DEFAULT_PROMPTS_DIR / "draft.txt").read_text(encoding="utf-8")
    (own / "draft.txt").write_text("EIGENE VORLAGE\n" + shipped, encoding="utf-8")
    monkeypatch.setenv("PROMPTS_DIR", str(own))
    llm_env.reply_drafts(*GOOD_DRAFTS)
    code, _, err = run(capsys, "draft", NEWS, "--no-save")
    assert code == 0, err
    assert llm_env.prompt_of(0).startswith("EIGENE VORLAGE")  # the other three: the shipped ones
    code, out, _ = run(capsys, "doctor")
    assert f"OK           Prompts: eigene Vorlagen {own / 'draft.txt'}, sonst die mitgelieferten" in out


def test_a_prompts_dir_that_is_not_a_folder_is_named(capsys, llm_env, monkeypatch, tmp_path):
    monkeypatch.setenv("PROMPTS_DIR", str(tmp_path / "vertippt"))
    code, out, _ = run(capsys, "doctor")
    assert code == 1 and f"FEHLER       Prompts: PROMPTS_DIR {tmp_path / 'vertippt'} ist kein Ordner." in out
    code, _, err = run(capsys, "draft", NEWS, "--no-save")
    assert code == 1 and "ist kein Ordner" in err


def test_doctor_says_the_shipped_templates_are_used(capsys, llm_env):
    _, out, _ = run(capsys, "doctor")
    assert "OK           Prompts: mitgelieferte Vorlagen vollständig" in out


def test_doctor_points_at_a_database_left_at_the_old_default_place(capsys, llm_env, monkeypatch, tmp_path, home):
    monkeypatch.delenv("DATABASE_URL")
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "spitzfeder.db").write_bytes(b"")
    code, out, _ = run(capsys, "doctor")
    assert code == 1
    assert (f"FEHLER       Datenbank: {tmp_path / 'data' / 'spitzfeder.db'} (der frühere Standardort) wird nicht "
            f"mehr verwendet; die Datenbank liegt jetzt unter {home / 'spitzfeder.db'}.") in out
    assert f"DATABASE_URL=sqlite+aiosqlite:///{tmp_path / 'data' / 'spitzfeder.db'}" in out


def test_run_does_not_start_empty_beside_a_database_at_the_old_default_place(capsys, monkeypatch, tmp_path, home):
    monkeypatch.setenv("DISCORD_TOKEN", "discord-test-token-123456")
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "spitzfeder.db").write_bytes(b"")
    code, _, err = run(capsys, "run")
    assert code == 2 and "(der frühere Standardort) wird nicht mehr verwendet" in err
    assert not (home / "spitzfeder.db").exists()
