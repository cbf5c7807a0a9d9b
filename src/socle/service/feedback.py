"""Agents' ratings and corrections, fed back into retrieval and answers.

Two effects, both measured by tests (tests/test_service_feedback.py):

* **Demotion.** Each rating is counted on the passages the rated answer cited
  (``passage_votes``). A passage whose "not useful" votes exceed its "useful" ones by
  :data:`MIN_NET_DOWN` or more is *repeatedly* down-rated: its fused score, and its
  document's, lose ``DEMOTION × (net − 1)`` standard deviations (capped at
  :data:`MAX_PENALTY`), so another passage or document takes its place. One bad vote alone
  changes nothing: a single agent cannot bury a document.
* **Validated corrections.** A correction typed with a "not useful" rating is stored; once an
  editor of the collection validates it (or when the editor wrote it), it becomes the first
  passage for questions whose embedding lies within :data:`SIMILARITY` cosine of the
  corrected question (its close neighbourhood) and is cited as such.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np

from socle.embed import Embedder
from socle.models import Passage
from socle.store import Store
from socle.store.records import Correction

MIN_NET_DOWN = 2
DEMOTION = 0.75
MAX_PENALTY = 3.0
# multilingual-e5-small packs questions tightly: measured cosines between *different*
# questions on one topic reach 0.966 ("acte de naissance" / "acte de mariage") while
# paraphrases span 0.93-0.99. A correction must never answer another question, so only
# near-restatements qualify (docs/service.md has the table).
SIMILARITY = 0.97


def penalty(up: int, down: int) -> float:
    net = down - up
    return 0.0 if net < MIN_NET_DOWN else min(MAX_PENALTY, DEMOTION * (net - 1))


class Feedback:
    """Penalties and correction lookup over a store, cached until new feedback arrives."""

    def __init__(self, store: Store, embedder: Embedder | None) -> None:
        self.store = store
        self.embedder = embedder
        self._lock = threading.Lock()
        self._version = -1
        self._penalties: dict[str, dict[int, float]] = {}
        self._corrections: dict[str, tuple[list[Correction], np.ndarray]] = {}

    def _fresh(self) -> None:
        version = self.store.feedback_version()
        if version != self._version:
            self._penalties.clear()
            self._corrections.clear()
            self._version = version

    def penalties(self, collection: str) -> dict[int, float]:
        with self._lock:
            self._fresh()
            if collection not in self._penalties:
                votes = self.store.passage_votes(collection)
                self._penalties[collection] = {
                    chunk: p for chunk, (up, down) in votes.items() if (p := penalty(up, down)) > 0
                }
            return self._penalties[collection]

    def _validated(self, key: str) -> tuple[list[Correction], np.ndarray]:
        if key not in self._corrections:
            items = [c for c in self.store.corrections(key) if c.embedding is not None]
            matrix = (
                np.stack([c.embedding for c in items if c.embedding is not None])
                if items
                else np.zeros((0, 0), dtype=np.float32)
            )
            self._corrections[key] = (items, matrix)
        return self._corrections[key]

    def lookup(self, collections: Sequence[str], question: str) -> Passage | None:
        """The validated correction nearest to ``question`` within :data:`SIMILARITY`, as a passage."""
        if self.embedder is None:
            return None
        keys = list(dict.fromkeys([",".join(collections), *collections]))
        with self._lock:
            self._fresh()
            found = [self._validated(k) for k in keys]
        candidates = [(c, m) for c, m in found if c]
        if not candidates:
            return None
        q = self.embedder.embed_query(question)
        best: tuple[float, Correction] | None = None
        for items, matrix in candidates:
            sims = matrix @ q
            i = int(np.argmax(sims))
            if best is None or sims[i] > best[0]:
                best = (float(sims[i]), items[i])
        if best is None or best[0] < SIMILARITY:
            return None
        sim, c = best
        date = (c.validated_at or "")[:10]
        return Passage(
            chunk_id=-c.id,
            document_key=f"correction-{c.id}",
            document_title="Correction validée",
            collection=c.collection.split(",")[0],
            text=c.text,
            start=0,
            end=len(c.text),
            headings=(),
            page=None,
            source=f"correction validée par {c.validated_by} le {date} (question : « {c.question} »)",
            url=None,
            score=100.0,  # above any fused score: first passage
            dense_score=sim,
        )
