"""Texts for drafts and posts on several networks: lengths, reactions, where a draft goes, failures per network."""

from datetime import UTC, datetime

from bot.core.conversation.records import DraftEntry
from bot.core.drafting.lengths import NetworkLength
from bot.core.networks import Network
from bot.core.posting.records import Post, PostState
from bot.core.text.rendering import (
    CANCEL,
    HELP_TEXT,
    RENEW,
    draft_block,
    failed_text,
    help_text,
    network_hint,
    network_of,
    networks_note,
    no_target_text,
    published_text,
    targets_status,
)

NOON = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
ALL = [Network.X, Network.BLUESKY, Network.MASTODON]


def post(network: Network, **fields) -> Post:
    return Post(1, 1, 1, "Warum?", fields.pop("state", PostState.FAILED), NOON, NOON, network=network, **fields)


def test_network_of_reads_the_three_reactions_and_nothing_else():
    assert [network_of(mark) for mark in ("🐦", "🦋", "🐘", "1️⃣", "✅")] == [*ALL, None, None]


def test_a_draft_shows_one_length_per_network():
    lengths = (NetworkLength(Network.X, 121, 280), NetworkLength(Network.BLUESKY, 118, 300))
    block = draft_block(DraftEntry(7, 2, "Warum?", "", False, 121, lengths=lengths))
    assert block.splitlines()[1] == "   121/280 X · 118/300 Bluesky"


def test_a_draft_stored_without_lengths_shows_the_x_figure():
    assert draft_block(DraftEntry(7, 2, "Warum?", "", False, 6)).splitlines()[1] == "   6/280"


def test_where_the_drafts_go():
    assert targets_status({1: (Network.BLUESKY, Network.MASTODON), 2: (Network.BLUESKY, Network.MASTODON)}) \
        == "geht an: Bluesky, Mastodon"
    assert targets_status({1: (Network.BLUESKY,), 2: (), 3: (Network.BLUESKY,)}) == \
        "geht an: Bluesky (Entwurf 2: keins)"
    assert targets_status({1: ()}) == "geht an kein Netzwerk"
    crowded = targets_status({n: tuple(ALL[: n % 4]) for n in range(1, 9)})
    assert len(crowded) == 100 and crowded.endswith("…")  # shortened to fit the state line


def test_why_a_draft_can_go_nowhere():
    assert no_target_text(2, [Network.X], [Network.BLUESKY]) == (
        "Entwurf 2 kann an kein Netzwerk gehen: X abgewählt, für Bluesky zu lang. Zum Freigeben ein Netzwerk "
        "wieder dazunehmen (🐦-Reaktion entfernen).")
    assert no_target_text(1, [], [Network.X]) == ("Entwurf 1 kann an kein Netzwerk gehen: für X zu lang. Bitte "
                                                   "kürzen, z. B. mit einem Wunsch hier.")


def test_the_network_reactions_are_explained_only_with_several_networks():
    assert network_hint([Network.X]) == "" and networks_note([Network.X]) == ""
    assert "🐦 🦋 🐘" in network_hint(ALL)
    assert networks_note([Network.X, Network.MASTODON]) == (
        "Die Entwürfe gehen an X, Mastodon; 🐦 🐘 an den Entwürfen lässt ein Netzwerk vor der Freigabe weg "
        "(nur Freigebende).")
    assert help_text([Network.X]) == HELP_TEXT
    assert "als Entwürfe für X, Bluesky." in help_text([Network.X, Network.BLUESKY])
    assert "(🐦 X, 🦋 Bluesky) weg" in help_text([Network.X, Network.BLUESKY])


def test_a_failure_beside_other_networks_says_retry_and_giving_up_act_only_there():
    text = failed_text(3, post(Network.BLUESKY, error="Bluesky antwortet nicht."), alone=False)
    assert text == (f"⚠️ Entwurf 3 konnte nicht auf Bluesky gepostet werden: Bluesky antwortet nicht. {RENEW} "
                    f"versucht es erneut, nur wo es fehlgeschlagen ist; {CANCEL} gibt es dort auf. Die anderen "
                    "Netzwerke bleiben, wie sie sind.")
    uncertain = failed_text(3, post(Network.MASTODON, error="Keine Antwort.", uncertain=True), alone=False)
    assert uncertain.endswith(f"{RENEW} versucht es erneut, nur wo es fehlgeschlagen ist. Die anderen Netzwerke "
                              "bleiben, wie sie sind.")


def test_each_network_gets_its_own_link_and_its_own_dry_run_line():
    done = post(Network.MASTODON, state=PostState.POSTED, url="https://social.example/@acct/1")
    assert published_text(1, done) == "✅ Entwurf 1 ist auf Mastodon gepostet: https://social.example/@acct/1"
    simulated = post(Network.BLUESKY, state=PostState.POSTED, simulated=True)
    assert published_text(1, simulated) == ("🧪 Entwurf 1: simuliert (Dry Run) — nichts wurde auf Bluesky "
                                            "veröffentlicht.")
