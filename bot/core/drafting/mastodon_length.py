"""The length Mastodon gives a status, for the draft check against an instance's limit.

Mastodon counts every http(s) URL as ``characters_reserved_per_url`` (23 unless the instance says otherwise)
whatever its length, and a remote mention ``@user@domain`` as ``@user``; everything else by characters. It
counts grapheme clusters; this counts code points, which are never fewer, so a text that fits here fits there
(a few emoji sequences count more here than on the instance). Trailing punctuation is never part of a URL.
"""

from __future__ import annotations

import re

DEFAULT_LIMIT = 500  # Mastodon's default max_characters
DEFAULT_URL_CHARS = 23

_URL = re.compile(r"https?://[^\s<>\"]+", re.IGNORECASE)
_TRAILING = ".,;:!?)]}'\"»«“”„’"
# Mastodon's mention: @username, optionally @domain; not after a word character, "/" or "=" (e.g. in an e-mail).
_MENTION = re.compile(r"(?<![\w/=@])@(\w+(?:[.-]+\w+)*)@\w+(?:[.-]+\w+)*", re.UNICODE)


def _url_length(match: re.Match[str], url_chars: int) -> str:
    url = match.group(0)
    return "x" * url_chars + url[len(url.rstrip(_TRAILING)):]


def mastodon_length(text: str, *, url_chars: int = DEFAULT_URL_CHARS) -> int:
    """The characters ``text`` counts for on Mastodon (see the module's docstring)."""
    text = _MENTION.sub(lambda m: "@" + m.group(1), text)
    counted = _URL.sub(lambda m: _url_length(m, url_chars), text)
    return len(counted)
