"""`doctor`'s Mastodon check and the instance's character limits, against the fake instance."""

import logging

import pytest

from bot.adapters.mastodon.doctor import check_mastodon
from bot.core.errors import CheckSkipped, SpitzfederError
from bot.settings import Settings
from tests.fakes.mastodon_server import TOKEN


async def test_doctor_names_account_instance_followers_and_write_permission(mastodon_env):
    result = await check_mastodon(Settings())
    host = mastodon_env.base_url.split("://")[1]
    assert result == f"Konto @spitzfeder auf {host}, 1.234 Follower, darf posten"


async def test_doctor_cannot_tell_the_write_permission_when_the_instance_does_not_report_scopes(mastodon_env):
    mastodon_env.app_scopes = None
    assert (await check_mastodon(Settings())).endswith("Schreibrecht nicht prüfbar (die Instanz nennt die "
                                                       "Berechtigungen nicht)")
    mastodon_env.fail("GET /api/v1/apps/verify_credentials", 404, {"error": "Record not found"})
    assert "Schreibrecht nicht prüfbar" in await check_mastodon(Settings())


async def test_doctor_reports_a_read_only_token_with_the_fix(mastodon_env):
    mastodon_env.app_scopes = ["read"]
    with pytest.raises(SpitzfederError) as caught:
        await check_mastodon(Settings())
    assert "darf nicht posten" in caught.value.user_message and "write:statuses" in caught.value.user_message


async def test_doctor_skips_without_credentials_and_names_what_is_missing():
    with pytest.raises(CheckSkipped) as skipped:
        await check_mastodon(Settings())
    assert "keine Mastodon-Zugangsdaten" in skipped.value.reason
    with pytest.raises(SpitzfederError) as caught:
        await check_mastodon(Settings(mastodon_base_url="https://example.social"))
    assert "MASTODON_ACCESS_TOKEN" in caught.value.user_message and "unvollständig" in caught.value.user_message


async def test_doctor_skips_when_networks_leaves_mastodon_out(mastodon_env, monkeypatch):
    monkeypatch.setenv("NETWORKS", "x")
    with pytest.raises(CheckSkipped) as skipped:
        await check_mastodon(Settings())
    assert "NETWORKS" in skipped.value.reason and mastodon_env.requests == []


async def test_doctor_with_a_revoked_token_says_how_to_make_a_new_one(mastodon_env, monkeypatch, caplog):
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("MASTODON_ACCESS_TOKEN", "revoked-token-value")
    with pytest.raises(SpitzfederError) as caught:
        await check_mastodon(Settings())
    message = caught.value.user_message
    assert "401" in message and "Einstellungen → Entwicklung" in message and "🔁" not in message
    assert "revoked-token-value" not in message + caught.value.detail + caplog.text


async def test_doctor_with_a_wrong_base_url_points_at_it(mastodon_env, monkeypatch):
    mastodon_env.fail("GET /api/v1/accounts/verify_credentials", 200, "<html><body>Blog</body></html>")
    with pytest.raises(SpitzfederError) as caught:
        await check_mastodon(Settings())
    assert "MASTODON_BASE_URL" in caught.value.user_message


async def test_instance_limits_are_read_once_and_default_when_missing(make_mastodon_client, fake_mastodon):
    fake_mastodon.max_characters, fake_mastodon.url_chars = 1000, 25
    client = make_mastodon_client()
    assert await client.instance_limits() == (1000, 25)
    assert await client.instance_limits() == (1000, 25)
    assert fake_mastodon.count("GET", "/api/v2/instance") == 1
    fake_mastodon.max_characters = None  # an instance whose answer has no configuration
    assert await make_mastodon_client().instance_limits() == (500, 23)


async def test_instance_limits_need_no_token(make_mastodon_client, fake_mastodon):
    assert await make_mastodon_client("not-" + TOKEN).instance_limits() == (500, 23)
