"""The monthly report's figures, from an in-memory store: per network, in total, against the month before."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.core.errors import InputError
from bot.core.networks import Network
from bot.core.reach.metrics import Metrics
from bot.core.reports.monthly import (
    REACH_MULTIPLIER,
    MonthAmplifier,
    MonthPost,
    build_monthly_report,
    resolve_account,
)
from bot.core.reports.period import Month, parse_month

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


class MemoryStore:
    def __init__(self, posts: list[MonthPost], amplifiers: list[MonthAmplifier] | None = None) -> None:
        self.posts, self.amplifiers, self.reads = posts, amplifiers or [], 0

    async def month_posts(self, start: datetime, end: datetime) -> list[MonthPost]:
        self.reads += 1
        return sorted((p for p in self.posts if start <= p.posted_at < end), key=lambda p: (p.posted_at, p.post_id))

    async def month_amplifiers(self, start: datetime, end: datetime) -> list[MonthAmplifier]:
        ids = {p.post_id for p in self.posts if start <= p.posted_at < end}
        return [a for a in self.amplifiers if a.post_id in ids]


def post(post_id: int, network: Network, at: datetime, metrics: Metrics | None, *, followers: int | None = 1_000,
         pattern: str = "kosten", set_id: int | None = None) -> MonthPost:
    return MonthPost(post_id, set_id or post_id, network, f"Frage {post_id}?", f"https://example.org/{post_id}",
                     pattern, at, followers, metrics)


def carrier(post_id: int, network: Network, user: str, followers: int, *, notable: bool = False, kind: str = "repost",
            follows_us: bool | None = False, label: str | None = None) -> MonthAmplifier:
    return MonthAmplifier(post_id, network, user, user, user.title(), followers, kind, notable, label, follows_us)


NOV = datetime(2026, 11, 10, 12, 0, tzinfo=UTC)
OCT = datetime(2026, 10, 10, 12, 0, tzinfo=UTC)


def sample_store() -> MemoryStore:
    posts = [
        post(1, Network.X, NOV, Metrics(retweets=10, likes=20, replies=5, quotes=2, impressions=3_000)),
        post(2, Network.BLUESKY, NOV, Metrics(retweets=4, likes=8, replies=1, quotes=1), set_id=1),
        post(3, Network.X, NOV.replace(day=20), Metrics(retweets=1, likes=2, impressions=500), pattern="widerspruch"),
        post(4, Network.BLUESKY, NOV.replace(day=20), None, pattern="widerspruch", set_id=3),
        post(5, Network.X, OCT, Metrics(retweets=5, likes=10, impressions=1_000)),
    ]
    amplifiers = [
        carrier(2, Network.BLUESKY, "presse", 40_000, notable=True, label="Presse"),
        carrier(2, Network.BLUESKY, "presse", 40_000, notable=True, kind="quote", label="Presse"),  # counts once
        carrier(2, Network.BLUESKY, "anna", 2_000, follows_us=True),
        carrier(1, Network.X, "mdb", 90_000, notable=True, follows_us=None),
    ]
    return MemoryStore(posts, amplifiers)


async def build(store: MemoryStore, month: Month = Month(2026, 11)):
    return await build_monthly_report(store, month, tz=BERLIN, account="standard", display_name="Kunde A", now=NOW)


def test_months_are_parsed_with_german_messages():
    assert parse_month("2026-11") == Month(2026, 11)
    assert parse_month(" 2026-3 ").key == "2026-03"
    assert Month(2026, 3).label == "März 2026"
    for bad, says in [("11/2026", "„11/2026“ ist kein Monat; erwartet wird JJJJ-MM"),
                      ("2026-13", "einen Monat 13 gibt es nicht"), ("2026-00", "einen Monat 0 gibt es nicht"),
                      ("1999-01", "das Jahr 1999 liegt außerhalb"), ("", "Kein Monat angegeben")]:
        with pytest.raises(InputError) as caught:
            parse_month(bad)
        assert says in caught.value.user_message


def test_a_month_is_bounded_at_local_midnight():
    assert Month(2026, 11).bounds(BERLIN) == (datetime(2026, 10, 31, 23, 0, tzinfo=UTC),
                                              datetime(2026, 11, 30, 23, 0, tzinfo=UTC))
    assert Month(2026, 12).following() == Month(2027, 1) and Month(2027, 1).previous() == Month(2026, 12)


def test_an_unknown_account_names_the_accounts_there_are():
    assert resolve_account("standard", {"standard": "Kunde A"}) == "Kunde A"
    with pytest.raises(InputError, match="Ein Konto „kunde-b“ gibt es nicht. Vorhanden: „standard“."):
        resolve_account("kunde-b", {"standard": "Kunde A"})


async def test_a_month_without_posts_says_so():
    report = await build(MemoryStore([]))
    assert report.empty and report.empty_text == "Im November 2026 wurde nichts gepostet."
    assert report.display_name == "Kunde A" and report.period == "November 2026"


async def test_totals_per_network_and_overall_with_the_change():
    report = await build(sample_store())
    x, bluesky, overall = report.totals
    assert (x.network, bluesky.network, overall.network) == (Network.X, Network.BLUESKY, None)
    assert (x.now.posts, x.now.interactions, x.now.impressions) == (2, 40, 3_500)
    assert (x.before.posts, x.before.interactions) == (1, 15)
    assert x.change("interactions").delta == 25 and x.change("interactions").percent == pytest.approx(166.666, 0.01)
    assert (bluesky.now.posts, bluesky.now.interactions, bluesky.before.interactions) == (2, 14, 0)
    assert bluesky.change("interactions").percent is None  # nothing before: no percentage
    assert (overall.now.posts, overall.now.interactions, overall.before.posts) == (4, 54, 1)


async def test_multipliers_per_network():
    report = await build(sample_store())
    lines = {line.post.post_id: line for line in report.posts}
    assert lines[1].multiplier == pytest.approx(3.0)  # 3 000 impressions ÷ 1 000 followers
    assert lines[2].multiplier == pytest.approx(42.0)  # (40 000 + 2 000) ÷ 1 000, the quoting account once
    assert lines[2].multiplier_name == REACH_MULTIPLIER and lines[2].impressions is None
    assert lines[4].multiplier is None and not lines[4].tracked  # no reading: no multiplier
    assert [line.post.post_id for line in report.best_by_multiplier] == [1, 3, 2]  # per network: X, Bluesky
    assert [line.post.post_id for line in report.best_by_interactions] == [1, 2, 3]


async def test_notable_amplifiers_reach_beyond_and_patterns():
    report = await build(sample_store())
    assert [(a.handle, a.followers, a.posts, a.quoted, a.label) for a in report.notable] == [
        ("mdb", 90_000, 1, False, None), ("presse", 40_000, 1, True, "Presse")]
    assert [(r.network, r.accounts, r.outside, r.outside_followers, r.unknown) for r in report.reach] == [
        (Network.X, 1, 0, 0, 1), (Network.BLUESKY, 2, 1, 40_000, 0)]
    assert [(p.pattern, p.network, p.posts, p.median_interactions) for p in report.patterns] == [
        ("kosten", Network.X, 1, 37.0), ("kosten", Network.BLUESKY, 1, 14.0),
        ("widerspruch", Network.X, 1, 3.0), ("widerspruch", Network.BLUESKY, 1, None)]


async def test_posts_are_read_once_per_month_whatever_their_number():
    store = sample_store()
    await build(store)
    assert store.reads == 2  # this month and the one before (amplifiers: one more read)


async def test_a_post_without_a_reading_has_no_multiplier_and_ranks_nowhere():
    store = MemoryStore([post(1, Network.BLUESKY, NOV, None), post(2, Network.MASTODON, NOV, None),
                         post(3, Network.BLUESKY, NOV, Metrics(likes=3)),
                         post(4, Network.BLUESKY, NOV, Metrics(likes=1))],
                        [carrier(3, Network.BLUESKY, "presse", 5_000)])
    report = await build(store)
    assert [line.multiplier for line in report.posts] == [None, None, 5.0, 0.0]
    assert [line.post.post_id for line in report.best_by_multiplier] == [3]  # neither None nor zero ranks
    medians = {(row.network, row.pattern): row.median_multiplier for row in report.patterns}
    assert medians[(Network.MASTODON, "kosten")] is None and medians[(Network.BLUESKY, "kosten")] == 2.5


async def test_an_amplifier_counts_with_the_followers_it_had_when_first_seen():
    store = MemoryStore([post(1, Network.BLUESKY, NOV, Metrics(retweets=2))],
                        [carrier(1, Network.BLUESKY, "presse", 4_000),
                         carrier(1, Network.BLUESKY, "presse", 9_000, kind="quote")])  # grew since: not counted
    report = await build(store)
    assert report.posts[0].amplifier_followers == 4_000 and report.posts[0].multiplier == 4.0


async def test_reach_counts_every_carrier_s_followers_once_and_a_month_still_going_is_unfinished():
    report = await build(sample_store())
    assert [(r.network, r.followers) for r in report.reach] == [(Network.X, 90_000), (Network.BLUESKY, 42_000)]
    assert report.finished  # built on 1 December
    going = await build_monthly_report(sample_store(), Month(2026, 11), tz=BERLIN, account="standard",
                                       display_name="Kunde A", now=datetime(2026, 11, 30, 11, 0, tzinfo=UTC))
    assert not going.finished
