"""Rich-text facets of a post: every URL becomes a link; a mention only for an allowed handle.

Facet indices are byte offsets into the UTF-8 text (atproto's ``app.bsky.richtext.facet``), not characters.
A handle that was not allowed stays plain text: no mention facet, so nobody is notified.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_URL = re.compile(r"https?://[^\s<>\"]+")
_TRAILING = ".,;:!?)]}'\"»«“”„’"
_MENTION = re.compile(r"(?<![\w@])@([a-zA-Z0-9][a-zA-Z0-9.-]*[a-zA-Z0-9])")
_LINK = "app.bsky.richtext.facet#link"
_MENTION_TYPE = "app.bsky.richtext.facet#mention"


@dataclass(frozen=True)
class Span:
    byte_start: int
    byte_end: int
    value: str  # the URL, or the handle without @


def _bytes(text: str, start: int, end: int) -> tuple[int, int]:
    before = len(text[:start].encode("utf-8"))
    return before, before + len(text[start:end].encode("utf-8"))


def links(text: str) -> list[Span]:
    found = []
    for match in _URL.finditer(text):
        url = match.group(0).rstrip(_TRAILING)
        if url.count("(") > url.count(")") and match.group(0)[len(url):].startswith(")"):
            url += ")"  # a Wikipedia-style link that ends in its own parenthesis
        found.append(Span(*_bytes(text, match.start(), match.start() + len(url)), url))
    return found


def mentions(text: str) -> list[Span]:
    """``@handle`` spans (the @ included in the byte range), handles lower-cased, trailing dots dropped."""
    found = []
    for match in _MENTION.finditer(text):
        handle = match.group(1).rstrip(".")
        if "." not in handle:
            continue  # a Bluesky handle is a domain name
        found.append(Span(*_bytes(text, match.start(), match.start(1) + len(handle)), handle.lower()))
    return found


def link_facet(span: Span) -> dict[str, object]:
    return {"index": {"byteStart": span.byte_start, "byteEnd": span.byte_end},
            "features": [{"$type": _LINK, "uri": span.value}]}


def mention_facet(span: Span, did: str) -> dict[str, object]:
    return {"index": {"byteStart": span.byte_start, "byteEnd": span.byte_end},
            "features": [{"$type": _MENTION_TYPE, "did": did}]}
