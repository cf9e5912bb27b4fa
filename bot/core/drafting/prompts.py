"""Prompt templates (shipped in `bot/prompts/`, each replaceable by a file of one's own), filled with untrusted
text fenced as data."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from string import Template

from bot.core.drafting.limits import PROMPT_DRAFT_CHARS
from bot.core.errors import SpitzfederError

# Each template and the placeholders it must contain.
TEMPLATES: dict[str, set[str]] = {
    "system": set(),
    "draft": {"count", "tag", "news"},
    "repair": {"count", "tag", "news", "failures", "kept"},
    "refine": {"count", "tag", "news", "current", "wish_tag", "conversation", "instruction"},
    "premise_check": {"tag", "news", "drafts_tag", "drafts"},
}
# Optional placeholders the shipped templates use: $tone (draft, refine, repair) and $patterns (system).

# Data files beside the templates, each replaceable the same way: the kinds of question, the fairness lexicon
# and the team's house style (may be empty). Lines starting with '#' are comments.
DATA_FILES = ("patterns", "fairness", "style")


class PromptError(SpitzfederError):
    pass


def new_tag(prefix: str) -> str:
    """A delimiter name that the untrusted text cannot know in advance."""
    return f"{prefix}_{secrets.token_hex(4)}"


def clip(text: str, limit: int = PROMPT_DRAFT_CHARS) -> str:
    """At most ``limit`` characters of a draft for a prompt, cut with „…“: a runaway reply never goes back whole."""
    text = " ".join(text[: limit * 4].split())  # slice first: collapsing spaces of a huge text costs time too
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def fence(text: str, tag: str) -> str:
    """Remove every copy of ``tag`` from ``text`` so it cannot close the fence early."""
    return re.sub(rf"</?\s*{re.escape(tag)}\s*>", "", text, flags=re.IGNORECASE)


def template_files() -> list[str]:
    """The file name of every template and data file: system.txt, draft.txt, …, patterns.txt, …"""
    return [f"{name}.txt" for name in (*TEMPLATES, *DATA_FILES)]


def without_comments(text: str) -> str:
    """A data file's content: comment lines ('#' first) and surrounding blank lines removed."""
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#")).strip()


@dataclass(frozen=True)
class PromptLibrary:
    templates: dict[str, Template]
    sources: dict[str, Path] = field(default_factory=dict)  # the file each template was read from
    data: dict[str, str] = field(default_factory=dict)  # each data file's content, comments removed

    @classmethod
    def load(cls, directory: Path, own: Path | None = None) -> PromptLibrary:
        """Every template from ``directory``; a file of the same name in ``own`` (if given) replaces it.

        ``own`` must be an existing folder: a mistyped PROMPTS_DIR is an error, not a silent fallback.
        """
        if own is not None and not own.is_dir():
            raise PromptError(f"PROMPTS_DIR {own} ist kein Ordner. Pfad prüfen oder leer lassen "
                              "(dann gelten die mitgelieferten Vorlagen).")
        templates: dict[str, Template] = {}
        sources: dict[str, Path] = {}
        for name, required in TEMPLATES.items():
            path = _chosen(directory, own, name)
            try:
                template = Template(path.read_text(encoding="utf-8"))
            except OSError as exc:
                raise PromptError(
                    f"Prompt-Vorlage {path} fehlt oder ist nicht lesbar.", detail=str(exc)
                ) from exc
            missing = required - set(template.get_identifiers())
            if missing or not template.is_valid():
                raise PromptError(
                    f"Prompt-Vorlage {path} ist ungültig: es fehlen die Platzhalter "
                    + ", ".join(f"${p}" for p in sorted(missing))
                    + " (oder ein '$' ist nicht als '$$' geschrieben)."
                )
            templates[name] = template
            sources[name] = path
        data: dict[str, str] = {}
        for name in DATA_FILES:
            path = _chosen(directory, own, name)
            try:
                data[name] = without_comments(path.read_text(encoding="utf-8"))
            except OSError as exc:
                raise PromptError(f"Prompt-Datei {path} fehlt oder ist nicht lesbar.", detail=str(exc)) from exc
            sources[name] = path
        return cls(templates, sources, data)

    def own_files(self, shipped: Path) -> list[Path]:
        """The templates not read from ``shipped``, in template order."""
        return [path for path in self.sources.values() if path.parent.resolve() != shipped.resolve()]

    def render(self, name: str, **values: object) -> str:
        return self.templates[name].substitute({k: str(v) for k, v in values.items()})

    def text_of(self, name: str) -> str:
        """A data file's content (patterns, fairness, style); empty when the library was built without it."""
        return self.data.get(name, "")


def _chosen(directory: Path, own: Path | None, name: str) -> Path:
    """The file ``name``.txt from ``own`` if it has one, else the shipped one."""
    if own is not None and (own / f"{name}.txt").exists():
        return own / f"{name}.txt"
    return directory / f"{name}.txt"
