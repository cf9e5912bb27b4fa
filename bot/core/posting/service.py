"""Exactly-once posting: undo window, intent recorded before the call, reconciliation after a crash.

A post moves through these states (every move is a compare-and-set in the store,
so two tasks can never both publish it):

    scheduled --(undo window over)--> in_flight --> posted
        |                                 |------> failed --(🔁)--> scheduled
        +--(❌)--> cancelled

A post left ``in_flight`` by a crash, or whose outcome is unknown (timeout), is
looked up on the account before it is tried again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from bot.core.clock import Clock
from bot.core.errors import PublishError
from bot.core.notices import Notifier, PostCancelled, PostFailed, PostPublished, PostScheduled
from bot.core.posting.ports import AuditLog, PostStore, PublishedPost, Publisher
from bot.core.posting.records import Post, PostState

log = logging.getLogger(__name__)

RECONCILE_SLACK = timedelta(minutes=5)  # clock skew between us and X
LOOKUP_FAILED = ("Ob der Post schon auf X steht, ließ sich gerade nicht prüfen. 🔁 prüft erneut und postet nur, "
                 "wenn er noch fehlt.")


def _no_wake() -> None:
    pass


class PostingService:
    """``approve`` and ``retry`` only schedule; ``run_due`` (the scheduler's posting lane) publishes.

    ``wake`` tells the posting lane that a post was scheduled, so it plans again at once.
    """

    def __init__(self, store: PostStore, publisher: Publisher, audit: AuditLog, notifier: Notifier,
                 clock: Clock, *, wake: Callable[[], None] = _no_wake) -> None:
        self._store = store
        self._publisher = publisher
        self._audit = audit
        self._notifier = notifier
        self._clock = clock
        self._wake = wake

    async def approve(self, *, set_id: int, draft_id: int, text: str, source_url: str | None,
                      approved_by: list[str], undo_seconds: int) -> Post | None:
        """Schedule the approved draft; None when the set already has a post (approved twice)."""
        now = self._clock.now()
        post = await self._store.create_scheduled(
            set_id=set_id, draft_id=draft_id, text=text, source_url=source_url, approved_by=approved_by,
            approved_at=now, due_at=now + timedelta(seconds=undo_seconds),
        )
        if post is None:
            return None
        await self._audit.record("approved", actor=",".join(approved_by), set_id=set_id, post_id=post.id,
                                 detail=f"draft {draft_id}, undo {undo_seconds}s")
        await self._notifier.notify(PostScheduled(post))
        self._wake()  # due at the end of the undo window (at once with 0): the posting lane publishes it
        return post

    async def cancel(self, set_id: int, *, by: str) -> Post | None:
        """❌ inside the undo window, or to give up on a failed post that is surely not on X."""
        post = await self._store.for_set(set_id)
        if post is None:
            return None
        cancellable = {PostState.SCHEDULED} | ({PostState.FAILED} if not post.uncertain else set())
        cancelled = await self._store.transition(post.id, cancellable, PostState.CANCELLED)
        if cancelled:
            await self._audit.record("cancelled", actor=by, set_id=set_id, post_id=post.id)
            await self._notifier.notify(PostCancelled(cancelled, by))
        return cancelled

    async def retry(self, set_id: int, *, by: str) -> Post | None:
        """🔁 on a failed post: schedule it again, due now (the posting lane publishes it)."""
        post = await self._store.for_set(set_id)
        if post is None or post.state is not PostState.FAILED or not post.retryable:
            return None
        again = await self._store.transition(post.id, {PostState.FAILED}, PostState.SCHEDULED,
                                             due_at=self._clock.now(), error=None)
        if again:
            await self._audit.record("retry", actor=by, set_id=set_id, post_id=post.id)
            self._wake()
        return again

    async def next_due(self) -> datetime | None:
        """When the next scheduled post is due (None: none is scheduled)."""
        return await self._store.next_due_at()

    async def run_due(self) -> list[Post]:
        """Publish every post whose undo window is over; returns the posts it handled."""
        handled = []
        for post in await self._store.due(self._clock.now()):
            result = await self._publish(post)
            if result:
                handled.append(result)
        return handled

    async def reconcile(self) -> list[Post]:
        """At start: settle posts a crash left in flight, then publish what is due."""
        for post in await self._store.in_state(PostState.IN_FLIGHT):
            try:
                found = await self._look_up(post)
            except PublishError as exc:
                await self._lookup_failed(post, exc)
                continue
            if found:
                await self._mark_posted(post, found, {PostState.IN_FLIGHT}, note="reconciled after restart")
            else:
                log.info("post %d was not on the account after a restart: publishing again", post.id)
                await self._store.transition(post.id, {PostState.IN_FLIGHT}, PostState.SCHEDULED,
                                             due_at=self._clock.now(), uncertain=False)
        return await self.run_due()

    async def _publish(self, post: Post) -> Post | None:
        now = self._clock.now()
        # The intent is recorded before X is called: a crash from here on leaves the post in flight.
        claimed = await self._store.transition(post.id, {PostState.SCHEDULED}, PostState.IN_FLIGHT,
                                               attempted_at=now, attempts=post.attempts + 1)
        if claimed is None:
            return None  # cancelled or taken by another task meanwhile
        if claimed.uncertain:
            try:
                found = await self._look_up(claimed)
            except PublishError as exc:
                return await self._lookup_failed(claimed, exc)
            if found:
                return await self._mark_posted(claimed, found, {PostState.IN_FLIGHT}, note="found on the account")
        try:
            published = await self._publisher.publish(claimed.text, source_url=claimed.source_url)
        except PublishError as exc:
            if exc.duplicate or exc.maybe_posted:
                try:
                    found = await self._look_up(claimed)
                except PublishError as lookup_exc:
                    return await self._lookup_failed(claimed, lookup_exc)
                if found:
                    return await self._mark_posted(claimed, found, {PostState.IN_FLIGHT}, note="already on the account")
            return await self._mark_failed(claimed, exc.user_message, retryable=exc.retryable,
                                           uncertain=exc.maybe_posted, detail=exc.detail)
        except Exception as exc:  # the outcome is unknown: look before any retry
            log.exception("publisher failed unexpectedly for post %d", claimed.id)
            return await self._mark_failed(
                claimed, "Unerwarteter Fehler beim Posten. 🔁 prüft zuerst, ob der Post schon existiert.",
                retryable=True, uncertain=True, detail=type(exc).__name__,
            )
        return await self._mark_posted(claimed, published, {PostState.IN_FLIGHT})

    async def _look_up(self, post: Post) -> PublishedPost | None:
        """Our post with this text on the account, or None; raises PublishError when X cannot tell."""
        # From the approval on: attempted_at is already the current attempt's time when 🔁 looks first.
        return await self._publisher.find_existing(post.text, since=post.approved_at - RECONCILE_SLACK)

    async def _lookup_failed(self, post: Post, exc: PublishError) -> Post | None:
        # Publishing blindly could post twice: stop here, and let 🔁 look again.
        log.warning("could not look up post %d on the account: %s", post.id, exc.detail or exc)
        return await self._mark_failed(post, LOOKUP_FAILED, retryable=True, uncertain=True,
                                       detail=f"lookup failed: {exc.detail or exc.user_message}")

    async def _mark_posted(self, post: Post, published: PublishedPost, from_states: set[PostState],
                           note: str | None = None) -> Post | None:
        done = await self._store.transition(
            post.id, from_states, PostState.POSTED, posted_at=self._clock.now(), x_post_id=published.post_id,
            url=published.url, simulated=published.simulated, followers_at_post=published.followers,
            error=None, uncertain=False,
        )
        if done:
            await self._audit.record("posted", actor=None, set_id=post.set_id, post_id=post.id,
                                     detail=f"{'simulated' if published.simulated else published.post_id}"
                                            + (f"; {note}" if note else ""))
            await self._notifier.notify(PostPublished(done, published.notice))
        return done

    async def _mark_failed(self, post: Post, message: str, *, retryable: bool, uncertain: bool,
                           detail: str) -> Post | None:
        failed = await self._store.transition(post.id, {PostState.IN_FLIGHT}, PostState.FAILED, error=message,
                                              retryable=retryable, uncertain=uncertain)
        if failed:
            await self._audit.record("post_failed", actor=None, set_id=post.set_id, post_id=post.id,
                                     detail=detail or message)
            await self._notifier.notify(PostFailed(failed))
        return failed
