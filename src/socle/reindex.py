"""``socle reindex``: a collection's vectors from another embedding model.

Two steps, so that searches never see two models in one collection:

1. every chunk's text is embedded with the new model, through the embedding cache
   (:mod:`socle.embed.cache`): an interrupted reindex resumes where it stopped (what was
   embedded is in the cache), and going back to a model used before embeds nothing;
2. one transaction gives every chunk its new vector and records the model
   (:meth:`socle.store.corpus.CorpusTables.replace_vectors`); until it commits, searches use
   the old vectors with the old model, afterwards the new ones with the new model.

The model is recorded with the specification that loads it (``embedder_spec``), so that the
service embeds questions for this collection with the same model (:func:`collection_embedder`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from socle.embed import Embedder
from socle.store import Store

BATCH = 64


@dataclass
class ReindexReport:
    collection: str
    previous: str | None
    model: str
    chunks: int = 0
    embedded: int = 0  # texts the model had to embed (the others came from the cache)
    switched: bool = False


def reindex(
    store: Store,
    collection: str,
    embedder: Embedder,
    spec: str,
    *,
    force: bool = False,
    on_progress: Callable[[int, int], None] | None = None,
) -> ReindexReport:
    """Re-embed ``collection`` with ``embedder`` (loaded from ``spec``) and switch to it."""
    previous = store.collection_settings(collection).get("embedder")
    report = ReindexReport(collection, previous, embedder.name)
    if previous == embedder.name and not force:
        return report
    ids, texts = store.embedding_inputs(collection)
    report.chunks = len(ids)
    cache = getattr(embedder, "cache", None)  # a CachedEmbedder: its misses are what the model embeds
    before = cache.misses if cache is not None else 0
    kept: list[np.ndarray] | None = None if cache is not None else []
    for start in range(0, len(texts), BATCH):  # step 1: embed (into the cache)
        vectors = embedder.embed_passages(texts[start : start + BATCH])
        if kept is not None:
            kept.append(vectors)
        if on_progress:
            on_progress(min(start + BATCH, len(texts)), len(texts))

    def batches() -> Iterator[tuple[list[int], np.ndarray]]:  # step 2: read back while switching
        for n, start in enumerate(range(0, len(texts), BATCH)):
            part = ids[start : start + BATCH]
            yield part, kept[n] if kept is not None else embedder.embed_passages(texts[start : start + BATCH])

    store.replace_vectors(collection, embedder.name, batches(), {"embedder_spec": spec})
    report.switched = True
    report.embedded = cache.misses - before if cache is not None else len(texts)
    return report
