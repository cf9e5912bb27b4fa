import pytest

from bot.core.text.numbers import de_duration, de_float, de_int


@pytest.mark.parametrize(("seconds", "words"), [
    (0, "1 Sekunde"), (0.2, "1 Sekunde"), (1, "1 Sekunde"), (1.5, "2 Sekunden"), (90, "90 Sekunden"),
    (119.5, "2 Minuten"), (300, "5 Minuten"), (360, "6 Minuten"), (301, "6 Minuten"),
    (7_140, "119 Minuten"), (7_200, "2 Stunden"), (90_000, "25 Stunden"), (float("inf"), "277.778 Stunden"),
])
def test_de_duration(seconds, words):
    assert de_duration(seconds) == words


def test_de_numbers():
    assert de_int(64_000) == "64.000" and de_float(1234.5) == "1.234,5"
