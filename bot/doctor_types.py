"""The shape of one `doctor` check, shared by the core checks and the adapters' checks."""

from collections.abc import Awaitable, Callable

from bot.settings import Settings

# A check returns a short OK message or raises SpitzfederError with what to fix.
Check = Callable[[Settings], Awaitable[str]]
