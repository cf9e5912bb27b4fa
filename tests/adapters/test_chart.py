"""The summary chart as drawn by matplotlib: bars, their labels, the multipliers on them, the axis from 0."""

from datetime import UTC, datetime, timedelta

import pytest

from bot.adapters.chart import MatplotlibChart, draw
from bot.core.reach.metrics import Metrics
from bot.core.reach.summary import CHART_MAX_POSTS, ChartBar, PostRecord, Report, chart_bars


def bars(count: int) -> list[ChartBar]:
    return [ChartBar(n, f"„Frage {n}?“", 1000 * (count - n) + 3, (count - n) / 2 or None) for n in range(1, count + 1)]


def drawn(chart_bars: list[ChartBar]):
    [axes] = draw(chart_bars, "Titel").axes
    figure = axes.figure
    figure.canvas.draw()  # ticks and labels are final only once drawn
    return axes


@pytest.mark.parametrize("count", [1, CHART_MAX_POSTS])
def test_one_bar_per_post_labelled_with_its_number_and_multiplier(count):
    axes = drawn(bars(count))
    assert len(axes.patches) == count
    assert [label.get_text() for label in axes.get_yticklabels()] == [f"{n}. „Frage {n}?“" for n in range(1, count + 1)]
    on_bars = [text.get_text() for text in axes.texts]
    assert on_bars == [f"{(count - n) / 2:.1f}×".replace(".", ",") if count - n else "–" for n in range(1, count + 1)]
    assert [round(patch.get_width()) for patch in axes.patches] == [1000 * (count - n) + 3 for n in range(1, count + 1)]


def test_the_axis_starts_at_0_with_whole_german_numbers():
    axes = drawn(bars(CHART_MAX_POSTS))
    ticks = [tick for tick in axes.get_xticks() if axes.get_xlim()[0] <= tick <= axes.get_xlim()[1]]
    assert axes.get_xlim()[0] == 0 and ticks[0] == 0 and all(tick == int(tick) for tick in ticks)
    labels = [label.get_text() for label in axes.get_xticklabels() if label.get_text()]
    assert "2.000" in labels and all("," not in label for label in labels)
    assert axes.get_xlabel() == "Impressionen"


def test_small_numbers_get_whole_ticks_only():
    axes = drawn([ChartBar(1, "„Frage?“", 3, 1.5)])
    labels = [label.get_text() for label in axes.get_xticklabels() if label.get_text()]
    assert labels == sorted(set(labels), key=lambda label: int(label.replace(".", "")))  # no „2, 2, 3, 3“


def test_thirty_posts_give_the_eight_with_the_highest_multiplier():
    now = datetime(2026, 11, 25, 17, tzinfo=UTC)
    posts = [PostRecord(n, n, f"Frage {n}?", None, now - timedelta(hours=30 - n), False, 100,
                        latest=Metrics(impressions=100 * n)) for n in range(30)]
    chosen = chart_bars(Report(now, now, now - timedelta(days=7), posts))
    assert [bar.number for bar in chosen] == list(range(1, 9))  # the newest have the most impressions here
    axes = drawn(chosen)
    assert len(axes.patches) == CHART_MAX_POSTS


def test_the_png_is_readable_at_discords_preview_size():
    png = MatplotlibChart().render_sync(bars(CHART_MAX_POSTS), "Titel")
    width = int.from_bytes(png[16:20], "big")
    assert png.startswith(b"\x89PNG") and 800 <= width <= 1000


def test_notable_accounts_are_starred_at_the_bar():
    axes = drawn([ChartBar(1, "„Frage?“", 4000, 40.0, notable=2), ChartBar(2, "„Andere?“", 100, 1.0)])
    assert [text.get_text() for text in axes.texts] == ["40,0×  ★ 2", "1,0×"]
