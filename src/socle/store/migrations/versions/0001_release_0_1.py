"""Release 0.1: the schema it created, the starting point of this history.

Databases created by release 0.1 carry their own ``_migrations`` table (SQLite m001–m007,
PostgreSQL m001–m005) and are stamped at this revision; the revisions after it carry them
forward. New databases are not built by replaying the history: they are created at the
newest revision from the metadata (:mod:`socle.store.create`), and
``tests/test_store_upgrade.py`` checks that both paths give the same schema, with databases
made by release 0.1 itself (``tests/data/store/``). In 0.1 the two backends differed in what
server-side search needs: PostgreSQL alone had chunks' ``collection_id``, ``context`` and
French ``tsvector``.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Nothing to do: a database is at 0001 only when release 0.1 created it."""


def downgrade() -> None:
    raise NotImplementedError("Socle ne revient pas en arrière : restaurez une sauvegarde.")
