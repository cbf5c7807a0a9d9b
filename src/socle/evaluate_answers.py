"""Evaluation of answers on a question set: citations, answer/abstention rates, coverage.

- ``citation_correctness``: share of answered in-scope questions whose citations all
  point to a relevant document;
- ``answer_rate``: share of in-scope questions (non-empty ``relevant``) answered;
- ``abstention_rate``: share of out-of-scope questions (empty ``relevant``) on which Socle
  abstained;
- ``reference_recall``: on questions with reference ``answers``, mean share of the
  reference's word tokens found in the answer (best reference per question);
- latency (time to first token and total) percentiles, energy per answer.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

import numpy as np

from socle.answer import Answerer
from socle.evaluate import Question

_WORD = re.compile(r"\w+", re.UNICODE)


def token_recall(reference: str, answer: str) -> float:
    ref = [w.lower() for w in _WORD.findall(reference)]
    if not ref:
        return 0.0
    got = {w.lower() for w in _WORD.findall(answer)}
    return sum(w in got for w in ref) / len(ref)


def evaluate_answers(
    answerer: Answerer, collection: str, questions: list[Question], out_of_scope: bool = False
) -> dict[str, Any]:
    if out_of_scope:  # the questions belong to another collection: none should be answered
        questions = [replace(q, relevant=(), answers=()) for q in questions]
    answered = correct = in_scope = out = abstained_out = 0
    recalls: list[float] = []
    totals: list[float] = []
    ttft: list[float] = []
    energy: list[float] = []
    carbon: list[float] = []
    for q in questions:
        a = answerer.answer(collection, q.question)
        totals.append(a.footprint.wall_s)
        ttft.append(a.footprint.time_to_first_token_s or a.footprint.wall_s)
        energy.append(a.footprint.energy_wh)
        carbon.append(a.footprint.carbon_g)
        if q.relevant:
            in_scope += 1
            if not a.abstained:
                answered += 1
                correct += all(c.document_key in q.relevant for c in a.citations) and bool(a.citations)
            if q.answers:
                recalls.append(0.0 if a.abstained else max(token_recall(r, a.text) for r in q.answers))
        else:
            out += 1
            abstained_out += a.abstained

    def pct(values: list[float], p: float) -> float:
        return round(float(np.percentile(values, p)), 3) if values else 0.0

    return {
        "n_questions": len(questions),
        "n_in_scope": in_scope,
        "n_out_of_scope": out,
        "citation_correctness": round(correct / answered, 4) if answered else None,
        "answer_rate": round(answered / in_scope, 4) if in_scope else None,
        "abstention_rate": round(abstained_out / out, 4) if out else None,
        "reference_recall": round(float(np.mean(recalls)), 4) if recalls else None,
        "n_with_reference": len(recalls),
        "latency_s_p50": pct(totals, 50),
        "latency_s_p95": pct(totals, 95),
        "ttft_s_p50": pct(ttft, 50),
        "ttft_s_p95": pct(ttft, 95),
        "energy_wh_per_answer": round(float(np.mean(energy)), 6) if energy else 0.0,
        "carbon_g_per_answer": round(float(np.mean(carbon)), 6) if carbon else 0.0,
        "model": answerer.model_name,
    }
