"""Quantities of a French text: numbers, amounts, percentages, durations, ordinals, dates.

Numbers written in words become digits first (text2num's ``alpha2digit``), in a copy of
the text that keeps the way back to the original offsets, so that a fact keeps its text as
written ("quinze jours"). A quantity keeps its unit and is compared in that unit (see the
package docstring: "2 mois" is not "60 jours"); a date keeps the parts it writes.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from text_to_num import alpha2digit

from socle.analysis import fold_accents
from socle.factcheck.lexicon import key


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


Bound = tuple[str, str]  # ("min" or "max", the bound and its quantity as written)

# -- text normalisation ----------------------------------------------------------------------

# Same-length replacements, so that offsets in the normalised text are offsets in the original.
SAME_LENGTH = str.maketrans({"’": "'", "ʼ": "'", "\u00a0": " ", "\u202f": " ", "\u2009": " ", "–": "-", "‑": "-"})


def lower(text: str) -> str:
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


class Normalised:
    """A text with numbers written in words replaced by digits, and the way back to the
    original offsets (replaced runs map to their whole original span)."""

    def __init__(self, text: str) -> None:
        self.original = text
        low = lower(text.translate(SAME_LENGTH))
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

MONTHS = {
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
_MONTH = "|".join(re.escape(m) for m in sorted(MONTHS, key=len, reverse=True))
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


def parse_date(value: str) -> tuple[int | None, int | None, int | None]:
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


def extract(norm: Normalised) -> tuple[tuple[Fact, ...], list[tuple[int, int]], tuple[Bound | None, ...]]:
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
        month = MONTHS[m.group("month")]
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
    bounds: list[Bound | None] = []
    spans: list[tuple[int, int]] = []
    for start, end, f in found:
        bound, bound_start = (None, start) if f.kind == "date" else _bound(text, start)
        bounds.append((bound, norm.original_span(bound_start, end)) if bound else None)
        # The bound's words are part of the quantity (not content words), unless they
        # overlap the previous quantity.
        spans.append((bound_start if not spans or bound_start >= spans[-1][1] else start, end))
    return tuple(f for _, _, f in found), spans, tuple(bounds)


# -- comparing quantities ---------------------------------------------------------------------


def _same(a: float | str, b: float | str) -> bool:
    return isinstance(a, float) and isinstance(b, float) and abs(a - b) < 1e-9


def _date_supported(claim: Fact, source: Sequence[Fact]) -> bool:
    """Each part of the claim's date the claim writes equals the source's; a year the
    source date leaves out may stand elsewhere in the source ("en 2024, le 1er mars")."""
    day, month, year = parse_date(str(claim.value))
    for f in source:
        if f.kind != "date":
            continue
        d, m, y = parse_date(str(f.value))
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
            d, _, y = parse_date(str(f.value))
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


def fact_supported(claim: Fact, source: Sequence[Fact], keys: Collection[str] = ()) -> bool:
    """Is the claim's quantity in the source? ``keys`` are the source's words: a duration
    matches a bare number when its unit is named in the span ("8 jours" for "2 jours
    supplémentaires lorsqu'il en prend au moins 8")."""
    if claim.kind == "date":
        return _date_supported(claim, source)
    unit_named = claim.kind == "duration" and claim.unit is not None and key(claim.unit.split()[0]) in keys
    return any(_fact_matches(claim, f, unit_named) for f in source)


def bound_contrary(
    claim: Fact,
    bound: Bound | None,
    source: Sequence[Fact],
    source_bounds: Sequence[Bound | None],
    keys: Collection[str],
) -> bool:
    """Does the source give the claim's quantity only with the opposite bound ("au plus
    15 jours" for "au moins 15 jours")? ``source_bounds`` go with ``source``, one each."""
    if bound is None or claim.kind == "date":
        return False
    unit_named = claim.kind == "duration" and claim.unit is not None and key(claim.unit.split()[0]) in keys
    matching = [b for f, b in zip(source, source_bounds, strict=True) if _fact_matches(claim, f, unit_named)]
    return bool(matching) and all(b is not None and b[0] != bound[0] for b in matching)


def fact_failure(claim: Fact, source: Sequence[Fact]) -> tuple[str, str]:
    if claim.kind == "date":
        return "date", f"date absente de la source : « {claim.text} »"
    if claim.kind != "number" and any(
        _same(f.value, claim.value) and (f.kind, f.unit) != (claim.kind, claim.unit) for f in source
    ):
        return "unit", f"unité différente de la source : « {claim.text} »"
    return "number", f"nombre absent de la source : « {claim.text} »"
