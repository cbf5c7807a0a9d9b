"""Measure question → response matching on a question set, against ChatMD's own matching.

A question set is JSONL, one ``{"file", "question", "expected"}`` per line: ``expected`` is
the title of the response that answers, or null for a question the chatbot should not
answer (then the right outcome is "no response"). Each chatbot file is parsed once and
matched with :class:`ChatmdMatcher`; the baseline is ChatMD's keyword scoring
(:func:`chatmd_keyword_match`), which answers whenever any response scores above 0.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from socle.chatmd.match import ChatmdMatcher
from socle.chatmd.model import Chatbot
from socle.chatmd.parse import parse_chatmd
from socle.embed import Embedder


@dataclass
class Tally:
    in_scope: int = 0
    socle_correct: int = 0  # right response returned (a refusal counts as wrong)
    socle_top1: int = 0  # right response ranked first, whatever the threshold
    baseline_correct: int = 0
    out_of_scope: int = 0
    socle_abstained: int = 0
    baseline_abstained: int = 0

    def add(self, other: Tally) -> None:
        for name in vars(self):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def as_dict(self) -> dict[str, Any]:
        def ratio(a: int, b: int) -> float | None:
            return round(a / b, 3) if b else None

        return {
            **vars(self),
            "socle_accuracy": ratio(self.socle_correct, self.in_scope),
            "socle_top1_accuracy": ratio(self.socle_top1, self.in_scope),
            "baseline_accuracy": ratio(self.baseline_correct, self.in_scope),
            "socle_abstention": ratio(self.socle_abstained, self.out_of_scope),
            "baseline_abstention": ratio(self.baseline_abstained, self.out_of_scope),
        }


@dataclass
class MatchingReport:
    total: Tally = field(default_factory=Tally)
    per_file: dict[str, Tally] = field(default_factory=dict)
    details: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "total": self.total.as_dict(),
            "per_file": {name: t.as_dict() for name, t in self.per_file.items()},
            "details": self.details,
        }


def read_questions(path: Path) -> list[dict[str, Any]]:
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            row = json.loads(line)
            if "question" not in row or "file" not in row:
                raise ValueError(f"{path}:{number}: « file » et « question » sont requis")
            rows.append(row)
    return rows


def evaluate_matching(
    questions: Iterable[dict[str, Any]],
    load: Callable[[str], Chatbot],
    embedder: Embedder | None,
) -> MatchingReport:
    """Match every question with Socle and with ChatMD's baseline; count who is right."""
    report = MatchingReport()
    matchers: dict[str, ChatmdMatcher] = {}
    for row in questions:
        name, question, expected = row["file"], row["question"], row.get("expected")
        if name not in matchers:
            matchers[name] = ChatmdMatcher(load(name), embedder)
        matcher = matchers[name]
        tally = report.per_file.setdefault(name, Tally())
        ranked = matcher.rank(question)
        best = matcher.match(question)
        base = matcher.baseline(question)
        got = best.response.title if best else None
        top1 = ranked[0].response.title if ranked else None
        base_got = matcher.chatbot.responses[base.index].title if base.index is not None else None
        one = Tally()
        if expected is None:
            one.out_of_scope = 1
            one.socle_abstained = int(got is None)
            one.baseline_abstained = int(base_got is None)
        else:
            one.in_scope = 1
            one.socle_correct = int(got == expected)
            one.socle_top1 = int(top1 == expected)
            one.baseline_correct = int(base_got == expected)
        tally.add(one)
        report.total.add(one)
        report.details.append(
            {
                "file": name,
                "question": question,
                "expected": expected,
                "socle": got,
                "socle_top1": top1,
                "similarity": round(ranked[0].similarity, 3) if ranked else None,
                "chatmd": base_got,
            }
        )
    return report


def load_from(folder: Path) -> Callable[[str], Chatbot]:
    """A loader that parses ``folder / name`` (names as written in the question set)."""

    def load(name: str) -> Chatbot:
        return parse_chatmd((folder / name).read_text(encoding="utf-8"))

    return load
