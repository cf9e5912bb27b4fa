"""The publisher used with DRY_RUN=true (or without any network's credentials): records, never posts."""

from __future__ import annotations

import uuid
from datetime import datetime

from bot.core.networks import Network
from bot.core.posting.ports import PostKey, PublishedPost


class DryRunPublisher:
    simulated = True

    def __init__(self, network: Network = Network.X) -> None:
        self.network = network

    async def publish(self, text: str, *, key: PostKey | None = None, source_line: str | None = None) -> PublishedPost:
        return PublishedPost(post_id=f"simuliert-{uuid.uuid4().hex[:12]}", url=None, simulated=True)

    async def find_existing(self, text: str, *, key: PostKey | None = None, since: datetime) -> PublishedPost | None:
        return None  # nothing simulated can be half-posted
