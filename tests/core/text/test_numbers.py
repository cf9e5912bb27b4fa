"""German number formats: dots group thousands, a comma marks decimals."""

import pytest

from bot.core.text.numbers import de_duration, de_float, de_int


@pytest.mark.parametrize(("value", "text"), [(0, "0"), (999, "999"), (1000, "1.000"), (12345, "12.345"),
                                             (1234567, "1.234.567"), (-4200, "-4.200")])
def test_de_int_groups_thousands_with_dots(value, text):
    assert de_int(value) == text


@pytest.mark.parametrize(("value", "digits", "text"), [(2.5, 1, "2,5"), (0.0, 1, "0,0"), (2.456, 2, "2,46"),
                                                       (1234.5, 1, "1.234,5"), (1234567.891, 2, "1.234.567,89"),
                                                       (-0.25, 2, "-0,25"), (3.0, 0, "3")])
def test_de_float_uses_a_decimal_comma_and_thousands_dots(value, digits, text):
    assert de_float(value, digits) == text


def test_de_float_shows_one_decimal_by_default():
    assert de_float(30) == "30,0"


@pytest.mark.parametrize(("seconds", "words"), [
    (0, "1 Sekunde"), (0.2, "1 Sekunde"), (1, "1 Sekunde"), (1.5, "2 Sekunden"), (90, "90 Sekunden"),
    (119.5, "2 Minuten"), (300, "5 Minuten"), (360, "6 Minuten"), (301, "6 Minuten"),
    (7_140, "119 Minuten"), (7_200, "2 Stunden"), (90_000, "25 Stunden"), (float("inf"), "277.778 Stunden"),
])
def test_de_duration(seconds, words):
    assert de_duration(seconds) == words
