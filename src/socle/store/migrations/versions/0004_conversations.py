"""Conversations kept per user, answers shown again as they were, corrections that can be
rejected (issue 17).

``conversations`` groups a user's questions to one assistant; ``answers.conversation_id``
links each answer to its conversation (no foreign key: deleting a conversation sets it to
NULL, the answer stays for the audit log and the ratings), ``answers.extra`` keeps what the
answer page shows besides the stored columns. ``corrections.rejected_by/rejected_at`` record
an editor's refusal, so that a rejected proposal leaves the queue without being deleted.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from socle.store.schema import Id, Json

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "conversations",
        sa.Column("id", Id, sa.Identity(), primary_key=True),
        sa.Column("user_id", Id, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("assistant", sa.Text, nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("created_at", sa.Text, nullable=False),
        sa.Column("updated_at", sa.Text, nullable=False),
    )
    op.create_index("conversations_user", "conversations", ["user_id", "updated_at"])
    op.add_column("answers", sa.Column("conversation_id", Id))
    op.add_column("answers", sa.Column("extra", Json))
    op.create_index("answers_conversation", "answers", ["conversation_id"])
    op.add_column("corrections", sa.Column("rejected_by", sa.Text))
    op.add_column("corrections", sa.Column("rejected_at", sa.Text))


def downgrade() -> None:
    raise NotImplementedError("Socle ne revient pas en arrière : restaurez une sauvegarde.")
