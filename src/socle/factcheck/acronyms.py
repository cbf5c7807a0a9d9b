"""Acronyms: "DRH" is "direction des ressources humaines", and the reverse.

An acronym is spelled out by the initials of consecutive content words, the small words
between them left out ("compte épargne-temps" = CET, "commission des droits et de
l'autonomie des personnes handicapées" = CDAPH), or by the words a text defines it with,
the acronym in parentheses after them ("numéro de sécurité sociale (NIR)": the letters
need not match). A claim's acronym is supported when the source spells it out; a claim's
words stand for an acronym of the source when they spell it out, but where the source,
the passage or the context spells or defines it, they must be those words: initials alone
take "Fichier" and "Facebook" alike.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import TYPE_CHECKING

from socle.analysis import fold_accents
from socle.factcheck.lexicon import AUXILIARY_KEYS, PUNCT, key
from socle.factcheck.negation import antonym
from socle.factcheck.quantities import SAME_LENGTH, lower

if TYPE_CHECKING:
    from socle.factcheck.reading import Reading

# A text's words as an acronym sees them: (initial, key) for a content word, "" for a small
# word, None where a run stops (punctuation, brackets, quotes, another acronym).
Mark = tuple[str, str] | str | None

# At most three small words between two content words ("et de l'"), no punctuation, two to
# eight content words; two only when they follow each other ("Union européenne" = UE): two
# initials are too easily met by chance.
_MAX_GAP = 3
_TOKEN = re.compile(r"[^\W_]+|[.,;:!?()\[\]«»\"/]")
_DEFINED = re.compile(r"\(\s*([A-ZÀ-Ý][A-Za-zÀ-ÿ]{1,9})\s*\)")
_WORD = re.compile(r"[^\W_]+|[.,;:!?]")


def candidates(text: str, entities: Sequence[tuple[str, str]]) -> tuple[tuple[str, str | None], ...]:
    """Words that may be acronyms, (folded lower form, key): two capitals or more anywhere
    ("UE", "CNIL"), or a name of three to six letters inside a sentence ("Caf", "Urssaf")."""
    out = {fold_accents(w.lower()): w for w in re.findall(r"[^\W\d_]+", text) if len(w) >= 2 and w.isupper()}
    for folded, written in entities:
        if 3 <= len(written) <= 6 and written.isalpha():
            out.setdefault(folded, written)
    return tuple((folded, key(written.lower())) for folded, written in out.items())


@lru_cache(maxsize=4096)
def _initial(letter: str) -> str:
    return fold_accents(letter)


def marks(text: str) -> tuple[Mark, ...]:
    """The words of a text as written ("prêt à taux zéro" is PTZ, though "zéro" is a
    number), for ``runs``."""
    out: list[Mark] = []
    for m in _TOKEN.finditer(text.translate(SAME_LENGTH)):
        w = m.group()
        if not w[0].isalnum() or (len(w) >= 2 and w.isupper()):
            out.append(None)
            continue
        low = w.lower()
        k = antonym(low) or key(low)
        out.append((_initial(low[0]), k) if k is not None and k not in AUXILIARY_KEYS and low.isalpha() else "")
    return tuple(out)


def runs(reading: Reading, acronym: str) -> tuple[frozenset[str], ...]:
    """The keys of each run of words of a text that spells out an acronym (folded, lower)."""
    if not set(acronym) <= reading.initials:
        return ()
    return _runs(reading.marks, acronym)


@lru_cache(maxsize=16384)
def _runs(words: tuple[Mark, ...], acronym: str) -> tuple[frozenset[str], ...]:
    found: list[frozenset[str]] = []
    n = len(acronym)
    for start, first in enumerate(words):
        if not isinstance(first, tuple) or first[0] != acronym[0]:
            continue
        keys, at, gap, gaps = {first[1]}, 1, 0, 0
        for mark in words[start + 1 :]:
            if at == n or mark is None:
                break
            if isinstance(mark, str):
                gap += 1
                gaps += 1
                if gap > _MAX_GAP:
                    break
                continue
            if mark[0] != acronym[at]:
                break
            gap = 0
            keys.add(mark[1])
            at += 1
        if at == n and (n >= 3 or (n == 2 and gaps == 0)):
            found.append(frozenset(keys))
    return tuple(found)


def definitions(text: str) -> dict[str, frozenset[str]]:
    """Acronyms the text defines, "words (ACR)": the keys of the words before the
    parenthesis, from the furthest one within the acronym's length plus two content words
    that starts with its first letter."""
    out: dict[str, frozenset[str]] = {}
    for m in _DEFINED.finditer(text):
        acronym = fold_accents(m.group(1).lower())
        before = _WORD.findall(lower(text[: m.start()]))[-(3 * len(acronym) + 6) :]
        stops = [i for i, w in enumerate(before) if w in PUNCT]
        if stops:
            before = before[stops[-1] + 1 :]
        content = [(w, k) for w in before if (k := key(w)) is not None and k not in AUXILIARY_KEYS and w.isalpha()]
        content = content[-(len(acronym) + 2) :]
        for i, (w, _) in enumerate(content):
            if _initial(w[0]) == acronym[0]:
                out[acronym] = frozenset(k for _, k in content[i:])
                break
    return out


def _known(acronym: str, texts: Sequence[Reading]) -> frozenset[str]:
    """The words the texts spell out or define an acronym with."""
    known: set[str] = set()
    for r in texts:
        for run in runs(r, acronym):
            known |= run
        known |= r.defines.get(acronym, frozenset())
    return frozenset(known)


def supported(acronym: str, source: Reading, glossary: Sequence[Reading]) -> bool:
    """Does the source spell out the claim's acronym, or hold the words the source, the
    passage or the context define it with?"""
    if runs(source, acronym):
        return True
    for r in (source, *glossary):
        words = r.defines.get(acronym)
        if words and words <= source.keys:
            return True
    return False


def standing_for(claim: Reading, source: Reading, glossary: Sequence[Reading]) -> set[str]:
    """Keys of the claim's words that stand for an acronym of the source, in its place:
    they spell it out, or are the words it is defined with. Where the source, the passage or
    the context spell or define it, the claim must use those words; where the claim
    defines it itself ("Délégué à la protection des outils (DPO)"), they must be known."""
    out: set[str] = set()
    if not source.acronyms:
        return out
    wanted = claim.asserted
    for acronym, _ in source.acronyms:
        spelled = runs(claim, acronym)
        defined = [words for r in (source, *glossary) if (words := r.defines.get(acronym)) and words <= wanted]
        if not spelled and not defined:
            continue
        known = _known(acronym, (source, *glossary))
        for run in spelled:
            if run <= known or (not known and acronym not in claim.defines):
                out |= run
        for words in defined:
            out |= words
    return out
