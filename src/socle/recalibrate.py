"""Recalibrate one assistant's thresholds from its own questions (``socle calibrate``).

The confidence model (:mod:`socle.confidence`) is fitted once, on several kinds of
questions; an assistant's users may still word things their own way. Its example questions
and the questions of answers its users rated useful are questions it should answer; a
shipped list of off-topic questions (``socle/data/off_topic_fr.txt``, minus those close to
its own examples) and the questions of answers rated not useful are questions it should not
answer with confidence. :func:`socle.confidence.calibrate` turns their confidences into the
assistant's two thresholds, stored in its settings (``threshold``, ``possible_threshold``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import numpy as np

from socle import confidence as conf_model
from socle.answer import Answerer
from socle.errors import NotFoundError, SocleError
from socle.store.records import Assistant

SIMILAR_TO_EXAMPLE = 0.9  # an off-topic question this close to an example is not off-topic here


def off_topic_questions() -> list[str]:
    text = resources.files("socle").joinpath("data/off_topic_fr.txt").read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]


@dataclass
class Calibration:
    assistant: str
    before: conf_model.Thresholds
    after: conf_model.Thresholds
    note: str
    in_scope: list[tuple[str, float]] = field(default_factory=list)  # (question, confidence)
    out_of_scope: list[tuple[str, float]] = field(default_factory=list)

    def rates(self, t: conf_model.Thresholds) -> dict[str, float]:
        ins = np.array([c for _, c in self.in_scope]) if self.in_scope else np.zeros(0)
        outs = np.array([c for _, c in self.out_of_scope]) if self.out_of_scope else np.zeros(0)
        return {
            "in_scope_answered": round(float((ins >= t.possible).mean()), 3) if len(ins) else 0.0,
            "in_scope_confident": round(float((ins >= t.answer).mean()), 3) if len(ins) else 0.0,
            "out_of_scope_abstained": round(float((outs < t.possible).mean()), 3) if len(outs) else 0.0,
        }

    def as_dict(self) -> dict[str, Any]:
        return {
            "assistant": self.assistant,
            "before": {"threshold": self.before.answer, "possible_threshold": self.before.possible}
            | self.rates(self.before),
            "after": {"threshold": self.after.answer, "possible_threshold": self.after.possible}
            | self.rates(self.after),
            "note": self.note,
            "n_in_scope": len(self.in_scope),
            "n_out_of_scope": len(self.out_of_scope),
        }


def rated_questions(store: Any, assistant: str) -> tuple[list[str], list[str]]:
    """Questions of this assistant's answers rated useful, and rated not useful."""
    useful: list[str] = []
    not_useful: list[str] = []
    for row in store.feedback():
        answer = store.answer(int(row["answer_id"]))
        if not answer or answer.get("assistant") != assistant or answer.get("abstained"):
            continue
        (useful if int(row["rating"]) > 0 else not_useful).append(str(answer["question"]))
    return useful, not_useful


def calibrate_assistant(
    store: Any, answerer: Answerer, assistant: Assistant, defaults: conf_model.Thresholds
) -> Calibration:
    """Measure the assistant's questions and propose its thresholds (nothing is saved)."""
    useful, not_useful = rated_questions(store, assistant.name)
    positives = list(dict.fromkeys([*assistant.examples, *useful]))
    if not positives:
        raise SocleError(
            f"L'assistant « {assistant.name} » n'a ni exemples de questions ni réponses jugées utiles : "
            "ajoutez des exemples (section « Questions suggérées ») avant de le recalibrer."
        )
    off_topic = off_topic_questions()
    embedder = answerer.embedder
    if embedder is not None:
        examples = np.stack([embedder.embed_query(q) for q in positives])
        kept = []
        for q in off_topic:
            if float((examples @ embedder.embed_query(q)).max()) < SIMILAR_TO_EXAMPLE:
                kept.append(q)
        off_topic = kept
    negatives = list(dict.fromkeys([*off_topic, *(q for q in not_useful if q not in positives)]))

    def level(question: str) -> float:
        return answerer.evidence(assistant.collections, question).confidence

    in_scope = [(q, level(q)) for q in positives]
    out_of_scope = [(q, level(q)) for q in negatives]
    before = conf_model.Thresholds(
        answer=float(assistant.settings.get("threshold", defaults.answer)),
        possible=float(assistant.settings.get("possible_threshold", defaults.possible)),
    )
    after, note = conf_model.calibrate([c for _, c in in_scope], [c for _, c in out_of_scope], default=defaults)
    return Calibration(assistant.name, before, after, note, in_scope, out_of_scope)


def save(store: Any, name: str, calibration: Calibration) -> Assistant:
    found = store.get_assistant(name)
    if found is None:
        raise NotFoundError(f"L'assistant « {name} » n'existe pas.")
    found.settings = found.settings | {
        "threshold": calibration.after.answer,
        "possible_threshold": calibration.after.possible,
        "calibration": {
            "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "n_in_scope": len(calibration.in_scope),
            "n_out_of_scope": len(calibration.out_of_scope),
            "note": calibration.note,
        },
    }
    saved: Assistant = store.put_assistant(found)
    return saved
