"""German texts for the chat: draft sets split at the message limit, set states, posting notices."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.core.conversation.records import DraftEntry, SetState
from bot.core.drafting.lengths import lengths_line
from bot.core.drafting.models import NewsItem
from bot.core.drafting.xlength import MAX_WEIGHTED_LENGTH
from bot.core.networks import ORDER, Network, labels
from bot.core.posting.records import Post, PostState, overall_state
from bot.core.posting.source import source_label
from bot.core.reach.prices import PRICES_USD
from bot.core.text.numbers import de_float
from bot.core.text.untrusted import literal, plain_line

THREAD_NAME_LIMIT = 100
HEADER_RESERVE = 260  # room kept in the first message for the header (headline, source and state)
STATUS_RESERVE = 120  # room for the longest state line the header may get later
TARGETS_CHARS = 100  # where an open set's drafts go, in its state line („geht an: …“)
EVIDENCE_CHARS = 140
PREMISE_CHARS = 120
_OPENING_QUOTES, _CLOSING_QUOTES = "„“”‚‘’»«\"'", "“”„‘’‚«»\"'"

NUMBERS = ["1️⃣", "2️⃣", "3️⃣", "4️⃣", "5️⃣", "6️⃣", "7️⃣", "8️⃣", "9️⃣"]
RENEW = "🔁"
DISCARD = "🗑️"
CANCEL = "❌"
CONFIRM = "✅"  # an approver's „Quelle geprüft"
PLAN = "⏰"  # an approver plans when the approved draft goes out
WEEKDAYS = ["Mo", "Di", "Mi", "Do", "Fr", "Sa", "So"]


def same_emoji(a: str, b: str) -> bool:
    """Compare emoji ignoring the variation selector some clients drop (1⃣ vs 1️⃣)."""
    return a.replace("\ufe0f", "") == b.replace("\ufe0f", "")


def number_of(emoji: str) -> int | None:
    return next((n for n, candidate in enumerate(NUMBERS, 1) if same_emoji(candidate, emoji)), None)


def network_of(emoji: str) -> Network | None:
    """The network a reaction stands for (🐦 X, 🦋 Bluesky, 🐘 Mastodon), or None."""
    return next((network for network in ORDER if same_emoji(network.emoji, emoji)), None)


def shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


# A sentence ends after a word (not after "1." as in "1. Januar") before a capital letter ...
_SENTENCE_END = re.compile(r"(?<=[^\d\s][.!?])\s+(?=[A-ZÄÖÜ])")
# ... unless that word is an abbreviation or a single letter ("Prof. Drosten", "z. B. In").
_ABBREVIATIONS = {"abs", "art", "bzw", "ca", "dr", "evtl", "fr", "ggf", "hr", "inkl", "mio", "mrd", "nr", "prof",
                  "sog", "st", "str", "usw", "vgl", "zzgl", "dipl", "ing", "jr", "sen", "jun"}


def _first_sentence(text: str) -> str:
    for match in _SENTENCE_END.finditer(text):
        word = re.findall(r"[\wÄÖÜäöüß]+(?=[.!?]$)", text[:match.start()])
        if text[match.start() - 1] == "." and word and (len(word[0]) == 1 or word[0].lower() in _ABBREVIATIONS):
            continue
        return text[:match.start()]
    return text


def headline(news: NewsItem, limit: int = THREAD_NAME_LIMIT) -> str:
    """The news item's title as it is, or the first sentence of its text; one plain line of at most ``limit``."""
    title = plain_line(news.title or "")
    return shorten(title or _first_sentence(plain_line(news.headline)), limit)


def thread_name(news: NewsItem) -> str:
    return headline(news, THREAD_NAME_LIMIT)


# --- states ---

