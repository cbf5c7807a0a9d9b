"""Does a source sentence support a generated sentence? A French fact-checking verifier.

A claim (one sentence written by a language model) is supported by a source span (one
sentence, or two adjacent ones), maybe framed by a context (its headings, the document
title, the question it answers), when three rules hold, checked in this order:

1. **Quantities** (``quantities``). Every number, amount, percentage, duration, ordinal
   and date of the claim is found in the source after normalisation: numbers written in
   words become digits (text2num's ``alpha2digit``, French), "1 000" / "1 000" / "1.000"
   are one thousand, "12 euros" = "12 €" = "12,00 €", "1er" = "premier", "quinze jours" =
   "15 jours". A quantity keeps its unit and is compared in that unit: "2 mois" ≠ "60
   jours" ≠ "2 semaines", "48 heures" ≠ "2 jours", "25 jours ouvrés" ≠ "25 jours
   ouvrables". French administrative law counts these differently (a month is a calendar
   month, working days are not business days), so converting would accept sentences a
   lawyer would reject. A claim may drop a qualifier the source has ("25 jours" for "25
   jours ouvrés") but not add one. Numbers of the source the claim does not use are fine.
2. **Polarity** (``negation``). Each negation (ne… pas/plus/jamais/rien/aucun/guère/point/
   personne/ni, "ne peut" + infinitive, "sans", "non", "aucun", a bare "pas de") is
   anchored to the words it bears on: the verb between "ne" and "pas" (or the infinitive
   after a modal), and the first content word after it; its *head* is that verb. A claim
   negation must meet a source negation on the same head, and a source negation whose
   head the claim repeats (with the same auxiliary, for "n'avez pas" / "n'est pas") must
   be repeated, as often as the source does when the claim repeats the word as often. A
   few antonyms (``negation.OPPOSITES``) are read as the negation of their opposite,
   "interdit" = "non autorisé", "facultatif" = "non obligatoire", so "n'est pas autorisé"
   supports "est interdit" and two negations of one word ("n'est pas interdit") cancel.
   "ne… que" ("only") and the expletive "ne" ("avant qu'il ne parte") are not negations.
3. **Words** (``lexicon``, ``words``). Every content word of the claim is in the source,
   compared on French Snowball stems (``socle.analysis.analyse``: stop words removed,
   accents folded), with the verb endings and plurals Snowball stems apart merged
   ("bénéficient" / "bénéficie", "retraits" / "retrait") and the stems of one word family
   joined by a short table checked on the evaluation corpora ("plafond" / "plafonné",
   "inscription" / "inscrire" / "inscrivez", "rendre" / "rendez"; a looser rule, a shared
   prefix of six letters, would join "information" and "informatique"); a few
   equivalence groups of true synonyms in administrative French (``lexicon.EQUIVALENTS``:
   "peut" = "il est possible de", "doit" = "est tenu de", "bénéficie de" = "dispose de" =
   "a droit à", "excéder" = "dépasser"…); connectives and demonstratives ignored
   (``lexicon.IGNORED``: "en outre", "cette"…); and a tolerance for light words
   (``lexicon.is_light``): framing verbs ("concerne", "permet", "s'agit"…),
   "bénéficier"/"disposer", and "doit"/"il faut" added to a rule the source states in the
   indicative ("la demande est saisie…"); at most a quarter of the claim's content words,
   two at most. "peut" is never light: it turns an obligation into an option. An
   imperative of the source ("Contactez la DRH") is an instruction: it supports "vous
   devez contacter" and "vous pouvez contacter" (the modal must govern that verb). Names
   (capitalised words that do not open a sentence, acronyms) must appear as written
   (accents and case aside), or as an acronym for its words (``acronyms``): "DRH" is
   supported by "direction des ressources humaines" (initials of consecutive content
   words) or by the words a text defines it with ("numéro de sécurité sociale (NIR)"),
   and the reverse; where the passage or the context spells the acronym out, the claim's
   words must be those.

**Context.** The claim's content words and names may also come from the context (a
claim restates what a sentence leaves to its heading: "la demande de congés est saisie"
for "la demande est saisie" under "Règlement des congés annuels"), when the sentence
holds a content word of the claim, the context word is an addition and not a
replacement, and the words that come with it are on one line of the context
(``words.framed``). Numbers, dates, units and negations are never taken from the
context: they must be in the supporting sentence(s).

The score is the share of the claim's content words found in the source or its context.
``best_support`` prefers one sentence (the best score, then the one closest to the claim);
two adjacent sentences are tried only when the claim joins them (each brings a word or a
quantity the other lacks), and never when one sentence itself holds all the claim's words
with the opposite polarity.

Dates are read by a small French normaliser of our own rather than dateparser: on
sentences, ``dateparser.search.search_dates`` read "15 jours" and "5 jours" as dates
(15 days from today), dropped the day of "1er janvier 2024" and "premier janvier 2024",
and took 20-130 ms on a sentence, where the whole check must stay well under a
millisecond. The normaliser reads a day (digits, "1er", "premier" or a number word) + a
month name (or abbreviation) + an optional year, "15/03/2024", "03/2024", and a month
name alone; a year alone is a plain number.

Everything computed from a text is read once and cached (``reading.read``,
``functools.lru_cache``): the same source sentences are checked against every sentence of
every answer.

Modules: ``quantities`` (numbers, amounts, durations, dates), ``lexicon`` (word lists,
equivalences, light words, stems and word families), ``negation`` (negations, antonyms),
``acronyms``, ``reading`` (what a text says, cached), ``words`` (which claim words a
sentence or its context holds); this module checks and picks the support.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from functools import lru_cache

from socle.factcheck import acronyms, words
from socle.factcheck.lexicon import is_light, light_tolerance
from socle.factcheck.negation import negation_agrees
from socle.factcheck.quantities import Fact, bound_contrary, fact_failure, fact_supported
from socle.factcheck.reading import Reading, merge, read

__all__ = ["Check", "Fact", "best_support", "check", "facts", "polarity"]


@dataclass(frozen=True)
class Check:
    supported: bool
    reason: str | None  # None when supported; else a short French reason shown to users
    kind: str | None  # "number" | "date" | "unit" | "negation" | "word" | "entity" | None
    score: float  # share of the claim's content words found in the source or its context, in [0, 1]


def _check(
    claim: Reading,
    source: Reading,
    context: words.Frame | None = None,
    passage: Sequence[Reading] = (),
    offered: frozenset[str] | None = None,
) -> tuple[Check, float]:
    """The check of a claim against a source (a sentence, or two merged) framed by a
    context, and the share of the claim's content words the source itself holds. The
    ``passage`` (the sentences around the source) may define acronyms; ``offered``: the
    claim's words the context holds, when already known."""
    content = claim.claim_keys
    glossary = [*passage, *([context.reading] if context is not None else [])]
    here = words.found(claim, source, glossary)
    framed: set[str] = set()
    if context is not None:
        if offered is None:
            offered = words.offered(claim, context, glossary)
        framed = words.framed(claim, source, context, here, offered)
    found = here | framed
    own = len(here) / len(content) if content else (1.0 if claim.facts else 0.0)
    score = len(found) / len(content) if content else own

    def fail(reason: str, kind: str) -> tuple[Check, float]:
        return Check(False, reason, kind, score), own

    for fact, bound in zip(claim.facts, claim.bounds, strict=True):
        if not fact_supported(fact, source.facts, source.keys):
            kind, reason = fact_failure(fact, source.facts)
            return fail(reason, kind)
        if bound is not None and bound_contrary(fact, bound, source.facts, source.bounds, source.keys):
            return fail(f"borne contraire à la source : « {bound[1]} »", "number")
    # An antonym in words that stand for an acronym ("Fichier des chèques irréguliers" for
    # "FNCI") is part of the name when the text that defines the name has it too.
    named = acronyms.standing_for(claim, source, glossary)
    named &= frozenset().union(source.negated, *(r.negated for r in glossary))
    if not negation_agrees(claim, source, named):
        return fail("négation contraire à la source", "negation")
    for name in claim.entities:
        if not words.has_name(claim, name, source, glossary) and not (
            context is not None and words.has_name(claim, name, context.reading, glossary, framed)
        ):
            return fail(f"nom absent de la source : « {name[1]} »", "entity")
    if not content and not claim.facts:
        return fail("aucun terme vérifiable dans la phrase", "word")
    missing = [(k, w) for k, w in content if k not in found]
    heavy = [w for k, w in missing if not is_light(k, w, source.keys)]
    if heavy:
        return fail(f"terme absent de la source : « {heavy[0]} »", "word")
    if len(missing) > light_tolerance(len(content)):
        return fail(f"terme absent de la source : « {missing[0][1]} »", "word")
    return Check(True, None, None, score), own


