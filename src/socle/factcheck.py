"""Does a source sentence support a generated sentence? A French fact-checking verifier.

A claim (one sentence written by a language model) is supported by a source span (one
sentence, or two adjacent ones) when three rules hold, checked in this order:

1. **Quantities.** Every number, amount, percentage, duration, ordinal and date of the
   claim is found in the source after normalisation: numbers written in words become digits
   (text2num's ``alpha2digit``, French), "1 000" / "1 000" / "1.000" are one thousand,
   "12 euros" = "12 €" = "12,00 €", "1er" = "premier", "quinze jours" = "15 jours".
   A quantity keeps its unit and is compared in that unit: "2 mois" ≠ "60 jours" ≠
   "2 semaines", "48 heures" ≠ "2 jours", "25 jours ouvrés" ≠ "25 jours ouvrables". French
   administrative law counts these differently (a month is a calendar month, working days
   are not business days), so converting would accept sentences a lawyer would reject. A
   claim may drop a qualifier the source has ("25 jours" for "25 jours ouvrés") but not
   add one. Numbers of the source the claim does not use are fine.
2. **Polarity.** Each negation (ne… pas/plus/jamais/rien/aucun/guère/point/personne/ni,
   "ne peut" + infinitive, "sans", "non", "aucun", a bare "pas de") is anchored to the
   words it bears on: the verb between "ne" and "pas" (or the infinitive after a modal),
   and the first content word after it; its *head* is that verb. A claim negation must
   meet a source negation on the same head, and a source negation whose head the claim
   repeats (with the same auxiliary, for "n'avez pas" / "n'est pas") must be repeated, as
   often as the source does when the claim repeats the word as often. A few antonyms
   (``_OPPOSITES``) are read as the negation of their opposite, "interdit" = "non
   autorisé", "facultatif" = "non obligatoire", so "n'est pas autorisé" supports "est
   interdit" and two negations of one word ("n'est pas interdit") cancel. "ne… que"
   ("only") and the expletive "ne" ("avant qu'il ne parte") are not negations.
3. **Words.** Every content word of the claim is in the source, compared on French
   Snowball stems (``socle.analysis.analyse``: stop words removed, accents folded), with
   the verb endings and plurals Snowball stems apart merged ("bénéficient" / "bénéficie",
   "retraits" / "retrait"), a few equivalence groups of true synonyms in administrative
   French (``_EQUIVALENTS``: "peut" = "il est possible de", "doit" = "est tenu de",
   "bénéficie de" = "dispose de" = "a droit à", "excéder" = "dépasser"…), connectives and
   demonstratives ignored (``_IGNORED``: "en outre", "cette"…), and a tolerance for light
   words (``_is_light``): framing verbs ("concerne", "permet", "s'agit"…), "bénéficier"/
   "disposer", and "doit"/"il faut" added to a rule the source states in the indicative
   ("la demande est saisie…"); at most a quarter of the claim's content words, two at
   most. "peut" is never light: it turns an obligation into an option. Names
   (capitalised words that do not open a sentence, acronyms) must appear as written
   (accents and case aside).

The score is the share of the claim's content words found in the source. ``best_support``
prefers one sentence (the best score, then the one closest to the claim); two adjacent
sentences are tried only when the claim joins them (each brings a word or a quantity the
other lacks), and never when one sentence holds all the claim's words with the opposite
polarity.

Dates are read by a small French normaliser of our own rather than dateparser: on
sentences, ``dateparser.search.search_dates`` read "15 jours" and "5 jours" as dates
(15 days from today), dropped the day of "1er janvier 2024" and "premier janvier 2024",
and took 20-130 ms on a sentence, where the whole check must stay well under a
millisecond. The normaliser reads a day (digits, "1er", "premier" or a number word) + a
month name (or abbreviation) + an optional year, "15/03/2024", "03/2024", and a month
name alone; a year alone is a plain number.

Everything computed from a text is cached (``functools.lru_cache``): the same source
sentences are checked against every sentence of every answer.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from functools import lru_cache

from text_to_num import alpha2digit

from socle.analysis import analyse, fold_accents

__all__ = ["Check", "Fact", "best_support", "check", "facts", "polarity"]


@dataclass(frozen=True)
class Fact:
    """One normalised quantity found in a text.

    ``kind`` is "number", "amount" (value in euros), "percent", "duration" (value in
    ``unit``: "jour", "jour ouvré", "semaine", "mois", "an", "heure"…), "ordinal" or
    "date" (value "YYYY-MM-DD" with "xx"/"xxxx" for a part not written, e.g.
    "xxxx-03-01" for "1er mars"). ``text`` is the span as written in the text.
    """

    kind: str
    value: float | str
    unit: str | None
    text: str


@dataclass(frozen=True)
class Check:
    supported: bool
    reason: str | None  # None when supported; else a short French reason shown to users
    kind: str | None  # "number" | "date" | "unit" | "negation" | "word" | "entity" | None
    score: float  # share of the claim's content words found in the source, in [0, 1]


# -- text normalisation ----------------------------------------------------------------------

# Same-length replacements, so that offsets in the normalised text are offsets in the original.
_SAME_LENGTH = str.maketrans({"’": "'", "ʼ": "'", "\u00a0": " ", "\u202f": " ", "\u2009": " ", "–": "-", "‑": "-"})


def _lower(text: str) -> str:
    """Lower case without changing the length (a few characters lower to two)."""
    low = text.lower()
    if len(low) == len(text):
        return low
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in text)


_UNIT_WORDS = (
    r"(?:jours?|journ[ée]es?|semaines?|mois|ans?|ann[ée]es?|heures?|minutes?|trimestres?|semestres?|euros?|centimes?)\b"
)
_NUMBER_WORD = (
    r"(?:z[ée]ro|une?|deux|trois|quatre|cinq|six|sept|huit|neuf|dix|onze|douze|treize|quatorze|quinze|seize"
    r"|vingts?|trente|quarante|cinquante|soixante|cents?|mille|millions?|milliards?)"
)
_ORDINAL_WORD = (
    r"(?:premi[eè]re?|(?:(?:[a-zé]+-)*(?:deux|trois|quatr|cinqu|six|sept|huit|neuv|dix|onz|douz|treiz|quatorz|quinz"
    r"|seiz|vingt|trent|quarant|cinquant|soixant|cent|mill))i[eè]me)"
)
# A run of French number words ("vingt-cinq", "deux cent mille", "vingt et un"), ending
# optionally with an ordinal ("vingt-troisième").
_NUMBER_RUN = re.compile(
    rf"\b(?:{_ORDINAL_WORD}|{_NUMBER_WORD}(?:(?:-et-|\s+et\s+|[-\s]+){_NUMBER_WORD})*(?:(?:-et-|\s+et\s+|-|\s+){_ORDINAL_WORD})?)\b",
    re.IGNORECASE,
)
_BEFORE_UNIT = re.compile(rf"\s+{_UNIT_WORDS}", re.IGNORECASE)


class _Normalised:
    """A text with numbers written in words replaced by digits, and the way back to the
    original offsets (replaced runs map to their whole original span)."""

    def __init__(self, text: str) -> None:
        self.original = text
        low = _lower(text.translate(_SAME_LENGTH))
        parts: list[str] = []
        self.segments: list[tuple[int, int, int, int]] = []  # (new start, new end, old start, old end)
        pos = new = 0
        for m in _NUMBER_RUN.finditer(low):
            run = m.group()
            after = low[m.end() : m.end() + 20]
            if run in ("un", "une") and not _BEFORE_UNIT.match(after):
                continue  # an article, not a number ("un agent")
            if run == "sept" and after.startswith("."):
                continue  # "sept." is September
            if run == "neuf" and not (_BEFORE_UNIT.match(after) or re.match(r"\s+\w+[sx]\b", after)):
                continue  # "un logement neuf" is new, "neuf enfants" nine
            if re.match(r"(?:millions?|milliards?|mille)\b", run) and re.search(r"\d\s*$", low[: m.start()]):
                continue  # "1,5 million": the multiplier is read with the number
            digits = alpha2digit(run, "fr", threshold=0)
            digits = re.sub(r"(\d)(?:ème|eme)", r"\1e", digits)  # "3ème" -> "3e"
            if digits == run:
                continue
            parts.append(low[pos : m.start()])
            new += m.start() - pos
            parts.append(digits)
            self.segments.append((new, new + len(digits), m.start(), m.end()))
            new += len(digits)
            pos = m.end()
        parts.append(low[pos:])
        self.text = "".join(parts)

    def original_span(self, start: int, end: int) -> str:
        return self.original[self._to_original(start, False) : self._to_original(end, True)].strip()

    def _to_original(self, p: int, is_end: bool) -> int:
        shift = 0
        for new_start, new_end, old_start, old_end in self.segments:
            if p < new_start or (is_end and p == new_start):
                break  # before this replaced run
            if p < new_end or (is_end and p == new_end):
                return old_end if is_end else old_start  # inside it: its whole original span
            shift = old_end - new_end
        return p + shift


# -- quantities and dates ----------------------------------------------------------------------

_MONTHS = {
    "janvier": 1,
    "janv.": 1,
    "février": 2,
    "fevrier": 2,
    "févr.": 2,
    "fevr.": 2,
    "mars": 3,
    "avril": 4,
    "avr.": 4,
    "mai": 5,
    "juin": 6,
    "juillet": 7,
    "juil.": 7,
    "août": 8,
    "aout": 8,
    "septembre": 9,
    "sept.": 9,
    "octobre": 10,
    "oct.": 10,
    "novembre": 11,
    "nov.": 11,
    "décembre": 12,
    "decembre": 12,
    "déc.": 12,
    "dec.": 12,
}
_MONTH = "|".join(re.escape(m) for m in sorted(_MONTHS, key=len, reverse=True))
_DATE_WORDS = re.compile(
    rf"(?<![\w/])(?:(?P<day>[0-3]?\d)(?:er|re)?\s+)?(?P<month>{_MONTH})(?![\w])(?:\s+(?P<year>(?:1[89]|2\d)\d\d)(?!\d))?"
)
_DATE_DIGITS = re.compile(
    r"(?<![\w/.,])(?:(?P<day>[0-3]?\d)[/.-])?(?P<month>[01]?\d)[/.-](?P<year>(?:1[89]|2\d)\d\d|\d\d)(?![\w/.,]|[.,]\d)"
)
_NUM = r"(?<![\w,.])(?P<int>[1-9]\d{0,2}(?:[ .]\d{3})+(?!\d)|\d+)(?:,(?P<dec>\d+))?"
_NUMBER = re.compile(_NUM)
_UNIT = re.compile(
    r"\s*(?:"
    r"(?P<percent>%|pour\s*cent\b|pour\s*100\b|p\.\s*100\b)"
    r"|(?P<mult>millions?|milliards?|mille|k|m|md)?\s*(?:d'|de\s+)?(?P<euro>€|euros?\b|eur\b)"
    r"|(?P<centime>centimes?\b)"
    r"|(?P<hour>h)(?:\s?(?P<minutes>\d\d))?(?![\w])"
    r"|(?P<dur>jours?|journ[ée]es?|semaines?|mois|ans|an|ann[ée]es?|heures?|minutes?|min|trimestres?|semestres?|secondes?)\b"
    r"(?:\s+(?P<qual>ouvr[ée]s?|ouvrables?|calendaires?|francs?|f[ée]ri[ée]s?)\b)?"
    r"(?P<half>\s+et\s+demie?\b)?"
    r"|(?P<ordinal>er|re|ère|e|è|nd|nde)(?![\w])"
    r"|(?P<big>millions?|milliards?)\b"
    r")"
)
# A number followed by more numbers and a unit: "5, 6 ou 7 jours" gives 5 its unit too.
_LIST_TAIL = re.compile(r"(?:\s*,\s*\d+(?:,\d+)?)*\s*(?:ou|et|à|au|-)\s*\d+(?:,\d+)?")
_BASE_UNITS = {
    "jour": "jour",
    "journee": "jour",
    "semaine": "semaine",
    "mois": "mois",
    "an": "an",
    "annee": "an",
    "heure": "heure",
    "minute": "minute",
    "min": "minute",
    "trimestre": "trimestre",
    "semestre": "semestre",
    "seconde": "seconde",
}
_MULTIPLIERS = {"mille": 1e3, "k": 1e3, "million": 1e6, "m": 1e6, "milliard": 1e9, "md": 1e9}


def _singular(word: str) -> str:
    word = fold_accents(word)
    return word[:-1] if word.endswith("s") and word not in ("mois",) else word


def _date_value(day: int | None, month: int | None, year: int | None) -> str:
    return f"{year if year else 'xxxx'}-{f'{month:02d}' if month else 'xx'}-{f'{day:02d}' if day else 'xx'}"


def _parse_date(value: str) -> tuple[int | None, int | None, int | None]:
    y, m, d = value.split("-")
    return (None if d == "xx" else int(d), None if m == "xx" else int(m), None if y == "xxxx" else int(y))


def _number(m: re.Match[str]) -> float:
    whole = re.sub(r"[ .]", "", m.group("int"))
    return float(f"{whole}.{m.group('dec')}") if m.group("dec") else float(whole)


# "au moins 15 jours" is a minimum, "au plus 15 jours" a maximum: a claim may not turn one
# into the other.
_MINIMUM = re.compile(r"(?:au\s+moins|au\s+minimum|minimum|plus\s+de|sup[ée]rieure?s?\s+[àa]|[àa]\s+partir\s+de)\s*$")
_MAXIMUM = re.compile(
    r"(?:au\s+plus|au\s+maximum|maximum|moins\s+de|inf[ée]rieure?s?\s+[àa]|jusqu'[àa]|dans\s+la\s+limite\s+de)\s*$"
)


def _bound(text: str, start: int) -> tuple[str | None, int]:
    """("min" / "max" / None, where its words start) for a quantity starting at ``start``."""
    before = re.sub(r"[*_]", " ", text[max(0, start - 30) : start])  # "au moins **15 jours**"
    for kind, pattern in (("min", _MINIMUM), ("max", _MAXIMUM)):
        m = pattern.search(before)
        if m:
            return kind, start - len(before) + m.start()
    return None, start


def _extract(
    norm: _Normalised,
) -> tuple[tuple[Fact, ...], list[tuple[int, int]], tuple[tuple[str, str] | None, ...]]:
    """Facts of a normalised text, their spans (normalised offsets, with the words of their
    bound) and their bounds: ("min" or "max", the bound and quantity as written)."""
    text = norm.text
    found: list[tuple[int, int, Fact]] = []
    masked = list(text)

    def take(start: int, end: int, fact: Fact) -> None:
        found.append((start, end, fact))
        masked[start:end] = "#" * (end - start)

    for m in _DATE_DIGITS.finditer(text):
        day = int(m.group("day")) if m.group("day") else None
        month, year = int(m.group("month")), int(m.group("year"))
        if not 1 <= month <= 12 or (day is not None and not 1 <= day <= 31):
            continue
        if year < 100:
            if day is None:
                continue  # "3/24" is more likely a ratio than a date
            year += 2000 if year < 70 else 1900
        take(m.start(), m.end(), Fact("date", _date_value(day, month, year), None, norm.original_span(*m.span())))
    for m in _DATE_WORDS.finditer("".join(masked)):
        day = int(m.group("day")) if m.group("day") else None
        if day is not None and not 1 <= day <= 31:
            continue
        word_year = int(m.group("year")) if m.group("year") else None
        month = _MONTHS[m.group("month")]
        take(m.start(), m.end(), Fact("date", _date_value(day, month, word_year), None, norm.original_span(*m.span())))
    text = "".join(masked)
    consumed = 0
    for m in _NUMBER.finditer(text):
        if m.start() < consumed:
            continue  # inside the unit of the previous quantity ("10 pour 100")
        if text[m.start() - 1 : m.start()] == "[" and text[m.end() : m.end() + 1] == "]":
            continue  # a citation marker ("[1]"), not a quantity
        value = _number(m)
        u = _UNIT.match(text, m.end())
        end = m.end()
        if u is None:
            tail = _LIST_TAIL.match(text, m.end())
            if tail:
                u = _UNIT.match(text, tail.end())
                if u is not None and (u.group("ordinal") or u.group("hour")):
                    u = None  # only real units spread over a list
        elif u.group(0).strip() == "":
            u = None
        elif u.start() == m.end() and u.end() > m.end():
            end = u.end()
        kind, unit = "number", None
        if u is not None:
            if u.group("percent"):
                kind, unit = "percent", "%"
            elif u.group("euro"):
                mult = u.group("mult")
                value *= _MULTIPLIERS[_singular(mult)] if mult else 1.0
                kind, unit = "amount", "€"
            elif u.group("centime"):
                kind, unit, value = "amount", "€", value / 100
            elif u.group("hour"):
                minutes = u.group("minutes")
                kind, unit = "duration", "heure"
                value += int(minutes) / 60 if minutes else 0.0
            elif u.group("dur"):
                kind = "duration"
                unit = _BASE_UNITS[_singular(u.group("dur"))]
                if u.group("qual"):
                    qual = _singular(u.group("qual"))
                    unit += " " + {"ouvre": "ouvré", "ferie": "férié"}.get(qual, qual)
                value += 0.5 if u.group("half") else 0.0
            elif u.group("ordinal"):
                kind = "ordinal"
            elif u.group("big"):
                value *= _MULTIPLIERS[_singular(u.group("big"))]
            if u.start() == m.end():
                end = u.end()
        if kind == "amount":
            value = round(value, 2)
        consumed = end
        take(m.start(), end, Fact(kind, value, unit, norm.original_span(m.start(), end)))
    found.sort(key=lambda x: x[0])
    bounds: list[tuple[str, str] | None] = []
    spans: list[tuple[int, int]] = []
    for start, end, f in found:
        bound, bound_start = (None, start) if f.kind == "date" else _bound(text, start)
        bounds.append((bound, norm.original_span(bound_start, end)) if bound else None)
        # The bound's words are part of the quantity (not content words), unless they
        # overlap the previous quantity.
        spans.append((bound_start if not spans or bound_start >= spans[-1][1] else start, end))
    return tuple(f for _, _, f in found), spans, tuple(bounds)


# -- words --------------------------------------------------------------------------------

_TOKEN = re.compile(r"[^\W_]+|[.,;:!?]")
_PUNCT = frozenset(".,;:!?")  # clause boundaries: a negation does not reach past them


def _words(text: str) -> list[str]:
    return text.split()


def _inflections(*lemmas: str) -> list[str]:
    """Adjective/participle forms: "autorisé" -> autorisé, autorisée, autorisés, autorisées."""
    out = []
    for w in lemmas:
        out.append(w)
        if w.endswith("if"):
            out += [w + "s", w[:-1] + "ve", w[:-1] + "ves"]
        elif w.endswith("el"):
            out += [w + "s", w + "le", w + "les"]
        elif w.endswith("al"):
            out += [w + "e", w + "es", w[:-1] + "ux"]
        elif w.endswith("et"):
            out += [w + "s", w + "e", w + "es"]
        elif w.endswith("ier"):
            out += [w + "s", w[:-2] + "ère", w[:-2] + "ères"]
        elif w.endswith("e"):
            out += [w + "s"]
        elif not w.endswith(("s", "x")):
            out += [w + "s", w + "e", w + "es"]
    return out


# Equivalence groups: words that say the same thing in French administrative text, so a
# paraphrase may use one for the other. Conservative on purpose: "congé" / "vacances" are
# not merged ("vacances scolaires" are not leave), nor "agent" / "fonctionnaire" /
# "salarié" (different statuses: a contract agent is no civil servant, a private-sector
# employee no agent), nor "commune" / "mairie", "domicile" / "résidence" (distinct in law).
_EQUIVALENTS: dict[str, list[str]] = {
    # "vous pouvez" = "il est possible de" = "vous avez la possibilité de"
    "@pouvoir": _words(
        "pouvoir peux peut peuvent pouvez pouvons pourra pourras pourrez pourrons pourront pourrait pourraient "
        "pourriez pouvait pouvaient pouvant puisse puissent possible possibles possibilité possibilités"
    ),
    # "doit" = "est tenu de" = "il faut" = "il est obligatoire de"
    "@devoir": [
        *_words("doit doivent devez devons dois devra devras devrez devront devrait devraient devait devaient"),
        *_words("tenu tenue tenus tenues faut faudra faudrait fallait falloir"),
        *_words("obligation obligations obligatoirement nécessairement"),
        *_inflections("obligatoire", "obligé", "nécessaire"),
    ],
    # "bénéficie de" = "dispose de" = "a droit à" (the latter recognised in _analyse)
    "@beneficier": _words(
        "bénéficier bénéficie bénéficies bénéficient bénéficiez bénéficions bénéficiera bénéficieront bénéficierez "
        "bénéficiant bénéficié disposer dispose disposes disposent disposez disposons disposera disposeront "
        "disposerez disposant"
    ),
    "@an": _words("an ans année années"),
    "@depasser": [*_words("dépasser dépasse dépassent excéder excède excèdent"), *_inflections("dépassé", "excédé")],
    # "la demande est réputée acceptée" = "est considérée comme acceptée"
    "@repute": _inflections("réputé", "considéré"),
    "@accorder": _words("accorder octroyer octroie octroient octroyé octroyée octroyés octroyées"),
    "@courriel": _words("courriel courriels mail mails email emails mél"),
    "@commencer": _words("commencer débuter commence débute commencent débutent"),
    "@terminer": _words("terminer achever termine achève terminent achèvent"),
    "@envoyer": _words("envoyer envoie envoient envoyez transmettre transmet transmettent transmettez"),
    "@demander": _words("demander solliciter sollicite sollicitent sollicitez"),
    "@supprimer": _words("supprimer effacer efface effacent effacez effacement suppression"),
    "@recevoir": _words("recevoir reçoit reçoivent recevez percevoir perçoit perçoivent percevez"),
    # The positive side of the antonyms below.
    "@gratuit": [*_inflections("gratuit"), "gratuitement", "gratuité"],
    "@autoriser": [*_inflections("autorisé"), *_words("autoriser autorise autorisent autorisation autorisations")],
    "@accepter": [*_inflections("accepté"), *_words("accepter accepte acceptent acceptation")],
    "@legal": [*_inflections("légal"), "légalement"],
    "@licite": _inflections("licite"),
    "@favorable": _inflections("favorable"),
    "@complet": _inflections("complet"),
    "@regulier": [*_inflections("régulier"), "régulièrement"],
    "@eligible": _inflections("éligible"),
    "@disponible": _inflections("disponible"),
    "@suffisant": _inflections("suffisant"),
}
# Antonyms read as "non" + their opposite, so that "interdit" meets "n'est pas autorisé" and
# contradicts "autorisé". Only pairs whose two sides exclude each other.
_OPPOSITES: dict[str, list[str]] = {
    "@autoriser": [*_inflections("interdit"), "interdire", "interdiction", "interdictions"],
    "@devoir": [*_inflections("facultatif", "optionnel")],
    "@pouvoir": _inflections("impossible"),
    "@gratuit": _inflections("payant"),
    "@accepter": [*_inflections("refusé"), "refuser", "refuse", "refusent", "refus"],
    "@legal": [*_inflections("illégal"), "illégalement"],
    "@licite": _inflections("illicite"),
    "@favorable": _inflections("défavorable"),
    "@complet": _inflections("incomplet"),
    "@regulier": [*_inflections("irrégulier"), "irrégulièrement"],
    "@eligible": _inflections("inéligible"),
    "@disponible": _inflections("indisponible"),
    "@suffisant": _inflections("insuffisant"),
}
# Words that carry no checkable content: discourse connectives a paraphrase adds or drops
# ("en outre", "par ailleurs"), demonstratives and quantifiers the stop list misses. A claim
# needs none of them in the source.
_IGNORED = frozenset(
    fold_accents(w)
    for w in _words(
        "cette cet ces ceux celles chacun chacune chaque aussi très bien alors donc car comme tel telle tels telles "
        "également notamment toutefois cependant néanmoins pourtant enfin ailleurs outre abord ensuite voici voilà "
        "ici lors afin auprès chez parmi selon vers quant quelque quelques lequel laquelle lesquels lesquelles "
        "auquel auxquels duquel desquels résumé bref exemple"
    )
)
# Light words: verbs that frame a sentence without stating a fact ("cela concerne…", "il
# s'agit de…", "cela permet de…", "dans ce cas…"). A generated sentence often adds one, so a
# claim may miss a few of them (see _light_tolerance) while every other content word must be
# in the source. Nouns are left out (but "cas", "principe": "dans ce cas", "en principe"): a
# noun usually carries the fact.
_LIGHT = frozenset(
    [
        *_words("faire fait font effectuer effectue effectuent réaliser réalise réalisent procéder procède procèdent"),
        *_words("permettre permet permettent concerner concerne concernent concernant prévoir prévoit prévoient"),
        *_words("agir agit exister existe existent trouver trouve trouvent situer appliquer applique appliquent"),
        *_inflections("effectué", "réalisé", "concerné", "prévu", "situé", "appliqué", "applicable"),
        *_words("cas généralement principe"),
    ]
)
_NEGATORS = frozenset({"pas", "plus", "jamais", "rien", "aucun", "aucune", "guère", "guere", "point", "personne", "ni"})
_BEFORE_NE = frozenset({"aucun", "aucune", "personne", "rien", "jamais", "ni", "nul", "nulle"})
# "ne peut excéder": a literary negation without "pas".
_LITERARY_NE = frozenset(
    {"peut", "peuvent", "pourra", "pourront", "saurait", "sauraient", "sait", "cesse", "ose", "osent"}
)
_STANDALONE = frozenset({"sans", "non", "aucun", "aucune", "pas", "jamais"})
_AVOIR = frozenset({"a", "ai", "as", "ont", "avez", "avons", "avoir", "aura", "auront", "aurez", "aurait", "ayant"})
_PARTICIPLE_AUX = frozenset({"est", "sont", "être", "pas", "non", "soit", "sera", "seront", "été"})
# Adverbs a negation skips to reach the word it bears on ("n'est désormais plus possible").
_ADVERBS = frozenset(
    _words(
        "désormais toujours encore déjà aussi alors donc vraiment trop très souvent seulement uniquement même "
        "forcément automatiquement systématiquement nécessairement obligatoirement immédiatement"
    )
)
_MODALS = frozenset({"@pouvoir", "@devoir"})
# Forms of "être" and "avoir" are stop words, but a negation may bear on nothing else ("si
# vous ne l'avez pas"): they get a key of their own, used only to compare negations.
_AUXILIARIES = {
    **dict.fromkeys(
        _words("est sont être es suis sommes êtes était étaient sera seront serait seraient soit soient"), "@etre"
    ),
    **dict.fromkeys(
        _words("a ai as ont avez avons avoir avait avaient aura auront aurait auraient ait aient"), "@avoir"
    ),
}
_AUXILIARY_KEYS = frozenset(_AUXILIARIES.values())

_VERB_ENDINGS = ("aient", "ient", "ent", "ions", "iez", "ons", "ez", "ait", "ais", "er", "ir", "i", "e")


def _stem_key(token: str) -> str | None:
    """The Snowball stem of a token with the verb endings it keeps removed, so that
    "bénéficient", "bénéficie" and "bénéficier" meet (Snowball gives three stems)."""
    stems = analyse(token)
    if not stems:
        return None
    if len(token) > 3 and token.endswith("s"):
        # Snowball stems some singulars harder than their plural ("retrait" -> "retr",
        # "retraits" -> "retrait"): a plural is stemmed as its singular.
        stems = analyse(token[:-1]) or stems
    stem = stems[0]
    for suffix in _VERB_ENDINGS:
        if stem.endswith(suffix) and len(stem) - len(suffix) >= 5:
            stem = stem[: -len(suffix)]
            break
    if len(stem) >= 6 and stem.endswith(("tr", "dr")):
        stem = stem[:-1]
    if len(stem) >= 6 and stem[-1] == stem[-2] and stem[-1] in "tnlsp":
        stem = stem[:-1]
    return stem


def _group_forms(groups: dict[str, list[str]]) -> tuple[dict[str, str], dict[str, str]]:
    """(surface form -> group, stem key -> group). Stem keys shorter than 5 letters are left
    out: "dev" (devez) is also the stem of "devant" and "devis"."""
    forms: dict[str, str] = {}
    stems: dict[str, str] = {}
    for canon, words in groups.items():
        for w in words:
            forms[w] = canon
            k = _stem_key(w)
            if k and len(k) >= 5:
                stems.setdefault(k, canon)
    return forms, stems


_FORMS, _STEM_FORMS = _group_forms(_EQUIVALENTS)
# Antonyms are matched on their listed forms only: "faculté" shares a stem with "facultatif".
_OPPOSITE_FORMS = {w: canon for canon, words in _OPPOSITES.items() for w in words}


@lru_cache(maxsize=100_000)
def _lex(token: str) -> tuple[str | None, bool]:
    """(comparison key, is an antonym) of one lower-case token: its equivalence group, else
    its stem key; an antonym ("interdit") gets the key of its opposite ("@autoriser")."""
    if token in _FORMS:
        return _FORMS[token], False
    if token in _OPPOSITE_FORMS:
        return _OPPOSITE_FORMS[token], True
    k = _stem_key(token)
    if k is None:
        return None, False
    return _STEM_FORMS.get(k, k), False


def _key(token: str) -> str | None:
    return _lex(token)[0]


_LIGHT_KEYS = frozenset(k for k in map(_key, _LIGHT) if k) | _MODALS | {"@beneficier"}


def _light_tolerance(n_content: int) -> int:
    """How many light words a claim may add: at most a quarter of its content words, and
    two at most. A claim of fewer than four content words must be fully found."""
    return min(2, n_content // 4)


@dataclass(frozen=True)
class _Group:
    """One negation: the keys it negates and its head (the negated verb, or the word after
    a modal), None when another negation cancels it."""

    keys: frozenset[str]
    head: str | None
    syntactic: bool  # a "ne… pas" kind of negation, not an antonym


@dataclass(frozen=True)
class _Analysis:
    facts: tuple[Fact, ...]
    bounds: tuple[tuple[str, str] | None, ...]  # ("min" / "max", as written), one for each fact
    keys: frozenset[str]  # every content key of the text (what a source offers)
    claim_keys: tuple[tuple[str, str], ...]  # (key, word) the text asserts, outside its quantities
    groups: tuple[_Group, ...]
    negated: frozenset[str]  # keys under an odd number of negations
    counts: dict[str, int]  # occurrences of each key
    negated_counts: dict[str, int]  # negated occurrences of each key
    entities: tuple[tuple[str, str], ...]  # (folded lower form, as written)
    words: frozenset[str]  # every word, folded and lower-cased (for entities)


def _add(a: dict[str, int], b: dict[str, int]) -> dict[str, int]:
    out = dict(a)
    for k, n in b.items():
        out[k] = out.get(k, 0) + n
    return out


def _merge(a: _Analysis, b: _Analysis) -> _Analysis:
    return _Analysis(
        facts=a.facts + b.facts,
        bounds=a.bounds + b.bounds,
        keys=a.keys | b.keys,
        claim_keys=a.claim_keys + b.claim_keys,
        groups=a.groups + b.groups,
        negated=a.negated | b.negated,
        counts=_add(a.counts, b.counts),
        negated_counts=_add(a.negated_counts, b.negated_counts),
        entities=a.entities + b.entities,
        words=a.words | b.words,
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
        if not word[0].isupper() or word.lower() in _MONTHS:
            continue
        if not (_ACRONYM.fullmatch(word) and sum(c.isupper() for c in word) >= 2):
            if len(word) < 2 or not word[1:].islower():
                continue
            before = text[: m.start()]
            if before[-1:] not in ("-", "'") and before.rstrip()[-1:] in ("", *_OPENERS):
                continue  # a capital that opens a sentence, a quote or an item
        out.setdefault(fold_accents(word.lower()), word)
    return tuple(out.items())


def _negations(tokens: list[tuple[str, str | None]]) -> tuple[list[list[int]], set[int]]:
    """Negations of a token list (word, key), each as the positions of the words it bears
    on (its head first), and the positions of the negation words themselves."""
    groups: list[list[int]] = []
    used: set[int] = set()
    n = len(tokens)

    def content(i: int) -> bool:
        word, key = tokens[i]
        if key is None or key in _AUXILIARY_KEYS:
            return False
        return word not in _NEGATORS and word not in _ADVERBS and fold_accents(word) not in _IGNORED

    def verb(i: int) -> bool:  # a word between "ne" and "pas": the verb, maybe an auxiliary
        return content(i) or tokens[i][1] in _AUXILIARY_KEYS

    def next_content(i: int) -> list[int]:
        """The first content word at or after i, within the clause."""
        while i < n and tokens[i][0] not in _PUNCT:
            if content(i):
                return [i]
            i += 1
        return []

    def add(positions: list[int]) -> None:
        # The word a negation bears on is its verb; a modal's infinitive comes after it.
        def rank(i: int) -> tuple[bool, bool]:
            return tokens[i][1] in _AUXILIARY_KEYS, tokens[i][1] in _MODALS

        groups.append(sorted(positions, key=rank))  # stable: the verb first

    for i, (word, _) in enumerate(tokens):
        if word not in ("ne", "n"):
            continue
        particle = None
        for j in range(i + 1, min(n, i + 7)):
            w = tokens[j][0]
            if w in _PUNCT or w in ("que", "qu"):  # restrictive "ne… que" = "only": no negation
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
            if tokens[j][0] in _PUNCT:
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


def _tokens(text: str) -> list[tuple[str, int, int]]:
    return [(m.group(), m.start(), m.end()) for m in _TOKEN.finditer(text)]


@lru_cache(maxsize=8192)  # ~5 KB an entry
def _analyse(text: str) -> _Analysis:
    norm = _Normalised(text)
    found, spans, bounds = _extract(norm)
    raw = _tokens(norm.text)
    tokens: list[tuple[str, str | None]] = []
    antonyms: list[int] = []
    for i, (word, _, _) in enumerate(raw):
        key, opposite = (None, False) if word in _PUNCT else _lex(word)
        if key is None and word in _AUXILIARIES:
            key = _AUXILIARIES[word]
        prev = raw[i - 1][0] if i else ""
        if word == "droit" and prev in _AVOIR:  # "a droit à" = "bénéficie de"
            key = "@beneficier"
        elif word in ("permis", "permise", "permises") and prev in _PARTICIPLE_AUX:
            key = "@autoriser"
        if opposite and key is not None:
            antonyms.append(i)
        tokens.append((word, key))
    spans_negated, used = _negations(tokens)
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
        groups.append(_Group(frozenset(k for i in odd if (k := tokens[i][1])), head, syntactic))
    counts: dict[str, int] = {}
    negated_counts: dict[str, int] = {}
    for i, (_, key) in enumerate(tokens):
        if key is not None:
            counts[key] = counts.get(key, 0) + 1
            if parity.get(i, 0) % 2:
                negated_counts[key] = negated_counts.get(key, 0) + 1
    claim_keys: dict[str, str] = {}
    span_iter = iter(spans)
    span = next(span_iter, None)
    for i, ((word, key), (_, start, end)) in enumerate(zip(tokens, raw, strict=True)):
        while span is not None and span[1] <= start:
            span = next(span_iter, None)
        inside = span is not None and span[0] <= start and end <= span[1]
        if key is None or key in _AUXILIARY_KEYS or inside or i in used or any(c.isdigit() for c in word):
            continue
        if fold_accents(word) in _IGNORED:
            continue
        claim_keys.setdefault(key, word)
    return _Analysis(
        facts=found,
        bounds=bounds,
        keys=frozenset(k for _, k in tokens if k),
        claim_keys=tuple(claim_keys.items()),
        groups=tuple(groups),
        negated=frozenset(k for g in groups for k in g.keys),
        counts=counts,
        negated_counts=negated_counts,
        entities=_entities(text.translate(_SAME_LENGTH)),
        words=frozenset(fold_accents(w.lower()) for w in re.findall(r"[^\W_]+", text)),
    )


# -- checking --------------------------------------------------------------------------------


def _same(a: float | str, b: float | str) -> bool:
    return isinstance(a, float) and isinstance(b, float) and abs(a - b) < 1e-9


def _date_supported(claim: Fact, source: Sequence[Fact]) -> bool:
    """Each part of the claim's date the claim writes equals the source's; a year the
    source date leaves out may stand elsewhere in the source ("en 2024, le 1er mars")."""
    day, month, year = _parse_date(str(claim.value))
    for f in source:
        if f.kind != "date":
            continue
        d, m, y = _parse_date(str(f.value))
        if day not in (None, d) or month not in (None, m):
            continue
        if year in (None, y):
            return True
        if y is None and any(g.kind == "number" and _same(g.value, float(year or 0)) for g in source):
            return True
    return False


def _fact_matches(claim: Fact, f: Fact, unit_named: bool) -> bool:
    """Does source fact ``f`` state the claim's (non-date) quantity?"""
    if unit_named and f.kind == "number" and _same(f.value, claim.value):
        return True
    if claim.kind == "number":
        if _same(f.value, claim.value):
            return True
        if f.kind == "date" and isinstance(claim.value, float):
            d, _, y = _parse_date(str(f.value))
            return claim.value in (d, y)
        return False
    if claim.kind == "ordinal":
        return f.kind in ("ordinal", "number") and _same(f.value, claim.value)
    if claim.kind != f.kind or not _same(f.value, claim.value):
        return False
    if claim.kind != "duration":
        return True
    assert claim.unit is not None and f.unit is not None
    base, _, qual = claim.unit.partition(" ")
    f_base, _, f_qual = f.unit.partition(" ")
    return base == f_base and (not qual or qual == f_qual)


