"""Storing news items, draft sets and drafts."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.sql.dml import ReturningInsert

from bot.adapters.storage.retry import WriteRetry
from bot.adapters.storage.schema import DEFAULT_ACCOUNT, DraftRow, DraftSetRow, NewsRow
from bot.core.clock import Clock, SystemClock
from bot.core.drafting.lengths import to_json
from bot.core.drafting.models import DraftSet


class SqlDraftStore:
    """``account``: the account the stored news items and sets belong to."""

    def __init__(self, engine: AsyncEngine, clock: Clock | None = None, *, retry: WriteRetry | None = None,
                 account: str = DEFAULT_ACCOUNT) -> None:
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)
        self._account = account
        self._clock = clock or SystemClock()
        self._retry = retry or WriteRetry.of(engine)

    async def save_draft_set(self, draft_set: DraftSet, *, origin: str, author_id: str | None = None,
                             news_id: int | None = None) -> int:
        """Store the set (and its news item unless ``news_id`` names a stored one); returns the set's id.

        A database another process keeps locked is waited for (``WriteRetry``); then the error is raised.
        """
        now = self._clock.now()
        return await self._retry.run(lambda: self._save(draft_set, now, origin, author_id, news_id),
                                     what="saving drafts")

    async def _save(self, draft_set: DraftSet, now, origin: str, author_id: str | None, news_id: int | None) -> int:
        async with self._sessions.begin() as session:
            set_id, _ = await add_draft_set(session, draft_set, now=now, origin=origin, author_id=author_id,
                                            news_id=news_id, account=self._account)
            return set_id


# Core statements built once: a burst of news items stores its sets one after another, and the ORM's unit of work
# took half as much CPU again for the same rows; building a statement anew for each row took a third of the rest.
NEWS, SETS, DRAFTS = (cast(Table, row.__table__) for row in (NewsRow, DraftSetRow, DraftRow))
INSERT_NEWS = NEWS.insert().returning(NEWS.c.id)
INSERT_SET = SETS.insert().returning(SETS.c.id)
# SQLite stored the rows one statement each when their ids had to come back in order; by position, they come in one.
INSERT_DRAFTS = DRAFTS.insert().returning(DRAFTS.c.position, DRAFTS.c.id)


async def inserted_id(session: AsyncSession, statement: ReturningInsert[Any], row: dict[str, Any]) -> int:
    """Run an insert of one row that returns its id; the id."""
    return int((await session.execute(statement, row)).scalar_one())


async def add_draft_set(session: AsyncSession, draft_set: DraftSet, *, now: datetime, origin: str,
                        author_id: str | None, news_id: int | None, account: str) -> tuple[int, list[int]]:
    """The set's rows (and its news item's unless ``news_id`` names a stored one) in ``session``'s transaction;
    the set's id and its drafts' ids in their order."""
    if news_id is None:
        news = draft_set.news
        news_id = await inserted_id(session, INSERT_NEWS, dict(
            created_at=now, origin=origin, url=news.url, title=news.title, text=news.text, language=news.language,
            author_id=author_id, outlet=news.outlet, published=news.published, account=account))
    set_id = await inserted_id(session, INSERT_SET, dict(
        news_id=news_id, created_at=now, instruction=draft_set.instruction, llm_calls=draft_set.llm_calls,
        prompt_tokens=draft_set.usage.prompt_tokens, completion_tokens=draft_set.usage.completion_tokens,
        state="open", dropped=draft_set.dropped_reasons, account=account))
    drafts = [dict(set_id=set_id, position=position, text=d.text, evidence=d.evidence,
                   evidence_found=d.evidence_found, weighted_length=d.weighted_length, language=d.language,
                   warnings=d.warnings, premise=d.premise, pattern=d.pattern,
                   needs_source_check=d.needs_source_check, lengths=to_json(d.lengths) or None)
              for position, d in enumerate(draft_set.drafts, 1)]
    if not drafts:
        return set_id, []
    ids: dict[int, int] = {position: draft_id for position, draft_id in await session.execute(INSERT_DRAFTS, drafts)}
    return set_id, [ids[position] for position in range(1, len(drafts) + 1)]
