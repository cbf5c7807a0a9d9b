"""French keyphrases of a document with YAKE: statistical, unsupervised, no model to load.

YAKE scores candidate n-grams (up to three words) from features of the text itself: casing,
position of the first occurrence, frequency, spread over sentences, variety of the words
around them. Lower is better. Socle runs it on the title and the beginning of the text and
cleans the list, since the raw output repeats itself and keeps administrative filler:

- a candidate whose French stems (:func:`socle.analysis.analyse`) are those of a better one,
  or a subset of them, is dropped ("congés annuels" hides "congé annuel" and "congés");
- generic words of administrative prose ("vous", "cas", "article") and frequent verb forms
  are added to YAKE's stop words, elisions ("l'", "qu'") are removed before extraction, and
  candidates made of digits or single letters are dropped;
- single words need a three times better score than phrases (a phrase says more about a document).

The score returned is the relevance relative to the best phrase of the document
(1.0 for the best one), so that scores read the same from one document to the next.
"""

from __future__ import annotations

import re
import threading
from functools import lru_cache
from typing import Any

from socle.analysis import analyse

# YAKE is pure Python and linear in the text length: the beginning of a long document
# (where titles, summaries and the main subject are) is enough to say what it is about.
MAX_CHARS = 20_000
MAX_WORDS_PER_PHRASE = 3
_CANDIDATES_PER_PHRASE = 4  # YAKE candidates fetched per phrase wanted, before cleaning

# Added to YAKE's French stop words (which mark the boundaries of candidate phrases):
# words that administrative French repeats everywhere without saying what a document is
# about, and frequent verb forms (YAKE has no part-of-speech tagger, and a POS model would
# cost more than the rest of ingestion).
_EXTRA_STOPWORDS = frozenset(
    """
    vous votre vos nous notre nos cas article articles alinéa page pages site exemple etc notamment
    possible possibilité question questions réponse information informations demande type partie
    ensemble fois lieu suite moment objet effet manière façon attention ci-dessus ci-dessous
    ci-après voir faire être avoir doit doivent peut peuvent pouvez devez permet permettent plus
    moins très également afin lors dès selon auprès compter présent présente présents présentes
    applique appliquent s'applique fixe fixent rend rendent prévoit prévoient concerne concernent
    propose proposent proposé proposée proposés proposées dispose disposent bénéficie bénéficient
    précise précisent indique indiquent définit définissent relève relèvent vise visent porte
    portent comprend comprennent figure figurent reste restent sert servent agit s'agit nécessaire
    certain certaine certains certaines cadre titre fin sein biais autre autres même mêmes tel
    ici alors dit dite dits dites concernant suivant suivante via
    telle tels telles quelque quelques chaque toute toutes tout tous non oui
    """.split()  # noqa: SIM905 - a word list reads better as text
)
_ELISION = re.compile(r"\b(?:[cdjlmnst]|qu|jusqu|lorsqu|puisqu)['’](?=\w)", re.IGNORECASE)
# A blank line ends a block: YAKE's sentence splitter must see it as a sentence end, or
# a title and the first words of the next paragraph become one "phrase".
_UNPUNCTUATED_BREAK = re.compile(r"(?<![.!?:;…])\n\n")
# YAKE ranks single words as high as phrases; a phrase says more about a document.
_SINGLE_WORD_PENALTY = 3.0

_lock = threading.Lock()


@lru_cache(maxsize=4)
def _extractor(top: int) -> Any:
    import yake

    stopwords = yake.KeywordExtractor(lan="fr").stopword_set | _EXTRA_STOPWORDS
    return yake.KeywordExtractor(lan="fr", n=MAX_WORDS_PER_PHRASE, top=top, stopwords=stopwords)


def _is_noise(phrase: str) -> bool:
    letters = sum(c.isalpha() for c in phrase)
    if letters < 3 or (any(c.isdigit() for c in phrase) and letters < len(phrase) / 2):
        return True
    # Second person plural verbs ("contactez", "pourrez"): help pages address the reader.
    return any(len(w) > 4 and w.lower().endswith("ez") for w in phrase.split())


def _original(phrase: str, text: str) -> str:
    """The phrase as written in ``text``, elisions included ("pièce d'identité")."""
    words = [re.escape(w) for w in phrase.split()]
    pattern = r"\s+(?:(?:[cdjlmnst]|qu|jusqu|lorsqu|puisqu)['’])?".join(words)
    found = re.search(r"(?<!\w)" + pattern + r"(?!\w)", text, re.IGNORECASE)
    return found.group(0) if found else phrase


def _surface(phrase: str) -> str:
    """Lower-case a phrase unless it holds an acronym or a proper noun inside."""
    words = phrase.split()
    if any(w.isupper() and len(w) > 1 for w in words) or any(w[:1].isupper() for w in words[1:]):
        return phrase
    return phrase[:1].lower() + phrase[1:]


def keyphrases(text: str, title: str = "", n: int = 8) -> list[tuple[str, float]]:
    """The ``n`` best keyphrases of a French document, best first, with a relevance score in
    (0, 1] (1.0 for the best phrase)."""
    body = text if not title or text.startswith(title) else f"{title}\n\n{text}"
    body = body[:MAX_CHARS]
    plain = _UNPUNCTUATED_BREAK.sub(".\n\n", _ELISION.sub("", body))
    if not body.strip() or n < 1:
        return []
    extractor = _extractor(n * _CANDIDATES_PER_PHRASE)
    with _lock:  # YAKE keeps state on the extractor while it runs
        candidates = extractor.extract_keywords(plain)
    kept: list[tuple[str, float, frozenset[str]]] = []
    ranked = sorted(
        (
            (phrase, float(score) * (_SINGLE_WORD_PENALTY if " " not in phrase.strip() else 1.0))
            for phrase, score in candidates
        ),
        key=lambda c: c[1],
    )
    for phrase, score in ranked:
        phrase = " ".join(phrase.split())
        stems = frozenset(analyse(phrase))
        if not stems or _is_noise(phrase):
            continue
        # Same stems as a better phrase, or part of it, or a better phrase plus a word.
        if any(stems <= other or (len(other) > 1 and other <= stems) for _, _, other in kept):
            continue
        kept.append((_surface(_original(phrase, body)), score, stems))
        if len(kept) == n:
            break
    if not kept:
        return []
    best = max(kept[0][1], 1e-12)
    return [(phrase, round(min(1.0, best / max(score, 1e-12)), 4)) for phrase, score, _ in kept]


__all__ = ["MAX_CHARS", "keyphrases"]
