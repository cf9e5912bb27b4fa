"""The team's editable word lists: the kinds of question (patterns.txt) and the fairness lexicon (fairness.txt)."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from bot.core.drafting.models import DEFAULT_PATTERN


@dataclass(frozen=True)
class Pattern:
    key: str  # e.g. "kosten"
    description: str  # a short German explanation for the prompt


def parse_patterns(text: str) -> list[Pattern]:
    """One pattern a line: `key: Erklärung` (the explanation is optional); `andere` is always among them."""
    patterns: list[Pattern] = []
    for line in text.splitlines():
        key, _, description = line.partition(":")
        key = key.strip().casefold()
        if key and not key.startswith("#") and all(p.key != key for p in patterns):
            patterns.append(Pattern(key, description.strip()))
    if all(p.key != DEFAULT_PATTERN for p in patterns):
        patterns.append(Pattern(DEFAULT_PATTERN, "keines der anderen Muster"))
    return patterns


def patterns_for_prompt(patterns: list[Pattern]) -> str:
    return "\n".join(f"- {p.key}" + (f": {p.description}" if p.description else "") for p in patterns)


@dataclass(frozen=True)
class Lemma:
    """A loaded or offensive word and its forms; a form matches as a whole word, in any case."""

    name: str
    forms: tuple[str, ...]


class FairnessLexicon:
    def __init__(self, lemmas: tuple[Lemma, ...] = ()) -> None:
        self.lemmas = lemmas

    @functools.cached_property
    def _patterns(self) -> dict[str, re.Pattern[str]]:
        """Compiled by the first check, not at the start."""
        return {lemma.name: _whole_words(lemma.forms) for lemma in self.lemmas}

    def hits(self, text: str) -> list[tuple[Lemma, str]]:
        """Each lemma a form of which stands in ``text``, with the form as written there."""
        found = []
        for lemma in self.lemmas:
            match = self._patterns[lemma.name].search(text)
            if match:
                found.append((lemma, match.group(0)))
        return found

    def contains(self, lemma: Lemma, text: str) -> bool:
        """Whether a form of ``lemma`` stands in ``text``."""
        return self._patterns[lemma.name].search(text) is not None


def _whole_words(forms: tuple[str, ...]) -> re.Pattern[str]:
    alternatives = "|".join(re.escape(form) for form in sorted(forms, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)


def parse_fairness(text: str) -> FairnessLexicon:
    """One lemma a line: `Lemma: Form, Form, …` (the lemma itself is a form too)."""
    lemmas: list[Lemma] = []
    for line in text.splitlines():
        name, _, rest = line.partition(":")
        name = name.strip()
        if not name or name.startswith("#"):
            continue
        forms = {name, *(form.strip() for form in rest.split(",") if form.strip())}
        if all(lemma.name != name for lemma in lemmas):
            lemmas.append(Lemma(name, tuple(sorted(forms))))
    return FairnessLexicon(tuple(lemmas))
