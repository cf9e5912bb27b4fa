"""The command line: `spitzfeder draft|doctor|accounts|run|sync-commands|health|summary|backup|report|prompts`
(also `python -m bot`).

Everything it prints is German. Exit codes: 0 success, 2 bad input or configuration, 1 any other failure
(an unexpected exception included: one German line, the traceback only in the log with -v).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.core.drafting.limits import MAX_COUNT, MIN_COUNT
from bot.core.errors import ConfigError, InputError, SpitzfederError

if TYPE_CHECKING:
    from bot.accounts import Account
    from bot.core.drafting.models import DraftSet
    from bot.settings import Settings

log = logging.getLogger("bot.cli")

EXIT_FAILURE = 1
EXIT_BAD_INPUT = 2


VERBOSE_HELP = "Protokoll auf der Standardfehlerausgabe zeigen (auch nach dem Befehl möglich)"
ENV_FILE_HELP = ("Einstellungen aus dieser Datei statt aus ./.env oder $SPITZFEDER_HOME/.env lesen "
                 "(auch nach dem Befehl möglich)")
EXIT_CODES = "Rückgabewerte: 0 erfolgreich, 1 Fehler bei der Ausführung, 2 falsche Eingabe oder Konfiguration."


def _count(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"„{value}“ ist keine ganze Zahl") from None
    if not MIN_COUNT <= number <= MAX_COUNT:
        raise argparse.ArgumentTypeError(f"muss zwischen {MIN_COUNT} und {MAX_COUNT} liegen (war {number})")
    return number


def _month(value: str) -> str:
    from bot.core.reports.period import parse_month

    try:
        return parse_month(value).key
    except InputError as exc:
        raise argparse.ArgumentTypeError(exc.user_message) from None


class _Version(argparse.Action):
    """`--version`: the installed package's version, read only when asked (keeps `--help` quick)."""

    def __init__(self, option_strings: list[str], dest: str = argparse.SUPPRESS, help: str | None = None) -> None:
        super().__init__(option_strings, dest=dest, default=argparse.SUPPRESS, nargs=0, help=help)

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: object,
                 option_string: str | None = None) -> None:
        from importlib.metadata import PackageNotFoundError, version

        try:
            number = version("spitzfeder")
        except PackageNotFoundError:
            number = "(Version unbekannt: nicht installiert)"
        print(f"spitzfeder {number}")
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    from bot.german_argparse import GermanArgumentParser

    parser = GermanArgumentParser(prog="spitzfeder", description="Pointierte Fragen zu Nachrichten, mit Beleg.",
                                  epilog=EXIT_CODES)
    parser.add_argument("--version", action=_Version, help="Versionsnummer zeigen und beenden")
    parser.add_argument("-v", "--verbose", action="store_true", help=VERBOSE_HELP)
    parser.add_argument("--env-file", type=Path, default=None, metavar="PFAD", help=ENV_FILE_HELP)
    commands = parser.add_subparsers(dest="command", required=True, metavar="BEFEHL", title="Befehle")

    def common(sub: argparse.ArgumentParser) -> None:
        # SUPPRESS: without an option here the subcommand leaves the same option given before it standing.
        sub.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS, help=VERBOSE_HELP)
        sub.add_argument("--env-file", type=Path, default=argparse.SUPPRESS, metavar="PFAD", help=ENV_FILE_HELP)

    def account_option(sub: argparse.ArgumentParser) -> None:
        sub.add_argument("--account", default=None, metavar="KONTO",
                         help="Name des Kontos aus ACCOUNTS_FILE (nötig, wenn es mehrere gibt)")

    def command(name: str, help: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help, description=help[:1].upper() + help[1:] + ".", epilog=EXIT_CODES)
        common(sub)
        return sub

    draft = command("draft", "Entwürfe zu einer Meldung erzeugen")
    draft.add_argument("text", nargs="?", metavar="TEXT", help="Text der Meldung, oder '-' für die Standardeingabe")
    draft.add_argument("--url", metavar="URL", help="URL der Meldung (der Artikeltext wird geladen)")
    draft.add_argument("--count", type=_count, default=None, metavar="ANZAHL",
                       help=f"Anzahl Entwürfe ({MIN_COUNT}–{MAX_COUNT})")
    draft.add_argument("--json", action="store_true", help="maschinenlesbare Ausgabe")
    draft.add_argument("--no-save", action="store_true", help="nicht in der Datenbank speichern")
    account_option(draft)

    command("doctor", "Konfiguration prüfen")
    command("accounts", "die Konten zeigen, die der Bot bedient (ACCOUNTS_FILE), mit Kanälen und Netzwerken")
    command("run", "den Discord-Bot starten")
    command("sync-commands", "Slash-Befehle bei Discord registrieren")
    command("health", "prüfen, ob der laufende Bot gesund ist (Exit-Code 0 oder 1)")
    summary = command("summary", "Zusammenfassung der letzten 7 Tage ausgeben")
    summary.add_argument("--chart", metavar="PFAD", help="Diagramm als PNG in diese Datei schreiben")
    summary.add_argument("--week", action="store_true",
                         help="mit der Woche: die letzten 7 Tage gegen die 7 davor, die wichtigsten Weiterträger")
    account_option(summary)
    amplifiers = command("amplifiers", "zeigen, wer einen Post weitergetragen hat (Reposts und Zitate)")
    amplifiers.add_argument("--post", metavar="ID", default=None,
                            help="Nummer des Posts oder Link auf X, Bluesky oder Mastodon (Standard: der neueste Post)")
    account_option(amplifiers)
    account_option(command("patterns", "zeigen, welche Fragemuster und welcher Ton am besten laufen (wie /muster)"))
    report = command("report", "den Monatsbericht eines Kontos als HTML, PDF oder CSV schreiben")
    report.add_argument("--account", required=True, metavar="KONTO",
                        help="Name des Kontos (standard, oder eines aus ACCOUNTS_FILE)")
    report.add_argument("--month", required=True, type=_month, metavar="JJJJ-MM", help="Monat, z. B. 2026-11")
    report.add_argument("--format", choices=("html", "pdf", "csv"), default="html", help="Dateiformat (Standard: html)")
    report.add_argument("--out", type=Path, default=None, metavar="PFAD",
                        help="Zieldatei (Standard: spitzfeder-bericht-KONTO-JJJJ-MM.FORMAT im aktuellen Ordner)")
    backup = command("backup", "eine SQLite-Datenbank im laufenden Betrieb sichern")
    backup.add_argument("path", metavar="PFAD", help="Datei, in die die Sicherung geschrieben wird")
    backup.add_argument("--force", action="store_true", help="eine vorhandene Datei PFAD überschreiben")

    prompts = command("prompts", "die mitgelieferten Prompt-Vorlagen bearbeitbar machen")
    actions = prompts.add_subparsers(dest="prompts_action", required=True, metavar="AKTION", title="Aktionen")
    export_help = "die mitgelieferten Vorlagen in einen Ordner kopieren (für PROMPTS_DIR)"
    export = actions.add_parser("export", help=export_help, description=export_help[:1].upper() + export_help[1:]
                                + ". Vorhandene Dateien bleiben unangetastet, außer mit --force.", epilog=EXIT_CODES)
    common(export)
    export.add_argument("dir", metavar="ORDNER", type=Path, help="Zielordner (wird bei Bedarf angelegt)")
    export.add_argument("--force", action="store_true", help="vorhandene Vorlagen im Zielordner überschreiben")
    return parser


