"""Record keys (TIDs) derived from a post record, so a retried create hits the same key and cannot post twice.

A TID (atproto spec, "Record Key Type: tid") is a 64-bit integer — top bit 0, then 53 bits of microseconds
since the UNIX epoch, then a 10-bit clock id — written in base32-sortable as 13 characters.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from bot.core.posting.ports import PostKey

ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"
_TID = re.compile(r"^[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}$")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def tid(microseconds: int, clock_id: int) -> str:
    if not 0 <= microseconds < 1 << 53 or not 0 <= clock_id < 1 << 10:
        raise ValueError("a TID takes 53 bits of microseconds and a 10-bit clock id")
    value = (microseconds << 10) | clock_id
    return "".join(ALPHABET[(value >> shift) & 31] for shift in range(60, -1, -5))


def is_tid(text: str) -> bool:
    return bool(_TID.match(text))


def _microseconds(moment: datetime) -> int:
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return (moment - _EPOCH) // timedelta(microseconds=1)


def post_rkey(key: PostKey) -> str:
    """The question's record key: approval time in µs, clock id = post record id mod 1024."""
    return tid(_microseconds(key.approved_at), key.post_id % 1024)


def reply_rkey(key: PostKey) -> str:
    """The source reply's record key: one microsecond later, same clock id (sorts right after the question)."""
    return tid(_microseconds(key.approved_at) + 1, key.post_id % 1024)