def status_label(state: SetState, posts: list[Post], number: int | None = None) -> str:
    """The set's state line; with posts on several networks, each network's state where they differ."""
    which = f" (Entwurf {number})" if number else ""
    if state is SetState.DISCARDED:  # a set is discarded only while it has no post, or after its cancellation
        return "verworfen"
    if posts:
        overall = overall_state(posts)
        if len(posts) > 1 and len({post.state for post in posts}) > 1:
            return f"freigegeben{which} — " + ", ".join(f"{post.network.label}: {_POST_STATE[post.state]}"
                                                         for post in posts)
        post = posts[0]
        if overall in (PostState.SCHEDULED, PostState.IN_FLIGHT):
            return f"freigegeben{which}"
        if overall is PostState.POSTED:
            return f"gepostet{which}" + (" — simuliert (Dry Run)" if post.simulated else "")
        if overall is PostState.CANCELLED:
            return f"abgebrochen{which}"
        if all(map(plan_missed, (p for p in posts if p.state is PostState.FAILED))):
            return f"freigegeben{which} — {PLAN} wartet auf eine Zeit"
        retry = f", {RENEW} versucht es erneut" if any(p.retryable for p in posts) else ""
        return f"freigegeben{which} — Posten fehlgeschlagen{retry}"
    if state is SetState.REPLACED:
        return "ersetzt durch neuere Entwürfe (weiter unten)"
    return "offen"


_POST_STATE = {PostState.SCHEDULED: "wartet", PostState.IN_FLIGHT: "wird gepostet", PostState.POSTED: "gepostet",
               PostState.FAILED: "fehlgeschlagen", PostState.CANCELLED: "abgebrochen"}


def source_text(news: NewsItem) -> str:
    """Where the news is from, for the chat: 'tagesschau.de, 24.11.2026 · <https://…>' (no link preview), or
    „ohne Quellenlink“ for pasted text."""
    if not news.url:
        return "ohne Quellenlink (eingefügter Text)"
    url = news.url if not any(c in news.url for c in "<> \n") else literal(news.url)
    return f"{literal(source_label(news))} · <{url}>"


def set_header(news: NewsItem, status: str) -> str:
    return f"📰 **{literal(headline(news))}**\nQuelle: {source_text(news)}\nStatus: **{status}**"


def header_reserve(header: str) -> int:
    """Room to keep in a set's first message for its header, whose state line may grow later."""
    return max(HEADER_RESERVE, len(header) + STATUS_RESERVE)


# --- drafts ---

def draft_block(entry: DraftEntry, *, edited: bool = False) -> str:
    """One draft, complete: number, text, weighted length, compact evidence, its premise, warnings."""
    lines = [f"{NUMBERS[entry.number - 1]} {literal(entry.text)}" + (" ✏️ (von Hand)" if edited else "")]
    facts = [lengths_line(entry.lengths) if entry.lengths else f"{entry.weighted_length}/{MAX_WEIGHTED_LENGTH}"]
    if entry.evidence:
        facts.append(f"Beleg: „{literal(shorten(_unquoted(entry.evidence), EVIDENCE_CHARS))}“")
    lines.append("   " + " · ".join(facts))
    if entry.premise.strip():
        lines.append(f"   Prämisse: {literal(shorten(entry.premise, PREMISE_CHARS))}")
    lines.extend(f"   ⚠️ {literal(shorten(warning, 120))}" for warning in entry.warnings)
    return "\n".join(lines)


def _unquoted(evidence: str) -> str:
    """The quote without the quotation marks it already has, so that it is not wrapped twice („„…““)."""
    text = evidence.strip()
    if len(text) >= 2 and text[0] in _OPENING_QUOTES and text[-1] in _CLOSING_QUOTES:
        return text[1:-1].strip()
    return text


@dataclass(frozen=True)
class Chunk:
    body: str
    numbers: tuple[int, ...]


def split_blocks(blocks: list[tuple[int | None, str]], *, first_reserve: int = HEADER_RESERVE,
                 limit: int, alone: frozenset[int] = frozenset()) -> list[Chunk]:
    """Pack whole blocks (drafts; None numbers a hint) into as few messages as fit; a draft is never cut.

    A draft numbered in ``alone`` gets a message without other drafts (its ✅ then means that one draft)."""
    chunks: list[Chunk] = []
    body, numbers = "", list[int]()
    room = limit - first_reserve
    for number, block in blocks:
        candidate = f"{body}\n\n{block}" if body else block
        apart = number is not None and numbers and (number in alone or numbers[-1] in alone)
        if body and (len(candidate) > room or apart):
            chunks.append(Chunk(body, tuple(numbers)))
            body, numbers, room = block, [], limit
        else:
            body = candidate
        if number is not None:
            numbers.append(number)
    chunks.append(Chunk(body, tuple(numbers)))
    return chunks


