"""`doctor` checks for Discord (token, channels, roles, permissions)."""

from bot.doctor_types import Check

DISCORD_CHECKS: list[tuple[str, Check]] = []