def draft_to_json(draft_set: DraftSet, set_id: int | None) -> dict[str, Any]:
    news = draft_set.news
    return {
        "drafts": [
            {"text": d.text, "weighted_length": d.weighted_length, "evidence": d.evidence,
             "evidence_found": d.evidence_found, "premise": d.premise, "pattern": d.pattern,
             "needs_source_check": d.needs_source_check, "language": d.language, "warnings": d.warnings}
            for d in draft_set.drafts
        ],
        "dropped": [{"text": d.text, "warnings": d.warnings} for d in draft_set.dropped],
        "news": {"headline": news.headline, "url": news.url, "title": news.title, "language": news.language,
                 "outlet": news.outlet, "published": news.published.isoformat() if news.published else None,
                 "chars": len(news.text)},
        "llm_calls": draft_set.llm_calls,
        "usage": draft_set.usage.as_dict(),
        "draft_set_id": set_id,
    }


def draft_to_text(draft_set: DraftSet) -> str:
    from bot.core.drafting.xlength import MAX_WEIGHTED_LENGTH

    news = draft_set.news
    lines = [f"Meldung: {news.headline}" + (f" ({news.language})" if news.language else ""), ""]
    for number, d in enumerate(draft_set.drafts, 1):
        lines.append(f"{number}. {d.text}")
        lines.append(f"   Länge: {d.weighted_length}/{MAX_WEIGHTED_LENGTH}")
        if d.evidence:
            lines.append(f"   Beleg: „{d.evidence}“" + ("" if d.evidence_found else " (nicht in der Meldung gefunden)"))
        if d.premise:
            lines.append(f"   Prämisse: {d.premise}")
        lines.append(f"   Muster: {d.pattern}")
        lines.extend(f"   ⚠️ {w}" for w in d.warnings)
        lines.append("")
    if draft_set.dropped:
        lines.append(f"Verworfen nach Prüfung: {len(draft_set.dropped)} ({'; '.join(draft_set.dropped_reasons)})")
    lines.append(f"LLM: {draft_set.llm_calls} Aufrufe, {draft_set.usage.total_tokens} Tokens")
    return "\n".join(lines)


