"""Conversations found by their channel's chat key; updates processed once.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("conversations") as batch:
        batch.add_column(sa.Column("chat_key", sa.String(128)))
        batch.create_index("ix_conversations_chat", ["channel", "chat_key"], unique=True)
    op.create_table(
        "processed_updates",
        sa.Column("channel", sa.String(32), primary_key=True),
        sa.Column("update_key", sa.String(64), primary_key=True),
        sa.Column("conversation_id", sa.String(36), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("processed_updates")
    with op.batch_alter_table("conversations") as batch:
        batch.drop_index("ix_conversations_chat")
        batch.drop_column("chat_key")