def _fact_supported(claim: Fact, source: Sequence[Fact], keys: Collection[str] = ()) -> bool:
    """Is the claim's quantity in the source? ``keys`` are the source's words: a duration
    matches a bare number when its unit is named in the span ("8 jours" for "2 jours
    supplémentaires lorsqu'il en prend au moins 8")."""
    if claim.kind == "date":
        return _date_supported(claim, source)
    unit_named = claim.kind == "duration" and claim.unit is not None and _key(claim.unit.split()[0]) in keys
    return any(_fact_matches(claim, f, unit_named) for f in source)


def _bound_contrary(claim: Fact, bound: tuple[str, str] | None, source: _Analysis) -> bool:
    """Does the source give the claim's quantity only with the opposite bound ("au plus
    15 jours" for "au moins 15 jours")?"""
    if bound is None or claim.kind == "date":
        return False
    unit_named = claim.kind == "duration" and claim.unit is not None and _key(claim.unit.split()[0]) in source.keys
    matching = [b for f, b in zip(source.facts, source.bounds, strict=True) if _fact_matches(claim, f, unit_named)]
    return bool(matching) and all(b is not None and b[0] != bound[0] for b in matching)


def _fact_failure(claim: Fact, source: Sequence[Fact]) -> tuple[str, str]:
    if claim.kind == "date":
        return "date", f"date absente de la source : « {claim.text} »"
    if claim.kind != "number" and any(
        _same(f.value, claim.value) and (f.kind, f.unit) != (claim.kind, claim.unit) for f in source
    ):
        return "unit", f"unité différente de la source : « {claim.text} »"
    return "number", f"nombre absent de la source : « {claim.text} »"


