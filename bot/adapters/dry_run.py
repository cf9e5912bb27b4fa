"""The publisher used without X credentials or with DRY_RUN=true: records, never posts."""

from __future__ import annotations

import uuid
from datetime import datetime

from bot.core.posting.ports import PublishedPost


class DryRunPublisher:
    simulated = True

    async def publish(self, text: str, *, source_line: str | None = None) -> PublishedPost:
        return PublishedPost(post_id=f"simuliert-{uuid.uuid4().hex[:12]}", url=None, simulated=True)

    async def find_existing(self, text: str, *, since: datetime) -> PublishedPost | None:
        return None  # nothing simulated can be half-posted
