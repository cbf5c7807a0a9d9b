"""Classification of documents into a controlled vocabulary, with a calibrated confidence.

A document is represented by the mean of its chunk vectors (computed at ingestion anyway,
so classifying costs no extra model call). Each category has a *prototype*: the embedding
of its label, variants and definition (zero-shot), moved towards the centroid of labelled
example documents when the vocabulary has some (few-shot). The confidence of a category is
a softmax over the cosine similarities to all prototypes, with a temperature fitted on the
``cnil`` set (benchmarks/classification.py, docs/indexing.md): there, confidences are within
7 to 9 points of the observed accuracy on average (expected calibration error).
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Sequence

import numpy as np

from socle.embed import Embedder
from socle.indexing.vocabulary import Vocabulary

# Softmax temperatures over cosine similarities, fitted on cnil (cross-validated negative
# log-likelihood, benchmarks/classification.py). e5 cosines of French texts all sit around
# 0.75-0.85, hence such small values; prototypes built from examples are sharper.
ZERO_SHOT_TEMPERATURE = 0.01  # centred scores; 0.015 fits uncentred ones
FEW_SHOT_TEMPERATURE = 0.005
PARTIAL_FEW_SHOT_TEMPERATURE = 0.0075  # some categories with examples, others without (centred)
LABEL_WEIGHT = 0.3  # share of the label embedding in a few-shot prototype (best of 0, 0.3, 0.5 on cnil)
MAX_CATEGORIES = 3
MIN_CONFIDENCE = 0.2  # categories below are not kept (the best one always is)

_label_cache: dict[tuple[str, str], np.ndarray] = {}
_label_lock = threading.Lock()


def _normalise(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=-1, keepdims=True)
    return np.asarray(matrix / np.where(norms > 0, norms, 1.0), dtype=np.float32)


def document_vector(chunk_vectors: np.ndarray) -> np.ndarray:
    """One L2-normalised vector for a document: the mean of its chunk vectors."""
    return _normalise(np.asarray(chunk_vectors, dtype=np.float32).mean(axis=0))


def label_vectors(vocabulary: Vocabulary, embedder: Embedder) -> np.ndarray:
    """Embeddings of the categories' texts (cached per embedder and vocabulary)."""
    texts = [c.text for c in vocabulary.categories]
    key = (embedder.name, hashlib.sha256("\x1e".join(texts).encode()).hexdigest())
    with _label_lock:
        cached = _label_cache.get(key)
    if cached is None:
        # As passages, like the documents: on cnil this beat the "query:" side of e5
        # (zero-shot macro-F1 0.266 against 0.245, benchmarks/classification.py).
        cached = _normalise(embedder.embed_passages(texts))
        with _label_lock:
            _label_cache[key] = cached
    return cached


def softmax(scores: np.ndarray, temperature: float) -> np.ndarray:
    z = (scores - scores.max(axis=-1, keepdims=True)) / temperature
    e = np.exp(z)
    return np.asarray(e / e.sum(axis=-1, keepdims=True))


class Classifier:
    """Cosine to category prototypes, softmax confidence."""

    def __init__(
        self,
        vocabulary: Vocabulary,
        embedder: Embedder,
        *,
        temperature: float | None = None,
        label_weight: float = LABEL_WEIGHT,
    ) -> None:
        self.vocabulary = vocabulary
        self.ids = [c.id for c in vocabulary.categories]
        self.labels = label_vectors(vocabulary, embedder)
        self.label_weight = label_weight
        self.prototypes = self.labels
        self.few_shot = False
        self.partial = False  # examples for some categories only
        self.temperature = temperature or ZERO_SHOT_TEMPERATURE
        self._explicit_temperature = temperature is not None
        self.center = np.asarray(vocabulary.center, dtype=np.float32) if vocabulary.center else None
        if vocabulary.examples:
            centroids = {k: np.asarray(v, dtype=np.float32) for k, v in vocabulary.examples.items()}
            self._use_centroids(centroids)

    def centered(self, center: np.ndarray | None) -> Classifier:
        """Score against the collection's mean document vector ``center`` (see :meth:`scores`)."""
        self.center = center
        return self

    def fit(self, vectors: np.ndarray, labels: Sequence[str]) -> Classifier:
        """Few-shot: move each category's prototype towards its examples' centroid.
        ``vectors`` are document vectors, ``labels`` category ids (others are ignored)."""
        self._use_centroids(centroids(vectors, labels, self.ids))
        return self

    def _use_centroids(self, by_id: dict[str, np.ndarray]) -> None:
        protos = self.labels.copy()
        for i, cid in enumerate(self.ids):
            if cid in by_id:
                protos[i] = self.label_weight * self.labels[i] + (1 - self.label_weight) * _normalise(by_id[cid])
        self.prototypes = _normalise(protos)
        self.few_shot = bool(by_id)
        self.partial = self.few_shot and len(by_id) < len(self.ids)
        if not self._explicit_temperature:
            self.temperature = (
                (PARTIAL_FEW_SHOT_TEMPERATURE if self.partial else FEW_SHOT_TEMPERATURE)
                if self.few_shot
                else ZERO_SHOT_TEMPERATURE
            )

    def scores(self, vectors: np.ndarray) -> np.ndarray:
        """(n, categories) cosine similarities, minus each prototype's similarity to the
        collection's average document when the centre is known: a category whose label
        resembles every document (or whose prototype is made of documents, next to label-only
        ones) must not win by default. On cnil, centring lifts zero-shot macro-F1 from 0.27
        to 0.32 but lowers few-shot from 0.58 to 0.46: with examples for every category,
        scores are not centred."""
        sims: np.ndarray = np.atleast_2d(vectors) @ self.prototypes.T
        if self.center is None or (self.few_shot and not self.partial):
            return sims
        return np.asarray(sims - self.center @ self.prototypes.T)

    def probabilities(self, vectors: np.ndarray) -> np.ndarray:
        """(n, categories) confidences for (n, dim) document vectors."""
        return softmax(self.scores(vectors), self.temperature)

    def categories(self, vector: np.ndarray) -> list[tuple[str, float]]:
        """The document's categories (ids), best first, with their confidence."""
        p = self.probabilities(vector)[0]
        order = np.argsort(-p, kind="stable")[:MAX_CATEGORIES]
        return [(self.ids[i], float(p[i])) for n, i in enumerate(order) if n == 0 or p[i] >= MIN_CONFIDENCE]

    def classify(self, chunk_vectors: np.ndarray) -> list[tuple[str, float]]:
        """Categories of a document from its chunk vectors."""
        return self.categories(document_vector(chunk_vectors))


def centroids(vectors: np.ndarray, labels: Sequence[str], ids: Sequence[str]) -> dict[str, np.ndarray]:
    """Normalised mean vector of the examples of each category id that has some."""
    out: dict[str, np.ndarray] = {}
    labels_arr = np.asarray(labels, dtype=object)
    for cid in ids:
        mask = labels_arr == cid
        if mask.any():
            out[cid] = _normalise(vectors[mask].mean(axis=0))
    return out


__all__ = [
    "FEW_SHOT_TEMPERATURE",
    "LABEL_WEIGHT",
    "MAX_CATEGORIES",
    "MIN_CONFIDENCE",
    "PARTIAL_FEW_SHOT_TEMPERATURE",
    "ZERO_SHOT_TEMPERATURE",
    "Classifier",
    "centroids",
    "document_vector",
    "label_vectors",
    "softmax",
]
