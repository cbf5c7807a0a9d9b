"""Hybrid retrieval: French BM25 + dense embeddings, fused by a convex combination.

For a question, every document of the collection gets

    score = w * z(dense) + (1 - w) * z(bm25)

where ``dense`` is the best cosine similarity between the question and one of the
document's chunks (exact search over all chunks), ``bm25`` the whole-document BM25 score
(0 for documents without a query term), and ``z`` standardises each signal over the
collection so that the two scales can be added. A convex combination of normalised
scores beat reciprocal rank fusion on both evaluation sets (docs/retrieval.md), because
it keeps *how much* better the top dense match is, not only its rank.

The passage shown for a document is its chunk with the best score of the same form,
computed with chunk-level BM25.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

from socle.analysis import analyse
from socle.embed import Embedder
from socle.errors import SocleError
from socle.models import Passage
from socle.store import Store


@dataclass
class _DenseIndex:
    generation: int
    chunk_ids: np.ndarray  # (n,) grouped by document
    vectors: np.ndarray  # (n, dim)
    run_starts: np.ndarray  # (D,) first row of each document
    run_doc_ids: np.ndarray  # (D,) document id of each run, ascending
    chunk_run: np.ndarray  # (n,) run index of each chunk
    chunk_row: dict[int, int]


def _build_index(store: Store, collection: str, generation: int) -> _DenseIndex:
    m = store.dense_matrix(collection)
    n = len(m.chunk_ids)
    if n:
        order = np.lexsort((m.chunk_ids, m.document_ids))
        chunk_ids, doc_ids, vectors = m.chunk_ids[order], m.document_ids[order], m.vectors[order]
        boundaries = np.flatnonzero(np.diff(doc_ids)) + 1
        run_starts = np.concatenate(([0], boundaries)).astype(np.int64)
        run_doc_ids = doc_ids[run_starts]
        chunk_run = np.repeat(np.arange(len(run_starts)), np.diff(np.append(run_starts, n)))
    else:
        chunk_ids = vectors = run_starts = run_doc_ids = chunk_run = np.zeros(0, np.int64)
    return _DenseIndex(
        generation=generation,
        chunk_ids=chunk_ids,
        vectors=np.ascontiguousarray(vectors, dtype=np.float32),
        run_starts=run_starts,
        run_doc_ids=run_doc_ids,
        chunk_run=chunk_run,
        chunk_row={int(c): i for i, c in enumerate(chunk_ids)},
    )


def _standardise(values: np.ndarray) -> np.ndarray:
    std = float(values.std())
    return (values - float(values.mean())) / std if std > 0 else np.zeros_like(values)


class Retriever:
    """Hybrid search over one store. Thread-safe; dense indexes are cached per collection
    and rebuilt when the collection changes (its generation counter moves)."""

    def __init__(self, store: Store, embedder: Embedder | None, dense_weight: float = 0.75, candidates: int = 200):
        self.store = store
        self.embedder = embedder
        self.dense_weight = dense_weight
        self.candidates = candidates
        self._indexes: dict[str, _DenseIndex] = {}
        self._lock = threading.Lock()

    def _index(self, collection: str) -> _DenseIndex:
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
        terms = analyse(query)
        idx = self._index(collection)
        n_docs = len(idx.run_doc_ids)
        if n_docs == 0:
            return []
        lex_docs = self.store.search_documents_lexical(collection, terms, max(self.candidates, k))
        lex_chunks = self.store.search_chunks_lexical(collection, terms, max(self.candidates, k))

        use_dense = self.embedder is not None and idx.vectors.size > 0
        w = self.dense_weight if use_dense else 0.0

        # Document scores over the whole collection.
        lex_doc = np.zeros(n_docs, dtype=np.float32)
        if lex_docs:
            ids = np.fromiter((d for d, _ in lex_docs), dtype=np.int64)
            pos = np.searchsorted(idx.run_doc_ids, ids)
            pos = np.minimum(pos, n_docs - 1)
            ok = idx.run_doc_ids[pos] == ids
            lex_doc[pos[ok]] = np.fromiter((s for _, s in lex_docs), dtype=np.float32)[ok]
        lex_chunk = np.zeros(len(idx.chunk_ids), dtype=np.float32)
        for chunk_id, s in lex_chunks:
            row = idx.chunk_row.get(chunk_id)
            if row is not None:
                lex_chunk[row] = s

        dense_chunk: np.ndarray | None = None
        dense_doc: np.ndarray | None = None
        doc_score: np.ndarray = lex_doc
        chunk_score: np.ndarray = lex_chunk
        if use_dense:
            assert self.embedder is not None
            q = self.embedder.embed_query(query)
            dense_chunk = idx.vectors @ q
            dense_doc = np.maximum.reduceat(dense_chunk, idx.run_starts)
            doc_score = w * _standardise(dense_doc) + (1 - w) * _standardise(lex_doc)
            chunk_score = w * _standardise(dense_chunk) + (1 - w) * _standardise(lex_chunk)
        elif not lex_docs:
            return []

        k = min(k, n_docs)
        top = np.argpartition(-doc_score, k - 1)[:k]
        top = top[np.argsort(-doc_score[top], kind="stable")]

        lex_rank = {d: i + 1 for i, (d, _) in enumerate(lex_docs)}
        dense_rank: dict[int, int] = {}
        if dense_doc is not None:
            for r, run in enumerate(np.argsort(-dense_doc)[: max(self.candidates, k)]):
                dense_rank[int(run)] = r + 1

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
                    lexical_rank=lex_rank.get(int(idx.run_doc_ids[run])),
                    dense_rank=dense_rank.get(run),
                    dense_score=None if dense_chunk is None else float(dense_chunk[row]),
                )
            )
        return passages
