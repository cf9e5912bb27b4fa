"""Record keys, facets and Bluesky's length: pure functions."""

from datetime import UTC, datetime

import pytest

from bot.adapters.bluesky.facets import links, mentions
from bot.adapters.bluesky.tid import is_tid, post_rkey, reply_rkey, tid
from bot.core.drafting.bluesky_length import BLUESKY_LIMIT, bluesky_length
from bot.core.posting.ports import PostKey


def test_tid_layout_follows_the_spec():
    assert tid(0, 0) == "2222222222222"
    assert tid((1 << 53) - 1, 1023) == "bzzzzzzzzzzzz"  # the top bit stays 0: the first character is at most „b“
    assert tid(0, 1) == "2222222222223"
    assert tid(1, 0) == "2222222222322"  # 1 µs = 1 << 10 = 32²
    with pytest.raises(ValueError):
        tid(0, 1024)


def test_post_keys_derive_stable_sortable_tids():
    key = PostKey(post_id=1025, approved_at=datetime(2026, 11, 30, 9, 15, tzinfo=UTC))
    micros = int(key.approved_at.timestamp()) * 1_000_000
    assert post_rkey(key) == tid(micros, 1) and reply_rkey(key) == tid(micros + 1, 1)  # clock id = 1025 % 1024
    assert is_tid(post_rkey(key)) and post_rkey(key) < reply_rkey(key)
    later = PostKey(post_id=1025, approved_at=datetime(2026, 11, 30, 9, 16, tzinfo=UTC))
    assert post_rkey(later) > reply_rkey(key)
    assert post_rkey(key) == post_rkey(PostKey(1025, key.approved_at))  # same key, same rkey: a retry hits it


def test_link_facets_use_utf8_byte_offsets_and_drop_trailing_punctuation():
    text = "Über „Kosten“: https://example.org/straße. Und (https://de.wikipedia.org/wiki/A_(B))!"
    first, second = links(text)
    raw = text.encode("utf-8")
    assert first.value == "https://example.org/straße" and raw[first.byte_start:first.byte_end].decode() == first.value
    assert second.value == "https://de.wikipedia.org/wiki/A_(B)"
    assert raw[second.byte_start:second.byte_end].decode() == second.value


def test_mentions_are_domain_handles_not_mail_addresses():
    spans = mentions("Frage an @Tagesschau.de und @x, Post an info@example.org.")
    assert [span.value for span in spans] == ["tagesschau.de"]


@pytest.mark.parametrize("text, length", [
    ("Wer zahlt?", 10),
    ("👨‍👩‍👧‍👦 🇩🇪 👍🏽", 5),  # a family, a flag and a skin tone are one each
    ("Cafe\u0301", 4),  # e + combining accent is one
    ("https://example.org/" + "a" * 20, 40),  # links count in full
])
def test_bluesky_length_counts_graphemes(text, length):
    assert bluesky_length(text) == length


def test_limit():
    assert BLUESKY_LIMIT == 300 and bluesky_length("ä" * 300) == BLUESKY_LIMIT


def test_importing_the_adapter_does_not_load_atproto():
    """atproto builds every lexicon model on import (about a second): only when Bluesky is first used."""
    import subprocess
    import sys

    script = ("import sys\nimport bot.adapters.bluesky.network, bot.adapters.bluesky.doctor\n"
              "print('atproto_client' in sys.modules)\n")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["False"]