def first_message(header: str, body: str) -> str:
    return f"{header}\n\n{body}" if body else header


VOTE_HINT = (f"Freigeben: Zahl anklicken · {PLAN} Zeit planen · {RENEW} neue Entwürfe · {DISCARD} verwerfen · "
             "im Thread schreiben, z. B. „kürzer“, oder `2: eigener Text | Beleg: Zitat aus der Meldung`")


def network_hint(networks: Sequence[Network]) -> str:
    """The line that explains the network reactions; "" with one network (there are none then)."""
    if len(networks) < 2:
        return ""
    return (f"Netzwerke: alle an · {_marks(networks)} lässt das Netzwerk für die Entwürfe dieser Nachricht weg (nur "
            "Freigebende, vor der Freigabe) · Reaktion entfernen nimmt es wieder dazu")


def _marks(networks: Sequence[Network]) -> str:
    return " ".join(network.emoji for network in ORDER if network in networks)


def networks_note(networks: Sequence[Network]) -> str:
    """For the /entwurf answer: where drafts go and how to leave a network out; "" with one network."""
    if len(networks) < 2:
        return ""
    return (f"Die Entwürfe gehen an {labels(networks)}; {_marks(networks)} an den Entwürfen lässt ein Netzwerk vor der "
            "Freigabe weg (nur Freigebende).")


def targets_status(targets: dict[int, tuple[Network, ...]]) -> str:
    """„geht an: Bluesky, Mastodon“ for an open set; drafts that go elsewhere are named after it (shortened to
    fit the room a state line has: each draft's block says too what it is too long for)."""
    counts = Counter(targets.values())
    common = max(counts, key=lambda networks: (counts[networks], len(networks)))
    line = f"geht an: {labels(common)}" if common else "geht an kein Netzwerk"
    others = [f"Entwurf {number}: {labels(networks) or 'keins'}"
              for number, networks in sorted(targets.items()) if networks != common]
    return shorten(line + (f" ({'; '.join(others)})" if others else ""), TARGETS_CHARS)


def no_target_text(number: int, off: Sequence[Network], too_long: Sequence[Network]) -> str:
    """„Entwurf 2 kann an kein Netzwerk gehen: X abgewählt, für Bluesky zu lang“ (with what to do)."""
    reasons = []
    if off:
        reasons.append(f"{labels(off)} abgewählt")
    if too_long:
        reasons.append(f"für {labels(too_long)} zu lang")
    marks = " ".join(network.emoji for network in ORDER if network in off)
    undo = (f" Zum Freigeben ein Netzwerk wieder dazunehmen ({marks}-Reaktion entfernen)." if off
            else " Bitte kürzen, z. B. mit einem Wunsch hier.")
    return f"Entwurf {number} kann an kein Netzwerk gehen: {', '.join(reasons)}.{undo}"


def confirm_hint(number: int) -> str:
    """The line under a draft that needs an approver's ✅ „Quelle geprüft“ before its votes approve it."""
    return (f"{CONFIRM} Entwurf {number}: vor der Freigabe bitte die Quelle prüfen — dann {CONFIRM} „Quelle "
            "geprüft“ an dieser Nachricht anklicken (zählt nur von Freigebenden); Stimmen zählen erst danach.")


# --- notices ---

QUOTE_CHARS = 300  # a post is at most 280 weighted characters; the notice quotes it whole


def scheduled_text(number: int, undo_seconds: int, posts: list[Post], approvers: list[str]) -> str:
    """The approval notice: the text that goes out (escaped: it never pings or formats), who approved it, where
    it goes, and the source reply with what it costs — or that the question goes out without a source link."""
    post = posts[0]
    who = ", ".join(approvers)
    quoted = f"„{literal(shorten(post.text, QUOTE_CHARS))}“"
    if undo_seconds <= 0:
        by = f" (von {who})" if who else ""
        head = f"✅ Entwurf {number} ist freigegeben{by} und wird jetzt gepostet: {quoted}"
    else:
        by = f" (freigegeben von {who})" if who else ""
        head = f"⏳ Entwurf {number} wird in {undo_seconds} s gepostet{by}: {quoted} — {CANCEL} zum Abbrechen"
    return f"{head}\n{targets_line(posts)}{source_reply_text(post)}"


