"""The database tables (SQLAlchemy 2 declarative); schema changes go through Alembic."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

BigId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    """The base of every table."""


class Conversation(Base):
    """A conversation: its channel (and chat there), where it stands, its language and status."""

    __tablename__ = "conversations"
    __table_args__ = (Index("ix_conversations_chat", "channel", "chat_key", unique=True),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    channel: Mapped[str] = mapped_column(String(32))
    chat_key: Mapped[str | None] = mapped_column(String(128))
    """The channel's own key of the chat (a Telegram chat id); None for the web chat."""
    status: Mapped[str] = mapped_column(String(16), index=True)
    locale: Mapped[str] = mapped_column(String(8))
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class ProcessedUpdate(Base):
    """An update a channel delivered and the assistant answered: never answered twice."""

    __tablename__ = "processed_updates"

    channel: Mapped[str] = mapped_column(String(32), primary_key=True)
    update_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    conversation_id: Mapped[str] = mapped_column(String(36))
    processed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class TranscriptLine(Base):
    """One line of a conversation's transcript, as shown (secrets masked before they get here)."""

    __tablename__ = "transcript_lines"
    __table_args__ = (Index("ix_transcript_lines_conversation", "conversation_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("conversations.id", ondelete="CASCADE")
    )
    sender: Mapped[str] = mapped_column(String(8))
    text: Mapped[str] = mapped_column(Text)
    action: Mapped[str | None] = mapped_column(String(64))
    buttons: Mapped[list[dict[str, str]] | None] = mapped_column(JSON)
    intent: Mapped[str | None] = mapped_column(String(64))
    confidence: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Voter(Base):
    """A registered elector: the professional address, the name and the ballots."""

    __tablename__ = "voters"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    last_name: Mapped[str] = mapped_column(String(200))
    first_name: Mapped[str] = mapped_column(String(200))
    ballots: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    """`[{"name": "CAPA certifiés", "elsewhere": false}]`; elsewhere: ballot box, other platform."""
    row_hash: Mapped[str] = mapped_column(String(32))
    activated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class IdentityChallenge(Base):
    """A one-time code sent to a professional address; only a keyed hash of the code is kept."""

    __tablename__ = "identity_challenges"
    __table_args__ = (
        Index("ix_identity_challenges_address", "address_hash", "created_at"),
        Index("ix_identity_challenges_conversation", "conversation_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    conversation_id: Mapped[str] = mapped_column(String(36))
    address_hash: Mapped[str] = mapped_column(String(64))
    voter_id: Mapped[int | None] = mapped_column(BigId)
    code_hash: Mapped[str] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16))
    """pending, verified, failed (too many wrong codes)."""
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class HandoffToken(Base):
    """A hand-off link's record: bound to a voter, a purpose and a conversation; used once."""

    __tablename__ = "handoff_tokens"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    voter_id: Mapped[int] = mapped_column(BigId, index=True)
    purpose: Mapped[str] = mapped_column(String(16))
    conversation_id: Mapped[str | None] = mapped_column(String(36))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AuditEvent(Base):
    """An append-only record of an identity, hand-off or registry event; never a secret."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    event: Mapped[str] = mapped_column(String(48), index=True)
    actor: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str | None] = mapped_column(String(32))
    subject: Mapped[str | None] = mapped_column(String(128))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON)


class OutboxMail(Base):
    """A mail kept in the database instead of being sent (demo mode), shown at /outbox."""

    __tablename__ = "outbox_mails"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    to_address: Mapped[str] = mapped_column(String(320), index=True)
    locale: Mapped[str] = mapped_column(String(8))
    subject: Mapped[str] = mapped_column(String(300))
    text: Mapped[str] = mapped_column(Text)
    html: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