def _negation_agrees(claim: _Analysis, source: _Analysis) -> bool:
    """Does every negation of the claim bear on a word the source negates, and is every
    negation of the source whose word the claim repeats kept? A negation is judged on its
    head (the negated verb, or the word after a modal); one cancelled by another ("n'est
    pas interdit") asserts nothing."""
    for g in claim.groups:
        if g.head is None:
            continue
        if g.head in source.negated:
            if claim.negated_counts[g.head] <= source.negated_counts[g.head]:
                continue
            return False  # negated more often than in the source: a negation was added
        if g.head in _LIGHT_KEYS and (g.keys - {g.head} - _AUXILIARY_KEYS) & source.negated:
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
            if h not in claim.negated and (g.keys & _AUXILIARY_KEYS) <= said:
                return False
            if claim.counts[h] >= source.counts[h] and claim.negated_counts.get(h, 0) < source.negated_counts[h]:
                return False
            continue
        # The claim words the verb otherwise: it contradicts the source if it repeats
        # every other negated word without a negation (a light verb may be swapped for
        # another: "ne s'applique pas aux agents" -> "concerne les agents").
        rest = g.keys - _AUXILIARY_KEYS - ({g.head} if g.head in _LIGHT_KEYS else set())
        if rest and rest <= said and not rest & claim.negated:
            return False
    return True


