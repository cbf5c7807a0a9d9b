"""Automatic indexing: keyphrases of every document, and a classification into the
collection's controlled vocabulary when it has one.

At ingestion (:mod:`socle.ingest`), each new or changed document gets, in its metadata:

- ``auto_keywords``: its French keyphrases, best first (:func:`keyphrases`), unless the
  document already came with that field (a re-imported export keeps its own);
- ``categories``: when the collection has a vocabulary (``socle vocabulary set``), the
  categories it belongs to, best first, as ``{"id", "label", "confidence"}``.

Neither enters the content hash (:attr:`socle.models.Document.content_hash`): an unchanged
file is still skipped, and changing the vocabulary re-classifies stored documents without
re-embedding them (:func:`set_vocabulary`). Both can filter searches
(:mod:`socle.indexing.filters`, ``Retriever.search(..., filters=...)``).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from typing import Any

import numpy as np

from socle.chunk import DEFAULT_MAX_WORDS, chunk_document, index_text
from socle.embed import Embedder
from socle.errors import ConfigError, NotFoundError
from socle.indexing.classify import Classifier, centroids, document_vector
from socle.indexing.filters import AUTO_KEYWORDS, CATEGORIES, Filters, document_mask, matches
from socle.indexing.keyphrases import keyphrases
from socle.indexing.vocabulary import Category, Vocabulary, load_vocabulary
from socle.models import Document
from socle.store import Store

N_KEYWORDS = 8
VOCABULARY_SETTING = "vocabulary"
CHUNK_WORDS_SETTING = "chunk_words"


def record_chunk_words(store: Store, collection: str, max_words: int) -> None:
    """Ingestion hook: keep the chunk size in the collection settings (the export states it
    as provenance, and a re-import needs it to give the same chunks)."""
    try:
        if store.collection_settings(collection).get(CHUNK_WORDS_SETTING) != max_words:
            store.update_collection_settings(collection, **{CHUNK_WORDS_SETTING: max_words})
    except NotFoundError:
        pass  # created by index_prepared right after; recorded on the next ingestion


def collection_vocabulary(store: Store, collection: str) -> Vocabulary | None:
    try:
        data = store.collection_settings(collection).get(VOCABULARY_SETTING)
    except NotFoundError:
        return None
    return Vocabulary.from_dict(data) if data else None


def collection_classifier(store: Store, collection: str, embedder: Embedder | None) -> Classifier | None:
    """The classifier of the collection's vocabulary, or None (no vocabulary, no embedder)."""
    vocabulary = collection_vocabulary(store, collection)
    if vocabulary is None or embedder is None:
        return None
    return Classifier(vocabulary, embedder)


def _categories(classifier: Classifier, found: list[tuple[str, float]]) -> list[dict[str, Any]]:
    return [
        {"id": cid, "label": classifier.vocabulary.label_of(cid), "confidence": round(conf, 3)} for cid, conf in found
    ]


def categories_metadata(classifier: Classifier, chunk_vectors: np.ndarray) -> list[dict[str, Any]]:
    """The ``categories`` metadata of a document from its chunk vectors."""
    return _categories(classifier, classifier.classify(chunk_vectors))


def annotate(document: Document, classifier: Classifier | None, chunk_vectors: np.ndarray | None) -> None:
    """Ingestion hook, once the document's chunks are embedded (so that the time shows in
    the progress bar, and an interrupted ingestion wastes none): its keyphrases, unless it
    came with them, and its categories when the collection has a vocabulary."""
    if AUTO_KEYWORDS not in document.metadata:
        document.metadata[AUTO_KEYWORDS] = [p for p, _ in keyphrases(document.text, document.title, N_KEYWORDS)]
    if classifier is not None and chunk_vectors is not None and len(chunk_vectors):
        document.metadata[CATEGORIES] = categories_metadata(classifier, chunk_vectors)


def classify(
    document: Document,
    vocabulary: Vocabulary,
    embedder: Embedder,
    chunk_vectors: np.ndarray | None = None,
    max_words: int = DEFAULT_MAX_WORDS,
) -> list[tuple[str, float]]:
    """Categories (labels) of a document with their confidence, best first. Without
    ``chunk_vectors``, the document is chunked and embedded as ingestion would."""
    if chunk_vectors is None:
        chunks = chunk_document(document, max_words)
        chunk_vectors = embedder.embed_passages([index_text(document.title, c, document.descriptors) for c in chunks])
    classifier = Classifier(vocabulary, embedder)
    return [(vocabulary.label_of(cid), conf) for cid, conf in classifier.classify(chunk_vectors)]


