"""Chunks carry their collection and their index context on both backends.

SQLite chunks get ``collection_id`` (filled from their document) and ``context`` (the title,
keywords and headings :func:`socle.chunk.index_text` puts before the text, computed for
existing rows), with PostgreSQL's indexes. The store's code then reads and writes chunks the
same way on both, and ``socle migrate`` copies them column for column. The ``_migrations``
table of release 0.1 is dropped: Alembic's ``alembic_version`` replaces it.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    op.execute("DROP TABLE IF EXISTS _migrations")
    if bind.dialect.name == "postgresql":
        return  # PostgreSQL had both columns from the start
    from socle.models import Chunk, Document
    from socle.store.corpus import chunk_context

    op.add_column("chunks", sa.Column("collection_id", sa.Integer, nullable=False, server_default="0"))
    op.add_column("chunks", sa.Column("context", sa.Text, nullable=False, server_default=""))
    op.execute(
        "UPDATE chunks SET collection_id = (SELECT collection_id FROM documents d WHERE d.id = chunks.document_id)"
    )
    documents = bind.exec_driver_sql("SELECT id, title, metadata FROM documents").fetchall()
    for doc_id, title, metadata in documents:
        shell = Document(key="", title=title, blocks=[], metadata=json.loads(metadata))
        rows = bind.exec_driver_sql(
            'SELECT id, text, start, "end", ordinal, headings, page FROM chunks WHERE document_id = ?', (doc_id,)
        ).fetchall()
        updates = []
        for chunk_id, text, start, end, ordinal, headings, page in rows:
            chunk = Chunk(text, start, end, ordinal, tuple(json.loads(headings)), page)
            updates.append((chunk_context(shell, chunk), chunk_id))
        if updates:
            bind.exec_driver_sql("UPDATE chunks SET context = ? WHERE id = ?", updates)
    op.drop_index("chunks_document", "chunks")
    op.create_index("chunks_document", "chunks", ["document_id", "ordinal"])
    op.create_index("chunks_collection", "chunks", ["collection_id", "document_id"])


def downgrade() -> None:
    raise NotImplementedError("Socle ne revient pas en arrière : restaurez une sauvegarde.")
