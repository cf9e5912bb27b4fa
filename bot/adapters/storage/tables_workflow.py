"""Tables of the conversation workflow: cases, shown messages, votes, conversation turns, notices, command sync."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.adapters.storage.tables import Base, UtcDateTime


class CaseRow(Base):
    """A news item's conversation: where it lives (thread or DM) and who brought it."""

    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    news_id: Mapped[int] = mapped_column(ForeignKey("news_items.id", ondelete="CASCADE"), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    requester_id: Mapped[int] = mapped_column(BigInteger)
    guild_id: Mapped[int | None] = mapped_column(BigInteger)
    channel_id: Mapped[int] = mapped_column(BigInteger, index=True)
    count: Mapped[int] = mapped_column(Integer)
    current_set_id: Mapped[int | None] = mapped_column(ForeignKey("draft_sets.id", ondelete="SET NULL"))
    pending: Mapped[str | None] = mapped_column(String(20))
    pending_instruction: Mapped[str | None] = mapped_column(Text)


class ShownMessageRow(Base):
    """A message the bot posted for a case, and which draft each number reaction on it stands for."""

    __tablename__ = "shown_messages"

    message_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    channel_id: Mapped[int] = mapped_column(BigInteger)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    set_id: Mapped[int | None] = mapped_column(Integer, index=True)
    kind: Mapped[str] = mapped_column(String(20))
    numbers: Mapped[dict] = mapped_column(JSON, default=dict)  # {"2": draft id}
    body: Mapped[str] = mapped_column(Text, default="")
    first: Mapped[bool] = mapped_column(Boolean, default=False)


class VoteRow(Base):
    __tablename__ = "votes"
    __table_args__ = (UniqueConstraint("draft_id", "voter_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    set_id: Mapped[int] = mapped_column(ForeignKey("draft_sets.id", ondelete="CASCADE"), index=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("drafts.id", ondelete="CASCADE"))
    voter_id: Mapped[int] = mapped_column(BigInteger)
    at: Mapped[datetime] = mapped_column(UtcDateTime)


class TurnRow(Base):
    __tablename__ = "conversation_turns"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    author: Mapped[str] = mapped_column(String(100))
    text: Mapped[str] = mapped_column(Text)


class NoticeRow(Base):
    """Explanations already given once (why a reaction did not count)."""

    __tablename__ = "notices"

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(40), primary_key=True)


class CommandSyncRow(Base):
    """The digest of the slash command definitions last synced to a guild."""

    __tablename__ = "command_syncs"

    guild_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    digest: Mapped[str] = mapped_column(String(64))
    synced_at: Mapped[datetime] = mapped_column(UtcDateTime)
