"""The conversation workflow's storage in SQL (implements `bot.core.conversation.ports.WorkflowStore`)."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, Table, bindparam, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import aliased

from bot.adapters.storage.drafts import INSERT_NEWS, SETS, add_draft_set, inserted_id
from bot.adapters.storage.schema import (
    DEFAULT_ACCOUNT,
    CaseRow,
    CommandSyncRow,
    DraftRow,
    DraftSetRow,
    NetworkToggleRow,
    NewsRow,
    NoticeRow,
    PlanRow,
    PostRow,
    ShownMessageRow,
    SourceConfirmationRow,
    TurnRow,
    VoteRow,
)
from bot.adapters.storage.write_queue import WriteQueue
from bot.core.clock import Clock, SystemClock
from bot.core.conversation.records import (
    Case,
    DraftEntry,
    MessageKind,
    Pending,
    Plan,
    SetRecord,
    SetState,
    ShownMessage,
)
from bot.core.drafting.lengths import from_json, to_json
from bot.core.drafting.models import ConversationTurn, Draft, DraftSet, NewsItem
from bot.core.errors import MissingRecord
from bot.core.networks import Network

CASES, SHOWN = (cast(Table, row.__table__) for row in (CaseRow, ShownMessageRow))
INSERT_CASE = CASES.insert().returning(CASES.c.id)
INSERT_SHOWN = SHOWN.insert()
_THE_CASE = (CASES.c.id == bindparam("case_key")) & (CASES.c.account == bindparam("account_key"))
REPLACE_CURRENT_SET = SETS.update().where(  # a new set replaces the case's open one
    SETS.c.id == select(CASES.c.current_set_id).where(_THE_CASE).scalar_subquery(),
    SETS.c.state == SetState.OPEN.value).values(state=SetState.REPLACED.value)
MAKE_CURRENT_SET = CASES.update().where(_THE_CASE).values(current_set_id=bindparam("set_key"), pending=None,
                                                           pending_instruction=None)


def _case(row: CaseRow, news: NewsRow) -> Case:
    return Case(
        id=row.id, news_id=row.news_id, news=NewsItem(news.text, news.url, news.title, news.language,
                                                             news.outlet, news.published),
        requester_id=row.requester_id, guild_id=row.guild_id, channel_id=row.channel_id, count=row.count,
        current_set_id=row.current_set_id, pending=Pending(row.pending) if row.pending else None,
        pending_instruction=row.pending_instruction, tone=row.tone,
    )


def _entry(row: DraftRow) -> DraftEntry:
    return DraftEntry(row.id, row.position, row.text, row.evidence, row.evidence_found, row.weighted_length,
                      tuple(row.warnings or ()), row.premise, row.pattern, row.needs_source_check,
                      from_json(row.lengths))


def _shown(row: ShownMessageRow) -> ShownMessage:
    return ShownMessage(row.message_id, row.channel_id, row.case_id, MessageKind(row.kind), row.set_id,
                        {int(n): draft_id for n, draft_id in (row.numbers or {}).items()}, row.body, row.first)


class SqlWorkflowStore:
    """``account``: the one account whose cases, sets, messages, votes and plans this store reads and writes; the
    rows of other accounts are as good as absent (reads find nothing, writes change nothing)."""

    def __init__(self, engine: AsyncEngine, clock: Clock | None = None, *, account: str = DEFAULT_ACCOUNT,
                 writes: WriteQueue | None = None) -> None:
        """``writes``: shared by the stores of every account on one database (one write transaction at a time)."""
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)
        self._clock = clock or SystemClock()
        self._account = account
        self._writes = writes or WriteQueue(engine)

    # --- what belongs to the account: its cases and sets, and through them drafts, votes, turns, … ---

    def _own_case(self, case_id: Any) -> ColumnElement[bool]:
        return select(CaseRow.id).where(CaseRow.id == case_id, CaseRow.account == self._account).exists()

    def _own_set(self, set_id: Any) -> ColumnElement[bool]:
        return select(DraftSetRow.id).where(DraftSetRow.id == set_id, DraftSetRow.account == self._account).exists()

    def _own_draft(self, draft_id: Any) -> ColumnElement[bool]:
        return (select(DraftRow.id).join(DraftSetRow, DraftSetRow.id == DraftRow.set_id)
                .where(DraftRow.id == draft_id, DraftSetRow.account == self._account).exists())

    def _writing(self) -> AbstractAsyncContextManager[AsyncSession]:
        return self._writes.alone()

    # --- cases ---

    async def create_case(self, news: NewsItem, *, origin: str, requester_id: int, guild_id: int | None,
                          channel_id: int, count: int, tone: str | None = None) -> Case:
        now = self._clock.now()

        async def insert(session: AsyncSession) -> Case:
            news_id = await inserted_id(session, INSERT_NEWS, dict(
                created_at=now, origin=origin, url=news.url, title=news.title, text=news.text,
                language=news.language, author_id=str(requester_id), outlet=news.outlet, published=news.published,
                account=self._account))
            case_id = await inserted_id(session, INSERT_CASE, dict(
                news_id=news_id, created_at=now, requester_id=requester_id, guild_id=guild_id,
                channel_id=channel_id, count=count, pending=Pending.DRAFT.value, tone=tone, account=self._account))
            return Case(id=case_id, news_id=news_id, news=news, requester_id=requester_id, guild_id=guild_id,
                        channel_id=channel_id, count=count, current_set_id=None, pending=Pending.DRAFT,
                        pending_instruction=None, tone=tone)

        return await self._writes.run(insert)

    async def _one_case(self, query) -> Case | None:
        async with self._sessions() as session:
            found = (await session.execute(query.join(NewsRow, NewsRow.id == CaseRow.news_id)
                                           .where(CaseRow.account == self._account)
                                           .add_columns(NewsRow).limit(1))).first()
            return _case(found[0], found[1]) if found else None

    async def case(self, case_id: int) -> Case:
        case = await self._one_case(select(CaseRow).where(CaseRow.id == case_id))
        if case is None:
            raise MissingRecord(f"case {case_id}")
        return case

    async def latest_case_in(self, channel_id: int) -> Case | None:
        return await self._one_case(select(CaseRow).where(CaseRow.channel_id == channel_id)
                                    .order_by(CaseRow.id.desc()))

    async def interrupted_cases(self) -> list[Case]:
        # A failed job leaves an error message newer than the case's last draft set; an interrupted one does not.
        drafts, errors = aliased(ShownMessageRow), aliased(ShownMessageRow)
        last_set_shown = (select(func.max(drafts.message_id))
                          .where(drafts.case_id == CaseRow.id, drafts.kind == MessageKind.DRAFTS.value)
                          .correlate(CaseRow).scalar_subquery())
        failure_shown = (select(errors.message_id)
                         .where(errors.case_id == CaseRow.id, errors.kind == MessageKind.ERROR.value,
                                errors.message_id > func.coalesce(last_set_shown, 0))
                         .exists())
        async with self._sessions() as session:
            rows = await session.execute(
                select(CaseRow, NewsRow).join(NewsRow, NewsRow.id == CaseRow.news_id)
                .where(CaseRow.account == self._account, CaseRow.pending.is_not(None), ~failure_shown)
                .order_by(CaseRow.id))
            return [_case(row, news) for row, news in rows]

    async def shown_sets(self, case_id: int) -> list[int]:
        async with self._sessions() as session:
            return [set_id for set_id in await session.scalars(
                select(ShownMessageRow.set_id).distinct()
                .where(ShownMessageRow.case_id == case_id, ShownMessageRow.kind == MessageKind.DRAFTS.value,
                       ShownMessageRow.account == self._account)
                .order_by(ShownMessageRow.set_id)) if set_id is not None]

    async def unshown_sets(self) -> list[int]:
        shown = (select(ShownMessageRow.message_id)
                 .where(ShownMessageRow.set_id == CaseRow.current_set_id,
                        ShownMessageRow.kind == MessageKind.DRAFTS.value).exists())
        async with self._sessions() as session:
            return [set_id for set_id in await session.scalars(
                select(CaseRow.current_set_id).where(CaseRow.account == self._account,
                                                     CaseRow.current_set_id.is_not(None), ~shown)
                .order_by(CaseRow.id)) if set_id is not None]

    async def voted_open_sets(self) -> list[int]:
        has_post = select(PostRow.id).where(PostRow.set_id == VoteRow.set_id).exists()
        async with self._sessions() as session:
            return list(await session.scalars(
                select(VoteRow.set_id).distinct()
                .join(CaseRow, CaseRow.current_set_id == VoteRow.set_id)
                .join(DraftSetRow, DraftSetRow.id == VoteRow.set_id)
                .where(CaseRow.account == self._account, DraftSetRow.state == SetState.OPEN.value, ~has_post)
                .order_by(VoteRow.set_id)))

    async def case_for_set(self, set_id: int) -> Case | None:
        return await self._one_case(select(CaseRow).join(DraftSetRow, DraftSetRow.news_id == CaseRow.news_id)
                                    .where(DraftSetRow.id == set_id))

    async def set_pending(self, case_id: int, pending: Pending | None, instruction: str | None = None) -> None:
        async with self._writing() as session:
            await session.execute(update(CaseRow).where(CaseRow.id == case_id, CaseRow.account == self._account)
                                  .values(pending=pending.value if pending else None,
                                          pending_instruction=instruction))

    async def set_tone(self, case_id: int, tone: str) -> None:
        async with self._writing() as session:
            await session.execute(update(CaseRow).where(CaseRow.id == case_id, CaseRow.account == self._account)
                                  .values(tone=tone))

    # --- draft sets ---

    async def add_set(self, case: Case, draft_set: DraftSet) -> SetRecord:
        now = self._clock.now()

        async def insert(session: AsyncSession) -> tuple[int, list[int]]:
            set_id, draft_ids = await add_draft_set(session, draft_set, now=now, origin="discord", author_id=None,
                                                    news_id=case.news_id, account=self._account)
            case_key = {"case_key": case.id, "account_key": self._account}
            await session.execute(REPLACE_CURRENT_SET, case_key)
            moved = await session.execute(MAKE_CURRENT_SET, {**case_key, "set_key": set_id})
            if cast(CursorResult[Any], moved).rowcount != 1:
                raise MissingRecord(f"case {case.id}")  # nothing of the set stays: the transaction is undone
            return set_id, draft_ids

        set_id, draft_ids = await self._writes.run(insert)  # the record is made after the write turn is given up
        entries = [DraftEntry(draft_id, number, d.text, d.evidence, d.evidence_found, d.weighted_length,
                              tuple(d.warnings), d.premise, d.pattern, d.needs_source_check,
                              from_json(to_json(d.lengths)))
                   for number, (draft_id, d) in enumerate(zip(draft_ids, draft_set.drafts, strict=True), 1)]
        return SetRecord(set_id, SetState.OPEN, entries, tuple(draft_set.dropped_reasons))

    async def reopen_set(self, case: Case, set_id: int) -> int:
        """A copy of the set's current drafts (with their checks) and network choices as a new open set, which
        becomes the case's current one; the set itself is REPLACED. Votes and confirmations stay behind."""
        async with self._writing() as session:
            old = await session.get(DraftSetRow, set_id)
            if old is None or old.account != self._account or not await session.scalar(
                    select(self._own_case(case.id))):
                raise MissingRecord(f"draft set {set_id}")
            new = DraftSetRow(news_id=old.news_id, created_at=self._clock.now(), instruction=old.instruction,
                              llm_calls=0, prompt_tokens=0, completion_tokens=0, state=SetState.OPEN.value,
                              dropped=list(old.dropped or []), account=self._account)
            session.add(new)
            await session.flush()
            rows = await session.scalars(select(DraftRow).where(DraftRow.set_id == set_id)
                                         .order_by(DraftRow.position, DraftRow.id))
            latest = {row.position: row for row in rows}
            copied = [column.key for column in DraftRow.__table__.columns if column.key not in ("id", "set_id")]
            session.add_all(DraftRow(set_id=new.id, **{key: getattr(row, key) for key in copied})
                            for row in latest.values())
            toggles = await session.scalars(select(NetworkToggleRow).where(NetworkToggleRow.set_id == set_id))
            session.add_all(NetworkToggleRow(set_id=new.id, number=t.number, network=t.network, user_id=t.user_id,
                                             at=t.at) for t in toggles)
            await session.execute(update(DraftSetRow).where(
                DraftSetRow.id == set_id, DraftSetRow.state == SetState.OPEN.value,
            ).values(state=SetState.REPLACED.value))
            await session.execute(update(CaseRow).where(CaseRow.id == case.id).values(
                current_set_id=new.id, pending=None, pending_instruction=None))
            return new.id

    async def set_record(self, set_id: int) -> SetRecord:
        async with self._sessions() as session:
            found = (await session.execute(select(DraftSetRow.state, DraftSetRow.dropped)
                                           .where(DraftSetRow.id == set_id,
                                                  DraftSetRow.account == self._account))).first()
            if found is None:
                raise MissingRecord(f"draft set {set_id}")
            state, dropped = found
            rows = await session.scalars(select(DraftRow).where(DraftRow.set_id == set_id)
                                         .order_by(DraftRow.position, DraftRow.id))
            latest = {row.position: row for row in rows}  # a hand edit is a newer row with the same position
            return SetRecord(set_id, SetState(state), [_entry(row) for row in latest.values()], tuple(dropped or ()))

    async def change_set_state(self, set_id: int, from_state: SetState, to_state: SetState) -> bool:
        async with self._writing() as session:
            result = await session.execute(update(DraftSetRow).where(
                DraftSetRow.id == set_id, DraftSetRow.account == self._account,
                DraftSetRow.state == from_state.value).values(state=to_state.value))
            return cast(CursorResult[Any], result).rowcount == 1

    async def add_draft_version(self, set_id: int, number: int, draft: Draft) -> DraftEntry:
        row = DraftRow(set_id=set_id, position=number, text=draft.text, evidence=draft.evidence,
                       evidence_found=draft.evidence_found, weighted_length=draft.weighted_length,
                       language=draft.language, warnings=draft.warnings, premise=draft.premise,
                       pattern=draft.pattern, needs_source_check=draft.needs_source_check,
                       lengths=to_json(draft.lengths) or None)
        async with self._writing() as session:
            if not await session.scalar(select(self._own_set(set_id))):
                raise MissingRecord(f"draft set {set_id}")
            session.add(row)
        return _entry(row)

    async def draft_number(self, draft_id: int) -> int | None:
        async with self._sessions() as session:
            return await session.scalar(select(DraftRow.position).where(DraftRow.id == draft_id,
                                                                        self._own_set(DraftRow.set_id)))

    # --- messages ---

    async def remember_message(self, message: ShownMessage) -> None:
        await self._writes.run(lambda session: session.execute(INSERT_SHOWN, dict(
            message_id=message.message_id, channel_id=message.channel_id, case_id=message.case_id,
            set_id=message.set_id, kind=message.kind.value,
            numbers={str(n): draft_id for n, draft_id in message.numbers.items()}, body=message.body,
            first=message.first, account=self._account,
        )))

    async def message(self, message_id: int) -> ShownMessage | None:
        async with self._sessions() as session:
            row = await session.get(ShownMessageRow, message_id)
            return _shown(row) if row is not None and row.account == self._account else None

    async def messages_of_set(self, set_id: int, kind: MessageKind) -> list[ShownMessage]:
        async with self._sessions() as session:
            rows = await session.scalars(select(ShownMessageRow).where(
                ShownMessageRow.set_id == set_id, ShownMessageRow.kind == kind.value,
                ShownMessageRow.account == self._account,
            ).order_by(ShownMessageRow.message_id))
            return [_shown(row) for row in rows]

    # --- votes, turns, notices ---

    async def add_vote(self, set_id: int, draft_id: int, voter_id: int) -> bool:
        return await self._insert_once(VoteRow(set_id=set_id, draft_id=draft_id, voter_id=voter_id,
                                               at=self._clock.now()), self._own_set(set_id))

    async def remove_vote(self, draft_id: int, voter_id: int) -> bool:
        async with self._writing() as session:
            result = await session.execute(delete(VoteRow).where(VoteRow.draft_id == draft_id,
                                                                 VoteRow.voter_id == voter_id,
                                                                 self._own_set(VoteRow.set_id)))
            return cast(CursorResult[Any], result).rowcount == 1

    async def voters(self, draft_id: int) -> list[int]:
        async with self._sessions() as session:
            return list(await session.scalars(select(VoteRow.voter_id)
                                              .where(VoteRow.draft_id == draft_id, self._own_set(VoteRow.set_id))
                                              .order_by(VoteRow.id)))

    async def add_confirmation(self, draft_id: int, user_id: int) -> bool:
        return await self._insert_once(SourceConfirmationRow(draft_id=draft_id, user_id=user_id,
                                                             at=self._clock.now()), self._own_draft(draft_id))

    async def remove_confirmation(self, draft_id: int, user_id: int) -> bool:
        async with self._writing() as session:
            result = await session.execute(delete(SourceConfirmationRow).where(
                SourceConfirmationRow.draft_id == draft_id, SourceConfirmationRow.user_id == user_id,
                self._own_draft(draft_id)))
            return cast(CursorResult[Any], result).rowcount == 1

    async def confirmers(self, draft_id: int) -> list[int]:
        async with self._sessions() as session:
            return list(await session.scalars(select(SourceConfirmationRow.user_id)
                                              .where(SourceConfirmationRow.draft_id == draft_id,
                                                     self._own_draft(draft_id))
                                              .order_by(SourceConfirmationRow.at, SourceConfirmationRow.user_id)))

    # --- networks left out ---

    async def add_network_toggle(self, set_id: int, number: int, network: Network, user_id: int) -> bool:
        return await self._insert_once(NetworkToggleRow(set_id=set_id, number=number, network=network.value,
                                                        user_id=user_id, at=self._clock.now()),
                                       self._own_set(set_id))

    async def remove_network_toggle(self, set_id: int, number: int, network: Network, user_id: int) -> bool:
        async with self._writing() as session:
            result = await session.execute(delete(NetworkToggleRow).where(
                NetworkToggleRow.set_id == set_id, NetworkToggleRow.number == number,
                NetworkToggleRow.network == network.value, NetworkToggleRow.user_id == user_id,
                self._own_set(set_id)))
            return cast(CursorResult[Any], result).rowcount == 1

    async def networks_off(self, set_id: int) -> dict[int, frozenset[Network]]:
        async with self._sessions() as session:
            rows = await session.execute(select(NetworkToggleRow.number, NetworkToggleRow.network).distinct()
                                         .where(NetworkToggleRow.set_id == set_id, self._own_set(set_id)))
            off: dict[int, set[Network]] = {}
            for number, network in rows:
                off.setdefault(number, set()).add(Network(network))
            return {number: frozenset(networks) for number, networks in off.items()}

    # --- plans (⏰) ---

    async def plan(self, set_id: int) -> Plan | None:
        async with self._sessions() as session:
            row = await session.scalar(select(PlanRow).where(PlanRow.set_id == set_id, self._own_set(set_id)))
            if row is None:
                return None
            return Plan(row.set_id, row.requested_by, row.requested_at, row.asking, row.planned_at, row.said,
                        row.best_time)

    async def save_plan(self, plan: Plan) -> None:
        async with self._writing() as session:
            if not await session.scalar(select(self._own_set(plan.set_id))):
                raise MissingRecord(f"draft set {plan.set_id}")
            await session.merge(PlanRow(set_id=plan.set_id, requested_by=plan.requested_by,
                                        requested_at=plan.requested_at, asking=plan.asking,
                                        planned_at=plan.planned_at, said=plan.said, best_time=plan.best_time))

    async def add_turn(self, case_id: int, turn: ConversationTurn) -> None:
        async with self._writing() as session:
            if not await session.scalar(select(self._own_case(case_id))):
                raise MissingRecord(f"case {case_id}")
            session.add(TurnRow(case_id=case_id, at=self._clock.now(), author=turn.author[:100], text=turn.text))

    async def turns(self, case_id: int) -> list[ConversationTurn]:
        async with self._sessions() as session:
            rows = await session.scalars(select(TurnRow).where(TurnRow.case_id == case_id, self._own_case(case_id))
                                         .order_by(TurnRow.id))
            return [ConversationTurn(row.author, row.text) for row in rows]

    async def first_notice(self, case_id: int, user_id: int, kind: str) -> bool:
        return await self._insert_once(NoticeRow(case_id=case_id, user_id=user_id, kind=kind[:40],
                                                 account=self._account), self._own_case(case_id))

    async def _insert_once(self, row, owned: ColumnElement[bool]) -> bool:
        """Add ``row`` unless it is there already or its parent (``owned``) is not the account's."""
        try:
            async with self._writing() as session:
                if not await session.scalar(select(owned)):
                    return False
                session.add(row)
        except IntegrityError:
            return False
        return True

    async def _exists(self, condition: ColumnElement[bool]) -> bool:
        async with self._sessions() as session:
            return bool(await session.scalar(select(condition)))


class SqlCommandSyncs:
    """Which slash command definitions each guild has, so they are synced only when they change."""

    def __init__(self, engine: AsyncEngine, clock: Clock | None = None) -> None:
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)
        self._clock = clock or SystemClock()

    async def digest(self, guild_id: int) -> str | None:
        async with self._sessions() as session:
            return await session.scalar(select(CommandSyncRow.digest).where(CommandSyncRow.guild_id == guild_id))

    async def remember(self, guild_id: int, digest: str) -> None:
        async with self._sessions.begin() as session:
            await session.merge(CommandSyncRow(guild_id=guild_id, digest=digest, synced_at=self._clock.now()))
