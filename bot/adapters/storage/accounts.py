"""Accounts in the database: the default account's name, and which account owns a Discord message or channel.

Every account-owned row carries its account's name (column ``account``, or through its parent row); a store built
for one account reads and writes only that account's rows. `bot.accounts` (which reads the settings) is not
imported here: its ``DEFAULT_ACCOUNT`` is the same name.
"""

from __future__ import annotations

from sqlalchemy import select, union, update
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.adapters.storage.schema import DEFAULT_ACCOUNT, Base, CaseRow, ShownMessageRow

__all__ = ["DEFAULT_ACCOUNT", "SqlAccountDirectory"]


class SqlAccountDirectory:
    """Process-wide look-ups across all accounts (to route a Discord event to the account that owns it)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def account_of_message(self, message_id: int) -> str | None:
        """The account of a message the bot recorded (drafts, edits, announcements, errors), None if none."""
        query = select(ShownMessageRow.account).where(ShownMessageRow.message_id == message_id)
        async with self._engine.connect() as connection:
            return (await connection.execute(query)).scalar()

    async def account_of_channel(self, channel_id: int) -> str | None:
        """The account of the newest case in this channel (a thread or a DM), None if none."""
        query = (select(CaseRow.account).where(CaseRow.channel_id == channel_id)
                 .order_by(CaseRow.id.desc()).limit(1))
        async with self._engine.connect() as connection:
            return (await connection.execute(query)).scalar()

    async def accounts_in_use(self) -> set[str]:
        """Every account that has rows in the database (at start: rows of accounts no longer configured)."""
        tables = [table for table in Base.metadata.sorted_tables if "account" in table.c]
        query = union(*(select(table.c.account).distinct() for table in tables))
        async with self._engine.connect() as connection:
            return set((await connection.execute(query)).scalars())

    async def adopt(self, old: str, new: str) -> int:
        """Give every row of account ``old`` to ``new`` in one transaction (a single account renamed); the rows
        moved."""
        moved = 0
        async with self._engine.begin() as connection:
            for table in Base.metadata.sorted_tables:
                if "account" in table.c:
                    result = await connection.execute(update(table).where(table.c.account == old).values(account=new))
                    moved += result.rowcount or 0
        return moved
