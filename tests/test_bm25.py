"""BM25 scoring, checked against the formula and the reference bm25s package."""

from __future__ import annotations

import math
import random

import bm25s
import numpy as np
import pytest

from socle.bm25 import BM25Index


def _corpus(seed: int = 7) -> list[list[int]]:
    rng = random.Random(seed)
    return [[rng.randint(0, 60) for _ in range(rng.randint(1, 50))] for _ in range(400)]


def test_scores_follow_the_okapi_formula() -> None:
    docs = _corpus()
    index = BM25Index.build([np.array(d, dtype=np.int32) for d in docs])
    n, avg = len(docs), sum(map(len, docs)) / len(docs)

    def expected(query: list[int], doc: list[int]) -> float:
        total = 0.0
        for t in set(query):
            tf = doc.count(t)
            if tf:
                df = sum(t in d for d in docs)
                idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
                total += idf * tf * 2.2 / (tf + 1.2 * (0.25 + 0.75 * len(doc) / avg))
        return total

    query = [3, 11, 11, 59, 999]  # a repeated term counts once; an unknown id matches nothing
    scores = index.scores(query)
    assert scores.shape == (len(docs),)
    for i in range(0, len(docs), 37):
        assert scores[i] == pytest.approx(expected(query, docs[i]), rel=1e-5)


def test_ranking_matches_bm25s() -> None:
    docs = _corpus(11)
    index = BM25Index.build([np.array(d, dtype=np.int32) for d in docs])
    reference = bm25s.BM25(k1=1.2, b=0.75, method="lucene")
    reference.index([[str(t) for t in d] for d in docs], show_progress=False)
    for query in ([1, 2, 3], [40], [5, 17, 33, 48]):
        ours = index.scores(query)
        theirs = reference.get_scores([str(t) for t in query])
        # Lucene drops the constant (k1 + 1) factor: same ranking, scores proportional.
        np.testing.assert_allclose(ours, theirs * 2.2, rtol=1e-4, atol=1e-6)


def test_empty_inputs() -> None:
    assert BM25Index.build([]).scores([1]).shape == (0,)
    index = BM25Index.build([np.array([], dtype=np.int32), np.array([4], dtype=np.int32)])
    assert index.scores([4]).tolist()[0] == 0.0 and index.scores([4])[1] > 0
    assert not index.scores([]).any()
