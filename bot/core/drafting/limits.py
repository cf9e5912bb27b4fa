"""The limits of drafting, in one place: how many drafts a set may have and how short news may be."""

from bot.core.errors import InputError

MIN_COUNT, MAX_COUNT = 1, 8  # drafts per news item
MIN_NEWS_CHARS = 20  # shorter text is no news item (and, in a thread, a wish rather than news)


def checked_count(count: int) -> int:
    """The number of drafts asked for, if it is within the limits; raises InputError otherwise."""
    if not MIN_COUNT <= count <= MAX_COUNT:
        raise InputError(f"Die Anzahl der Entwürfe muss zwischen {MIN_COUNT} und {MAX_COUNT} liegen (war {count}).")
    return count
