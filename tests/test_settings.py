import re

import pytest
from pydantic import ValidationError

from bot.settings import PROJECT_ROOT, Settings, configuration_problems

EXAMPLE = PROJECT_ROOT / ".env.example"
README = PROJECT_ROOT / "README.md"


def test_env_example_documents_every_setting():
    names = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", EXAMPLE.read_text(), flags=re.MULTILINE))
    assert {name.upper() for name in Settings.model_fields} - names == set()


def test_the_readme_configuration_table_names_every_setting():
    rows = [line for line in README.read_text(encoding="utf-8").splitlines() if line.startswith("| `")]
    names = set(re.findall(r"`([A-Z][A-Z0-9_]+)`", "\n".join(rows)))
    assert {name.upper() for name in Settings.model_fields} - names == set()


def test_service_settings_default_to_text_logs_and_no_health_port(monkeypatch):
    assert (Settings().log_format, Settings().health_port) == ("text", None)
    monkeypatch.setenv("LOG_FORMAT", "JSON")
    monkeypatch.setenv("HEALTH_PORT", "8081")
    assert (Settings().log_format, Settings().health_port) == ("json", 8081)


def test_env_example_loads_as_is():
    settings = Settings(_env_file=EXAMPLE)
    assert settings.draft_count == 4 and settings.approvals_required == 1 and not settings.x_credentials_complete


def test_id_lists_accept_commas_and_spaces(monkeypatch):
    monkeypatch.setenv("APPROVER_USER_IDS", "12, 34,,56")
    assert Settings().approver_user_ids == [12, 34, 56]


def test_log_level_is_checked_and_case_insensitive(monkeypatch):
    monkeypatch.setenv("LOG_LEVEL", " debug ")
    assert Settings().log_level == "DEBUG"
    monkeypatch.setenv("LOG_LEVEL", "CRITICAL")
    with pytest.raises(ValidationError) as info:
        Settings()
    assert configuration_problems(info.value) == [
        "LOG_LEVEL: „CRITICAL“ ist keine Protokollstufe; erlaubt sind DEBUG, INFO, WARNING, ERROR"]


def test_a_rejected_secret_is_not_repeated(monkeypatch):
    from pydantic_core import InitErrorDetails, PydanticCustomError

    error = ValidationError.from_exception_data("Settings", [InitErrorDetails(
        type=PydanticCustomError("odd", "odd"), loc=("x_api_secret",), input="very-secret-value")])
    assert configuration_problems(error) == ["X_API_SECRET: ungültiger Wert"]


def test_a_setting_with_fixed_choices_names_them_in_german():
    with pytest.raises(ValidationError) as caught:
        Settings(source_confirmation="manchmal")
    assert configuration_problems(caught.value) == [
        "SOURCE_CONFIRMATION: muss warned, always oder never sein (war „manchmal“)"]
