"""Exactly-once posting on every network: undo window, intent recorded before the call, reconciliation after a crash.

An approved draft becomes one post record per network it goes to. Each record moves on its own (a failure on
one network never blocks or repeats another); the networks of a draft are posted concurrently. A post moves
through these states (every move is a compare-and-set in the store,
so two tasks can never both publish it):

    scheduled --(undo window over, or planned time)--> in_flight --> posted
        |                                 |------> failed --(🔁)--> scheduled
        +--(❌, or an approval that no longer holds)--> cancelled

``due_at`` is when the posting lane next acts on a post: the end of the undo window for a
scheduled post, or its planned time (``planned``, ⏰: a plan given later moves it; a planned post found more
than ``plan_stale`` late, say after the bot was down, fails retryably and the thread is asked again); for a
post in flight, when it is looked up on the account if it is still in flight then (``reconcile_wait`` after the
attempt started). So a post whose outcome could not be recorded, or that a crash left in flight, is looked up on
its network before anything else happens, never sent again blindly, and never looked up while the network may
still be holding the request.
Each network also gets the record's ``PostKey``, so a repeated create can be refused there (Mastodon's
Idempotency-Key, Bluesky's record key).

When the undo window of a first attempt ends, the approvals are checked once more, once per draft
(``still_approved``, provided by the conversation): an approver who lost the right to approve
in the meantime withdraws the approval, and the draft's posts are cancelled with one notice.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, TypeVar

from bot.core.clock import Clock
from bot.core.errors import PublishError
from bot.core.networks import Network
from bot.core.notices import (
    ApprovalWithdrawn,
    Notifier,
    PostCancelled,
    PostFailed,
    PostPublished,
    PostScheduled,
)
from bot.core.posting.ports import (
    AuditLog,
    PostKey,
    PostStore,
    PublishedPost,
    Publisher,
    StillApproved,
    Withdrawal,
)
from bot.core.posting.records import Post, PostState

log = logging.getLogger(__name__)

T = TypeVar("T")
Sleep = Callable[[float], Awaitable[object]]

RECONCILE_SLACK = timedelta(minutes=5)  # clock skew between us and the networks
RECONCILE_WAIT = timedelta(seconds=60)  # RECONCILE_WAIT_SECONDS: a network may still be holding a create request
RECORD_PATIENCE = timedelta(minutes=5)  # how long recording an outcome is retried before the lane takes over
RECORD_FIRST_DELAY, RECORD_MAX_DELAY = 0.5, 30.0  # seconds between tries to record an outcome


def lookup_failed_text(network: Network) -> str:
    return (f"Ob der Post schon auf {network.label} steht, ließ sich gerade nicht prüfen. 🔁 prüft erneut und postet "
            "nur, wenn er noch fehlt.")


def not_configured_text(network: Network) -> str:
    return (f"{network.label} ist nicht mehr eingerichtet (Zugangsdaten fehlen oder NETWORKS lässt es aus). "
            "Nach dem Eintragen in .env und einem Neustart versucht 🔁 es erneut.")


PLAN_MISSED = ("Der geplante Zeitpunkt ist um mehr als {hours} verpasst (der Bot lief zu der Zeit nicht), "
               "deshalb ging nichts raus.")


def plan_missed_text(stale: timedelta) -> str:
    hours = round(stale.total_seconds() / 3600)
    return PLAN_MISSED.format(hours="1 Stunde" if hours == 1 else f"{hours} Stunden")


def _no_wake() -> None:
    pass


class PostingService:
    """``approve`` and ``retry`` only schedule; ``run_due`` (the scheduler's posting lane) publishes.

    ``publishers``: one per network a draft may go to (a single publisher serves its own network).

    ``wake`` tells the posting lane that a post was scheduled, so it plans again at once.
    ``still_approved`` checks the approvals when a post's undo window ends (None: not checked).
    ``reconcile_wait``: how long after an attempt started a post still in flight is looked up on its network.
    ``sleep`` waits between tries to record an outcome a network gave (``record_patience`` in all).
    ``plan_stale``: a planned post more late than this is not posted but fails (None: never too late).
    """

    def __init__(self, store: PostStore, publishers: Publisher | Mapping[Network, Publisher], audit: AuditLog,
                 notifier: Notifier,
                 clock: Clock, *, wake: Callable[[], None] = _no_wake, still_approved: StillApproved | None = None,
                 reconcile_wait: timedelta = RECONCILE_WAIT, sleep: Sleep = asyncio.sleep,
                 record_patience: timedelta = RECORD_PATIENCE, plan_stale: timedelta | None = None) -> None:
        self._store = store
        self._publishers = (dict(publishers) if isinstance(publishers, Mapping)
                            else {publishers.network: publishers})
        self._audit = audit
        self._notifier = notifier
        self._clock = clock
        self._wake = wake
        self.still_approved = still_approved
        self._reconcile_wait = reconcile_wait
        self._sleep = sleep
        self._record_patience = record_patience
        self._plan_stale = plan_stale

    @property
    def networks(self) -> list[Network]:
        """The networks posts can go to, in the usual order."""
        return [network for network in Network if network in self._publishers]

    async def approve(self, *, set_id: int, draft_id: int, text: str, source_url: str | None,
                      approved_by: list[str], undo_seconds: int, source_line: str | None = None,
                      networks: Sequence[Network] | None = None, planned_at: datetime | None = None) -> list[Post]:
        """Schedule the approved draft on ``networks`` (default: every network); [] when the set already has
        posts (approved twice) or no network is left.

        ``source_line``: the reply with the source that goes out under each post (None: no reply).
        ``planned_at``: the posts wait for this time (⏰) instead of the undo window."""
        chosen = [network for network in self.networks if networks is None or network in networks]
        if not chosen:
            return []
        now = self._clock.now()
        due_at = planned_at or now + timedelta(seconds=undo_seconds)
        posts = await self._store.create_scheduled(
            set_id=set_id, draft_id=draft_id, text=text, source_url=source_url, approved_by=approved_by,
            approved_at=now, due_at=due_at, source_line=source_line, networks=chosen, planned=planned_at is not None,
        )
        if not posts:
            return []
        wait = f"planned {planned_at.isoformat()}" if planned_at else f"undo {undo_seconds}s"
        await self._audit.record("approved", actor=",".join(approved_by), set_id=set_id, post_id=posts[0].id,
                                 detail=f"draft {draft_id}, {wait}, "
                                        f"networks {','.join(post.network.value for post in posts)}")
        await self._notifier.notify(PostScheduled(tuple(posts)))
        self._wake()  # due at the end of the undo window (at once with 0): the posting lane publishes it
        return posts

    async def cancel(self, set_id: int, *, by: str) -> list[Post]:
        """❌ inside the undo window, or to give up on failed posts that are surely not on their network."""
        cancelled = []
        for post in await self._store.for_set(set_id):
            cancellable = {PostState.SCHEDULED} | ({PostState.FAILED} if not post.uncertain else set())
            if post.state in cancellable and (done := await self._store.transition(post.id, cancellable,
                                                                                    PostState.CANCELLED)):
                await self._audit.record("cancelled", actor=by, set_id=set_id, post_id=post.id,
                                         detail=post.network.value)
                cancelled.append(done)
        if cancelled:
            await self._notifier.notify(PostCancelled(tuple(cancelled), by))
        return cancelled

    async def retry(self, set_id: int, *, by: str) -> list[Post]:
        """🔁 on failed posts: schedule the failed ones again, due now (the posting lane publishes them)."""
        again = []
        for post in await self._store.for_set(set_id):
            if post.state is not PostState.FAILED or not post.retryable:
                continue
            done = await self._store.transition(post.id, {PostState.FAILED}, PostState.SCHEDULED,
                                                due_at=self._clock.now(), error=None)
            if done:
                await self._audit.record("retry", actor=by, set_id=set_id, post_id=post.id,
                                         detail=post.network.value)
                again.append(done)
        if again:
            self._wake()
        return again

    async def replan(self, set_id: int, planned_at: datetime, *, by: str) -> list[Post]:
        """A new plan for an approved draft: its waiting posts, and those that failed retryably (a missed plan),
        are due at ``planned_at``. Posts already under way or out stay as they are."""
        moved = []
        for post in await self._store.for_set(set_id):
            if post.state is PostState.SCHEDULED:
                done = await self._store.transition(post.id, {PostState.SCHEDULED}, PostState.SCHEDULED,
                                                    due_at=planned_at, planned=True)
            elif post.state is PostState.FAILED and post.retryable:
                done = await self._store.transition(post.id, {PostState.FAILED}, PostState.SCHEDULED,
                                                    due_at=planned_at, planned=True, error=None)
            else:
                continue
            if done:
                await self._audit.record("replanned", actor=by, set_id=set_id, post_id=post.id,
                                         detail=f"{post.network.value}: {planned_at.isoformat()}")
                moved.append(done)
        if moved:
            self._wake()
        return moved

    async def hold(self, set_id: int, *, by: str, reason: str) -> list[Post]:
        """⏰ asked for a time while the draft's posts wait for their undo window: they wait for the answer instead
        (held like a missed plan: ⏰ or `/planen` schedules them, 🔁 posts now, ❌ gives up). No notice: the
        conversation asks for the time itself."""
        held = []
        for post in await self._store.for_set(set_id):
            if post.state is PostState.SCHEDULED and not post.planned and post.attempts == 0:
                done = await self._store.transition(post.id, {PostState.SCHEDULED}, PostState.FAILED, error=reason,
                                                    retryable=True, uncertain=False, planned=True)
                if done:
                    await self._audit.record("held", actor=by, set_id=set_id, post_id=post.id,
                                             detail=post.network.value)
                    held.append(done)
        return held

    async def next_due(self) -> datetime | None:
        """When the posting lane next has work: a post's undo window ends, or a post in flight is to be looked up."""
        return await self._store.next_due_at()

    async def run_due(self) -> list[Post]:
        """Publish every post whose undo window is over, and look up every post in flight whose wait is over.

        Networks are served concurrently, the posts of one network one after another. Returns the posts it
        handled. A post whose handling fails stays where it is (logged): the lane tries again later, and a post
        in flight is looked up on its network before anything else.
        """
        due = await self._withdraw_lapsed(await self._missed_plans(await self._store.due(self._clock.now())))
        by_network: dict[Network, list[Post]] = defaultdict(list)
        for post in due:
            by_network[post.network].append(post)
        results = await asyncio.gather(*(self._run_network(posts) for posts in by_network.values()),
                                       return_exceptions=True)  # one network's trouble never cuts the others short
        handled, fatal = [], None
        for network, result in zip(by_network, results, strict=True):
            if isinstance(result, BaseException):
                log.error("the posting lane of %s stopped early (%r); it tries again in its next round",
                          network.value, result)
                if not isinstance(result, Exception | asyncio.CancelledError):
                    fatal = result  # the process is going down (e.g. SystemExit): after every network has stopped
            else:
                handled += result
        if fatal is not None:
            raise fatal
        return handled

    async def _run_network(self, posts: list[Post]) -> list[Post]:
        handled = []
        for post in posts:
            try:
                result = await (self._settle(post) if post.state is PostState.IN_FLIGHT else self._publish(post))
            except Exception:
                log.exception("handling post %d (%s, %s) failed; the posting lane tries again", post.id,
                              post.network.value, post.state.value)
                continue
            if result:
                handled.append(result)
        return handled

    async def _missed_plans(self, due: list[Post]) -> list[Post]:
        """Planned posts more than ``plan_stale`` late (the bot was down) fail retryably instead of going out late:
        the thread is asked again (⏰ plans anew, 🔁 posts now, ❌ gives up). Returns the posts left."""
        if self._plan_stale is None:
            return due
        now, left = self._clock.now(), []
        for post in due:
            if not (post.state is PostState.SCHEDULED and post.planned and now - post.due_at > self._plan_stale):
                left.append(post)
                continue
            failed = await self._store.transition(post.id, {PostState.SCHEDULED}, PostState.FAILED,
                                                  error=plan_missed_text(self._plan_stale), retryable=True,
                                                  uncertain=False)
            if failed:
                log.warning("post %d missed its planned time %s: not posted", post.id, post.due_at.isoformat())
                await self._audit_quietly("plan_missed", actor=None, set_id=post.set_id, post_id=post.id,
                                          detail=f"{post.network.value}: planned {post.due_at.isoformat()}")
                await self._notifier.notify(PostFailed(failed))
        return left

    async def _withdraw_lapsed(self, due: list[Post]) -> list[Post]:
        """Check the approvals once per draft whose undo window just ended (not on 🔁: an approver asked for
        that); a draft whose approval lapsed has all its scheduled posts cancelled. Returns the posts left."""
        if self.still_approved is None:
            return due
        first: dict[int, list[Post]] = defaultdict(list)
        for post in due:
            if post.state is PostState.SCHEDULED and post.attempts == 0:
                first[post.set_id].append(post)
        held: set[int] = set()  # cancelled, or left for the next round because the check failed
        for set_id, posts in first.items():
            try:
                withdrawal = await self.still_approved(posts[0])
                if withdrawal is not None:
                    await self._withdraw(posts, withdrawal)
            except Exception:
                log.exception("checking the approvals of set %d failed; the posting lane tries again", set_id)
                withdrawal = None
                held.update(post.id for post in posts)
            if withdrawal is not None:
                held.update(post.id for post in posts)
        return [post for post in due if post.id not in held]

    async def reconcile(self) -> list[Post]:
        """At start: posts a crash left in flight are looked up on their network once ``reconcile_wait`` has passed
        since their attempt (the network may still be holding the request); then whatever is due is handled."""
        for post in await self._store.in_state(PostState.IN_FLIGHT):
            check_at = (post.attempted_at or post.due_at) + self._reconcile_wait
            if check_at > post.due_at:
                await self._store.transition(post.id, {PostState.IN_FLIGHT}, PostState.IN_FLIGHT, due_at=check_at)
            if check_at > self._clock.now():
                log.info("post %d was in flight at start: looked up on the account at %s", post.id,
                         check_at.isoformat())
        return await self.run_due()

    async def _settle(self, post: Post) -> Post | None:
        """A post still in flight after its wait: posted if the network has it; otherwise it is sent (again)."""
        try:
            found = await self._look_up(post)
        except PublishError as exc:
            return await self._lookup_failed(post, exc)
        if found:
            return await self._mark_posted(post, found, {PostState.IN_FLIGHT}, note="reconciled: found on the account")
        if post.error is not None:  # the network called the text a duplicate, and it is still not on the account
            return await self._mark_failed(post, post.error, retryable=False, uncertain=False,
                                           detail="duplicate; not found on the account twice")
        log.info("post %d was not on the account: publishing it", post.id)
        again = await self._store.transition(post.id, {PostState.IN_FLIGHT}, PostState.SCHEDULED,
                                             due_at=self._clock.now(), uncertain=False)
        return await self._publish(again) if again else None

    async def _publish(self, post: Post) -> Post | None:
        now = self._clock.now()
        # The intent is recorded before the network is called: a crash from here on leaves the post in flight,
        # and the posting lane looks it up on the network once the wait is over.
        claimed = await self._store.transition(post.id, {PostState.SCHEDULED}, PostState.IN_FLIGHT,
                                               attempted_at=now, attempts=post.attempts + 1,
                                               due_at=now + self._reconcile_wait, error=None)
        if claimed is None:
            return None  # cancelled or taken by another task meanwhile
        publisher = self._publishers.get(claimed.network)
        if publisher is None:
            # An earlier attempt may have reached the network: it stays to be looked up before anything is sent.
            return await self._mark_failed(claimed, not_configured_text(claimed.network), retryable=True,
                                           uncertain=claimed.uncertain, detail="network not configured")
        if claimed.uncertain:
            try:
                found = await self._look_up(claimed)
            except PublishError as exc:
                return await self._lookup_failed(claimed, exc)
            if found:
                return await self._mark_posted(claimed, found, {PostState.IN_FLIGHT}, note="found on the account")
        try:
            published = await publisher.publish(claimed.text, key=_key(claimed), source_line=claimed.source_line)
        except PublishError as exc:
            if exc.duplicate or exc.maybe_posted:
                try:
                    found = await self._look_up(claimed)
                except PublishError as lookup_exc:
                    return await self._lookup_failed(claimed, lookup_exc)
                if found:
                    return await self._mark_posted(claimed, found, {PostState.IN_FLIGHT}, note="already on the account")
                if exc.duplicate and claimed.attempts > 1:
                    # An earlier attempt may have reached the network, which does not list it yet: look once more later.
                    return await self._look_again_later(claimed, exc)
            return await self._mark_failed(claimed, exc.user_message, retryable=exc.retryable,
                                           uncertain=exc.maybe_posted, detail=exc.detail)
        except Exception as exc:  # the outcome is unknown: look before any retry
            log.exception("publisher failed unexpectedly for post %d", claimed.id)
            return await self._mark_failed(
                claimed, "Unerwarteter Fehler beim Posten. 🔁 prüft zuerst, ob der Post schon existiert.",
                retryable=True, uncertain=True, detail=type(exc).__name__,
            )
        return await self._mark_posted(claimed, published, {PostState.IN_FLIGHT})

    async def _look_again_later(self, post: Post, exc: PublishError) -> Post | None:
        log.info("post %d: the network calls it a duplicate but does not list it yet; looking again later", post.id)
        return await self._recorded(lambda: self._store.transition(
            post.id, {PostState.IN_FLIGHT}, PostState.IN_FLIGHT, due_at=self._clock.now() + self._reconcile_wait,
            error=exc.user_message, retryable=False, uncertain=True))

    async def _withdraw(self, posts: list[Post], withdrawal: Withdrawal) -> None:
        cancelled = []
        for post in posts:
            done = await self._store.transition(post.id, {PostState.SCHEDULED}, PostState.CANCELLED,
                                                error=withdrawal.reason)
            if done:
                log.info("approval withdrawn: set %d, post %d (%s)", post.set_id, post.id,
                         ",".join(withdrawal.voters))
                await self._audit_quietly("approval_withdrawn", actor=",".join(withdrawal.voters),
                                          set_id=post.set_id, post_id=post.id,
                                          detail=withdrawal.detail or withdrawal.reason)
                cancelled.append(done)
        if cancelled:
            await self._notifier.notify(ApprovalWithdrawn(tuple(cancelled), withdrawal.reason))

    async def _look_up(self, post: Post) -> PublishedPost | None:
        """Our post on its network, or None; raises PublishError when the network cannot tell."""
        publisher = self._publishers.get(post.network)
        if publisher is None:
            raise PublishError(not_configured_text(post.network), detail="network not configured")
        # From the approval on: attempted_at is already the current attempt's time when 🔁 looks first.
        return await publisher.find_existing(post.text, key=_key(post), since=post.approved_at - RECONCILE_SLACK)

    async def _lookup_failed(self, post: Post, exc: PublishError) -> Post | None:
        # Publishing blindly could post twice: stop here, and let 🔁 look again.
        log.warning("could not look up post %d on the account: %s", post.id, exc.detail or exc)
        return await self._mark_failed(post, lookup_failed_text(post.network), retryable=True, uncertain=True,
                                       detail=f"lookup failed: {exc.detail or exc.user_message}")

    async def _mark_posted(self, post: Post, published: PublishedPost, from_states: set[PostState],
                           note: str | None = None) -> Post | None:
        posted_at = self._clock.now()
        done = await self._recorded(lambda: self._store.transition(
            post.id, from_states, PostState.POSTED, posted_at=posted_at, remote_id=published.post_id,
            url=published.url, simulated=published.simulated, followers_at_post=published.followers,
            error=None, uncertain=False,
        ))
        if done:
            await self._audit_quietly("posted", actor=None, set_id=post.set_id, post_id=post.id,
                                      detail=f"{'simulated' if published.simulated else published.post_id}"
                                             + (f"; {note}" if note else ""))
            await self._notifier.notify(PostPublished(done, published.notice))
        return done

    async def _mark_failed(self, post: Post, message: str, *, retryable: bool, uncertain: bool,
                           detail: str) -> Post | None:
        failed = await self._recorded(lambda: self._store.transition(
            post.id, {PostState.IN_FLIGHT}, PostState.FAILED, error=message, retryable=retryable,
            uncertain=uncertain))
        if failed:
            await self._audit_quietly("post_failed", actor=None, set_id=post.set_id, post_id=post.id,
                                      detail=detail or message)
            await self._notifier.notify(PostFailed(failed))
        return failed

    async def _recorded(self, write: Callable[[], Awaitable[T]]) -> T:
        """Record what the network did: tried again with growing pauses for ``record_patience``, since the network's
        answer would be lost otherwise. If it still fails, the post stays in flight and the posting lane looks it up."""
        delay, waited = RECORD_FIRST_DELAY, 0.0
        while True:
            try:
                return await write()
            except Exception as exc:
                if waited >= self._record_patience.total_seconds():
                    raise
                log.warning("recording a post's outcome failed (%s); trying again in %.1f s", exc, delay)
            await self._sleep(delay)
            waited += delay
            delay = min(delay * 2, RECORD_MAX_DELAY)

    async def _audit_quietly(self, action: str, **entry: Any) -> None:
        """The audit entry of a state already stored: its loss is logged, it never holds up the notice."""
        try:
            await self._audit.record(action, **entry)
        except Exception:
            log.exception("could not write the audit entry %s (%s)", action, entry)


def _key(post: Post) -> PostKey:
    return PostKey(post.id, post.approved_at)
