"""Starting the Discord bot (`spitzfeder run`) and syncing its slash commands."""

from bot.settings import Settings


async def run_bot(settings: Settings) -> int:
    raise NotImplementedError


async def sync_commands(settings: Settings) -> int:
    raise NotImplementedError
