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
ranks them (:class:`Weights`). The dense similarities mix the whole question with its
subject words (:func:`socle.chatmd.intent.question_core`), so that « combien de temps… »
is not drawn to every response about a duration. A keyword of the response, its title or
the label of a button leading to it found in the question (whole words, accents and case
ignored) adds a bonus; a negative keyword (``! mot``) found removes the response. A
navigation screen (:mod:`socle.chatmd.structure`: mostly buttons, little text of its own)
loses a little unless the question asks for a menu. Without an embedder, only the lexical
signals are used. With a reranker (a cross-encoder, :mod:`socle.rerank`), the best
:data:`RERANK_RESPONSES` responses are then reordered by its score of (question, title +
keywords + text).

:meth:`ChatmdMatcher.decide` then says what to show: the best response; the best two or
three as choices (« Vouliez-vous dire… ») when their scores are closer than
:data:`DEFAULT_CHOICE_MARGIN` and no author's keyword settles it; or the fallback when the
question is not close enough to the chatbot (no keyword, and a best dense similarity under
the chatbot's background, that of everyday questions unrelated to it — :data:`GENERIC_QUESTIONS`):
the caller then answers from the collection or gives the chatbot's default message.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from socle.analysis import analyse
from socle.bm25 import BM25Index
from socle.chatmd._js import normalize_text
from socle.chatmd.baseline import BaselineMatch, ChatmdKeywordMatcher, chatmd_keyword_match
from socle.chatmd.intent import asks_for_menu, intent_only, question_core
from socle.chatmd.model import Chatbot, Response
from socle.chatmd.structure import ResponseProfile, profiles
from socle.embed import Embedder
from socle.rerank import Reranker

__all__ = [
    "DEFAULT_CHOICE_MARGIN",
    "DEFAULT_MIN_SIMILARITY",
    "DEFAULT_WEIGHTS",
    "ChatmdDecision",
    "ChatmdMatch",
    "ChatmdMatcher",
    "Observation",
    "Weights",
    "chatmd_keyword_match",
    "plain_text",
]


@dataclass(frozen=True)
class Weights:
    """How the signals are fused. Chosen on both question sets (tests/data/chatmd/questions.jsonl
    and heldout2/, 10 real chatbots, 287 questions; ``benchmarks/chatmd_matching.py``): every
    variant of the structural signals lands within ±3 questions of the plain fusion of issue 9
    (the embedder is the limit), so the defaults keep the variants that did not lose on either
    set — subject words in the dense similarity, a mild navigation penalty — and leave out the
    short-description signal (it lost on the second set and costs one embedding per field)."""

    dense: float = 1.0  # the whole response (title, keywords, text)
    sentences: float = 1.0  # its best sentence
    fields: float = 0.0  # its best short description: title, heading, keyword or incoming label
    lexical: float = 0.5  # BM25 over title, headings, keywords, incoming labels and text
    # Share of the question's subject words (question_core) in each dense similarity; the
    # rest is the whole question's.
    core: float = 0.25
    keyword: float = 1.0  # per keyword (or title, incoming label) of the response found in the question
    navigation: float = 0.5  # taken from a navigation screen unless the question asks for a menu


DEFAULT_WEIGHTS = Weights()
# Below this margin between the best two responses (standard deviations), the matcher is
# unsure: it offers the best ones as choices (« Vouliez-vous dire… »). Calibrated on both
# question sets so that they are offered for at most 10 % of the questions of each (2.9 % and
# 9.9 %).
DEFAULT_CHOICE_MARGIN = 0.1
MAX_CHOICES = 3
# A question is taken as outside the chatbot (no keyword found) when its best cosine
# similarity with the responses stays under the chatbot's *background*: the mean best
# similarity of everyday questions about nothing a chatbot of teachers or public services
# deals with (:data:`GENERIC_QUESTIONS`). With multilingual-e5, every text is 0.8 close to
# every other, and how close depends on the chatbot (0.82 to 0.85 on the question sets), so a
# fixed threshold cannot tell off-topic questions on every chatbot; DEFAULT_MIN_SIMILARITY is
# only the floor.
DEFAULT_MIN_SIMILARITY = 0.81
GENERIC_QUESTIONS = (
    "Quel temps fera-t-il demain ?",
    "Donne-moi une recette de gâteau au chocolat.",
    "Qui a gagné le match de football hier soir ?",
    "À quelle heure part le prochain train pour Paris ?",
    "Quel est le meilleur restaurant du quartier ?",
    "Quel est le cours de l'euro aujourd'hui ?",
    "Raconte-moi une blague.",
    "Quels films sortent au cinéma cette semaine ?",
    "Comment soigner un rhume ?",
    "Où acheter une voiture d'occasion ?",
    "Quelle est la capitale de l'Australie ?",
    "Comment faire pousser des tomates ?",
    "Combien coûte un abonnement de téléphone ?",
    "bonjour ça va ?",
    "Je cherche un plombier pour une fuite d'eau.",
    "Quelles sont les paroles de la Marseillaise ?",
)
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
    # the response's keywords, title or incoming button labels found in the question
    keywords: list[str] = field(default_factory=list)
    signals: dict[str, float] = field(default_factory=dict)
    navigation: bool = False  # a screen of buttons with little content of its own


@dataclass
class ChatmdDecision:
    """What to show for a question.

    ``kind`` is ``"response"`` (``best`` is the answer), ``"choices"`` (the best two or
    three responses were too close to decide: ``choices`` are offered as buttons, « Vouliez-vous
    dire… ») or ``"fallback"`` (the question seems outside the chatbot)."""

    kind: Literal["response", "choices", "fallback"]
    best: ChatmdMatch | None
    choices: list[ChatmdMatch] = field(default_factory=list)
    margin: float = 0.0  # fused score of the best minus the second (standard deviations)

    @property
    def titles(self) -> list[str]:
        return [m.response.title for m in self.choices]


@dataclass
class Observation:
    """What a question does to every response, before the signals are weighted: computed
    once per question (the embeddings), then fused by :meth:`ChatmdMatcher.ranked`."""

    question: str
    lexical: np.ndarray
    whole: dict[str, np.ndarray]  # dense signals of the whole question
    core: dict[str, np.ndarray]  # ...and of its subject words (question_core)
    similarity: np.ndarray  # best cosine of the whole question with each response
    found: list[list[str]]  # keywords, title or incoming labels of each response found in it
    excluded: list[bool]  # a negative keyword of the response is in the question
    menu: bool  # the question asks for a list of choices


class ChatmdMatcher:
    """Finds the response of a chatbot that answers a question.

    Build it once per version of the chatbot (it reads the responses and embeds them:
    about one passage per response, its headings, keywords and incoming button labels,
    plus up to 12 sentences each, 3,000 in all); :meth:`rank` is then a few milliseconds
    plus two query embeddings.
    """

    def __init__(
        self,
        chatbot: Chatbot,
        embedder: Embedder | None = None,
        *,
        min_similarity: float = DEFAULT_MIN_SIMILARITY,
        choice_margin: float = DEFAULT_CHOICE_MARGIN,
        reranker: Reranker | None = None,
        weights: Weights = DEFAULT_WEIGHTS,
    ) -> None:
        self.chatbot = chatbot
        self.weights = weights
        self.embedder = embedder
        self.reranker = reranker
        self.min_similarity = min_similarity
        self.choice_margin = choice_margin
        responses = chatbot.responses
        self.profiles: list[ResponseProfile] = profiles(chatbot)
        self._fields = [
            _unique([r.title, *p.headings, *r.positive_keywords, *p.incoming])
            for r, p in zip(responses, self.profiles, strict=True)
        ]
        # ChatMD counts the title as a keyword too (once, if it is also a keyword).
        # The labels of the buttons leading to a response count as its keywords: the author
        # wrote them as the user asks. A keyword made of intent words only (« comment »,
        # « pourquoi ») says nothing of the subject: it does not count as found.
        self._positive = [
            [(k, p) for k, p in _phrases([*r.positive_keywords, r.title, *prof.incoming]) if not intent_only(k)]
            for r, prof in zip(responses, self.profiles, strict=True)
        ]
        self._negative = [[p for k in r.negative_keywords if (p := _phrase_pattern(k)) is not None] for r in responses]

        self._vocab: dict[str, int] = {}
        rows = []
        for r, fields in zip(responses, self._fields, strict=True):
            terms = analyse(r.title) * 2 + analyse(" ".join(fields[1:])) * 2 + analyse(plain_text(r.content))
            rows.append(np.array([self._vocab.setdefault(t, len(self._vocab)) for t in terms], dtype=np.int64))
        self._bm25 = BM25Index.build(rows)

        self._doc_vectors: np.ndarray | None = None
        self.background = 0.0  # the chatbot's background similarity (see GENERIC_QUESTIONS)
        if embedder is not None and responses:
            self._embed_responses(embedder, responses)
            self.background = float(
                np.mean([self._similarity(embedder.embed_query(g)).max() for g in GENERIC_QUESTIONS])
            )

    def _embed_responses(self, embedder: Embedder, responses: Sequence[Response]) -> None:
        self._doc_vectors = embedder.embed_passages([_response_text(r) for r in responses])
        dim = self._doc_vectors.shape[1]
        # Content sentences, with their response's title for context; a response's
        # sentence score is its best sentence's.
        sentence_texts, sentence_owner = [], []
        per_response = min(MAX_SENTENCES, max(1, MAX_SENTENCE_ROWS // len(responses)))
        for i, r in enumerate(responses):
            for s in _sentences(r.content)[:per_response]:
                sentence_texts.append(f"{r.title} : {s}"[:MAX_CHARS])
                sentence_owner.append(i)
        self._sentence_vectors = (
            embedder.embed_passages(sentence_texts) if sentence_texts else np.zeros((0, dim), dtype=np.float32)
        )
        self._sentence_owner = np.array(sentence_owner, dtype=np.int64)
        # The short descriptions of a response (title, headings, keywords, incoming labels),
        # each on its own: a question phrased like one of them finds it.
        # Embedded only when weighed (the default leaves them out: one embedding per field).
        field_texts, field_owner = [], []
        per_response = max(1, MAX_SENTENCE_ROWS // len(responses)) if self.weights.fields else 0
        for i, fields in enumerate(self._fields):
            for f in fields[:per_response]:
                field_texts.append(f[:MAX_CHARS])
                field_owner.append(i)
        self._field_vectors = (
            embedder.embed_passages(field_texts) if field_texts else np.zeros((0, dim), dtype=np.float32)
        )
        self._field_owner = np.array(field_owner, dtype=np.int64)

    def _best_per_response(self, similarities: np.ndarray, owner: np.ndarray) -> np.ndarray:
        best = np.full(len(self.chatbot.responses), -1.0, dtype=np.float32)
        if len(owner):
            np.maximum.at(best, owner, similarities)
        return best

    def _similarity(self, q: np.ndarray) -> np.ndarray:
        """Best cosine of a question's vector with each response (whole, or a sentence)."""
        assert self._doc_vectors is not None
        sentences = self._best_per_response(self._sentence_vectors @ q, self._sentence_owner)
        best: np.ndarray = np.maximum(self._doc_vectors @ q, sentences).astype(np.float64)
        return best

    def _dense(self, q: np.ndarray) -> dict[str, np.ndarray]:
        assert self._doc_vectors is not None
        return {
            "dense": (self._doc_vectors @ q).astype(np.float64),
            "sentences": self._best_per_response(self._sentence_vectors @ q, self._sentence_owner).astype(np.float64),
            "fields": self._best_per_response(self._field_vectors @ q, self._field_owner).astype(np.float64),
        }

    def observe(self, question: str) -> Observation:
        """Every signal's raw value for every response (the question's embeddings included)."""
        n = len(self.chatbot.responses)
        # BM25 keeps the question's intent words (its idf discounts words every response
        # holds; leaving them out lost 1-2 points on both question sets): the dense signals
        # weigh the subject words instead (question_core).
        terms = [self._vocab[t] for t in analyse(question) if t in self._vocab]
        whole: dict[str, np.ndarray] = {}
        core: dict[str, np.ndarray] = {}
        similarity = np.zeros(n)
        if self.embedder is not None and self._doc_vectors is not None:
            whole = self._dense(self.embedder.embed_query(question))
            core_text = question_core(question)
            core = whole if core_text == question.strip() else self._dense(self.embedder.embed_query(core_text))
            similarity = np.maximum(whole["dense"], whole["sentences"])
        normalised = normalize_text(question)
        return Observation(
            question=question,
            lexical=self._bm25.scores(terms).astype(np.float64),
            whole=whole,
            core=core,
            similarity=similarity,
            found=[[k for k, p in self._positive[i] if p.search(normalised)] for i in range(n)],
            excluded=[any(p.search(normalised) for p in self._negative[i]) for i in range(n)],
            menu=asks_for_menu(question),
        )

    def rank(self, question: str) -> list[ChatmdMatch]:
        """Every response that the question does not exclude, best first."""
        if not self.chatbot.responses:
            return []
        return self.ranked(self.observe(question))

    def ranked(self, seen: Observation, weights: Weights | None = None) -> list[ChatmdMatch]:
        """The responses ordered by the fusion of the observed signals with ``weights``
        (default: the matcher's), then by the reranker if there is one."""
        w = weights or self.weights
        signals = {"lexical": seen.lexical}
        for name in seen.whole:
            signals[name] = (1 - w.core) * seen.whole[name] + w.core * seen.core[name]
        total = np.zeros(len(self.chatbot.responses), dtype=np.float64)
        for name, values in signals.items():
            total += getattr(w, name) * _standardise(values)
        matches = []
        for i, r in enumerate(self.chatbot.responses):
            if seen.excluded[i]:
                continue
            found = seen.found[i]
            navigation = self.profiles[i].navigation
            score = float(total[i]) + w.keyword * len(found)
            if navigation and not seen.menu and not found:
                score -= w.navigation
            matches.append(
                ChatmdMatch(
                    response=r,
                    index=i,
                    score=score,
                    similarity=float(seen.similarity[i]),
                    keywords=found,
                    signals={name: float(values[i]) for name, values in signals.items()},
                    navigation=navigation,
                )
            )
        matches.sort(key=lambda m: -m.score)
        if self.reranker is not None and len(matches) > 1:
            matches = _rerank(self.reranker, seen.question, matches)
        return matches

    def decide(self, question: str, ranked: list[ChatmdMatch] | None = None) -> ChatmdDecision:
        """The response to show, the choices to offer, or the fallback."""
        ranked = self.rank(question) if ranked is None else ranked
        if not ranked:
            return ChatmdDecision("fallback", None)
        best = ranked[0]
        margin = best.score - ranked[1].score if len(ranked) > 1 else float("inf")
        if len(ranked) > 1 and "rerank" in ranked[1].signals:  # the reranker's order: its own margin
            margin = best.signals["rerank"] - ranked[1].signals["rerank"]
        if not best.keywords:
            if self.embedder is None:
                if best.signals.get("lexical", 0.0) <= 0:
                    return ChatmdDecision("fallback", None, margin=margin)
            elif max(m.similarity for m in ranked) < max(self.min_similarity, self.background):
                return ChatmdDecision("fallback", None, margin=margin)
        # A keyword of the author found in the question decides, unless another response's is too.
        sure = margin >= self.choice_margin or (best.keywords and not ranked[1].keywords)
        if sure or len(ranked) < 2:
            return ChatmdDecision("response", best, margin=margin)
        close = [m for m in ranked[:MAX_CHOICES] if best.score - m.score < 2 * self.choice_margin]
        return ChatmdDecision("choices", best, choices=close if len(close) > 1 else ranked[:2], margin=margin)

    def match(self, question: str) -> ChatmdMatch | None:
        """The best response, or None if the question seems outside the chatbot (however
        close the second best is: see :meth:`decide`)."""
        decision = self.decide(question)
        return None if decision.kind == "fallback" else decision.best

    def baseline(self, question: str) -> BaselineMatch:
        """What ChatMD itself would answer (its keyword scoring), for comparison."""
        if not hasattr(self, "_baseline"):
            self._baseline = ChatmdKeywordMatcher(self.chatbot)
        return self._baseline.match(question)


def _unique(texts: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(t.strip() for t in texts if t.strip()))


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
    """What a model reads of a response: its title, keywords and text (no markup). Headings
    and incoming labels are left to BM25 and the keywords: adding them here lost on both
    question sets (docs/chatmd.md)."""
    return (r.title + ". " + ", ".join(r.positive_keywords) + ". " + plain_text(r.content))[:MAX_CHARS]
