"""The store: one class for both backends.

Everything is written once (:mod:`socle.store.corpus`, :mod:`socle.store.service`); what
truly differs between the backends lives here, in a few small methods:

- reading a collection's vectors in bulk (float32 blobs in SQLite; pgvector's binary
  format read raw and decoded at once in PostgreSQL);
- PostgreSQL's server-side search for large collections (``server_search_min_chunks``,
  200,000 chunks by default, or ``SOCLE_PG_SERVER_SEARCH_MIN_CHUNKS``): French full-text
  search and one partial HNSW index per collection, created with its first vectors
  (:mod:`socle.store.postgres_search`); SQLite collections are searched in memory.

Connections, transactions and migrations are :mod:`socle.store.database`'s.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import sqlalchemy as sa

from socle.errors import NotFoundError, StoreError, StoreUnavailable
from socle.store import schema as T
from socle.store.database import Database, safe_url
from socle.store.records import Candidates
from socle.store.service import ServiceTables

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


def _pg_vectors(raw: list[bytes | None], dim: int, header: int = 4, dtype: str = ">f4") -> np.ndarray:
    """Stored vectors as rows, zeros where there is none: binary pgvector values by default
    (2-byte dim, 2 unused bytes, big-endian float32), SQLite's blobs with ``header=0, dtype="<f4"``."""
    present = [i for i, r in enumerate(raw) if r is not None]
    values = np.frombuffer(b"".join(r[header:] for r in raw if r is not None), dtype=dtype).reshape(len(present), dim)
    if len(present) == len(raw):
        return values.astype(np.float32, copy=False)  # SQLite: no copy
    out = np.zeros((len(raw), dim), dtype=np.float32)
    out[present] = values
    return out


