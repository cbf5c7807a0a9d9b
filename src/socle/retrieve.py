"""Hybrid retrieval: French BM25 + dense embeddings, fused by a convex combination.

For a question, every document of the collection gets

    score = w * z(dense) + (1 - w) * z(bm25)

where ``dense`` is the best cosine similarity between the question and one of the
document's chunks (exact search over all chunks), ``bm25`` the whole-document BM25 score,
and ``z`` standardises each signal over the collection so that the two scales can be
added. A convex combination of normalised scores beat reciprocal rank fusion on both
evaluation sets (docs/retrieval.md), because it keeps *how much* better the top dense match
is, not only its rank.

The passage shown for a document is its chunk with the best score of the same form,
computed with chunk-level BM25. Both BM25 indexes and the vector matrix live in memory,
built from the store once per collection change (see :mod:`socle.bm25`).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

from socle.analysis import analyse
from socle.bm25 import BM25Index
from socle.embed import Embedder
from socle.errors import SocleError
from socle.models import Passage
from socle.store import Store


@dataclass
class _Index:
    generation: int
    chunk_ids: np.ndarray  # (n,) grouped by document
    vectors: np.ndarray  # (n, dim)
    run_starts: np.ndarray  # (D,) first row of each document
    run_doc_ids: np.ndarray  # (D,) document id of each run, ascending
    chunk_bm25: BM25Index  # rows = chunks
    doc_bm25: BM25Index  # rows = documents (runs)


def _build_index(store: Store, collection: str, generation: int) -> _Index:
    data = store.index_data(collection)
    n = len(data.chunk_ids)
    if n:
        boundaries = np.flatnonzero(np.diff(data.document_ids)) + 1
        run_starts = np.concatenate(([0], boundaries)).astype(np.int64)
    else:
        run_starts = np.zeros(0, np.int64)
    run_doc_ids = data.document_ids[run_starts] if n else np.zeros(0, np.int64)
    if not np.array_equal(run_doc_ids, data.doc_ids):
        raise SocleError("Index incohérent : les passages et les documents ne correspondent pas (réingérez).")
    return _Index(
        generation=generation,
        chunk_ids=data.chunk_ids,
        vectors=np.ascontiguousarray(data.vectors, dtype=np.float32),
        run_starts=run_starts,
        run_doc_ids=run_doc_ids,
        chunk_bm25=BM25Index.build(data.chunk_terms),
        doc_bm25=BM25Index.build(data.doc_terms),
    )


def _standardise(values: np.ndarray) -> np.ndarray:
    std = float(values.std())
    return (values - float(values.mean())) / std if std > 0 else np.zeros_like(values)


def _rank_of(scores: np.ndarray) -> np.ndarray:
    """1-based rank of each entry (ties broken by position)."""
    ranks = np.empty(len(scores), dtype=np.int64)
    ranks[np.argsort(-scores, kind="stable")] = np.arange(1, len(scores) + 1)
    return ranks


class Retriever:
    """Hybrid search over one store. Thread-safe; indexes are cached per collection and
    rebuilt when the collection changes (its generation counter moves)."""

    def __init__(self, store: Store, embedder: Embedder | None, dense_weight: float = 0.75) -> None:
        self.store = store
        self.embedder = embedder
        self.dense_weight = dense_weight
        self._indexes: dict[str, _Index] = {}
        self._lock = threading.Lock()

    def _index(self, collection: str) -> _Index:
        generation = self.store.generation(collection)
        with self._lock:
            idx = self._indexes.get(collection)
            if idx is None or idx.generation != generation:
                idx = _build_index(self.store, collection, generation)
                self._indexes[collection] = idx
            return idx

    def search(self, collection: str, query: str, k: int = 5, per_document: int = 1) -> list[Passage]:
        """The ``k`` best documents for ``query``, best first, each as its ``per_document``
        best passages (in order of their own score)."""
        if not query.strip():
            raise SocleError("La question est vide.")
        if k < 1:
            raise SocleError("Le nombre de résultats doit être au moins 1.")
        idx = self._index(collection)
        n_docs = len(idx.run_doc_ids)
        if n_docs == 0:
            return []
        term_ids = self.store.term_ids(analyse(query))
        lex_doc = idx.doc_bm25.scores(term_ids)
        lex_chunk = idx.chunk_bm25.scores(term_ids)

        dense_chunk: np.ndarray | None = None
        dense_doc: np.ndarray | None = None
        doc_score: np.ndarray = lex_doc
        chunk_score: np.ndarray = lex_chunk
        if self.embedder is not None and idx.vectors.size > 0:
            w = self.dense_weight
            q = self.embedder.embed_query(query)
            dense_chunk = idx.vectors @ q
            dense_doc = np.maximum.reduceat(dense_chunk, idx.run_starts)
            doc_score = w * _standardise(dense_doc) + (1 - w) * _standardise(lex_doc)
            chunk_score = w * _standardise(dense_chunk) + (1 - w) * _standardise(lex_chunk)
        elif not lex_doc.any():
            return []

        k = min(k, n_docs)
        top = np.argpartition(-doc_score, k - 1)[:k]
        top = top[np.argsort(-doc_score[top], kind="stable")]
        lex_rank = _rank_of(lex_doc)
        dense_rank = _rank_of(dense_doc) if dense_doc is not None else None

        chosen: list[tuple[int, int]] = []  # (run, chunk row)
        for run in top:
            start = int(idx.run_starts[run])
            end = int(idx.run_starts[run + 1]) if run + 1 < n_docs else len(idx.chunk_ids)
            best = start + np.argsort(-chunk_score[start:end], kind="stable")[:per_document]
            chosen.extend((int(run), int(row)) for row in best)
        records = self.store.chunk_records([int(idx.chunk_ids[row]) for _, row in chosen])
        passages = []
        for run, row in chosen:
            rec = records[int(idx.chunk_ids[row])]
            passages.append(
                Passage(
                    chunk_id=rec.chunk_id,
                    document_key=rec.document_key,
                    document_title=rec.document_title,
                    collection=collection,
                    text=rec.text,
                    start=rec.start,
                    end=rec.end,
                    headings=rec.headings,
                    page=rec.page,
                    source=rec.source,
                    url=rec.url,
                    score=float(doc_score[run]),
                    chunk_score=float(chunk_score[row]),
                    lexical_rank=int(lex_rank[run]) if lex_doc[run] > 0 else None,
                    dense_rank=None if dense_rank is None else int(dense_rank[run]),
                    dense_score=None if dense_chunk is None else float(dense_chunk[row]),
                )
            )
        return passages
