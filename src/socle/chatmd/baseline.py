"""ChatMD's own answer selection, re-derived, as the baseline Socle's matcher is measured against.

When a user types a question, ChatMD (``findBestResponse`` and its helpers) scores every
response against the question, lower-cased and with French accents folded:

- each keyword, the response title and every title word longer than 4 characters is a
  *keyword*; a keyword found verbatim in the question adds 30 plus a tenth of its length
  (a negative keyword ``! mot`` found subtracts twice as much);
- a keyword not found, if longer than 4 characters (and the question longer than 5),
  adds a *distance* score instead: near matches by Levenshtein distance (< 3) over the
  question's n-grams, plus the weighted length of the longest common substring;
- the distance score only counts for responses with no verbatim match, unless the header
  asks to search the content (``rechercheContenu``), which also adds a cosine similarity
  between weighted character n-gram vectors of the question and of the response;
- synonyms from the header are added to the question first.

The best response is the one with the highest score, if above 0; ChatMD has no other
threshold. Conversation state (the last buttons shown, ``!Next``) is not modelled: every
question is taken on its own, as Socle's matcher does.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from socle.chatmd._js import JS_S, normalize_text, remove_accents, utf16_len
from socle.chatmd.header import Settings, settings_from
from socle.chatmd.model import Chatbot, Response

MATCH_SCORE_IDENTITY = 30
WORD_LENGTH_FACTOR = 0.1
LEVENSHTEIN_THRESHOLD = 3
_PUNCTUATION = re.compile(r",|\.|:|\?|!|\(|\)|\[|\||/\]")
_NEGATIVE_PREFIX = re.compile(r"^!" + JS_S)
_INTERNAL_LINK = re.compile(r"\[(.*?)\]\((#.*?)\)")


def _keywords_of(response: Response) -> list[str]:
    """The keyword list ChatMD tests: keywords, the title, and the title's long words."""
    words = _PUNCTUATION.sub("", response.title)
    for sep in ("/", "-", "'", "’"):
        words = words.replace(sep, " ")
    title_words = [w for w in words.split(" ") if utf16_len(w) > 4]
    return [k.lower() for k in [*response.keywords, response.title, *title_words]]


def _levenshtein_below(a: str, b: str, limit: int) -> bool:
    """levenshtein(a, b) < limit, without computing large distances."""
    if abs(len(a) - len(b)) >= limit:
        return False
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i]
        for j, cb in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1] < limit


def _levenshtein_similarity(question: str, keyword: str) -> float:
    n = len(keyword.split(" "))
    words = question.split(" ")
    similarity = 0.0
    for i in range(len(words) - n + 1):
        ngram = " ".join(words[i : i + n])
        if _levenshtein_below(ngram, keyword, LEVENSHTEIN_THRESHOLD):
            similarity += utf16_len(ngram) * WORD_LENGTH_FACTOR * 3
    return similarity


def _longest_common_substring_weight(question: str, keyword: str) -> float:
    """Weighted length of the first longest common substring (> 4 characters): longer
    and nearer the keyword's start weighs more."""
    n, m = len(question), len(keyword)
    if n == 0 or m == 0:
        return 0.0
    # run[j] for the current i: length of the common run starting at question[i], keyword[j]
    runs = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        qi, row, below = question[i], runs[i], runs[i + 1]
        for j in range(m - 1, -1, -1):
            if qi == keyword[j]:
                row[j] = below[j + 1] + 1
    best_length, best_weight = 0, 0.0
    for i in range(n):
        row = runs[i]
        for j in range(m):
            length = row[j]
            if length > 4 and length > best_length:
                best_length = length
                position = 1 / (1 + (j / m) * 10)
                closeness = 1 / (1 + (m - length))
                best_weight = (length + length * WORD_LENGTH_FACTOR) * position * closeness
    return best_weight


def keyword_score(question: str, keyword: str) -> tuple[float, float]:
    """(match score, distance score) of one keyword for a normalised question."""
    negative = keyword.startswith("! ")
    keyword = normalize_text(_NEGATIVE_PREFIX.sub("", keyword, count=1), keep_case=True)
    if keyword in question:
        sign = -1 if negative else 1
        bonus = MATCH_SCORE_IDENTITY * (2 if negative else 1)
        return sign * (bonus + utf16_len(keyword) * WORD_LENGTH_FACTOR), 0.0
    if utf16_len(question) > 5 and utf16_len(keyword) > 4 and not negative:
        distance = _levenshtein_similarity(question, keyword)
        distance = distance if distance > 1 else 0.0
        return 0.0, distance + _longest_common_substring_weight(question, keyword)
    return 0.0, 0.0


# --- ChatMD's character n-gram vectors (used with rechercheContenu: true) ---------------

_NON_SIGNIFICANT_5 = frozenset(
    [
        "ation",
        "etion",
        "ition",
        "otion",
        "ution",
        "ement",
        "mment",
        "ssant",
        "sante",
        "ments",
        "antes",
        "ourir",
        "endre",
        "isser",
        "ction",
        "tions",
        "aient",
        "erent",
        "irent",
        "euses",
        "elles",
        "iques",
        "ables",
        "pable",
        "ibles",
        "asses",
        "esses",
        "isses",
        "osses",
        "usses",
        "oires",
        "aires",
        "entes",
        "anger",
        "teurs",
        "trice",
    ]
)
_NON_SIGNIFICANT_6 = frozenset(
    [
        "ations",
        "etions",
        "itions",
        "otions",
        "utions",
        "ements",
        "mments",
        "ssants",
        "santes",
        "rement",
        "amment",
        "emment",
        "iquent",
        "issent",
        "assent",
        "ussent",
        "escent",
        "erions",
        "irions",
        "ueuses",
        "eusent",
        "ateurs",
        "atrice",
        "trices",
        "ctions",
        "ssions",
        "uerait",
    ]
)
_WEIGHTS = (0, 0, 0, 0, 0.4, 0.6, 0.8)
_SPLIT_WORDS = re.compile(JS_S + "|'")


