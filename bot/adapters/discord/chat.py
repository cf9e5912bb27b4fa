"""The workflow's `Chat` port on Discord, over REST by ids only: no message or channel cache needed."""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Literal, TypeVar

import aiohttp
import discord

from bot.core.errors import SpitzfederError

log = logging.getLogger(__name__)

THREAD_ARCHIVE_MINUTES: Literal[1440] = 1440
# Drafts, headlines and evidence quote untrusted text: nothing the bot says may ping anyone. Mentions of
# people (who cancelled, who may not approve) still show as names.
MENTIONS = discord.AllowedMentions.none()


class ChatError(SpitzfederError):
    pass


NO_THREADS = ("Ich kann hier keinen Thread öffnen. Der Bot braucht das Recht „Öffentliche Threads erstellen“ in "
              "diesem Kanal.")


def may_open_threads(channel: object, me: discord.Member) -> bool:
    """Whether the bot may open a thread in a server channel, as far as the cached permissions tell."""
    if not isinstance(channel, discord.abc.GuildChannel):
        return True  # a thread (news in it stays there) or a channel the cache does not know: Discord will say
    return channel.permissions_for(me).create_public_threads


# A request that never reached Discord can be sent again; one that timed out or broke off may have arrived.
UNSENT = (aiohttp.ClientConnectorError,)
NETWORK = (aiohttp.ClientError, asyncio.TimeoutError, OSError)
RETRY_PAUSES = (1.0, 3.0)
T = TypeVar("T")


class DiscordChat:
    max_message_chars = 2000  # Discord refuses longer message content

    def __init__(self, client: discord.Client, *, pauses: Sequence[float] = RETRY_PAUSES,
                 sleep: Callable[[float], Awaitable[object]] = asyncio.sleep) -> None:
        self._client = client
        self._pauses = pauses
        self._sleep = sleep

    def mention(self, user_id: int) -> str:
        return f"<@{user_id}>"

    def _channel(self, channel_id: int) -> discord.PartialMessageable:
        return self._client.get_partial_messageable(channel_id)

    async def _retrying(self, call: Callable[[], Awaitable[T]], retry_on: tuple[type[BaseException], ...]) -> T:
        """discord.py retries rate limits and server errors itself; network failures are retried here."""
        for pause in self._pauses:
            try:
                return await call()
            except retry_on as exc:
                log.info("Discord did not answer (%s); trying again in %s s", type(exc).__name__, pause)
            await self._sleep(pause)
        return await call()

    async def send(self, channel_id: int, text: str, *, attachment: tuple[str, bytes] | None = None) -> int:
        def file() -> discord.File:
            return (discord.File(io.BytesIO(attachment[1]), filename=attachment[0]) if attachment
                    else discord.utils.MISSING)

        try:
            message = await self._retrying(
                lambda: self._channel(channel_id).send(text, file=file(), allowed_mentions=MENTIONS), UNSENT)
        except discord.HTTPException as exc:
            raise ChatError("Discord hat die Nachricht nicht angenommen. Rechte des Bots im Kanal prüfen.",
                            detail=f"send to {channel_id}: HTTP {exc.status} {exc.code}") from exc
        except NETWORK as exc:
            raise ChatError("Discord ist gerade nicht erreichbar; die Nachricht ging nicht hinaus.",
                            detail=f"send to {channel_id}: {type(exc).__name__}") from exc
        except (KeyError, TypeError, ValueError) as exc:  # an answer discord.py cannot read
            raise ChatError("Discord hat unerwartet geantwortet; ob die Nachricht ankam, ist unklar.",
                            detail=f"send to {channel_id}: {type(exc).__name__}") from exc
        return message.id

    async def edit(self, channel_id: int, message_id: int, text: str) -> None:
        try:
            await self._retrying(
                lambda: self._channel(channel_id).get_partial_message(message_id).edit(content=text), NETWORK)
        except (discord.HTTPException, *NETWORK) as exc:
            log.warning("could not edit message %d: %s", message_id, _why(exc))

    async def add_reactions(self, channel_id: int, message_id: int, emojis: Sequence[str]) -> None:
        message = self._channel(channel_id).get_partial_message(message_id)
        for emoji in emojis:
            try:
                await self._retrying(lambda emoji=emoji: message.add_reaction(emoji), NETWORK)  # type: ignore[misc]
            except (discord.HTTPException, *NETWORK) as exc:
                log.warning("could not add %s to message %d: %s", emoji, message_id, _why(exc))

    async def remove_reaction(self, channel_id: int, message_id: int, emoji: str, user_id: int) -> bool:
        try:
            await self._retrying(lambda: self._channel(channel_id).get_partial_message(message_id).remove_reaction(
                emoji, discord.Object(user_id)), NETWORK)
        except (discord.HTTPException, *NETWORK) as exc:  # no "Manage Messages" here, or a DM
            log.info("could not remove a reaction on message %d: %s", message_id, _why(exc))
            return False
        return True

    async def open_thread(self, channel_id: int, message_id: int, name: str) -> int:
        try:
            thread = await self._client.http.start_thread_with_message(
                channel_id, message_id, name=name, auto_archive_duration=THREAD_ARCHIVE_MINUTES)
        except discord.HTTPException as exc:
            raise ChatError(NO_THREADS, detail=_why(exc)) from exc
        except NETWORK as exc:
            raise ChatError("Discord ist gerade nicht erreichbar; der Thread ließ sich nicht öffnen. Bitte die "
                            "Meldung gleich noch einmal schicken.", detail=_why(exc)) from exc
        return int(thread["id"])

    def working(self, channel_id: int) -> AbstractAsyncContextManager[None]:
        return typing_in(self._channel(channel_id))


@asynccontextmanager
async def typing_in(channel: discord.abc.Messageable) -> AsyncIterator[None]:
    """The typing indicator while the block runs. The work never waits for it: Discord limits typing per
    channel, so in a burst of news in one channel each item would queue behind the others' indicators. A
    failure to show it never stops the work."""
    indicator = asyncio.create_task(_keep_typing(channel))
    try:
        yield
    finally:
        indicator.cancel()


async def _keep_typing(channel: discord.abc.Messageable) -> None:
    try:
        async with channel.typing():  # sends it now and again every 5 s
            await asyncio.Event().wait()  # until the block is done
    except (discord.HTTPException, *NETWORK) as exc:
        log.info("could not show the typing indicator: %s", _why(exc))


def _why(exc: BaseException) -> str:
    if isinstance(exc, discord.HTTPException):
        return f"HTTP {exc.status} {exc.code}"
    return type(exc).__name__
