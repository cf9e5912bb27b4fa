"""The summary chart: impressions and interactions over time as a PNG (matplotlib, Agg backend, no display).

matplotlib costs about 40 MB and is needed once a day, so it is imported by the first rendering, not with this module.
"""

from __future__ import annotations

import asyncio
import io
from datetime import timedelta
from zoneinfo import ZoneInfo

from bot.core.reach.summary import ChartSeries
from bot.core.text.numbers import de_int


class MatplotlibChart:
    def __init__(self, tz: ZoneInfo) -> None:
        self._tz = tz

    async def render(self, series: list[ChartSeries], *, title: str) -> bytes:
        return await asyncio.to_thread(self.render_sync, series, title)

    def render_sync(self, series: list[ChartSeries], title: str) -> bytes:
        import matplotlib

        matplotlib.use("Agg")
        from matplotlib import dates as mdates
        from matplotlib.figure import Figure
        from matplotlib.ticker import FuncFormatter

        figure = Figure(figsize=(9, 6), dpi=100)  # no pyplot: no global state, safe in a thread
        impressions, interactions = figure.subplots(2, 1, sharex=True)
        for line in series:
            times = [t.astimezone(self._tz) for t, _, _ in line.points]
            impressions.plot(times, [i for _, i, _ in line.points], marker="o", label=line.label)
            interactions.plot(times, [e for _, _, e in line.points], marker="o")
        thousands = FuncFormatter(lambda value, _pos: de_int(int(value)))
        for axis, name in ((impressions, "Impressionen"), (interactions, "Interaktionen")):
            axis.set_ylabel(name)
            axis.yaxis.set_major_formatter(thousands)
            axis.grid(True, alpha=0.3)
        moments = [t for line in series for t, _, _ in line.points]
        if min(moments) == max(moments):  # one reading: give the axis a width
            interactions.set_xlim(min(moments) - timedelta(hours=1), max(moments) + timedelta(hours=1))
        interactions.xaxis.set_major_locator(mdates.AutoDateLocator(tz=self._tz, maxticks=8))
        interactions.xaxis.set_major_formatter(mdates.DateFormatter("%d.%m.\n%H:%M", tz=self._tz))
        impressions.set_title(title)
        impressions.legend(fontsize="small", loc="upper left")
        figure.tight_layout()
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png")
        return buffer.getvalue()
