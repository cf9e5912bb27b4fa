"""Lengths per network: the limits of the active networks, one figure each, and a draft too long for some."""

from bot.core.drafting.checks import CheckRules, check_draft
from bot.core.drafting.lengths import X_ONLY, from_json, lengths_line, limits_for, measure, to_json
from bot.core.drafting.models import NewsItem, ProblemKind
from bot.core.networks import Network
from tests.fakes.samples import GOOD_DRAFTS, NEWS

ALL = limits_for([Network.MASTODON, Network.X, Network.BLUESKY], mastodon_limit=100, mastodon_url_chars=10)
QUOTE = GOOD_DRAFTS[0][1]


def test_limits_come_in_the_usual_order_with_the_instances_mastodon_limit():
    assert [(limit.network, limit.limit) for limit in ALL] == [(Network.X, 280), (Network.BLUESKY, 300),
                                                               (Network.MASTODON, 100)]


def test_each_network_counts_its_own_way():
    text = "Was kostet das? https://example.org/" + "a" * 60 + " 👍"
    x, bluesky, mastodon = measure(text, ALL)
    assert x.length == 16 + 23 + 1 + 2  # X: every URL 23, an emoji 2
    assert bluesky.length == len(text)  # graphemes: every character, the whole URL
    assert mastodon.length == 16 + 10 + 2  # the instance reserves 10 per URL


def test_one_figure_per_network_and_the_x_figure_alone_as_before():
    lengths = measure("Warum?", ALL)
    assert lengths_line(lengths) == "6/280 X · 6/300 Bluesky · 6/100 Mastodon"
    assert lengths_line(measure("Warum?", X_ONLY)) == "6/280"


def test_lengths_are_stored_and_read_back():
    lengths = measure("Warum?", ALL)
    assert from_json(to_json(lengths)) == lengths and from_json(None) == ()


def test_a_draft_too_long_for_one_network_warns_and_names_where_it_goes():
    text = "Wer zahlt am Ende für die gestiegenen Energiekosten, wirklich nur die Fahrgäste in Hamburg, oder wer sonst?"
    draft = check_draft(text, QUOTE, NewsItem(NEWS), CheckRules(limits=ALL))
    assert draft.usable and draft.too_long_for == (Network.MASTODON,)
    [warning] = [p for p in draft.problems if p.kind is ProblemKind.TOO_LONG_FOR_SOME]
    assert warning.label == f"zu lang für Mastodon ({len(text)}/100) — geht nur an X, Bluesky"


def test_a_draft_too_long_for_every_network_is_fatal():
    text = "Warum " + "wirklich " * 40 + "?"
    draft = check_draft(text, QUOTE, NewsItem(NEWS), CheckRules(limits=ALL[1:]))
    assert not draft.usable
    assert [p.label for p in draft.problems if p.fatal] == [
        f"Zu lang für jedes Netzwerk ({len(text)}/300 Bluesky · {len(text)}/100 Mastodon)"]


def test_with_x_alone_the_too_long_label_is_as_it_was():
    text = "Warum " + "wirklich " * 40 + "?"
    draft = check_draft(text, QUOTE, NewsItem(NEWS))
    assert [p.label for p in draft.problems if p.fatal] == [f"Zu lang ({len(text)}/280)"]


def test_a_known_x_length_is_taken_and_the_other_networks_count_their_own():
    text = "Was kostet das? https://example.org/" + "a" * 60 + " 👍"
    assert measure(text, ALL, x_length=measure(text, X_ONLY)[0].length) == measure(text, ALL)
    x, bluesky, mastodon = measure(text, ALL, x_length=7)
    assert (x.length, bluesky.length, mastodon.length) == (7, len(text), 16 + 10 + 2)