def _weighted_token(index: int, size: int, word: str, title: str | None) -> tuple[str, float] | None:
    weight = 1.0 if size > len(_WEIGHTS) else float(_WEIGHTS[size - 1])
    if index == 0:
        weight += 0.2
    difference = len(word) - size
    if difference > 0:
        weight += 5 / difference
    if difference == 0:
        weight += 5
        token = word
    else:
        token = word[index : index + size]
        if (size == 5 and token in _NON_SIGNIFICANT_5) or (size == 6 and token in _NON_SIGNIFICANT_6):
            return None
    if title is not None and token in title:
        weight += 10
    return token, weight


def text_vector(text: str, title: str | None = None) -> dict[str, float]:
    """ChatMD's createVector: whole words of 5+ letters and their 5-, 6- and 7-letter
    pieces, weighted (longer, word-initial, in the response title: heavier)."""
    words = remove_accents(_PUNCTUATION.sub("", text.lower()).replace("/", " "))
    title = title.lower() if title is not None else None
    vector: dict[str, float] = {}
    for word in (w.strip() for w in _SPLIT_WORDS.split(words)):
        if len(word) < 5:
            continue
        full = _weighted_token(0, len(word), word, title)
        assert full is not None
        vector[word] = vector.get(word, 0.0) + max(5.0, full[1])
        for size in (5, 6, 7):
            for i in range(len(word) - size + 1):
                piece = _weighted_token(i, size, word, title)
                if piece is not None:
                    vector[piece[0]] = vector.get(piece[0], 0.0) + piece[1]
    return vector


def _cosine(a: dict[str, float], b: dict[str, float]) -> float:
    dot = sum(w * b.get(t, 0.0) for t, w in a.items())
    norm = math.sqrt(sum(w * w for w in a.values())) * math.sqrt(sum(w * w for w in b.values()))
    return dot / norm if norm else 0.0


def content_vector(response: Response) -> dict[str, float]:
    """The vector ChatMD precomputes for a response: its title and content lines."""
    lines = [_INTERNAL_LINK.sub(r'<a href="\2">\1</a>', line) for line in response.content.split("\n") if line]
    text = response.title + " " + " ".join(lines).lower()
    return text_vector(text, title=response.title)


def _add_synonyms(question: str, synonyms: Sequence[str]) -> str:
    normalised = question
    words = _PUNCTUATION.sub("", question).replace("/", " ").split(" ")
    for word in words:
        for line in synonyms:
            group = [normalize_text(s) for s in line.split(",")]
            if word in group:
                question += " " + " ".join(s for s in group if s != word)
                break
            for phrase in (s for s in group if len(s.strip().split(" ")) > 1):
                if phrase in normalised:
                    question += " " + " ".join(s for s in group if s != phrase)
                    break
    return question


@dataclass
class BaselineMatch:
    index: int | None  # index in chatbot.responses, None if no response scored above 0
    score: float
    scores: list[float]  # every response's score


class ChatmdKeywordMatcher:
    """ChatMD's scoring with the response vectors computed once."""

    def __init__(self, chatbot: Chatbot, settings: Settings | None = None) -> None:
        self.chatbot = chatbot
        self.settings = settings or settings_from(chatbot.options)
        self._keywords = [_keywords_of(r) for r in chatbot.responses]
        self._vectors = [content_vector(r) for r in chatbot.responses] if self.settings.search_in_content else []

    def response_scores(self, question: str) -> list[float]:
        responses = self.chatbot.responses
        if not responses or not responses[0].title:
            return [0.0] * len(responses)
        question = normalize_text(question)
        if self.settings.synonyms:
            question = _add_synonyms(question, self.settings.synonyms)
        search_content = self.settings.search_in_content
        question_vector = text_vector(question) if search_content else {}
        scores = []
        for i in range(len(responses)):
            match = 0.0
            if search_content:
                cosine = _cosine(question_vector, self._vectors[i])
                match = cosine + 0.5 if cosine else 0.0
            distance = 0.0
            for keyword in self._keywords[i]:
                m, d = keyword_score(question, keyword)
                match += m
                distance += d
            if distance < 0:
                match = 0.0
            if (match == 0 or search_content) and distance > 0:
                match += distance
            scores.append(match)
        return scores

    def match(self, question: str) -> BaselineMatch:
        scores = self.response_scores(question)
        best, best_score = None, 0.0
        for i, score in enumerate(scores):
            if score > best_score:
                best, best_score = i, score
        return BaselineMatch(best, best_score, scores)


def chatmd_keyword_match(chatbot: Chatbot, question: str) -> BaselineMatch:
    """The response ChatMD itself would give to a typed ``question`` (its index), and its score."""
    return ChatmdKeywordMatcher(chatbot).match(question)
