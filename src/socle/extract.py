"""Extractive answers: the unit of a document that answers a question.

A document's passages are cut into *units*, what an answer can quote:

- a sentence of a paragraph;
- a table row, read with its table's header row (« Livres et revues — Nombre maximal : 10 ;
  Durée du prêt : 3 semaines »), since a row alone (« Livres et revues | 10 | 3 semaines »)
  does not say what its numbers are;
- a list item, which keeps its lead-in (« Pièces à fournir : ») when it is quoted.

Headings are never units: they name a section, they do not answer (they count as context).

Units are ranked by a logistic model over features that can be explained to a user (see
:data:`RANKER_FEATURES`): how close the unit is to the question in meaning (dense cosine)
and in words (share of the question's terms, in the unit and in its section's headings),
whether it holds what the question asks for (an amount for « combien », a date or a
duration for « quand » / « quel délai », a place for « où »…), and what kind of unit it
is. The weights were fitted on the gold answer spans of the ../shared/eval dev sets by
``benchmarks/answers.py --fit``, which also reports how often the quoted unit holds the
gold span.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import numpy as np

from socle.analysis import analyse
from socle.chunk import split_sentences
from socle.factcheck import facts
from socle.models import Passage

QuestionType = Literal["contact", "quantity", "time", "place", "person", "procedure", "yesno", "other"]
UnitKind = Literal["sentence", "row", "item", "lead_in"]

TABLE_SEPARATOR = " | "


def fold(text: str) -> str:
    """Lower case without accents, for matching question words."""
    return "".join(c for c in unicodedata.normalize("NFKD", text.lower()) if not unicodedata.combining(c))


# Question types, matched on the folded question. Order matters: « combien de temps » is a
# time question before it is a quantity question.
_TYPES: tuple[tuple[QuestionType, re.Pattern[str]], ...] = (
    (  # asks for a way to reach someone: answered by an e-mail address or a phone number
        "contact",
        re.compile(
            r"\b(e-?mails?|mails?|courriels?|adresse (electronique|mail|e-mail)|telephones?|tel|numero de telephone|"
            r"joindre|contacter|appeler|ecrire a)\b"
        ),
    ),
    (
        "time",
        re.compile(
            r"\b(quand|combien de (temps|jours|semaines|mois|annees|ans|heures|minutes)|quel(le)?s? (delai|date|duree|"
            r"heure|horaire|jour|periode|moment|anciennete|age)|a partir de quand|jusqu'?a quand|horaires?|delai|"
            r"a l'avance|date limite|combien de temps|duree|ouvert|ouverture|ferme)\b"
        ),
    ),
    (
        "quantity",
        re.compile(
            r"\b(combien|quel(le)?s? (est |sont )?(le |la |les )?(montant|prix|tarif|cout|somme|taux|nombre|plafond|"
            r"pourcentage|quantite|limite|maximum|minimum)|montant|tarifs?|prix|couts?|coute|payer|paye|"
            r"gratuite?|taux|nombre)\b"
        ),
    ),
    (
        "place",
        re.compile(r"\b(ou|quel(le)?s? (lieu|adresse|endroit|bureau|guichet|site|salle)|adresse|a quel endroit)\b"),
    ),
    (
        "person",
        re.compile(
            r"^(qui|a qui|aupres de qui|par qui)\b|\b(quel(le)?s? (organisme|service|autorite|interlocuteur))\b"
        ),
    ),
    (
        "procedure",
        re.compile(
            r"\b(comment|que faire|quoi faire|je fais quoi|on fait quoi|quelles? (demarches?|procedures?|etapes|"
            r"pieces|formalites|documents)|demarches?|procedure|pieces a fournir|justificatifs?)\b"
        ),
    ),
    (
        "yesno",
        re.compile(
            r"^(est-ce qu|peut-on|puis-je|dois-je|doit-on|faut-il|ai-je|a-t-on|y a-t-il|suis-je|sont-ils|est-il|"
            r"peut-il|peut-elle|doit-il|doit-elle|existe-t-il)"
        ),
    ),
)


def question_type(question: str) -> QuestionType:
    q = fold(question).strip()
    for kind, pattern in _TYPES:
        if pattern.search(q):
            return kind
    return "other"


_CLOCK = re.compile(r"\b\d{1,2}\s?h(\s?\d{2})?\b|\b\d{1,2}:\d{2}\b")
_WEEKDAY_MONTH = re.compile(
    r"\b(lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|janvier|fevrier|mars|avril|mai|juin|juillet|aout|"
    r"septembre|octobre|novembre|decembre|annee|mois|semaine|jours?|heures?|avant|apres|des|jusqu)\b"
)
_PLACE = re.compile(
    r"\b(rue|avenue|boulevard|place|chemin|allee|quai|bureau|guichet|accueil|mairie|prefecture|salle|etage|batiment|"
    r"en ligne|site|sur place|adresse|cedex|\d{5})\b"
)
_BODY = re.compile(
    r"\b(maire|prefet|prefecture|employeur|responsable|direction|directeur|directrice|service|administration|"
    r"tribunal|juge|caf|cpam|urssaf|cnil|commission|conseil|agence|caisse|organisme|officier|notaire|medecin)\b"
)
_STEP_VERB = re.compile(
    r"\b(adresse|adresser|depose|deposer|remplir|remplit|saisir|saisit|envoyer|envoie|presenter|presente|"
    r"demander|demande|contacter|contactez|joindre|transmet|transmettre|inscri\w*|fournir|connectez|cliquez)\b"
)


_PRICE = re.compile(r"\b(cout\w*|prix|tarifs?|payer|paye|payant|montant|gratuit\w*|frais|combien ca fait)\b")


# Digits that are contact details, not quantities: a house number before its street type, a
# postcode before its city, a French phone number. « Combien… ? » is not answered by them.
_CONTACT_DIGITS = re.compile(
    r"\b\d{1,4}(?:\s?(?:bis|ter|quater))?,?\s+(?=(?:rue|avenue|av\.|boulevard|bd|place|chemin|all[ée]e|impasse|quai|"
    r"route|square|cours|passage|faubourg|rond-point|esplanade|parvis|promenade|voie|sentier|lieu-dit)\b)"
    r"|\b\d{5}(?=\s+[^\W\d_])|(?:\+33\s?|\b0)\d(?:[\s.-]?\d{2}){4}\b",
    re.IGNORECASE,
)


_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"(?:\+33\s?|\b0)\d(?:[\s.-]?\d{2}){4}\b")


def contact_words(text: str) -> str:
    """The words a text answers without writing them: an e-mail address is a « mail »,
    « courriel », « adresse électronique »; a phone number a « téléphone », « numéro »."""
    words = []
    if _EMAIL.search(text):
        words.append("mail e-mail courriel adresse électronique")
    if _PHONE.search(text):
        words.append("téléphone tél numéro appeler")
    return " ".join(words)


def _has(kind: QuestionType, text: str, price: bool = False) -> bool:
    """Does ``text`` hold what a question of type ``kind`` asks for? ``price``: the question
    is about a price, which « gratuit » answers (« combien de livres » it does not)."""
    folded = fold(text)
    found = {f.kind for f in facts(_CONTACT_DIGITS.sub(" ", text) if kind == "quantity" else text)}
    if kind == "contact":
        return bool(_EMAIL.search(text) or _PHONE.search(text))
    if kind == "quantity":
        if price:
            return bool(found & {"amount", "number"}) or "gratuit" in folded
        return bool(found & {"number", "amount", "percent", "duration"})
    if kind == "time":
        return (
            bool(found & {"duration", "date"})
            or bool(_CLOCK.search(folded))
            or (bool(found & {"number"}) and bool(_WEEKDAY_MONTH.search(folded)))
        )
    if kind == "place":
        return bool(_PLACE.search(folded))
    if kind == "person":
        return bool(_BODY.search(folded))
    if kind == "procedure":
        return bool(_STEP_VERB.search(folded)) or text.rstrip().endswith(":")
    return False


@dataclass(frozen=True)
class Unit:
    """What an extractive answer can quote, with its exact span in the document."""

    passage: Passage
    rank: int  # rank of its passage among the document's passages (0 = best chunk)
    start: int  # offsets in the document text
    end: int
    text: str  # exactly the document's text at [start, end)
    kind: UnitKind
    reading: str  # how it reads alone: a row with its header, else the text
    block: int  # index of its block in the passage (units of one list share nothing else)
    context: str = ""  # its section's headings, and the FAQ question it answers, if any

    @property
    def words(self) -> int:
        return len(self.text.split())


def blocks(text: str) -> list[tuple[int, str]]:
    """Paragraphs of a chunk with their offsets (blocks are joined by a blank line)."""
    out = []
    pos = 0
    for part in text.split("\n\n"):
        out.append((pos, part))
        pos += len(part) + 2
    return out


def is_heading(block: str, passage: Passage) -> bool:
    """A heading of the document (chunks start at headings, which the chunk records)."""
    stripped = block.strip()
    return stripped == passage.document_title.strip() or stripped in passage.headings


_ITEM = re.compile(r"^\s*(?:[-•*–]\s+|\d{1,2}[.)]\s+|[a-z][.)]\s+)")


def _row_reading(header: list[str] | None, row: str) -> str:
    cells = [c.strip() for c in row.split("|")]
    if not header or len(header) != len(cells):
        return " ; ".join(c for c in cells if c)
    rest = [f"{h} : {c}" for h, c in zip(header[1:], cells[1:], strict=True) if c]
    return f"{cells[0]} — " + " ; ".join(rest) if rest else cells[0]


def units(passages: Sequence[Passage]) -> list[Unit]:
    """The units of ``passages`` (one document's), in document order, without duplicates."""
    out: list[Unit] = []
    seen: set[tuple[int, int]] = set()
    for rank, passage in enumerate(passages):
        header: list[str] | None = None
        in_table = False
        previous_ends_colon = False
        headings = " ".join(passage.headings)
        asked = ""  # the last question line read (a FAQ's question introduces its answer)
        for b, (offset, block) in enumerate(blocks(passage.text)):
            stripped = block.strip()
            if not stripped or is_heading(stripped, passage):
                in_table = False
                previous_ends_colon = False
                if stripped:
                    asked = ""
                continue
            base = passage.start + offset + (len(block) - len(block.lstrip()))
            if TABLE_SEPARATOR in stripped:
                if not in_table:  # the first row of a table is its header
                    header = [c.strip() for c in stripped.split("|")]
                    in_table = True
                    continue
                spans: list[tuple[int, int, UnitKind, str]] = [
                    (base, base + len(stripped), "row", _row_reading(header, stripped))
                ]
            else:
                in_table = False
                item = (
                    bool(_ITEM.match(stripped))
                    or (previous_ends_colon and len(stripped.split()) <= 40)
                    or (stripped.endswith(";") and len(stripped.split()) <= 40)  # « un justificatif… ; »
                    or stripped[:1].islower()
                )
                sentences = split_sentences(stripped)
                spans = []
                for s, e in sentences:
                    piece = stripped[s:e].strip()
                    if not piece:
                        continue
                    if piece.endswith("?"):  # a question does not answer: it is context
                        asked = piece
                        continue
                    kind: UnitKind = "lead_in" if piece.endswith(":") else "item" if item else "sentence"
                    spans.append((base + s, base + s + len(piece), kind, piece))
                previous_ends_colon = stripped.endswith(":") or (item and previous_ends_colon)
            for start, end, kind, reading in spans:
                if (start, end) in seen:
                    continue
                seen.add((start, end))
                text = passage.text[start - passage.start : end - passage.start]
                context = f"{headings} {asked}".strip()
                out.append(Unit(passage, rank, start, end, text, kind, reading, b, context))
    out.sort(key=lambda u: u.start)
    return out


# -- the ranker -------------------------------------------------------------------------------
RANKER_FEATURES = (
    "dense",  # cosine similarity of the question and the unit (as read alone)
    "dense_gap",  # that cosine minus the best one among the candidates (≤ 0)
    "coverage",  # share of the question's terms in the unit
    "context_coverage",  # … in the unit, its section's headings and the FAQ question it answers
    "type_match",  # the question asks for a kind of fact (amount, date, place…) the unit holds
    "type_miss",  # the question asks for an amount, a date or a duration the unit lacks
    "row",  # a table row
    "lead_in",  # a sentence announcing a list (« … : »)
    "fragment",  # no final punctuation (a list item, a caption…)
    "log_words",  # length
    "opening",  # the document's first paragraph (often a summary, sometimes the answer)
    "best_chunk",  # from the passage retrieval ranked first in the document
)
# Bias first. Fitted by benchmarks/answers.py --fit on the dev sets' gold spans, shrunk towards
# weights set by hand from what each feature means (see docs/answers.md for both figures).
RANKER_WEIGHTS = (-7.063, 4.352, 6.29, 0.854, 0.77, 0.58, -0.615, 0.017, 0.339, -0.466, 0.033, 2.098, 1.04)


def _coverage(terms: frozenset[str], text: str) -> float:
    return len(terms & _terms(text)) / len(terms) if terms else 0.0


@lru_cache(maxsize=16384)
def _terms(text: str) -> frozenset[str]:
    return frozenset(analyse(text))


def features(question: str, candidates: Sequence[Unit], dense: np.ndarray) -> np.ndarray:
    """One row of :data:`RANKER_FEATURES` per candidate; ``dense`` holds their cosines."""
    terms = _terms(question)
    qtype = question_type(question)
    price = bool(_PRICE.search(fold(question)))
    best_dense = float(dense.max()) if len(dense) else 0.0
    rows = []
    for unit, cos in zip(candidates, dense, strict=True):
        has = _has(qtype, unit.reading, price) if qtype != "other" else False
        reading = f"{unit.reading} {contact_words(unit.reading)}"
        rows.append(
            (
                float(cos),
                float(cos) - best_dense,
                _coverage(terms, reading),
                _coverage(terms, f"{unit.context} {reading}"),
                float(has),
                float(qtype in ("quantity", "time", "contact") and not has),
                float(unit.kind == "row"),
                float(unit.kind == "lead_in"),
                float(unit.text.rstrip()[-1:] not in ".!?:;…»)"),
                math.log(max(unit.words, 1)),
                float(unit.passage.start == 0 and unit.block <= 1),
                float(unit.rank == 0),
            )
        )
    return np.array(rows, dtype=np.float64).reshape(len(rows), len(RANKER_FEATURES))


def scores(x: np.ndarray, weights: Sequence[float] | None = None) -> np.ndarray:
    """P(the unit holds the answer) for each row of features."""
    w = np.asarray(RANKER_WEIGHTS if weights is None else weights, dtype=np.float64)
    z = w[0] + x @ w[1:]
    return np.asarray(1.0 / (1.0 + np.exp(-np.clip(z, -50, 50))), dtype=np.float64)


@dataclass(frozen=True)
class Selection:
    """The units an extractive answer quotes: one or more spans, each with its passage."""

    spans: list[list[Unit]]  # consecutive units quoted together; one span per citation


_ANAPHORA = re.compile(r"^(il|elle|ils|elles|cela|ceci|celui-ci|celle-ci|ceux-ci|celles-ci)\b")
_DEMONSTRATIVE = re.compile(r"\b(ce|cet|cette|ces)\b")


def needs_previous(text: str) -> bool:
    """A sentence that points back at the one before (« Elle est gratuite. », « Sans réponse
    dans ce délai, … ») cannot be read alone."""
    folded = fold(text).lstrip()
    return bool(_ANAPHORA.match(folded) or _DEMONSTRATIVE.search(" ".join(folded.split()[:6])))


def _with_neighbours(best: int, candidates: Sequence[Unit], qtype: QuestionType, p: np.ndarray) -> list[int]:
    """The best unit with what it needs to be read: the sentence before it when it points
    back at it, a lead-in brings its list (or, before a table, the table's likeliest row),
    a list item its lead-in (all the list for a « comment » question)."""
    chosen = [best]
    unit = candidates[best]
    previous = candidates[best - 1] if best > 0 else None
    if (
        unit.kind == "sentence"
        and previous is not None
        and previous.passage is unit.passage
        and previous.block == unit.block
        and needs_previous(unit.text)
    ):
        chosen.insert(0, best - 1)
    if unit.kind == "item":  # back to the lead-in
        i = best - 1
        while i >= 0 and candidates[i].passage is unit.passage and candidates[i].kind == "item":
            i -= 1
        if i >= 0 and candidates[i].passage is unit.passage and candidates[i].kind == "lead_in":
            chosen = list(range(i, best + 1)) if qtype == "procedure" else [i, best]
    if unit.kind == "item" and qtype == "procedure" and candidates[chosen[0]].kind == "item":
        # A list under a heading (no lead-in sentence): the items before it too.
        i = chosen[0] - 1
        while i >= 0 and candidates[i].passage is unit.passage and candidates[i].kind == "item":
            chosen.insert(0, i)
            i -= 1
    if candidates[chosen[-1]].kind == "lead_in" or (qtype == "procedure" and candidates[chosen[-1]].kind == "item"):
        words = sum(candidates[i].words for i in chosen)
        nxt = chosen[-1] + 1
        while (
            nxt < len(candidates)
            and candidates[nxt].passage is unit.passage
            and candidates[nxt].kind == "item"
            and words < 80
        ):
            chosen.append(nxt)
            words += candidates[nxt].words
            nxt += 1
    last = chosen[-1]
    if candidates[last].kind == "lead_in":
        rows = []
        nxt = last + 1
        while nxt < len(candidates) and candidates[nxt].passage is unit.passage and candidates[nxt].kind == "row":
            rows.append(nxt)
            nxt += 1
        if rows:
            chosen.append(max(rows, key=lambda i: p[i]))
    return sorted(set(chosen))


def select(
    question: str, candidates: Sequence[Unit], dense: np.ndarray, probabilities: np.ndarray | None = None
) -> Selection | None:
    """The units to quote: the best one (with its lead-in or list), and a second one of the
    same document when the ranker finds it almost as likely and the answer stays short.
    ``probabilities``: the ranker's scores of ``candidates``, when already computed."""
    if not candidates:
        return None
    p = scores(features(question, candidates, dense)) if probabilities is None else probabilities
    qtype = question_type(question)
    order = [int(i) for i in np.argsort(-p)]
    first = _with_neighbours(order[0], candidates, qtype, p)
    # Units that are not next to each other in the document (a lead-in and the one table
    # row that answers) are quoted as separate spans: each citation highlights exactly its
    # text, not the rows in between.
    groups: list[list[int]] = []
    for i in first:
        if groups and i == groups[-1][-1] + 1:
            groups[-1].append(i)
        else:
            groups.append([i])
    words = sum(candidates[i].words for i in first)
    lead_in = any(candidates[i].kind == "lead_in" for i in first)
    for i in order[1:3]:
        unit = candidates[i]
        if i in first or p[i] < 0.8 * p[order[0]] or words + unit.words > 90:
            continue
        if lead_in and unit.kind == "item":
            continue  # already read with its list
        groups.append([i])
        words += unit.words
        break
    groups.sort()
    return Selection([[candidates[i] for i in group] for group in groups])
