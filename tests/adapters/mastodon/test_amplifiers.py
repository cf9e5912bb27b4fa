"""MastodonAmplifiers: who reblogged (paged by Link headers, with follower counts) and who follows us."""

from pathlib import Path

import pytest

from bot.adapters.mastodon.amplifiers import MastodonAmplifiers
from bot.core.errors import SpitzfederError
from bot.core.networks import Network
from bot.core.reach.amplifiers import AmplifierRead
from bot.core.reach.watchlist import Watchlist, parse_csv
from tests.fakes.mastodon_server import account


@pytest.fixture
def amplifiers(make_mastodon_client):
    return MastodonAmplifiers(make_mastodon_client())


async def test_reposters_with_follower_counts_and_full_handles_for_remote_accounts(amplifiers, fake_mastodon):
    status = fake_mastodon.add_status("Frage?")
    fake_mastodon.reblogged_by[status.id] = [account("11", "anna", 50_000, "Anna A."),
                                             account("12", "ben@chaos.social", 120)]
    read = await amplifiers.reposters(status.id, max_pages=3)
    home = amplifiers.home  # local accounts get our instance's domain
    assert [(a.user_id, a.handle, a.name, a.followers, a.verified_type, a.kind) for a in read.amplifiers] == [
        ("11", f"anna@{home}", "Anna A.", 50_000, None, "repost"),
        ("12", "ben@chaos.social", "Ben", 120, None, "repost")]
    assert read.notes == []


async def test_reposters_page_by_80_up_to_max_pages(amplifiers, fake_mastodon):
    status = fake_mastodon.add_status("Frage?")
    fake_mastodon.reblogged_by[status.id] = [account(str(100 + n), f"u{n}@example.org", n) for n in range(200)]
    read = await amplifiers.reposters(status.id, max_pages=2)
    assert len(read.amplifiers) == 160
    pages = [r.query for r in fake_mastodon.requests if r.path.endswith("/reblogged_by")]
    assert pages == [{"limit": "80"}, {"limit": "80", "max_id": "80"}]
    assert len((await amplifiers.reposters(status.id, max_pages=5)).amplifiers) == 200


async def test_a_deleted_status_has_no_reposters_and_says_why(amplifiers, fake_mastodon):
    status = fake_mastodon.add_status("Frage?")
    fake_mastodon.deleted.add(status.id)
    read = await amplifiers.reposters(status.id, max_pages=2)
    assert read.amplifiers == [] and "gelöscht" in read.notes[0]


async def test_unreadable_accounts_are_noted_not_fatal(amplifiers, fake_mastodon):
    status = fake_mastodon.add_status("Frage?")
    fake_mastodon.reblogged_by[status.id] = [account("11", "anna"), {"id": "", "acct": "x"}]
    read = await amplifiers.reposters(status.id, max_pages=1)
    assert [a.handle for a in read.amplifiers] == [f"anna@{amplifiers.home}"] and len(read.notes) == 1


async def test_no_quotes_and_no_lists_on_mastodon(amplifiers, fake_mastodon):
    assert await amplifiers.quoters("113000000000000001", max_pages=3) == AmplifierRead([])
    assert await amplifiers.list_members("123") == []
    assert fake_mastodon.requests == []  # nothing asked


async def test_our_followers_paged(amplifiers, fake_mastodon):
    fake_mastodon.follower_accounts = [account(str(500 + n), f"f{n}") for n in range(100)]
    scan = await amplifiers.our_followers(max_count=1000)
    assert len(scan.user_ids) == 100 and "500" in scan.user_ids and scan.complete
    partial = await amplifiers.our_followers(max_count=80)
    assert len(partial.user_ids) == 80 and not partial.complete


async def test_a_failed_read_raises_in_german(amplifiers, fake_mastodon):
    status = fake_mastodon.add_status("Frage?")
    fake_mastodon.fail("GET /api/v1/statuses/{id}/reblogged_by", 503, {"error": "unavailable"})
    with pytest.raises(SpitzfederError) as caught:
        await amplifiers.reposters(status.id, max_pages=1)
    assert "gestört" in caught.value.user_message and "🔁" not in caught.value.user_message


def test_our_instance_is_the_base_urls_host(make_mastodon_client):
    client = make_mastodon_client()
    client.host = "Norden.social:443"
    assert MastodonAmplifiers(client).home == "norden.social"


async def test_a_local_account_matches_the_shipped_watchlist(make_mastodon_client, fake_mastodon):
    """On norden.social Mastodon names the account „bsp_presse“; the watchlist writes bsp_presse@norden.social."""
    watchlist = Watchlist(parse_csv((Path(__file__).parents[3] / "watchlist.example.csv").read_text(encoding="utf-8")))
    status = fake_mastodon.add_status("Frage?")
    fake_mastodon.reblogged_by[status.id] = [account("11", "bsp_presse", 800),
                                             account("12", "BSP_Presse@Norden.Social"),
                                             account("13", "bsp_presse@chaos.social")]
    read = await MastodonAmplifiers(make_mastodon_client(), home="norden.social").reposters(status.id, max_pages=1)
    assert [a.handle for a in read.amplifiers] == [
        "bsp_presse@norden.social", "BSP_Presse@Norden.Social", "bsp_presse@chaos.social"]
    assert [watchlist.label_for(a.handle, network=Network.MASTODON) for a in read.amplifiers] == [
        "Journalistin", "Journalistin", None]
    assert watchlist.label_for("@bsp_presse@norden.social", network=Network.MASTODON) == "Journalistin"
    assert watchlist.label_for("bsp_presse@norden.social") is None  # X's bsp_presse is another entry
