"""Untrusted text (news, model output, hand edits) made safe to post and to show.

What the team sees must be exactly what goes out: a draft is one paragraph without invisible
controls, and the chat shows its characters literally, never as formatting, links or mentions.
"""

from __future__ import annotations

import re
import unicodedata

# Bidirectional overrides and isolates reorder what is shown; they never belong in a question.
_BIDI = dict.fromkeys(map(ord, "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f"))
_LINE_BREAKS = re.compile(r"\s*[\n\r\v\f\x1c-\x1e\x85\u2028\u2029]\s*")
_ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"
# Discord's own markup; a backslash shows the character itself (URLs are kept whole, see below).
_MARKUP = re.compile(r"([\\*_~`|<>#\[\]()])")
_URL = re.compile(r"https?://[^\s<>]+[^\s<>.,:;\"'\])]")
_CHAT_MARKUP = re.compile(r"\|\||\*\*|__|~~|`|\[[^\]\n]*\]\([^)\s]*\)")


def one_paragraph(text: str) -> str:
    """A draft's text as it is posted: NFC, line breaks folded to spaces, no control or bidi characters."""
    text = unicodedata.normalize("NFC", text).translate(_BIDI)
    text = _LINE_BREAKS.sub(" ", text.strip())
    return "".join(c for c in text if unicodedata.category(c) != "Cc" or c == "\t").strip()


def plain_line(text: str) -> str:
    """For thread names and headers: no control, format (bidi, zero-width) characters, spacing folded."""
    kept = "".join(c for c in text if unicodedata.category(c) not in ("Cc", "Cf") and c not in _ZERO_WIDTH)
    return " ".join(kept.split())


def chat_markup(text: str) -> list[str]:
    """Discord formatting in a draft (spoilers, bold, code, masked links): X would show it verbatim."""
    return sorted({match.group(0) if not match.group(0).startswith("[") else "[…](…)"
                   for match in _CHAT_MARKUP.finditer(text)})


def literal(text: str) -> str:
    """The text as the chat shows it character for character: markup escaped, URLs unlinked and unembedded."""
    parts = []
    position = 0
    for match in _URL.finditer(text):
        parts.append(_MARKUP.sub(r"\\\1", text[position:match.start()]))
        parts.append(f"<{match.group(0)}>")
        position = match.end()
    parts.append(_MARKUP.sub(r"\\\1", text[position:]))
    return "".join(parts)
