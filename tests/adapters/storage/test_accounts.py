"""Accounts kept apart in one database: two stores of a kind, for the accounts „a" and „b", never see each other's
rows; the account directory finds the account of a message and of a channel."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pytest

from bot.adapters.storage.accounts import DEFAULT_ACCOUNT, SqlAccountDirectory
from bot.adapters.storage.amplifiers import SqlAmplifierStore
from bot.adapters.storage.drafts import SqlDraftStore
from bot.adapters.storage.learning import SqlLearningStore
from bot.adapters.storage.monthly import SqlMonthlyStore
from bot.adapters.storage.posts import SqlAuditLog, SqlPostFigures, SqlPostStore
from bot.adapters.storage.summaries import SqlSummaryStore
from bot.adapters.storage.tracking import SqlTrackingStore
from bot.adapters.storage.usage import SqlUsageStore
from bot.adapters.storage.workflow import SqlWorkflowStore
from bot.core.conversation.records import Case, MessageKind, Plan, SetState, ShownMessage
from bot.core.drafting.checks import check_draft
from bot.core.drafting.models import ConversationTurn, DraftSet, NewsItem
from bot.core.errors import MissingRecord
from bot.core.networks import Network
from bot.core.posting.records import Post, PostState
from bot.core.reach.amplifiers import Amplifier, StoredAmplifier
from bot.core.reach.metrics import Metrics
from bot.core.timespec import Step
from tests.fakes.clock import FakeClock
from tests.fakes.samples import GOOD_DRAFTS, NEWS

ACCOUNTS = ("a", "b")
CHANNEL = {"a": 100, "b": 200}
MESSAGE = {"a": 1_000, "b": 2_000}
DAY = date(2026, 11, 10)


@dataclass
class Rows:
    """What one account stored: a case with a shown set, a vote, a plan, …, a post on X (posted, with a reading and
    an amplifier) and one on Bluesky (scheduled, due now)."""

    case: Case
    set_id: int
    draft_id: int
    posted: Post
    scheduled: Post
    snapshot_id: int


async def _store_everything(engine, clock: FakeClock, account: str) -> Rows:
    workflow = SqlWorkflowStore(engine, clock, account=account)
    news = NewsItem(NEWS)
    case = await workflow.create_case(news, origin="discord", requester_id=1, guild_id=None,
                                      channel_id=CHANNEL[account], count=4)
    set_id = (await workflow.add_set(case, DraftSet(news, [check_draft(t, e, news) for t, e in GOOD_DRAFTS]))).id
    draft_id = (await workflow.set_record(set_id)).entry(1).id
    await workflow.remember_message(ShownMessage(MESSAGE[account], CHANNEL[account], case.id, MessageKind.DRAFTS,
                                                 set_id, {1: draft_id}, "Entwürfe", first=True))
    assert await workflow.add_vote(set_id, draft_id, 7)
    assert await workflow.add_confirmation(draft_id, 7)
    assert await workflow.add_network_toggle(set_id, 1, Network.MASTODON, 7)
    await workflow.save_plan(Plan(set_id, 7, clock.now(), asking=True))
    await workflow.add_turn(case.id, ConversationTurn("anna", f"Wunsch von {account}"))
    assert await workflow.first_notice(case.id, 8, "not_approver")
    await SqlAuditLog(engine, clock, account=account).record("approved", actor="anna", set_id=set_id)

    posts = SqlPostStore(engine, account=account)
    now = clock.now()
    x, bluesky = await posts.create_scheduled(set_id=set_id, draft_id=draft_id, text=f"Frage {account}?",
                                              source_url=None, approved_by=["anna"], approved_at=now, due_at=now,
                                              networks=[Network.X, Network.BLUESKY])
    posted = await posts.transition(x.id, {PostState.SCHEDULED}, PostState.POSTED, posted_at=now,
                                    remote_id=f"19{x.id}", url=f"https://x.com/s/status/19{x.id}",
                                    followers_at_post=1_000)
    assert posted is not None

    tracking = SqlTrackingStore(engine, account=account)
    await tracking.add_snapshots(posted.id, [(Step("1h", 3600), now), (Step("6h", 6 * 3600), now + timedelta(hours=6))])
    [due] = await tracking.due_snapshots(now)
    await tracking.record_snapshot(due.id, Metrics(1, 10, 2, 1, 0, 1_000), taken_at=now)
    await tracking.record_followers(1_000 if account == "a" else 2_000, at=now)

    amplifiers = SqlAmplifierStore(engine, account=account)
    await amplifiers.plan_reads(posted.id, [(Step("1h", 3600), now)])
    carrier = Amplifier(f"u-{account}", f"carrier_{account}", account, 50_000, "blue", "repost")
    assert await amplifiers.add_amplifiers(posted.id, [StoredAmplifier(carrier, now, True, "Presse", False)])
    await amplifiers.replace_followers({"f1", f"f-{account}"}, at=now)
    await amplifiers.replace_list_members("list1", [("f1", "freund"), (f"m-{account}", "mitglied")], at=now)

    summaries = SqlSummaryStore(engine, account=account)
    assert await summaries.claim_summary(DAY, at=now)  # the same day for each account: one summary each
    usage = SqlUsageStore(engine, clock, account=account)
    await usage.record("write", cost=0.015)
    assert await usage.flush()
    return Rows(case, set_id, draft_id, posted, bluesky, due.id)


@pytest.fixture
async def stored(engine, clock: FakeClock) -> dict[str, Rows]:
    return {account: await _store_everything(engine, clock, account) for account in ACCOUNTS}


def _other(account: str) -> str:
    return "b" if account == "a" else "a"


@pytest.mark.parametrize("account", ACCOUNTS)
async def test_cases_sets_votes_and_messages_are_the_accounts_own(engine, clock, stored, account):
    own, other = stored[account], stored[_other(account)]
    workflow = SqlWorkflowStore(engine, clock, account=account)
    assert (await workflow.case(own.case.id)).channel_id == CHANNEL[account]
    with pytest.raises(MissingRecord):
        await workflow.case(other.case.id)
    assert (await workflow.latest_case_in(CHANNEL[account])).id == own.case.id
    assert await workflow.latest_case_in(CHANNEL[_other(account)]) is None
    assert await workflow.case_for_set(other.set_id) is None
    assert (await workflow.set_record(own.set_id)).state is SetState.OPEN
    with pytest.raises(MissingRecord):
        await workflow.set_record(other.set_id)
    assert not await workflow.change_set_state(other.set_id, SetState.OPEN, SetState.DISCARDED)
    assert await workflow.draft_number(other.draft_id) is None
    assert (await workflow.message(MESSAGE[account])).set_id == own.set_id
    assert await workflow.message(MESSAGE[_other(account)]) is None
    assert await workflow.messages_of_set(other.set_id, MessageKind.DRAFTS) == []
    assert await workflow.shown_sets(other.case.id) == []
    assert await workflow.voters(own.draft_id) == [7] and await workflow.voters(other.draft_id) == []
    assert not await workflow.add_vote(other.set_id, other.draft_id, 9)
    assert not await workflow.remove_vote(other.draft_id, 7)
    assert await workflow.confirmers(other.draft_id) == []
    assert not await workflow.add_confirmation(other.draft_id, 9)
    assert await workflow.networks_off(own.set_id) == {1: frozenset({Network.MASTODON})}
    assert await workflow.networks_off(other.set_id) == {}
    assert await workflow.plan(other.set_id) is None and (await workflow.plan(own.set_id)).asking
    with pytest.raises(MissingRecord):
        await workflow.save_plan(Plan(other.set_id, 9, clock.now()))
    assert await workflow.turns(own.case.id) == [ConversationTurn("anna", f"Wunsch von {account}")]
    assert await workflow.turns(other.case.id) == []
    with pytest.raises(MissingRecord):
        await workflow.add_turn(other.case.id, ConversationTurn("x", "y"))
    assert not await workflow.first_notice(other.case.id, 9, "not_approver")
    assert await workflow.voted_open_sets() == []  # its set has its posts
    assert await workflow.unshown_sets() == []
    assert [case.id for case in await workflow.interrupted_cases()] == []
    # what the other account's store saw stays as it was
    theirs = SqlWorkflowStore(engine, clock, account=_other(account))
    assert await theirs.voters(other.draft_id) == [7]
    assert (await theirs.set_record(other.set_id)).state is SetState.OPEN


async def test_interrupted_cases_unshown_and_voted_sets_are_found_by_their_account_only(engine, clock):
    news = NewsItem(NEWS)
    a, b = (SqlWorkflowStore(engine, clock, account=account) for account in ACCOUNTS)
    case = await a.create_case(news, origin="discord", requester_id=1, guild_id=None, channel_id=5, count=4)
    assert [c.id for c in await a.interrupted_cases()] == [case.id]
    assert await b.interrupted_cases() == []
    voted = await a.create_case(news, origin="discord", requester_id=1, guild_id=None, channel_id=6, count=4)
    set_id = (await a.add_set(voted, DraftSet(news, [check_draft(t, e, news) for t, e in GOOD_DRAFTS]))).id
    await a.add_vote(set_id, (await a.set_record(set_id)).entry(1).id, 7)
    assert await a.unshown_sets() == [set_id] and await b.unshown_sets() == []
    assert await a.voted_open_sets() == [set_id] and await b.voted_open_sets() == []
    with pytest.raises(MissingRecord):
        await b.add_set(case, DraftSet(news, [check_draft(t, e, news) for t, e in GOOD_DRAFTS]))
    with pytest.raises(MissingRecord):
        await b.reopen_set(case, 1)
    await b.set_pending(case.id, None)
    await b.set_tone(case.id, "ironisch")
    assert (await a.case(case.id)).pending is not None and (await a.case(case.id)).tone is None


@pytest.mark.parametrize("account", ACCOUNTS)
async def test_posts_due_and_next_due_are_the_accounts_own(engine, clock, stored, account):
    own, other = stored[account], stored[_other(account)]
    posts = SqlPostStore(engine, account=account)
    assert [p.id for p in await posts.due(clock.now())] == [own.scheduled.id]
    assert await posts.next_due_at() == clock.now()
    assert [p.id for p in await posts.for_set(own.set_id)] == [own.posted.id, own.scheduled.id]
    assert await posts.for_set(other.set_id) == []
    assert [p.id for p in await posts.in_state(PostState.POSTED)] == [own.posted.id]
    assert await posts.transition(other.scheduled.id, {PostState.SCHEDULED}, PostState.CANCELLED) is None
    assert await posts.create_scheduled(set_id=other.set_id, draft_id=other.draft_id, text="?", source_url=None,
                                        approved_by=[], approved_at=clock.now(), due_at=clock.now(),
                                        networks=[Network.MASTODON]) == []
    assert [p.state for p in await SqlPostStore(engine, account=_other(account)).for_set(other.set_id)] == [
        PostState.POSTED, PostState.SCHEDULED]


async def test_a_store_without_an_account_is_the_standard_account(engine, clock, stored):
    assert await SqlPostStore(engine).due(clock.now()) == []
    assert await SqlPostStore(engine).next_due_at() is None
    assert await SqlAuditLog(engine).entries() == []
    set_id = await SqlDraftStore(engine).save_draft_set(DraftSet(NewsItem(NEWS), []), origin="cli")
    assert (await SqlWorkflowStore(engine, clock, account=DEFAULT_ACCOUNT).set_record(set_id)).drafts == []
    assert await SqlAccountDirectory(engine).accounts_in_use() == {"a", "b", DEFAULT_ACCOUNT}


@pytest.mark.parametrize("account", ACCOUNTS)
async def test_audit_entries_are_the_accounts_own(engine, stored, account):
    entries = await SqlAuditLog(engine, account=account).entries()
    assert [e.set_id for e in entries] == [stored[account].set_id]
    assert await SqlAuditLog(engine, account=account).entries(stored[_other(account)].set_id) == []


@pytest.mark.parametrize("account", ACCOUNTS)
async def test_tracking_sees_the_accounts_own_snapshots_and_followers(engine, clock, stored, account):
    own, other = stored[account], stored[_other(account)]
    tracking = SqlTrackingStore(engine, account=account)
    later = clock.now() + timedelta(hours=6)
    assert [d.post.post_id for d in await tracking.due_snapshots(later)] == [own.posted.id]
    assert await tracking.next_snapshot_due() == later
    assert await tracking.next_snapshot_due(Network.X) == later
    assert await tracking.untracked_posts(clock.now() - timedelta(days=1)) == []
    assert await tracking.latest_post_at() == clock.now()
    assert await tracking.carried_followers(own.posted.id) == 50_000
    assert await tracking.carried_followers(other.posted.id) == 0
    assert await tracking.followers() == [(clock.now().date().isoformat(), 1_000 if account == "a" else 2_000)]
    await tracking.end_tracking(other.posted.id, "gelöscht", at=later)  # not this account's: nothing changes
    await tracking.add_snapshots(other.posted.id, [(Step("48h", 48 * 3600), later)])
    theirs = SqlTrackingStore(engine, account=_other(account))
    assert [d.post.post_id for d in await theirs.due_snapshots(later)] == [other.posted.id]


@pytest.mark.parametrize("account", ACCOUNTS)
async def test_summaries_are_sent_once_per_account_and_day(engine, clock, stored, account):
    summaries = SqlSummaryStore(engine, account=account)
    assert not await summaries.claim_summary(DAY, at=clock.now())
    assert await summaries.any_summary_sent()
    await summaries.mark_summary_delivered(DAY, at=clock.now())
    assert await summaries.summary_delivered(DAY)
    assert not await SqlSummaryStore(engine, account=_other(account)).summary_delivered(DAY)
    assert not await SqlSummaryStore(engine).any_summary_sent()
    since = clock.now() - timedelta(days=1)
    [record] = await summaries.posts_since(since, baseline_at=clock.now())
    assert record.post_id == stored[account].posted.id and record.notable == 1
    assert [n.handle for n in await summaries.notable_since(since)] == [f"carrier_{account}"]
    assert [t.handle for t in await summaries.top_amplifiers_since(since, 5)] == [f"carrier_{account}"]
    await summaries.release_summary(DAY)
    assert await SqlSummaryStore(engine, account=_other(account)).any_summary_sent()


@pytest.mark.parametrize("account", ACCOUNTS)
async def test_usage_is_counted_per_account_and_month(engine, clock, stored, account):
    usage = SqlUsageStore(engine, clock, account=account)
    await usage.record("read", items=5)
    await usage.set_budget_notice_level(clock.now(), 1)
    month = await usage.month_usage(clock.now())
    assert (month.read_requests, month.write_requests, month.read_items) == (1, 1, 5)
    assert await usage.budget_notice_level(clock.now()) == 1
    other = SqlUsageStore(engine, clock, account=_other(account))
    assert await other.reads_in_month(clock.now()) == 0
    assert await other.budget_notice_level(clock.now()) == 0
    assert (await other.month_usage(clock.now())).write_requests == 1


@pytest.mark.parametrize("account", ACCOUNTS)
async def test_amplifiers_followers_and_watch_lists_are_the_accounts_own(engine, clock, stored, account):
    own, other = stored[account], stored[_other(account)]
    amplifiers = SqlAmplifierStore(engine, account=account)
    assert [s.amplifier.user_id for s in await amplifiers.amplifiers_of(own.posted.id)] == [f"u-{account}"]
    assert await amplifiers.amplifiers_of(other.posted.id) == []
    assert await amplifiers.add_amplifiers(other.posted.id, [StoredAmplifier(
        Amplifier("x", "x", "x", 1, None, "repost"), clock.now(), False, None, None)]) == []
    await amplifiers.mark_alerted(own.posted.id, {f"u-{account}"}, at=clock.now())
    assert await amplifiers.alerted(own.posted.id) == {f"u-{account}"}
    assert await SqlAmplifierStore(engine, account=_other(account)).alerted(other.posted.id) == set()
    assert [r.post.post_id for r in await amplifiers.due_reads(clock.now())] == [own.posted.id]
    assert await amplifiers.due_reads(clock.now(), other.posted.id) == []
    assert await amplifiers.next_read_due() == clock.now()
    assert await amplifiers.latest_metrics(other.posted.id) is None
    assert (await amplifiers.latest_metrics(own.posted.id)).likes == 10
    found = await amplifiers.find_post()
    assert found is not None and found[0].post_id == own.posted.id
    assert await amplifiers.find_post(post_id=other.posted.id) is None
    assert await amplifiers.follower_count() == (1_000 if account == "a" else 2_000)
    assert await amplifiers.last_follower_scan() == clock.now()
    assert await amplifiers.followers_among({"f1", "f-a", "f-b"}) == {"f1", f"f-{account}"}
    assert await amplifiers.lists_of({"f1", "m-a", "m-b"}) == {"f1": frozenset({"list1"}),
                                                                f"m-{account}": frozenset({"list1"})}
    assert await amplifiers.list_refreshed_at("list1") == clock.now()
    await amplifiers.replace_followers(set(), at=clock.now())
    await amplifiers.replace_list_members("list1", [], at=clock.now())
    theirs = SqlAmplifierStore(engine, account=_other(account))
    assert await theirs.followers_among({"f1"}) == {"f1"}
    assert await theirs.lists_of({"f1"}) == {"f1": frozenset({"list1"})}


@pytest.mark.parametrize("account", ACCOUNTS)
async def test_learning_monthly_and_best_time_figures_are_the_accounts_own(engine, clock, stored, account):
    own = stored[account]
    since = clock.now() - timedelta(days=1)
    [learnt] = await SqlLearningStore(engine, account=account).learning_posts(since)
    assert learnt.post_id == own.posted.id and learnt.notable == 1
    monthly = SqlMonthlyStore(engine, account=account)
    [post] = await monthly.month_posts(since, clock.now() + timedelta(days=1))
    assert post.post_id == own.posted.id
    [amplifier] = await monthly.month_amplifiers(since, clock.now() + timedelta(days=1))
    assert amplifier.user_id == f"u-{account}"
    [figures] = await SqlPostFigures(engine, account=account).since(since)
    assert figures.engagement_rate == pytest.approx(14 / 1_000)
    assert await SqlLearningStore(engine).learning_posts(since) == []
    assert await SqlMonthlyStore(engine).month_posts(since, clock.now() + timedelta(days=1)) == []
    assert await SqlPostFigures(engine).since(since) == []


async def test_the_directory_knows_the_account_of_messages_and_channels(engine, stored):
    directory = SqlAccountDirectory(engine)
    for account in ACCOUNTS:
        assert await directory.account_of_message(MESSAGE[account]) == account
        assert await directory.account_of_channel(CHANNEL[account]) == account
    assert await directory.account_of_message(4_242) is None
    assert await directory.account_of_channel(4_242) is None
    assert await directory.accounts_in_use() == {"a", "b"}


async def test_the_newest_case_of_a_channel_names_its_account(engine, clock):
    news = NewsItem(NEWS)
    for account in ("a", "b"):
        await SqlWorkflowStore(engine, clock, account=account).create_case(
            news, origin="discord", requester_id=1, guild_id=None, channel_id=77, count=4)
    assert await SqlAccountDirectory(engine).account_of_channel(77) == "b"


async def test_an_empty_database_has_no_accounts(engine):
    assert await SqlAccountDirectory(engine).accounts_in_use() == set()


def test_the_storage_default_account_is_the_bots():
    from bot.accounts import DEFAULT_ACCOUNT as BOT_DEFAULT

    assert DEFAULT_ACCOUNT == BOT_DEFAULT
