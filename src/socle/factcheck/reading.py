"""What a text says, read once and cached: its quantities, content keys, negations and
names, the acronyms it uses or spells out, its imperatives. A claim, a source and a
context are read the same way; ``check`` compares the readings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from socle.analysis import fold_accents
from socle.factcheck.acronyms import Mark, candidates, definitions, marks
from socle.factcheck.lexicon import AUXILIARIES, AUXILIARY_KEYS, IGNORED, MODALS, PUNCT, key
from socle.factcheck.negation import Group, antonym, negations
from socle.factcheck.quantities import MONTHS, SAME_LENGTH, Bound, Fact, Normalised, extract

_TOKEN = re.compile(r"[^\W_]+|[.,;:!?]")
_AVOIR = frozenset({"a", "ai", "as", "ont", "avez", "avons", "avoir", "aura", "auront", "aurez", "aurait", "ayant"})
_PARTICIPLE_AUX = frozenset({"est", "sont", "être", "pas", "non", "soit", "sera", "seront", "été"})
# An imperative opens its clause, maybe after "ne" and object pronouns ("Ne le contactez
# pas"); "vous" before the verb is its subject ("vous contactez") unless "ne" precedes it
# ("ne vous inscrivez pas").
_OBJECTS = frozenset({"le", "la", "les", "l", "lui", "leur", "y", "en"})
_REFLEXIVES = frozenset({"vous", "nous", "me", "m", "te", "t", "se", "s"})
_CLAUSE_OPENERS = frozenset({"et", "ou", "puis", "sinon", "ensuite", "alors", "donc", "mais", "enfin"})


@dataclass(frozen=True)
class Reading:
    facts: tuple[Fact, ...]
    bounds: tuple[Bound | None, ...]  # ("min" / "max", as written), one for each fact
    keys: frozenset[str]  # every content key of the text (what a source offers)
    claim_keys: tuple[tuple[str, str], ...]  # (key, word) the text asserts, outside its quantities
    asserted: frozenset[str]  # the keys of ``claim_keys``
    groups: tuple[Group, ...]
    negated: frozenset[str]  # keys under an odd number of negations
    counts: dict[str, int]  # occurrences of each key
    negated_counts: dict[str, int]  # negated occurrences of each key
    entities: tuple[tuple[str, str], ...]  # (folded lower form, as written)
    words: frozenset[str]  # every word, folded and lower-cased (for entities)
    sequence: tuple[str, ...]  # the content keys in the order of the text, repeats kept
    acronyms: tuple[tuple[str, str | None], ...]  # (folded lower form, key) of "CNIL", "Caf"…
    marks: tuple[Mark, ...]  # the words as an acronym sees them (``acronyms.runs``)
    initials: frozenset[str]  # the initials of its content words, to rule acronyms out fast
    defines: dict[str, frozenset[str]]  # acronyms the text defines, "words (ACR)" -> the words' keys
    imperatives: frozenset[str]  # keys of the verbs in the imperative ("Contactez")
    modal_verbs: tuple[tuple[str, str], ...]  # (modal, key of the verb it governs): "doit saisir"


def _add(a: dict[str, int], b: dict[str, int]) -> dict[str, int]:
    out = dict(a)
    for k, n in b.items():
        out[k] = out.get(k, 0) + n
    return out


def merge(a: Reading, b: Reading) -> Reading:
    """The reading of two adjacent sentences taken together."""
    return Reading(
        facts=a.facts + b.facts,
        bounds=a.bounds + b.bounds,
        keys=a.keys | b.keys,
        claim_keys=a.claim_keys + b.claim_keys,
        asserted=a.asserted | b.asserted,
        groups=a.groups + b.groups,
        negated=a.negated | b.negated,
        counts=_add(a.counts, b.counts),
        negated_counts=_add(a.negated_counts, b.negated_counts),
        entities=a.entities + b.entities,
        words=a.words | b.words,
        sequence=a.sequence + b.sequence,
        acronyms=a.acronyms + b.acronyms,
        marks=(*a.marks, None, *b.marks),
        initials=a.initials | b.initials,
        defines=a.defines | b.defines,
        imperatives=a.imperatives | b.imperatives,
        modal_verbs=a.modal_verbs + b.modal_verbs,
    )


_ACRONYM = re.compile(r"[A-ZÀ-Ý][A-ZÀ-Ý0-9]+")
_OPENERS = frozenset('.!?:;«"([•*-–—')


def _entities(text: str) -> tuple[tuple[str, str], ...]:
    """Names a claim must take from its source: acronyms ("CNIL", "CET"), and capitalised
    words that do not open a sentence, a quotation or a list item ("Mairie de
    Saint-Exemple"). Returned as (folded lower-case form, as written)."""
    out: dict[str, str] = {}
    for m in re.finditer(r"[^\W_]+", text):
        word = m.group()
        if not word[0].isupper() or word.lower() in MONTHS:
            continue
        if not (_ACRONYM.fullmatch(word) and sum(c.isupper() for c in word) >= 2):
            if len(word) < 2 or not word[1:].islower():
                continue
            before = text[: m.start()]
            if before[-1:] not in ("-", "'") and before.rstrip()[-1:] in ("", *_OPENERS):
                continue  # a capital that opens a sentence, a quote or an item
        out.setdefault(fold_accents(word.lower()), word)
    return tuple(out.items())


def _imperatives(tokens: list[tuple[str, str | None]]) -> frozenset[str]:
    """Keys of the verbs in the imperative ("Contactez la DRH", "ne le remplissez pas"):
    a form in -ez that opens its clause. An instruction reads "vous devez" or "vous
    pouvez" + infinitive: a claim may say either."""
    out = set()
    for i, (word, k) in enumerate(tokens):
        if not (word.endswith("ez") and len(word) >= 5 and k is not None and k not in MODALS):
            continue
        if k in AUXILIARY_KEYS:
            continue
        j = i - 1
        while j >= 0 and tokens[j][0] in _OBJECTS:
            j -= 1
        reflexive = j >= 0 and tokens[j][0] in _REFLEXIVES
        if reflexive:
            j -= 1
        if j >= 0 and tokens[j][0] in ("ne", "n"):
            j -= 1
        elif reflexive:
            continue  # "vous contactez": an indicative
        if j < 0 or tokens[j][0] in PUNCT or tokens[j][0] in _CLAUSE_OPENERS:
            out.add(k)
    return frozenset(out)


def _modal_verbs(tokens: list[tuple[str, str | None]], content: set[int]) -> tuple[tuple[str, str], ...]:
    """(modal, verb) pairs: the first content word after "doit"/"peut" in its clause."""
    out = []
    for i, (_, k) in enumerate(tokens):
        if k not in MODALS:
            continue
        for j in range(i + 1, len(tokens)):
            word, kj = tokens[j]
            if word in PUNCT:
                break
            if j in content and kj is not None and kj not in MODALS:
                out.append((k, kj))
                break
    return tuple(out)


def _tokens(text: str) -> list[tuple[str, int, int]]:
    return [(m.group(), m.start(), m.end()) for m in _TOKEN.finditer(text)]


@lru_cache(maxsize=8192)  # ~5 KB an entry
def read(text: str) -> Reading:
    """The reading of a text (cached: the same source sentences are read for every claim)."""
    norm = Normalised(text)
    found, spans, bounds = extract(norm)
    raw = _tokens(norm.text)
    tokens: list[tuple[str, str | None]] = []
    antonyms: list[int] = []
    for i, (word, _, _) in enumerate(raw):
        opposite = antonym(word)
        k = None if word in PUNCT else opposite or key(word)
        if k is None and word in AUXILIARIES:
            k = AUXILIARIES[word]
        prev = raw[i - 1][0] if i else ""
        if word == "droit" and prev in _AVOIR:  # "a droit à" = "bénéficie de"
            k = "@beneficier"
        elif word in ("permis", "permise", "permises") and prev in _PARTICIPLE_AUX:
            k = "@autoriser"
        if opposite and k is not None:
            antonyms.append(i)
        tokens.append((word, k))
    spans_negated, used = negations(tokens)
    # Negations cancel word by word: "n'est pas interdit" negates "interdit" (= "non
    # autorisé") twice; two "sans solde" in one sentence are two negations, not one undone.
    parity: dict[int, int] = {}
    for positions in [*spans_negated, *([i] for i in antonyms)]:
        for i in positions:
            parity[i] = parity.get(i, 0) + 1
    groups = []
    for positions, syntactic in [*((p, True) for p in spans_negated), *(([i], False) for i in antonyms)]:
        odd = [i for i in positions if parity[i] % 2]
        head = tokens[positions[0]][1] if positions and parity[positions[0]] % 2 else None
        groups.append(Group(frozenset(k for i in odd if (k := tokens[i][1])), head, syntactic))
    counts: dict[str, int] = {}
    negated_counts: dict[str, int] = {}
    for i, (_, k) in enumerate(tokens):
        if k is not None:
            counts[k] = counts.get(k, 0) + 1
            if parity.get(i, 0) % 2:
                negated_counts[k] = negated_counts.get(k, 0) + 1
    claim_keys: dict[str, str] = {}
    sequence: list[str] = []
    content: set[int] = set()
    span_iter = iter(spans)
    span = next(span_iter, None)
    for i, ((word, k), (_, start, end)) in enumerate(zip(tokens, raw, strict=True)):
        while span is not None and span[1] <= start:
            span = next(span_iter, None)
        inside = span is not None and span[0] <= start and end <= span[1]
        if k is None or k in AUXILIARY_KEYS or inside or i in used or any(c.isdigit() for c in word):
            continue
        if fold_accents(word) in IGNORED:
            continue
        claim_keys.setdefault(k, word)
        sequence.append(k)
        content.add(i)
    entities = _entities(text.translate(SAME_LENGTH))
    spelling = marks(text)
    return Reading(
        facts=found,
        bounds=bounds,
        keys=frozenset(k for _, k in tokens if k),
        claim_keys=tuple(claim_keys.items()),
        asserted=frozenset(claim_keys),
        groups=tuple(groups),
        negated=frozenset(k for g in groups for k in g.keys),
        counts=counts,
        negated_counts=negated_counts,
        entities=entities,
        words=frozenset(fold_accents(w.lower()) for w in re.findall(r"[^\W_]+", text)),
        sequence=tuple(sequence),
        acronyms=candidates(text, entities),
        marks=spelling,
        initials=frozenset(m[0] for m in spelling if isinstance(m, tuple)),
        defines=definitions(text.translate(SAME_LENGTH)),
        imperatives=_imperatives(tokens),
        modal_verbs=_modal_verbs(tokens, content),
    )
