"""Deterministic checks on every draft: length, question, German, duplicates, links, handles, hashtags, evidence,
loaded words."""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass, field, replace
from functools import lru_cache

from bot.core.drafting.language import guess_language
from bot.core.drafting.lengths import X_ONLY, NetworkLength, NetworkLimit, lengths_line, measure
from bot.core.drafting.lexicon import FairnessLexicon
from bot.core.drafting.limits import MAX_DRAFT_CHARS
from bot.core.drafting.models import DEFAULT_PATTERN, Draft, NewsItem, Problem, ProblemKind, Severity
from bot.core.drafting.xlength import (
    MAX_WEIGHTED_LENGTH,
    extract_mentions,
    extract_urls,
    has_invalid_character,
    weighted_length,
)
from bot.core.networks import Network, labels
from bot.core.text.numbers import de_int
from bot.core.text.untrusted import chat_markup, one_paragraph

NEAR_DUPLICATE_RATIO = 0.85
MIN_EVIDENCE_CHARS = 20  # a shorter quote counts only when it is a complete clause of the news
HASHTAGS_MAX = 1


@dataclass(frozen=True)
class CheckRules:
    """The team's settings for the checks."""

    lexicon: FairnessLexicon = field(default_factory=FairnessLexicon)
    hashtags_max: int = HASHTAGS_MAX
    handle_allowlist: frozenset[str] = frozenset()  # lowercased, without "@": handles the model may always use
    limits: tuple[NetworkLimit, ...] = X_ONLY  # the active networks' length limits


DEFAULT_RULES = CheckRules()

_QUOTES = str.maketrans({c: None for c in "„“”‟«»‹›‚‘’‛`´'\""})
_DASHES = str.maketrans({c: "-" for c in "‐‑‒–—―−"})
_TRAILING_DECOR = re.compile(r"(?:\s+[#@]\w+|\s+)+$")  # hashtags, @handles and spaces after the question
_HASHTAG = re.compile(r"(?<![\w&])[#＃]\w*[^\W\d_]\w*")
# Anything with a scheme, and bare domains like "spiegel.de" that X itself would leave unlinked.
_SCHEME_URL = re.compile(r"https?://[^\s<>\"]+|(?<![@\w.])(?:[a-z0-9-]+\.)+[a-z]{2,24}\b(?:/[^\s<>\"]*)?",
                         re.IGNORECASE)
_GAP = r"(?:\.\.\.|…|\[\s*(?:\.\.\.|…)\s*\])"
_EDGE_GAPS = re.compile(rf"^\s*{_GAP}\s*|\s*{_GAP}\s*$")
_CLAUSE_START = re.compile(r"(?:^|[.!?:;]\s)$")
_CLAUSE_END = re.compile(r"^(?:$|[.!?:;])")


def normalise_for_match(text: str) -> str:
    """Fold what quoting commonly changes: Unicode form, case, quote marks (dropped), dashes, spacing."""
    text = unicodedata.normalize("NFKC", text).replace("\u00ad", "")
    text = text.translate(_QUOTES).translate(_DASHES).casefold()
    return " ".join(text.split())


@lru_cache(maxsize=16)
def _folded_news(news_text: str) -> str:
    """The news folded for quote search: once per news item, not once per draft."""
    return normalise_for_match(news_text)


def evidence_in_news(evidence: str, news_text: str) -> bool:
    """True when the quote stands in the news as one contiguous span (after folding quotes, dashes, spacing).

    A gap at either end („… sagte der Minister“) is allowed; fragments joined with „…“ are no quote. The span has
    at least MIN_EVIDENCE_CHARS characters or is a complete clause of the news.
    """
    quote = normalise_for_match(_EDGE_GAPS.sub("", evidence))
    if not quote:
        return False
    haystack = _folded_news(news_text)
    found = haystack.find(quote)
    if found < 0:
        return False
    if len(quote) >= MIN_EVIDENCE_CHARS:
        return True
    end = found + len(quote)
    whole = (_CLAUSE_START.search(haystack[:found]) is not None
             and (quote[-1] in ".!?" or _CLAUSE_END.match(haystack[end:]) is not None))
    return whole and len(quote.split()) >= 2


