"""The database schema (SQLAlchemy 2): one `Base`, every table. Changes go through a migration in
`migrations/versions/` (tests/adapters/storage/test_migrations.py checks that the two agree).

Accounts: a row read or written on its own names its account (column ``account``); a row reached only through
its parent (drafts, votes, source confirmations, network toggles and plans through their draft set; turns through
their case; metric snapshots and amplifier reads through their post) belongs to the parent's account.
Heartbeats and command syncs belong to the whole process."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class UtcDateTime(TypeDecorator):
    """Aware UTC datetimes in, aware UTC datetimes out, on SQLite as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database")
        return value.astimezone(UTC).replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


DEFAULT_ACCOUNT = "standard"  # the one account of a bot without ACCOUNTS_FILE; rows from before accounts


def account_column(*, primary_key: bool = False) -> Mapped[str]:
    """The account a row belongs to (a store for one account sees only its rows)."""
    return mapped_column(String(64), primary_key=primary_key, default=DEFAULT_ACCOUNT,
                         server_default=DEFAULT_ACCOUNT)


class Base(DeclarativeBase):
    pass


class NewsRow(Base):
    __tablename__ = "news_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    origin: Mapped[str] = mapped_column(String(20))  # "cli" | "discord"
    url: Mapped[str | None] = mapped_column(Text)
    title: Mapped[str | None] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(10))
    author_id: Mapped[str | None] = mapped_column(String(40))
    outlet: Mapped[str | None] = mapped_column(Text)
    published: Mapped[date | None] = mapped_column(Date)
    account: Mapped[str] = account_column()


class DraftSetRow(Base):
    __tablename__ = "draft_sets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    news_id: Mapped[int] = mapped_column(ForeignKey("news_items.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    instruction: Mapped[str | None] = mapped_column(Text)
    llm_calls: Mapped[int] = mapped_column(Integer, default=0)
    prompt_tokens: Mapped[int] = mapped_column(Integer, default=0)
    completion_tokens: Mapped[int] = mapped_column(Integer, default=0)
    state: Mapped[str] = mapped_column(String(20), default="open")
    dropped: Mapped[list] = mapped_column(JSON, default=list)  # why each dropped draft was dropped
    account: Mapped[str] = account_column()


class DraftRow(Base):
    __tablename__ = "drafts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    set_id: Mapped[int] = mapped_column(ForeignKey("draft_sets.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)  # 1-based number shown to users
    text: Mapped[str] = mapped_column(Text)
    evidence: Mapped[str] = mapped_column(Text, default="")
    evidence_found: Mapped[bool] = mapped_column(Boolean, default=False)
    weighted_length: Mapped[int] = mapped_column(Integer)
    language: Mapped[str | None] = mapped_column(String(10))
    warnings: Mapped[list] = mapped_column(JSON, default=list)
    premise: Mapped[str] = mapped_column(Text, default="")
    pattern: Mapped[str] = mapped_column(String(40), default="andere")
    needs_source_check: Mapped[bool] = mapped_column(Boolean, default=False)
    lengths: Mapped[dict | None] = mapped_column(JSON)  # {"x": [length, limit], …} per active network


