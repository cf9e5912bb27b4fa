"""check_bluesky: a real session against the fake PDS; skipped, partial and wrong credentials in German."""

import logging

import pytest

from bot.adapters.bluesky.doctor import check_bluesky
from bot.core.errors import CheckSkipped, SpitzfederError
from bot.settings import Settings


def settings() -> Settings:
    return Settings(_env_file=None)


async def test_ok_shows_account_followers_and_posting(bluesky_env):
    bluesky_env.followers = 1234
    result = await check_bluesky(settings())
    assert result.startswith("Konto @spitzfeder.bsky.social, 1.234 Follower, darf posten (App-Passwort, PDS 127.0.0.1:")
    assert bluesky_env.sessions_created == 1


async def test_the_main_password_works_but_doctor_asks_for_an_app_password(bluesky_env):
    bluesky_env.scope = "com.atproto.access"
    result = await check_bluesky(settings())
    assert "darf posten" in result and "Hauptpasswort" in result and "App-Passwort anlegen" in result


async def test_skipped_without_credentials():
    with pytest.raises(CheckSkipped) as caught:
        await check_bluesky(settings())
    assert "BLUESKY_HANDLE" in caught.value.reason


async def test_skipped_when_networks_leaves_bluesky_out(bluesky_env, monkeypatch):
    monkeypatch.setenv("NETWORKS", "x")
    with pytest.raises(CheckSkipped) as caught:
        await check_bluesky(settings())
    assert "NETWORKS" in caught.value.reason and bluesky_env.requests == []


@pytest.mark.parametrize("missing", ["BLUESKY_HANDLE", "BLUESKY_APP_PASSWORD"])
async def test_partial_credentials_name_what_is_missing(bluesky_env, monkeypatch, missing):
    monkeypatch.setenv(missing, "")
    with pytest.raises(SpitzfederError) as caught:
        await check_bluesky(settings())
    assert missing in caught.value.user_message and "unvollständig" in caught.value.user_message


async def test_wrong_app_password_says_what_to_fix_and_shows_no_secret(bluesky_env, monkeypatch, caplog):
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("BLUESKY_APP_PASSWORD", "zzzz-yyyy-xxxx-wwww")
    with pytest.raises(SpitzfederError) as caught:
        await check_bluesky(settings())
    message = caught.value.user_message
    assert "App-Passwort" in message and "BLUESKY_APP_PASSWORD" in message and "🔁" not in message
    assert "zzzz-yyyy-xxxx-wwww" not in message + caught.value.detail + caplog.text


async def test_unreachable_pds_says_so(bluesky_env, monkeypatch):
    monkeypatch.setenv("BLUESKY_PDS_URL", "http://127.0.0.1:9")  # nothing listens on the discard port
    with pytest.raises(SpitzfederError) as caught:
        await check_bluesky(settings())
    assert "nicht erreichbar" in caught.value.user_message and "127.0.0.1:9" in caught.value.user_message


async def test_a_main_password_with_email_code_asks_for_an_app_password(bluesky_env):
    bluesky_env.fail("com.atproto.server.createSession", 401,
                     {"error": "AuthFactorTokenRequired", "message": "A sign in code has been sent to your email"})
    with pytest.raises(SpitzfederError) as caught:
        await check_bluesky(settings())
    assert "E-Mail-Code" in caught.value.user_message and "App-Passwort" in caught.value.user_message
