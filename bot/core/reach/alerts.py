"""The thread's alert when a notable account carries a post: „🔔 Repostet von @handle (MdB, 45.300 Follower)“ on X,
„🦋 Auf Bluesky geteilt von @handle (…)“ and „🐘 Auf Mastodon geteilt von @handle (…)“ elsewhere."""

from __future__ import annotations

from bot.core.networks import Network
from bot.core.notices import AmplifierSpotted
from bot.core.text.numbers import de_int
from bot.core.text.untrusted import literal, one_paragraph

MAX_QUOTE_CHARS = 300  # a quote is at most a post; longer is cut


def spotted_text(notice: AmplifierSpotted) -> str:
    """The alert; the handle and the quote are X users' text, so shown literally (no markup, no links)."""
    who = f"@{literal(notice.handle)}"
    about = ", ".join([notice.label, f"{de_int(notice.followers)} Follower"] if notice.label
                      else [f"{de_int(notice.followers)} Follower"])
    x = notice.network is Network.X
    where = f"{notice.network.emoji} Auf {notice.network.label}"
    if notice.kind != "quote":
        return f"{'🔔 Repostet' if x else where + ' geteilt'} von {who} ({literal(about)})"
    text = f"{'💬 Zitiert' if x else where + ' zitiert'} von {who} ({literal(about)})"
    if notice.quote_text:
        quoted = one_paragraph(notice.quote_text)
        if len(quoted) > MAX_QUOTE_CHARS:
            quoted = quoted[:MAX_QUOTE_CHARS - 1] + "…"
        text += f": „{literal(quoted)}“"
    if notice.quote_url:
        text += f" <{notice.quote_url}>"
    return text
