"""`spitzfeder doctor` for Discord, against the local fake Discord server."""

import pytest

from bot.adapters.discord.doctor import NEEDED, channel_permissions, check_channels, check_roles, check_token
from bot.doctor import run_checks
from bot.settings import Settings
from tests.fakes.discord_server import CHANNEL_ID, GUILD_ID, ROLE_ID


@pytest.fixture
def settings(fake_discord):
    return Settings(discord_token="discord-test-token-123456", discord_api_base_url=fake_discord.api_url,
                    discord_channel_ids=[CHANNEL_ID], approver_role_ids=[ROLE_ID])


async def test_token_channels_and_roles_ok(settings):
    assert await check_token(settings) == "angemeldet als Spitzfeder (9001)"
    assert await check_channels(settings) == "1 Kanäle gefunden, alle Rechte vorhanden"
    assert await check_roles(settings) == "1 Freigabe-Rollen gefunden"


async def test_missing_permissions_are_named(settings, fake_discord):
    fake_discord.channels[CHANNEL_ID]["permission_overwrites"] = [
        {"id": str(GUILD_ID), "type": 0, "allow": "0", "deny": str((1 << 13) | (1 << 35))}]
    [result] = await run_checks(settings, [("Discord-Kanäle", check_channels)])
    assert not result.ok
    assert "Nachrichten verwalten" in result.message and "Öffentliche Threads erstellen" in result.message


async def test_unknown_channel_and_role_are_named(settings):
    settings.discord_channel_ids = [CHANNEL_ID, 123]
    settings.approver_role_ids = [ROLE_ID, 456]
    channels, roles = await run_checks(settings, [("Kanäle", check_channels), ("Rollen", check_roles)])
    assert "Kanal 123 gibt es nicht" in channels.message and "456" in roles.message


async def test_a_rejected_token(settings, fake_discord):
    fake_discord.reject_token = True
    [result] = await run_checks(settings, [("Token", check_token)])
    assert "Discord lehnt DISCORD_TOKEN ab" in result.message


async def test_without_a_token_discord_is_skipped_not_failed():
    results = await run_checks(Settings(), [("a", check_token), ("b", check_channels), ("c", check_roles)])
    assert all(r.ok and r.skipped and r.message.startswith("kein DISCORD_TOKEN") for r in results)


def test_permission_arithmetic():
    channel = {"guild_id": "1", "permission_overwrites": [
        {"id": "1", "allow": "0", "deny": str(1 << 11)},  # @everyone may not send here
        {"id": "5", "allow": str(1 << 11), "deny": "0"},  # but role 5 may
    ]}
    roles = [{"id": "1", "permissions": str(sum(NEEDED))}, {"id": "5", "permissions": "0"}]
    assert not channel_permissions(channel, roles, set(), 9) & (1 << 11)
    assert channel_permissions(channel, roles, {5}, 9) & (1 << 11)
    assert channel_permissions(channel, [{"id": "1", "permissions": str(1 << 3)}], set(), 9) == ~0