def targets_line(posts: list[Post]) -> str:
    """„Geht an: X, Bluesky“ and a line break; nothing when the post goes to X only (as it always did)."""
    if [post.network for post in posts] == [Network.X]:
        return ""
    return f"Geht an: {labels(post.network for post in posts)}\n"


def source_reply_text(post: Post) -> str:
    if post.source_line:
        return (f"Als Antwort darunter: „{literal(post.source_line)}“ (ein Post mit Link kostet bei X "
                f"etwa {de_float(PRICES_USD['create_url'], 2)} $ statt {de_float(PRICES_USD['create'], 3)} $)")
    if post.source_url:
        return "Ohne Quellenantwort (SOURCE_AS_REPLY ist aus)."
    return "Ohne Quellenlink: die Meldung wurde als Text eingefügt."


def published_text(number: int, post: Post) -> str:
    if post.simulated:
        reply = f" Als Antwort wäre „{literal(post.source_line)}“ gefolgt." if post.source_line else ""
        return (f"🧪 Entwurf {number}: simuliert (Dry Run) — nichts wurde auf {post.network.label} "
                f"veröffentlicht.{reply}")
    return f"✅ Entwurf {number} ist auf {post.network.label} gepostet: {post.url or post.remote_id}"


def failed_text(number: int, post: Post, *, alone: bool = True) -> str:
    """``alone``: the draft went to this network only; else 🔁 and ❌ say that they act on the failed ones only."""
    if plan_missed(post):
        what_now = f"{PLAN} oder `/planen` setzt eine neue Zeit, {RENEW} postet jetzt, {CANCEL} gibt ihn auf."
    elif post.retryable and not alone:
        what_now = (f"{RENEW} versucht es erneut, nur wo es fehlgeschlagen ist"
                    + ("." if post.uncertain else f"; {CANCEL} gibt es dort auf.")
                    + " Die anderen Netzwerke bleiben, wie sie sind.")
    elif post.retryable:
        what_now = f"{RENEW} versucht es erneut" + ("." if post.uncertain else f", {CANCEL} gibt ihn auf.")
    else:
        what_now = f"Neue Entwürfe zum Freigeben bringt ein Wunsch hier oder {RENEW} an den Entwürfen."
    return f"⚠️ Entwurf {number} konnte nicht auf {post.network.label} gepostet werden: {post.error} {what_now}"


def cancelled_text(number: int, who: str, posts: list[Post]) -> str:
    where = "" if [post.network for post in posts] == [Network.X] else f" auf {labels(p.network for p in posts)}"
    return f"🛑 Abgebrochen von {who}: Entwurf {number} wird{where} nicht gepostet."


def withdrawn_text(number: int, reason: str) -> str:
    return (f"🛑 Entwurf {number} wird nicht gepostet: {reason} Bitte neu abstimmen: {RENEW} an den Entwürfen "
            "bringt neue Entwürfe zum Freigeben, ein Wunsch hier ebenso.")


def plan_label(when_utc: datetime, tz: ZoneInfo) -> str:
    """A planned instant on the account's clock, the same wherever it is shown: „Di, 8.12., 08:00 Uhr“."""
    local = when_utc.astimezone(tz)
    return f"{WEEKDAYS[local.weekday()]}, {local.day}.{local.month}., {local:%H:%M} Uhr"


def plan_line(when_utc: datetime, tz: ZoneInfo) -> str:
    return f"{PLAN} geplant für {plan_label(when_utc, tz)}"


PLAN_QUESTION = (f"{PLAN} Wann soll gepostet werden? Zum Beispiel „morgen 8:00“, „Mo 7:30“, „in 2 Stunden“ oder "
                 "„zur besten Zeit“.")