def is_question(text: str) -> bool:
    """Ends with "?" once trailing hashtags, @handles, emoji, closing quotes and brackets are ignored."""
    import emoji  # loaded by the warm-up, not the start

    core = emoji.replace_emoji(text, replace="")
    core = _TRAILING_DECOR.sub("", core).rstrip("\"'“”»«)]").rstrip()
    return core.endswith("?") or core.endswith("?!")


def _links(text: str) -> list[str]:
    """What X would turn into a link, plus anything with a scheme (whatever its TLD)."""
    found = extract_urls(text)
    found += [url for url in _SCHEME_URL.findall(text) if not any(url.startswith(f) for f in found)]
    return found


def _link_key(url: str) -> str:
    url = re.sub(r"^https?://", "", url.strip().lower())
    url = url.removeprefix("www.")
    return url.rstrip("/.")


def foreign_links(text: str, news: NewsItem, allowed_handles: frozenset[str] | None = frozenset()) -> list[str]:
    """URLs and @handles in ``text`` that the news item does not contain.

    ``allowed_handles``: handles that are never foreign (the allowlist); None: no handle is foreign (a hand edit).
    """
    known_links, news_handles = _news_links(news.text, news.url)
    foreign = [url for url in _links(text) if _link_key(url) not in known_links]
    if allowed_handles is not None:
        known_handles = news_handles | allowed_handles
        foreign += ["@" + handle for handle in extract_mentions(text) if handle not in known_handles]
    return foreign


@lru_cache(maxsize=16)
def _news_links(news_text: str, url: str | None) -> tuple[frozenset[str], frozenset[str]]:
    """The links (as keys) and @handles of a news item: found once per news item, not once per draft."""
    source = news_text + " " + (url or "")
    known_links = {_link_key(found) for found in _links(source)}
    if url:
        known_links.add(_link_key(url))
    return frozenset(known_links), frozenset(extract_mentions(source))


def hashtags(text: str) -> list[str]:
    return _HASHTAG.findall(text)


def _problem(kind: ProblemKind, label: str, reason: str, severity: Severity = Severity.FATAL) -> Problem:
    return Problem(kind, severity, label, reason)


