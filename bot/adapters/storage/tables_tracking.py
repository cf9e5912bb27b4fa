"""Tables for engagement tracking and the daily summary (migration 0003t)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.adapters.storage.tables import Base, UtcDateTime


class SnapshotRow(Base):
    """One scheduled metric reading of a post: pending until taken, skipped or ended."""

    __tablename__ = "metric_snapshots"
    __table_args__ = (
        UniqueConstraint("post_id", "step_seconds", name="uq_metric_snapshots_post_step"),
        Index("ix_metric_snapshots_state_due", "state", "due_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    step: Mapped[str] = mapped_column(String(20))  # as configured, e.g. "6h"
    step_seconds: Mapped[int] = mapped_column(Integer)
    due_at: Mapped[datetime] = mapped_column(UtcDateTime)
    state: Mapped[str] = mapped_column(String(20))  # pending | taken | skipped | ended
    taken_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    retweets: Mapped[int | None] = mapped_column(Integer)
    likes: Mapped[int | None] = mapped_column(Integer)
    replies: Mapped[int | None] = mapped_column(Integer)
    quotes: Mapped[int | None] = mapped_column(Integer)
    bookmarks: Mapped[int | None] = mapped_column(Integer)
    impressions: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(Text)


class FollowerCountRow(Base):
    __tablename__ = "follower_counts"

    day: Mapped[str] = mapped_column(String(10), primary_key=True)  # UTC date, ISO
    count: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UtcDateTime)


class SentSummaryRow(Base):
    __tablename__ = "sent_summaries"

    day: Mapped[str] = mapped_column(String(10), primary_key=True)  # local date in TIMEZONE, ISO
    sent_at: Mapped[datetime] = mapped_column(UtcDateTime)  # when sending began (the claim)
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)  # None: sending was cut short


class XUsageRow(Base):
    """X requests per UTC month; ``read_items`` is what X_READ_BUDGET_MONTH caps."""

    __tablename__ = "x_usage"

    month: Mapped[str] = mapped_column(String(7), primary_key=True)  # "2026-11"
    read_requests: Mapped[int] = mapped_column(Integer, default=0)
    read_items: Mapped[int] = mapped_column(Integer, default=0)
    write_requests: Mapped[int] = mapped_column(Integer, default=0)
    budget_notice_level: Mapped[int] = mapped_column(Integer, default=0)  # 1 thinned, 2 exhausted: said so
