"""Hybrid retrieval over candidates found inside the database, for collections too large
for the in-memory indexes of :mod:`socle.retrieve`.

The store (:meth:`socle.store.store.Store.search_candidates`) returns every
chunk of the documents that either signal ranks high: the best chunks by French full-text
rank (PostgreSQL ``tsvector``) and the nearest chunks by cosine distance (pgvector HNSW).
The fusion is the one of :class:`~socle.retrieve.Retriever`:

    score = w * z(dense) + (1 - w) * z(lexical)

with a document's dense score its best chunk's cosine similarity and its lexical score its
best chunk's full-text rank; ``z`` standardises over the candidate documents (the whole
collection is never scanned). Agents' ratings demote chunks as in memory; metadata filters
apply to the candidates, fetched four times as many when filtering.
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np

from socle.embed import Embedder
from socle.fusion import Penalties, rank_of, standardise
from socle.indexing.filters import Filters, document_mask
from socle.models import Passage
from socle.store.records import Candidates

CANDIDATES = 100  # chunks fetched by each signal (at least 10 per requested document)


class CandidateStore(Protocol):
    def prefers_server_search(self, collection: str) -> bool: ...
    def search_candidates(
        self, collection: str, query: str, query_vector: np.ndarray | None, limit: int = 100
    ) -> Candidates: ...


class Searcher(Protocol):
    """What the search needs of :class:`socle.retrieve.Retriever` (which calls it): its
    store, embedder, fusion weight and penalties. This module never imports the retriever."""

    store: Any
    embedder: Embedder | None
    dense_weight: float
    penalties: Penalties | None

    def query_embedder(self, collection: str, generation: int | None = None) -> Embedder | None: ...


def search_candidates(
    retriever: Searcher,
    store: Any,
    collection: str,
    query: str,
    k: int,
    per_document: int = 1,
    filters: Filters | None = None,
) -> list[Passage]:
    """The ``k`` best documents for ``query``, as :meth:`Retriever.search` returns them."""
    embedder = retriever.query_embedder(collection)
    vector = embedder.embed_query(query) if embedder is not None else None
    limit = max(CANDIDATES, 10 * k) * (4 if filters else 1)
    found: Candidates = store.search_candidates(collection, query, vector, limit)
    n = len(found.chunk_ids)
    if n == 0:
        return []
    boundaries = np.flatnonzero(np.diff(found.document_ids)) + 1
    run_starts = np.concatenate(([0], boundaries)).astype(np.int64)
    run_doc_ids = found.document_ids[run_starts]
    n_docs = len(run_starts)

    lex_chunk = found.lexical
    lex_doc = np.maximum.reduceat(lex_chunk, run_starts)
    dense_chunk = found.dense
    dense_doc: np.ndarray | None = None
    doc_score: np.ndarray = lex_doc
    chunk_score: np.ndarray = lex_chunk
    if dense_chunk is not None:
        w = retriever.dense_weight
        dense_doc = np.maximum.reduceat(dense_chunk, run_starts)
        doc_score = w * standardise(dense_doc) + (1 - w) * standardise(lex_doc)
        chunk_score = w * standardise(dense_chunk) + (1 - w) * standardise(lex_chunk)
    elif not lex_doc.any():
        return []
    demoted = retriever.penalties(collection) if retriever.penalties else None
    if demoted:
        chunk_score = chunk_score.copy()
        doc_penalty = np.zeros(n_docs, dtype=np.float64)
        for hit in np.nonzero(np.isin(found.chunk_ids, list(demoted)))[0].tolist():
            penalty = demoted[int(found.chunk_ids[hit])]
            chunk_score[hit] -= penalty
            hit_run = int(np.searchsorted(run_starts, hit, side="right")) - 1
            doc_penalty[hit_run] = max(doc_penalty[hit_run], penalty)
        doc_score = doc_score - doc_penalty
    if filters:
        allowed = document_mask(run_doc_ids, found.metadata, filters)
        if not allowed.any():
            return []
        doc_score = np.where(allowed, doc_score, -np.inf)
        k = min(k, int(allowed.sum()))

    k = min(k, n_docs)
    top = np.argpartition(-doc_score, k - 1)[:k]
    top = top[np.argsort(-doc_score[top], kind="stable")]
    lex_rank = rank_of(lex_doc)
    dense_rank = rank_of(dense_doc) if dense_doc is not None else None
    chosen: list[tuple[int, int]] = []
    for top_run in top.tolist():
        start = int(run_starts[top_run])
        end = int(run_starts[top_run + 1]) if top_run + 1 < n_docs else n
        best = start + np.argsort(-chunk_score[start:end], kind="stable")[:per_document]
        chosen.extend((top_run, int(row)) for row in best)
    records = retriever.store.chunk_records([int(found.chunk_ids[row]) for _, row in chosen])
    passages = []
    for run, row in chosen:
        rec = records[int(found.chunk_ids[row])]
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


__all__ = ["CANDIDATES", "CandidateStore", "Searcher", "search_candidates"]
