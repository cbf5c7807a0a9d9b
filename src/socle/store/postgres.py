"""The PostgreSQL store: the same :class:`~socle.store.Store` as SQLite, for deployments that
outgrow one machine (several ``socle serve`` workers sharing one database).

    SOCLE_DB=postgresql://socle:motdepasse@db.interne/socle socle serve --workers 4

Connections come from a :class:`psycopg_pool.ConnectionPool` (thread-safe: the web service
calls the store from many threads); every method runs in one transaction of its own, and a
document and its chunks are written in a single transaction as with SQLite, so an
interrupted ingestion or migration resumes where it stopped. Nothing lives in the worker
but caches keyed by the collection's ``generation`` counter.

Search works two ways:

- for the in-memory :class:`~socle.retrieve.Retriever`, :meth:`PostgresStore.index_data`
  hands out the same term ids and vectors as SQLite, so rankings are identical;
- for large collections (``server_search_min_chunks``, 200,000 chunks by default, or
  ``SOCLE_PG_SERVER_SEARCH_MIN_CHUNKS``), :meth:`PostgresStore.search_candidates` fetches
  candidates inside PostgreSQL: French full-text search (``tsvector``, ``socle_french``,
  accent folding) and pgvector HNSW, fused by :mod:`socle.retrieve_candidates`.

Connection losses (PostgreSQL restarted, failover) surface as :class:`StoreError` with a
French message; the pool checks connections before lending them, so the next request
after the server comes back succeeds.
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import numpy as np
import psycopg
from pgvector.psycopg.vector import register_vector_info
from psycopg import sql
from psycopg.adapt import Loader
from psycopg.pq import Format
from psycopg.types import TypeInfo
from psycopg.types.json import Jsonb, set_json_dumps
from psycopg.types.string import StrDumperUnknown
from psycopg_pool import ConnectionPool

from socle.chunk import index_text
from socle.errors import NotFoundError, StoreError, StoreUnavailable
from socle.models import Chunk, Document
from socle.store import ChunkRecord, CollectionInfo, DocumentInfo, IndexData
from socle.store.candidates import Candidates
from socle.store.corpus import StoredDocument, blocks_from_layout, blocks_layout
from socle.store.postgres_schema import pending_migrations, upgrade
from socle.store.postgres_service import PostgresServiceTables

log = logging.getLogger(__name__)
DEFAULT_POOL_SIZE = 10
DEFAULT_POOL_TIMEOUT = 10.0  # seconds
DEFAULT_SERVER_SEARCH_MIN_CHUNKS = 200_000
HNSW_MAX_DIMENSIONS = 2000  # pgvector's limit for indexing the `vector` type
# HNSW parameters: pgvector's defaults (m=16, ef_construction=64), overridable by
# SOCLE_PG_HNSW_M / SOCLE_PG_HNSW_EF_CONSTRUCTION (read when an index is created) and
# SOCLE_PG_HNSW_EF_SEARCH (default: twice the candidates wanted, at least DEFAULT_EF_SEARCH).
# Recall measured at 1M chunks, and what raising them costs: docs/deployment.md.
HNSW_M = 16
HNSW_EF_CONSTRUCTION = 64
# Server-side search only runs on large collections, where HNSW recall needs a wide beam:
# at 1M chunks, 400 instead of 200 gains 0.12 of recall@10 for about 3 ms (docs/deployment.md).
DEFAULT_EF_SEARCH = 400


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    try:
        return int(value) if value else default
    except ValueError as exc:
        raise StoreError(f"{name} doit être un nombre entier (reçu : {value!r}).") from exc


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def safe_url(url: str) -> str:
    """``url`` without its password, for messages."""
    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", url)


def _clean(value: Any) -> Any:
    """JSON-able ``value`` without what PostgreSQL's jsonb refuses (NUL characters, NaN)."""
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {_clean(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def _dumps(value: Any) -> str:
    try:
        text = json.dumps(value, ensure_ascii=False, allow_nan=False)
    except ValueError:
        return json.dumps(_clean(value), ensure_ascii=False)
    return json.dumps(_clean(value), ensure_ascii=False) if "\\u0000" in text else text


class _NulSafeStrDumper(StrDumperUnknown):
    """PostgreSQL text cannot hold NUL characters (SQLite can): store U+FFFD instead, which
    keeps string lengths, hence chunk offsets, unchanged."""

    def dump(self, obj: str) -> bytes:
        return obj.replace("\x00", "\ufffd").encode(self._encoding)


class _RawVectorLoader(Loader):
    """Binary pgvector values as raw bytes, decoded in bulk by :func:`_vectors`."""

    format = Format.BINARY

    def load(self, data: Any) -> bytes:
        return bytes(data)


def _vectors(raw: Sequence[bytes | None], dim: int) -> np.ndarray:
    """Rows of binary pgvector values (2-byte dim, 2 unused bytes, big-endian float32)."""
    out = np.zeros((len(raw), dim), dtype=np.float32)
    if not dim:
        return out
    present = [i for i, r in enumerate(raw) if r is not None]
    if present:
        blob = b"".join(r[4:] for r in raw if r is not None)
        values = np.frombuffer(blob, dtype=">f4").reshape(len(present), dim)
        if len(present) == len(raw):
            out[:] = values
        else:
            out[present] = values
    return out


class PostgresStore(PostgresServiceTables):
    """One PostgreSQL database, shared by any number of threads, processes and machines."""

    def __init__(
        self,
        url: str,
        *,
        migrate: bool = True,
        pool_size: int | None = None,
        pool_timeout: float | None = None,
        server_search_min_chunks: int | None = None,
    ) -> None:
        self.url = url
        self._vocab: dict[str, int] = {}
        self._vocab_lock = threading.Lock()
        self._vector_indexes: set[int] = set()
        self._counts: dict[int, tuple[int, int]] = {}  # collection id -> (generation, chunks)
        # Set by bulk loads (`socle migrate`): vector indexes are built once at the end.
        self.defer_vector_index = False
        env_min = os.environ.get("SOCLE_PG_SERVER_SEARCH_MIN_CHUNKS")
        if server_search_min_chunks is None:
            server_search_min_chunks = int(env_min) if env_min else DEFAULT_SERVER_SEARCH_MIN_CHUNKS
        self.server_search_min_chunks = server_search_min_chunks
        self.applied_now: list[str] = []
        try:
            with psycopg.connect(url, autocommit=True, connect_timeout=10) as conn:
                if migrate:
                    self.applied_now = upgrade(conn)
                elif pending := pending_migrations(conn):
                    raise StoreError(
                        f"La base PostgreSQL n'est pas à jour ({len(pending)} migration(s) en attente) :"
                        " lancez « socle db upgrade »."
                    )
                info = TypeInfo.fetch(conn, "vector")
        except psycopg.OperationalError as exc:
            raise StoreUnavailable(f"Impossible de joindre PostgreSQL ({safe_url(url)}) : {exc}") from exc
        if info is None:
            raise StoreError("Le type « vector » (pgvector) est absent de la base : lancez « socle db upgrade ».")
        self._vector_info = info
        size = pool_size or int(os.environ.get("SOCLE_PG_POOL_SIZE", DEFAULT_POOL_SIZE))
        # How long a request waits for a connection (e.g. while PostgreSQL restarts) before
        # failing with StoreUnavailable (HTTP 503).
        timeout = pool_timeout or float(os.environ.get("SOCLE_PG_POOL_TIMEOUT", DEFAULT_POOL_TIMEOUT))
        self.pool = ConnectionPool(
            url,
            min_size=1,
            max_size=max(size, 1),
            timeout=timeout,
            kwargs={"connect_timeout": 10},
            configure=self._configure,
            check=ConnectionPool.check_connection,
            name="socle",
            open=True,
        )

    def _configure(self, conn: psycopg.Connection[Any]) -> None:
        register_vector_info(conn, self._vector_info)
        conn.adapters.register_dumper(str, _NulSafeStrDumper)
        set_json_dumps(_dumps, conn)

    @contextmanager
    def _conn(self) -> Iterator[psycopg.Connection[Any]]:
        """A pooled connection in a transaction: committed on success, rolled back on error."""
        try:
            with self.pool.connection() as conn:
                yield conn
        except psycopg.OperationalError as exc:
            # The driver's detail (host, port, socket) is for the operator's log, not for the
            # API client.
            log.warning("PostgreSQL indisponible : %s", exc)
            raise StoreUnavailable(
                "La base de données PostgreSQL ne répond pas ; la requête n'a pas été enregistrée."
                " Réessayez dans un instant."
            ) from exc

    def close(self) -> None:
        self.pool.close()

    def applied_migrations(self) -> list[str]:
        with self._conn() as conn:
            return [str(r[0]) for r in conn.execute("SELECT name FROM _migrations ORDER BY name")]

    # -- collections -----------------------------------------------------------------------
    @staticmethod
    def _collection_id(conn: psycopg.Connection[Any], name: str) -> int:
        row = conn.execute("SELECT id FROM collections WHERE name = %s", (name,)).fetchone()
        if row is None:
            raise NotFoundError(f"La collection « {name} » n'existe pas.")
        return int(row[0])

    def ensure_collection(self, name: str, embedder: str | None = None) -> None:
        if not name.strip():
            raise StoreError("Le nom de collection ne peut pas être vide.")
        with self._conn() as conn:
            settings = {"embedder": embedder} if embedder else {}
            conn.execute(
                "INSERT INTO collections (name, created_at, settings) VALUES (%s, %s, %s)"
                " ON CONFLICT (name) DO NOTHING",
                (name, _now(), Jsonb(settings)),
            )
            row = conn.execute("SELECT settings FROM collections WHERE name = %s FOR UPDATE", (name,)).fetchone()
            assert row is not None
            settings = dict(row[0])
            current = settings.get("embedder")
            if embedder and current and current != embedder:
                raise StoreError(
                    f"La collection « {name} » a été indexée avec le modèle d'embeddings « {current} », "
                    f"pas « {embedder} ». Utilisez le même modèle ou une autre collection."
                )
            if embedder and not current:
                settings["embedder"] = embedder
                conn.execute("UPDATE collections SET settings = %s WHERE name = %s", (Jsonb(settings), name))

    def collection_settings(self, collection: str) -> dict[str, Any]:
        with self._conn() as conn:
            row = conn.execute("SELECT settings FROM collections WHERE name = %s", (collection,)).fetchone()
        if row is None:
            raise NotFoundError(f"La collection « {collection} » n'existe pas.")
        return dict(row[0])

    def update_collection_settings(self, name: str, **values: Any) -> dict[str, Any]:
        """Merge ``values`` into the collection's settings (``None`` removes a key); returns
        the new settings."""
        with self._conn() as conn:
            row = conn.execute("SELECT settings FROM collections WHERE name = %s FOR UPDATE", (name,)).fetchone()
            if row is None:
                raise NotFoundError(f"La collection « {name} » n'existe pas.")
            settings: dict[str, Any] = dict(row[0])
            for key, value in values.items():
                if value is None:
                    settings.pop(key, None)
                else:
                    settings[key] = value
            conn.execute("UPDATE collections SET settings = %s WHERE name = %s", (Jsonb(settings), name))
        return settings

    def collections(self) -> list[CollectionInfo]:
        with self._conn() as conn:
            rows = conn.execute(
                """
                SELECT c.name, c.settings, c.created_at,
                       (SELECT count(*) FROM documents d WHERE d.collection_id = c.id),
                       (SELECT count(*) FROM chunks k WHERE k.collection_id = c.id)
                FROM collections c ORDER BY c.name COLLATE "C"
                """
            ).fetchall()
        return [
            CollectionInfo(name=r[0], embedder=r[1].get("embedder"), created_at=r[2], documents=r[3], chunks=r[4])
            for r in rows
        ]

    def remove_collection(self, name: str) -> bool:
        with self._conn() as conn:
            row = conn.execute("DELETE FROM collections WHERE name = %s RETURNING id", (name,)).fetchone()
            if row is None:
                return False
            cid = int(row[0])
            conn.execute(sql.SQL("DROP INDEX IF EXISTS {}").format(sql.Identifier(self._vector_index_name(cid))))
        self._vector_indexes.discard(cid)
        return True

    def generation(self, collection: str) -> int:
        with self._conn() as conn:
            row = conn.execute("SELECT generation FROM collections WHERE name = %s", (collection,)).fetchone()
        if row is None:
            raise NotFoundError(f"La collection « {collection} » n'existe pas.")
        return int(row[0])

    # -- documents ---------------------------------------------------------------------------
    def documents(self, collection: str) -> list[DocumentInfo]:
        with self._conn() as conn:
            cid = self._collection_id(conn, collection)
            rows = conn.execute(
                """
                SELECT d.key, d.title, d.source, d.url, d.content_hash, d.ingested_at,
                       (SELECT count(*) FROM chunks k WHERE k.document_id = d.id)
                FROM documents d WHERE d.collection_id = %s ORDER BY d.key COLLATE "C"
                """,
                (cid,),
            ).fetchall()
        return [
            DocumentInfo(key=r[0], title=r[1], source=r[2], url=r[3], content_hash=r[4], ingested_at=r[5], chunks=r[6])
            for r in rows
        ]

    def document_hash(self, collection: str, key: str) -> str | None:
        with self._conn() as conn:
            row = conn.execute(
                "SELECT d.content_hash FROM documents d JOIN collections c ON d.collection_id = c.id"
                " WHERE c.name = %s AND d.key = %s",
                (collection, key),
            ).fetchone()
        return None if row is None else str(row[0])

    def _resolve_terms(self, conn: psycopg.Connection[Any], terms: set[str]) -> dict[str, int]:
        """Ids of ``terms``, adding unknown ones to the vocabulary, inside the caller's
        transaction. New terms are inserted in sorted order, so that concurrent writers
        always lock them in the same order (no deadlock between workers). Known terms are
        looked up first: an INSERT that meets a conflict still burns an id, and the
        in-memory BM25 index is sized by the largest id."""
        with self._vocab_lock:
            found = {t: self._vocab[t] for t in terms if t in self._vocab}
        missing = [t for t in terms if t not in found]
        if missing:
            rows = conn.execute("SELECT term, id FROM terms WHERE term = ANY(%s::text[])", (missing,)).fetchall()
            found.update((str(r[0]), int(r[1])) for r in rows)
        new = sorted(t for t in missing if t not in found)
        if new:
            rows = conn.execute(
                "INSERT INTO terms (term) SELECT t FROM unnest(%s::text[]) AS t ORDER BY t"
                " ON CONFLICT (term) DO NOTHING RETURNING term, id",
                (new,),
            ).fetchall()
            found.update((str(r[0]), int(r[1])) for r in rows)
            raced = [t for t in new if t not in found]  # inserted meanwhile by another writer
            if raced:
                rows = conn.execute("SELECT term, id FROM terms WHERE term = ANY(%s::text[])", (raced,)).fetchall()
                found.update((str(r[0]), int(r[1])) for r in rows)
        return found

    @staticmethod
    def _context(document: Document, chunk: Chunk) -> str:
        """What :func:`socle.chunk.index_text` puts before the chunk's text."""
        full = index_text(document.title, chunk, document.descriptors)
        return full[: len(full) - len(chunk.text)].rstrip("\n")

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
        for attempt in range(3):
            try:
                self._put_document(collection, document, chunks, chunk_terms, document_terms, embeddings)
                return
            except psycopg.errors.DeadlockDetected:
                if attempt == 2:
                    raise

    def _put_document(
        self,
        collection: str,
        document: Document,
        chunks: Sequence[Chunk],
        chunk_terms: Sequence[Sequence[str]],
        document_terms: Sequence[str],
        embeddings: np.ndarray | None,
    ) -> None:
        with self._conn() as conn:
            # Locking the collection row first serialises writers of one collection (and moves
            # its generation, which tells every worker's retriever to rebuild).
            row = conn.execute(
                "UPDATE collections SET generation = generation + 1 WHERE name = %s RETURNING id", (collection,)
            ).fetchone()
            if row is None:
                raise NotFoundError(f"La collection « {collection} » n'existe pas.")
            cid = int(row[0])
            conn.execute("DELETE FROM documents WHERE collection_id = %s AND key = %s", (cid, document.key))
            vocab = self._resolve_terms(conn, {t for terms in (document_terms, *chunk_terms) for t in terms})

            def blob(terms: Sequence[str]) -> bytes:
                return np.array([vocab[t] for t in terms], dtype=np.int32).tobytes()

            doc_row = conn.execute(
                "INSERT INTO documents (collection_id, key, title, source, url, mime, metadata, text, content_hash,"
                " ingested_at, terms, blocks) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING id",
                (
                    cid,
                    document.key,
                    document.title,
                    document.source,
                    document.url,
                    document.mime,
                    Jsonb(document.metadata),
                    document.text,
                    document.content_hash,
                    _now(),
                    blob(document_terms),
                    blocks_layout(document),
                ),
            ).fetchone()
            assert doc_row is not None
            doc_id = int(doc_row[0])
            rows = []
            for i, chunk in enumerate(chunks):
                vector = None if embeddings is None else np.ascontiguousarray(embeddings[i], dtype=np.float32)
                rows.append(
                    (
                        doc_id,
                        cid,
                        chunk.ordinal,
                        chunk.text,
                        chunk.start,
                        chunk.end,
                        Jsonb(list(chunk.headings)),
                        chunk.page,
                        vector,
                        blob(chunk_terms[i]),
                        self._context(document, chunk),
                    )
                )
            if rows:
                with conn.cursor() as cur:
                    cur.executemany(
                        'INSERT INTO chunks (document_id, collection_id, ordinal, text, start, "end", headings, page,'
                        " embedding, terms, context) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                        rows,
                    )
            if embeddings is not None and len(chunks) and not self.defer_vector_index:
                self._ensure_vector_index(conn, cid, int(np.asarray(embeddings).shape[1]))
        # Only now that the transaction committed may other threads reuse these term ids.
        with self._vocab_lock:
            self._vocab.update(vocab)

    def remove_document(self, collection: str, key: str) -> bool:
        with self._conn() as conn:
            cid = self._collection_id(conn, collection)
            removed = conn.execute("DELETE FROM documents WHERE collection_id = %s AND key = %s", (cid, key)).rowcount
            if removed:
                conn.execute("UPDATE collections SET generation = generation + 1 WHERE id = %s", (cid,))
        return bool(removed)

    def document_metadata(self, collection: str) -> dict[int, dict[str, Any]]:
        """Metadata of every document of the collection, by internal document id."""
        with self._conn() as conn:
            cid = self._collection_id(conn, collection)
            rows = conn.execute("SELECT id, metadata FROM documents WHERE collection_id = %s", (cid,)).fetchall()
        return {int(r[0]): dict(r[1]) for r in rows}

    def document_ids(self, collection: str) -> dict[str, int]:
        """Document key -> internal id (the ids of :meth:`document_metadata` and ``index_data``)."""
        with self._conn() as conn:
            cid = self._collection_id(conn, collection)
            rows = conn.execute("SELECT key, id FROM documents WHERE collection_id = %s", (cid,)).fetchall()
        return {str(r[0]): int(r[1]) for r in rows}

    def update_document_metadata(self, collection: str, key: str, metadata: dict[str, Any]) -> bool:
        """Replace one document's metadata (not its text: its chunks and hash stay)."""
        with self._conn() as conn:
            cid = self._collection_id(conn, collection)
            updated = conn.execute(
                "UPDATE documents SET metadata = %s WHERE collection_id = %s AND key = %s",
                (Jsonb(metadata), cid, key),
            ).rowcount
            if updated:
                # Search filters read metadata: the in-memory indexes must notice.
                conn.execute("UPDATE collections SET generation = generation + 1 WHERE id = %s", (cid,))
        return bool(updated)

    def stored_documents(self, collection: str) -> Iterator[StoredDocument]:
        """Every document of the collection with its chunks, in key order."""
        with self._conn() as conn:
            cid = self._collection_id(conn, collection)
            ids = [
                int(r[0])
                for r in conn.execute(
                    'SELECT id FROM documents WHERE collection_id = %s ORDER BY key COLLATE "C"', (cid,)
                ).fetchall()
            ]
        for doc_id in ids:
            with self._conn() as conn:
                row = conn.execute(
                    "SELECT key, title, source, url, mime, metadata, text, content_hash, ingested_at, blocks"
                    " FROM documents WHERE id = %s",
                    (doc_id,),
                ).fetchone()
                chunk_rows = conn.execute(
                    'SELECT text, start, "end", ordinal, headings, page FROM chunks WHERE document_id = %s'
                    " ORDER BY ordinal",
                    (doc_id,),
                ).fetchall()
            if row is None:  # removed meanwhile
                continue
            key, title, source, url, mime, metadata, text, content_hash, ingested_at, layout = row
            chunks = [Chunk(r[0], r[1], r[2], r[3], tuple(r[4]), r[5]) for r in chunk_rows]
            document = Document(
                key=key,
                title=title,
                blocks=blocks_from_layout(text, layout),
                source=source,
                url=url,
                mime=mime,
                metadata=dict(metadata),
            )
            yield StoredDocument(document, chunks, content_hash, ingested_at, layout is not None)

    # -- in-memory search --------------------------------------------------------------------
    def term_ids(self, terms: Sequence[str]) -> list[int]:
        """Ids of the known terms among ``terms`` (unknown ones cannot match anything)."""
        unique = list(dict.fromkeys(terms))
        if not unique:
            return []
        with self._conn() as conn:
            rows = conn.execute("SELECT term, id FROM terms WHERE term = ANY(%s::text[])", (unique,)).fetchall()
        found = {str(r[0]): int(r[1]) for r in rows}
        return [found[t] for t in unique if t in found]

    def index_data(self, collection: str) -> IndexData:
        """Everything the in-memory indexes need, chunks grouped by document."""
        with self._conn() as conn:
            cid = self._collection_id(conn, collection)
            with conn.cursor(binary=True) as cur:
                cur.adapters.register_loader(self._vector_info.oid, _RawVectorLoader)
                rows = cur.execute(
                    "SELECT id, document_id, embedding, terms FROM chunks WHERE collection_id = %s"
                    " ORDER BY document_id, ordinal",
                    (cid,),
                ).fetchall()
                doc_rows = cur.execute(
                    "SELECT d.id, d.terms FROM documents d WHERE d.collection_id = %s"
                    " AND EXISTS (SELECT 1 FROM chunks k WHERE k.document_id = d.id) ORDER BY d.id",
                    (cid,),
                ).fetchall()
        n = len(rows)
        raw = [r[2] for r in rows]
        dim = next(((len(r) - 4) // 4 for r in raw if r is not None), 0)
        empty = b""
        return IndexData(
            chunk_ids=np.fromiter((r[0] for r in rows), dtype=np.int64, count=n),
            document_ids=np.fromiter((r[1] for r in rows), dtype=np.int64, count=n),
            vectors=_vectors(raw, dim),
            chunk_terms=[np.frombuffer(r[3] or empty, dtype=np.int32) for r in rows],
            doc_ids=np.fromiter((r[0] for r in doc_rows), dtype=np.int64, count=len(doc_rows)),
            doc_terms=[np.frombuffer(r[1] or empty, dtype=np.int32) for r in doc_rows],
        )

    def chunk_records(self, chunk_ids: Sequence[int]) -> dict[int, ChunkRecord]:
        if not len(chunk_ids):
            return {}
        with self._conn() as conn:
            rows = conn.execute(
                'SELECT k.id, d.id, d.key, d.title, d.source, d.url, k.text, k.start, k."end", k.headings, k.page'
                " FROM chunks k JOIN documents d ON k.document_id = d.id WHERE k.id = ANY(%s::bigint[])",
                ([int(i) for i in chunk_ids],),
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
                headings=tuple(r[9]),
                page=r[10],
            )
            for r in rows
        }

    # -- answers -----------------------------------------------------------------------------
    _ANSWER_KEYS = (
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

    def record_answer(self, record: dict[str, Any]) -> int:
        """Store one answer with its citations and footprint; returns its id."""
        with self._conn() as conn:
            row = conn.execute(
                "INSERT INTO answers (created_at, collection, question, answer, abstained, mode, model, confidence,"
                " citations, footprint, username, assistant) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
                " RETURNING id",
                (
                    _now(),
                    record["collection"],
                    record["question"],
                    record["answer"],
                    bool(record["abstained"]),
                    record["mode"],
                    record["model"],
                    float(record["confidence"]),
                    Jsonb(record["citations"]),
                    Jsonb(record["footprint"]),
                    record.get("username"),
                    record.get("assistant"),
                ),
            ).fetchone()
        return int(row[0]) if row else 0

    def answers(self, collection: str | None = None) -> list[dict[str, Any]]:
        sql_text = f"SELECT {', '.join(self._ANSWER_KEYS)} FROM answers"
        with self._conn() as conn:
            if collection:
                rows = conn.execute(
                    (sql_text + " WHERE collection = %s ORDER BY id").encode(), (collection,)
                ).fetchall()
            else:
                rows = conn.execute((sql_text + " ORDER BY id").encode()).fetchall()
        out = [dict(zip(self._ANSWER_KEYS, r, strict=True)) for r in rows]
        for d in out:
            d["abstained"] = bool(d["abstained"])
        return out

    # -- server-side search ------------------------------------------------------------------
    @staticmethod
    def _vector_index_name(cid: int) -> str:
        return f"chunks_hnsw_{cid}"

    def _ensure_vector_index(self, conn: psycopg.Connection[Any], cid: int, dim: int) -> None:
        """The collection's partial HNSW index, created with its first vectors (empty then,
        so instant; PostgreSQL maintains it on every insert afterwards)."""
        if cid in self._vector_indexes or dim > HNSW_MAX_DIMENSIONS or dim < 1:
            return
        name = self._vector_index_name(cid)
        if conn.execute("SELECT to_regclass(%s)", (name,)).fetchone() == (None,):
            conn.execute(
                sql.SQL(
                    "CREATE INDEX IF NOT EXISTS {} ON chunks USING hnsw ((embedding::vector({})) vector_cosine_ops)"
                    " WITH (m = {}, ef_construction = {}) WHERE collection_id = {}"
                ).format(
                    sql.Identifier(name),
                    sql.Literal(dim),
                    sql.Literal(_env_int("SOCLE_PG_HNSW_M", HNSW_M)),
                    sql.Literal(_env_int("SOCLE_PG_HNSW_EF_CONSTRUCTION", HNSW_EF_CONSTRUCTION)),
                    sql.Literal(cid),
                )
            )
        self._vector_indexes.add(cid)

    def build_vector_index(self, collection: str) -> bool:
        """Create the collection's HNSW index if it is missing (after a bulk load with
        ``defer_vector_index``); returns whether one exists now."""
        with self._conn() as conn:
            cid = self._collection_id(conn, collection)
            row = conn.execute(
                "SELECT vector_dims(embedding) FROM chunks WHERE collection_id = %s AND embedding IS NOT NULL LIMIT 1",
                (cid,),
            ).fetchone()
            if row is None:
                return False
            self._vector_indexes.discard(cid)
            self._ensure_vector_index(conn, cid, int(row[0]))
        return cid in self._vector_indexes

    def chunk_count(self, collection: str) -> int:
        """Chunks in the collection (cached per generation)."""
        with self._conn() as conn:
            row = conn.execute("SELECT id, generation FROM collections WHERE name = %s", (collection,)).fetchone()
            if row is None:
                raise NotFoundError(f"La collection « {collection} » n'existe pas.")
            cid, generation = int(row[0]), int(row[1])
            cached = self._counts.get(cid)
            if cached is not None and cached[0] == generation:
                return cached[1]
            count_row = conn.execute("SELECT count(*) FROM chunks WHERE collection_id = %s", (cid,)).fetchone()
        count = int(count_row[0]) if count_row else 0
        self._counts[cid] = (generation, count)
        return count

    def prefers_server_search(self, collection: str) -> bool:
        """Whether the retriever should search inside PostgreSQL rather than in memory."""
        return self.chunk_count(collection) >= self.server_search_min_chunks

    def search_candidates(
        self,
        collection: str,
        query: str,
        query_vector: np.ndarray | None,
        limit: int = 100,
        ef_search: int | None = None,
    ) -> Candidates:
        """Candidate documents for ``query``: the ``limit`` best chunks by French full-text
        rank (``ts_rank_cd`` over the GIN index) and the ``limit`` nearest chunks by cosine
        distance (HNSW), then every chunk of the union of their documents with both signals
        (exact cosine similarity, full-text rank or 0) and the documents' metadata."""
        from socle.store.postgres_search import search_candidates

        with self._conn() as conn:
            cid = self._collection_id(conn, collection)
            ef = ef_search or _env_int("SOCLE_PG_HNSW_EF_SEARCH", max(2 * limit, DEFAULT_EF_SEARCH))
            return search_candidates(conn, cid, query, query_vector, limit, ef)


__all__ = ["PostgresStore", "safe_url"]
