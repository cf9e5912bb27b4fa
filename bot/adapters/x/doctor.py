"""`doctor` checks for X (keys, write access, account)."""

from bot.doctor_types import Check

X_CHECKS: list[tuple[str, Check]] = []
