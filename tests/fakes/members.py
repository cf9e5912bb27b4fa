"""The `Members` port in memory: roles per user; a user can lose a role or leave."""

from __future__ import annotations


class FakeMembers:
    def __init__(self, roles: dict[int, frozenset[int]] | None = None) -> None:
        self.roles_of: dict[int, frozenset[int]] = dict(roles or {})
        self.gone: set[int] = set()

    async def roles(self, user_id: int, guild_id: int | None) -> frozenset[int] | None:
        if user_id in self.gone:
            return None
        return self.roles_of.get(user_id, frozenset())