async def cmd_draft(args: argparse.Namespace, settings: Settings) -> int:
    from bot.core.drafting.intake import obtain_news
    from bot.settings import LLM_KEY_MISSING
    from bot.wiring import drafting_tools

    if settings.llm_key_missing:
        raise ConfigError(LLM_KEY_MISSING)
    text = args.text or ""
    if text == "-":
        text = sys.stdin.read()
    if not text.strip() and not args.url:
        raise InputError("Keine Meldung angegeben: Text, '-' für die Standardeingabe oder --url URL.")
    account = chosen_account(settings, args.account)
    settings = account.settings
    count = args.count or settings.draft_count
    unsaved: str | None = None
    async with drafting_tools(settings, save=not args.no_save, account=account.name) as tools:
        news = await obtain_news(tools.drafting, tools.articles, text=text, url=args.url)
        draft_set = await tools.drafting.draft(news, count)
        set_id = None
        if tools.store:
            try:
                set_id = await tools.store.save_draft_set(draft_set, origin="cli")
            except Exception as exc:  # the drafts are paid for: show them all the same
                log.debug("saving the drafts failed", exc_info=True)
                unsaved = _unsaved_message(exc)
    if args.json:
        print(json.dumps(draft_to_json(draft_set, set_id), ensure_ascii=False, indent=2))
    else:
        print(draft_to_text(draft_set))
    if unsaved:
        print(f"Fehler: {unsaved}", file=sys.stderr)
        return EXIT_FAILURE
    return 0


def _unsaved_message(exc: Exception) -> str:
    from bot.adapters.storage.retry import is_locked
    from bot.core.errors import SpitzfederError

    if isinstance(exc, SpitzfederError):  # e.g. the disk is full: its own German explanation
        return f"Die Entwürfe ließen sich nicht speichern; sie stehen oben. {exc.user_message}"
    why = "Datenbank belegt" if is_locked(exc) else "Datenbankfehler"
    return (f"Die Entwürfe ließen sich nicht speichern ({why}); sie stehen oben und sind nicht in der "
            "Datenbank. Später erneut versuchen oder mit --no-save arbeiten.")


async def cmd_doctor(settings: Settings) -> int:
    from bot.doctor import run_checks, where_from

    for line in where_from(settings):
        print(line)
    print()
    results = await run_checks(settings)
    for result in results:
        print(f"{result.label:<12} {result.part}: {result.message}")
    return 0 if all(r.ok for r in results) else EXIT_FAILURE  # skipped checks are not failures


async def cmd_summary(args: argparse.Namespace, settings: Settings) -> int:
    from zoneinfo import ZoneInfo

    from bot.adapters.storage.database import sqlite_file
    from bot.core.reach.summary import render_summary
    from bot.wiring import terminal_summary

    path = sqlite_file(settings.database_url)
    if path is not None and not path.exists():  # reading creates nothing
        print(f"Noch keine Datenbank unter {path}: noch nichts zusammenzufassen. Sie wird mit dem ersten "
              "gespeicherten Entwurf oder beim Start des Bots angelegt.")
        return 0
    account = chosen_account(settings, args.account)
    async with terminal_summary(account.settings, account.name) as service:
        report = await service.report()
        print(render_summary(report, ZoneInfo(account.settings.timezone)))
        if args.week:
            print(f"\n{await service.week_text()}")
        if not args.chart:
            return 0
        png = await service.chart_png(report)
    if png is None:
        print("\nKein Diagramm: in den letzten 7 Tagen gibt es noch keine Zahlen.")
        return 0
    _write(Path(args.chart), png)
    print(f"\nDiagramm: {args.chart}")
    return 0


