"""What a reopened set keeps: the votes and ✅ of every draft except the one a hand edit changed."""

from __future__ import annotations

from bot.core.conversation.ports import WorkflowStore


async def carry_votes(store: WorkflowStore, old_set: int, new_set: int, *, edited: int) -> int:
    """Give each draft of ``new_set`` (a copy of ``old_set``) the votes and source confirmations its original
    had, except draft ``edited``: its new text needs them anew. Returns how many votes were carried."""
    old, new = await store.set_record(old_set), await store.set_record(new_set)
    carried = 0
    for entry in old.drafts:
        copy = new.draft(entry.number)
        if entry.number == edited or copy is None:
            continue
        for voter in await store.voters(entry.id):
            if await store.add_vote(new_set, copy.id, voter):
                carried += 1
        for confirmer in await store.confirmers(entry.id):
            await store.add_confirmation(copy.id, confirmer)
    return carried
