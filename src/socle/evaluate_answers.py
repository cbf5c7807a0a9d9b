"""Evaluation of answers on a question set: citations, answer/abstention rates, coverage.

A « réponse possible » (a tentative answer, marked « à vérifier ») counts as an answer
everywhere: in the answer rate, in citation correctness, and against abstention on
out-of-scope questions.

- ``citation_correctness``: share of answered in-scope questions whose citations all
  point to a relevant document;
- ``answer_rate``: share of in-scope questions (non-empty ``relevant``) answered;
  ``confident_rate``: the share answered with confidence (not « à vérifier »);
- ``abstention_rate``: share of out-of-scope questions (empty ``relevant``) on which Socle
  abstained;
- ``reference_recall``: on questions with reference ``answers``, mean share of the
  reference's word tokens found in the answer (best reference per question; 0 when the
  question was not answered);
- ``quote_holds_gold``: among answered questions with reference answers, how often a
  quoted span holds the reference (or lies inside a long one);
- ``courtesy_rate``: greetings and thanks (``kind: greeting``) answered by a courteous
  reply without a search;
- latency (time to first token and total) percentiles, energy per answer; and the answer
  rate per question ``kind`` when the set labels them.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import replace
from typing import Any

import numpy as np

from socle.answer import Answerer
from socle.evaluate import Question

_WORD = re.compile(r"\w+", re.UNICODE)
_SPACE = re.compile(r"\s+")


def token_recall(reference: str, answer: str) -> float:
    ref = [w.lower() for w in _WORD.findall(reference)]
    if not ref:
        return 0.0
    got = {w.lower() for w in _WORD.findall(answer)}
    return sum(w in got for w in ref) / len(ref)


def holds_gold(quote: str, answers: tuple[str, ...] | list[str]) -> bool:
    """The quote is the reference answer, holds it, or is a sentence of a long reference
    (most of its words are the reference's and it carries most of a short one)."""
    u = _SPACE.sub(" ", quote).strip().lower()
    for a in answers:
        g = _SPACE.sub(" ", a).strip().lower()
        if g and (g in u or (len(u) >= 20 and u in g)):
            return True
        gw, uw = set(_WORD.findall(g)), set(_WORD.findall(u))
        if gw and uw and len(gw & uw) / len(gw) >= 0.8 and len(gw & uw) / len(uw) >= 0.5:
            return True
    return False


def evaluate_answers(
    answerer: Answerer, collection: str, questions: list[Question], out_of_scope: bool = False
) -> dict[str, Any]:
    if out_of_scope:  # the questions belong to another collection: none should be answered
        questions = [replace(q, relevant=(), answers=(), kind="out_of_scope") for q in questions]
    answered = confident = correct = in_scope = out = abstained_out = greetings = courteous = 0
    recalls: list[float] = []
    gold_hits: list[bool] = []
    totals: list[float] = []
    ttft: list[float] = []
    energy: list[float] = []
    carbon: list[float] = []
    by_kind: dict[str, list[bool]] = defaultdict(list)
    for q in questions:
        a = answerer.answer(collection, q.question, history=list(q.history))
        if q.kind == "greeting":
            greetings += 1
            courteous += a.mode == "courtesy"
            continue
        totals.append(a.footprint.wall_s)
        ttft.append(a.footprint.time_to_first_token_s or a.footprint.wall_s)
        energy.append(a.footprint.energy_wh)
        carbon.append(a.footprint.carbon_g)
        if q.relevant:
            in_scope += 1
            by_kind[q.kind or "-"].append(not a.abstained)
            if not a.abstained:
                answered += 1
                confident += not a.tentative
                correct += all(q.is_relevant(c.document_key) for c in a.citations) and bool(a.citations)
                if q.answers:
                    gold_hits.append(any(holds_gold(c.quote, q.answers) for c in a.citations))
            if q.answers:
                recalls.append(0.0 if a.abstained else max(token_recall(r, a.text) for r in q.answers))
        else:
            out += 1
            abstained_out += a.abstained
            by_kind[q.kind or "out_of_scope"].append(a.abstained)

    def pct(values: list[float], p: float) -> float:
        return round(float(np.percentile(values, p)), 3) if values else 0.0

    return {
        "n_questions": len(questions),
        "n_in_scope": in_scope,
        "n_out_of_scope": out,
        "citation_correctness": round(correct / answered, 4) if answered else None,
        "answer_rate": round(answered / in_scope, 4) if in_scope else None,
        "confident_rate": round(confident / in_scope, 4) if in_scope else None,
        "abstention_rate": round(abstained_out / out, 4) if out else None,
        "reference_recall": round(float(np.mean(recalls)), 4) if recalls else None,
        "quote_holds_gold": round(float(np.mean(gold_hits)), 4) if gold_hits else None,
        "n_with_reference": len(recalls),
        "courtesy_rate": round(courteous / greetings, 4) if greetings else None,
        # answered share per kind in scope; abstained share for out-of-scope kinds
        "by_kind": {k: round(float(np.mean(v)), 4) for k, v in sorted(by_kind.items()) if len(by_kind) > 1},
        "latency_s_p50": pct(totals, 50),
        "latency_s_p95": pct(totals, 95),
        "ttft_s_p50": pct(ttft, 50),
        "ttft_s_p95": pct(ttft, 95),
        "energy_wh_per_answer": round(float(np.mean(energy)), 6) if energy else 0.0,
        "carbon_g_per_answer": round(float(np.mean(carbon)), 6) if carbon else 0.0,
        "model": answerer.model_name,
    }
