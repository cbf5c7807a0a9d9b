"""Which of a claim's content words and names a sentence holds, and which its context
(headings, title, question) may supply in addition.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from socle.factcheck import acronyms
from socle.factcheck.lexicon import LIGHT_KEYS, key
from socle.factcheck.reading import Reading, read


@dataclass(frozen=True)
class Frame:
    """The context of a source: its reading, and the content keys of each of its lines (a
    heading, the title, a question)."""

    reading: Reading
    lines: tuple[frozenset[str], ...]


@lru_cache(maxsize=1024)
def frame(text: str) -> Frame | None:
    """The frame of a context text, its lines kept apart as sentences; None when empty."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        return None
    return Frame(read(". ".join(lines)), tuple(read(line).keys for line in lines))


def found(claim: Reading, source: Reading, glossary: Sequence[Reading] = ()) -> set[str]:
    """The claim's content keys a text holds: the same key (same word, inflection, word
    family or equivalent), an acronym the text spells out ("DRH" for "direction des
    ressources humaines") or the words that stand for an acronym of the text, and
    "doit"/"peut" before a verb the text puts in the imperative ("vous devez contacter"
    for "Contactez"). ``glossary``: the texts that may define the acronyms."""
    wanted = claim.asserted
    out = set(wanted & source.keys)
    out.update(k for a, k in claim.acronyms if k in wanted and acronyms.supported(a, source, glossary))
    out |= acronyms.standing_for(claim, source, glossary) & wanted
    out.update(modal for modal, verb in claim.modal_verbs if verb in source.imperatives)
    return out


def has_name(
    claim: Reading,
    name: tuple[str, str],
    source: Reading,
    glossary: Sequence[Reading],
    accepted: set[str] | None = None,
) -> bool:
    """Is the claim's name (folded, as written) in the text: as written, an acronym the
    text spells out, or a word that stands for an acronym of the text ("Compte Épargne
    Temps" for "CET")? With ``accepted`` (the keys taken from a context), only if its key
    is one."""
    folded, written = name
    k = key(written.lower())
    if accepted is not None and k is not None and k in claim.asserted and k not in accepted:
        return False
    if folded in source.words or acronyms.supported(folded, source, glossary):
        return True
    return k in acronyms.standing_for(claim, source, glossary)


def offered(claim: Reading, context: Frame, glossary: Sequence[Reading]) -> frozenset[str]:
    """The claim's content keys a context holds and may give: negated neither in the
    context nor in the claim (see ``framed``). The same for every sentence of a passage."""
    return frozenset(
        k
        for k in found(claim, context.reading, glossary)
        if k not in context.reading.negated and k not in claim.negated
    )


def framed(claim: Reading, source: Reading, context: Frame, here: set[str], given: frozenset[str]) -> set[str]:
    """The claim's content keys the context supplies: ``given`` (from ``offered``) the
    sentence does not hold (``here``: those it holds).

    A claim often restates what the sentence leaves to its heading, title or question:
    "la demande de congés est saisie" for "la demande est saisie" under "Règlement des
    congés annuels", "l'offre de reclassement est écrite" for "il est écrit" under "Offre
    de reclassement". A context word counts when:
    - the sentence holds one of the claim's words that is not light, nor a modal (it says
      something of the claim: "ce fonds est obligatoire" does not follow from "le vote est
      obligatoire" under "Fonds de travaux");
    - neither the context nor the claim negates it (a negation is never taken from the
      context);
    - it is an addition, not a replacement: between the claim's neighbouring words the
      sentence has nothing the claim leaves out ("la délégation est rémunérée" does not
      follow from "la formation est rémunérée" under the heading "Heures de délégation"),
      and the claim says it once (a second one would fill another place);
    - the words it comes with from the context are on one line of it ("le budget
      d'affichage" does not follow from a question on the budget and the heading "Panneau
      d'affichage").
    """
    if not given - here or not here - LIGHT_KEYS:
        return set()
    order = [k for k, _ in claim.claim_keys]
    # Words of the context's phrase the sentence also has elsewhere ("grâce" in "le dossier
    # de la grâce présidentielle" for "le dossier est étudié… des grâces") belong to the
    # phrase: they do not pin it to their place in the sentence.
    given = frozenset(k for k in given if k in here or claim.counts.get(k, 0) == 1)
    anchors = [i for i, k in enumerate(order) if k in here and k not in given and k in source.sequence]
    accepted: set[str] = set()
    run: list[str] = []
    for i, k in enumerate([*order, None]):
        if k is not None and k in given:
            before = next((order[j] for j in reversed(anchors) if j < i), None)
            after = next((order[j] for j in anchors if j > i), None)
            if _slot_is_free(claim, source, before, after):
                run.append(k)
                continue
        added = {w for w in run if w not in here}
        if added and (len(added) == 1 or any(added <= line for line in context.lines)):
            accepted.update(added)
        run = []
    return accepted


def _slot_is_free(claim: Reading, source: Reading, before: str | None, after: str | None) -> bool:
    """Between the first ``before`` of the sentence and the first ``after`` that follows it
    (the ends of the sentence for None), is there nothing the claim leaves out: only light
    words, and words the claim says as often as the sentence? Taking the first ones keeps
    "le fichier des informations" from filling the place of the second "fichiers" in "le
    fichier des fichiers"."""
    sequence = source.sequence
    start = sequence.index(before) if before is not None else -1
    end = next((i for i in range(start + 1, len(sequence)) if sequence[i] == after), None)
    if after is None:
        end = len(sequence)
    if end is None:
        return False
    return all(k in LIGHT_KEYS or claim.counts.get(k, 0) >= source.counts.get(k, 0) for k in sequence[start + 1 : end])