async def cmd_amplifiers(args: argparse.Namespace, settings: Settings) -> int:
    from bot.adapters.storage.database import sqlite_file
    from bot.wiring import terminal_amplifiers

    path = sqlite_file(settings.database_url)
    if path is not None and not path.exists():  # reading creates nothing
        print(f"Noch keine Datenbank unter {path}: noch keine Weiterträger.")
        return 0
    account = chosen_account(settings, args.account)
    async with terminal_amplifiers(settings, args.post, account.name) as listing:
        print(listing)
    return 0


async def cmd_patterns(args: argparse.Namespace, settings: Settings) -> int:
    from bot.adapters.storage.database import sqlite_file
    from bot.wiring import terminal_patterns

    path = sqlite_file(settings.database_url)
    if path is not None and not path.exists():  # reading creates nothing
        print(f"Noch keine Datenbank unter {path}: noch keine Zahlen.")
        return 0
    account = chosen_account(settings, args.account)
    async with terminal_patterns(account.settings, account.name) as table:
        print(table.replace("**", ""))
    return 0


async def cmd_report(args: argparse.Namespace, settings: Settings) -> int:
    from bot.wiring import monthly_report, open_database, report_account

    report_account(settings, args.account)  # before a database file is opened, or created
    async with open_database(settings) as engine:
        name, content = await monthly_report(settings, engine, args.account, args.month, args.format)
    path: Path = args.out or Path(name)
    try:
        path.write_bytes(content)
    except OSError as exc:
        raise InputError(f"Der Bericht kann nicht nach {path} geschrieben werden "
                         f"({exc.strerror or 'Schreibfehler'}). Pfad und Rechte prüfen.", detail=str(exc)) from exc
    print(path)
    return 0


def _write(path: Path, png: bytes) -> None:
    try:
        path.write_bytes(png)
    except OSError as exc:
        raise SpitzfederError(f"Das Diagramm kann nicht nach {path} geschrieben werden "
                              f"({exc.strerror or 'Schreibfehler'}). Pfad und Rechte prüfen.",
                              detail=str(exc)) from exc


def cmd_prompts_export(args: argparse.Namespace) -> int:
    """Copy the shipped templates into a folder; existing files are kept unless --force."""
    from bot.core.drafting.prompts import template_files
    from bot.settings import DEFAULT_PROMPTS_DIR

    target: Path = args.dir
    names = template_files()
    if target.exists() and not target.is_dir():
        raise InputError(f"{target} ist eine Datei, kein Ordner.")
    existing = [name for name in names if (target / name).exists()]
    if existing and not args.force:
        raise InputError(f"In {target} gibt es schon {', '.join(existing)}; nichts geschrieben. "
                         "Mit --force werden sie überschrieben.")
    try:
        target.mkdir(parents=True, exist_ok=True)
        for name in names:
            (target / name).write_text((DEFAULT_PROMPTS_DIR / name).read_text(encoding="utf-8"), encoding="utf-8")
    except OSError as exc:
        raise InputError(f"Die Vorlagen können nicht nach {target} geschrieben werden "
                         f"({exc.strerror or 'Schreibfehler'}). Pfad und Rechte prüfen.", detail=str(exc)) from exc
    print(f"{len(names)} Vorlagen nach {target} geschrieben: {', '.join(names)}.")
    print(f"Zum Verwenden in der .env setzen: PROMPTS_DIR={target.resolve()}")
    print("Eine gelöschte Datei gilt wieder in der mitgelieferten Fassung.")
    return 0


def _require_discord_token(settings: Settings) -> None:
    if not settings.discord_token.get_secret_value():
        from bot.adapters.discord.errors import TOKEN_MISSING

        raise ConfigError(TOKEN_MISSING)


async def cmd_backup(args: argparse.Namespace, settings: Settings) -> int:
    import asyncio

    from bot.adapters.storage.backup import backup_sqlite

    size = await asyncio.to_thread(backup_sqlite, settings.database_url, Path(args.path), force=args.force,
                                   busy_seconds=settings.database_busy_seconds)
    print(f"Sicherung geschrieben: {args.path} ({max(1, round(size / 1024))} KB)")
    return 0


