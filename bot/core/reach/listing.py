"""A post's amplifiers as a list (/weitertraeger, `spitzfeder amplifiers`): notable first, then by followers.

A post is named by its number or by a link on any network: x.com/…/status/ID, bsky.app/profile/…/post/RKEY,
or a Mastodon status (https://instanz/@name/ID, …/users/name/statuses/ID).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

from bot.core.errors import InputError
from bot.core.networks import Network
from bot.core.reach.amplifiers import StoredAmplifier, followers_de, reach_line
from bot.core.reach.tracking import TrackedPost
from bot.core.text.numbers import de_int
from bot.core.text.untrusted import literal, one_paragraph

_STATUS = re.compile(r"^https?://(?:www\.|mobile\.)?(?:x|twitter)\.com/\w+/(?:web/)?status(?:es)?/(\d{1,25})")
_BLUESKY = re.compile(r"^https?://(?:www\.)?bsky\.app/profile/[\w.:-]{1,253}/post/([A-Za-z0-9._~:-]{1,512})(?:[/?#]|$)")
_MASTODON = re.compile(r"^https?://[A-Za-z0-9.-]{1,253}(?::\d{1,5})?/(?:@[\w.@-]{1,300}|users/[\w.-]{1,64}/statuses)/"
                       r"([A-Za-z0-9]{1,40})(?:[/?#]|$)")
_NUMBER = re.compile(r"^#?(\d{1,9})$")
QUOTE_CHARS = 120
BAD_REFERENCE = ("„{text}“ ist weder eine Postnummer (z. B. 12) noch ein Link auf einen Post bei X, Bluesky "
                 "oder Mastodon.")


@dataclass(frozen=True)
class RemoteRef:
    """A post as its network names it: X and Mastodon by status id, Bluesky by the record key of its URI."""

    network: Network
    key: str


class AmplifierBook(Protocol):
    async def find_post(self, *, post_id: int | None = None, remote: RemoteRef | None = None,
                        ) -> tuple[TrackedPost, str, str | None] | None:
        """(post, its text, its link) by our number or a network's reference; neither given: the newest."""

    async def amplifiers_of(self, post_id: int) -> list[StoredAmplifier]: ...


def parse_reference(text: str | None) -> tuple[int | None, RemoteRef | None]:
    """'12' / '#12' -> (12, None); a link on X, Bluesky or Mastodon -> (None, RemoteRef); empty -> (None, None)
    (the newest post)."""
    text = (text or "").strip()
    if not text:
        return None, None
    if match := _NUMBER.match(text):
        return int(match[1]), None
    for network, pattern in ((Network.X, _STATUS), (Network.BLUESKY, _BLUESKY), (Network.MASTODON, _MASTODON)):
        if match := pattern.match(text):
            return None, RemoteRef(network, match[1])
    raise InputError(BAD_REFERENCE.format(text=literal(text[:80])))


def post_link(post: TrackedPost, url: str | None = None) -> str | None:
    """The stored link, else one built from the id (X, Bluesky); None when neither is known."""
    if url:
        return url
    if post.network is Network.X:
        return f"https://x.com/i/status/{post.remote_id}"
    if post.network is Network.BLUESKY and post.remote_id.startswith("at://"):
        did, _, rkey = post.remote_id.removeprefix("at://").partition("/app.bsky.feed.post/")
        return f"https://bsky.app/profile/{did}/post/{rkey}" if rkey else None
    return None


def _entry(item: StoredAmplifier) -> str:
    a = item.amplifier
    about = ", ".join([item.label, followers_de(a.followers)] if item.label else [followers_de(a.followers)])
    line = f"{'⭐' if item.notable else '•'} @{literal(a.handle)} ({literal(about)}) — "
    if a.kind == "quote":
        quoted = one_paragraph(a.quote_text or "")
        quoted = quoted if len(quoted) <= QUOTE_CHARS else quoted[:QUOTE_CHARS - 1] + "…"
        return line + f"Zitat: „{literal(quoted)}“"
    return line + "Repost"


def listing_text(post: TrackedPost, text: str, amplifiers: list[StoredAmplifier], *, limit: int | None = 15,
                 url: str | None = None) -> str:
    link = post_link(post, url)
    head = (f"Weiterträger von Post {post.post_id} („{literal(one_paragraph(text)[:60])}…“) auf {post.network.label}"
            + (f" <{link}>" if link else ""))
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
    post_id, remote = parse_reference(reference)
    found = await book.find_post(post_id=post_id, remote=remote)
    if found is None:
        if post_id is None and remote is None:
            return "Noch kein Post: keine Weiterträger."
        where = f" auf {remote.network.label}" if remote else ""
        return f"Kein Post{where} zu „{literal((reference or '').strip()[:80])}“ gefunden."
    post, text, url = found
    return listing_text(post, text, await book.amplifiers_of(post.post_id), limit=limit, url=url)
