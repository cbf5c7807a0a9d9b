"""Server-side web sessions, and a tamper-evident audit log (issue 15, items 2 and 14).

``sessions`` holds the SHA-256 of each session's token, so that logging out, changing a
password or disabling an account ends sessions for good (a signed cookie alone cannot be
revoked). ``audit.hash`` chains the audit rows (:func:`socle.store.records.audit_hash`);
the rows already there are chained here, in id order, with the append-only triggers lifted
for the time of this transaction only.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from socle.store.records import AUDIT_FIELDS, audit_hash
from socle.store.schema import Id

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sessions",
        sa.Column("id", Id, sa.Identity(), primary_key=True),
        sa.Column("token_hash", sa.Text, nullable=False, unique=True),
        sa.Column("user_id", Id, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("created_at", sa.Text, nullable=False),
        sa.Column("seen_at", sa.Text, nullable=False),
        sa.Column("client", sa.Text),
        sa.Column("agent", sa.Text),
    )
    op.create_index("ix_sessions_user_id", "sessions", ["user_id"])
    op.add_column("audit", sa.Column("hash", sa.Text))
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        op.execute("ALTER TABLE audit DISABLE TRIGGER audit_no_update_delete")
    else:
        op.execute("DROP TRIGGER audit_no_update")
    audit = sa.table("audit", *(sa.column(f) for f in (*AUDIT_FIELDS, "hash")))
    json_fields = ("collections", "sources", "footprint", "detail")
    columns = [sa.column(f, sa.JSON) if f in json_fields else sa.column(f) for f in AUDIT_FIELDS]
    rows = op.get_bind().execute(sa.select(*columns).select_from(audit).order_by(sa.column("id"))).all()
    previous = ""
    for row in rows:
        previous = audit_hash(previous, row._asdict())
        op.execute(audit.update().where(audit.c.id == row.id).values(hash=previous))
    if postgres:
        op.execute("ALTER TABLE audit ENABLE TRIGGER audit_no_update_delete")
    else:
        op.execute(
            "CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit"
            " BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END"
        )


def downgrade() -> None:
    raise NotImplementedError("Socle ne revient pas en arrière : restaurez une sauvegarde.")
