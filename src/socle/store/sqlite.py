"""The embedded default store: one SQLite file.

Lexical search uses SQLite's FTS5 with BM25 ranking over *pre-analysed* French terms
(stems, see :mod:`socle.analysis`), so FTS5 only splits on spaces and scores. Two FTS
tables are kept: one per chunk (to choose passages) and one per whole document (whole
pages score better at document level, see docs/retrieval.md). Each FTS row carries its
collection as an indexed token so that a query intersects the collection's posting list
instead of filtering afterwards.

Dense vectors live in the ``chunks`` table as float32 blobs and are searched exactly
(brute force) in memory by :mod:`socle.retrieve`; the store hands out the matrix.

Writes of one document are a single transaction: a crash leaves either the old version
or the new one, never half of it, which is what makes an interrupted ingestion resumable.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from socle.errors import NotFoundError, StoreError
from socle.models import Chunk, Document
from socle.store import ChunkRecord, CollectionInfo, DenseMatrix, DocumentInfo

Migration = Callable[[sqlite3.Connection], None]
MIGRATIONS: list[tuple[str, Migration]] = []


def migration(fn: Migration) -> Migration:
    MIGRATIONS.append((fn.__name__, fn))
    return fn


def _execute_script(db: sqlite3.Connection, script: str) -> None:
    # Not db.executescript(): it commits first, which would break the migration's transaction.
    for statement in script.split(";"):
        if statement.strip():
            db.execute(statement)


@migration
def m001_initial(db: sqlite3.Connection) -> None:
    _execute_script(
        db,
        """
        CREATE TABLE collections (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            created_at TEXT NOT NULL,
            settings TEXT NOT NULL DEFAULT '{}',
            generation INTEGER NOT NULL DEFAULT 0
        );
        CREATE TABLE documents (
            id INTEGER PRIMARY KEY,
            collection_id INTEGER NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
            key TEXT NOT NULL,
            title TEXT NOT NULL,
            source TEXT NOT NULL,
            url TEXT,
            mime TEXT NOT NULL,
            metadata TEXT NOT NULL DEFAULT '{}',
            text TEXT NOT NULL,
            content_hash TEXT NOT NULL,
            ingested_at TEXT NOT NULL,
            UNIQUE (collection_id, key)
        );
        CREATE TABLE chunks (
            id INTEGER PRIMARY KEY,
            document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
            ordinal INTEGER NOT NULL,
            text TEXT NOT NULL,
            start INTEGER NOT NULL,
            "end" INTEGER NOT NULL,
            headings TEXT NOT NULL DEFAULT '[]',
            page INTEGER,
            embedding BLOB
        );
        CREATE INDEX chunks_document ON chunks(document_id);
        CREATE VIRTUAL TABLE chunk_terms USING fts5(coll, terms, tokenize = 'unicode61 remove_diacritics 0');
        CREATE VIRTUAL TABLE document_terms USING fts5(coll, terms, tokenize = 'unicode61 remove_diacritics 0');
        """,
    )


@migration
def m002_answers(db: sqlite3.Connection) -> None:
    # One row per answered (or abstained) question, with what it cost: the footprint log.
    _execute_script(
        db,
        """
        CREATE TABLE answers (
            id INTEGER PRIMARY KEY,
            created_at TEXT NOT NULL,
            collection TEXT NOT NULL,
            question TEXT NOT NULL,
            answer TEXT NOT NULL,
            abstained INTEGER NOT NULL,
            mode TEXT NOT NULL,
            model TEXT NOT NULL,
            confidence REAL NOT NULL,
            citations TEXT NOT NULL,
            footprint TEXT NOT NULL
        );
        CREATE INDEX answers_collection ON answers(collection, created_at)
        """,
    )


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _fts_query(coll_id: int, terms: Sequence[str]) -> str | None:
    unique = list(dict.fromkeys(t for t in terms if t))
    if not unique:
        return None
    ors = " OR ".join('"' + t.replace('"', '""') + '"' for t in unique)
    return f'coll:"c{coll_id}" AND terms:({ors})'


class SQLiteStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
            self.db.execute("PRAGMA journal_mode = WAL")
            self.db.execute("PRAGMA synchronous = NORMAL")
            self.db.execute("PRAGMA foreign_keys = ON")
            self.db.execute("PRAGMA busy_timeout = 10000")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"Impossible d'ouvrir la base {path} : {exc}") from exc

    # -- schema ------------------------------------------------------------------------------
    def _migrate(self) -> None:
        self.db.execute("CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
        done = {r[0] for r in self.db.execute("SELECT name FROM _migrations")}
        for name, fn in MIGRATIONS:
            if name in done:
                continue
            self.db.execute("BEGIN IMMEDIATE")
            try:
                fn(self.db)
                self.db.execute("INSERT INTO _migrations VALUES (?, ?)", (name, _now()))
                self.db.execute("COMMIT")
            except BaseException:
                self.db.execute("ROLLBACK")
                raise

    def applied_migrations(self) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT name FROM _migrations ORDER BY name")]

    def close(self) -> None:
        self.db.close()

    # -- collections -----------------------------------------------------------------------
    def _collection_id(self, name: str) -> int:
        row = self.db.execute("SELECT id FROM collections WHERE name = ?", (name,)).fetchone()
        if row is None:
            raise NotFoundError(f"La collection « {name} » n'existe pas.")
        return int(row[0])

    def ensure_collection(self, name: str, embedder: str | None = None) -> None:
        if not name.strip():
            raise StoreError("Le nom de collection ne peut pas être vide.")
        row = self.db.execute("SELECT settings FROM collections WHERE name = ?", (name,)).fetchone()
        if row is None:
            settings = {"embedder": embedder} if embedder else {}
            self.db.execute(
                "INSERT INTO collections (name, created_at, settings) VALUES (?, ?, ?)",
                (name, _now(), json.dumps(settings)),
            )
            return
        settings = json.loads(row[0])
        current = settings.get("embedder")
        if embedder and current and current != embedder:
            raise StoreError(
                f"La collection « {name} » a été indexée avec le modèle d'embeddings « {current} », "
                f"pas « {embedder} ». Utilisez le même modèle ou une autre collection."
            )
        if embedder and not current:
            settings["embedder"] = embedder
            self.db.execute("UPDATE collections SET settings = ? WHERE name = ?", (json.dumps(settings), name))

    def collection_settings(self, collection: str) -> dict[str, Any]:
        row = self.db.execute("SELECT settings FROM collections WHERE name = ?", (collection,)).fetchone()
        if row is None:
            raise NotFoundError(f"La collection « {collection} » n'existe pas.")
        settings: dict[str, Any] = json.loads(row[0])
        return settings

    def collections(self) -> list[CollectionInfo]:
        rows = self.db.execute(
            """
            SELECT c.name, c.settings, c.created_at,
                   (SELECT count(*) FROM documents d WHERE d.collection_id = c.id),
                   (SELECT count(*) FROM chunks k JOIN documents d ON k.document_id = d.id
                     WHERE d.collection_id = c.id)
            FROM collections c ORDER BY c.name
            """
        ).fetchall()
        return [
            CollectionInfo(
                name=r[0],
                embedder=json.loads(r[1]).get("embedder"),
                created_at=r[2],
                documents=r[3],
                chunks=r[4],
            )
            for r in rows
        ]

    def remove_collection(self, name: str) -> bool:
        row = self.db.execute("SELECT id FROM collections WHERE name = ?", (name,)).fetchone()
        if row is None:
            return False
        cid = int(row[0])
        self.db.execute("BEGIN IMMEDIATE")
        try:
            self.db.execute("DELETE FROM chunk_terms WHERE coll = ?", (f"c{cid}",))
            self.db.execute("DELETE FROM document_terms WHERE coll = ?", (f"c{cid}",))
            self.db.execute("DELETE FROM collections WHERE id = ?", (cid,))
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        return True

    def generation(self, collection: str) -> int:
        row = self.db.execute("SELECT generation FROM collections WHERE name = ?", (collection,)).fetchone()
        if row is None:
            raise NotFoundError(f"La collection « {collection} » n'existe pas.")
        return int(row[0])

    # -- documents ---------------------------------------------------------------------------
    def documents(self, collection: str) -> list[DocumentInfo]:
        cid = self._collection_id(collection)
        rows = self.db.execute(
            """
            SELECT d.key, d.title, d.source, d.url, d.content_hash, d.ingested_at,
                   (SELECT count(*) FROM chunks k WHERE k.document_id = d.id)
            FROM documents d WHERE d.collection_id = ? ORDER BY d.key
            """,
            (cid,),
        ).fetchall()
        return [
            DocumentInfo(key=r[0], title=r[1], source=r[2], url=r[3], content_hash=r[4], ingested_at=r[5], chunks=r[6])
            for r in rows
        ]

    def document_hash(self, collection: str, key: str) -> str | None:
        row = self.db.execute(
            "SELECT d.content_hash FROM documents d JOIN collections c ON d.collection_id = c.id"
            " WHERE c.name = ? AND d.key = ?",
            (collection, key),
        ).fetchone()
        return None if row is None else str(row[0])

    def _delete_document_rows(self, cid: int, key: str) -> bool:
        row = self.db.execute("SELECT id FROM documents WHERE collection_id = ? AND key = ?", (cid, key)).fetchone()
        if row is None:
            return False
        doc_id = int(row[0])
        self.db.execute(
            "DELETE FROM chunk_terms WHERE rowid IN (SELECT id FROM chunks WHERE document_id = ?)", (doc_id,)
        )
        self.db.execute("DELETE FROM document_terms WHERE rowid = ?", (doc_id,))
        self.db.execute("DELETE FROM documents WHERE id = ?", (doc_id,))
        return True

    def put_document(
        self,
        collection: str,
        document: Document,
        chunks: Sequence[Chunk],
        chunk_terms: Sequence[str],
        document_terms: str,
        embeddings: np.ndarray | None,
    ) -> None:
        """Insert or replace ``document`` and its chunks, atomically."""
        if len(chunk_terms) != len(chunks) or (embeddings is not None and len(embeddings) != len(chunks)):
            raise StoreError("Incohérence interne : autant de termes et de vecteurs que de passages sont attendus.")
        cid = self._collection_id(collection)
        coll = f"c{cid}"
        self.db.execute("BEGIN IMMEDIATE")
        try:
            self._delete_document_rows(cid, document.key)
            cur = self.db.execute(
                "INSERT INTO documents (collection_id, key, title, source, url, mime, metadata, text, content_hash,"
                " ingested_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    cid,
                    document.key,
                    document.title,
                    document.source,
                    document.url,
                    document.mime,
                    json.dumps(document.metadata, ensure_ascii=False),
                    document.text,
                    document.content_hash,
                    _now(),
                ),
            )
            doc_id = cur.lastrowid
            self.db.execute(
                "INSERT INTO document_terms (rowid, coll, terms) VALUES (?, ?, ?)",
                (doc_id, coll, document_terms),
            )
            for i, chunk in enumerate(chunks):
                blob = None if embeddings is None else np.ascontiguousarray(embeddings[i], dtype=np.float32).tobytes()
                cur = self.db.execute(
                    'INSERT INTO chunks (document_id, ordinal, text, start, "end", headings, page, embedding)'
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        doc_id,
                        chunk.ordinal,
                        chunk.text,
                        chunk.start,
                        chunk.end,
                        json.dumps(list(chunk.headings), ensure_ascii=False),
                        chunk.page,
                        blob,
                    ),
                )
                self.db.execute(
                    "INSERT INTO chunk_terms (rowid, coll, terms) VALUES (?, ?, ?)",
                    (cur.lastrowid, coll, chunk_terms[i]),
                )
            self.db.execute("UPDATE collections SET generation = generation + 1 WHERE id = ?", (cid,))
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise

    def remove_document(self, collection: str, key: str) -> bool:
        cid = self._collection_id(collection)
        self.db.execute("BEGIN IMMEDIATE")
        try:
            removed = self._delete_document_rows(cid, key)
            if removed:
                self.db.execute("UPDATE collections SET generation = generation + 1 WHERE id = ?", (cid,))
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        return removed

    # -- search ------------------------------------------------------------------------------
    def _lexical(self, table: str, collection: str, query_terms: Sequence[str], limit: int) -> list[tuple[int, float]]:
        cid = self._collection_id(collection)
        match = _fts_query(cid, query_terms)
        if match is None:
            return []
        # bm25() is negative (lower is better); weight 0 on the collection column.
        rows = self.db.execute(
            f"SELECT rowid, -bm25({table}, 0.0, 1.0) AS s FROM {table} WHERE {table} MATCH ? ORDER BY s DESC LIMIT ?",
            (match, limit),
        ).fetchall()
        return [(int(r[0]), float(r[1])) for r in rows]

    def search_documents_lexical(
        self, collection: str, query_terms: Sequence[str], limit: int
    ) -> list[tuple[int, float]]:
        """(document id, BM25 score) of the best whole documents, best first."""
        return self._lexical("document_terms", collection, query_terms, limit)

    def search_chunks_lexical(self, collection: str, query_terms: Sequence[str], limit: int) -> list[tuple[int, float]]:
        """(chunk id, BM25 score) of the best chunks, best first."""
        return self._lexical("chunk_terms", collection, query_terms, limit)

    def dense_matrix(self, collection: str) -> DenseMatrix:
        """Every chunk of the collection with its vector (zeros where none was stored)."""
        cid = self._collection_id(collection)
        rows = self.db.execute(
            "SELECT k.id, k.document_id, k.embedding FROM chunks k JOIN documents d ON k.document_id = d.id"
            " WHERE d.collection_id = ? ORDER BY k.document_id, k.ordinal",
            (cid,),
        ).fetchall()
        ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        docs = np.fromiter((r[1] for r in rows), dtype=np.int64, count=len(rows))
        dim = next((len(r[2]) // 4 for r in rows if r[2] is not None), 0)
        if dim and all(r[2] is not None for r in rows):
            vecs = np.frombuffer(b"".join(r[2] for r in rows), dtype=np.float32).reshape(len(rows), dim)
        else:
            vecs = np.zeros((len(rows), dim), dtype=np.float32)
            for i, r in enumerate(rows):
                if r[2] is not None:
                    vecs[i] = np.frombuffer(r[2], dtype=np.float32)
        return DenseMatrix(ids, docs, vecs)

    def chunk_records(self, chunk_ids: Sequence[int]) -> dict[int, ChunkRecord]:
        if not chunk_ids:
            return {}
        marks = ",".join("?" * len(chunk_ids))
        rows = self.db.execute(
            f'SELECT k.id, d.id, d.key, d.title, d.source, d.url, k.text, k.start, k."end", k.headings, k.page'
            f" FROM chunks k JOIN documents d ON k.document_id = d.id WHERE k.id IN ({marks})",
            list(chunk_ids),
        ).fetchall()
        return {
            int(r[0]): ChunkRecord(
                chunk_id=int(r[0]),
                document_id=int(r[1]),
                document_key=r[2],
                document_title=r[3],
                source=r[4],
                url=r[5],
                text=r[6],
                start=r[7],
                end=r[8],
                headings=tuple(json.loads(r[9])),
                page=r[10],
            )
            for r in rows
        }

    # -- answers -----------------------------------------------------------------------------
    def record_answer(self, record: dict[str, Any]) -> int:
        """Store one answer with its citations and footprint; returns its id."""
        cur = self.db.execute(
            "INSERT INTO answers (created_at, collection, question, answer, abstained, mode, model, confidence,"
            " citations, footprint) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                _now(),
                record["collection"],
                record["question"],
                record["answer"],
                int(record["abstained"]),
                record["mode"],
                record["model"],
                float(record["confidence"]),
                json.dumps(record["citations"], ensure_ascii=False),
                json.dumps(record["footprint"]),
            ),
        )
        return int(cur.lastrowid or 0)

    def answers(self, collection: str | None = None) -> list[dict[str, Any]]:
        sql = "SELECT id, created_at, collection, question, answer, abstained, mode, model, confidence, citations, footprint FROM answers"
        rows = self.db.execute(
            sql + (" WHERE collection = ?" if collection else "") + " ORDER BY id", (collection,) if collection else ()
        ).fetchall()
        keys = (
            "id",
            "created_at",
            "collection",
            "question",
            "answer",
            "abstained",
            "mode",
            "model",
            "confidence",
            "citations",
            "footprint",
        )
        out = []
        for r in rows:
            d = dict(zip(keys, r, strict=True))
            d["abstained"] = bool(d["abstained"])
            d["citations"] = json.loads(d["citations"])
            d["footprint"] = json.loads(d["footprint"])
            out.append(d)
        return out
