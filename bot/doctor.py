"""`spitzfeder doctor`: check each part of the configuration and say how to fix what is wrong."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.core.errors import CheckSkipped, SpitzfederError
from bot.core.networks import labels
from bot.settings import (
    DEFAULT_PROMPTS_DIR,
    LLM_KEY_MISSING,
    Settings,
    env_file_candidates,
)
from bot.wiring import build_llm, load_prompts, open_database

# A check returns a short OK message, raises SpitzfederError with what to fix, or raises CheckSkipped
# with why it does not apply.
Check = Callable[[Settings], Awaitable[str]]


@dataclass(frozen=True)
class CheckResult:
    part: str
    ok: bool  # False only for a failure: a skipped check is ok
    message: str
    skipped: bool = False

    @property
    def label(self) -> str:
        return "ÜBERSPRUNGEN" if self.skipped else "OK" if self.ok else "FEHLER"


def where_from(settings: Settings) -> list[str]:
    """The first lines of `doctor`: which `.env` and which database are used."""
    from bot.adapters.storage.database import describe_database

    if settings.env_file_used is not None:
        env = str(settings.env_file_used)
    else:
        env = "keine .env gefunden (gesucht: " + ", ".join(map(str, env_file_candidates())) + ")"
    return [f"Konfiguration: {env}", f"Datenbank:     {describe_database(settings.database_url)}"]


async def check_prompts(settings: Settings) -> str:
    library = load_prompts(settings)
    own = library.own_files(DEFAULT_PROMPTS_DIR)
    if not own:
        return "mitgelieferte Vorlagen vollständig"
    return f"eigene Vorlagen {', '.join(str(path) for path in own)}, sonst die mitgelieferten; vollständig"


async def check_llm(settings: Settings) -> str:
    if settings.llm_key_missing:
        raise SpitzfederError(LLM_KEY_MISSING)
    llm = build_llm(settings)
    try:
        return await llm.check_model()
    finally:
        await llm.aclose()


async def check_database(settings: Settings) -> str:
    from bot.adapters.storage.database import sqlite_file, why_not_creatable

    path = sqlite_file(settings.database_url)
    if settings.earlier_database_problem:
        raise SpitzfederError(settings.earlier_database_problem)
    if path is not None and not path.exists():  # a check creates nothing
        problem = why_not_creatable(path)
        if problem:
            raise SpitzfederError(f"Die Datenbank {path} kann nicht angelegt werden: {problem}. "
                                  "DATABASE_URL oder SPITZFEDER_HOME prüfen.")
        return f"noch keine Datenbank unter {path}; sie wird beim ersten Start angelegt"
    async with open_database(settings) as engine:
        return f"{engine.url.render_as_string(hide_password=True)} beschreibbar, Schema aktuell"


async def check_watchlist(settings: Settings) -> str:
    from bot.adapters.watchlist_file import load_watchlist

    if settings.watchlist_path is None and not settings.watchlist_x_list_ids.strip():
        raise CheckSkipped("keine Beobachtungsliste (WATCHLIST_PATH und WATCHLIST_X_LIST_IDS leer); "
                           "auffällig sind dann Konten ab NOTABLE_FOLLOWERS Followern und verifizierte Behörden "
                           "und Organisationen")
    watchlist = load_watchlist(settings.watchlist_path, settings.watchlist_x_list_ids)
    parts = []
    if settings.watchlist_path is not None:
        parts.append(f"{len(watchlist.by_handle)} Konten aus {settings.watchlist_path}")
    if watchlist.list_labels:
        parts.append(f"{len(watchlist.list_labels)} X-Liste(n), Mitglieder werden höchstens täglich gelesen")
    return ", ".join(parts)


async def check_x_costs(settings: Settings, account: str | None = None) -> str:
    """This month's X requests and cost of ``account`` (None: the only one, `standard`)."""
    from bot.accounts import DEFAULT_ACCOUNT
    from bot.adapters.storage.database import sqlite_file
    from bot.wiring import month_usage_text

    path = sqlite_file(settings.database_url)
    if path is not None and not path.exists():
        raise CheckSkipped("noch keine Datenbank: noch keine Anfragen an X gezählt")
    async with open_database(settings) as engine:
        return await month_usage_text(settings, engine, account=account or DEFAULT_ACCOUNT)


