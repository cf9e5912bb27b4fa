"""The limits of drafting, in one place: how many drafts a set may have, how long a post and how short news may
be, how much of the model's reply is read and how much of a draft goes back into a prompt."""

from bot.core.errors import InputError

MIN_COUNT, MAX_COUNT = 1, 8  # drafts per news item
MAX_WEIGHTED_LENGTH = 280  # X's limit in weighted characters
MIN_NEWS_CHARS = 20  # shorter text is no news item (and, in a thread, a wish rather than news)
MAX_REPLY_CHARS = 64_000  # default for LLM_MAX_REPLY_CHARS: a longer reply is not parsed at all
MAX_DRAFT_CHARS = 1_000  # a longer draft is "too long" before the costly checks (language, duplicates) run
PROMPT_DRAFT_CHARS = 400  # at most this much of a draft (text or evidence) goes back to the model


def checked_count(count: int) -> int:
    """The number of drafts asked for, if it is within the limits; raises InputError otherwise."""
    if not MIN_COUNT <= count <= MAX_COUNT:
        raise InputError(f"Die Anzahl der Entwürfe muss zwischen {MIN_COUNT} und {MAX_COUNT} liegen (war {count}).")
    return count
