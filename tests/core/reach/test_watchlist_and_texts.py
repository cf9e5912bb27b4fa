"""The watchlist CSV and list ids, the alert texts, the listing of a post's amplifiers, and the price table."""

from datetime import UTC, datetime

import pytest

from bot.core.errors import InputError
from bot.core.networks import Network
from bot.core.notices import AmplifierSpotted
from bot.core.reach.alerts import spotted_text
from bot.core.reach.amplifiers import Amplifier, StoredAmplifier
from bot.core.reach.listing import RemoteRef, listing_text, parse_reference
from bot.core.reach.prices import MonthUsage, cost, dollars, usage_text
from bot.core.reach.tracking import TrackedPost
from bot.core.reach.watchlist import Watchlist, WatchlistError, parse_csv, parse_list_ids

AT = datetime(2026, 11, 25, 9, tzinfo=UTC)


def test_a_watchlist_csv_is_read_by_handle():
    entries = parse_csv("handle,label,note\n@Anna_MdB,MdB,Verkehrsausschuss\n\nbert,Journalistin,\n")
    assert set(entries) == {"anna_mdb", "bert"} and entries["anna_mdb"].label == "MdB"
    watch = Watchlist(entries, {"55": "Verband"})
    assert watch.label_for("ANNA_mdb") == "MdB"
    assert watch.label_for("carla", frozenset({"55"})) == "Verband" and watch.label_for("carla") is None


@pytest.mark.parametrize("text, message", [
    ("name,label\nanna,MdB\n", "Zeile 1: die Kopfzeile muss „handle,network,label,note“"),
    ("handle,label,note\nanna,MdB\n", "Zeile 2: erwartet 3 Spalten (handle,label,note), gefunden 2"),
    ("handle,label,note\nanna,MdB,\nanna mdb,MdB,\n", "Zeile 3: „anna mdb“ ist kein X-Handle"),
    ("handle,label,note\nanna,,\n", "Zeile 2: das Label fehlt"),
    ("handle,label,note\nanna,MdB,\nAnna,MdB,\n", "Zeile 3: @Anna steht schon weiter oben"),
    ("", "Zeile 1"),
])
def test_a_broken_watchlist_names_line_and_problem(text, message):
    with pytest.raises(WatchlistError, match="^WATCHLIST_PATH, " + message.replace("(", r"\(").replace(")", r"\)")):
        parse_csv(text)


def test_list_ids_with_optional_labels():
    assert parse_list_ids(" 123, 456:MdB ,") == {"123": "Liste", "456": "MdB"}
    with pytest.raises(WatchlistError, match="WATCHLIST_X_LIST_IDS: „abc“ ist keine Listen-ID"):
        parse_list_ids("abc")


def test_alert_texts_escape_untrusted_text_and_wrap_the_link():
    assert spotted_text(AmplifierSpotted(1, "anna_mdb", "repost", 45_300, "MdB")) == \
        "🔔 Repostet von @anna\\_mdb (MdB, 45.300 Follower)"
    assert spotted_text(AmplifierSpotted(1, "presse", "repost", 12_100)) == "🔔 Repostet von @presse (12.100 Follower)"
    text = spotted_text(AmplifierSpotted(
        1, "presse", "quote", 12_100, "Journalistin", "Genau **das** fragen wir uns\nauch: https://t.co/x @everyone",
        "https://x.com/presse/status/99"))
    assert text == ("💬 Zitiert von @presse (Journalistin, 12.100 Follower): „Genau \\*\\*das\\*\\* fragen wir uns "
                    "auch: <https://t.co/x> @everyone“ <https://x.com/presse/status/99>")


def test_the_listing_puts_notable_accounts_first():
    post = TrackedPost(12, 3, "1900", AT, 500)
    items = [StoredAmplifier(Amplifier("1", "klein", "K", 80, None, "repost"), AT, False, None, True),
             StoredAmplifier(Amplifier("2", "mdb", "M", 45_300, None, "quote", "77", "Stimmt!"), AT, True, "MdB",
                             False)]
    assert listing_text(post, "Warum kostet das so viel?", items).split("\n") == [
        "Weiterträger von Post 12 („Warum kostet das so viel?…“) auf X <https://x.com/i/status/1900>:",
        "⭐ @mdb (MdB, 45.300 Follower) — Zitat: „Stimmt!“",
        "• @klein (80 Follower) — Repost",
        "Weitergetragen von 2 Konten (1 neu für uns), zusammen 45.380 Follower; darunter @mdb (MdB)",
    ]
    assert "noch niemand" in listing_text(post, "Frage?", [])
    on_bluesky = TrackedPost(13, 3, "at://did:plc:abc/app.bsky.feed.post/3kabc", AT, 500, Network.BLUESKY)
    assert listing_text(on_bluesky, "Frage?", []).startswith(
        "Weiterträger von Post 13 („Frage?…“) auf Bluesky <https://bsky.app/profile/did:plc:abc/post/3kabc>: noch")


