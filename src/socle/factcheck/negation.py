"""Negation in French: which words a negation bears on, antonyms, and whether a claim
keeps the negations of its source.

Each negation (ne… pas/plus/jamais/rien/aucun/guère/point/personne/ni, "ne peut" +
infinitive, "sans", "non", "aucun", a bare "pas de") is anchored to the words it bears
on: the verb between "ne" and "pas" (or the infinitive after a modal), and the first
content word after it; its *head* is that verb. "ne… que" ("only") and the expletive "ne"
("avant qu'il ne parte") are not negations. A few antonyms (``OPPOSITES``) are read as the
negation of their opposite: "interdit" = "non autorisé".
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING

from socle.analysis import fold_accents
from socle.factcheck.lexicon import AUXILIARY_KEYS, IGNORED, LIGHT_KEYS, MODALS, PUNCT, inflections, words

if TYPE_CHECKING:
    from socle.factcheck.reading import Reading

# Antonyms read as "non" + their opposite, so that "interdit" meets "n'est pas autorisé" and
# contradicts "autorisé". Only pairs whose two sides exclude each other.
OPPOSITES: dict[str, list[str]] = {
    "@autoriser": [*inflections("interdit"), "interdire", "interdiction", "interdictions"],
    "@devoir": [*inflections("facultatif", "optionnel")],
    "@pouvoir": inflections("impossible"),
    "@gratuit": inflections("payant"),
    "@accepter": [*inflections("refusé"), "refuser", "refuse", "refusent", "refus"],
    "@legal": [*inflections("illégal"), "illégalement"],
    "@licite": inflections("illicite"),
    "@favorable": inflections("défavorable"),
    "@complet": inflections("incomplet"),
    "@regulier": [*inflections("irrégulier"), "irrégulièrement"],
    "@eligible": inflections("inéligible"),
    "@disponible": inflections("indisponible"),
    "@suffisant": inflections("insuffisant"),
}
# Antonyms are matched on their listed forms only: "faculté" shares a stem with "facultatif".
_OPPOSITE_FORMS = {w: canon for canon, forms in OPPOSITES.items() for w in forms}


def antonym(token: str) -> str | None:
    """The key of the opposite of an antonym ("interdit" -> "@autoriser"), else None."""
    return _OPPOSITE_FORMS.get(token)


_NEGATORS = frozenset({"pas", "plus", "jamais", "rien", "aucun", "aucune", "guère", "guere", "point", "personne", "ni"})
_BEFORE_NE = frozenset({"aucun", "aucune", "personne", "rien", "jamais", "ni", "nul", "nulle"})
# "ne peut excéder": a literary negation without "pas".
_LITERARY_NE = frozenset(
    {"peut", "peuvent", "pourra", "pourront", "saurait", "sauraient", "sait", "cesse", "ose", "osent"}
)
_STANDALONE = frozenset({"sans", "non", "aucun", "aucune", "pas", "jamais"})
# Adverbs a negation skips to reach the word it bears on ("n'est désormais plus possible").
_ADVERBS = frozenset(
    words(
        "désormais toujours encore déjà aussi alors donc vraiment trop très souvent seulement uniquement même "
        "forcément automatiquement systématiquement nécessairement obligatoirement immédiatement"
    )
)


@dataclass(frozen=True)
class Group:
    """One negation: the keys it negates and its head (the negated verb, or the word after
    a modal), None when another negation cancels it."""

    keys: frozenset[str]
    head: str | None
    syntactic: bool  # a "ne… pas" kind of negation, not an antonym


def negations(tokens: list[tuple[str, str | None]]) -> tuple[list[list[int]], set[int]]:
    """Negations of a token list (word, key), each as the positions of the words it bears
    on (its head first), and the positions of the negation words themselves."""
    groups: list[list[int]] = []
    used: set[int] = set()
    n = len(tokens)

    def content(i: int) -> bool:
        word, key = tokens[i]
        if key is None or key in AUXILIARY_KEYS:
            return False
        return word not in _NEGATORS and word not in _ADVERBS and fold_accents(word) not in IGNORED

    def verb(i: int) -> bool:  # a word between "ne" and "pas": the verb, maybe an auxiliary
        return content(i) or tokens[i][1] in AUXILIARY_KEYS

    def next_content(i: int) -> list[int]:
        """The first content word at or after i, within the clause."""
        while i < n and tokens[i][0] not in PUNCT:
            if content(i):
                return [i]
            i += 1
        return []

    def add(positions: list[int]) -> None:
        # The word a negation bears on is its verb; a modal's infinitive comes after it.
        def rank(i: int) -> tuple[bool, bool]:
            return tokens[i][1] in AUXILIARY_KEYS, tokens[i][1] in MODALS

        groups.append(sorted(positions, key=rank))  # stable: the verb first

    for i, (word, _) in enumerate(tokens):
        if word not in ("ne", "n"):
            continue
        particle = None
        for j in range(i + 1, min(n, i + 7)):
            w = tokens[j][0]
            if w in PUNCT or w in ("que", "qu"):  # restrictive "ne… que" = "only": no negation
                break
            if w in _NEGATORS and (w != "point" or j <= i + 3) and j not in used:
                particle = j
                break
        if particle is not None:
            used.update((i, particle))
            end = particle + 1
            if tokens[particle][0] in ("aucun", "aucune") and end < n and tokens[end][0] in ("cas", "façon", "manière"):
                used.add(end)  # "en aucun cas" is a plain "pas"
                end += 1
            add([k for k in range(i + 1, particle) if verb(k)] + next_content(end))
            continue
        before = None
        for j in range(i - 1, max(-1, i - 7), -1):
            if tokens[j][0] in PUNCT:
                break
            if tokens[j][0] in _BEFORE_NE and j not in used:
                before = j
                break
        if before is not None:  # "aucun délai n'est prévu"
            used.update((i, before))
            add(next_content(i + 1) + [k for k in range(before + 1, i) if verb(k)])
            continue
        if i + 1 < n and tokens[i + 1][0] in _LITERARY_NE:  # "ne peut excéder"
            used.add(i)
            add([i + 1, *next_content(i + 2)])
        # otherwise an expletive "ne" ("avant qu'il ne parte"): no negation
    for i, (word, _) in enumerate(tokens):
        if word in _STANDALONE and i not in used:
            after = next_content(i + 1)
            if not after:
                continue
            if (
                word in ("non", "pas")
                and after[0] != i + 1
                and not (after[0] == i + 2 and tokens[i + 1][0] in ("de", "d"))
            ):
                continue  # "ou non", "pas à pas": nothing negated right after
            used.add(i)
            add(after)
    return groups, used


def negation_agrees(claim: Reading, source: Reading, names: Collection[str] = ()) -> bool:
    """Does every negation of the claim bear on a word the source negates, and is every
    negation of the source whose word the claim repeats kept? A negation is judged on its
    head (the negated verb, or the word after a modal); one cancelled by another ("n'est
    pas interdit") asserts nothing. An antonym in ``names`` (words that stand for an
    acronym of the source, as its definition writes them) is part of a name, not a
    negation."""
    for g in claim.groups:
        if g.head is None or (not g.syntactic and g.head in names):
            continue
        if g.head in source.negated:
            if claim.negated_counts[g.head] <= source.negated_counts[g.head]:
                continue
            return False  # negated more often than in the source: a negation was added
        if g.head in LIGHT_KEYS and (g.keys - {g.head} - AUXILIARY_KEYS) & source.negated:
            continue  # "ne concerne pas les agents" for "ne s'applique pas aux agents"
        return False
    said = claim.keys
    for g in source.groups:
        if g.head is None:
            continue
        if g.head in said:
            # The claim repeats the negated word; with the same verb ("n'avez pas d'avis"
            # -> "avez un avis"), it must repeat the negation; if it repeats the word as
            # often as the source, as often negated.
            h = g.head
            if h not in claim.negated and (g.keys & AUXILIARY_KEYS) <= said:
                return False
            if claim.counts[h] >= source.counts[h] and claim.negated_counts.get(h, 0) < source.negated_counts[h]:
                return False
            continue
        # The claim words the verb otherwise: it contradicts the source if it repeats
        # every other negated word without a negation (a light verb may be swapped for
        # another: "ne s'applique pas aux agents" -> "concerne les agents").
        rest = g.keys - AUXILIARY_KEYS - ({g.head} if g.head in LIGHT_KEYS else set())
        if rest and rest <= said and not rest & claim.negated:
            return False
    return True
