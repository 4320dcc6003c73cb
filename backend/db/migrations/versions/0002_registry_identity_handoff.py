"""Voters, identity challenges, hand-off tokens, the audit log (append-only) and the outbox.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
When = sa.DateTime(timezone=True)

APPEND_ONLY_SQLITE = [
    """CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
       BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END""",
    """CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
       BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END""",
]
APPEND_ONLY_POSTGRESQL = [
    """CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN RAISE EXCEPTION 'audit_events is append-only'; END $$""",
    """CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
       FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()""",
]


def upgrade() -> None:
    op.create_table(
        "voters",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("email", sa.String(320), nullable=False, unique=True),
        sa.Column("last_name", sa.String(200), nullable=False),
        sa.Column("first_name", sa.String(200), nullable=False),
        sa.Column("ballots", sa.JSON(), nullable=False),
        sa.Column("row_hash", sa.String(32), nullable=False),
        sa.Column("activated_at", When),
        sa.Column("created_at", When, nullable=False),
        sa.Column("updated_at", When, nullable=False),
    )
    op.create_table(
        "identity_challenges",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("conversation_id", sa.String(36), nullable=False),
        sa.Column("address_hash", sa.String(64), nullable=False),
        sa.Column("voter_id", BigId),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("expires_at", When, nullable=False),
        sa.Column("created_at", When, nullable=False),
    )
    op.create_index(
        "ix_identity_challenges_address", "identity_challenges", ["address_hash", "created_at"]
    )
    op.create_index(
        "ix_identity_challenges_conversation",
        "identity_challenges",
        ["conversation_id", "created_at"],
    )
    op.create_table(
        "handoff_tokens",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("voter_id", BigId, nullable=False),
        sa.Column("purpose", sa.String(16), nullable=False),
        sa.Column("conversation_id", sa.String(36)),
        sa.Column("expires_at", When, nullable=False),
        sa.Column("used_at", When),
        sa.Column("revoked_at", When),
        sa.Column("created_at", When, nullable=False),
    )
    op.create_index("ix_handoff_tokens_voter_id", "handoff_tokens", ["voter_id"])
    op.create_table(
        "audit_events",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("at", When, nullable=False),
        sa.Column("event", sa.String(48), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(32)),
        sa.Column("subject", sa.String(128)),
        sa.Column("detail", sa.JSON(), nullable=False),
    )
    op.create_index("ix_audit_events_at", "audit_events", ["at"])
    op.create_index("ix_audit_events_event", "audit_events", ["event"])
    op.create_table(
        "outbox_mails",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("to_address", sa.String(320), nullable=False),
        sa.Column("locale", sa.String(8), nullable=False),
        sa.Column("subject", sa.String(300), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("html", sa.Text(), nullable=False),
        sa.Column("created_at", When, nullable=False),
    )
    op.create_index("ix_outbox_mails_to_address", "outbox_mails", ["to_address"])
    op.create_index("ix_outbox_mails_created_at", "outbox_mails", ["created_at"])
    dialect = op.get_bind().dialect.name
    for statement in APPEND_ONLY_POSTGRESQL if dialect == "postgresql" else APPEND_ONLY_SQLITE:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_events_append_only ON audit_events")
        op.execute("DROP FUNCTION IF EXISTS audit_events_append_only()")
    for table in ("outbox_mails", "audit_events", "handoff_tokens", "identity_challenges", "voters"):
        op.drop_table(table)