class Store(ServiceTables):
    """One database (a SQLite file or a PostgreSQL URL), safe to share between threads; on
    PostgreSQL, between processes and machines too."""

    def __init__(
        self,
        url: str | Path,
        *,
        migrate: bool = True,
        pool_size: int | None = None,
        pool_timeout: float | None = None,
        server_search_min_chunks: int | None = None,
    ) -> None:
        self.db = Database(url, pool_size=pool_size, pool_timeout=pool_timeout)
        self.url, self.path, self.backend = self.db.url, self.db.path, self.db.dialect
        self._vocab: dict[str, int] = {}
        self._vocab_lock = threading.Lock()
        self._vector_indexes: set[int] = set()
        self._counts: dict[int, tuple[int, int]] = {}  # collection id -> (generation, chunks)
        self.defer_vector_index = False  # bulk loads build vector indexes once, at the end
        self.server_search_min_chunks = (
            _env_int("SOCLE_PG_SERVER_SEARCH_MIN_CHUNKS", DEFAULT_SERVER_SEARCH_MIN_CHUNKS)
            if server_search_min_chunks is None
            else server_search_min_chunks
        )
        try:
            self.applied_now = self.db.upgrade(check_only=not migrate)
        except StoreUnavailable as error:
            self.db.close()
            if self.backend != "postgresql":
                raise
            detail = getattr(error.__cause__, "orig", error)
            raise StoreUnavailable(f"Impossible de joindre PostgreSQL ({safe_url(self.url)}) : {detail}") from error
        except BaseException:
            self.db.close()
            raise
        if self.applied_now:
            self.db.engine.dispose()  # connections opened before pgvector existed lack its adapters

    def close(self) -> None:
        self.db.close()

    def revision(self) -> str | None:  # as `socle db status` says
        return self.db.current()

    @contextmanager
    def raw_connection(self) -> Iterator[Any]:
        """The driver's own connection (sqlite3 or psycopg) in a write transaction, for
        operator tools, benchmarks and tests that need SQL of their own."""
        with self.db.write() as conn:
            yield conn.connection.driver_connection

    # -- backend hooks ---------------------------------------------------------------------------
    def _vectors(self, conn: sa.Connection, cid: int, blobs: list[bytes | None] | None) -> np.ndarray:
        """The collection's vectors in chunk order: from SQLite's float32 blobs, or read in
        pgvector's binary format and decoded at once."""
        if blobs is not None:
            return _pg_vectors(blobs, next((len(b) // 4 for b in blobs if b is not None), 0), 0, "<f4")
        from psycopg.adapt import Loader
        from psycopg.pq import Format

        class Raw(Loader):
            format = Format.BINARY

            def load(self, data: Any) -> bytes:
                return bytes(data)

        driver: Any = conn.connection.driver_connection
        with driver.cursor(binary=True) as cur:
            oid = driver.adapters.types["vector"].oid
            cur.adapters.register_loader(oid, Raw)
            raw = [
                r[0]
                for r in cur.execute(
                    "SELECT embedding FROM chunks WHERE collection_id = %s ORDER BY document_id, ordinal", (cid,)
                )
            ]
        dim = next(((len(r) - 4) // 4 for r in raw if r is not None), 0)
        return _pg_vectors(raw, dim)

    def _after_put(self, conn: sa.Connection, cid: int, dim: int) -> None:
        if self.backend == "postgresql" and not self.defer_vector_index:
            self._ensure_vector_index(conn, cid, dim)

    def _lock(self, conn: sa.Connection, key: int) -> None:
        if self.backend == "postgresql":
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({int(key)})")

    def _dropped(self, conn: sa.Connection, cid: int) -> None:
        if self.backend == "postgresql":
            conn.exec_driver_sql(f'DROP INDEX IF EXISTS "{self._vector_index_name(cid)}"')
            self._vector_indexes.discard(cid)

    # -- PostgreSQL: vector indexes and server-side search -----------------------------------------
    @staticmethod
    def _vector_index_name(cid: int) -> str:
        return f"chunks_hnsw_{int(cid)}"

    def _ensure_vector_index(self, conn: sa.Connection, cid: int, dim: int) -> None:
        """The collection's partial HNSW index, created with its first vectors (empty then,
        so instant; PostgreSQL maintains it on every insert afterwards)."""
        if cid in self._vector_indexes or dim > HNSW_MAX_DIMENSIONS or dim < 1:
            return
        name = self._vector_index_name(cid)
        m = _env_int("SOCLE_PG_HNSW_M", HNSW_M)
        ef = _env_int("SOCLE_PG_HNSW_EF_CONSTRUCTION", HNSW_EF_CONSTRUCTION)
        if conn.exec_driver_sql(f"SELECT to_regclass('{name}')").scalar() is None:
            conn.exec_driver_sql(
                f"CREATE INDEX IF NOT EXISTS {name} ON chunks USING hnsw ((embedding::vector({int(dim)}))"
                f" vector_cosine_ops) WITH (m = {int(m)}, ef_construction = {int(ef)}) WHERE collection_id = {int(cid)}"
            )
        self._vector_indexes.add(cid)

    def build_vector_index(self, collection: str) -> bool:
        """Create the collection's HNSW index if it is missing (after a bulk load with
        ``defer_vector_index``); returns whether one exists now."""
        if self.backend != "postgresql":
            return False
        with self.db.write() as conn:
            cid = self._collection_id(conn, collection)
            dim = conn.exec_driver_sql(
                f"SELECT vector_dims(embedding) FROM chunks WHERE collection_id = {cid} AND embedding IS NOT NULL LIMIT 1"
            ).scalar()
            if dim is None:
                return False
            self._vector_indexes.discard(cid)
            self._ensure_vector_index(conn, cid, int(dim))
        return cid in self._vector_indexes

    def chunk_count(self, collection: str) -> int:
        """Chunks in the collection (cached per generation)."""
        c = T.collections.c
        with self.db.read() as conn:
            row = conn.execute(sa.select(c.id, c.generation).where(c.name == collection)).first()
            if row is None:
                raise NotFoundError(f"La collection « {collection} » n'existe pas.")
            cid, generation = int(row[0]), int(row[1])
            cached = self._counts.get(cid)
            if cached is not None and cached[0] == generation:
                return cached[1]
            count = int(conn.execute(sa.select(sa.func.count()).where(T.chunks.c.collection_id == cid)).scalar_one())
        self._counts[cid] = (generation, count)
        return count

    def prefers_server_search(self, collection: str) -> bool:
        """Whether the retriever should search inside the database rather than in memory."""
        return self.backend == "postgresql" and self.chunk_count(collection) >= self.server_search_min_chunks

    def search_candidates(
        self,
        collection: str,
        query: str,
        query_vector: np.ndarray | None,
        limit: int = 100,
        ef_search: int | None = None,
    ) -> Candidates:
        """Candidate documents for ``query`` found inside PostgreSQL: the ``limit`` best
        chunks by French full-text score and the ``limit`` nearest by cosine distance (HNSW),
        then every chunk of their documents with both signals and the documents' metadata."""
        if self.backend != "postgresql":
            raise StoreError("La recherche côté serveur demande PostgreSQL.")
        from socle.store.postgres_search import search_candidates

        with self.db.read() as conn:
            cid = self._collection_id(conn, collection)
            ef = ef_search or _env_int("SOCLE_PG_HNSW_EF_SEARCH", max(2 * limit, DEFAULT_EF_SEARCH))
            driver: Any = conn.connection.driver_connection
            return search_candidates(driver, cid, query, query_vector, limit, ef)


def open_store(url: str | Path) -> Store:
    """Open (creating and migrating if needed) the store at ``url``: a SQLite path or
    ``sqlite:///path`` (the embedded default), or ``postgresql://…``."""
    return Store(url)


__all__ = ["Store", "open_store"]
