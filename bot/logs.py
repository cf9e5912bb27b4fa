"""Logging set-up that blanks every configured secret, wherever and however it appears.

Redaction runs on the final text a handler writes: the message with its arguments,
the traceback of a logged exception and the stack info. Each secret is matched in
its exact form and percent-encoded (as ``quote``/``quote_plus`` or a client library
put it into a URL, hex digits in either case). Handlers added later (JSON, files)
pass their output through :func:`redact` or use :class:`RedactingFormatter`.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from types import TracebackType
from typing import TypeAlias
from urllib.parse import unquote, unquote_plus

from pydantic import SecretStr

from bot.settings import Settings

REDACTED = "[redacted]"
MIN_SECRET_CHARS = 6  # shorter values ("true", "1234") would blank ordinary words

_ExcInfo: TypeAlias = tuple[type[BaseException], BaseException, TracebackType | None] | tuple[None, None, None]


def _char_pattern(char: str) -> str:
    """The character itself, or its UTF-8 bytes percent-encoded (hex in either case), or '+' for a space."""
    encoded = "".join(
        "%" + "".join(f"[{d.lower()}{d.upper()}]" if d.isalpha() else d for d in f"{byte:02x}")
        for byte in char.encode("utf-8")
    )
    forms = [re.escape(char), encoded] + ([r"\+"] if char == " " else [])
    return "(?:" + "|".join(forms) + ")"


class Redactor:
    """Replaces each secret, plain or percent-encoded, by ``[redacted]``."""

    def __init__(self, secrets: Iterable[str]) -> None:
        # A secret that is itself percent-encoded (X bearer tokens often are) may also show up decoded.
        forms = {form for s in secrets for form in (s, unquote(s), unquote_plus(s))}
        kept = sorted({s for s in forms if len(s) >= MIN_SECRET_CHARS}, key=len, reverse=True)
        self._pattern = re.compile("|".join("".join(map(_char_pattern, s)) for s in kept)) if kept else None

    def __call__(self, text: str) -> str:
        if self._pattern is None or not text:
            return text
        return self._pattern.sub(REDACTED, text)


_active = Redactor(())


def redact(text: str) -> str:
    """Blank the secrets registered by :func:`setup_logging` (or :func:`register_secrets`) in ``text``."""
    return _active(text)


def register_secrets(secrets: Iterable[str]) -> None:
    """Make :func:`redact` blank these values from now on (replaces the earlier set)."""
    global _active
    _active = Redactor(secrets)


class RedactingFormatter(logging.Formatter):
    """A Formatter whose output, traceback and stack info included, has every secret blanked.

    ``formatException`` is redacted too, so the traceback text logging caches on the
    record (``exc_text``) is already clean for any other handler that reuses it.
    """

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))

    def formatException(self, ei: _ExcInfo) -> str:
        return redact(super().formatException(ei))

    def formatStack(self, stack_info: str) -> str:
        return redact(super().formatStack(stack_info))


class JsonFormatter(RedactingFormatter):
    """One JSON object per line (LOG_FORMAT=json): time (UTC, ISO 8601), level, logger, message, and the
    exception's traceback (``exception``) and stack info (``stack``) when there are any.

    Every field is redacted, and so is the serialized line (a secret JSON escaping did not change).
    """

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = redact(record.exc_text)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return redact(json.dumps(entry, ensure_ascii=False))


class SecretFilter(logging.Filter):
    """Blanks secrets in a record's message, arguments and traceback before any formatter sees it."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self._redact = Redactor(secrets)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = self._redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self._redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self._redact(record.stack_info)
        return True


def secret_values(settings: Settings) -> list[str]:
    return [value.get_secret_value() for value in settings.model_dump().values() if isinstance(value, SecretStr)]


def setup_logging(settings: Settings, *, quiet: bool = False) -> None:
    """Log to stderr at LOG_LEVEL in LOG_FORMAT; ``quiet`` (terminal commands without -v) writes no log line at all.

    Quiet keeps a handler that lets nothing through, so Python's last-resort handler stays silent too.
    """
    secrets = secret_values(settings)
    register_secrets(secrets)
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if settings.log_format == "json"
                         else RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(SecretFilter(secrets))
    root = logging.getLogger()
    if quiet:
        handler.setLevel(logging.CRITICAL + 1)
    root.handlers[:] = [handler]
    root.setLevel("WARNING" if quiet else settings.log_level.upper())
    # Library chatter at INFO would print request URLs and bodies.
    for noisy in ("httpx2", "httpx", "openai", "discord.http", "discord.gateway", "tweepy", "trafilatura", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
