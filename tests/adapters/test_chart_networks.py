"""The summary chart with posts on several networks: each bar names its network, the axis says what it counts."""

from bot.adapters.chart import draw
from bot.core.networks import Network
from bot.core.reach.summary import ChartBar


def test_bars_are_labelled_with_their_network():
    bars = [ChartBar(1, "„Wer zahlt?“", 12_000, 2.4, 0, Network.X),
            ChartBar(1, "„Wer zahlt?“", 20_000, 40.0, 1, Network.BLUESKY),
            ChartBar(2, "„Warum?“", 600, 0.6, 0, Network.MASTODON)]
    [axes] = draw(bars, "Titel").axes
    axes.figure.canvas.draw()
    assert [label.get_text() for label in axes.get_yticklabels()] == [
        "1. „Wer zahlt?“ (X)", "1. „Wer zahlt?“ (Bluesky)", "2. „Warum?“ (Mastodon)"]
    assert [text.get_text() for text in axes.texts] == ["2,4×", "40,0× R  ★ 1", "0,6× R"]  # R: Reichweiten-M.
    assert axes.get_xlabel().startswith("Reichweite (X: Impressionen")


def test_x_only_charts_stay_as_they_were():
    [axes] = draw([ChartBar(1, "„Wer zahlt?“", 12_000, 2.4)], "Titel").axes
    axes.figure.canvas.draw()
    assert [label.get_text() for label in axes.get_yticklabels()] == ["1. „Wer zahlt?“"]
    assert axes.get_xlabel() == "Impressionen"


def test_an_unknown_reach_multiplier_has_no_r():
    [axes] = draw([ChartBar(1, "„Wer zahlt?“", 0, None, 0, Network.MASTODON)], "Titel").axes
    axes.figure.canvas.draw()
    assert [text.get_text() for text in axes.texts] == ["–"]