def _is_light(key: str, word: str, source: _Analysis) -> bool:
    """May the claim add this word? A framing verb (``_LIGHT``), "bénéficier"/"disposer"
    (the source may say "a", "reçoit"…), or "doit"/"il faut": a rule written in the
    indicative ("la demande est saisie…") is read "doit être saisie", unless the source
    says "peut" (a permission is no obligation). "peut" itself is never light: it turns an
    obligation into an option."""
    if word in _LIGHT or (key == "@beneficier" and (word in _FORMS or word == "droit")):
        return True
    return key == "@devoir" and "@pouvoir" not in source.keys


def _check(claim: _Analysis, source: _Analysis) -> Check:
    content = claim.claim_keys
    found = sum(1 for k, _ in content if k in source.keys)
    score = found / len(content) if content else (1.0 if claim.facts else 0.0)
    for fact, bound in zip(claim.facts, claim.bounds, strict=True):
        if not _fact_supported(fact, source.facts, source.keys):
            kind, reason = _fact_failure(fact, source.facts)
            return Check(False, reason, kind, score)
        if bound is not None and _bound_contrary(fact, bound, source):
            return Check(False, f"borne contraire à la source : « {bound[1]} »", "number", score)
    if not _negation_agrees(claim, source):
        return Check(False, "négation contraire à la source", "negation", score)
    for folded, written in claim.entities:
        if folded not in source.words:
            return Check(False, f"nom absent de la source : « {written} »", "entity", score)
    if not content and not claim.facts:
        return Check(False, "aucun terme vérifiable dans la phrase", "word", score)
    missing = [(k, w) for k, w in content if k not in source.keys]
    heavy = [w for k, w in missing if not _is_light(k, w, source)]
    if heavy:
        return Check(False, f"terme absent de la source : « {heavy[0]} »", "word", score)
    if len(missing) > _light_tolerance(len(content)):
        return Check(False, f"terme absent de la source : « {missing[0][1]} »", "word", score)
    return Check(True, None, None, score)


