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

With a ``reranker`` (:mod:`socle.rerank`, off by default), the fusion's best
``rerank_candidates`` documents are read again by a cross-encoder, the question beside each
document's best passage, and ordered by its score.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from socle.analysis import analyse
from socle.bm25 import BM25Index
from socle.embed import Embedder
from socle.errors import SocleError
from socle.fusion import Penalties, rank_of, standardise
from socle.indexing.filters import Filters, document_mask
from socle.models import Passage
from socle.store import Store

if TYPE_CHECKING:
    from socle.rerank import Reranker

log = logging.getLogger(__name__)


@dataclass
class _Index:
    generation: int
    chunk_ids: np.ndarray  # (n,) grouped by document
    vectors: np.ndarray  # (n, dim)
    run_starts: np.ndarray  # (D,) first row of each document
    run_doc_ids: np.ndarray  # (D,) document id of each run, ascending
    chunk_bm25: BM25Index  # rows = chunks
    doc_bm25: BM25Index  # rows = documents (runs)
    doc_metadata: dict[int, dict[str, Any]] | None = None  # read on the first filtered search
    present: np.ndarray | None = None  # (n,) chunks that have a vector; None when all do


def _partial_fusion(dense: np.ndarray, lexical: np.ndarray, present: np.ndarray, w: float) -> np.ndarray:
    """Fused scores when only some rows have a vector: those get the usual mix of both
    standardised scores, the others their standardised lexical score alone."""
    lex = standardise(lexical)
    out = lex.copy()
    if present.any():
        out[present] = w * standardise(dense[present]) + (1 - w) * lex[present]
    return out


def _load_embedder(spec: str) -> Embedder:
    from socle.embed import get_embedder

    return get_embedder(spec)


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
    vectors = np.ascontiguousarray(data.vectors, dtype=np.float32)
    # Chunks still waiting for their vector (socle.ingest.fill_vectors) read as zeros.
    present = np.any(vectors != 0, axis=1) if vectors.size else np.zeros(n, dtype=bool)
    return _Index(
        generation=generation,
        present=None if present.all() else present,
        chunk_ids=data.chunk_ids,
        vectors=vectors,
        run_starts=run_starts,
        run_doc_ids=run_doc_ids,
        chunk_bm25=BM25Index.build(data.chunk_terms),
        doc_bm25=BM25Index.build(data.doc_terms),
    )


def _rerank(reranker: Reranker, query: str, passages: list[Passage], k: int) -> list[Passage]:
    """The ``k`` best documents of ``passages`` (in fusion order, a document's passages
    together, its best first), ordered by the reranker's score of (question, best passage);
    ties keep the fusion's order. The passages are returned as they are."""
    if k < 1:
        raise SocleError("Le nombre de résultats doit être au moins 1.")
    groups: dict[tuple[str, str], list[Passage]] = {}
    for p in passages:
        groups.setdefault((p.collection, p.document_key), []).append(p)
    documents = list(groups.values())
    if len(documents) <= 1:
        return passages
    scores = np.asarray(reranker.score(query, [d[0].text for d in documents]), dtype=np.float64)
    if scores.shape != (len(documents),):
        raise SocleError(f"Le reranker {reranker.name} a rendu {scores.size} score(s) pour {len(documents)} passages.")
    order = np.argsort(-scores, kind="stable")[:k]
    return [p for i in order for p in documents[int(i)]]


