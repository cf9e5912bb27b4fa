"""ACCOUNTS_FILE: one rule for keys, secrets by variable name, every problem named with account and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.accounts import describe_account, load_accounts
from bot.cli import chosen_account, main
from bot.core.errors import ConfigError, InputError
from bot.core.networks import Network
from bot.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
TWO = """
[accounts.agentur]
display_name = "Agentur Nordlicht"
discord_channel_ids = [11]
approver_role_ids = [22]
x_api_key_env = "AGENTUR_KEY"
x_api_secret_env = "AGENTUR_SECRET"
x_access_token_env = "AGENTUR_TOKEN"
x_access_token_secret_env = "AGENTUR_TOKEN_SECRET"

[accounts.kunde-a]
discord_channel_ids = [44]
approver_user_ids = [55, 66]
approvals_required = 2
timezone = "Europe/Vienna"
mastodon_base_url = "https://norden.social"
mastodon_access_token_env = "KUNDE_A_MASTODON"
"""
SECRETS = {"AGENTUR_KEY": "k", "AGENTUR_SECRET": "s", "AGENTUR_TOKEN": "t", "AGENTUR_TOKEN_SECRET": "ts",
           "KUNDE_A_MASTODON": "m-token"}


def settings_with(tmp_path: Path, text: str, **env) -> Settings:
    path = tmp_path / "accounts.toml"
    path.write_text(text, encoding="utf-8")
    return Settings(_env_file=None, accounts_file=path, approver_role_ids=[99], post_undo_seconds=45, **env)


def problems(tmp_path: Path, text: str, environ: dict[str, str] | None = None) -> str:
    with pytest.raises(ConfigError) as caught:
        load_accounts(settings_with(tmp_path, text), environ=environ if environ is not None else SECRETS)
    return caught.value.user_message


def test_without_a_file_the_environment_is_the_one_account_standard():
    settings = Settings(_env_file=None)
    [account] = load_accounts(settings)
    assert account.name == "standard" and account.settings is settings


def test_each_account_sets_what_it_names_and_keeps_the_environment_for_the_rest(tmp_path):
    agentur, kunde = load_accounts(settings_with(tmp_path, TWO), environ=SECRETS)
    assert (agentur.name, agentur.display_name, kunde.display_name) == ("agentur", "Agentur Nordlicht", "kunde-a")
    assert agentur.settings.discord_channel_ids == [11] and agentur.settings.approver_role_ids == [22]
    assert agentur.settings.x_api_key.get_secret_value() == "k" and agentur.settings.x_credentials_complete
    assert kunde.settings.approvals_required == 2 and kunde.settings.timezone == "Europe/Vienna"
    assert kunde.settings.approver_role_ids == [99]  # not set by the account: from the environment
    assert kunde.settings.post_undo_seconds == 45 and not kunde.settings.x_credentials_complete
    assert kunde.settings.active_networks == [Network.MASTODON]
    assert kunde.settings.mastodon_access_token.get_secret_value() == "m-token"


def test_secrets_may_stand_in_the_env_file_under_their_own_names(tmp_path):
    env = tmp_path / ".env"
    env.write_text("KUNDE_A_MASTODON=aus-der-datei\n", encoding="utf-8")
    settings = settings_with(tmp_path, TWO)
    settings._env_file_used = env
    accounts = load_accounts(settings, environ={k: v for k, v in SECRETS.items() if k != "KUNDE_A_MASTODON"})
    assert accounts[1].settings.mastodon_access_token.get_secret_value() == "aus-der-datei"


def test_every_problem_of_the_file_is_named_with_its_account_and_key(tmp_path):
    text = TWO.replace("approvals_required = 2", "approvals_required = 0\nfarbe = \"blau\"").replace(
        "discord_channel_ids = [44]", "discord_channel_ids = [11]")
    said = problems(tmp_path, text)
    assert "Konto „kunde-a“, farbe: unbekannter Schlüssel" in said
    assert "Konto „kunde-a“, approvals_required: muss eine ganze Zahl zwischen 1 und 10 sein" in said
    said = problems(tmp_path, TWO.replace("discord_channel_ids = [44]", "discord_channel_ids = [11]"))
    assert "Kanal 11 gehört zu Konto „agentur“ und Konto „kunde-a“" in said


def test_a_secret_written_into_the_file_or_missing_from_the_environment_is_refused(tmp_path):
    said = problems(tmp_path, TWO.replace('x_api_key_env = "AGENTUR_KEY"', 'x_api_key = "klartext"'))
    assert "Konto „agentur“, x_api_key: Geheimnisse stehen nicht in der Datei; stattdessen x_api_key_env" in said
    assert "klartext" not in said
    said = problems(tmp_path, TWO, environ={k: v for k, v in SECRETS.items() if k != "AGENTUR_TOKEN"})
    assert "Konto „agentur“, x_access_token_env: die Umgebungsvariable „AGENTUR_TOKEN“ ist nicht gesetzt" in said


def test_several_accounts_each_need_their_channels(tmp_path):
    said = problems(tmp_path, TWO.replace("discord_channel_ids = [44]\n", ""))
    assert "Konto „kunde-a“: discord_channel_ids ist leer (alle lesbaren Kanäle)" in said


def test_each_account_may_have_its_own_style_found_beside_the_file(tmp_path):
    (tmp_path / "kunde.txt").write_text("Immer per Sie.", encoding="utf-8")
    _agentur, kunde = load_accounts(settings_with(tmp_path, TWO.replace(
        "approvals_required = 2\n", "approvals_required = 2\nstyle_path = \"kunde.txt\"\n")), environ=SECRETS)
    assert kunde.settings.style_path == tmp_path / "kunde.txt"
    said = problems(tmp_path, TWO.replace("approvals_required = 2\n", "style_path = \"fehlt.txt\"\n"))
    assert f"Konto „kunde-a“, style_path: die Datei {tmp_path / 'fehlt.txt'} gibt es nicht" in said


def test_an_account_nobody_may_approve_for_and_process_wide_settings_are_refused(tmp_path):
    text = "[accounts.leer]\napprover_role_ids = []\ndatabase_url = \"sqlite://\"\n"
    said = problems(tmp_path, text)
    assert "Konto „leer“, database_url: gilt für den ganzen Bot" in said
    said = problems(tmp_path, "[accounts.leer]\napprover_role_ids = []\n")
    assert "Konto „leer“: niemand darf freigeben" in said


@pytest.mark.parametrize(("text", "expected"), [
    ("[accounts.a\nx=1", "kein gültiges TOML"),
    ("[kunden.a]\nx = 1", "unbekannte Abschnitte kunden"),
    ("", "keine Konten"),
])
def test_a_broken_file_is_refused_as_a_whole(tmp_path, text, expected):
    assert expected in problems(tmp_path, text)


def test_the_shipped_example_is_valid(monkeypatch):
    environ = {name: "x" for name in (
        "AGENTUR_X_API_KEY", "AGENTUR_X_API_SECRET", "AGENTUR_X_ACCESS_TOKEN", "AGENTUR_X_ACCESS_TOKEN_SECRET",
        "AGENTUR_BLUESKY_APP_PASSWORD", "KUNDE_A_X_API_KEY", "KUNDE_A_X_API_SECRET", "KUNDE_A_X_ACCESS_TOKEN",
        "KUNDE_A_X_ACCESS_TOKEN_SECRET", "KUNDE_A_MASTODON_TOKEN")}
    accounts = load_accounts(Settings(_env_file=None, accounts_file=ROOT / "accounts.example.toml"),
                             environ=environ)
    assert [a.name for a in accounts] == ["agentur", "kunde-a"]
    assert describe_account(accounts[1]) == (
        "kunde-a („Verkehrsclub Hamburg“): Kanäle 444444444444444444 · Netzwerke X, Mastodon · Freigabe 0 Rolle(n), "
        "2 Person(en), 2 Stimme(n) · postet")


def test_terminal_commands_name_their_account_when_there_are_several(tmp_path, monkeypatch):
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(InputError, match=r"ACCOUNTS_FILE nennt 2 Konten \(agentur, kunde-a\); bitte --account"):
        chosen_account(settings_with(tmp_path, TWO), None)
    assert chosen_account(settings_with(tmp_path, TWO), "kunde-a").settings.timezone == "Europe/Vienna"
    single = chosen_account(settings_with(tmp_path, TWO.split("[accounts.kunde-a]")[0]), None)
    assert single.name == "agentur" and single.settings.discord_channel_ids == [11]
    with pytest.raises(InputError, match="Ein Konto „kunde-b“ gibt es nicht"):
        chosen_account(settings_with(tmp_path, TWO), "kunde-b")


def test_the_accounts_command_lists_them_and_a_broken_file_exits_2(tmp_path, monkeypatch, capsys):
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    path = tmp_path / "accounts.toml"
    path.write_text(TWO, encoding="utf-8")
    monkeypatch.setenv("ACCOUNTS_FILE", str(path))
    monkeypatch.setenv("APPROVER_ROLE_IDS", "99")
    assert main(["accounts"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("agentur („Agentur Nordlicht“): Kanäle 11 · Netzwerke X · ")
    assert lines[1].startswith("kunde-a: Kanäle 44 · Netzwerke Mastodon · Freigabe 1 Rolle(n), 2 Person(en)")
    path.write_text(TWO.replace("approvals_required = 2", "approvals_required = 11"), encoding="utf-8")
    assert main(["accounts"]) == 2
    assert "Konto „kunde-a“, approvals_required" in capsys.readouterr().err


def test_run_refuses_a_broken_file_before_anything_starts(tmp_path, monkeypatch, capsys):
    database = tmp_path / "bot.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{database}")
    monkeypatch.setenv("DISCORD_TOKEN", "discord-test-token-123456")
    monkeypatch.setenv("ACCOUNTS_FILE", str(tmp_path / "accounts.toml"))
    (tmp_path / "accounts.toml").write_text(TWO.replace("discord_channel_ids = [44]", "discord_channel_ids = [11]"),
                                            encoding="utf-8")
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    assert main(["run"]) == 2
    err = capsys.readouterr().err
    assert "Kanal 11 gehört zu Konto „agentur“ und Konto „kunde-a“" in err and not database.exists()


def test_an_account_never_takes_another_s_secrets_from_the_environment(tmp_path):
    settings = settings_with(tmp_path, TWO, x_api_key="env-key", x_api_secret="env-secret",
                             x_access_token="env-token", x_access_token_secret="env-token-secret",
                             bluesky_handle="env.bsky.social", bluesky_app_password="env-password")
    agentur, kunde = load_accounts(settings, environ=SECRETS)
    assert agentur.settings.x_api_key.get_secret_value() == "k"  # its own
    assert not kunde.settings.x_credentials_complete and not kunde.settings.bluesky_credentials_complete
    assert kunde.settings.active_networks == [Network.MASTODON]


def test_with_several_accounts_each_summary_goes_to_a_channel_of_its_own(tmp_path):
    said = problems(tmp_path, TWO.replace("discord_channel_ids = [44]\n", "discord_channel_ids = [44]\n"
                                          "summary_channel_id = 11\n"))
    assert "Konto „kunde-a“, summary_channel_id: Kanal 11 gehört schon zu Konto „agentur“" in said
    with pytest.raises(ConfigError, match="summary_channel_id: Kanal 77 gehört schon zu Konto „agentur“"):
        load_accounts(settings_with(tmp_path, TWO, summary_channel_id=77), environ=SECRETS)
    [alone] = load_accounts(settings_with(tmp_path, TWO.split("[accounts.kunde-a]")[0], summary_channel_id=11),
                            environ=SECRETS)
    assert alone.settings.summary_channel_id == 11