def facts(text: str) -> list[Fact]:
    """The numbers, amounts, percentages, durations, ordinals and dates of a French text."""
    return list(_analyse(text).facts)


def polarity(text: str) -> bool:
    """True when the sentence contains a negation (ne… pas/plus/jamais/rien/aucun/guère/
    point, "sans", "non", "aucun", "n'…" + "peut")."""
    return any(g.syntactic for g in _analyse(text).groups)


def check(claim: str, source: str) -> Check:
    """Does ``source`` (one sentence or two) support every quantity, negation and content
    word of ``claim``?"""
    return _check(_analyse(claim), _analyse(source))


@lru_cache(maxsize=4096)
def _pair(first: str, second: str) -> _Analysis:
    return _merge(_analyse(first), _analyse(second))


def _precision(claim: _Analysis, source: _Analysis) -> float:
    """Share of the source's own content found in the claim: among sentences that support
    a claim equally, the one closest to it is the best quote."""
    own = {k for k, _ in source.claim_keys}
    if not own:
        return 0.0
    return len(own & {k for k, _ in claim.claim_keys}) / len(own)


def _adds(claim: _Analysis, a: _Analysis, b: _Analysis) -> bool:
    """Does ``b`` bring something of the claim that ``a`` lacks (a word or a quantity)?"""
    if any(k not in a.keys and k in b.keys for k, _ in claim.claim_keys):
        return True
    return any(not _fact_supported(f, a.facts, a.keys) and _fact_supported(f, b.facts, b.keys) for f in claim.facts)