def check_draft(text: str, evidence: str, news: NewsItem, rules: CheckRules = DEFAULT_RULES, *, premise: str = "",
                pattern: str = DEFAULT_PATTERN, manual: bool = False) -> Draft:
    """Run every single-draft check and return the draft with its problems.

    ``manual``: a hand edit by an approver, which may name any @handle (links still must come from the news).

    A text of more than MAX_DRAFT_CHARS characters is too long for any post: it is rejected before the costly
    checks (language detection, link search, evidence search) run, so a runaway reply cannot hog the CPU; a
    shorter text over X's limit skips only the language detection.
    """
    text, evidence = text.strip(), evidence.strip()
    premise = one_paragraph(premise)[:MAX_DRAFT_CHARS]
    if len(text) > MAX_DRAFT_CHARS:
        return replace(_oversized(text, evidence), premise=premise, pattern=pattern)
    text, evidence = one_paragraph(text), one_paragraph(evidence)
    length = weighted_length(text)  # counted once: the lengths per network and the checks below reuse it
    lengths = measure(text, rules.limits, x_length=length)
    fitting = [fit for fit in lengths if fit.fits]
    # Language detection is the costliest check (several ms a draft); a draft too long to post is not worth it.
    guess = guess_language(text) if fitting else None
    found = evidence_in_news(evidence, news.text) if evidence and len(evidence) <= MAX_DRAFT_CHARS else False
    problems: list[Problem] = []
    if not text:
        problems.append(_problem(ProblemKind.EMPTY, "Leer", "Der Entwurf ist leer."))
    if not fitting:
        problems.append(_too_long(lengths))
    elif len(fitting) < len(lengths):
        problems.append(_too_long_for_some(lengths))
    if fitting and length <= MAX_WEIGHTED_LENGTH and text and (not text.strip() or has_invalid_character(text)):
        problems.append(_problem(
            ProblemKind.INVALID_CHARACTER, "Enthält ein Zeichen, das X nicht annimmt",
            "Der Text enthält ein unzulässiges Unicode-Zeichen (z. B. U+FFFE). Entfernen.",
        ))
    if text and not is_question(text):
        problems.append(_problem(
            ProblemKind.NOT_A_QUESTION, "Keine Frage",
            "Der Text ist keine Frage. Als zugespitzte Frage formulieren, die mit '?' endet.",
        ))
    if text and guess is not None and not guess.is_german:
        problems.append(_problem(
            ProblemKind.NOT_GERMAN, "Nicht auf Deutsch",
            "Der Text ist nicht (eindeutig) deutsch. Auf Deutsch schreiben.",
        ))
    foreign = foreign_links(text, news, None if manual else rules.handle_allowlist)
    if foreign:
        problems.append(_problem(
            ProblemKind.FOREIGN_LINK, "Fremder Link/Handle: " + ", ".join(foreign),
            "Der Text enthält Links oder @-Handles, die nicht in der Meldung stehen: "
            + ", ".join(foreign) + ". Entfernen.",
        ))
    elif _links(text):
        problems.append(_problem(
            ProblemKind.CONTAINS_URL, "Enthält Link (Post mit Link kostet bei X mehr)",
            "Der Text enthält einen Link.", Severity.WARNING,
        ))
    markup = chat_markup(text)
    if markup:
        problems.append(_problem(
            ProblemKind.CHAT_MARKUP, "Enthält Formatierung (" + " ".join(markup) + "), die auf X wörtlich erscheint",
            "Der Text enthält Discord-Formatierung (" + " ".join(markup) + "). Ohne Formatierung schreiben.",
            Severity.WARNING,
        ))
    tags = hashtags(text)
    if len(tags) > rules.hashtags_max:
        problems.append(_problem(
            ProblemKind.TOO_MANY_HASHTAGS, f"Zu viele Hashtags ({len(tags)}, höchstens {rules.hashtags_max})",
            f"Der Text hat {len(tags)} Hashtags, erlaubt sind {rules.hashtags_max}.", Severity.WARNING,
        ))
    problems.extend(_loaded_words(text, evidence if found else "", rules.lexicon))
    if not found:
        problems.append(_problem(
            ProblemKind.EVIDENCE_MISSING, "Kein Beleg aus der Meldung",
            "Das Beleg-Zitat steht nicht als zusammenhängende Stelle in der Meldung (mindestens 20 Zeichen oder "
            "ein ganzer Satz, ohne Auslassungen „…“). Eine wörtliche Stelle aus der Meldung angeben, auf der die "
            "Frage beruht, oder die Frage auf belegte Aussagen stützen.",
            Severity.WARNING,
        ))
    return Draft(text, evidence, length, guess.language if guess else None, found, tuple(problems), premise,
                 pattern, lengths)


def _too_long(lengths: tuple[NetworkLength, ...]) -> Problem:
    """Fatal: the draft fits no active network (with X alone, the label it always had)."""
    if len(lengths) == 1 and lengths[0].network is Network.X:
        length = lengths[0].length
        return _problem(
            ProblemKind.TOO_LONG, f"Zu lang ({length}/{MAX_WEIGHTED_LENGTH})",
            f"Der Text ist {length} gewichtete Zeichen lang, erlaubt sind {MAX_WEIGHTED_LENGTH}. Kürzen.",
        )
    shortest = min(lengths, key=lambda fit: fit.limit - fit.length)
    return _problem(
        ProblemKind.TOO_LONG, f"Zu lang für jedes Netzwerk ({lengths_line(lengths)})",
        f"Der Text ist für jedes Netzwerk zu lang ({lengths_line(lengths)}). Auf höchstens "
        f"{shortest.limit} Zeichen kürzen.",
    )


