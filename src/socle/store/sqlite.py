"""The embedded default store: one SQLite file.

Each chunk and each whole document stores its French BM25 terms (stems, see
:mod:`socle.analysis`) as an int32 array of ids into the ``terms`` vocabulary table, and
each chunk its embedding as a float32 blob. Search itself runs in memory
(:mod:`socle.bm25`, :mod:`socle.retrieve`): the store hands out those arrays, and the
retriever rebuilds its indexes when a collection's ``generation`` counter moves.

Writes of one document are a single transaction: a crash leaves either the old version
or the new one, never half of it, which is what makes an interrupted ingestion resumable.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from socle.errors import NotFoundError, StoreError
from socle.models import Chunk, Document
from socle.store import ChunkRecord, CollectionInfo, DocumentInfo, IndexData
from socle.store.corpus import CorpusTables, blocks_layout, m005_document_blocks
from socle.store.service import ServiceTables, m006_evaluations

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


@migration
def m003_term_ids(db: sqlite3.Connection) -> None:
    # Lexical search moved from FTS5 to in-memory BM25 over term ids (socle/bm25.py):
    # FTS5 scored every matching row per query and filtered collections afterwards.
    _execute_script(
        db,
        """
        CREATE TABLE terms (id INTEGER PRIMARY KEY, term TEXT NOT NULL UNIQUE);
        ALTER TABLE chunks ADD COLUMN terms BLOB;
        ALTER TABLE documents ADD COLUMN terms BLOB
        """,
    )
    vocab: dict[str, int] = {}
    for table, target in (("chunk_terms", "chunks"), ("document_terms", "documents")):
        rows = db.execute(f"SELECT rowid, terms FROM {table}").fetchall()
        for rowid, text in rows:
            ids = np.array([vocab.setdefault(t, len(vocab) + 1) for t in text.split()], dtype=np.int32)
            db.execute(f"UPDATE {target} SET terms = ? WHERE id = ?", (ids.tobytes(), rowid))
        db.execute(f"DROP TABLE {table}")
    db.executemany("INSERT INTO terms (term, id) VALUES (?, ?)", vocab.items())


@migration
def m004_service(db: sqlite3.Connection) -> None:
    # The web service: accounts, API keys, per-collection grants, assistants, an append-only
    # audit log, feedback on answers, validated corrections, and ingestion jobs.
    _execute_script(
        db,
        """
        CREATE TABLE users (
            id INTEGER PRIMARY KEY,
            username TEXT NOT NULL UNIQUE,
            password_hash TEXT,
            is_admin INTEGER NOT NULL DEFAULT 0,
            disabled INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL
        );
        CREATE TABLE api_keys (
            id INTEGER PRIMARY KEY,
            user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            name TEXT NOT NULL,
            prefix TEXT NOT NULL,
            key_hash TEXT NOT NULL UNIQUE,
            created_at TEXT NOT NULL,
            revoked INTEGER NOT NULL DEFAULT 0
        );
        CREATE TABLE grants (
            user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            collection TEXT NOT NULL,
            role TEXT NOT NULL CHECK (role IN ('reader', 'editor')),
            PRIMARY KEY (user_id, collection)
        );
        CREATE TABLE assistants (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            title TEXT NOT NULL,
            instructions TEXT NOT NULL DEFAULT '',
            collections TEXT NOT NULL,
            examples TEXT NOT NULL DEFAULT '[]',
            settings TEXT NOT NULL DEFAULT '{}',
            created_by TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE TABLE audit (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            username TEXT,
            action TEXT NOT NULL,
            assistant TEXT,
            collections TEXT NOT NULL DEFAULT '[]',
            question TEXT,
            answer_id INTEGER,
            sources TEXT NOT NULL DEFAULT '[]',
            footprint TEXT NOT NULL DEFAULT '{}',
            detail TEXT NOT NULL DEFAULT '{}'
        );
        CREATE INDEX audit_at ON audit(at);
        ALTER TABLE answers ADD COLUMN username TEXT;
        ALTER TABLE answers ADD COLUMN assistant TEXT;
        CREATE TABLE feedback (
            id INTEGER PRIMARY KEY,
            answer_id INTEGER NOT NULL REFERENCES answers(id),
            username TEXT,
            rating INTEGER NOT NULL CHECK (rating IN (-1, 1)),
            comment TEXT NOT NULL DEFAULT '',
            correction TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL
        );
        CREATE INDEX feedback_answer ON feedback(answer_id);
        CREATE TABLE passage_votes (
            chunk_id INTEGER NOT NULL,
            collection TEXT NOT NULL,
            up INTEGER NOT NULL DEFAULT 0,
            down INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (collection, chunk_id)
        );
        CREATE TABLE corrections (
            id INTEGER PRIMARY KEY,
            collection TEXT NOT NULL,
            question TEXT NOT NULL,
            text TEXT NOT NULL,
            embedding BLOB,
            feedback_id INTEGER REFERENCES feedback(id),
            author TEXT,
            validated_by TEXT,
            validated_at TEXT,
            created_at TEXT NOT NULL
        );
        CREATE INDEX corrections_collection ON corrections(collection);
        CREATE TABLE jobs (
            id INTEGER PRIMARY KEY,
            collection TEXT NOT NULL,
            username TEXT,
            status TEXT NOT NULL,
            total INTEGER NOT NULL DEFAULT 0,
            done INTEGER NOT NULL DEFAULT 0,
            report TEXT NOT NULL DEFAULT '{}',
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )
        """,
    )
    # Triggers hold ";" inside their body: executed one by one, not through _execute_script.
    for event in ("UPDATE", "DELETE"):
        db.execute(
            f"CREATE TRIGGER audit_no_{event.lower()} BEFORE {event} ON audit "
            "BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END"
        )


migration(m005_document_blocks)  # document block layouts, see socle.store.corpus
migration(m006_evaluations)  # `socle eval` results, see socle.store.service


@migration
def m007_privacy(db: sqlite3.Connection) -> None:
    # Personal data removed at ingestion, per document (counts by type, never the values),
    # and the encrypted pseudonym mapping in `pseudonymise` mode: see socle.privacy.
    _execute_script(
        db,
        """
        CREATE TABLE privacy_records (
            collection_id INTEGER NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
            document_key TEXT NOT NULL,
            mode TEXT NOT NULL,
            counts TEXT NOT NULL DEFAULT '{}',
            mapping BLOB,
            created_at TEXT NOT NULL,
            PRIMARY KEY (collection_id, document_key)
        )
        """,
    )


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _create_private_database(path: Path) -> None:
    """Create an empty database file readable by its owner only (0600), in a 0700 folder if
    the folder is new. SQLite gives its -wal and -shm files the mode of the database file,
    so they are private too; an existing database keeps the mode its owner gave it."""
    from socle.config import create_private_folder

    create_private_folder(path.parent)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass
    except OSError as exc:
        raise StoreError(f"Impossible de créer la base {path} : {exc.strerror or exc}") from exc


class SQLiteStore(ServiceTables, CorpusTables):
    """One SQLite file, safe to share between threads (the web service's worker threads):
    each thread gets its own connection, and writes of this process are serialised by a
    lock on top of SQLite's own locking (WAL mode: readers never wait for the writer)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._connections_lock = threading.Lock()
        self._write_lock = threading.RLock()
        self._vocab: dict[str, int] = {}
        try:
            _create_private_database(path)
            self.db.execute("PRAGMA journal_mode = WAL")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"Impossible d'ouvrir la base {path} : {exc}") from exc

    @property
    def db(self) -> sqlite3.Connection:
        """This thread's connection (opened on first use)."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(str(self.path), isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("PRAGMA busy_timeout = 10000")
            self._local.conn = conn
            with self._connections_lock:
                self._connections.append(conn)
        return conn

    @contextmanager
    def _writing(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: committed on success, rolled back on any error."""
        with self._write_lock:
            db = self.db
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                self._vocab.clear()  # term ids handed out inside a rolled-back transaction are void
                raise

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
        with self._connections_lock:
            for conn in self._connections:
                conn.close()
            self._connections.clear()
        self._local = threading.local()

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
        self.db.execute("DELETE FROM documents WHERE id = ?", (int(row[0]),))
        return True

    def _term_blob(self, terms: Sequence[str]) -> bytes:
        """Term ids of ``terms`` (adding unknown terms to the vocabulary), as int32 bytes.
        Runs inside the caller's write transaction."""
        missing = [t for t in dict.fromkeys(terms) if t not in self._vocab]
        if missing:
            marks = ",".join("?" * len(missing))
            self._vocab.update(self.db.execute(f"SELECT term, id FROM terms WHERE term IN ({marks})", missing))
            for term in missing:
                if term not in self._vocab:
                    cur = self.db.execute("INSERT INTO terms (term) VALUES (?)", (term,))
                    self._vocab[term] = int(cur.lastrowid or 0)
        return np.array([self._vocab[t] for t in terms], dtype=np.int32).tobytes()

    def term_ids(self, terms: Sequence[str]) -> list[int]:
        """Ids of the known terms among ``terms`` (unknown ones cannot match anything)."""
        unique = list(dict.fromkeys(terms))
        if not unique:
            return []
        marks = ",".join("?" * len(unique))
        found = dict(self.db.execute(f"SELECT term, id FROM terms WHERE term IN ({marks})", unique).fetchall())
        return [int(found[t]) for t in unique if t in found]

    def put_document(
        self,
        collection: str,
        document: Document,
        chunks: Sequence[Chunk],
        chunk_terms: Sequence[Sequence[str]],
        document_terms: Sequence[str],
        embeddings: np.ndarray | None,
    ) -> None:
        """Insert or replace ``document`` and its chunks, atomically."""
        if len(chunk_terms) != len(chunks) or (embeddings is not None and len(embeddings) != len(chunks)):
            raise StoreError("Incohérence interne : autant de termes et de vecteurs que de passages sont attendus.")
        cid = self._collection_id(collection)
        with self._writing():
            self._delete_document_rows(cid, document.key)
            cur = self.db.execute(
                "INSERT INTO documents (collection_id, key, title, source, url, mime, metadata, text, content_hash,"
                " ingested_at, terms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
                    self._term_blob(document_terms),
                ),
            )
            doc_id = cur.lastrowid
            self.db.execute("UPDATE documents SET blocks = ? WHERE id = ?", (blocks_layout(document), doc_id))
            for i, chunk in enumerate(chunks):
                blob = None if embeddings is None else np.ascontiguousarray(embeddings[i], dtype=np.float32).tobytes()
                self.db.execute(
                    'INSERT INTO chunks (document_id, ordinal, text, start, "end", headings, page, embedding, terms)'
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        doc_id,
                        chunk.ordinal,
                        chunk.text,
                        chunk.start,
                        chunk.end,
                        json.dumps(list(chunk.headings), ensure_ascii=False),
                        chunk.page,
                        blob,
                        self._term_blob(chunk_terms[i]),
                    ),
                )
            self.db.execute("UPDATE collections SET generation = generation + 1 WHERE id = ?", (cid,))

    def remove_document(self, collection: str, key: str) -> bool:
        cid = self._collection_id(collection)
        with self._writing():
            removed = self._delete_document_rows(cid, key)
            if removed:
                self.db.execute("UPDATE collections SET generation = generation + 1 WHERE id = ?", (cid,))
        return removed

    # -- search ------------------------------------------------------------------------------
    def index_data(self, collection: str) -> IndexData:
        """Everything the in-memory indexes need, chunks grouped by document."""
        cid = self._collection_id(collection)
        rows = self.db.execute(
            "SELECT k.id, k.document_id, k.embedding, k.terms FROM chunks k JOIN documents d ON k.document_id = d.id"
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
        empty = b""
        chunk_terms = [np.frombuffer(r[3] or empty, dtype=np.int32) for r in rows]
        doc_rows = self.db.execute(
            "SELECT d.id, d.terms FROM documents d WHERE d.collection_id = ?"
            " AND EXISTS (SELECT 1 FROM chunks k WHERE k.document_id = d.id) ORDER BY d.id",
            (cid,),
        ).fetchall()
        return IndexData(
            chunk_ids=ids,
            document_ids=docs,
            vectors=vecs,
            chunk_terms=chunk_terms,
            doc_ids=np.fromiter((r[0] for r in doc_rows), dtype=np.int64, count=len(doc_rows)),
            doc_terms=[np.frombuffer(r[1] or empty, dtype=np.int32) for r in doc_rows],
        )

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
            " citations, footprint, username, assistant) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
                record.get("username"),
                record.get("assistant"),
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

    # -- privacy -----------------------------------------------------------------------------
    def put_privacy_record(
        self, collection: str, key: str, mode: str, counts: dict[str, Any], mapping: bytes | None
    ) -> None:
        """What pseudonymisation removed from one document (replacing any earlier record)."""
        cid = self._collection_id(collection)
        with self._writing() as db:
            db.execute(
                "INSERT OR REPLACE INTO privacy_records (collection_id, document_key, mode, counts, mapping, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (cid, key, mode, json.dumps(counts), mapping, _now()),
            )

    def privacy_records(self, collection: str) -> list[dict[str, Any]]:
        """Records of the documents currently in the collection, by document key."""
        cid = self._collection_id(collection)
        rows = self.db.execute(
            "SELECT p.document_key, p.mode, p.counts, p.mapping IS NOT NULL, p.created_at FROM privacy_records p"
            " JOIN documents d ON d.collection_id = p.collection_id AND d.key = p.document_key"
            " WHERE p.collection_id = ? ORDER BY p.document_key",
            (cid,),
        ).fetchall()
        return [
            {"document": r[0], "mode": r[1], "counts": json.loads(r[2]), "has_mapping": bool(r[3]), "created_at": r[4]}
            for r in rows
        ]

    def privacy_mapping(self, collection: str, key: str) -> bytes | None:
        """The encrypted pseudonym mapping of one document, if it has one."""
        cid = self._collection_id(collection)
        row = self.db.execute(
            "SELECT mapping FROM privacy_records WHERE collection_id = ? AND document_key = ?", (cid, key)
        ).fetchone()
        return None if row is None or row[0] is None else bytes(row[0])