def chosen_account(settings: Settings, name: str | None) -> Account:
    """The account a terminal command works for: the one named, or the only one there is."""
    from bot.accounts import load_accounts
    from bot.wiring import report_account

    if name is not None:
        return report_account(settings, name)
    accounts = load_accounts(settings)
    if len(accounts) > 1:
        names = ", ".join(account.name for account in accounts)
        raise InputError(f"ACCOUNTS_FILE nennt {len(accounts)} Konten ({names}); bitte --account KONTO angeben.")
    return accounts[0]


def cmd_accounts(settings: Settings) -> int:
    from bot.accounts import describe_account, load_accounts

    for account in load_accounts(settings):
        print(describe_account(account))
    return 0


async def cmd_run(settings: Settings) -> int:
    from bot.accounts import load_accounts
    from bot.wiring import run

    load_accounts(settings)  # a broken ACCOUNTS_FILE stops the start before anything is opened
    _require_discord_token(settings)
    if settings.earlier_database_problem:  # starting would begin with an empty database
        raise ConfigError(settings.earlier_database_problem)
    return await run(settings)


async def cmd_sync_commands(settings: Settings) -> int:
    from bot.wiring import sync_commands

    _require_discord_token(settings)
    return await sync_commands(settings)


async def cmd_health(settings: Settings) -> int:
    from bot.wiring import health

    report = await health(settings)
    for line in report.lines():
        print(line)
    return 0 if report.ok else EXIT_FAILURE


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logged = args.command == "run" or args.verbose  # otherwise no log line reaches the terminal
    try:
        code = _main(args, logged)
        sys.stdout.flush()  # a closed pipe shows here, not later when Python exits
        return code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `spitzfeder doctor | head`: the reader has what it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error when Python flushes
        return 128 + signal.SIGPIPE
    except Exception as exc:  # a bug or a failure nobody translated: a short German line, the traceback in the log
        if logged:  # quiet: not even Python's last-resort handler may print it
            if not logging.getLogger().handlers:
                logging.basicConfig()  # the settings could not even be read
            log.exception("unexpected failure")
        where = "die Ursache steht im Protokoll" if logged else "mit -v steht die Ursache im Protokoll"
        print(f"Fehler: Unerwarteter Fehler ({type(exc).__name__}); {where}.", file=sys.stderr)
        return EXIT_FAILURE


def _main(args: argparse.Namespace, logged: bool) -> int:
    import asyncio

    from pydantic import ValidationError

    from bot.logs import setup_logging
    from bot.settings import configuration_problems, load_settings

    try:
        if args.command == "prompts":  # needs no settings: works with a broken configuration too
            return cmd_prompts_export(args)
        settings = load_settings(args.env_file)
    except ValidationError as exc:
        for problem in configuration_problems(exc):
            print(f"Fehler: {problem}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except SpitzfederError as exc:
        return _failed(exc)
    setup_logging(settings, quiet=not logged)
    try:
        return asyncio.run(_command(args, settings))
    except SpitzfederError as exc:
        return _failed(exc)


def _failed(exc: SpitzfederError) -> int:
    if exc.detail:
        log.info("failure detail: %s", exc.detail)
    print(f"Fehler: {exc.user_message}", file=sys.stderr)
    return EXIT_BAD_INPUT if isinstance(exc, (InputError, ConfigError)) else EXIT_FAILURE


async def _command(args: argparse.Namespace, settings: Settings) -> int:
    if args.command == "draft":
        return await cmd_draft(args, settings)
    if args.command == "doctor":
        return await cmd_doctor(settings)
    if args.command == "accounts":
        return cmd_accounts(settings)
    if args.command == "sync-commands":
        return await cmd_sync_commands(settings)
    if args.command == "summary":
        return await cmd_summary(args, settings)
    if args.command == "health":
        return await cmd_health(settings)
    if args.command == "backup":
        return await cmd_backup(args, settings)
    if args.command == "amplifiers":
        return await cmd_amplifiers(args, settings)
    if args.command == "patterns":
        return await cmd_patterns(args, settings)
    if args.command == "report":
        return await cmd_report(args, settings)
    return await cmd_run(settings)
