"""Evaluation of retrieval on a question set, at document level.

A question is a JSON line ``{"id", "question", "relevant": [document ids], "answers"?}``.
A hit is a retrieved passage whose document key is in ``relevant``; questions with an
empty ``relevant`` list are out of scope and do not count in retrieval metrics.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from socle.errors import SocleError
from socle.retrieve import Retriever


@dataclass(frozen=True)
class Question:
    id: str
    question: str
    relevant: tuple[str, ...]
    answers: tuple[str, ...] = ()
    history: tuple[tuple[str, str], ...] = ()  # earlier (question, answer) turns of a follow-up
    kind: str = ""  # free label (short, colloquial, follow-up, greeting…), reported per kind

    def is_relevant(self, document_key: str) -> bool:
        """A document key is relevant when listed, or when its file name is (question sets
        written for files name them, not their path on the machine that ingested them)."""
        return document_key in self.relevant or Path(document_key).name in self.relevant


def load_questions(path: Path) -> list[Question]:
    questions = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise SocleError(f"{path} : lecture impossible ({exc.strerror})") from exc
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
            questions.append(
                Question(
                    id=str(obj.get("id", n)),
                    question=str(obj["question"]),
                    relevant=tuple(str(r) for r in obj.get("relevant", [])),
                    answers=tuple(str(a) for a in obj.get("answers", []) or []),
                    history=tuple((str(q), str(a)) for q, a in obj.get("history", []) or []),
                    kind=str(obj.get("kind", "")),
                )
            )
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise SocleError(f"{path}, ligne {n} : question invalide ({exc})") from exc
    return questions


@dataclass
class RetrievalMetrics:
    n_questions: int
    recall: dict[int, float]
    mrr10: float
    latency_ms_p50: float
    latency_ms_p95: float
    out_of_scope: int
    per_question: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {f"recall@{k}": round(v, 4) for k, v in sorted(self.recall.items())}
        out.update(
            {
                "mrr@10": round(self.mrr10, 4),
                "n_questions": self.n_questions,
                "n_out_of_scope": self.out_of_scope,
                "latency_ms_p50": round(self.latency_ms_p50, 1),
                "latency_ms_p95": round(self.latency_ms_p95, 1),
            }
        )
        return out


def evaluate_retrieval(
    retriever: Retriever, collection: str, questions: list[Question], cutoffs: tuple[int, ...] = (1, 5, 10)
) -> RetrievalMetrics:
    depth = max(*cutoffs, 10)
    hits = {k: 0 for k in cutoffs}
    mrr = 0.0
    latencies: list[float] = []
    per_question = []
    in_scope = [q for q in questions if q.relevant]
    for q in in_scope:
        t0 = time.perf_counter()
        passages = retriever.search(collection, q.question, k=depth)
        latencies.append((time.perf_counter() - t0) * 1000)
        keys = [p.document_key for p in passages]
        rank = next((i + 1 for i, key in enumerate(keys) if q.is_relevant(key)), None)
        for k in cutoffs:
            hits[k] += rank is not None and rank <= k
        if rank is not None and rank <= 10:
            mrr += 1 / rank
        per_question.append({"id": q.id, "rank": rank, "top": keys[:3]})
    n = len(in_scope)
    if n == 0:
        raise SocleError("Aucune question avec des documents pertinents : rien à évaluer.")
    lat = np.array(latencies)
    return RetrievalMetrics(
        n_questions=n,
        recall={k: hits[k] / n for k in cutoffs},
        mrr10=mrr / n,
        latency_ms_p50=float(np.percentile(lat, 50)),
        latency_ms_p95=float(np.percentile(lat, 95)),
        out_of_scope=len(questions) - n,
        per_question=per_question,
    )
