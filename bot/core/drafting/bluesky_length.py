"""Bluesky's post length: grapheme clusters (what a reader sees as one character), at most 300.

The app and the PDS count extended grapheme clusters of the text as posted: an emoji with skin tone or a
family (ZWJ sequence) is one, a letter with a combining accent is one, and a URL counts with every character
(Bluesky does not shorten links).
"""

from __future__ import annotations

import unicodedata

import regex

BLUESKY_LIMIT = 300

_GRAPHEME = regex.compile(r"\X")


def bluesky_length(text: str) -> int:
    """Number of grapheme clusters of ``text`` after NFC normalisation."""
    return len(_GRAPHEME.findall(unicodedata.normalize("NFC", text)))
