"""A post's amplifiers as a list (/weitertraeger, `spitzfeder amplifiers`): notable first, then by followers."""

from __future__ import annotations

import re
from typing import Protocol

from bot.core.errors import InputError
from bot.core.reach.amplifiers import StoredAmplifier, followers_de, reach_line
from bot.core.reach.tracking import TrackedPost
from bot.core.text.numbers import de_int
from bot.core.text.untrusted import literal, one_paragraph

_STATUS = re.compile(r"^https?://(?:www\.|mobile\.)?(?:x|twitter)\.com/\w+/(?:web/)?status(?:es)?/(\d{1,25})")
_NUMBER = re.compile(r"^#?(\d{1,9})$")
QUOTE_CHARS = 120
BAD_REFERENCE = "„{text}“ ist weder eine Postnummer (z. B. 12) noch ein Link auf einen Post bei X."


class AmplifierBook(Protocol):
    async def find_post(self, *, post_id: int | None = None, remote_id: str | None = None,
                        ) -> tuple[TrackedPost, str] | None: ...

    async def amplifiers_of(self, post_id: int) -> list[StoredAmplifier]: ...


def parse_reference(text: str | None) -> tuple[int | None, str | None]:
    """'12' / '#12' -> (12, None); an x.com link -> (None, '1234…'); empty -> (None, None) (the newest post)."""
    text = (text or "").strip()
    if not text:
        return None, None
    if match := _NUMBER.match(text):
        return int(match[1]), None
    if match := _STATUS.match(text):
        return None, match[1]
    raise InputError(BAD_REFERENCE.format(text=literal(text[:80])))


def _entry(item: StoredAmplifier) -> str:
    a = item.amplifier
    about = ", ".join([item.label, followers_de(a.followers)] if item.label else [followers_de(a.followers)])
    line = f"{'⭐' if item.notable else '•'} @{literal(a.handle)} ({literal(about)}) — "
    if a.kind == "quote":
        quoted = one_paragraph(a.quote_text or "")
        quoted = quoted if len(quoted) <= QUOTE_CHARS else quoted[:QUOTE_CHARS - 1] + "…"
        return line + f"Zitat: „{literal(quoted)}“"
    return line + "Repost"


def listing_text(post: TrackedPost, text: str, amplifiers: list[StoredAmplifier], *, limit: int | None = 15) -> str:
    head = f"Weiterträger von Post {post.post_id} („{literal(one_paragraph(text)[:60])}…“) " \
           f"<https://x.com/i/status/{post.remote_id}>"
    if not amplifiers:
        return (f"{head}: noch niemand. Reposts und Zitate werden zu festen Zeitpunkten abgefragt, "
                "wenn ihre Zahl gestiegen ist.")
    ordered = sorted(amplifiers, key=lambda a: (not a.notable, -a.amplifier.followers, a.amplifier.handle.lower()))
    shown = ordered if limit is None else ordered[:limit]
    lines = [f"{head}:", *(_entry(item) for item in shown)]
    if len(ordered) > len(shown):
        lines.append(f"… und {de_int(len(ordered) - len(shown))} weitere")
    lines.append(reach_line(amplifiers) or "")
    return "\n".join(line for line in lines if line)


async def amplifier_listing(book: AmplifierBook, reference: str | None, *, limit: int | None = 15) -> str:
    """The German listing for a post number, a link, or (empty) the newest post; raises InputError."""
    post_id, remote_id = parse_reference(reference)
    found = await book.find_post(post_id=post_id, remote_id=remote_id)
    if found is None:
        if post_id is None and remote_id is None:
            return "Noch kein Post auf X: keine Weiterträger."
        return f"Kein Post auf X zu „{literal((reference or '').strip()[:80])}“ gefunden."
    post, text = found
    return listing_text(post, text, await book.amplifiers_of(post.post_id), limit=limit)
