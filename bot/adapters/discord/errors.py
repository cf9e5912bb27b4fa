"""The one error boundary of the Discord front end, and the mapping of discord.py's connection failures.

Every handler runs inside ``answered``: a SpitzfederError becomes its German message, anything else a
short apology for the user and a logged report with the traceback.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager

import aiohttp
import discord

from bot.core.errors import SpitzfederError

log = logging.getLogger(__name__)

UNEXPECTED = "Da ist bei mir etwas schiefgegangen. Bitte noch einmal versuchen; das Protokoll nennt die Ursache."
PRIVILEGED_INTENT_MISSING = (
    "Discord verweigert den privilegierten Intent „Message Content“. Im Developer Portal "
    "(https://discord.com/developers/applications) unter Bot → Privileged Gateway Intents "
    "„Message Content Intent“ einschalten und neu starten. / Discord refused the privileged "
    "Message Content intent: enable \"Message Content Intent\" under Bot → Privileged Gateway Intents."
)
TOKEN_MISSING = "DISCORD_TOKEN fehlt. Den Bot-Token aus dem Developer Portal (Bot → Reset Token) in .env eintragen."
UNREACHABLE = ("Discord ist nicht erreichbar. Netzwerk prüfen (und DISCORD_API_BASE_URL, falls gesetzt) und neu "
               "starten.")
TOKEN_REJECTED = "Discord lehnt DISCORD_TOKEN ab. Den Token im Developer Portal neu erzeugen und in .env eintragen."

Say = Callable[[str], Awaitable[None]]


@asynccontextmanager
async def answered(say: Say, doing: str) -> AsyncIterator[None]:
    """Run a handler; a failure is told to the user through ``say`` and logged, never raised."""
    try:
        yield
    except SpitzfederError as exc:
        log.info("%s answered with an error: %s", doing, exc.detail or exc.user_message)
        await say(exc.user_message)
    except Exception:
        log.exception("%s failed", doing)
        await say(UNEXPECTED)


@contextmanager
def connection_failures() -> Iterator[None]:
    """discord.py's failures to log in or connect as German SpitzfederErrors (for `run`, `sync-commands`)."""
    try:
        yield
    except discord.PrivilegedIntentsRequired as exc:
        raise SpitzfederError(PRIVILEGED_INTENT_MISSING) from exc
    except discord.LoginFailure as exc:
        raise SpitzfederError(TOKEN_REJECTED) from exc
    except discord.HTTPException as exc:
        raise SpitzfederError(f"Discord hat die Anfrage abgelehnt (HTTP {exc.status}).", detail=str(exc.code)) from exc
    except (aiohttp.ClientError, OSError) as exc:  # only the login; later drops are reconnected by discord.py
        raise SpitzfederError(UNREACHABLE, detail=type(exc).__name__) from exc
