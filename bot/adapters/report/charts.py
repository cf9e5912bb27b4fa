"""The monthly report's charts as PNGs (matplotlib, Agg backend, no pyplot: safe in a worker thread).

1. Interactions per network, this month against the month before.
2. Interactions per day of the month (by the day a post went out), stacked by network.
"""

from __future__ import annotations

import calendar
import io
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.core.networks import Network
from bot.core.reports.monthly import MonthlyReport
from bot.core.text.numbers import de_int
from bot.heap import import_frozen

if TYPE_CHECKING:
    from matplotlib.figure import Figure

COLOURS = {Network.X: "#1d6fa5", Network.BLUESKY: "#7cc6f4", Network.MASTODON: "#6364ff"}
BEFORE_COLOUR, NOW_COLOUR = "#b9c6d2", "#1d6fa5"
WIDTH_INCHES, DPI = 7.5, 110


@dataclass(frozen=True, slots=True)
class Chart:
    title: str  # also the image's alternative text
    png: bytes


def report_charts(report: MonthlyReport) -> list[Chart]:
    """The charts of a month with posts (none for an empty month)."""
    if report.empty:
        return []
    return [Chart(f"Interaktionen je Netzwerk: {report.period} und Vormonat", _png(_by_network(report))),
            Chart(f"Interaktionen nach Posting-Tag im {report.period}", _png(_by_day(report)))]


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _figure(height: float) -> Figure:
    import_frozen("matplotlib.figure", "matplotlib.ticker")  # many long-lived objects: out of the collector's sight
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    return Figure(figsize=(WIDTH_INCHES, height), dpi=DPI, layout="constrained")


def _thousands(axes: object, axis: str = "y") -> None:
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    target = getattr(axes, f"{axis}axis")
    target.set_major_locator(MaxNLocator(nbins=5, integer=True))
    target.set_major_formatter(FuncFormatter(lambda value, _pos: de_int(int(value))))


def _by_network(report: MonthlyReport) -> Figure:
    rows = [row for row in report.totals if row.network is not None]
    figure = _figure(3.2)
    axes = figure.subplots()
    places = range(len(rows))
    width = 0.38
    before = axes.bar([p - width / 2 for p in places], [r.before.interactions for r in rows], width,
                      color=BEFORE_COLOUR, label=report.month.previous().label)
    now = axes.bar([p + width / 2 for p in places], [r.now.interactions for r in rows], width,
                   color=NOW_COLOUR, label=report.period)
    axes.bar_label(before, [de_int(r.before.interactions) for r in rows], padding=2, fontsize=9)
    axes.bar_label(now, [de_int(r.now.interactions) for r in rows], padding=2, fontsize=9, fontweight="bold")
    axes.set_xticks(list(places), [r.label for r in rows])
    top = max([1, *(r.before.interactions for r in rows), *(r.now.interactions for r in rows)])
    axes.set_ylim(0, top * 1.2)
    _thousands(axes)
    axes.set_ylabel("Interaktionen")
    # Above the plot, in one row: inside it would cover the bars.
    axes.legend(frameon=False, fontsize=9, ncols=2, loc="lower left", bbox_to_anchor=(0, 1.0))
    axes.spines[["top", "right"]].set_visible(False)
    return figure


def _by_day(report: MonthlyReport) -> Figure:
    days = calendar.monthrange(report.month.year, report.month.month)[1]
    figure = _figure(3.0)
    axes = figure.subplots()
    bottom = [0] * days
    for network in report.networks:
        values = [0] * days
        for line in report.posts:
            if line.post.network is network:
                values[line.post.posted_at.astimezone(report.tz).day - 1] += line.interactions
        if any(values):
            axes.bar(range(1, days + 1), values, bottom=bottom, color=COLOURS[network], label=network.label)
            bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    axes.set_xlim(0.3, days + 0.7)
    axes.set_xticks([1, 5, 10, 15, 20, 25, days])
    axes.set_xlabel("Tag")
    axes.set_ylim(0, max(1, *bottom) * 1.15)
    _thousands(axes)
    axes.set_ylabel("Interaktionen")
    if any(bottom):
        axes.legend(frameon=False, fontsize=9)
    axes.spines[["top", "right"]].set_visible(False)
    return figure
