"""French lexical analysis for BM25: the same function serves documents and queries.

Lower-case, split on non-letters (so elisions "l'employeur" give "l" + "employeur"),
drop French stop words, reduce to the Snowball French stem, then fold accents so that
"réglement" and "règlement" meet. Stemming runs before folding because the Snowball
French rules are written for accented text.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import Stemmer
from bm25s.stopwords import STOPWORDS_FRENCH

_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)
# Stop words are matched before stemming, on lower-cased, still accented tokens.
_STOPWORDS = frozenset(STOPWORDS_FRENCH) | frozenset(
    {
        "a",
        "à",
        "y",
        "été",
        "être",
        "ça",
        "cela",
        "ceci",
        "celle",
        "celles",
        "celui",
        "ceux",
        "dont",
        "leur",
        "leurs",
        "où",
        "si",
        "tout",
        "tous",
        "toute",
        "toutes",
        "quel",
        "quelle",
        "quels",
        "quelles",
        "comment",
        "est",
        "sont",
        "peut",
        "faut",
        "qu",
        "lorsque",
        "puis",
        "ainsi",
    }
)
_stemmer = Stemmer.Stemmer("french")


def fold_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@lru_cache(maxsize=200_000)
def _stem(token: str) -> str:
    return fold_accents(_stemmer.stemWord(token))


def analyse(text: str) -> list[str]:
    """Index terms of a French text, in order (duplicates kept, for term frequency)."""
    out = []
    for tok in _TOKEN.findall(text.lower()):
        if tok in _STOPWORDS or (len(tok) == 1 and not tok.isdigit()):
            continue
        out.append(_stem(tok))
    return out
