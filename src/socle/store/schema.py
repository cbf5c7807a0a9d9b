"""The store's tables, once for both backends (SQLAlchemy Core).

This is the schema the code reads and writes, as it stands after the newest migration
(:mod:`socle.store.migrations`); ``tests/test_store_schema.py`` checks that the two agree on
both backends. The few types that differ are decided here, per dialect:

- ``Json``: ``TEXT`` holding JSON in SQLite, ``jsonb`` in PostgreSQL;
- ``Vector``: float32 bytes in SQLite, a pgvector ``vector`` in PostgreSQL (passed to the
  driver as a numpy array, which pgvector's psycopg adapter sends in binary);
- ``Id``: ``INTEGER PRIMARY KEY`` in SQLite (the rowid), ``bigint`` identity in PostgreSQL.

Dates are ISO 8601 text on both backends; flags are booleans (0/1 in SQLite).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import BYTEA, JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, UserDefinedType

# The newest migration: a database at this revision needs no upgrade (checked without
# loading Alembic, which keeps `socle` commands quick to start).
HEAD = "0004"


class _PgVector(UserDefinedType[Any]):
    cache_ok = True

    def get_col_spec(self, **kw: Any) -> str:
        return "vector"  # no bind processing: numpy arrays go to pgvector's binary dumper as they are


class Vector(TypeDecorator[np.ndarray]):
    """A float32 embedding."""

    impl = sa.LargeBinary
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> Any:
        return dialect.type_descriptor(_PgVector() if dialect.name == "postgresql" else sa.LargeBinary())

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        array = np.ascontiguousarray(value, dtype=np.float32)
        return array if dialect.name == "postgresql" else array.tobytes()

    def process_result_value(self, value: Any, dialect: Dialect) -> np.ndarray | None:
        if value is None or isinstance(value, bytes | memoryview):
            return None if value is None else np.frombuffer(bytes(value), dtype=np.float32)
        return np.asarray(value.to_numpy(), dtype=np.float32)  # a pgvector Vector


Json = sa.JSON().with_variant(JSONB(), "postgresql")
Bytes = sa.LargeBinary().with_variant(BYTEA(), "postgresql")
Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _id() -> sa.Column[Any]:
    return sa.Column("id", Id, sa.Identity(), primary_key=True)


metadata = sa.MetaData()

collections = sa.Table(
    "collections",
    metadata,
    _id(),
    sa.Column("name", sa.Text, nullable=False, unique=True),
    sa.Column("created_at", sa.Text, nullable=False),
    sa.Column("settings", Json, nullable=False),
    sa.Column("generation", sa.BigInteger, nullable=False, server_default="0"),
)
terms = sa.Table(
    "terms",
    metadata,
    sa.Column("id", sa.Integer, sa.Identity(), primary_key=True),
    sa.Column("term", sa.Text, nullable=False, unique=True),
)
documents = sa.Table(
    "documents",
    metadata,
    _id(),
    sa.Column("collection_id", Id, sa.ForeignKey("collections.id", ondelete="CASCADE"), nullable=False),
    sa.Column("key", sa.Text, nullable=False),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("source", sa.Text, nullable=False),
    sa.Column("url", sa.Text),
    sa.Column("mime", sa.Text, nullable=False),
    sa.Column("metadata", Json, nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("content_hash", sa.Text, nullable=False),
    sa.Column("ingested_at", sa.Text, nullable=False),
    sa.Column("terms", Bytes),  # int32 term ids of the whole document
    sa.Column("blocks", sa.Text),  # block layout, see socle.store.corpus.blocks_layout
    sa.UniqueConstraint("collection_id", "key"),
)
chunks = sa.Table(
    "chunks",
    metadata,
    _id(),
    sa.Column("document_id", Id, sa.ForeignKey("documents.id", ondelete="CASCADE"), nullable=False),
    sa.Column("collection_id", Id, nullable=False),  # denormalised: per-collection scans and indexes
    sa.Column("ordinal", sa.Integer, nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("start", sa.Integer, nullable=False),
    sa.Column("end", sa.Integer, nullable=False),
    sa.Column("headings", Json, nullable=False),
    sa.Column("page", sa.Integer),
    sa.Column("embedding", Vector),
    sa.Column("terms", Bytes),  # int32 term ids
    sa.Column("context", sa.Text, nullable=False, server_default=""),  # what socle.chunk.index_text prefixes
    sa.Index("chunks_document", "document_id", "ordinal"),
    sa.Index("chunks_collection", "collection_id", "document_id"),
)
privacy_records = sa.Table(
    "privacy_records",
    metadata,
    sa.Column("collection_id", Id, sa.ForeignKey("collections.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("document_key", sa.Text, primary_key=True),
    sa.Column("mode", sa.Text, nullable=False),
    sa.Column("counts", Json, nullable=False),
    sa.Column("mapping", Bytes),  # encrypted pseudonym mapping (socle.privacy)
    sa.Column("created_at", sa.Text, nullable=False),
)
answers = sa.Table(
    "answers",
    metadata,
    _id(),
    sa.Column("created_at", sa.Text, nullable=False),
    sa.Column("collection", sa.Text, nullable=False),
    sa.Column("question", sa.Text, nullable=False),
    sa.Column("answer", sa.Text, nullable=False),
    sa.Column("abstained", sa.Boolean, nullable=False),
    sa.Column("mode", sa.Text, nullable=False),
    sa.Column("model", sa.Text, nullable=False),
    sa.Column("confidence", sa.Float, nullable=False),
    sa.Column("citations", Json, nullable=False),
    sa.Column("footprint", Json, nullable=False),
    sa.Column("username", sa.Text),
    sa.Column("assistant", sa.Text),
    sa.Column("conversation_id", Id),  # conversations.id; set to NULL when the conversation is deleted
    sa.Column("extra", Json),  # what the answer page shows besides the columns above (to show it again)
    sa.Index("answers_collection", "collection", "created_at"),
    sa.Index("answers_conversation", "conversation_id"),
)
conversations = sa.Table(  # a user's conversation with one assistant (web UI, API with socle_conversation)
    "conversations",
    metadata,
    _id(),
    sa.Column("user_id", Id, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    sa.Column("assistant", sa.Text, nullable=False),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("created_at", sa.Text, nullable=False),
    sa.Column("updated_at", sa.Text, nullable=False),
    sa.Index("conversations_user", "user_id", "updated_at"),
)
users = sa.Table(
    "users",
    metadata,
    _id(),
    sa.Column("username", sa.Text, nullable=False, unique=True),
    sa.Column("password_hash", sa.Text),
    sa.Column("is_admin", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("disabled", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("created_at", sa.Text, nullable=False),
)
api_keys = sa.Table(
    "api_keys",
    metadata,
    _id(),
    sa.Column("user_id", Id, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("prefix", sa.Text, nullable=False),
    sa.Column("key_hash", sa.Text, nullable=False, unique=True),
    sa.Column("created_at", sa.Text, nullable=False),
    sa.Column("revoked", sa.Boolean, nullable=False, server_default=sa.false()),
)
grants = sa.Table(
    "grants",
    metadata,
    sa.Column("user_id", Id, sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("collection", sa.Text, primary_key=True),
    sa.Column("role", sa.Text, nullable=False),
    sa.CheckConstraint("role IN ('reader', 'editor')"),
)
assistants = sa.Table(
    "assistants",
    metadata,
    _id(),
    sa.Column("name", sa.Text, nullable=False, unique=True),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("instructions", sa.Text, nullable=False, server_default=""),
    sa.Column("collections", Json, nullable=False),
    sa.Column("examples", Json, nullable=False),
    sa.Column("settings", Json, nullable=False),
    sa.Column("created_by", sa.Text),
    sa.Column("created_at", sa.Text, nullable=False),
    sa.Column("updated_at", sa.Text, nullable=False),
)
audit = sa.Table(  # append-only: triggers refuse UPDATE and DELETE
    "audit",
    metadata,
    _id(),
    sa.Column("at", sa.Text, nullable=False),
    sa.Column("username", sa.Text),
    sa.Column("action", sa.Text, nullable=False),
    sa.Column("assistant", sa.Text),
    sa.Column("collections", Json, nullable=False),
    sa.Column("question", sa.Text),
    sa.Column("answer_id", Id),
    sa.Column("sources", Json, nullable=False),
    sa.Column("footprint", Json, nullable=False),
    sa.Column("detail", Json, nullable=False),
    sa.Column("hash", sa.Text),  # chains the rows: socle.store.records.audit_hash
    sa.Index("audit_at", "at"),
)
sessions = sa.Table(  # web sessions: the cookie holds a random token, the database its SHA-256
    "sessions",
    metadata,
    _id(),
    sa.Column("token_hash", sa.Text, nullable=False, unique=True),
    sa.Column("user_id", Id, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("created_at", sa.Text, nullable=False),
    sa.Column("seen_at", sa.Text, nullable=False),
    sa.Column("client", sa.Text),
    sa.Column("agent", sa.Text),
)
feedback = sa.Table(
    "feedback",
    metadata,
    _id(),
    sa.Column("answer_id", Id, sa.ForeignKey("answers.id"), nullable=False),
    sa.Column("username", sa.Text),
    sa.Column("rating", sa.SmallInteger, nullable=False),
    sa.Column("comment", sa.Text, nullable=False, server_default=""),
    sa.Column("correction", sa.Text, nullable=False, server_default=""),
    sa.Column("created_at", sa.Text, nullable=False),
    sa.CheckConstraint("rating IN (-1, 1)"),
    sa.Index("feedback_answer", "answer_id"),
)
passage_votes = sa.Table(
    "passage_votes",
    metadata,
    sa.Column("collection", sa.Text, primary_key=True),
    sa.Column("chunk_id", Id, primary_key=True),
    sa.Column("up", sa.Integer, nullable=False, server_default="0"),
    sa.Column("down", sa.Integer, nullable=False, server_default="0"),
)
corrections = sa.Table(
    "corrections",
    metadata,
    _id(),
    sa.Column("collection", sa.Text, nullable=False),
    sa.Column("question", sa.Text, nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("embedding", Vector),
    sa.Column("feedback_id", Id, sa.ForeignKey("feedback.id")),
    sa.Column("author", sa.Text),
    sa.Column("validated_by", sa.Text),
    sa.Column("validated_at", sa.Text),
    sa.Column("created_at", sa.Text, nullable=False),
    sa.Column("rejected_by", sa.Text),
    sa.Column("rejected_at", sa.Text),
    sa.Index("corrections_collection", "collection"),
)
jobs = sa.Table(
    "jobs",
    metadata,
    _id(),
    sa.Column("collection", sa.Text, nullable=False),
    sa.Column("username", sa.Text),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("total", sa.Integer, nullable=False, server_default="0"),
    sa.Column("done", sa.Integer, nullable=False, server_default="0"),
    sa.Column("report", Json, nullable=False),
    sa.Column("created_at", sa.Text, nullable=False),
    sa.Column("updated_at", sa.Text, nullable=False),
)
evaluations = sa.Table(
    "evaluations",
    metadata,
    _id(),
    sa.Column("at", sa.Text, nullable=False),
    sa.Column("collection", sa.Text, nullable=False),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("questions", sa.Text, nullable=False),
    sa.Column("metrics", Json, nullable=False),
)

__all__ = ["HEAD", "Json", "Vector", "metadata"]
