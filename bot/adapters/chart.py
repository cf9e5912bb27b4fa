"""The summary chart as a PNG (matplotlib, Agg backend, no display): one horizontal bar of reach per post (X:
impressions; Bluesky, Mastodon: the amplifiers' followers), numbered as in the summary's list and labelled with
its network, its multiplier written at the bar's end.

matplotlib costs about 40 MB and is needed once a day, so it is imported by the first rendering, not with this module.
"""

from __future__ import annotations

import asyncio
import io
from typing import TYPE_CHECKING

from bot.core.networks import Network
from bot.core.reach.metrics import counts_impressions, format_multiplier
from bot.core.reach.summary import ChartBar
from bot.core.text.numbers import de_int
from bot.heap import import_frozen

if TYPE_CHECKING:
    from matplotlib.figure import Figure

BAR_COLOUR = "#1d6fa5"
NETWORK_COLOURS = {Network.X: BAR_COLOUR, Network.BLUESKY: "#1185fe", Network.MASTODON: "#6364ff"}
WIDTH_INCHES, DPI = 8.0, 110  # about 880 px wide: Discord's preview shows it without scaling much


class MatplotlibChart:
    async def render(self, bars: list[ChartBar], *, title: str) -> bytes:
        return await asyncio.to_thread(self.render_sync, bars, title)

    def render_sync(self, bars: list[ChartBar], title: str) -> bytes:
        figure = draw(bars, title)
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", bbox_inches="tight", pad_inches=0.15)  # nothing cut at the edges
        return buffer.getvalue()


def draw(bars: list[ChartBar], title: str) -> Figure:
    """The figure (no pyplot: no global state, safe in a thread); the tests look at what it draws."""
    import_frozen("matplotlib.figure", "matplotlib.ticker")  # many long-lived objects: out of the collector's sight
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    figure = Figure(figsize=(WIDTH_INCHES, 1.8 + 0.5 * len(bars)), dpi=DPI, layout="constrained")
    axes = figure.subplots()
    rows = range(len(bars))
    only_x = all(bar.network is Network.X for bar in bars)
    drawn = axes.barh(rows, [bar.impressions for bar in bars], height=0.6,
                      color=[NETWORK_COLOURS.get(bar.network, BAR_COLOUR) for bar in bars])
    axes.set_yticks(rows, [f"{bar.number}. {bar.label}" + ("" if only_x else f" ({bar.network.label})")
                           for bar in bars], fontsize=10)
    axes.invert_yaxis()  # in the given order: X's best first, then the others' best
    axes.bar_label(drawn, [_at_the_bar(bar) for bar in bars], padding=4, fontsize=10, fontweight="bold")
    room = 1.25 if only_x else 1.4  # „12,5× R  ★ 2“ is wider than „2,4×“
    axes.set_xlim(0, max(max(bar.impressions for bar in bars), 1) * room)  # from 0, with room for the labels
    axes.xaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))  # few: German thousands are wide
    axes.xaxis.set_major_formatter(FuncFormatter(lambda value, _pos: de_int(int(value))))
    axes.set_xlabel("Impressionen" if only_x else "Reichweite (X: Impressionen; sonst Follower der Weiterträger)")
    axes.grid(True, axis="x", alpha=0.3)
    axes.set_axisbelow(True)
    axes.spines[["top", "right"]].set_visible(False)
    figure.suptitle(title, x=0.02, ha="left", fontsize=11)
    return figure


def _at_the_bar(bar: ChartBar) -> str:
    """The multiplier („24,2× R“ for the Reichweiten-Multiplikator, as in the monthly report), and ★ with the
    number of notable accounts that carried the post."""
    reach = " R" if bar.multiplier is not None and not counts_impressions(bar.network) else ""
    return format_multiplier(bar.multiplier) + reach + (f"  ★ {bar.notable}" if bar.notable else "")
