"""The accounts one bot serves: `ACCOUNTS_FILE` (TOML) or, without it, the account `standard` from the environment.

Each `[accounts.<name>]` table follows one rule: a key is the name of the environment setting it replaces, in
lower case (`discord_channel_ids`, `approvals_required`, `timezone`, `watchlist_path`, …; lists as TOML arrays),
plus `display_name` and `style_path` (the account's house style, as style.txt; a relative path is relative to
the file). A secret never stands in the file: its key ends in `_env` and names the environment variable (or
`.env` entry) that holds it (`x_api_key_env = "KUNDE_A_X_API_KEY"`). What an account does not set comes from the
environment — except secrets: an account without a network's secrets does not use that network.

The whole file is checked before anything uses it, and every problem is reported with its account and key; a
broken file is never half-applied.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import SecretStr, ValidationError

from bot.core.errors import ConfigError
from bot.settings import Settings, configuration_problems

DEFAULT_ACCOUNT = "standard"
# Settings of the whole process: one Discord bot, one database, one model, one log.
PROCESS_WIDE = frozenset({
    "spitzfeder_home", "openai_api_key", "openai_base_url", "openai_model", "llm_timeout_seconds",
    "llm_max_attempts", "llm_max_reply_chars", "prompts_dir", "max_news_chars", "fetch_timeout_seconds",
    "fetch_max_bytes", "fetch_allow_private_hosts", "database_url", "database_busy_seconds",
    "database_start_wait_seconds", "discord_token", "discord_api_base_url", "discord_gateway_url", "log_level",
    "log_format", "health_port", "reconcile_wait_seconds", "accounts_file",
})
# display_name: the account's own, never the environment's DISPLAY_NAME.
ACCOUNT_ONLY = frozenset({"display_name"})
SECRETS = frozenset(name for name, field in Settings.model_fields.items() if field.annotation is SecretStr)
_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_-")
_VARIABLE = re.compile(r"^[A-Z][A-Z0-9_]+\b")


@dataclass(frozen=True)
class Account:
    name: str
    display_name: str
    settings: Settings  # the environment's settings with the account's own on top


def load_accounts(settings: Settings, *, environ: dict[str, str] | None = None) -> list[Account]:
    """The accounts of ACCOUNTS_FILE, or the one account `standard`; raises ConfigError naming every problem."""
    path = settings.accounts_file
    if path is None:
        return [Account(DEFAULT_ACCOUNT, settings.display_name, settings)]
    tables = _read(path)
    variables = _variables(settings, environ)
    problems: list[str] = []
    accounts = []
    for name, table in tables.items():
        account = _account(name, table, settings, variables, path.parent, problems)
        if account is not None:
            accounts.append(account)
    problems += _shared_channels(accounts)
    if problems:
        raise ConfigError(f"{path}: " + "; ".join(problems))
    return accounts


def _read(path: Path) -> dict[str, Any]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"ACCOUNTS_FILE {path} ist nicht lesbar ({exc.strerror or exc}).") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"ACCOUNTS_FILE {path} ist kein gültiges TOML: {exc}") from exc
    unknown = sorted(key for key in data if key != "accounts")
    tables = data.get("accounts")
    if unknown:
        raise ConfigError(f"{path}: unbekannte Abschnitte {', '.join(unknown)}; erwartet wird [accounts.<name>]")
    if not isinstance(tables, dict) or not tables:
        raise ConfigError(f"{path}: keine Konten; erwartet wird mindestens ein Abschnitt [accounts.<name>]")
    return tables


def _variables(settings: Settings, environ: dict[str, str] | None) -> dict[str, str]:
    """Where secrets are looked up: the `.env` in use, with the environment on top (as for every setting)."""
    values: dict[str, str] = {}
    if settings.env_file_used is not None:
        from dotenv import dotenv_values

        values.update({key: value for key, value in dotenv_values(settings.env_file_used).items()
                       if value is not None})
    values.update(os.environ if environ is None else environ)
    return values


def _account(name: str, table: Any, base: Settings, variables: dict[str, str], folder: Path,
             problems: list[str]) -> Account | None:
    where = f"Konto „{name}“"
    if not set(name) <= _NAME_CHARS or not name:
        problems.append(f"{where}: der Name darf nur a–z, 0–9, - und _ enthalten")
        return None
    if not isinstance(table, dict):
        problems.append(f"{where}: erwartet wird ein Abschnitt [accounts.{name}]")
        return None
    overrides: dict[str, Any] = {}
    before = len(problems)
    for key, value in table.items():
        if key in ACCOUNT_ONLY:
            if not isinstance(value, str) or not value.strip():
                problems.append(f"{where}, {key}: erwartet wird ein Text")
        elif key.endswith("_env") and key[:-4] in SECRETS and key[:-4] not in PROCESS_WIDE:
            secret = variables.get(value) if isinstance(value, str) else None
            if not secret:
                problems.append(f"{where}, {key}: die Umgebungsvariable „{value}“ ist nicht gesetzt")
            else:
                overrides[key[:-4]] = secret
        elif key in SECRETS and key not in PROCESS_WIDE:
            problems.append(f"{where}, {key}: Geheimnisse stehen nicht in der Datei; stattdessen {key}_env = "
                            "\"NAME_DER_UMGEBUNGSVARIABLE\"")
        elif key in PROCESS_WIDE:
            problems.append(f"{where}, {key}: gilt für den ganzen Bot und steht nur in der Umgebung ({key.upper()})")
        elif key in Settings.model_fields:
            # A relative path in the file is relative to the file's folder.
            relative = key.endswith("_path") and isinstance(value, str) and value and not Path(value).is_absolute()
            overrides[key] = str(folder / value) if relative else value
        else:
            problems.append(f"{where}, {key}: unbekannter Schlüssel")
    values = base.model_dump()
    # Secrets are each account's own: one the table does not name is not taken from the environment, so an
    # account can never post with another's keys.
    values.update({secret: SecretStr("") for secret in SECRETS - PROCESS_WIDE})
    values.update(overrides)
    try:
        settings = Settings.model_validate(values)  # validated like the environment, without reading it again
    except ValidationError as exc:
        problems.extend(f"{where}, {_keyed(line)}" for line in configuration_problems(exc))
        return None
    if settings.style_path is not None and not settings.style_path.is_file():
        problems.append(f"{where}, style_path: die Datei {settings.style_path} gibt es nicht")
    if not settings.approver_role_ids and not settings.approver_user_ids:
        problems.append(f"{where}: niemand darf freigeben (approver_role_ids und approver_user_ids sind leer)")
    if len(problems) > before:
        return None
    settings._env_file_used = base.env_file_used
    shown = str(table.get("display_name") or name)
    settings.display_name = shown  # the name the account's reports carry
    return Account(name, shown, settings)


def _keyed(line: str) -> str:
    """'APPROVALS_REQUIRED: muss …' -> 'approvals_required: muss …' (the file's spelling of the key)."""
    return _VARIABLE.sub(lambda match: match[0].lower(), line, count=1)


def _shared_channels(accounts: list[Account]) -> list[str]:
    owner: dict[int, str] = {}
    problems = []
    if len(accounts) > 1:
        problems += [f"Konto „{account.name}“: discord_channel_ids ist leer (alle lesbaren Kanäle); bei mehreren "
                     "Konten braucht jedes seine eigenen Kanäle" for account in accounts
                     if not account.settings.discord_channel_ids]
    for account in accounts:
        for channel in account.settings.discord_channel_ids:
            if channel in owner:
                problems.append(f"Kanal {channel} gehört zu Konto „{owner[channel]}“ und Konto „{account.name}“; "
                                "jeder Kanal darf nur zu einem Konto gehören")
            owner.setdefault(channel, account.name)
    if len(accounts) > 1:  # one account's numbers must never be posted where another's team reads
        for account in accounts:
            summary = account.settings.summary_channel_id
            if summary and owner.setdefault(summary, account.name) != account.name:
                problems.append(f"Konto „{account.name}“, summary_channel_id: Kanal {summary} gehört schon zu Konto "
                                f"„{owner[summary]}“ (auch ein SUMMARY_CHANNEL_ID aus der Umgebung gilt für jedes "
                                "Konto ohne eigenen); jedes Konto braucht seinen eigenen Kanal für die Zusammenfassung")
    return problems


def describe_account(account: Account) -> str:
    """One line of `spitzfeder accounts`: name, channels, networks, approvers and whether it posts for real."""
    from bot.core.networks import labels

    settings = account.settings
    channels = ", ".join(map(str, settings.discord_channel_ids)) or "alle lesbaren"
    approvers = f"{len(settings.approver_role_ids)} Rolle(n), {len(settings.approver_user_ids)} Person(en), " \
                f"{settings.approvals_required} Stimme(n)"
    state = "Testbetrieb (simuliert)" if settings.dry_run or not any(
        (settings.x_credentials_complete, settings.bluesky_credentials_complete,
         settings.mastodon_credentials_complete)) else "postet"
    name = account.name if account.display_name == account.name else f"{account.name} („{account.display_name}“)"
    return (f"{name}: Kanäle {channels} · Netzwerke {labels(settings.active_networks)} · Freigabe {approvers} · "
            f"{state}")
