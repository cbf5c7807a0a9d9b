"""Schema of the PostgreSQL store: versioned migrations, applied under an advisory lock.

Each migration is a named function run in its own transaction and recorded in the
``_migrations`` table, as for SQLite (:mod:`socle.store.sqlite`). Several workers may start
at once against an empty database: each migration first takes a transaction-level advisory
lock, then checks again whether another process applied it meanwhile, so exactly one
process applies it and the others wait and skip it.

The PostgreSQL schema mirrors the SQLite one (same tables, same columns, same meaning;
JSON in ``jsonb``, flags in ``boolean``, dates in ISO ``text`` as in SQLite) and adds what
server-side search needs:

- ``chunks.collection_id`` (denormalised from ``documents``) and ``chunks.context`` (the
  title, keywords and headings prefixed to the chunk when it is indexed, see
  :func:`socle.chunk.index_text`);
- ``chunks.tsv``, a stored generated ``tsvector``: French full-text search with the
  ``socle_french`` configuration (a copy of PostgreSQL's ``french``: Snowball stemmer and
  stop words) over accent-folded text (``socle_unaccent``), with a GIN index;
- ``chunks.embedding`` as a pgvector ``vector``; one HNSW index (``vector_cosine_ops``)
  per collection, partial (``WHERE collection_id = N``) on ``embedding::vector(dim)``,
  created when the collection receives its first vectors (see ``PostgresStore``);
- vectors (1.5 KB at 384 dimensions) are stored out of line (pgvector's default TOAST
  storage): chunk rows stay small, so that the full-text step, which reads thousands of
  rows per question, reads few pages (keeping them inline made it several times slower);
- larger statistics on ``chunks.tsv`` (10,000 most common lexemes instead of 1,000): they
  give the lexical score its inverse document frequencies (see ``postgres_search``).

Accents: ``socle_unaccent(text)`` is an IMMUTABLE function (so that it can feed a generated
column and its index). When the ``unaccent`` extension is available it wraps
``unaccent('unaccent', text)``; otherwise (a server installed without the contrib
extensions, as some managed offers and minimal builds are) it folds Latin accents with
``translate()`` and spells out ``œ``/``æ``, which covers French text.

A new SQLite migration that changes shared tables needs its PostgreSQL twin here.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import psycopg
from psycopg import sql

from socle.errors import StoreError

PgMigration = Callable[[psycopg.Connection[Any]], None]
PG_MIGRATIONS: list[tuple[str, PgMigration]] = []
# Key of the advisory lock held while a migration runs ("socle" in ASCII, as an int).
MIGRATION_LOCK = 0x736F636C65


def pg_migration(fn: PgMigration) -> PgMigration:
    PG_MIGRATIONS.append((fn.__name__, fn))
    return fn


def _run(conn: psycopg.Connection[Any], script: str) -> None:
    for statement in script.split(";"):
        if statement.strip():
            conn.execute(statement.encode())


def _accent_table() -> tuple[str, str]:
    """Accented Latin letters and their bare letter, for ``translate()``."""
    source, target = [], []
    for code in range(0xC0, 0x180):
        char = chr(code)
        decomposed = unicodedata.normalize("NFKD", char)
        if len(decomposed) > 1 and decomposed[0].isascii() and decomposed[0].isalpha():
            source.append(char)
            target.append(decomposed[0])
    return "".join(source), "".join(target)


@pg_migration
def m001_extensions(conn: psycopg.Connection[Any]) -> None:
    """pgvector (required) and an accent folding function (``unaccent`` if installed)."""
    try:
        with conn.transaction():
            conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
    except psycopg.Error as exc:
        raise StoreError(
            "L'extension pgvector est introuvable ou ne peut pas être activée sur ce serveur PostgreSQL "
            f"({exc.diag.message_primary or exc}). Installez-la (paquet postgresql-NN-pgvector) et, en tant "
            "qu'administrateur de la base : CREATE EXTENSION vector;"
        ) from exc
    schema = None
    if conn.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'unaccent'").fetchone():
        try:
            with conn.transaction():
                conn.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
                row = conn.execute(
                    "SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'unaccent'"
                ).fetchone()
                schema = row[0] if row else None
        except psycopg.Error:
            schema = None  # not allowed to create it: fall back to translate()
    if schema is not None:
        body = sql.SQL("SELECT {}.unaccent({}, $1)").format(sql.Identifier(schema), sql.Literal(f"{schema}.unaccent"))
    else:
        source, target = _accent_table()
        body = sql.SQL(
            "SELECT replace(replace(replace(replace(translate($1, {}, {}), 'œ', 'oe'), 'Œ', 'OE'), 'æ', 'ae'),"
            " 'Æ', 'AE')"
        ).format(sql.Literal(source), sql.Literal(target))
    conn.execute(
        sql.SQL(
            "CREATE OR REPLACE FUNCTION socle_unaccent(text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE"
            " STRICT AS {}"
        ).format(sql.Literal(body.as_string(conn)))
    )
    conn.execute(
        sql.SQL("COMMENT ON FUNCTION socle_unaccent(text) IS {}").format(
            sql.Literal("unaccent" if schema is not None else "translate")
        )
    )
    conn.execute(
        "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = 'socle_french') THEN"
        " CREATE TEXT SEARCH CONFIGURATION socle_french (COPY = pg_catalog.french); END IF; END $$"
    )


@pg_migration
def m002_corpus(conn: psycopg.Connection[Any]) -> None:
    """Collections, documents, chunks and the term vocabulary (SQLite m001, m003, m005)."""
    _run(
        conn,
        """
        CREATE TABLE collections (
            id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
            name text NOT NULL UNIQUE,
            created_at text NOT NULL,
            settings jsonb NOT NULL DEFAULT '{}',
            generation bigint NOT NULL DEFAULT 0
        );
        CREATE TABLE terms (
            id integer GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
            term text NOT NULL UNIQUE
        );
        CREATE TABLE documents (
            id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
            collection_id bigint NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
            key text NOT NULL,
            title text NOT NULL,
            source text NOT NULL,
            url text,
            mime text NOT NULL,
            metadata jsonb NOT NULL DEFAULT '{}',
            text text NOT NULL,
            content_hash text NOT NULL,
            ingested_at text NOT NULL,
            terms bytea,
            blocks text,
            UNIQUE (collection_id, key)
        );
        CREATE TABLE chunks (
            id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
            document_id bigint NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
            collection_id bigint NOT NULL,
            ordinal integer NOT NULL,
            text text NOT NULL,
            start integer NOT NULL,
            "end" integer NOT NULL,
            headings jsonb NOT NULL DEFAULT '[]',
            page integer,
            embedding vector,
            terms bytea,
            context text NOT NULL DEFAULT '',
            tsv tsvector GENERATED ALWAYS AS
                (to_tsvector('socle_french'::regconfig, socle_unaccent(context || ' ' || text))) STORED
        );
        ALTER TABLE chunks ALTER COLUMN tsv SET STATISTICS 1000;
        CREATE INDEX chunks_document ON chunks (document_id, ordinal);
        CREATE INDEX chunks_collection ON chunks (collection_id, document_id);
        CREATE INDEX chunks_tsv ON chunks USING gin (tsv)
        """,
    )


@pg_migration
def m003_answers(conn: psycopg.Connection[Any]) -> None:
    """The footprint log of answered questions (SQLite m002 and the columns of m004)."""
    _run(
        conn,
        """
        CREATE TABLE answers (
            id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
            created_at text NOT NULL,
            collection text NOT NULL,
            question text NOT NULL,
            answer text NOT NULL,
            abstained boolean NOT NULL,
            mode text NOT NULL,
            model text NOT NULL,
            confidence double precision NOT NULL,
            citations jsonb NOT NULL,
            footprint jsonb NOT NULL,
            username text,
            assistant text
        );
        CREATE INDEX answers_collection ON answers (collection, created_at)
        """,
    )


@pg_migration
def m004_service(conn: psycopg.Connection[Any]) -> None:
    """Accounts, keys, grants, assistants, the append-only audit log, feedback, corrections,
    jobs (SQLite m004)."""
    _run(
        conn,
        """
        CREATE TABLE users (
            id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
            username text NOT NULL UNIQUE,
            password_hash text,
            is_admin boolean NOT NULL DEFAULT false,
            disabled boolean NOT NULL DEFAULT false,
            created_at text NOT NULL
        );
        CREATE TABLE api_keys (
            id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
            user_id bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            name text NOT NULL,
            prefix text NOT NULL,
            key_hash text NOT NULL UNIQUE,
            created_at text NOT NULL,
            revoked boolean NOT NULL DEFAULT false
        );
        CREATE TABLE grants (
            user_id bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            collection text NOT NULL,
            role text NOT NULL CHECK (role IN ('reader', 'editor')),
            PRIMARY KEY (user_id, collection)
        );
        CREATE TABLE assistants (
            id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
            name text NOT NULL UNIQUE,
            title text NOT NULL,
            instructions text NOT NULL DEFAULT '',
            collections jsonb NOT NULL,
            examples jsonb NOT NULL DEFAULT '[]',
            settings jsonb NOT NULL DEFAULT '{}',
            created_by text,
            created_at text NOT NULL,
            updated_at text NOT NULL
        );
        CREATE TABLE audit (
            id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
            at text NOT NULL,
            username text,
            action text NOT NULL,
            assistant text,
            collections jsonb NOT NULL DEFAULT '[]',
            question text,
            answer_id bigint,
            sources jsonb NOT NULL DEFAULT '[]',
            footprint jsonb NOT NULL DEFAULT '{}',
            detail jsonb NOT NULL DEFAULT '{}'
        );
        CREATE INDEX audit_at ON audit (at);
        CREATE TABLE feedback (
            id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
            answer_id bigint NOT NULL REFERENCES answers(id),
            username text,
            rating smallint NOT NULL CHECK (rating IN (-1, 1)),
            comment text NOT NULL DEFAULT '',
            correction text NOT NULL DEFAULT '',
            created_at text NOT NULL
        );
        CREATE INDEX feedback_answer ON feedback (answer_id);
        CREATE TABLE passage_votes (
            chunk_id bigint NOT NULL,
            collection text NOT NULL,
            up integer NOT NULL DEFAULT 0,
            down integer NOT NULL DEFAULT 0,
            PRIMARY KEY (collection, chunk_id)
        );
        CREATE TABLE corrections (
            id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
            collection text NOT NULL,
            question text NOT NULL,
            text text NOT NULL,
            embedding vector,
            feedback_id bigint REFERENCES feedback(id),
            author text,
            validated_by text,
            validated_at text,
            created_at text NOT NULL
        );
        CREATE INDEX corrections_collection ON corrections (collection);
        CREATE TABLE jobs (
            id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
            collection text NOT NULL,
            username text,
            status text NOT NULL,
            total integer NOT NULL DEFAULT 0,
            done integer NOT NULL DEFAULT 0,
            report jsonb NOT NULL DEFAULT '{}',
            created_at text NOT NULL,
            updated_at text NOT NULL
        );
        CREATE TABLE evaluations (
            id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
            at text NOT NULL,
            collection text NOT NULL,
            kind text NOT NULL,
            questions text NOT NULL,
            metrics jsonb NOT NULL
        )
        """,
    )
    # The audit log is append-only for everyone, the application included: UPDATE, DELETE and
    # TRUNCATE are refused by triggers (a database owner can still drop them, knowingly).
    conn.execute(
        "CREATE FUNCTION socle_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS"
        " $$ BEGIN RAISE EXCEPTION 'audit log is append-only' USING ERRCODE = 'raise_exception'; END $$"
    )
    conn.execute(
        "CREATE TRIGGER audit_no_update_delete BEFORE UPDATE OR DELETE ON audit"
        " FOR EACH ROW EXECUTE FUNCTION socle_audit_append_only()"
    )
    conn.execute(
        "CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit"
        " FOR EACH STATEMENT EXECUTE FUNCTION socle_audit_append_only()"
    )


@pg_migration
def m005_privacy(conn: psycopg.Connection[Any]) -> None:
    # Twin of SQLite's m007_privacy: per document, the counts of personal data removed at
    # ingestion (never the values) and, in `pseudonymise` mode, the encrypted mapping.
    _run(
        conn,
        """
        CREATE TABLE privacy_records (
            collection_id bigint NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
            document_key text NOT NULL,
            mode text NOT NULL,
            counts jsonb NOT NULL DEFAULT '{}',
            mapping bytea,
            created_at text NOT NULL,
            PRIMARY KEY (collection_id, document_key)
        )
        """,
    )


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _ensure_table(conn: psycopg.Connection[Any]) -> None:
    conn.execute("CREATE TABLE IF NOT EXISTS _migrations (name text PRIMARY KEY, applied_at text NOT NULL)")


def applied_migrations(conn: psycopg.Connection[Any]) -> list[str]:
    """Names of the migrations already applied (empty on a blank database)."""
    if conn.execute("SELECT to_regclass('_migrations')").fetchone() == (None,):
        return []
    return [str(r[0]) for r in conn.execute("SELECT name FROM _migrations ORDER BY name")]


def pending_migrations(conn: psycopg.Connection[Any]) -> list[str]:
    done = set(applied_migrations(conn))
    return [name for name, _ in PG_MIGRATIONS if name not in done]


def upgrade(conn: psycopg.Connection[Any]) -> list[str]:
    """Apply the missing migrations, each in its own transaction; returns those applied here.

    ``conn`` must be in autocommit mode (each migration opens its own transaction)."""
    applied: list[str] = []
    for name, fn in PG_MIGRATIONS:
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
            _ensure_table(conn)
            if conn.execute("SELECT 1 FROM _migrations WHERE name = %s", (name,)).fetchone():
                continue  # applied earlier, or by another worker while we waited for the lock
            fn(conn)
            conn.execute("INSERT INTO _migrations (name, applied_at) VALUES (%s, %s)", (name, _now()))
            applied.append(name)
    return applied


def accent_folding(conn: psycopg.Connection[Any]) -> str:
    """How ``socle_unaccent`` folds accents: ``unaccent`` (extension) or ``translate``."""
    row = conn.execute("SELECT obj_description(to_regprocedure('socle_unaccent(text)'), 'pg_proc')").fetchone()
    return str(row[0]) if row and row[0] else "absent"


__all__ = [
    "MIGRATION_LOCK",
    "PG_MIGRATIONS",
    "accent_folding",
    "applied_migrations",
    "pending_migrations",
    "upgrade",
]
