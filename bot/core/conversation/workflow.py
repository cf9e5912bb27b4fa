"""A news item's way through a conversation: intake, drafts, wishes, hand edits, votes, approval, posting.

Front ends (Discord) translate their events into calls here; everything said goes
through the `Chat` port, everything kept goes through the `WorkflowStore`. One lock
per case serialises what happens to a news item; the post store's compare-and-set
guarantees a single post even across processes.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import timedelta

from bot.core.clock import Clock, SystemClock
from bot.core.conversation.approval import (
    ApprovalPolicy,
    Reactor,
    Refusal,
    refusal_reason,
    refusal_text,
    source_gap,
    source_needed_text,
)
from bot.core.conversation.board import SetBoard
from bot.core.conversation.intents import hand_edit
from bot.core.conversation.ports import Chat, FiguresSince, Members, WorkflowStore
from bot.core.conversation.records import (
    Case,
    DraftEntry,
    MessageKind,
    Pending,
    Plan,
    SetRecord,
    SetState,
    ShownMessage,
    drafts_of,
)
from bot.core.conversation.reopening import carry_votes
from bot.core.conversation.targets import targets, too_long_among
from bot.core.drafting.intake import obtain_news
from bot.core.drafting.lengths import measure
from bot.core.drafting.limits import checked_count
from bot.core.drafting.models import ConversationTurn, Draft, DraftSet, NewsItem
from bot.core.drafting.ports import ArticleSource
from bot.core.drafting.service import DraftingService
from bot.core.drafting.tone import checked_tone, tone_in_wish
from bot.core.errors import InputError, SpitzfederError
from bot.core.networks import Network
from bot.core.planning.best_time import best_hour
from bot.core.planning.phrases import check_window, describe_plan, parse_plan
from bot.core.posting.ports import AuditLog, PostStore, Withdrawal
from bot.core.posting.records import Post, PostState, never_posted, overall_state
from bot.core.posting.service import PostingService
from bot.core.posting.source import source_line
from bot.core.text.rendering import (
    CANCEL,
    CONFIRM,
    DISCARD,
    PLAN,
    PLAN_QUESTION,
    RENEW,
    drafting_failed_text,
    network_of,
    no_target_text,
    number_of,
    plan_label,
    plan_missed,
    planned_answer,
    same_emoji,
    shorten,
    thread_name,
)
from bot.core.text.untrusted import literal

log = logging.getLogger(__name__)

RENEW_WISH = "Ganz neue Fragen, bitte mit anderen Blickwinkeln als die bisherigen."
INTERRUPTED = "Ein Neustart des Bots hat die Arbeit an den Entwürfen unterbrochen."
DRAFTING_CRASHED = "Beim Entwerfen ist ein unerwarteter Fehler aufgetreten; das Protokoll nennt die Ursache."
SHOW_FAILED = "Die neuen Entwürfe sind fertig, ließen sich aber nicht anzeigen (Discord antwortete nicht)."
PLAN_HELD = "Wartet auf eine Zeit (⏰ wurde gefragt)."
BEST_TIME_DAYS = 90
QUEUE_TEXT_CHARS = 80


@dataclass(frozen=True)
class ReactionEvent:
    message_id: int
    channel_id: int
    emoji: str
    reactor: Reactor
    added: bool  # False: the reaction was removed
    from_self: bool = False  # the bot's own reactions (its number buttons) are never acted on


class Workflow:
    def __init__(self, *, drafting: DraftingService, articles: ArticleSource, store: WorkflowStore,
                 posts: PostStore, posting: PostingService, audit: AuditLog, chat: Chat, members: Members,
                 board: SetBoard, policy: ApprovalPolicy, undo_seconds: int, default_count: int,
                 source_as_reply: bool = False, clock: Clock | None = None, best_time: str = "Di 08:00",
                 figures: FiguresSince | None = None) -> None:
        """Plans (⏰) are read on the board's clock face (its time zone); ``best_time`` is the account's default
        hour of the week for „zur besten Zeit", ``figures`` its posts' engagement (None: always the default)."""
        self._drafting = drafting
        self._articles = articles
        self._store = store
        self._posts = posts
        self._posting = posting
        self._audit = audit
        self._chat = chat
        self._members = members
        self._board = board
        self.policy = policy
        self._undo_seconds = undo_seconds
        self._default_count = default_count
        self._source_as_reply = source_as_reply  # SOURCE_AS_REPLY: the source goes out as a reply under the post
        self._clock = clock or SystemClock()
        self._best_time = best_time
        self._figures = figures
        self._locks: defaultdict[int, asyncio.Lock] = defaultdict(asyncio.Lock)

    # --- intake ---

    async def read_news(self, text: str, url: str | None = None) -> NewsItem:
        """Text and/or URL to a news item; raises SpitzfederError with a German message."""
        return await obtain_news(self._drafting, self._articles, text=text, url=url)

    async def take_news(self, news: NewsItem, *, origin: str, requester_id: int, guild_id: int | None,
                        channel_id: int, anchor_message_id: int | None, count: int | None = None,
                        tone: str | None = None) -> Case:
        """Open the news item's place (a thread on the anchor message in a guild, else the DM), store it as a case
        and show its first drafts. The model starts on them at once, while the thread is opened and the case is
        stored: in a burst of news Discord opens one channel's threads one at a time and the stores queue behind
        one another, and the drafts need not wait for either. (The chat adapter has refused news where the bot
        may not open threads before it read them.)"""
        count = checked_count(count or self._default_count)
        tone = self.check_tone(tone)
        drafting = asyncio.create_task(self._drafting.draft(news, count, tone=tone))
        try:
            place = channel_id
            if guild_id is not None and anchor_message_id is not None:
                place = await self._chat.open_thread(channel_id, anchor_message_id, thread_name(news))
            case = await self._store.create_case(news, origin=origin, requester_id=requester_id,
                                                 guild_id=guild_id, channel_id=place, count=count, tone=tone)
        except BaseException:
            drafting.cancel()  # a news item without its place or not stored gets no drafts
            drafting.add_done_callback(_ignored)  # (an error it ended with already is no news)
            raise
        log.info("news received: case %d from %s (%d chars, url: %s)", case.id, origin, len(news.text),
                 "yes" if news.url else "no")
        async with self._locks[case.id]:
            await self._produce(case, Pending.DRAFT, drafting=drafting)
        return case

    @staticmethod
    def check_tone(tone: str | None) -> str | None:
        """The tone asked for (None: the default); raises InputError with the possible tones for an unknown one."""
        return checked_tone(tone) if tone and tone.strip() else None

    @property
    def networks(self) -> list[Network]:
        """The active networks (those posts can go to), in the usual order."""
        return self._posting.networks

    async def case_in(self, channel_id: int) -> Case | None:
        return await self._store.latest_case_in(channel_id)

    async def posted(self, case: Case) -> bool:
        """Whether the news item's question is out (then a question about the numbers is not a wish)."""
        posts = await self._posts.for_set(case.current_set_id) if case.current_set_id else []
        return any(post.state is PostState.POSTED for post in posts)

    # --- conversation ---

    async def wish(self, case: Case, author: str, text: str) -> None:
        """A message in the case's thread: a wish for new drafts ("kürzer", "ohne Anglizismen", …)."""
        async with self._locks[case.id]:
            case = await self._store.case(case.id)
            if await self._say_if_closed(case):
                return
            if case.current_set_id is None:
                await self._produce(case, Pending.DRAFT)
            else:
                named = tone_in_wish(text)
                if named is not None and named != case.tone:
                    await self._store.set_tone(case.id, named)  # this and every later set of the case
                    case.tone = named
                await self._produce(case, Pending.REFINE, text.strip(), author=author)

    async def hand_edit(self, case: Case, author: str, number: int, text: str, evidence: str = "") -> None:
        """`2: <text> | Beleg: <quote>`: replace draft 2 by hand; the new version is checked and can be approved
        like any draft. Without a quote found in the news it needs an approver's ✅ (see ApprovalPolicy)."""
        async with self._locks[case.id]:
            case = await self._store.case(case.id)
            withdraw = await self._planned_approval_of(case, number)
            if not withdraw and await self._say_if_closed(case, edit=number):
                return
            if case.current_set_id is None:
                await self._chat.send(case.channel_id, "Es gibt noch keine Entwürfe, die ich ersetzen könnte.")
                return
            record = await self._store.set_record(case.current_set_id)
            if record.draft(number) is None:
                await self._chat.send(case.channel_id,
                                      f"Entwurf {number} gibt es nicht (Entwürfe 1–{len(record.drafts)}).")
                return
            others = [d.as_draft() for d in record.drafts if d.number != number]
            try:
                # The checks take milliseconds on a long news item (language, evidence search): off the event loop.
                draft = await asyncio.to_thread(self._drafting.check_manual, case.news, text, others,
                                                evidence=evidence)
            except InputError as exc:
                await self._chat.send(case.channel_id, exc.user_message)
                return
            if not draft.usable:
                problems = "; ".join(p.label for p in draft.problems if p.fatal)
                await self._chat.send(case.channel_id,
                                      f"Der neue Text für Entwurf {number} geht so nicht: {problems}. Bitte anpassen.")
                return
            if withdraw:
                await self._withdraw_for_edit(case, record.id, number, author, text, draft)
                return
            entry = await self._store.add_draft_version(record.id, number, draft)
            await self._store.add_turn(case.id, ConversationTurn(author, f"Entwurf {number} von Hand ersetzt: {text}"))
            await self._audit.record("hand_edit", actor=author, set_id=record.id,
                                     detail=f"draft {number}" + (", with evidence" if evidence else ""))
            log.info("hand edit: case %d, set %d, draft %d", case.id, record.id, number)
            await self._board.show_edit(case, record.id, entry)

    async def _planned_approval_of(self, case: Case, number: int) -> bool:
        """Whether draft ``number`` is the approved draft of the current set, planned and not yet attempted."""
        if case.current_set_id is None:
            return False
        posts = await self._posts.for_set(case.current_set_id)
        if not posts or await self._store.draft_number(posts[0].draft_id) != number:
            return False
        return all(post.planned and post.attempts == 0 and (post.state is PostState.SCHEDULED or plan_missed(post))
                   for post in posts)

    async def _withdraw_for_edit(self, case: Case, set_id: int, number: int, author: str, text: str,
                                 draft: Draft) -> None:
        """A hand edit of a planned, approved draft: its posts are cancelled, the drafts come up for a new vote
        (a copy of the set with the new text), and the plan carries over. Only the edited draft loses its votes
        and ✅: those for the other drafts still count in the copy."""
        await self._posting.cancel(set_id, by=author)
        if any(post.state is not PostState.CANCELLED for post in await self._posts.for_set(set_id)):
            await self._chat.send(case.channel_id, f"Entwurf {number} lässt sich nicht mehr ersetzen: er ist "
                                                   "schon unterwegs.")
            return
        new_set = await self._store.reopen_set(case, set_id)
        await self._store.add_draft_version(new_set, number, draft)
        kept = await carry_votes(self._store, set_id, new_set, edited=number)
        plan = await self._store.plan(set_id)
        if plan is not None:
            await self._store.save_plan(Plan(new_set, plan.requested_by, plan.requested_at, plan.asking,
                                             plan.planned_at, plan.said, plan.best_time))
        await self._store.add_turn(case.id, ConversationTurn(author, f"Entwurf {number} von Hand ersetzt: {text}"))
        await self._audit.record("approval_withdrawn_by_edit", actor=author, set_id=set_id,
                                 detail=f"draft {number}; new set {new_set}; {kept} other votes kept")
        log.info("hand edit of a planned draft: set %d withdrawn, set %d open for votes (%d other votes kept)",
                 set_id, new_set, kept)
        others = " Stimmen für die anderen Entwürfe gelten weiter." if kept else ""
        await self._chat.send(case.channel_id, f"✏️ Entwurf {number} wurde nach der Freigabe von Hand geändert: die "
                                               "Freigabe ist zurückgezogen, nichts wurde gepostet. Bitte für den "
                                               f"neuen Text neu abstimmen (der Plan bleibt).{others}")
        case.current_set_id = new_set
        await self._deliver(case, new_set, [set_id])

    # --- reactions ---

    async def on_reaction(self, event: ReactionEvent) -> None:
        if event.from_self:
            return
        shown = await self._store.message(event.message_id)
        if shown is None:
            return
        number = number_of(event.emoji)
        async with self._locks[shown.case_id]:
            case = await self._store.case(shown.case_id)
            if number is not None and number in shown.numbers:
                if event.added:
                    await self._vote(case, shown, number, event)
                else:
                    await self._withdraw(shown, number, event.reactor)
            elif same_emoji(event.emoji, CONFIRM) and shown.kind in (MessageKind.DRAFTS, MessageKind.EDIT):
                if event.added:
                    await self._confirm(case, shown, event)
                else:
                    await self._unconfirm(shown, event.reactor)
            elif (network := network_of(event.emoji)) is not None and shown.kind in (MessageKind.DRAFTS,
                                                                                      MessageKind.EDIT):
                await self._toggle(case, shown, network, event)
            elif not event.added:
                return
            elif same_emoji(event.emoji, CANCEL):
                await self._cancel(case, shown, event)
            elif same_emoji(event.emoji, PLAN):
                await self._ask_plan(case, shown, event)
            elif same_emoji(event.emoji, RENEW):
                await self._renew(case, shown, event)
            elif same_emoji(event.emoji, DISCARD):
                await self._discard(case, shown, event)

    async def _vote(self, case: Case, shown: ShownMessage, number: int, event: ReactionEvent) -> None:
        reactor, set_id, draft_id = event.reactor, shown.set_id, shown.numbers[number]
        if set_id is None:
            return  # numbers are only on messages of a set
        refusal = self.policy.may_vote(reactor, requester_id=case.requester_id)
        if refusal:
            await self._refuse(case, shown, event, refusal)
            return
        record = await self._store.set_record(set_id)
        if await self._posts.for_set(set_id) or record.state is not SetState.OPEN or set_id != case.current_set_id:
            await self._audit.record("vote_ignored", actor=str(reactor.user_id), set_id=set_id,
                                     detail=f"draft {number}: set no longer open")
            if await self._store.first_notice(case.id, reactor.user_id, f"closed:{set_id}"):
                status = await self._board.status(set_id)
                await self._chat.send(case.channel_id, f"Über diese Entwürfe wird nicht mehr abgestimmt "
                                                       f"(Status: {status}). Deine Reaktion zählt nicht.")
            return
        current = record.draft(number)
        if current is None or current.id != draft_id:
            if await self._store.first_notice(case.id, reactor.user_id, f"edited:{draft_id}"):
                await self._chat.send(case.channel_id, f"Entwurf {number} wurde von Hand ersetzt: bitte bei der "
                                                       "neuen Fassung abstimmen.")
            return
        if not await self._store.add_vote(set_id, draft_id, reactor.user_id):
            return  # the same approver again
        voters = await self._store.voters(draft_id)
        await self._audit.record("vote", actor=str(reactor.user_id), set_id=set_id,
                                 detail=f"draft {number} ({len(voters)}/{self.policy.required})")
        log.info("vote: set %d, draft %d, %d/%d", set_id, number, len(voters), self.policy.required)
        if self.policy.approved(voters):
            voters = await self._still_entitled(case, set_id, draft_id, number, voters, fresh=reactor.user_id)
        confirmed = await self._source_confirmed(case, set_id, current)
        if self.policy.approved(voters) and confirmed:
            await self._approve(case, set_id, current, voters)
            return
        counted = f"Stimme für Entwurf {number} gezählt ({len(voters)}/{self.policy.required})."
        if not confirmed and await self._store.first_notice(case.id, 0, f"source:{draft_id}"):
            counted += " " + source_needed_text(number, source_gap(current.warnings, current.evidence))
        elif not confirmed:
            counted += f" Es fehlt noch ein {CONFIRM} „Quelle geprüft“."
        await self._chat.send(case.channel_id, counted)

    async def _approve(self, case: Case, set_id: int, entry: DraftEntry, voters: list[int], *,
                       quiet: bool = False) -> bool:
        """Schedule the approved draft on the networks left for it (the post store lets only one post per set and
        network through); False when no network is left (said in the thread unless ``quiet``)."""
        off = (await self._store.networks_off(set_id)).get(entry.number, frozenset())
        # Measured again now: the limits in force may differ from those when the draft was checked (a network
        # switched on since, Mastodon's instance limit read anew).
        entry = replace(entry, lengths=measure(entry.text, self._drafting.rules.limits))
        networks = targets(entry, self.networks, off)
        if not networks:
            log.info("approval held: set %d, draft %d can go to no network", set_id, entry.number)
            if not quiet:
                left_out = [network for network in self.networks if network in off]
                too_long = [n for n in too_long_among(entry, self.networks) if n not in off]
                await self._chat.send(case.channel_id, no_target_text(entry.number, left_out, too_long))
            return False
        plan = await self._store.plan(set_id)
        planned_at = plan.planned_at if plan and plan.planned_at and plan.planned_at > self._clock.now() else None
        posts = await self._posting.approve(
            set_id=set_id, draft_id=entry.id, text=entry.text, source_url=case.news.url,
            source_line=source_line(case.news) if self._source_as_reply else None,
            approved_by=[str(v) for v in voters], undo_seconds=self._undo_seconds, networks=networks,
            planned_at=planned_at)
        if posts:
            log.info("approved: set %d, draft %d, posts %s%s", set_id, entry.number,
                     ", ".join(f"{post.id} ({post.network.value})" for post in posts),
                     f", planned {planned_at.isoformat()}" if planned_at else "")
            if plan is not None and plan.planned_at is not None and planned_at is None and not plan.asking:
                await self._chat.send(case.channel_id, f"{PLAN} Die geplante Zeit "
                                                       f"({plan_label(plan.planned_at, self._board.tz)}) ist schon "
                                                       "vorbei: es gilt die übliche Wartezeit.")
            if plan is not None and plan.asking and planned_at is None:  # ⏰ asked, no time yet: wait for it
                await self._posting.hold(set_id, by=str(plan.requested_by), reason=PLAN_HELD)
                await self._board.refresh(set_id)
        return True

    async def _approve_if_ready(self, case: Case, set_id: int, entry: DraftEntry, *, quiet: bool = False) -> bool:
        """Approve a draft whose votes (and ✅ where needed) are all there; True when it was scheduled."""
        voters = await self._store.voters(entry.id)
        if self.policy.approved(voters):
            voters = await self._still_entitled(case, set_id, entry.id, entry.number, voters)
        if self.policy.approved(voters) and await self._source_confirmed(case, set_id, entry):
            return await self._approve(case, set_id, entry, voters, quiet=quiet)
        return False

    # --- networks (🐦 🦋 🐘: an approver leaves a network out before approval) ---

    async def _toggle(self, case: Case, shown: ShownMessage, network: Network, event: ReactionEvent) -> None:
        """A network reaction added (that network is left out for the drafts the message shows) or removed (it is
        in again). Only approvers, only before approval; a draft held back for want of a network may then go."""
        set_id, user_id = shown.set_id, event.reactor.user_id
        if set_id is None or not shown.numbers or len(self.networks) < 2 or network not in self.networks:
            return
        # A removal carries no roles (Discord sends no member then); only an approver's toggle was ever stored.
        refusal = self.policy.may_act(event.reactor) if event.added else None
        if refusal:
            await self._refuse(case, shown, event, refusal)
            return
        record = await self._store.set_record(set_id)
        if await self._posts.for_set(set_id) or record.state is not SetState.OPEN or set_id != case.current_set_id:
            await self._audit.record("network_toggle_ignored", actor=str(user_id), set_id=set_id,
                                     detail=f"{network.value}: set no longer open")
            if event.added and await self._store.first_notice(case.id, user_id, f"toggle:{set_id}"):
                await self._chat.send(case.channel_id, f"{network.emoji} ändert nichts mehr: die Netzwerke stehen "
                                                       f"mit der Freigabe fest ({CANCEL} bricht in der Wartezeit ab).")
            return
        changed = []
        for number in sorted(shown.numbers):
            if event.added:
                done = await self._store.add_network_toggle(set_id, number, network, user_id)
            else:
                done = await self._store.remove_network_toggle(set_id, number, network, user_id)
            if done:
                changed.append(number)
        if not changed:
            return
        what = "network_off" if event.added else "network_on"
        await self._audit.record(what, actor=str(user_id), set_id=set_id,
                                 detail=f"{network.value}: draft {','.join(map(str, changed))}")
        log.info("%s: set %d, %s, drafts %s", what, set_id, network.value, changed)
        await self._board.refresh(set_id)
        if not event.added:
            for number in changed:
                entry = record.draft(number)
                if entry is not None and await self._approve_if_ready(case, set_id, entry, quiet=True):
                    return

    # --- source confirmation (✅ „Quelle geprüft") ---

    async def _source_confirmed(self, case: Case, set_id: int, entry: DraftEntry) -> bool:
        """True when the draft needs no ✅, or an approver who still may act has given one.

        A confirmation of someone who lost the approver rights meanwhile is dropped (audit log)."""
        if not self.policy.needs_source_check(entry.needs_source_check):
            return True
        for user_id in await self._store.confirmers(entry.id):
            roles = await self._members.roles(user_id, case.guild_id)
            if roles is not None and self.policy.may_act(Reactor(user_id, roles)) is None:
                return True
            await self._store.remove_confirmation(entry.id, user_id)
            await self._audit.record("source_confirmation_dropped", actor=str(user_id), set_id=set_id,
                                     detail=f"draft {entry.number}: no approver any more")
        return False

    async def _confirm(self, case: Case, shown: ShownMessage, event: ReactionEvent) -> None:
        """✅ by an approver: „Quelle geprüft" for the drafts this message shows; votes waiting for it approve."""
        set_id, user_id = shown.set_id, event.reactor.user_id
        if set_id is None or not shown.numbers:
            return
        refusal = self.policy.may_act(event.reactor)
        if refusal:
            await self._refuse(case, shown, event, refusal)
            return
        record = await self._store.set_record(set_id)
        if await self._posts.for_set(set_id) or record.state is not SetState.OPEN or set_id != case.current_set_id:
            return  # nothing left to approve here
        gated: list[DraftEntry] = []
        for number, draft_id in sorted(shown.numbers.items()):
            entry = record.draft(number)
            if entry is None or entry.id != draft_id:
                continue  # replaced by a hand edit: the new version has its own message
            if not self.policy.needs_source_check(entry.needs_source_check):
                continue  # its votes approve it without ✅
            if await self._store.add_confirmation(draft_id, user_id):
                await self._audit.record("source_confirmed", actor=str(user_id), set_id=set_id,
                                         detail=f"draft {number}")
                gated.append(entry)
        if not gated:
            return
        log.info("source confirmed: set %d, drafts %s", set_id, ",".join(str(e.number) for e in gated))
        numbers = ", ".join(str(entry.number) for entry in gated)
        await self._chat.send(case.channel_id, f"{CONFIRM} Quelle geprüft von {self._chat.mention(user_id)}: "
                                               f"Entwurf {numbers}.")
        for entry in gated:
            voters = await self._store.voters(entry.id)
            if self.policy.approved(voters):
                voters = await self._still_entitled(case, set_id, entry.id, entry.number, voters)
            if self.policy.approved(voters) and await self._approve(case, set_id, entry, voters):
                return

    async def _unconfirm(self, shown: ShownMessage, reactor: Reactor) -> None:
        """✅ removed before approval: the confirmation is withdrawn."""
        if shown.set_id is None or await self._posts.for_set(shown.set_id):
            return  # after approval only ❌ stops the post
        for number, draft_id in sorted(shown.numbers.items()):
            if await self._store.remove_confirmation(draft_id, reactor.user_id):
                await self._audit.record("source_unconfirmed", actor=str(reactor.user_id), set_id=shown.set_id,
                                         detail=f"draft {number}")
                log.info("source confirmation withdrawn: set %d, draft %d", shown.set_id, number)

    async def _still_entitled(self, case: Case, set_id: int, draft_id: int, number: int, voters: list[int],
                              fresh: int | None = None) -> list[int]:
        """The votes that still count when a quorum would be reached; the others are dropped and said so.

        ``fresh``: the voter whose rights were checked a moment ago (the deciding vote).
        """
        entitled = []
        for voter in voters:
            if voter == fresh:
                entitled.append(voter)
                continue
            refusal, left = await self._entitlement(case, voter)
            if refusal is None:
                entitled.append(voter)
                continue
            await self._store.remove_vote(draft_id, voter)
            why = "nicht mehr auf dem Server" if left else refusal_reason(refusal)
            await self._audit.record("vote_dropped", actor=str(voter), set_id=set_id,
                                     detail=f"draft {number}: {refusal.value}" + (", left" if left else ""))
            log.info("vote dropped: set %d, draft %d, voter %d (%s)", set_id, number, voter, why)
            await self._chat.send(case.channel_id, f"Die Stimme von {self._chat.mention(voter)} für Entwurf {number} "
                                                   f"zählt nicht mehr ({why}).")
        return entitled

    async def _entitlement(self, case: Case, voter: int) -> tuple[Refusal | None, bool]:
        """Why ``voter`` may not approve now (None: may), and whether they left the server."""
        roles = await self._members.roles(voter, case.guild_id)
        if roles is None:
            return Refusal.NOT_APPROVER, True
        return self.policy.may_vote(Reactor(voter, roles), requester_id=case.requester_id), False

    async def still_approved(self, post: Post) -> Withdrawal | None:
        """When a post's undo window ends: do its approvals still reach the quorum (roles, policy, self-approval),
        and does its source check (✅) still hold where the draft needs one?

        The guard of `PostingService`; a Withdrawal names the approvers whose approval lapsed, in German.
        """
        case = await self._store.case_for_set(post.set_id)
        if case is None:
            return None  # a post made outside a conversation has no votes to check
        kept: list[str] = []
        lapsed: list[tuple[str, str, str]] = []
        for approver in post.approved_by:
            if not approver.isdigit():
                kept.append(approver)
                continue
            refusal, left = await self._entitlement(case, int(approver))
            if refusal is None:
                kept.append(approver)
            else:
                lapsed.append((approver, "nicht mehr auf dem Server" if left else refusal_reason(refusal),
                               refusal.value + (", left" if left else "")))
        if not lapsed or len(set(kept)) >= self.policy.required:  # the quorum holds without them
            return await self._confirmation_lapsed(case, post)
        said = "; ".join(f"Die Freigabe von {self._chat.mention(int(who))} gilt nicht mehr ({why})"
                         for who, why, _ in lapsed)
        return Withdrawal(tuple(who for who, _, _ in lapsed), f"{said}.",
                          detail="; ".join(f"{who}: {code}" for who, _, code in lapsed))

    async def _confirmation_lapsed(self, case: Case, post: Post) -> Withdrawal | None:
        """The post's draft needs ✅, and nobody who may still approve has given it (any more)."""
        record = await self._store.set_record(post.set_id)
        entry = next((draft for draft in record.drafts if draft.id == post.draft_id), None)
        if entry is None or await self._source_confirmed(case, post.set_id, entry):
            return None
        return Withdrawal((), f"Die Bestätigung {CONFIRM} „Quelle geprüft“ gilt nicht mehr (keine "
                              "Freigabe-Berechtigung mehr).", detail="source confirmation lapsed")

    async def _withdraw(self, shown: ShownMessage, number: int, reactor: Reactor) -> None:
        if shown.set_id is None or await self._posts.for_set(shown.set_id):
            return  # after approval only ❌ stops the post
        if await self._store.remove_vote(shown.numbers[number], reactor.user_id):
            await self._audit.record("vote_withdrawn", actor=str(reactor.user_id), set_id=shown.set_id,
                                     detail=f"draft {number}")
            log.info("vote withdrawn: set %d, draft %d", shown.set_id, number)

    async def _cancel(self, case: Case, shown: ShownMessage, event: ReactionEvent) -> None:
        if shown.set_id is None:
            return
        refusal = self.policy.may_act(event.reactor)
        if refusal:
            await self._refuse(case, shown, event, refusal)
            return
        if await self._posting.cancel(shown.set_id, by=str(event.reactor.user_id)):
            log.info("cancelled: set %d", shown.set_id)
            return
        posts = await self._posts.for_set(shown.set_id)
        if any(post.state in (PostState.IN_FLIGHT, PostState.POSTED) for post in posts):
            await self._chat.send(case.channel_id, "Zu spät zum Abbrechen: der Entwurf ist schon unterwegs.")

    async def _renew(self, case: Case, shown: ShownMessage, event: ReactionEvent) -> None:
        if event.reactor.is_bot:
            return
        if shown.kind is MessageKind.ERROR:
            if case.pending is Pending.SHOW and case.current_set_id is not None:
                await self._deliver(case, case.current_set_id, None)
            # Not once a draft is approved: a new set would open a second way to X for the same news item.
            elif case.pending is not None and not await self._say_if_closed(case):
                await self._produce(case, case.pending, case.pending_instruction)
            return
        if shown.set_id is None:
            return
        posts = await self._posts.for_set(shown.set_id)
        if any(post.state is PostState.FAILED and post.retryable for post in posts):
            refusal = self.policy.may_act(event.reactor)
            if refusal:
                await self._refuse(case, shown, event, refusal)
            elif await self._posting.retry(shown.set_id, by=str(event.reactor.user_id)):
                log.info("post retry: set %d", shown.set_id)
            return
        if posts and not all(map(never_posted, posts)):
            return
        record = await self._store.set_record(shown.set_id)
        if record.state is SetState.OPEN and shown.set_id == case.current_set_id:
            await self._produce(case, Pending.RENEW, RENEW_WISH, author=str(event.reactor.user_id))

    async def _discard(self, case: Case, shown: ShownMessage, event: ReactionEvent) -> None:
        if shown.set_id is None or shown.set_id != case.current_set_id:
            return
        if event.reactor.user_id != case.requester_id or event.reactor.is_bot:
            refusal = self.policy.may_act(event.reactor)
            if refusal:
                await self._refuse(case, shown, event, refusal)
                return
        posts = await self._posts.for_set(shown.set_id)
        if posts and not all(map(never_posted, posts)):
            await self._chat.send(case.channel_id, "Ein freigegebener Entwurf lässt sich nicht verwerfen "
                                                   f"({CANCEL} bricht in der Wartezeit ab).")
            return
        if await self._store.change_set_state(shown.set_id, SetState.OPEN, SetState.DISCARDED):
            await self._audit.record("discarded", actor=str(event.reactor.user_id), set_id=shown.set_id)
            log.info("discarded: set %d", shown.set_id)
            await self._chat.send(case.channel_id, f"🗑️ Verworfen von {self._chat.mention(event.reactor.user_id)}.")
            await self._board.refresh(shown.set_id)

    async def _refuse(self, case: Case, shown: ShownMessage, event: ReactionEvent, refusal: Refusal) -> None:
        user_id = event.reactor.user_id
        await self._chat.remove_reaction(event.channel_id, event.message_id, event.emoji, user_id)
        await self._audit.record("reaction_refused", actor=str(user_id), set_id=shown.set_id,
                                 detail=f"{event.emoji} {refusal.value}")
        log.info("reaction refused: set %s, %s", shown.set_id, refusal.value)
        if await self._store.first_notice(case.id, user_id, refusal.value):
            await self._chat.send(case.channel_id, refusal_text(refusal, self._chat.mention(user_id)))

    # --- plans (⏰ or /planen: when an approved draft goes out) ---

    async def _ask_plan(self, case: Case, shown: ShownMessage, event: ReactionEvent) -> None:
        """⏰ by an approver on the set's messages: ask in the thread for a time (the next approver's message)."""
        set_id, user_id = shown.set_id, event.reactor.user_id
        if set_id is None:
            return
        refusal = self.policy.may_act(event.reactor)
        if refusal:
            await self._refuse(case, shown, event, refusal)
            return
        why = await self._unplannable(case, set_id)
        if why:
            await self._chat.send(case.channel_id, why)
            return
        old = await self._store.plan(set_id)
        await self._store.save_plan(Plan(set_id, user_id, self._clock.now(), asking=True,
                                         planned_at=old.planned_at if old else None, said=old.said if old else "",
                                         best_time=old.best_time if old else False))
        await self._audit.record("plan_asked", actor=str(user_id), set_id=set_id)
        question = PLAN_QUESTION
        if await self._posting.hold(set_id, by=str(user_id), reason=PLAN_HELD):
            question += f" Bis dahin geht nichts raus ({RENEW} an der Freigabe postet sofort, {CANCEL} bricht ab)."
            await self._board.refresh(set_id)
        await self._chat.send(case.channel_id, question)

    async def answer_plan(self, case: Case, reactor: Reactor, text: str) -> bool:
        """A message in the thread: when ⏰ asked for a time and an approver writes, it is the time (not a wish).
        False when it is no answer (no question open, or not from an approver)."""
        if case.current_set_id is None:
            return False
        async with self._locks[case.id]:
            case = await self._store.case(case.id)
            set_id = case.current_set_id
            plan = await self._store.plan(set_id) if set_id is not None else None
            if (set_id is None or plan is None or not plan.asking or hand_edit(text) is not None
                    or self.policy.may_act(reactor) is not None):
                return False
            try:
                said = await self._plan(case, set_id, text, reactor.user_id)
            except InputError as exc:
                said = f"{exc.user_message} {PLAN} Die Frage bleibt offen: bitte eine Zeit schreiben."
            await self._chat.send(case.channel_id, said)
            return True

    async def plan_by_command(self, channel_id: int, reactor: Reactor, number: int, text: str) -> str:
        """`/planen entwurf: zeit:` in a case's thread: what ⏰ and the answer do; returns the German answer."""
        refusal = self.policy.may_act(reactor)
        if refusal:
            return refusal_text(refusal, self._chat.mention(reactor.user_id))
        case = await self._store.latest_case_in(channel_id)
        if case is None or case.current_set_id is None:
            return "Hier gibt es keine Entwürfe zum Planen: `/planen` bitte im Thread einer Meldung."
        async with self._locks[case.id]:
            case = await self._store.case(case.id)
            set_id = case.current_set_id
            if set_id is None:
                return "Hier gibt es noch keine Entwürfe zum Planen."
            record = await self._store.set_record(set_id)
            if record.draft(number) is None:
                return f"Entwurf {number} gibt es nicht (Entwürfe 1–{len(record.drafts)})."
            posts = await self._posts.for_set(set_id)
            if posts and (chosen := await self._store.draft_number(posts[0].draft_id)) != number:
                return f"Freigegeben ist Entwurf {chosen}, nicht Entwurf {number}: geplant wird der freigegebene."
            try:
                return await self._plan(case, set_id, text, reactor.user_id)
            except InputError as exc:
                return exc.user_message

    async def _plan(self, case: Case, set_id: int, text: str, user_id: int) -> str:
        """Store the plan read from ``text`` (and move the approved draft's posts); the German confirmation.
        Raises InputError for an unreadable time."""
        why = await self._unplannable(case, set_id)
        old = await self._store.plan(set_id)
        if why:
            if old is not None and old.asking:
                await self._store.save_plan(Plan(set_id, old.requested_by, old.requested_at, False, old.planned_at,
                                                 old.said, old.best_time))
            return why
        now, tz = self._clock.now(), self._board.tz
        parsed = parse_plan(text, now=now, tz=tz)
        if parsed.best_time:
            figures = await self._figures(now - timedelta(days=BEST_TIME_DAYS)) if self._figures else []
            best = best_hour(figures, now=now, tz=tz, default=self._best_time, window_days=BEST_TIME_DAYS)
            when, remarks = best.when_utc, [f"Beste Zeit: {best.reason}."]
            check_window(when, now=now, tz=tz)
        else:
            assert parsed.when_utc is not None, "a plan without the best time has its instant"
            when, remarks = parsed.when_utc, list(parsed.notes)
        await self._store.save_plan(Plan(set_id, user_id, now, asking=False, planned_at=when,
                                         said=" ".join(text.split())[:200], best_time=parsed.best_time))
        moved = await self._posting.replan(set_id, when, by=str(user_id))
        await self._audit.record("planned", actor=str(user_id), set_id=set_id,
                                 detail=when.isoformat() + (" (best time)" if parsed.best_time else ""))
        log.info("planned: set %d for %s%s", set_id, when.isoformat(), ", posts moved" if moved else "")
        await self._board.refresh(set_id)
        tail = (f"Der freigegebene Entwurf wartet bis dahin ({CANCEL} an der Freigabe bricht ab)." if moved else
                "Sobald ein Entwurf freigegeben ist, wartet er bis dahin statt auf die übliche Wartezeit.")
        return " ".join([planned_answer(describe_plan(when, now=now, tz=tz), plan_label(when, tz)), *remarks, tail])

    async def _unplannable(self, case: Case, set_id: int) -> str | None:
        """Why the set cannot be planned (any more), in German; None while it can."""
        record = await self._store.set_record(set_id)
        if record.state is not SetState.OPEN or set_id != case.current_set_id:
            return f"{PLAN} Diese Entwürfe sind nicht mehr aktuell: geplant wird an den neuesten."
        posts = await self._posts.for_set(set_id)
        # Waiting posts move to the new time; failed ones (a missed plan, or 🔁-able) are scheduled for it.
        if not posts or any(post.state is PostState.SCHEDULED or (post.state is PostState.FAILED and post.retryable)
                            for post in posts):
            return None
        return f"{PLAN} Da gibt es nichts mehr zu planen (Status: {await self._board.status(set_id)})."

    async def queue_text(self) -> str:
        """`/warteschlange`: the planned posts still waiting, by time (German)."""
        waiting = [post for post in await self._posts.in_state(PostState.SCHEDULED) if post.planned]
        if not waiting:
            return "Nichts geplant."
        by_set: dict[int, list[Post]] = defaultdict(list)
        for post in waiting:
            by_set[post.set_id].append(post)
        tz = self._board.tz
        lines = [f"{PLAN} Geplante Posts:"]
        for posts in sorted(by_set.values(), key=lambda group: min(post.due_at for post in group)):
            first = min(posts, key=lambda post: post.due_at)
            who = ", ".join(self._chat.mention(int(v)) if v.isdigit() else v for v in first.approved_by)
            where = ", ".join(post.network.label for post in posts)
            line = (f"• {plan_label(first.due_at, tz)} — „{literal(shorten(first.text, QUEUE_TEXT_CHARS))}“ — "
                    f"freigegeben von {who or 'niemandem'} — {where}")
            if sum(len(kept) + 1 for kept in lines) + len(line) > self._chat.max_message_chars - 40:
                lines.append(f"… und {len(by_set) - len(lines) + 1} weitere")
                break
            lines.append(line)
        return "\n".join(lines)

    # --- drafting jobs ---

    async def _produce(self, case: Case, kind: Pending, instruction: str | None = None, *,
                       author: str | None = None, drafting: asyncio.Task[DraftSet] | None = None) -> None:
        """Make a set (first drafts, wish or renewal) and show it; a failure is shown with 🔁 to retry.
        ``drafting``: the first drafts, already asked for."""
        if (case.pending, case.pending_instruction) != (kind, instruction):
            await self._store.set_pending(case.id, kind, instruction)  # a crash or failure leaves 🔁 its job
            case.pending, case.pending_instruction = kind, instruction
        try:
            async with self._chat.working(case.channel_id):
                draft_set = await (drafting or self._make_set(case, kind, instruction))
        except SpitzfederError as exc:
            log.warning("drafting failed: case %d (%s): %s", case.id, kind.value, exc.detail or exc.user_message)
            await self._show_failure(case, exc.user_message)
            return
        except Exception:  # whatever killed the job, the thread hears of it and 🔁 can run it again
            log.exception("drafting failed unexpectedly: case %d (%s)", case.id, kind.value)
            await self._show_failure(case, DRAFTING_CRASHED)
            return
        previous = case.current_set_id
        record = await self._store.add_set(case, draft_set)
        case.current_set_id, case.pending, case.pending_instruction = record.id, None, None
        if kind is Pending.REFINE and instruction:
            await self._store.add_turn(case.id, ConversationTurn(author or "Team", instruction))
        log.info("drafts ready: case %d, set %d, %d drafts, %d LLM calls, %d tokens", case.id, record.id,
                 len(draft_set.drafts), draft_set.llm_calls, draft_set.usage.total_tokens)
        await self._deliver(case, record.id, [previous] if previous else [], record)

    async def _deliver(self, case: Case, set_id: int, earlier: list[int] | None,
                       new: SetRecord | None = None) -> None:
        """Show a stored set, then renew the state lines of the ``earlier`` sets (None: every one the case
        showed, for a set shown late by 🔁 or a start); a set counts as delivered once it is shown. ``new``: the
        set as just stored."""
        try:
            if new is not None:
                await self._board.show_new_set(case, new)
            else:
                await self._board.show_set(case, set_id)
        except Exception as exc:  # the chat failed in any way: the set is stored, 🔁 (or the next start) shows it
            log.warning("showing set %d failed: %s", set_id, getattr(exc, "detail", "") or type(exc).__name__,
                        exc_info=not isinstance(exc, SpitzfederError))
            await self._store.set_pending(case.id, Pending.SHOW)
            case.pending, case.pending_instruction = Pending.SHOW, None
            await self._show_failure(case, SHOW_FAILED)
            return
        if case.pending is Pending.SHOW:
            await self._store.set_pending(case.id, None)
            case.pending = None
        for shown in await self._store.shown_sets(case.id) if earlier is None else earlier:
            if shown != set_id:
                await self._board.refresh(shown)

    async def deliver_unshown(self) -> None:
        """At start: every stored set that no message shows yet is shown now."""
        for set_id in await self._store.unshown_sets():
            case = await self._store.case_for_set(set_id)
            if case is None:
                continue
            async with self._locks[case.id]:
                log.warning("showing set %d, which a stop or a chat failure left unshown", set_id)
                await self._deliver(case, set_id, None)

    async def _show_failure(self, case: Case, message: str) -> None:
        message_id = await self._chat.send(case.channel_id, drafting_failed_text(message))
        await self._store.remember_message(ShownMessage(message_id, case.channel_id, case.id, MessageKind.ERROR))
        await self._chat.add_reactions(case.channel_id, message_id, [RENEW])

    async def report_interrupted(self) -> None:
        """At start: a drafting job that a stop cut short is shown as failed, so 🔁 can run it again."""
        for case in await self._store.interrupted_cases():
            log.warning("drafting interrupted by a restart: case %d (%s)", case.id, case.pending)
            try:
                await self._show_failure(case, INTERRUPTED)
            except SpitzfederError as exc:
                log.warning("could not report the interrupted case %d: %s", case.id, exc.detail or exc.user_message)

    async def resume_approvals(self) -> None:
        """At start: a draft whose deciding vote (or ✅) was stored just before a stop is approved now."""
        for set_id in await self._store.voted_open_sets():
            case = await self._store.case_for_set(set_id)
            if case is None:
                continue  # a set made outside a conversation has no votes
            async with self._locks[case.id]:
                record = await self._store.set_record(set_id)
                for draft in record.drafts:
                    if await self._approve_if_ready(case, set_id, draft, quiet=True):
                        log.warning("approval completed after a restart: set %d, draft %d", set_id, draft.number)
                        break

    async def _make_set(self, case: Case, kind: Pending, instruction: str | None) -> DraftSet:
        if kind is Pending.DRAFT or case.current_set_id is None:
            return await self._drafting.draft(case.news, case.count, tone=case.tone)
        record = await self._store.set_record(case.current_set_id)
        turns = await self._store.turns(case.id)
        return await self._drafting.refine(case.news, drafts_of(record), turns, instruction or RENEW_WISH,
                                           case.count, tone=case.tone)

    async def _say_if_closed(self, case: Case, *, edit: int | None = None) -> bool:
        """Tell why the current set cannot change (posted, scheduled, discarded); False while it can.

        ``edit``: the number of a draft to be replaced by hand, which needs a set that can still be approved.
        """
        if case.current_set_id is None:
            return False
        posts = await self._posts.for_set(case.current_set_id)
        state = overall_state(posts)
        record = await self._store.set_record(case.current_set_id)
        if record.state is SetState.DISCARDED:
            reason = "Diese Entwürfe sind verworfen. Für eine neue Frage bitte eine neue Meldung starten."
        elif state is None:
            return False
        elif all(map(never_posted, posts)):
            if edit is None:
                return False  # a wish brings a new set, which can be approved
            reason = (f"Entwurf {edit} lässt sich hier nicht mehr ersetzen: über diese Entwürfe wird nicht mehr "
                      f"abgestimmt (Status: {await self._board.status(case.current_set_id)}). Ein Wunsch hier oder "
                      f"{RENEW} an den Entwürfen bringt neue; dort geht auch `{edit}: eigener Text`.")
        elif state is PostState.POSTED:
            reason = "Zu dieser Meldung ist schon gepostet worden. Für eine neue Frage bitte eine neue Meldung starten."
        elif state is PostState.FAILED:
            reason = f"Das Posten ist fehlgeschlagen: {RENEW} an der Fehlermeldung versucht es erneut."
        else:
            reason = f"Ein Entwurf ist freigegeben und wird gepostet ({CANCEL} bricht in der Wartezeit ab)."
        await self._chat.send(case.channel_id, reason)
        return True


def _ignored(task: asyncio.Task[DraftSet]) -> None:
    if not task.cancelled():
        task.exception()
