"""Okapi BM25 over pre-analysed term ids, in memory, vectorised with numpy.

Postings are stored term-major (like a CSC matrix): the rows containing term ``t`` are
``rows[indptr[t]:indptr[t+1]]``, each with its precomputed BM25 weight, so a query costs
one ``np.bincount`` over the postings of its terms — well under a millisecond at 100,000
chunks — and yields the score of *every* row, which the fusion needs to standardise.

Why not SQLite FTS5 or the bm25s package: FTS5 has to score and sort every matching row on
each query and filter by collection afterwards (40–120 ms at 100k chunks here), and
bm25s builds its index in Python loops (~17 s for 100k chunks); building from term ids
with ``np.unique`` takes ~2 s, once per collection change.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

K1 = 1.2
B = 0.75


def idf(df: np.ndarray, n_rows: int) -> np.ndarray:
    """Lucene's BM25 idf, always positive: log(1 + (N - df + 0.5) / (df + 0.5))."""
    return np.log1p((n_rows - df + 0.5) / (df + 0.5))


@dataclass(frozen=True)
class BM25Index:
    indptr: np.ndarray  # (vocab + 1,) int64
    rows: np.ndarray  # (postings,) int32
    weights: np.ndarray  # (postings,) float32
    n_rows: int

    @classmethod
    def build(cls, row_terms: Sequence[np.ndarray], k1: float = K1, b: float = B) -> BM25Index:
        """Index rows (chunks or documents), each given as the array of its term ids."""
        n = len(row_terms)
        lengths = np.fromiter((len(t) for t in row_terms), dtype=np.int64, count=n)
        if n == 0 or lengths.sum() == 0:
            return cls(np.zeros(1, np.int64), np.zeros(0, np.int32), np.zeros(0, np.float32), n)
        terms = np.concatenate(row_terms).astype(np.int64)
        row_of = np.repeat(np.arange(n, dtype=np.int64), lengths)
        # One sort gives term-major postings and term frequencies at once.
        keys, tf = np.unique(terms * n + row_of, return_counts=True)
        term, row = keys // n, keys % n
        vocab = int(term[-1]) + 1
        indptr = np.searchsorted(term, np.arange(vocab + 1)).astype(np.int64)
        df = np.diff(indptr)
        norm = k1 * (1 - b + b * lengths / max(lengths.mean(), 1e-9))
        weights = idf(df, n)[term] * tf * (k1 + 1) / (tf + norm[row])
        return cls(indptr, row.astype(np.int32), weights.astype(np.float32), n)

    def scores(self, term_ids: Sequence[int]) -> np.ndarray:
        """BM25 score of every row for a query (each distinct term counted once)."""
        vocab = len(self.indptr) - 1
        spans = [(self.indptr[t], self.indptr[t + 1]) for t in dict.fromkeys(term_ids) if 0 <= t < vocab]
        if not spans:
            return np.zeros(self.n_rows, dtype=np.float32)
        rows = np.concatenate([self.rows[s:e] for s, e in spans])
        weights = np.concatenate([self.weights[s:e] for s, e in spans])
        return np.bincount(rows, weights=weights, minlength=self.n_rows).astype(np.float32)