def best_support(
    claim: str, sentences: Sequence[str], *, skip: Collection[int] = ()
) -> tuple[tuple[int, int] | None, Check]:
    """The (first, last) indexes of the sentence, else of the two adjacent sentences, that
    support ``claim``, with the check; ``(None, check)`` with the most relevant failing
    check when none does. Indexes in ``skip`` (headings) are never used.

    Two sentences are tried only when the claim joins them (each brings a word or a
    quantity the other lacks), and never when one sentence holds all the claim's words
    with the opposite polarity: that claim contradicts it, whatever its neighbour says.
    """
    c = _analyse(claim)
    usable = [i for i in range(len(sentences)) if i not in skip]
    best: tuple[float, float, tuple[int, int], Check] | None = None
    fail: tuple[float, float, Check] | None = None
    contradicted = False
    for i in usable:
        s = _analyse(sentences[i])
        result = _check(c, s)
        rank = (result.score, _precision(c, s))
        if result.supported:
            if best is None or rank > best[:2]:
                best = (*rank, (i, i), result)
        else:
            contradicted |= result.kind == "negation" and result.score >= 1.0
            if fail is None or rank > fail[:2]:
                fail = (*rank, result)
    if best is not None:
        return best[2], best[3]
    if not contradicted:
        for i in usable:
            if i + 1 >= len(sentences) or i + 1 in skip:
                continue
            a, b = _analyse(sentences[i]), _analyse(sentences[i + 1])
            if not (_adds(c, a, b) and _adds(c, b, a)):
                continue
            result = _check(c, _pair(sentences[i], sentences[i + 1]))
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