def _document_vectors(store: Store, collection: str) -> dict[int, np.ndarray]:
    data = store.index_data(collection)
    if not len(data.chunk_ids) or not data.vectors.size:
        return {}
    starts = np.concatenate(([0], np.flatnonzero(np.diff(data.document_ids)) + 1))
    ends = np.append(starts[1:], len(data.document_ids))
    return {int(data.document_ids[s]): document_vector(data.vectors[s:e]) for s, e in zip(starts, ends, strict=True)}


def set_vocabulary(
    store: Store,
    collection: str,
    vocabulary: Vocabulary | None,
    embedder: Embedder | None,
    examples_field: str | None = None,
) -> int:
    """Attach ``vocabulary`` to the collection (None detaches it) and (re)classify every
    stored document from its stored chunk vectors. With ``examples_field``, documents whose
    metadata field of that name holds a category label (or id) are its examples (few-shot).
    The mean vector of the stored documents is kept with the vocabulary, to centre the
    scores (:meth:`Classifier.scores`): attach a vocabulary after a first ingestion, or set
    it again once the collection has grown. Returns the number of documents whose metadata
    changed."""
    if vocabulary is not None and embedder is None:
        raise ConfigError("Classer des documents demande un modèle d'embeddings.")
    metadata = store.document_metadata(collection)
    vectors = _document_vectors(store, collection) if vocabulary else {}
    if vocabulary is not None and examples_field:
        vocabulary = _with_examples(vocabulary, vectors, metadata, examples_field)
    if vocabulary is not None and vectors:
        center = document_vector(np.stack(list(vectors.values())))
        vocabulary = replace(vocabulary, center=[round(float(x), 5) for x in center])
    store.update_collection_settings(collection, **{VOCABULARY_SETTING: vocabulary.to_dict() if vocabulary else None})
    classifier = Classifier(vocabulary, embedder) if vocabulary and embedder else None
    updated = 0
    for key, doc_id in store.document_ids(collection).items():
        meta = dict(metadata.get(doc_id, {}))
        if classifier is not None and doc_id in vectors:
            meta[CATEGORIES] = _categories(classifier, classifier.categories(vectors[doc_id]))
        elif CATEGORIES in meta:
            del meta[CATEGORIES]
        if meta != metadata.get(doc_id, {}) and store.update_document_metadata(collection, key, meta):
            updated += 1
    return updated


def _with_examples(
    vocabulary: Vocabulary, vectors: dict[int, np.ndarray], metadata: dict[int, dict[str, Any]], field: str
) -> Vocabulary:
    """``vocabulary`` with the centroids of the documents labelled in metadata ``field``."""
    by_name = {c.label.casefold(): c.id for c in vocabulary.categories}
    by_name |= {c.id.casefold(): c.id for c in vocabulary.categories}
    labelled = []
    for doc_id, vec in vectors.items():
        value = str(metadata.get(doc_id, {}).get(field, "")).strip().casefold()
        if value in by_name:
            labelled.append((vec, by_name[value]))
    if not labelled:
        return vocabulary
    ids = [c.id for c in vocabulary.categories]
    found = centroids(np.stack([v for v, _ in labelled]), [c for _, c in labelled], ids)
    examples = {k: [round(float(x), 5) for x in v] for k, v in found.items()}
    return replace(vocabulary, examples=examples)


def facets(store: Store, collection: str, top: int = 50) -> dict[str, list[tuple[str, int]]]:
    """Most frequent categories and automatic keywords of a collection, with their number of
    documents: what a search interface offers as filters."""
    categories: Counter[str] = Counter()
    keywords: Counter[str] = Counter()
    for meta in store.document_metadata(collection).values():
        categories.update({c["label"] for c in meta.get(CATEGORIES, []) if isinstance(c, dict) and "label" in c})
        keywords.update(set(meta.get(AUTO_KEYWORDS, [])))
    return {"category": categories.most_common(top), "keyword": keywords.most_common(top)}


__all__ = [
    "AUTO_KEYWORDS",
    "CATEGORIES",
    "N_KEYWORDS",
    "VOCABULARY_SETTING",
    "Category",
    "Classifier",
    "Filters",
    "Vocabulary",
    "annotate",
    "categories_metadata",
    "classify",
    "collection_classifier",
    "collection_vocabulary",
    "document_mask",
    "facets",
    "keyphrases",
    "load_vocabulary",
    "matches",
    "record_chunk_words",
    "set_vocabulary",
]
