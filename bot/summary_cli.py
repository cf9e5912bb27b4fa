"""`spitzfeder summary`: the summary of the last 7 days in the terminal, optionally the chart as a PNG file."""

from __future__ import annotations

import argparse
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.adapters.chart import MatplotlibChart
from bot.adapters.storage.database import create_engine, migrate
from bot.adapters.storage.summaries import SqlSummaryStore
from bot.core.clock import SystemClock
from bot.core.errors import SpitzfederError
from bot.core.reach.summary import SummaryService, parse_time_of_day, render_summary
from bot.settings import Settings


class _Terminal:
    async def notify(self, event: object) -> None:  # the terminal prints; nothing is announced
        pass


async def cmd_summary(args: argparse.Namespace, settings: Settings) -> int:
    tz = ZoneInfo(settings.timezone)
    engine = create_engine(settings.database_url)
    try:
        await migrate(engine)
        service = SummaryService(SqlSummaryStore(engine), _Terminal(), SystemClock(),
                                 summary_time=parse_time_of_day(settings.summary_time), tz=tz,
                                 chart=MatplotlibChart(tz))
        report = await service.report()
        print(render_summary(report, tz))
        if args.chart:
            png = await service.chart_png(report)
            if png is None:
                print("\nKein Diagramm: in den letzten 7 Tagen gibt es noch keine Zahlen.")
                return 0
            _write(Path(args.chart), png)
            print(f"\nDiagramm: {args.chart}")
    finally:
        await engine.dispose()
    return 0


def _write(path: Path, png: bytes) -> None:
    try:
        path.write_bytes(png)
    except OSError as exc:
        raise SpitzfederError(f"Das Diagramm kann nicht nach {path} geschrieben werden "
                              f"({exc.strerror or 'Schreibfehler'}). Pfad und Rechte prüfen.",
                              detail=str(exc)) from exc