def facts(text: str) -> list[Fact]:
    """The numbers, amounts, percentages, durations, ordinals and dates of a French text."""
    return list(read(text).facts)


def polarity(text: str) -> bool:
    """True when the sentence contains a negation (ne… pas/plus/jamais/rien/aucun/guère/
    point, "sans", "non", "aucun", "n'…" + "peut")."""
    return any(g.syntactic for g in read(text).groups)


def check(claim: str, source: str, *, context: str = "") -> Check:
    """Does ``source`` (one sentence or two) support every quantity, negation and content
    word of ``claim``? ``context`` frames the source (its headings, the document title, the
    question it answers): the claim's content words and names may come from it, never its
    numbers, dates, units or negations."""
    frame = words.frame(context)
    offered = _offered(claim, context) if frame is not None else None
    return _check(read(claim), read(source), frame, (), offered)[0]


@lru_cache(maxsize=4096)
def _offered(claim: str, context: str) -> frozenset[str]:
    frame = words.frame(context)
    assert frame is not None
    return words.offered(read(claim), frame, [frame.reading])


@lru_cache(maxsize=4096)
def _pair(first: str, second: str) -> Reading:
    return merge(read(first), read(second))


def _precision(claim: Reading, source: Reading) -> float:
    """Share of the source's own content found in the claim: among sentences that support
    a claim equally, the one closest to it is the best quote."""
    own = {k for k, _ in source.claim_keys}
    if not own:
        return 0.0
    return len(own & claim.asserted) / len(own)


