"""Copy an embedded SQLite deployment into PostgreSQL (`socle migrate`), verifiably.

Everything is copied with its ids (chunk ids are cited by answers and counted by passage
votes; user ids are referenced by keys and grants), term vocabulary included, so that the
copy ranks exactly like the original. The copy is resumable: each document is written with
its chunks in one transaction and skipped on the next run when the target already holds
it (same id, collection, key and content hash); the other tables are upserted in batches.
Interrupting the copy at any point loses nothing: run the same command again.

At the end, each table's row count and a SHA-256 checksum of its rows (values normalised:
JSON with sorted keys, flags as 0/1, vectors as float32 bytes) are computed on both sides
and compared.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb

from socle.chunk import index_text
from socle.errors import StoreError
from socle.models import Chunk, Document
from socle.store.postgres import PostgresStore, _RawVectorLoader
from socle.store.sqlite import SQLiteStore

Progress = Callable[[str], None]
BATCH = 1000

# (table, conflict key, columns with their kind, mutable): the copy and checksum schema.
# Kinds: int, float, text, bool, json, bytes (int32 term ids), vector (float32 embedding).
Columns = Sequence[tuple[str, str]]
SERVICE_TABLES: list[tuple[str, tuple[str, ...], Columns, bool]] = [
    (
        "users",
        ("id",),
        [
            ("id", "int"),
            ("username", "text"),
            ("password_hash", "text"),
            ("is_admin", "bool"),
            ("disabled", "bool"),
            ("created_at", "text"),
        ],
        True,
    ),
    (
        "api_keys",
        ("id",),
        [
            ("id", "int"),
            ("user_id", "int"),
            ("name", "text"),
            ("prefix", "text"),
            ("key_hash", "text"),
            ("created_at", "text"),
            ("revoked", "bool"),
        ],
        True,
    ),
    ("grants", ("user_id", "collection"), [("user_id", "int"), ("collection", "text"), ("role", "text")], True),
    (
        "assistants",
        ("id",),
        [
            ("id", "int"),
            ("name", "text"),
            ("title", "text"),
            ("instructions", "text"),
            ("collections", "json"),
            ("examples", "json"),
            ("settings", "json"),
            ("created_by", "text"),
            ("created_at", "text"),
            ("updated_at", "text"),
        ],
        True,
    ),
    (
        "answers",
        ("id",),
        [
            ("id", "int"),
            ("created_at", "text"),
            ("collection", "text"),
            ("question", "text"),
            ("answer", "text"),
            ("abstained", "bool"),
            ("mode", "text"),
            ("model", "text"),
            ("confidence", "float"),
            ("citations", "json"),
            ("footprint", "json"),
            ("username", "text"),
            ("assistant", "text"),
        ],
        False,
    ),
    (
        "audit",
        ("id",),
        [
            ("id", "int"),
            ("at", "text"),
            ("username", "text"),
            ("action", "text"),
            ("assistant", "text"),
            ("collections", "json"),
            ("question", "text"),
            ("answer_id", "int"),
            ("sources", "json"),
            ("footprint", "json"),
            ("detail", "json"),
        ],
        False,  # append-only: never updated, even by the copy
    ),
    (
        "feedback",
        ("id",),
        [
            ("id", "int"),
            ("answer_id", "int"),
            ("username", "text"),
            ("rating", "int"),
            ("comment", "text"),
            ("correction", "text"),
            ("created_at", "text"),
        ],
        False,
    ),
    (
        "passage_votes",
        ("collection", "chunk_id"),
        [("chunk_id", "int"), ("collection", "text"), ("up", "int"), ("down", "int")],
        True,
    ),
    (
        "corrections",
        ("id",),
        [
            ("id", "int"),
            ("collection", "text"),
            ("question", "text"),
            ("text", "text"),
            ("embedding", "vector"),
            ("feedback_id", "int"),
            ("author", "text"),
            ("validated_by", "text"),
            ("validated_at", "text"),
            ("created_at", "text"),
        ],
        True,
    ),
    (
        "jobs",
        ("id",),
        [
            ("id", "int"),
            ("collection", "text"),
            ("username", "text"),
            ("status", "text"),
            ("total", "int"),
            ("done", "int"),
            ("report", "json"),
            ("created_at", "text"),
            ("updated_at", "text"),
        ],
        True,
    ),
    (
        "evaluations",
        ("id",),
        [
            ("id", "int"),
            ("at", "text"),
            ("collection", "text"),
            ("kind", "text"),
            ("questions", "text"),
            ("metrics", "json"),
        ],
        False,
    ),
    (
        "privacy_records",
        ("collection_id", "document_key"),
        [
            ("collection_id", "int"),
            ("document_key", "text"),
            ("mode", "text"),
            ("counts", "json"),
            ("mapping", "bytes"),
            ("created_at", "text"),
        ],
        True,
    ),
]
CORPUS_TABLES: list[tuple[str, Columns]] = [
    ("terms", [("id", "int"), ("term", "text")]),
    (
        "collections",
        [("id", "int"), ("name", "text"), ("created_at", "text"), ("settings", "json"), ("generation", "int")],
    ),
    (
        "documents",
        [
            ("id", "int"),
            ("collection_id", "int"),
            ("key", "text"),
            ("title", "text"),
            ("source", "text"),
            ("url", "text"),
            ("mime", "text"),
            ("metadata", "json"),
            ("text", "text"),
            ("content_hash", "text"),
            ("ingested_at", "text"),
            ("terms", "bytes"),
            ("blocks", "text"),
        ],
    ),
    (
        "chunks",
        [
            ("id", "int"),
            ("document_id", "int"),
            ("ordinal", "int"),
            ("text", "text"),
            ("start", "int"),
            ("end", "int"),
            ("headings", "json"),
            ("page", "int"),
            ("embedding", "vector"),
            ("terms", "bytes"),
        ],
    ),
]


@dataclass
class TableCheck:
    table: str
    source_rows: int
    target_rows: int
    source_checksum: str
    target_checksum: str

    @property
    def ok(self) -> bool:
        return self.source_rows == self.target_rows and self.source_checksum == self.target_checksum


@dataclass
class TransferReport:
    documents_copied: int = 0
    documents_skipped: int = 0  # already in the target (an earlier, interrupted run)
    documents_removed: int = 0  # in the target but no longer in the source
    chunks_copied: int = 0
    rows_copied: dict[str, int] = field(default_factory=dict)
    vector_indexes: list[str] = field(default_factory=list)
    checks: list[TableCheck] = field(default_factory=list)

    @property
    def verified(self) -> bool:
        return bool(self.checks) and all(c.ok for c in self.checks)


# -- values: from SQLite to PostgreSQL, and a normal form for checksums ---------------------------
def _from_sqlite(kind: str, value: Any) -> Any:
    if value is None:
        return None
    if kind == "bool":
        return bool(value)
    if kind == "json":
        return Jsonb(json.loads(value))
    if kind == "vector":
        return np.frombuffer(value, dtype=np.float32)
    if kind == "bytes":
        return bytes(value)
    return value


def _normal(kind: str, value: Any, backend: str) -> str:
    """One value as text, identical for both backends when the data are the same."""
    if value is None:
        return "\x01"
    if kind == "json":
        data = json.loads(value) if backend == "sqlite" else value
        return json.dumps(data, sort_keys=True, ensure_ascii=False).replace("\\u0000", "\\ufffd")
    if kind == "vector":
        if backend == "sqlite":
            return hashlib.sha256(bytes(value)).hexdigest()
        return hashlib.sha256(np.frombuffer(value[4:], dtype=">f4").astype("<f4").tobytes()).hexdigest()
    if kind == "bytes":
        return hashlib.sha256(bytes(value)).hexdigest()
    if kind in ("bool", "int"):
        return str(int(value))
    if kind == "float":
        return repr(float(value))
    return str(value).replace("\x00", "\ufffd")


def _quoted(columns: Columns) -> list[str]:
    return [f'"{name}"' for name, _ in columns]


def _sqlite_rows(db: sqlite3.Connection, table: str, columns: Columns, order: str = "") -> Iterator[tuple[Any, ...]]:
    cursor = db.execute(f"SELECT {', '.join(_quoted(columns))} FROM {table} ORDER BY {order or columns[0][0]}")
    while rows := cursor.fetchmany(BATCH):
        yield from rows


def _pg_rows(conn: psycopg.Connection[Any], table: str, columns: Columns, order: str, vector_oid: int) -> Iterator[Any]:
    query = sql.SQL("SELECT {} FROM {} ORDER BY {}").format(
        sql.SQL(", ").join(sql.Identifier(name) for name, _ in columns),
        sql.Identifier(table),
        sql.SQL(order or columns[0][0]),
    )
    with conn.cursor(name=f"checksum_{table}", binary=True) as cur:
        cur.adapters.register_loader(vector_oid, _RawVectorLoader)
        cur.itersize = BATCH
        cur.execute(query)
        yield from cur


def _checksum(rows: Iterator[Sequence[Any]], columns: Columns, backend: str) -> tuple[int, str]:
    digest = hashlib.sha256()
    count = 0
    for row in rows:
        count += 1
        line = "\x1f".join(_normal(kind, value, backend) for (_, kind), value in zip(columns, row, strict=True))
        digest.update(line.encode("utf-8", "surrogatepass") + b"\x1e")
    return count, digest.hexdigest()


def _order(table: str) -> str:
    return {
        "grants": "user_id, collection",
        "passage_votes": "collection, chunk_id",
        "privacy_records": "collection_id, document_key",
    }.get(table, "id")


def verify(source: SQLiteStore, target: PostgresStore) -> list[TableCheck]:
    """Row counts and checksums of every table, on both sides."""
    checks = []
    tables = [(t, c) for t, c in CORPUS_TABLES] + [(t, c) for t, _, c, _ in SERVICE_TABLES]
    with target.pool.connection() as conn:
        for table, columns in tables:
            order = _order(table)
            n_src, sum_src = _checksum(_sqlite_rows(source.db, table, columns, order), columns, "sqlite")
            n_dst, sum_dst = _checksum(
                _pg_rows(conn, table, columns, order, target._vector_info.oid), columns, "postgres"
            )
            checks.append(TableCheck(table, n_src, n_dst, sum_src, sum_dst))
    return checks


# -- copy ----------------------------------------------------------------------------------------
def _upsert_sql(table: str, key: tuple[str, ...], columns: Columns, mutable: bool) -> sql.Composed:
    names = [name for name, _ in columns]
    conflict = sql.SQL(", ").join(map(sql.Identifier, key))
    action: sql.Composable
    if mutable:
        updates = sql.SQL(", ").join(
            sql.SQL("{} = excluded.{}").format(sql.Identifier(n), sql.Identifier(n)) for n in names if n not in key
        )
        action = sql.SQL("DO UPDATE SET {}").format(updates)
    else:
        action = sql.SQL("DO NOTHING")
    return sql.SQL("INSERT INTO {} ({}) VALUES ({}) ON CONFLICT ({}) {}").format(
        sql.Identifier(table),
        sql.SQL(", ").join(map(sql.Identifier, names)),
        sql.SQL(", ").join(sql.Placeholder() * len(names)),
        conflict,
        action,
    )


def _copy_terms(source: SQLiteStore, conn: psycopg.Connection[Any], report: TransferReport) -> None:
    existing = dict(conn.execute("SELECT id, term FROM terms").fetchall())
    rows = [(int(i), str(t)) for i, t in source.db.execute("SELECT id, term FROM terms ORDER BY id")]
    clash = next(((i, t) for i, t in rows if i in existing and existing[i] != t), None)
    if clash or len(existing) > len(rows):
        raise StoreError(
            "La base PostgreSQL cible contient déjà un autre vocabulaire (une autre installation ?) :"
            " copiez vers une base vide."
        )
    missing = [(i, t) for i, t in rows if i not in existing]
    with conn.transaction(), conn.cursor() as cur:
        for start in range(0, len(missing), 10 * BATCH):
            cur.executemany("INSERT INTO terms (id, term) VALUES (%s, %s)", missing[start : start + 10 * BATCH])
    report.rows_copied["terms"] = len(missing)


def _copy_collections(source: SQLiteStore, conn: psycopg.Connection[Any]) -> None:
    rows = source.db.execute("SELECT id, name, created_at, settings, generation FROM collections ORDER BY id")
    wanted = {int(r[0]): r for r in rows.fetchall()}
    for cid, name in conn.execute("SELECT id, name FROM collections").fetchall():
        if cid not in wanted or wanted[cid][1] != name:
            raise StoreError(
                f"La collection « {name} » de la base cible ne vient pas de cette installation :"
                " copiez vers une base vide."
            )
    with conn.transaction():
        for cid, name, created_at, settings, generation in wanted.values():
            conn.execute(
                "INSERT INTO collections (id, name, created_at, settings, generation) VALUES (%s, %s, %s, %s, %s)"
                " ON CONFLICT (id) DO UPDATE SET settings = excluded.settings, generation = excluded.generation",
                (cid, name, created_at, Jsonb(json.loads(settings)), generation),
            )


_DOCUMENT_COLUMNS = (
    "id, collection_id, key, title, source, url, mime, metadata, text, content_hash, ingested_at, terms, blocks"
)


def _copy_documents(
    source: SQLiteStore, conn: psycopg.Connection[Any], report: TransferReport, progress: Progress | None
) -> None:
    done = {
        int(r[0]): (int(r[1]), str(r[2]), str(r[3]))
        for r in conn.execute("SELECT id, collection_id, key, content_hash FROM documents")
    }
    wanted = {
        int(r[0]): (int(r[1]), str(r[2]), str(r[3]))
        for r in source.db.execute("SELECT id, collection_id, key, content_hash FROM documents")
    }
    stale = [i for i, sig in done.items() if wanted.get(i) != sig]
    if stale:  # changed in the source since an interrupted run, or removed there
        with conn.transaction():
            conn.execute("DELETE FROM documents WHERE id = ANY(%s::bigint[])", (stale,))
        report.documents_removed = len([i for i in stale if i not in wanted])
    total = len(wanted)
    for number, doc_id in enumerate(sorted(wanted), start=1):
        if doc_id in done and doc_id not in stale:
            report.documents_skipped += 1
            continue
        row = source.db.execute(f"SELECT {_DOCUMENT_COLUMNS} FROM documents WHERE id = ?", (doc_id,)).fetchone()
        chunks = source.db.execute(
            'SELECT id, document_id, ordinal, text, start, "end", headings, page, embedding, terms FROM chunks'
            " WHERE document_id = ? ORDER BY ordinal",
            (doc_id,),
        ).fetchall()
        metadata = json.loads(row[7])
        shell = Document(key=row[2], title=row[3], blocks=[], metadata=metadata)
        with conn.transaction(), conn.cursor() as cur:
            cur.execute(
                f"INSERT INTO documents ({_DOCUMENT_COLUMNS}) VALUES"
                " (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                (*row[:7], Jsonb(metadata), row[8], row[9], row[10], _from_sqlite("bytes", row[11]), row[12]),
            )
            rows = []
            for k in chunks:
                headings = json.loads(k[6])
                chunk = Chunk(k[3], k[4], k[5], k[2], tuple(headings), k[7])
                full = index_text(shell.title, chunk, shell.descriptors)
                rows.append(
                    (
                        k[0],
                        k[1],
                        row[1],
                        k[2],
                        k[3],
                        k[4],
                        k[5],
                        Jsonb(headings),
                        k[7],
                        _from_sqlite("vector", k[8]),
                        _from_sqlite("bytes", k[9]),
                        full[: len(full) - len(chunk.text)].rstrip("\n"),
                    )
                )
            cur.executemany(
                'INSERT INTO chunks (id, document_id, collection_id, ordinal, text, start, "end", headings, page,'
                " embedding, terms, context) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                rows,
            )
        report.documents_copied += 1
        report.chunks_copied += len(chunks)
        if progress and (number % 500 == 0 or number == total):
            progress(f"documents : {number}/{total}")


def _copy_service_tables(source: SQLiteStore, conn: psycopg.Connection[Any], report: TransferReport) -> None:
    for table, key, columns, mutable in SERVICE_TABLES:
        statement = _upsert_sql(table, key, columns, mutable)
        copied = 0
        batch: list[tuple[Any, ...]] = []
        for row in _sqlite_rows(source.db, table, columns, _order(table)):
            batch.append(tuple(_from_sqlite(kind, v) for (_, kind), v in zip(columns, row, strict=True)))
            if len(batch) == BATCH:
                with conn.transaction(), conn.cursor() as cur:
                    cur.executemany(statement, batch)
                copied += len(batch)
                batch = []
        if batch:
            with conn.transaction(), conn.cursor() as cur:
                cur.executemany(statement, batch)
            copied += len(batch)
        report.rows_copied[table] = copied


def _reset_sequences(conn: psycopg.Connection[Any]) -> None:
    """Identity columns continue after the copied ids."""
    tables = ["terms", "collections", "documents", "chunks"] + [t for t, key, _, _ in SERVICE_TABLES if key == ("id",)]
    with conn.transaction():
        for table in tables:
            conn.execute(
                sql.SQL(
                    "SELECT setval(pg_get_serial_sequence({}, 'id'), max(id)) FROM {} HAVING max(id) IS NOT NULL"
                ).format(sql.Literal(table), sql.Identifier(table))
            )


def copy_store(source: SQLiteStore, target: PostgresStore, progress: Progress | None = None) -> TransferReport:
    """Copy ``source`` into ``target`` (resumable), build the vector indexes, verify."""
    report = TransferReport()
    say = progress or (lambda _message: None)
    target.defer_vector_index = True
    with target.pool.connection() as conn:
        conn.autocommit = True
        try:
            say("vocabulaire et collections")
            _copy_terms(source, conn, report)
            _copy_collections(source, conn)
            _copy_documents(source, conn, report, progress)
            say("comptes, assistants, journal d'audit, réponses et retours")
            _copy_service_tables(source, conn, report)
            _reset_sequences(conn)
        finally:
            conn.autocommit = False
    target.defer_vector_index = False
    for info in target.collections():
        say(f"index vectoriel HNSW de « {info.name} »")
        if target.build_vector_index(info.name):
            report.vector_indexes.append(info.name)
    say("vérification (nombres de lignes et sommes de contrôle)")
    report.checks = verify(source, target)
    return report


__all__ = ["CORPUS_TABLES", "SERVICE_TABLES", "TableCheck", "TransferReport", "copy_store", "verify"]