def test_alerts_name_the_network():
    assert spotted_text(AmplifierSpotted(1, "anna.bsky.social", "repost", 45_300, "MdB", network=Network.BLUESKY)) \
        == "🦋 Auf Bluesky geteilt von @anna.bsky.social (MdB, 45.300 Follower)"
    assert spotted_text(AmplifierSpotted(1, "bert@social.example", "repost", 900, network=Network.MASTODON)) \
        == "🐘 Auf Mastodon geteilt von @bert@social.example (900 Follower)"
    assert spotted_text(AmplifierSpotted(1, "carla.bsky.social", "quote", 20_000, None, "Gute Frage",
                                         "https://bsky.app/profile/did:plc:c/post/3k", Network.BLUESKY)) \
        == ("🦋 Auf Bluesky zitiert von @carla.bsky.social (20.000 Follower): „Gute Frage“ "
            "<https://bsky.app/profile/did:plc:c/post/3k>")


def test_a_watchlist_names_accounts_per_network():
    entries = parse_csv("handle,network,label,note\nanna_mdb,x,MdB,\nanna.bsky.social,Bluesky,MdB,\n"
                        "bert@social.example,mastodon,Journalist,\nanna_mdb,mastodon,MdB (Mastodon),\n")
    watch = Watchlist(entries)
    assert watch.label_for("anna_mdb") == "MdB"
    assert watch.label_for("ANNA.bsky.social", network=Network.BLUESKY) == "MdB"
    assert watch.label_for("anna.bsky.social") is None  # a Bluesky handle does not match on X
    assert watch.label_for("bert@social.example", network=Network.MASTODON) == "Journalist"
    assert watch.label_for("anna_mdb", network=Network.MASTODON) == "MdB (Mastodon)"
    assert watch.label_for("anna_mdb", network=Network.BLUESKY) is None


@pytest.mark.parametrize("text, message", [
    ("handle,network,label,note\nanna,facebook,MdB,\n", "Zeile 2: „facebook“ ist kein Netzwerk"),
    ("handle,network,label,note\nanna,MdB,\n", "Zeile 2: erwartet 4 Spalten"),
    ("handle,network,label,note\nanna_mdb,bluesky,MdB,\n", "Zeile 2: „anna_mdb“ ist kein Bluesky-Handle"),
    ("handle,network,label,note\na b,mastodon,MdB,\n", "Zeile 2: „a b“ ist kein Mastodon-Konto"),
    ("handle,network,label,note\na.bsky.social,bluesky,MdB,\nA.bsky.social,bluesky,X,\n",
     "Zeile 3: @A.bsky.social \\(Bluesky\\) steht schon"),
])
def test_a_broken_network_watchlist_names_line_and_problem(text, message):
    with pytest.raises(WatchlistError, match="^WATCHLIST_PATH, " + message):
        parse_csv(text)


def test_post_references():
    assert parse_reference(None) == (None, None) and parse_reference(" #12 ") == (12, None)
    assert parse_reference("https://x.com/spitzfeder/status/1900?s=20") == (None, RemoteRef(Network.X, "1900"))
    assert parse_reference("https://twitter.com/i/web/status/1901") == (None, RemoteRef(Network.X, "1901"))
    assert parse_reference("https://bsky.app/profile/spitzfeder.bsky.social/post/3kabc2defg7hi") == (
        None, RemoteRef(Network.BLUESKY, "3kabc2defg7hi"))
    assert parse_reference("https://social.example/@spitzfeder/1133557799") == (
        None, RemoteRef(Network.MASTODON, "1133557799"))
    assert parse_reference("https://social.example/users/spitzfeder/statuses/42") == (
        None, RemoteRef(Network.MASTODON, "42"))
    with pytest.raises(InputError, match="weder eine Postnummer"):
        parse_reference("gestern")


def test_prices_in_one_table():
    assert cost("user", 40) == pytest.approx(0.40) and cost("post", 5) == pytest.approx(0.025)
    assert cost("owned", 2_000) == pytest.approx(2.0) and cost("create_url", 1) == pytest.approx(0.20)
    assert dollars(1234.5) == "1.234,50 $"
    assert usage_text(MonthUsage(120, 3, 2_400, 3.1), 10_000) == \
        "X diesen Monat: 123 Anfragen (3 zum Posten), 2.400 gelesene Einträge von 10.000, geschätzt 3,10 $"