def _too_long_for_some(lengths: tuple[NetworkLength, ...]) -> Problem:
    """A warning: the draft goes only to the networks it fits („zu lang für X (291/280) — geht nur an Bluesky“)."""
    over = [fit for fit in lengths if not fit.fits]
    rest = labels(fit.network for fit in lengths if fit.fits)
    said = ", ".join(f"{fit.network.label} ({fit.figure})" for fit in over)
    return _problem(
        ProblemKind.TOO_LONG_FOR_SOME, f"zu lang für {said} — geht nur an {rest}",
        f"Der Text ist zu lang für {said}.", Severity.WARNING,
    )


def _loaded_words(text: str, evidence: str, lexicon: FairnessLexicon) -> list[Problem]:
    """A word of the fairness lexicon is a smear (fatal) unless the found evidence quotes it (a warning)."""
    problems = []
    for lemma, form in lexicon.hits(text):
        if evidence and lexicon.contains(lemma, evidence):
            problems.append(_problem(
                ProblemKind.QUOTED_SMEAR, f"„{form}“ zitiert aus der Meldung — Wertung der Quelle, nicht unsere",
                f"Das Wort „{form}“ stammt aus der Meldung.", Severity.WARNING,
            ))
        else:
            problems.append(_problem(
                ProblemKind.SMEAR, f"Unterstellung: „{form}“ steht so nicht in der Meldung",
                f"Der Text enthält das wertende Wort „{form}“, das die Meldung nicht belegt; das ist eine "
                "Unterstellung. Ohne dieses Wort und ohne Unterstellung fragen: nur belegte Tatsachen zuspitzen.",
            ))
    return problems


def _oversized(text: str, evidence: str) -> Draft:
    problem = _problem(
        ProblemKind.TOO_LONG, f"Zu lang (über {de_int(MAX_DRAFT_CHARS)} Zeichen)",
        f"Der Text ist {de_int(len(text))} Zeichen lang, erlaubt sind {MAX_WEIGHTED_LENGTH} gewichtete Zeichen. "
        "Eine kurze Frage schreiben.",
    )
    return Draft(text, evidence, len(text), None, False, (problem,))


def near_duplicate(a: str, b: str) -> bool:
    if max(len(a), len(b)) > MAX_DRAFT_CHARS:
        return False  # an oversized draft is dropped anyway; difflib on it would cost seconds
    matcher = difflib.SequenceMatcher(None, normalise_for_match(a), normalise_for_match(b))
    # The quick upper bounds first: most pairs are told apart without the full (quadratic) comparison.
    return (matcher.real_quick_ratio() >= NEAR_DUPLICATE_RATIO and matcher.quick_ratio() >= NEAR_DUPLICATE_RATIO
            and matcher.ratio() >= NEAR_DUPLICATE_RATIO)


def mark_near_duplicates(drafts: list[Draft]) -> list[Draft]:
    """Flag each draft that nearly repeats an earlier usable one in the same set."""
    result: list[Draft] = []
    for draft in drafts:
        twin = next(
            (i for i, earlier in enumerate(result, 1) if earlier.usable and near_duplicate(earlier.text, draft.text)),
            None,
        )
        if twin is not None and draft.text:
            problem = _problem(
                ProblemKind.NEAR_DUPLICATE, f"Fast gleich wie Entwurf {twin}",
                f"Der Text wiederholt fast wörtlich Entwurf {twin}. Einen anderen Aspekt der Meldung zuspitzen.",
            )
            draft = replace(draft, problems=draft.problems + (problem,))
        result.append(draft)
    return result


def needs_repair(draft: Draft) -> bool:
    return not draft.usable or not draft.evidence_found