class Retriever:
    """Hybrid search over one store. Thread-safe; indexes are cached per collection and
    rebuilt when the collection changes (its generation counter moves)."""

    def __init__(
        self,
        store: Store,
        embedder: Embedder | None,
        dense_weight: float = 0.75,
        penalties: Penalties | None = None,
        resolve: Callable[[str], Embedder] | None = None,
        *,
        reranker: Reranker | None = None,
        rerank_candidates: int = 20,
    ) -> None:
        self.store = store
        self.embedder = embedder
        self.dense_weight = dense_weight
        self.penalties = penalties
        # A collection reindexed with another model (``socle reindex``) records it with the
        # specification that loads it: its questions are embedded by that model.
        self.resolve = resolve or _load_embedder
        # None: the fusion's order, untouched. Else its best documents, reordered.
        self.reranker = reranker
        self.rerank_candidates = rerank_candidates
        self._indexes: dict[str, _Index] = {}
        self._embedders: dict[str, tuple[int, Embedder | None]] = {}
        self._lock = threading.Lock()

    def query_embedder(self, collection: str, generation: int | None = None) -> Embedder | None:
        """The model that embeds questions for ``collection``: the one its vectors come from
        (None, lexical search only, when it cannot be loaded: never another model's vectors)."""
        if self.embedder is None:
            return None
        generation = self.store.generation(collection) if generation is None else generation
        cached = self._embedders.get(collection)
        if cached is not None and cached[0] == generation:
            return cached[1]
        settings = self.store.collection_settings(collection)
        recorded, spec = settings.get("embedder"), settings.get("embedder_spec")
        chosen: Embedder | None = self.embedder
        if recorded and recorded != self.embedder.name:
            chosen = None
            try:
                chosen = self.resolve(str(spec)) if spec else None
            except SocleError as exc:
                log.warning("collection « %s » : modèle « %s » indisponible (%s)", collection, recorded, exc)
            if chosen is not None and chosen.name != recorded:
                chosen = None
            if chosen is None:
                log.warning("collection « %s » : recherche lexicale seule (vecteurs de « %s »)", collection, recorded)
        self._embedders[collection] = (generation, chosen)
        return chosen

    def _index(self, collection: str) -> _Index:
        generation = self.store.generation(collection)
        with self._lock:
            idx = self._indexes.get(collection)
            if idx is None or idx.generation != generation:
                idx = _build_index(self.store, collection, generation)
                self._indexes[collection] = idx
            return idx

    def search(
        self, collection: str, query: str, k: int = 5, per_document: int = 1, *, filters: Filters | None = None
    ) -> list[Passage]:
        """The ``k`` best documents for ``query``, best first, each as its ``per_document``
        best passages (in order of their own score). ``filters`` keeps only the documents
        whose metadata match (``{"category": "Travail"}``, ``{"keyword": "cookies"}``, see
        :mod:`socle.indexing.filters`); scores stay standardised over the whole collection.

        With a reranker, the documents are the fusion's best ``max(k, rerank_candidates)``
        reordered by the reranker; each passage keeps its fusion scores."""
        if self.reranker is None:
            return self._fused_search(collection, query, k, per_document, filters)
        depth = max(k, self.rerank_candidates)
        return _rerank(self.reranker, query, self._fused_search(collection, query, depth, per_document, filters), k)

    def _fused_search(
        self, collection: str, query: str, k: int, per_document: int, filters: Filters | None
    ) -> list[Passage]:
        if not query.strip():
            raise SocleError("La question est vide.")
        if k < 1:
            raise SocleError("Le nombre de résultats doit être au moins 1.")
        # Collections too large for memory are searched inside the database (PostgreSQL).
        prefers_server_search = getattr(self.store, "prefers_server_search", None)
        if prefers_server_search is not None and prefers_server_search(collection):
            from socle.retrieve_candidates import search_candidates

            return search_candidates(self, self.store, collection, query, k, per_document, filters)
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
        has_vectors = idx.vectors.size > 0 and (idx.present is None or bool(idx.present.any()))
        embedder = self.query_embedder(collection, idx.generation) if has_vectors else None
        if embedder is not None:
            w = self.dense_weight
            q = embedder.embed_query(query)
            dense_chunk = idx.vectors @ q
            if idx.present is None:
                dense_doc = np.maximum.reduceat(dense_chunk, idx.run_starts)
                doc_score = w * standardise(dense_doc) + (1 - w) * standardise(lex_doc)
                chunk_score = w * standardise(dense_chunk) + (1 - w) * standardise(lex_chunk)
            else:  # vectors still being computed: hybrid where they exist, lexical elsewhere
                doc_present = np.maximum.reduceat(idx.present.astype(np.int8), idx.run_starts) > 0
                masked = np.where(idx.present, dense_chunk, -np.inf)
                dense_doc = np.maximum.reduceat(masked, idx.run_starts)
                chunk_score = _partial_fusion(dense_chunk, lex_chunk, idx.present, w)
                doc_score = _partial_fusion(dense_doc, lex_doc, doc_present, w)
                dense_doc = np.where(doc_present, dense_doc, 0.0)
        elif not lex_doc.any():
            return []
        demoted = self.penalties(collection) if self.penalties else None
        if demoted:
            doc_score, chunk_score = self._demote(idx, demoted, doc_score, chunk_score)
        if filters:
            if idx.doc_metadata is None:
                idx.doc_metadata = self.store.document_metadata(collection)
            allowed = document_mask(idx.run_doc_ids, idx.doc_metadata, filters)
            if not allowed.any():
                return []
            doc_score = np.where(allowed, doc_score, -np.inf)
            k = min(k, int(allowed.sum()))

        k = min(k, n_docs)
        top = np.argpartition(-doc_score, k - 1)[:k]
        top = top[np.argsort(-doc_score[top], kind="stable")]
        lex_rank = rank_of(lex_doc)
        dense_rank = rank_of(dense_doc) if dense_doc is not None else None

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

    @staticmethod
    def _demote(
        idx: _Index, penalties: Mapping[int, float], doc_score: np.ndarray, chunk_score: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Lower down-rated chunks, and their documents by their worst chunk's penalty."""
        chunk_score = chunk_score.copy()
        doc_penalty = np.zeros(len(doc_score), dtype=np.float64)
        wanted = np.fromiter(penalties.keys(), dtype=np.int64, count=len(penalties))
        for row in np.nonzero(np.isin(idx.chunk_ids, wanted))[0]:
            penalty = penalties[int(idx.chunk_ids[row])]
            chunk_score[row] -= penalty
            run = int(np.searchsorted(idx.run_starts, row, side="right")) - 1
            doc_penalty[run] = max(doc_penalty[run], penalty)
        return doc_score - doc_penalty, chunk_score

    def search_many(
        self,
        collections: Sequence[str],
        query: str,
        k: int = 5,
        per_document: int = 1,
        *,
        filters: Filters | None = None,
    ) -> list[Passage]:
        """:meth:`search` over several collections, merged by fused document score (each
        collection's scores are standardised over that collection, so they compare)."""
        if len(collections) == 1:
            return self.search(collections[0], query, k, per_document, filters=filters)
        # With a reranker: the fusion's best candidates of all collections, reranked once.
        depth = k if self.reranker is None else max(k, self.rerank_candidates)
        merged = [p for c in collections for p in self._fused_search(c, query, depth, per_document, filters)]
        docs: dict[tuple[str, str], float] = {}
        for p in merged:
            docs.setdefault((p.collection, p.document_key), p.score)
        keep = set(sorted(docs, key=lambda d: -docs[d])[:depth])
        chosen = [p for p in merged if (p.collection, p.document_key) in keep]
        fused = sorted(chosen, key=lambda p: -p.score)  # stable: a document's passages keep their order
        return fused if self.reranker is None else _rerank(self.reranker, query, fused, k)