class PostRow(Base):
    __tablename__ = "posts"
    __table_args__ = (
        UniqueConstraint("set_id", "network", name="uq_posts_set_network"),
        Index("ix_posts_account_state_due", "account", "state", "due_at"),  # an account's due posts
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    set_id: Mapped[int] = mapped_column(ForeignKey("draft_sets.id", ondelete="CASCADE"))
    network: Mapped[str] = mapped_column(String(20), default="x")  # one post per set and network
    draft_id: Mapped[int] = mapped_column(ForeignKey("drafts.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(20), index=True)
    approved_at: Mapped[datetime] = mapped_column(UtcDateTime)
    due_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    approved_by: Mapped[list] = mapped_column(JSON, default=list)
    source_url: Mapped[str | None] = mapped_column(Text)
    source_line: Mapped[str | None] = mapped_column(Text)  # the reply with the source, if any
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    attempted_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    posted_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    remote_id: Mapped[str | None] = mapped_column(Text)  # the network's id (X: a number; Bluesky: an at:// URI)
    url: Mapped[str | None] = mapped_column(Text)
    simulated: Mapped[bool] = mapped_column(Boolean, default=False)
    followers_at_post: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    retryable: Mapped[bool] = mapped_column(Boolean, default=True)
    uncertain: Mapped[bool] = mapped_column(Boolean, default=False)
    planned: Mapped[bool] = mapped_column(Boolean, default=False)  # due at a planned time (⏰)
    account: Mapped[str] = account_column()


class AuditRow(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    action: Mapped[str] = mapped_column(String(40))
    actor: Mapped[str | None] = mapped_column(String(100))
    set_id: Mapped[int | None] = mapped_column(Integer, index=True)
    post_id: Mapped[int | None] = mapped_column(Integer)
    detail: Mapped[str | None] = mapped_column(Text)
    account: Mapped[str] = account_column()


# --- the conversation workflow: cases, shown messages, votes, turns, notices, command sync ---

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
    tone: Mapped[str | None] = mapped_column(String(20))
    account: Mapped[str] = account_column()


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
    account: Mapped[str] = account_column()


class VoteRow(Base):
    __tablename__ = "votes"
    __table_args__ = (UniqueConstraint("draft_id", "voter_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    set_id: Mapped[int] = mapped_column(ForeignKey("draft_sets.id", ondelete="CASCADE"), index=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("drafts.id", ondelete="CASCADE"))
    voter_id: Mapped[int] = mapped_column(BigInteger)
    at: Mapped[datetime] = mapped_column(UtcDateTime)


class SourceConfirmationRow(Base):
    """An approver's ✅ on a draft: „Quelle geprüft"."""

    __tablename__ = "source_confirmations"

    draft_id: Mapped[int] = mapped_column(ForeignKey("drafts.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UtcDateTime)


class NetworkToggleRow(Base):
    """An approver's network reaction on a drafts message: that network is left out for the draft numbered so."""

    __tablename__ = "network_toggles"

    set_id: Mapped[int] = mapped_column(ForeignKey("draft_sets.id", ondelete="CASCADE"), primary_key=True)
    number: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    network: Mapped[str] = mapped_column(String(20), primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UtcDateTime)


class PlanRow(Base):
    """When a draft set's approved draft is to go out (⏰ or /planen); ``asking``: a time was asked for."""

    __tablename__ = "plans"

    set_id: Mapped[int] = mapped_column(ForeignKey("draft_sets.id", ondelete="CASCADE"), primary_key=True)
    requested_by: Mapped[int] = mapped_column(BigInteger)
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime)
    asking: Mapped[bool] = mapped_column(Boolean, default=False)
    planned_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    said: Mapped[str] = mapped_column(Text, default="")
    best_time: Mapped[bool] = mapped_column(Boolean, default=False)


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
    account: Mapped[str] = account_column()


class CommandSyncRow(Base):
    """The digest of the slash command definitions last synced to a guild."""

    __tablename__ = "command_syncs"

    guild_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    digest: Mapped[str] = mapped_column(String(64))
    synced_at: Mapped[datetime] = mapped_column(UtcDateTime)


# --- engagement tracking, follower counts, daily summaries, X usage ---

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
    __table_args__ = (PrimaryKeyConstraint("account", "day"),)

    account: Mapped[str] = account_column(primary_key=True)
    day: Mapped[str] = mapped_column(String(10), primary_key=True)  # UTC date, ISO
    count: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UtcDateTime)


class SentSummaryRow(Base):
    __tablename__ = "sent_summaries"
    __table_args__ = (PrimaryKeyConstraint("account", "day"),)

    account: Mapped[str] = account_column(primary_key=True)
    day: Mapped[str] = mapped_column(String(10), primary_key=True)  # local date in TIMEZONE, ISO
    sent_at: Mapped[datetime] = mapped_column(UtcDateTime)  # when sending began (the claim)
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)  # None: sending was cut short


class XUsageRow(Base):
    """X requests per UTC month; ``read_items`` is what X_READ_BUDGET_MONTH caps."""

    __tablename__ = "x_usage"
    __table_args__ = (PrimaryKeyConstraint("account", "month"),)

    account: Mapped[str] = account_column(primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)  # "2026-11"
    read_requests: Mapped[int] = mapped_column(Integer, default=0)
    read_items: Mapped[int] = mapped_column(Integer, default=0)
    write_requests: Mapped[int] = mapped_column(Integer, default=0)
    budget_notice_level: Mapped[int] = mapped_column(Integer, default=0)  # 1 thinned, 2 exhausted: said so
    cost_micro_usd: Mapped[int] = mapped_column(BigInteger, default=0)  # estimated X costs, millionths of a dollar


# --- signs of life of the running bot ---

class HeartbeatRow(Base):
    """The latest sign of life per component: ``bot`` (the heartbeat) and ``gateway`` (its state)."""

    __tablename__ = "heartbeats"

    component: Mapped[str] = mapped_column(String(40), primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    state: Mapped[str | None] = mapped_column(String(20))


# --- who carried a post: amplifiers, the watchlist's X lists, our followers ---

class AmplifierReadRow(Base):
    """One scheduled amplifier read of a post (AMPLIFIER_SCHEDULE): pending until taken or skipped."""

    __tablename__ = "amplifier_reads"
    __table_args__ = (
        UniqueConstraint("post_id", "step_seconds", name="uq_amplifier_reads_post_step"),
        Index("ix_amplifier_reads_state_due", "state", "due_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    step: Mapped[str] = mapped_column(String(20))
    step_seconds: Mapped[int] = mapped_column(Integer)
    due_at: Mapped[datetime] = mapped_column(UtcDateTime)
    state: Mapped[str] = mapped_column(String(20))  # pending | taken | skipped
    taken_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    reposts: Mapped[int | None] = mapped_column(Integer)  # the counts X was asked at (None: X was not asked)
    quotes: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(Text)


class AmplifierRow(Base):
    """An account that reposted or quoted a post, as X showed it when first seen."""

    __tablename__ = "amplifiers"
    __table_args__ = (UniqueConstraint("post_id", "user_id", "kind", name="uq_amplifiers_post_user_kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(10))  # repost | quote
    handle: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(Text)
    followers: Mapped[int] = mapped_column(Integer)  # at first seen
    verified_type: Mapped[str | None] = mapped_column(String(20))
    quote_id: Mapped[str | None] = mapped_column(String(40))
    quote_text: Mapped[str | None] = mapped_column(Text)  # untrusted
    first_seen: Mapped[datetime] = mapped_column(UtcDateTime)
    notable: Mapped[bool] = mapped_column(Boolean, default=False)
    label: Mapped[str | None] = mapped_column(String(60))
    follows_us: Mapped[bool | None] = mapped_column(Boolean)  # None: unknown
    alerted_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    account: Mapped[str] = account_column()


class WatchListRow(Base):
    """A watchlist X list (WATCHLIST_X_LIST_IDS) and when its members were last read."""

    __tablename__ = "watch_lists"
    __table_args__ = (PrimaryKeyConstraint("account", "list_id"),)

    account: Mapped[str] = account_column(primary_key=True)
    list_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    refreshed_at: Mapped[datetime] = mapped_column(UtcDateTime)


class WatchListMemberRow(Base):
    __tablename__ = "watch_list_members"
    __table_args__ = (PrimaryKeyConstraint("account", "list_id", "user_id"),)

    account: Mapped[str] = account_column(primary_key=True)
    list_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    handle: Mapped[str] = mapped_column(String(40))


class FollowerScanRow(Base):
    """A complete read of the account's followers (FOLLOWER_SCAN_DAYS); the latest one counts."""

    __tablename__ = "follower_scans"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    count: Mapped[int] = mapped_column(Integer)
    account: Mapped[str] = account_column()


class OurFollowerRow(Base):
    """The account's followers as of the latest scan."""

    __tablename__ = "our_followers"
    __table_args__ = (PrimaryKeyConstraint("account", "user_id"),)

    account: Mapped[str] = account_column(primary_key=True)
    user_id: Mapped[str] = mapped_column(String(40), primary_key=True)
