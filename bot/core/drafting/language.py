"""German detection with langdetect, made deterministic and kept small.

langdetect ships 55 language profiles; all of them take about 60 MB and a quarter second to load. The checks only
ask "is this German?", so we load the few languages a German-looking text is plausibly confused with or that the
newsroom actually sees, and only when the first text is checked. A text in a language outside the set is
classified as the nearest language of the set (Slovak reads as Czech, Catalan as Spanish …), never as German
unless it looks German.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# German, its close Germanic neighbours (Dutch, Afrikaans, the Scandinavian languages) and English (loanwords,
# English replies from the model), the Romance and Slavic languages of agency news and the neighbouring countries,
# Turkish, and Russian and Ukrainian (sources on the war; without a Cyrillic profile such text gets a Latin label).
PROFILES: tuple[str, ...] = (
    "de", "en", "nl", "af", "da", "sv", "no", "fr", "it", "es", "pt", "pl", "cs", "tr", "ru", "uk",
)

MIN_LETTERS = 10  # below this langdetect guesses; we call it "not German"
GERMAN_THRESHOLD = 0.5
SEED = 0  # langdetect draws random numbers; a fixed seed makes every answer repeatable

_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_MENTION = re.compile(r"@\w+")
_HASHTAG = re.compile(r"#\w+")

_lock = threading.Lock()  # guards the one-time load; detection itself only reads the loaded profiles
_factory: Any = None  # langdetect.DetectorFactory once loaded


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


def _detector_factory() -> Any:
    """The langdetect factory with PROFILES loaded from langdetect's packaged profile files, built once."""
    global _factory
    if _factory is None:
        with _lock:
            if _factory is None:
                from langdetect.detector_factory import PROFILES_DIRECTORY, DetectorFactory

                factory = DetectorFactory()
                factory.load_json_profile(
                    [(Path(PROFILES_DIRECTORY) / name).read_text(encoding="utf-8") for name in PROFILES]
                )
                factory.set_seed(SEED)
                _factory = factory
    return _factory


def loaded_languages() -> list[str]:
    """The languages the detector knows (loads them if needed)."""
    return list(_detector_factory().get_lang_list())


def guess_language(text: str) -> LanguageGuess:
    remainder = strip_noise(text[:SAMPLE_CHARS])
    if sum(ch.isalpha() for ch in remainder) < MIN_LETTERS:
        return LanguageGuess(None, 0.0)
    from langdetect.lang_detect_exception import LangDetectException

    detector = _detector_factory().create()  # a detector has its own seeded random source: safe in any thread
    detector.append(remainder)
    try:
        candidates = detector.get_probabilities()
    except LangDetectException:
        return LanguageGuess(None, 0.0)
    german = next((c.prob for c in candidates if c.lang == "de"), 0.0)
    return LanguageGuess(candidates[0].lang if candidates else None, german)
