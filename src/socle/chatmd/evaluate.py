"""Measure question → response matching on a question set, against ChatMD's own matching.

A question set is JSONL, one ``{"file", "question", "expected"}`` per line: ``expected`` is
the title of the response that answers, or null for a question the chatbot should not
answer (then the right outcome is the fallback). Each chatbot file is parsed once and
matched with :class:`ChatmdMatcher`, whose decision is counted as right, choices (« Vouliez-vous
dire… » with the right response among them), wrong or fallback; the baseline is ChatMD's
keyword scoring (:func:`chatmd_keyword_match`), which answers whenever any response scores
above 0.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from socle.chatmd.match import ChatmdMatcher
from socle.chatmd.model import Chatbot
from socle.chatmd.parse import parse_chatmd
from socle.embed import Embedder
from socle.embed.cache import CachedEmbedder
from socle.rerank import Reranker


@dataclass
class Tally:
    """Outcomes of a set of questions. An in-scope question is *right* (its response shown),
    *choices* (« Vouliez-vous dire… » offering its response among 2-3), *wrong* (another
    response shown, or choices without its response) or *fallback* (refused). An off-topic
    question should get the fallback."""

    in_scope: int = 0
    right: int = 0
    choices: int = 0  # choices offered, right response among them
    choices_wrong: int = 0  # choices offered, right response not among them (counted in wrong)
    wrong: int = 0
    fallback: int = 0
    top1: int = 0  # right response ranked first, whatever the decision
    baseline_correct: int = 0
    out_of_scope: int = 0
    off_fallback: int = 0
    off_choices: int = 0
    baseline_abstained: int = 0

    def add(self, other: Tally) -> None:
        for name in vars(self):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def as_dict(self) -> dict[str, Any]:
        def ratio(a: int, b: int) -> float | None:
            return round(a / b, 3) if b else None

        offered = self.choices + self.choices_wrong
        return {
            **vars(self),
            "right_rate": ratio(self.right, self.in_scope),
            "choices_rate": ratio(self.choices, self.in_scope),
            "wrong_rate": ratio(self.wrong, self.in_scope),
            "fallback_rate": ratio(self.fallback, self.in_scope),
            "top1_rate": ratio(self.top1, self.in_scope),
            "choices_offered_rate": ratio(offered + self.off_choices, self.in_scope + self.out_of_scope),
            "baseline_accuracy": ratio(self.baseline_correct, self.in_scope),
            "off_topic_fallback_rate": ratio(self.off_fallback, self.out_of_scope),
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
    *,
    reranker: Reranker | None = None,
) -> MatchingReport:
    """Match every question with Socle and with ChatMD's baseline; count the outcomes."""
    report = MatchingReport()
    matchers: dict[str, ChatmdMatcher] = {}
    embedder = _with_query_cache(embedder)
    for row in questions:
        name, question, expected = row["file"], row["question"], row.get("expected")
        if name not in matchers:
            matchers[name] = ChatmdMatcher(load(name), embedder, reranker=reranker)
        matcher = matchers[name]
        tally = report.per_file.setdefault(name, Tally())
        ranked = matcher.rank(question)
        decision = matcher.decide(question, ranked)
        base = matcher.baseline(question)
        shown = decision.best.response.title if decision.kind == "response" and decision.best else None
        top1 = ranked[0].response.title if ranked else None
        base_got = matcher.chatbot.responses[base.index].title if base.index is not None else None
        one = Tally()
        if expected is None:
            one.out_of_scope = 1
            one.off_fallback = int(decision.kind == "fallback")
            one.off_choices = int(decision.kind == "choices")
            one.baseline_abstained = int(base_got is None)
        else:
            one.in_scope = 1
            one.top1 = int(top1 == expected)
            one.baseline_correct = int(base_got == expected)
            if decision.kind == "response":
                one.right = int(shown == expected)
                one.wrong = int(shown != expected)
            elif decision.kind == "choices":
                one.choices = int(expected in decision.titles)
                one.choices_wrong = one.wrong = int(expected not in decision.titles)
            else:
                one.fallback = 1
        tally.add(one)
        report.total.add(one)
        report.details.append(
            {
                "file": name,
                "question": question,
                "expected": expected,
                "decision": decision.kind,
                "socle": shown,
                "choices": decision.titles,
                "socle_top1": top1,
                "margin": round(decision.margin, 3) if decision.margin != float("inf") else None,
                "similarity": round(max(m.similarity for m in ranked), 3) if ranked else None,
                "chatmd": base_got,
            }
        )
    return report


class _QueryCached:
    """An evaluation's embedder: its questions' vectors kept in the embedding cache too, so
    that a second run embeds nothing. (The service never writes users' questions there.)"""

    def __init__(self, inner: CachedEmbedder) -> None:
        self.inner = inner

    def __getattr__(self, attribute: str) -> object:
        return getattr(self.inner, attribute)

    @property
    def name(self) -> str:
        return self.inner.name

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self.inner.embed_passages(texts)

    def embed_query(self, text: str) -> np.ndarray:
        try:
            (found,) = self.inner.cache.get(self.name, QUERY_KIND, [text])
        except sqlite3.Error:
            found = None
        if found is not None:
            return np.asarray(found, dtype=np.float32)
        vector = self.inner.embed_query(text)
        with contextlib.suppress(sqlite3.Error):
            self.inner.cache.put(self.name, QUERY_KIND, [text], vector[None, :])
        return vector


QUERY_KIND = "eval-query"


def _with_query_cache(embedder: Embedder | None) -> Embedder | None:
    return _QueryCached(embedder) if isinstance(embedder, CachedEmbedder) else embedder


def load_from(folder: Path) -> Callable[[str], Chatbot]:
    """A loader that parses ``folder / name`` (names as written in the question set)."""

    def load(name: str) -> Chatbot:
        return parse_chatmd((folder / name).read_text(encoding="utf-8"))

    return load