def planned_answer(described: str, label: str) -> str:
    """The thread's answer to a plan: „⏰ Geplant: in 2 Stunden (12:00 Uhr).“, „⏰ Geplant für morgen, 08:00 Uhr
    (Do, 26.11.).“ or „⏰ Geplant für Mo, 30.11., 07:30 Uhr.“ (``described`` by describe_plan)."""
    if described.startswith("in "):
        return f"{PLAN} Geplant: {described}."
    if described.startswith(("heute", "morgen")):
        return f"{PLAN} Geplant für {described} ({label.rsplit(', ', 1)[0]})."
    return f"{PLAN} Geplant für {described}."


def planned_text(number: int, when: str, posts: list[Post], approvers: list[str]) -> str:
    """The approval notice of a planned draft: it waits for its time; ❌ cancels until then."""
    post = posts[0]
    who = ", ".join(approvers)
    by = f" (freigegeben von {who})" if who else ""
    quoted = f"„{literal(shorten(post.text, QUOTE_CHARS))}“"
    head = f"{PLAN} Entwurf {number} ist freigegeben{by} und geplant für {when}: {quoted} — {CANCEL} zum Abbrechen"
    return f"{head}\n{targets_line(posts)}{source_reply_text(post)}"


def plan_missed(post: Post) -> bool:
    """A planned post that failed without an attempt: its time was missed while the bot was down."""
    return post.planned and post.attempts == 0 and post.state is PostState.FAILED and post.retryable


def drafting_failed_text(message: str) -> str:
    return f"⚠️ {message} {RENEW} versucht es erneut."


def help_text(networks: Sequence[Network] = (Network.X,)) -> str:
    """The help text; with more than one network it names them and their reactions."""
    if len(networks) < 2:
        return HELP_TEXT
    marks = ", ".join(f"{network.emoji} {network.label}" for network in ORDER if network in networks)
    line = ("• **Netzwerke:** jeder Entwurf geht an alle Netzwerke, für die er kurz genug ist; Freigebende lassen "
            f"ein Netzwerk vor der Freigabe mit seiner Reaktion ({marks}) weg, Reaktion entfernen nimmt es wieder "
            "dazu.")
    head = HELP_TEXT.replace("als Entwürfe für X.", f"als Entwürfe für {labels(networks)}.", 1)
    return head.replace("\n• **Zahlen:**", f"\n{line}\n• **Zahlen:**", 1)


HELP_TEXT = (
    "Ich schreibe zugespitzte Fragen zu Nachrichten, als Entwürfe für X.\n"
    "• **Starten:** erwähne mich mit dem Text oder der URL einer Meldung, nutze `/entwurf`, "
    "oder schick mir die Meldung als Direktnachricht.\n"
    "• **Im Thread:** schreib Wünsche wie „kürzer“, „schärfer“ oder „ohne Anglizismen“; "
    "`2: eigener Text` ersetzt Entwurf 2, `2: eigener Text | Beleg: Zitat aus der Meldung` mit Beleg.\n"
    f"• **Freigeben:** Freigebende klicken die Zahl des Entwurfs; {CANCEL} bricht in der Wartezeit ab, "
    f"{RENEW} bringt neue Entwürfe, {DISCARD} verwirft; {PLAN} plant die Zeit des Posts (auch `/planen`, "
    "Übersicht mit `/warteschlange`).\n"
    f"• **Quelle geprüft:** ist eine Prämisse nicht belegt oder fehlt der Beleg (⚠️), zählen die Stimmen erst, "
    f"wenn eine freigebende Person die Quelle geprüft und {CONFIRM} an den Entwurf gesetzt hat.\n"
    "• **Zahlen:** `/statistik`, `/muster` oder `/zusammenfassung`, oder frag mich z. B. "
    "„Welche Frage lief diese Woche am besten?“"
)


# --- dropped drafts (shown in a draft set) ---

DROPPED_CHARS = 300


def dropped_line(reasons: Sequence[str]) -> str:
    """„2 Entwürfe verworfen: Keine Frage; Nicht auf Deutsch“, or "" when nothing was dropped."""
    if not reasons:
        return ""
    what = "1 Entwurf verworfen" if len(reasons) == 1 else f"{len(reasons)} Entwürfe verworfen"
    distinct = list(dict.fromkeys(reason.strip() for reason in reasons if reason.strip()))
    return f"🚫 {what}: {literal(shorten('; '.join(distinct), DROPPED_CHARS))}" if distinct else f"🚫 {what}"
