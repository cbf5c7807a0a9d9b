"""A new database, created at the newest revision from :mod:`socle.store.schema`.

This is Alembic's documented way to build a database from scratch (``create_all``, then
stamp the head revision; the migrations only carry existing databases forward: see "Schema
changes" in ``docs/architecture.md``). Besides the tables, a new database gets what
SQLAlchemy's metadata does not describe:

- on both backends, triggers that make the audit log append-only for everyone, the
  application included (a database owner can still drop them, knowingly);
- on PostgreSQL, pgvector (required), French full-text search on chunks (a stored generated
  ``tsvector`` with the ``socle_french`` configuration, a copy of PostgreSQL's ``french``,
  over accent-folded text, with a GIN index and larger statistics, which give the
  server-side lexical score its IDF: :mod:`socle.store.postgres_search`), and
  ``socle_unaccent(text)``: an IMMUTABLE accent folding (so that it can feed the generated
  column) wrapping the ``unaccent`` extension when it can be installed, else ``translate()``
  over Latin letters (servers without the contrib extensions).
"""

from __future__ import annotations

import unicodedata

import sqlalchemy as sa

from socle.errors import StoreError
from socle.store.schema import metadata


def create(conn: sa.Connection) -> None:
    """Create every table and its companions on an empty database, in ``conn``'s transaction."""
    postgres = conn.dialect.name == "postgresql"
    if postgres:
        _postgres_extensions(conn)
    metadata.create_all(conn)
    if postgres:
        for statement in (
            "ALTER TABLE chunks ADD COLUMN tsv tsvector GENERATED ALWAYS AS"
            " (to_tsvector('socle_french'::regconfig, socle_unaccent(context || ' ' || text))) STORED",
            "ALTER TABLE chunks ALTER COLUMN tsv SET STATISTICS 1000",
            "CREATE INDEX chunks_tsv ON chunks USING gin (tsv)",
            "CREATE FUNCTION socle_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS"
            " $$ BEGIN RAISE EXCEPTION 'audit log is append-only' USING ERRCODE = 'raise_exception'; END $$",
            "CREATE TRIGGER audit_no_update_delete BEFORE UPDATE OR DELETE ON audit"
            " FOR EACH ROW EXECUTE FUNCTION socle_audit_append_only()",
            "CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit"
            " FOR EACH STATEMENT EXECUTE FUNCTION socle_audit_append_only()",
        ):
            conn.exec_driver_sql(statement)
    else:
        for event in ("UPDATE", "DELETE"):
            conn.exec_driver_sql(
                f"CREATE TRIGGER audit_no_{event.lower()} BEFORE {event} ON audit"
                " BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END"
            )


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


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _postgres_extensions(conn: sa.Connection) -> None:
    try:
        with conn.begin_nested():
            conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS vector")
    except sa.exc.DBAPIError as exc:
        raise StoreError(
            "L'extension pgvector est introuvable ou ne peut pas être activée sur ce serveur PostgreSQL "
            f"({exc.orig}). Installez-la (paquet postgresql-NN-pgvector) et, en tant qu'administrateur"
            " de la base : CREATE EXTENSION vector;"
        ) from exc
    schema = None
    if conn.exec_driver_sql("SELECT 1 FROM pg_available_extensions WHERE name = 'unaccent'").first():
        try:
            with conn.begin_nested():
                conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS unaccent")
                schema = conn.exec_driver_sql(
                    "SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'unaccent'"
                ).scalar()
        except sa.exc.DBAPIError:
            schema = None  # not allowed to create it: fall back to translate()
    if schema is not None:
        body = f"SELECT {schema}.unaccent({_literal(schema + '.unaccent')}, $1)"
    else:
        source, target = _accent_table()
        body = (
            f"SELECT replace(replace(replace(replace(translate($1, {_literal(source)}, {_literal(target)}),"
            " 'œ', 'oe'), 'Œ', 'OE'), 'æ', 'ae'), 'Æ', 'AE')"
        )
    conn.exec_driver_sql(
        "CREATE OR REPLACE FUNCTION socle_unaccent(text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE"
        f" STRICT AS {_literal(body)}"
    )
    kind = "unaccent" if schema is not None else "translate"
    conn.exec_driver_sql(f"COMMENT ON FUNCTION socle_unaccent(text) IS '{kind}'")
    conn.exec_driver_sql(
        "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = 'socle_french') THEN"
        " CREATE TEXT SEARCH CONFIGURATION socle_french (COPY = pg_catalog.french); END IF; END $$"
    )


__all__ = ["create"]
