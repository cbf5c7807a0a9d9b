"""A persistent embedding cache: (model, text) → vector, in one SQLite file of the data folder.

Embedding is ~99 % of ingestion time (issue 18's profile). The same text is embedded again
when a corpus is re-ingested after a chunking change (most chunks keep their text), when a
collection is copied by ``socle migrate`` into a store that re-embeds, when ``socle reindex``
goes back to a model used before, and by tests that ingest the same files. The cache keys
each vector by the model's name and a 128-bit BLAKE2b digest of the text (and whether it was
embedded as a query or a passage), so a text is embedded once per model. Only passages
are kept: the documents' text is in the store already, the users' questions are not written.

Bounded: past ``max_bytes`` the least recently used vectors are dropped (in bulk, a tenth at
a time). Safe across threads (one connection per thread) and processes (SQLite WAL, short
write transactions); a cache that cannot be opened or written is skipped, never fatal.
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from socle.config import Settings, home_dir
from socle.embed import Embedder, get_embedder

log = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS vectors (
    model TEXT NOT NULL,
    digest BLOB NOT NULL,
    vector BLOB NOT NULL,
    used REAL NOT NULL,
    PRIMARY KEY (model, digest)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS vectors_used ON vectors (used);
"""
ROW_OVERHEAD = 64  # bytes per row besides the vector (key, digest, index entry), for the bound


def digest(text: str, kind: str) -> bytes:
    return hashlib.blake2b(f"{kind}\x00{text}".encode(), digest_size=16).digest()


class EmbeddingCache:
    """Vectors by (model, kind, text) in ``path``, at most about ``max_bytes``."""

    def __init__(self, path: Path, max_bytes: int = 1 << 30) -> None:
        self.path = path
        self.max_bytes = max_bytes
        self._local = threading.local()
        self._size: int | None = None  # bytes stored, counted once then kept up to date
        self._size_lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.executescript(SCHEMA)
            self._local.conn = conn
        return conn

    def get(self, model: str, kind: str, texts: Sequence[str]) -> list[np.ndarray | None]:
        """The cached vector of each text, or None; marks the found ones as just used."""
        keys = [digest(t, kind) for t in texts]
        found: dict[bytes, np.ndarray] = {}
        conn = self._conn()
        for start in range(0, len(keys), 500):  # SQLite's bound-parameter limit
            part = keys[start : start + 500]
            marks = ",".join("?" * len(part))
            rows = conn.execute(
                f"SELECT digest, vector FROM vectors WHERE model = ? AND digest IN ({marks})", [model, *part]
            ).fetchall()
            for key, blob in rows:
                found[bytes(key)] = np.frombuffer(blob, dtype=np.float32)
        if found:
            now = time.time()
            with conn:
                conn.executemany(
                    "UPDATE vectors SET used = ? WHERE model = ? AND digest = ?", [(now, model, k) for k in found]
                )
        self.hits += len(found)
        self.misses += len(keys) - len(found)
        return [found.get(k) for k in keys]

    def put(self, model: str, kind: str, texts: Sequence[str], vectors: np.ndarray) -> None:
        now = time.time()
        rows = [
            (model, digest(t, kind), np.ascontiguousarray(v, dtype=np.float32).tobytes(), now)
            for t, v in zip(texts, vectors, strict=True)
        ]
        conn = self._conn()
        with conn:
            conn.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?, ?, ?)", rows)
        self._grow(sum(len(r[2]) + ROW_OVERHEAD for r in rows))

    def size(self) -> int:
        row = self._conn().execute("SELECT COALESCE(SUM(LENGTH(vector)), 0), COUNT(*) FROM vectors").fetchone()
        return int(row[0]) + ROW_OVERHEAD * int(row[1])

    def _grow(self, added: int) -> None:
        with self._size_lock:
            if self._size is None:
                self._size = self.size()
            else:
                self._size += added
            if self._size <= self.max_bytes:
                return
            self._evict()

    def _evict(self) -> None:
        """Drop the least recently used rows until a tenth under the bound."""
        conn = self._conn()
        target = int(self.max_bytes * 0.9)
        with conn:
            while True:
                size = self.size()
                if size <= target:
                    break
                count = conn.execute("SELECT COUNT(*) FROM vectors").fetchone()[0]
                drop = max(1, int(count * (size - target) / max(size, 1)) + 1)
                conn.execute(
                    "DELETE FROM vectors WHERE (model, digest) IN "
                    "(SELECT model, digest FROM vectors ORDER BY used LIMIT ?)",
                    (drop,),
                )
        self._size = self.size()

    def stats(self) -> dict[str, int]:
        row = self._conn().execute("SELECT COUNT(*), COUNT(DISTINCT model) FROM vectors").fetchone()
        return {"vectors": int(row[0]), "models": int(row[1]), "bytes": self.size(), "hits": self.hits}


class CachedEmbedder:
    """``inner`` behind the cache: only the texts never embedded by this model reach it."""

    def __init__(self, inner: Embedder, cache: EmbeddingCache) -> None:
        self.inner = inner
        self.cache = cache

    @property
    def name(self) -> str:  # read when needed: an openai: backend asks its server for it
        return self.inner.name

    def __getattr__(self, attribute: str) -> object:  # dim, threads... of the wrapped model
        return getattr(self.inner, attribute)

    def _lookup(self, kind: str, texts: Sequence[str]) -> list[np.ndarray | None]:
        try:
            return self.cache.get(self.name, kind, texts)
        except sqlite3.Error as exc:  # a cache is an optimisation: never a failure
            log.warning("cache d'embeddings illisible (%s) : ignoré", exc)
            return [None] * len(texts)

    def _store(self, kind: str, texts: Sequence[str], vectors: np.ndarray) -> None:
        try:
            self.cache.put(self.name, kind, texts, vectors)
        except sqlite3.Error as exc:
            log.warning("cache d'embeddings non écrit (%s) : ignoré", exc)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return self.inner.embed_passages(texts)
        cached = self._lookup("passage", texts)
        missing = [i for i, v in enumerate(cached) if v is None]
        fresh: np.ndarray | None = None
        if missing:
            # The same text twice in one call is embedded once.
            unique = list(dict.fromkeys(texts[i] for i in missing))
            fresh = self.inner.embed_passages(unique)
            self._store("passage", unique, fresh)
            by_text = dict(zip(unique, fresh, strict=True))
            for i in missing:
                cached[i] = by_text[texts[i]]
        return np.stack([np.asarray(v, dtype=np.float32) for v in cached])

    def embed_query(self, text: str) -> np.ndarray:
        # Questions are not written to disk: they are the users' words, and an embedding
        # can be inverted well enough to leak them. The model keeps its own small memory.
        return self.inner.embed_query(text)


CACHE_FILE = "embeddings-cache.sqlite"
_caches: dict[Path, EmbeddingCache] = {}
_caches_lock = threading.Lock()


def shared_cache(path: Path, max_bytes: int) -> EmbeddingCache:
    """One cache object per file in a process (their connections are per thread)."""
    with _caches_lock:
        cache = _caches.get(path)
        if cache is None:
            cache = _caches[path] = EmbeddingCache(path, max_bytes)
        cache.max_bytes = max_bytes
        return cache


def load_embedder(settings: Settings) -> Embedder:
    """The embedder of ``settings``, behind the data folder's cache unless it is turned off."""
    inner = get_embedder(settings.embedder, settings)
    if settings.embedding_cache_mb <= 0:
        return inner
    cache = shared_cache(home_dir() / CACHE_FILE, settings.embedding_cache_mb * 1024 * 1024)
    return CachedEmbedder(inner, cache)
