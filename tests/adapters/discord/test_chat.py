"""The chat port on discord.py's REST client: network failures are retried, then reported in German."""

import discord
import pytest

from bot.adapters.discord.chat import ChatError, DiscordChat
from tests.fakes.discord_server import CHANNEL_ID


@pytest.fixture
async def offline_chat(fake_discord, unused_port):
    """A logged-in client whose Discord then goes away (connections are refused)."""
    discord.http.Route.BASE = fake_discord.api_url
    client = discord.Client(intents=discord.Intents.none())
    await client.login("discord-test-token-123456")
    pauses: list[float] = []

    async def sleep(seconds: float) -> None:
        pauses.append(seconds)

    chat = DiscordChat(client, pauses=(1.0, 3.0), sleep=sleep)
    discord.http.Route.BASE = f"http://127.0.0.1:{unused_port}/api/v10"
    yield chat, pauses
    await client.close()


async def test_a_send_that_cannot_connect_is_retried_then_reported_in_german(offline_chat):
    chat, pauses = offline_chat
    with pytest.raises(ChatError) as failure:
        await chat.send(CHANNEL_ID, "Hallo")
    assert "Discord ist gerade nicht erreichbar" in failure.value.user_message
    assert pauses == [1.0, 3.0]


async def test_edits_and_reactions_that_cannot_connect_are_given_up_quietly(offline_chat):
    chat, pauses = offline_chat
    await chat.edit(CHANNEL_ID, 1, "neu")
    await chat.add_reactions(CHANNEL_ID, 1, ["1️⃣"])
    assert await chat.remove_reaction(CHANNEL_ID, 1, "1️⃣", 42) is False
    assert pauses == [1.0, 3.0] * 3
    with pytest.raises(ChatError, match="Thread"):
        await chat.open_thread(CHANNEL_ID, 1, "Name")