async def check_networks(settings: Settings) -> str:
    networks = settings.active_networks
    mode = " (simuliert: DRY_RUN=true)" if settings.dry_run else ""
    return f"Freigegebene Fragen gehen an: {labels(networks)}{mode}"


async def check_accounts(settings: Settings) -> str:
    from bot.accounts import load_accounts

    if settings.accounts_file is None:
        raise CheckSkipped("kein ACCOUNTS_FILE: ein Konto „standard“ aus diesen Einstellungen")
    accounts = load_accounts(settings)
    names = ", ".join(account.name for account in accounts)
    return f"{settings.accounts_file}: {'ein Konto' if len(accounts) == 1 else f'{len(accounts)} Konten'} ({names})"


def network_checks() -> list[tuple[str, Check]]:
    """The checks of an account's own credentials (run once per account of ACCOUNTS_FILE)."""
    from bot.adapters.bluesky.doctor import check_bluesky
    from bot.adapters.mastodon.doctor import check_mastodon
    from bot.adapters.x.doctor import check_x_account, check_x_write

    return [("X", check_x_account), ("X-Schreibrecht", check_x_write), ("Bluesky", check_bluesky),
            ("Mastodon", check_mastodon), ("Netzwerke", check_networks)]


def all_checks() -> list[tuple[str, Check]]:
    from bot.adapters.discord.doctor import check_channels, check_roles, check_token

    return [
        ("Prompts", check_prompts),
        ("LLM", check_llm),
        ("Datenbank", check_database),
        ("Discord-Token", check_token),
        ("Discord-Kanäle", check_channels),
        ("Discord-Freigaben", check_roles),
        *network_checks(),
        ("Konten", check_accounts),
        ("Beobachtungsliste", check_watchlist),
        ("X-Kosten", check_x_costs),
    ]


def account_checks(account: str) -> list[tuple[str, Check]]:
    """What each account of several has of its own: style, channels, approvers, networks, watchlist, X costs."""
    from bot.adapters.discord.doctor import check_channels, check_roles

    async def costs(settings: Settings) -> str:
        return await check_x_costs(settings, account)

    return [("Prompts", check_prompts), ("Discord-Kanäle", check_channels), ("Discord-Freigaben", check_roles),
            *network_checks(), ("Beobachtungsliste", check_watchlist), ("X-Kosten", costs)]


async def run_checks(settings: Settings, checks: list[tuple[str, Check]] | None = None) -> list[CheckResult]:
    """Every check. With an ACCOUNTS_FILE of one account, with that account's settings (as `run` uses them);
    with several, what the process shares once and what each account has of its own per account."""
    accounts = []
    if checks is None and settings.accounts_file is not None:
        from bot.accounts import load_accounts

        try:
            accounts = load_accounts(settings)
        except SpitzfederError:
            pass  # the check „Konten“ says what is wrong
    if len(accounts) > 1:
        own = {part for part, _check in account_checks("")}
        results = [await _run(part, check, settings) for part, check in all_checks() if part not in own]
        for account in accounts:
            results += [await _run(f"{part} ({account.name})", check, account.settings)
                        for part, check in account_checks(account.name)]
        return results
    served = accounts[0].settings if accounts else settings
    return [await _run(part, check, served) for part, check in (checks if checks is not None else all_checks())]


async def _run(part: str, check: Check, settings: Settings) -> CheckResult:
    try:
        return CheckResult(part, True, await check(settings))
    except CheckSkipped as skip:
        return CheckResult(part, True, skip.reason, skipped=True)
    except SpitzfederError as exc:
        return CheckResult(part, False, exc.user_message)
