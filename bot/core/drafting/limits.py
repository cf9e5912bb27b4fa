"""Limits of a draft set and of a post; free of imports so the command line can show them cheaply."""

from __future__ import annotations

MIN_COUNT, MAX_COUNT = 1, 8  # drafts per set
MAX_WEIGHTED_LENGTH = 280  # X's limit in weighted characters
