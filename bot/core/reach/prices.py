"""What X bills per request, in one table: pay-per-use prices of 2026 in US dollars.

Reads are billed per resource returned (a post, a user); creating a post per post. Failed
requests are free. Everything that estimates X costs uses `cost` and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bot.core.text.numbers import de_float, de_int

Resource = Literal["post", "user", "owned", "create", "create_url"]

PRICES_USD: dict[Resource, float] = {
    "post": 0.005,  # a post read (e.g. a quote of ours)
    "user": 0.010,  # a user read (e.g. who reposted, list members)
    "owned": 0.001,  # an owned read: our own posts, our own followers, our own account
    "create": 0.015,  # creating a post
    "create_url": 0.20,  # creating a post that contains a URL
}


def cost(resource: Resource, items: int) -> float:
    """Estimated dollars for ``items`` resources of a kind (reads: returned; writes: created)."""
    return PRICES_USD[resource] * max(items, 0)


def dollars(amount: float) -> str:
    """German format: '0,42 $', '1.234,50 $'."""
    return f"{de_float(amount, 2)} $"


@dataclass(frozen=True)
class MonthUsage:
    read_requests: int
    write_requests: int
    read_items: int  # posts and users returned: what X_READ_BUDGET_MONTH caps
    dollars: float  # estimated from PRICES_USD


def usage_text(usage: MonthUsage, budget: int | None = None) -> str:
    """„X diesen Monat: 120 Anfragen (3 Posts), 2.400 gelesene Einträge von 10.000, geschätzt 3,10 $“."""
    requests = usage.read_requests + usage.write_requests
    text = f"X diesen Monat: {de_int(requests)} {'Anfrage' if requests == 1 else 'Anfragen'}"
    if usage.write_requests:
        text += f" ({de_int(usage.write_requests)} zum Posten)"
    text += f", {de_int(usage.read_items)} gelesene Einträge"
    if budget is not None:
        text += f" von {de_int(budget)}"
    return text + f", geschätzt {dollars(usage.dollars)}"
