"""German detection with langdetect, made deterministic."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass

from langdetect import DetectorFactory, detect_langs
from langdetect.lang_detect_exception import LangDetectException

# langdetect draws random numbers; a fixed seed makes every answer repeatable.
DetectorFactory.seed = 0
_lock = threading.Lock()  # the detector factory is global state

MIN_LETTERS = 10  # below this langdetect guesses; we call it "not German"
GERMAN_THRESHOLD = 0.5

_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_MENTION = re.compile(r"@\w+")
_HASHTAG = re.compile(r"#\w+")


@dataclass(frozen=True)
class LanguageGuess:
    language: str | None  # best guess, None when nothing could be said
    german_probability: float

    @property
    def is_german(self) -> bool:
        return self.german_probability >= GERMAN_THRESHOLD


def strip_noise(text: str) -> str:
    """Remove what says little about the language: URLs, @mentions and hashtags."""
    for pattern in (_URL, _MENTION, _HASHTAG):
        text = pattern.sub(" ", text)
    return " ".join(text.split())


SAMPLE_CHARS = 2_000  # enough to tell a language; keeps long articles cheap


def guess_language(text: str) -> LanguageGuess:
    remainder = strip_noise(text[:SAMPLE_CHARS])
    if sum(ch.isalpha() for ch in remainder) < MIN_LETTERS:
        return LanguageGuess(None, 0.0)
    try:
        with _lock:
            candidates = detect_langs(remainder)
    except LangDetectException:
        return LanguageGuess(None, 0.0)
    german = next((c.prob for c in candidates if c.lang == "de"), 0.0)
    return LanguageGuess(candidates[0].lang if candidates else None, german)