def _adds(claim: Reading, a: Reading, b: Reading) -> bool:
    """Does ``b`` bring something of the claim that ``a`` lacks (a word or a quantity)?"""
    if any(k not in a.keys and k in b.keys for k, _ in claim.claim_keys):
        return True
    return any(not fact_supported(f, a.facts, a.keys) and fact_supported(f, b.facts, b.keys) for f in claim.facts)


def best_support(
    claim: str, sentences: Sequence[str], *, skip: Collection[int] = (), context: str = ""
) -> tuple[tuple[int, int] | None, Check]:
    """The (first, last) indexes of the sentence, else of the two adjacent sentences, that
    support ``claim``, with the check; ``(None, check)`` with the most relevant failing
    check when none does. Indexes in ``skip`` (headings) are never used; ``context``
    frames every sentence, as in ``check``.

    Two sentences are tried only when the claim joins them (each brings a word or a
    quantity the other lacks), and never when one sentence holds all the claim's words
    with the opposite polarity: that claim contradicts it, whatever its neighbour says.
    """
    c = read(claim)
    frame = words.frame(context)
    passage = [read(s) for s in sentences]
    offered = words.offered(c, frame, [*passage, frame.reading]) if frame is not None else None
    usable = [i for i in range(len(sentences)) if i not in skip]
    best: tuple[float, float, tuple[int, int], Check] | None = None
    fail: tuple[float, float, Check] | None = None
    contradicted = False
    for i in usable:
        s = passage[i]
        result, own = _check(c, s, frame, passage, offered)
        rank = (result.score, _precision(c, s))
        if result.supported:
            if best is None or rank > best[:2]:
                best = (*rank, (i, i), result)
        else:
            contradicted |= result.kind == "negation" and own >= 1.0
            if fail is None or rank > fail[:2]:
                fail = (*rank, result)
    if best is not None:
        return best[2], best[3]
    if not contradicted:
        for i in usable:
            if i + 1 >= len(sentences) or i + 1 in skip:
                continue
            a, b = passage[i], passage[i + 1]
            if not (_adds(c, a, b) and _adds(c, b, a)):
                continue
            result = _check(c, _pair(sentences[i], sentences[i + 1]), frame, passage, offered)[0]
            if result.supported:
                if best is None or result.score > best[0]:
                    best = (result.score, 0.0, (i, i + 1), result)
            elif fail is None or result.score > fail[0]:
                fail = (result.score, 0.0, result)
    if best is not None:
        return best[2], best[3]
    if fail is None:
        return None, Check(False, "aucune phrase source", "word", 0.0)
    return None, fail[2]
