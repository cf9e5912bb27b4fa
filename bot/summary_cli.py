"""`spitzfeder summary`: the daily summary in the terminal."""

import argparse

from bot.settings import Settings


async def cmd_summary(args: argparse.Namespace, settings: Settings) -> int:
    raise NotImplementedError
