"""Logging set-up with a filter that blanks every configured secret, wherever it appears."""

from __future__ import annotations

import logging

from pydantic import SecretStr

from bot.settings import Settings

REDACTED = "[redacted]"


class SecretFilter(logging.Filter):
    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self._secrets = [s for s in secrets if len(s) >= 6]

    def filter(self, record: logging.LogRecord) -> bool:
        if self._secrets:
            message = record.getMessage()
            if any(secret in message for secret in self._secrets):
                for secret in self._secrets:
                    message = message.replace(secret, REDACTED)
                record.msg, record.args = message, None
        return True


def secret_values(settings: Settings) -> list[str]:
    return [value.get_secret_value() for value in settings.model_dump().values() if isinstance(value, SecretStr)]


def setup_logging(settings: Settings, *, quiet: bool = False) -> None:
    """Log to stderr at LOG_LEVEL; ``quiet`` (terminal commands) shows only warnings and errors."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(SecretFilter(secret_values(settings)))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel("WARNING" if quiet else settings.log_level.upper())
    # Library chatter at INFO would print request URLs and bodies.
    for noisy in ("httpx2", "httpx", "openai", "discord.http", "discord.gateway", "tweepy", "trafilatura", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
