"""The settings of trust in drafting: premise check, tone, hashtags, handles."""

import pytest
from pydantic import ValidationError

from bot.settings import Settings, configuration_problems


def test_defaults(monkeypatch):
    for name in ("PREMISE_CHECK", "TONE_DEFAULT", "HASHTAGS_MAX", "HANDLE_ALLOWLIST"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings(_env_file=None)
    assert settings.premise_check is True and settings.tone_default == "zugespitzt"
    assert settings.hashtags_max == 1 and settings.handle_allowlist == []


def test_handles_are_a_comma_list_with_or_without_at(monkeypatch):
    monkeypatch.setenv("HANDLE_ALLOWLIST", "@Spitzfeder_Team, redaktion ,,")
    assert Settings(_env_file=None).handle_allowlist == ["spitzfeder_team", "redaktion"]


@pytest.mark.parametrize(("name", "value", "problem"), [
    ("TONE_DEFAULT", "zynisch",
     "TONE_DEFAULT: „zynisch“ ist kein Ton; erlaubt sind sachlich, zugespitzt, ironisch, konstruktiv"),
    ("HANDLE_ALLOWLIST", "gute-leute",
     "HANDLE_ALLOWLIST: „gute-leute“ ist kein X-Handle (Buchstaben, Ziffern, _; höchstens 15 Zeichen)"),
])
def test_invalid_values_are_named_in_german(monkeypatch, name, value, problem):
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError) as info:
        Settings(_env_file=None)
    assert configuration_problems(info.value) == [problem]


def test_the_tone_is_read_case_insensitively(monkeypatch):
    monkeypatch.setenv("TONE_DEFAULT", " Sachlich ")
    assert Settings(_env_file=None).tone_default == "sachlich"
