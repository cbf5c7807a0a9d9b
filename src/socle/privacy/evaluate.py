"""Measure the detector on a labelled set: precision, recall and F1 per type, and throughput.

The labelled set is JSONL, one sentence or document a line: ``{"text", "spans": [{"start", "end",
"type"}] or [[start, end, type]], "split": "dev"|"test"}``, with optional ``kind``, ``doc_kind`` and
``domain``: items of the ``"culture"`` domain are detected as a cultural collection would be
(``keep_public_figures=True``). A detection *matches* a labelled span of the same type when it
covers at least half of it (one detection per span). Alongside, ``masked`` is the share of
labelled characters covered by any detection, whatever its type: what actually stays
hidden from the model.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from socle.errors import SocleError
from socle.privacy.analyzer import Detection, Detector

STRUCTURED = ("EMAIL", "TELEPHONE", "NIR", "IBAN", "SIRET")
# The groups reported side by side: structured identifiers, person names, postal addresses.
GROUPS: dict[str, tuple[str, ...]] = {
    "STRUCTURED": STRUCTURED,
    "IDENTIFIANTS": (*STRUCTURED, "BIC", "SIREN", "CNI", "PASSEPORT", "DATE_NAISSANCE", "IMMATRICULATION", "IP"),
    "PERSONNE": ("PERSONNE",),
    "ADRESSE": ("ADRESSE",),
}
# Targets of issue 5: (minimum precision, minimum recall) per group.
TARGETS: dict[str, tuple[float, float]] = {
    "STRUCTURED": (0.95, 0.98),
    "PERSONNE": (0.85, 0.90),
    "ADRESSE": (0.0, 0.85),
}


@dataclass(frozen=True)
class Example:
    id: str
    text: str
    spans: tuple[tuple[int, int, str], ...]
    split: str
    domain: str = "general"
    doc_kind: str = ""


@dataclass
class Scores:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
            "support": self.tp + self.fn,
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
        }


@dataclass
class Report:
    split: str
    sentences: int
    by_type: dict[str, Scores] = field(default_factory=dict)
    overall: Scores = field(default_factory=Scores)
    structured: Scores = field(default_factory=Scores)
    masked_chars: int = 0
    labelled_chars: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)

    @property
    def masked(self) -> float:
        return self.masked_chars / self.labelled_chars if self.labelled_chars else 1.0

    def group(self, name: str) -> Scores:
        if name == "STRUCTURED":
            return self.structured
        total = Scores()
        for t in GROUPS.get(name, (name,)):
            s = self.by_type.get(t, Scores())
            total.tp, total.fp, total.fn = total.tp + s.tp, total.fp + s.fp, total.fn + s.fn
        return total

    def failed_targets(self) -> list[str]:
        """Targets of issue 5 this report misses (empty when all are met)."""
        failed = []
        for name, (min_p, min_r) in TARGETS.items():
            s = self.group(name)
            if s.precision < min_p or s.recall < min_r:
                failed.append(f"{name}: P {s.precision:.3f} (≥ {min_p}), R {s.recall:.3f} (≥ {min_r})")
        return failed

    def as_dict(self) -> dict[str, Any]:
        return {
            "split": self.split,
            "sentences": self.sentences,
            "overall": self.overall.as_dict(),
            "structured": self.structured.as_dict(),
            "masked_characters": round(self.masked, 4),
            "groups": {name: self.group(name).as_dict() for name in GROUPS},
            "by_type": {t: s.as_dict() for t, s in sorted(self.by_type.items())},
        }


def load_examples(path: Path) -> list[Example]:
    if not path.exists():
        raise SocleError(f"Jeu d'évaluation introuvable : {path} (indiquez-le avec --data).")
    examples = []
    with path.open(encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                spans = tuple(
                    (int(s[0]), int(s[1]), str(s[2]))
                    if isinstance(s, list)
                    else (int(s["start"]), int(s["end"]), str(s["type"]))
                    for s in row.get("spans", [])
                )
                examples.append(
                    Example(
                        str(row.get("id", n)),
                        row["text"],
                        spans,
                        str(row.get("split", "all")),
                        str(row.get("domain") or "general"),
                        str(row.get("doc_kind") or ""),
                    )
                )
            except (ValueError, KeyError, TypeError) as exc:
                raise SocleError(f"{path}, ligne {n} : exemple invalide ({exc}).") from exc
    return examples


def _match(gold: Sequence[tuple[int, int, str]], found: Sequence[Detection]) -> tuple[list[bool], list[bool]]:
    """Which gold spans and which detections are matched (same type, at least half the gold span covered)."""
    gold_hit = [False] * len(gold)
    found_hit = [False] * len(found)
    for gi, (gs, ge, gt) in enumerate(gold):
        best, best_overlap = -1, 0
        for fi, d in enumerate(found):
            if found_hit[fi] or d.type != gt:
                continue
            overlap = min(ge, d.end) - max(gs, d.start)
            if overlap * 2 >= ge - gs and overlap > best_overlap:
                best, best_overlap = fi, overlap
        if best >= 0:
            gold_hit[gi] = True
            found_hit[best] = True
    return gold_hit, found_hit


def score(examples: Sequence[Example], detections: Sequence[Sequence[Detection]], split: str) -> Report:
    report = Report(split=split, sentences=len(examples))
    for ex, found in zip(examples, detections, strict=True):
        gold_hit, found_hit = _match(ex.spans, found)
        for (gs, ge, gt), hit in zip(ex.spans, gold_hit, strict=True):
            scores = report.by_type.setdefault(gt, Scores())
            if hit:
                scores.tp += 1
            else:
                scores.fn += 1
                report.errors.append({"id": ex.id, "kind": "missed", "type": gt, "text": ex.text[gs:ge]})
            report.labelled_chars += ge - gs
            report.masked_chars += sum(1 for i in range(gs, ge) if any(d.start <= i < d.end for d in found))
        for d, hit in zip(found, found_hit, strict=True):
            if not hit:
                report.by_type.setdefault(d.type, Scores()).fp += 1
                report.errors.append({"id": ex.id, "kind": "spurious", "type": d.type, "text": d.text})
    for t, s in report.by_type.items():
        for target in (report.overall, *((report.structured,) if t in STRUCTURED else ())):
            target.tp += s.tp
            target.fp += s.fp
            target.fn += s.fn
    return report


@dataclass(frozen=True)
class Evaluation:
    reports: dict[str, Report]
    characters: int
    seconds: float
    ner_share: float  # share of characters the NER had to read

    @property
    def chars_per_second(self) -> float:
        return self.characters / self.seconds if self.seconds else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "throughput_chars_per_s": round(self.chars_per_second),
            "characters": self.characters,
            "seconds": round(self.seconds, 3),
            "ner_share": round(self.ner_share, 3),
            "splits": {name: r.as_dict() for name, r in self.reports.items()},
        }


def evaluate(
    examples: Sequence[Example], detector: Detector, splits: Iterable[str] = ("dev", "test", "all")
) -> Evaluation:
    """Score ``detector`` on each split (``all`` = every example) and time it over the whole set."""
    texts = [ex.text for ex in examples]
    detector.detect("Échauffement : M. Dupont.")  # first call pays for lazy initialisation
    before = detector.nlp_engine.ner_characters
    culture = [i for i, ex in enumerate(examples) if ex.domain == "culture"]
    general = [i for i, ex in enumerate(examples) if ex.domain != "culture"]
    found: list[list[Detection]] = [[] for _ in examples]
    t0 = time.perf_counter()
    for indices, keep in ((general, False), (culture, True)):
        if indices:
            batch = detector.detect_many([texts[i] for i in indices], keep_public_figures=keep)
            for i, detections in zip(indices, batch, strict=True):
                found[i] = detections
    seconds = time.perf_counter() - t0
    characters = sum(len(t) for t in texts)
    ner_share = (detector.nlp_engine.ner_characters - before) / characters if characters else 0.0
    reports = {}
    for split in splits:
        chosen = [i for i, ex in enumerate(examples) if split == "all" or ex.split == split]
        if chosen:
            reports[split] = score([examples[i] for i in chosen], [found[i] for i in chosen], split)
    return Evaluation(reports, characters, seconds, ner_share)


def measure_throughput(texts: Sequence[str], detector: Detector, repeat: int = 1) -> tuple[int, float]:
    """(characters, seconds) to detect personal data in ``texts``, ``repeat`` times."""
    detector.detect("Échauffement : M. Dupont.")
    t0 = time.perf_counter()
    for _ in range(repeat):
        detector.detect_many(texts)
    return sum(len(t) for t in texts) * repeat, time.perf_counter() - t0


def type_counts(examples: Iterable[Example]) -> Counter[str]:
    return Counter(t for ex in examples for _s, _e, t in ex.spans)


__all__ = [
    "GROUPS",
    "STRUCTURED",
    "TARGETS",
    "Evaluation",
    "Example",
    "Report",
    "Scores",
    "evaluate",
    "load_examples",
    "measure_throughput",
    "score",
    "type_counts",
]
