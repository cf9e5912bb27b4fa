"""The command line: `spitzfeder draft|doctor|run` (also `python -m bot`)."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.core.drafting.limits import MAX_COUNT, MIN_COUNT
from bot.core.errors import InputError, SpitzfederError

if TYPE_CHECKING:
    from bot.core.drafting.models import DraftSet
    from bot.settings import Settings

log = logging.getLogger("bot.cli")

EXIT_FAILURE = 1
EXIT_BAD_INPUT = 2


def _count(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"keine Zahl: {value!r}") from None
    if not MIN_COUNT <= number <= MAX_COUNT:
        raise argparse.ArgumentTypeError(f"muss zwischen {MIN_COUNT} und {MAX_COUNT} liegen")
    return number


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="spitzfeder", description="Pointierte Fragen zu Nachrichten, mit Beleg.")
    parser.add_argument("-v", "--verbose", action="store_true", help="Protokoll auf der Standardfehlerausgabe")
    commands = parser.add_subparsers(dest="command", required=True)

    draft = commands.add_parser("draft", help="Entwürfe zu einer Meldung erzeugen")
    draft.add_argument("text", nargs="?", help="Text der Meldung, oder '-' für die Standardeingabe")
    draft.add_argument("--url", help="URL der Meldung (der Artikeltext wird geladen)")
    draft.add_argument("--count", type=_count, default=None, help=f"Anzahl Entwürfe ({MIN_COUNT}–{MAX_COUNT})")
    draft.add_argument("--json", action="store_true", help="maschinenlesbare Ausgabe")
    draft.add_argument("--no-save", action="store_true", help="nicht in der Datenbank speichern")

    commands.add_parser("doctor", help="Konfiguration prüfen")
    commands.add_parser("run", help="den Discord-Bot starten")
    commands.add_parser("sync-commands", help="Slash-Befehle bei Discord registrieren")
    commands.add_parser("health", help="prüfen, ob der laufende Bot gesund ist (Exit-Code 0 oder 1)")
    summary = commands.add_parser("summary", help="Zusammenfassung der letzten 7 Tage ausgeben")
    summary.add_argument("--chart", metavar="PATH", help="Diagramm als PNG in diese Datei schreiben")
    return parser


def draft_to_json(draft_set: DraftSet, set_id: int | None) -> dict[str, Any]:
    news = draft_set.news
    return {
        "drafts": [
            {"text": d.text, "weighted_length": d.weighted_length, "evidence": d.evidence,
             "evidence_found": d.evidence_found, "language": d.language, "warnings": d.warnings}
            for d in draft_set.drafts
        ],
        "dropped": [{"text": d.text, "warnings": d.warnings} for d in draft_set.dropped],
        "news": {"headline": news.headline, "url": news.url, "title": news.title, "language": news.language,
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
        lines.extend(f"   ⚠️ {w}" for w in d.warnings)
        lines.append("")
    if draft_set.dropped:
        lines.append(f"Verworfen nach Prüfung: {len(draft_set.dropped)}")
    lines.append(f"LLM: {draft_set.llm_calls} Aufrufe, {draft_set.usage.total_tokens} Tokens")
    return "\n".join(lines)


async def cmd_draft(args: argparse.Namespace, settings: Settings) -> int:
    from bot.core.drafting.intake import obtain_news
    from bot.wiring import drafting_tools

    text = args.text or ""
    if text == "-":
        text = sys.stdin.read()
    if not text.strip() and not args.url:
        raise InputError("Keine Meldung angegeben: Text, '-' für die Standardeingabe oder --url URL.")
    count = args.count or settings.draft_count
    async with drafting_tools(settings, save=not args.no_save) as tools:
        news = await obtain_news(tools.drafting, tools.articles, text=text, url=args.url)
        draft_set = await tools.drafting.draft(news, count)
        set_id = await tools.store.save_draft_set(draft_set, origin="cli") if tools.store else None
    if args.json:
        print(json.dumps(draft_to_json(draft_set, set_id), ensure_ascii=False, indent=2))
    else:
        print(draft_to_text(draft_set))
    return 0


async def cmd_doctor(settings: Settings) -> int:
    from bot.doctor import run_checks

    results = await run_checks(settings)
    for result in results:
        print(f"{'OK    ' if result.ok else 'FEHLER'} {result.part}: {result.message}")
    return 0 if all(r.ok for r in results) else EXIT_FAILURE


async def cmd_summary(args: argparse.Namespace, settings: Settings) -> int:
    from zoneinfo import ZoneInfo

    from bot.core.reach.summary import render_summary
    from bot.wiring import terminal_summary

    async with terminal_summary(settings) as service:
        report = await service.report()
        print(render_summary(report, ZoneInfo(settings.timezone)))
        if not args.chart:
            return 0
        png = await service.chart_png(report)
    if png is None:
        print("\nKein Diagramm: in den letzten 7 Tagen gibt es noch keine Zahlen.")
        return 0
    _write(Path(args.chart), png)
    print(f"\nDiagramm: {args.chart}")
    return 0


def _write(path: Path, png: bytes) -> None:
    try:
        path.write_bytes(png)
    except OSError as exc:
        raise SpitzfederError(f"Das Diagramm kann nicht nach {path} geschrieben werden "
                              f"({exc.strerror or 'Schreibfehler'}). Pfad und Rechte prüfen.",
                              detail=str(exc)) from exc


async def cmd_run(settings: Settings) -> int:
    from bot.wiring import run

    return await run(settings)


async def cmd_sync_commands(settings: Settings) -> int:
    from bot.wiring import sync_commands

    return await sync_commands(settings)


async def cmd_health(settings: Settings) -> int:
    from bot.wiring import health

    report = await health(settings)
    for line in report.lines():
        print(line)
    return 0 if report.ok else EXIT_FAILURE


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from pydantic import ValidationError

    from bot.logs import setup_logging
    from bot.settings import Settings

    try:
        settings = Settings()
    except ValidationError as exc:
        fields = ", ".join(str(e["loc"][0]).upper() for e in exc.errors() if e.get("loc"))
        print(f"Fehler: ungültige Konfiguration ({fields}). Werte in .env bzw. der Umgebung prüfen.", file=sys.stderr)
        return EXIT_BAD_INPUT
    setup_logging(settings, quiet=args.command != "run" and not args.verbose)
    try:
        if args.command == "draft":
            return asyncio.run(cmd_draft(args, settings))
        if args.command == "doctor":
            return asyncio.run(cmd_doctor(settings))
        if args.command == "sync-commands":
            return asyncio.run(cmd_sync_commands(settings))
        if args.command == "summary":
            return asyncio.run(cmd_summary(args, settings))
        if args.command == "health":
            return asyncio.run(cmd_health(settings))
        return asyncio.run(cmd_run(settings))
    except InputError as exc:
        print(f"Fehler: {exc.user_message}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except SpitzfederError as exc:
        log.debug("failure detail: %s", exc.detail)
        print(f"Fehler: {exc.user_message}", file=sys.stderr)
        return EXIT_FAILURE
    except KeyboardInterrupt:
        return 130
