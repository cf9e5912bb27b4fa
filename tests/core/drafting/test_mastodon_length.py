"""The length Mastodon counts for a status: URLs as the instance's reserved characters, remote mentions short."""

import pytest

from bot.core.drafting.mastodon_length import DEFAULT_LIMIT, mastodon_length


@pytest.mark.parametrize("text, expected", [
    ("Wer zahlt?", 10),
    ("Straße für Bürger?", 18),  # characters, not bytes
    ("Lies https://www.tagesschau.de/inland/ein-sehr-langer-artikel-123.html dazu", 5 + 23 + 5),
    ("Kurz: http://t.de", 6 + 23),
    ("Siehe https://example.org/a.", 6 + 23 + 1),  # the full stop is not part of the link
    ("(https://example.org/a)", 1 + 23 + 1),
    ("Was sagt @anna@chaos.social dazu?", len("Was sagt @anna dazu?")),
    ("Was sagt @anna dazu?", 20),
    ("Mail an info@example.org", 24),  # an address is no mention
    ("Zwei https://a.de/x und https://b.de/y", 5 + 23 + 5 + 23),
])
def test_mastodon_length(text, expected):
    assert mastodon_length(text) == expected


def test_urls_count_as_the_instances_reserved_characters():
    assert mastodon_length("https://example.org/ganz/lang", url_chars=30) == 30


def test_emoji_sequences_count_at_least_as_much_as_on_the_instance():
    family = "\U0001F468\u200D\U0001F469\u200D\U0001F467"  # one grapheme on the instance, five code points here
    assert mastodon_length(family) >= 1 and mastodon_length("🙂") == 1


def test_default_limit():
    assert DEFAULT_LIMIT == 500 and mastodon_length("x" * 500) <= DEFAULT_LIMIT < mastodon_length("x" * 501)
