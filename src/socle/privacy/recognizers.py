"""Presidio recognisers for French identifiers, each validated by its checksum or its context.

Each recogniser is a regular expression that finds candidates cheaply, then a check that
decides: a checksum for the numbers that have one (NIR, IBAN, SIREN/SIRET), a format rule
(phone numbers, plates, IP addresses), or a context word just before the value for the
identifiers that look like anything else (a passport number is only one after
« passeport »). Person names are found by :class:`PersonRecognizer` from what the NLP
engine (:mod:`socle.privacy.analyzer`) put in the artifacts.

E-mail addresses are matched here rather than by Presidio's own recogniser, which
validates domains with ``tldextract`` and so may try to download the public suffix list.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from presidio_analyzer import LocalRecognizer, RecognizerResult

from socle.privacy import validators as v

_U = "A-ZÀ-ÖØ-Þ"
_SP = r"[ \u00a0\u202f]"  # separators inside a value: never a line break (blocks are joined by blank lines)
_MONTHS = "janvier|février|fevrier|mars|avril|mai|juin|juillet|août|aout|septembre|octobre|novembre|décembre|decembre"


class RegexRecognizer(LocalRecognizer):
    """One entity found by one regular expression, then checked by :meth:`accept`.

    ``CONTEXT``, when set, must match within ``CONTEXT_WINDOW`` characters before the value.
    The value is the named group ``v`` when the pattern has one, else the whole match.
    """

    ENTITY: ClassVar[str]
    PATTERN: ClassVar[re.Pattern[str]]
    SCORE: ClassVar[float] = 1.0
    CONTEXT: ClassVar[re.Pattern[str] | None] = None
    CONTEXT_WINDOW: ClassVar[int] = 50

    def __init__(self) -> None:
        super().__init__(supported_entities=[self.ENTITY], supported_language="fr", name=type(self).__name__)
        self.label = type(self).__name__

    def load(self) -> None:
        pass

    def accept(self, value: str) -> bool:
        return True

    def spans(self, text: str) -> list[tuple[int, int, float]]:
        out: list[tuple[int, int, float]] = []
        for m in self.PATTERN.finditer(text):
            group = "v" if "v" in m.re.groupindex else 0
            start, end = m.span(group)
            if self.CONTEXT is not None and not self.CONTEXT.search(text, max(0, start - self.CONTEXT_WINDOW), start):
                continue
            if self.accept(text[start:end]):
                out.append((start, end, self.SCORE))
        return out

    def analyze(self, text: str, entities: list[str], nlp_artifacts: Any = None) -> list[RecognizerResult]:
        return [
            RecognizerResult(self.ENTITY, start, end, score, recognition_metadata=self._metadata())
            for start, end, score in self.spans(text)
        ]

    def _metadata(self) -> dict[str, Any]:
        return {
            RecognizerResult.RECOGNIZER_NAME_KEY: self.label,
            RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
        }


class EmailRecognizer(RegexRecognizer):
    ENTITY = "EMAIL"
    PATTERN = re.compile(
        r"(?<![\w.%+-])[\w.%+-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*"
        r"\.[A-Za-z]{2,24}(?![\w-])"
    )


class PhoneRecognizer(RegexRecognizer):
    """French numbers: 0X XX XX XX XX (any of space . - or nothing), +33 / 0033, with or without (0).

    Special-rate numbers (08...) belong to organisations and are left as they are.
    """

    ENTITY = "TELEPHONE"
    PATTERN = re.compile(
        r"(?<![\w+])(?:(?:\+|00)33[ .\-\u00a0]?(?:\(0\)[ .\-\u00a0]?)?[1-9]|0[1-9])(?:[ .\-\u00a0]?\d{2}){4}(?![\w])"
    )
    SCORE = 0.9

    def accept(self, value: str) -> bool:
        # 08 numbers (0800, 0810, 0899...) are special-rate lines of organisations, never a person's.
        return v.fr_phone_valid(value) and not normalised_phone(value).startswith("08")


def normalised_phone(value: str) -> str:
    digits = "".join(c for c in value.replace("(0)", "") if c.isdigit())
    return "0" + digits[4:] if digits.startswith("0033") else "0" + digits[2:] if digits.startswith("33") else digits


class NirRecognizer(RegexRecognizer):
    """NIR with its key (checked), or without it after « sécurité sociale », « NIR »..."""

    ENTITY = "NIR"
    PATTERN = re.compile(
        rf"(?<![\w])[12378]{_SP}?\d{{2}}{_SP}?(?:0[1-9]|1[0-2]|[2-9]\d){_SP}?(?:\d{{2}}|2[ABab]){_SP}?\d{{3}}{_SP}?\d{{3}}"
        rf"(?:{_SP}?\d{{2}})?(?![\w])"
    )
    _CONTEXT = re.compile(r"(?i)s[ée]curit[ée]\s+sociale|\bNIR\b|\bINSEE\b|\bn°\s*SS\b|\bassur[ée]")

    def spans(self, text: str) -> list[tuple[int, int, float]]:
        out: list[tuple[int, int, float]] = []
        for m in self.PATTERN.finditer(text):
            raw = v.compact(m.group())
            if len(raw) == 15 and v.nir_valid(raw):
                out.append((m.start(), m.end(), 1.0))
            elif len(raw) == 13 and self._CONTEXT.search(text, max(0, m.start() - 60), m.start()):
                out.append((m.start(), m.end(), 0.7))
        return out


class IbanRecognizer(RegexRecognizer):
    """IBAN of any country, grouped by 4 or not; trimmed to its country's length, mod-97 checked."""

    ENTITY = "IBAN"
    PATTERN = re.compile(r"(?<![\w])[A-Z]{2}\d{2}(?:[ \u00a0]?[A-Z0-9]){11,30}")

    def spans(self, text: str) -> list[tuple[int, int, float]]:
        out: list[tuple[int, int, float]] = []
        for m in self.PATTERN.finditer(text):
            positions = [m.start() + i for i, c in enumerate(m.group()) if c.isalnum()]
            expected = v.IBAN_LENGTHS.get(m.group()[:2])
            lengths = [expected] if expected else list(range(min(34, len(positions)), 14, -1))
            for n in lengths:
                if n > len(positions):
                    continue
                end = positions[n - 1] + 1
                if (end == len(text) or not text[end].isalnum()) and v.iban_valid(text[m.start() : end]):
                    out.append((m.start(), end, 1.0))
                    break
        return out


class BicRecognizer(RegexRecognizer):
    ENTITY = "BIC"
    PATTERN = re.compile(r"(?<![\w])[A-Z]{6}[A-Z0-9]{2}(?:[A-Z0-9]{3})?(?![\w])")
    CONTEXT = re.compile(r"(?i)\b(?:BIC|SWIFT|code\s+banque)\b")
    CONTEXT_WINDOW = 40

    def accept(self, value: str) -> bool:
        return v.bic_valid(value)


class SiretRecognizer(RegexRecognizer):
    ENTITY = "SIRET"
    PATTERN = re.compile(rf"(?<![\w])\d{{3}}{_SP}?\d{{3}}{_SP}?\d{{3}}{_SP}?\d{{5}}(?![\w])")

    def accept(self, value: str) -> bool:
        return v.siret_valid(value)


class SirenRecognizer(RegexRecognizer):
    """SIREN: 9 digits, Luhn; only near « SIREN », « RCS »... (one random 9-digit run in ten passes Luhn)."""

    ENTITY = "SIREN"
    PATTERN = re.compile(rf"(?<![\w])\d{{3}}{_SP}?\d{{3}}{_SP}?\d{{3}}(?![\w]|{_SP}?\d)")
    CONTEXT = re.compile(r"(?i)\b(?:SIREN|RCS|immatricul\w*|entreprise|soci[ée]t[ée]|employeur)\b")
    CONTEXT_WINDOW = 60

    def accept(self, value: str) -> bool:
        return v.siren_valid(value)


class PassportRecognizer(RegexRecognizer):
    """French passport number (2 digits, 2 letters, 5 digits), after « passeport »."""

    ENTITY = "PASSEPORT"
    PATTERN = re.compile(r"(?<![\w])\d{2}[A-Z]{2}\d{5}(?![\w])")
    CONTEXT = re.compile(r"(?i)passeport")
    CONTEXT_WINDOW = 60


class IdCardRecognizer(RegexRecognizer):
    """Identity card number: 12 digits (before 2021) or 9 letters and digits, after « carte d'identité », « CNI »."""

    ENTITY = "CNI"
    PATTERN = re.compile(r"(?<![\w])(?:\d{12}|[A-Z0-9]{9})(?![\w])")
    CONTEXT = re.compile(r"(?i)carte\s+(?:nationale\s+)?d['’]\s?identit[ée]|\bCNI\b|pi[èe]ce\s+d['’]\s?identit[ée]")
    CONTEXT_WINDOW = 60
    SCORE = 0.9

    def accept(self, value: str) -> bool:
        return len(value) == 12 or (any(c.isdigit() for c in value) and any(c.isalpha() for c in value))


class BirthDateRecognizer(RegexRecognizer):
    """A date right after « né(e) le », « née à Lyon le », « date de naissance : »."""

    ENTITY = "DATE_NAISSANCE"
    PATTERN = re.compile(
        r"(?i:\bn[ée]{1,2}(?:\(e\))?s?(?:\s+à\s+[^,;:\n]{1,40}?)?\s+le|\bdate\s+de\s+naissance\s*:?|\bDDN\s*:?|"
        r"\bnaissance\s*:)\s*"
        rf"(?P<v>(?:\d{{1,2}}|1er)(?:{_SP}+(?i:{_MONTHS}){_SP}+\d{{4}}|[/.\-]\d{{1,2}}[/.\-]\d{{2,4}})|\d{{4}}-\d{{2}}-\d{{2}})"
    )
    SCORE = 0.95


class PlateRecognizer(RegexRecognizer):
    """Licence plates: SIV AA-123-AA anywhere; older FNI 1234 AB 75 only near « véhicule », « immatriculé »."""

    ENTITY = "IMMATRICULATION"
    PATTERN = re.compile(r"(?<![\w-])[A-Z]{2}[- ]\d{3}[- ][A-Z]{2}(?![\w-])")
    _OLD = re.compile(r"(?<![\w-])\d{1,4}[ -]?[A-Z]{1,3}[ -]?(?:\d{2}|2[AB]|97\d)(?![\w-])")
    _CONTEXT = re.compile(r"(?i)v[ée]hicule|immatricul|plaque")
    SCORE = 0.9

    def spans(self, text: str) -> list[tuple[int, int, float]]:
        out = [(m.start(), m.end(), self.SCORE) for m in self.PATTERN.finditer(text) if v.plate_valid(m.group())]
        for m in self._OLD.finditer(text):
            if self._CONTEXT.search(text, max(0, m.start() - 50), m.start()):
                out.append((m.start(), m.end(), 0.8))
        return out


class IpRecognizer(RegexRecognizer):
    ENTITY = "IP"
    PATTERN = re.compile(
        r"(?<![\w.:])(?:(?:\d{1,3}\.){3}\d{1,3}(?![\w]|\.\d)|(?=[0-9A-Fa-f:]*::|(?:[0-9A-Fa-f]{1,4}:){7})[0-9A-Fa-f:]{3,39}(?![\w:]))"
    )
    SCORE = 0.95

    def accept(self, value: str) -> bool:
        return v.ip_valid(value)


_VOIE = (
    r"(?i:rue|avenue|av\.|boulevard|bd|bld|place|allées?|impasse|chemin|route|quai|cours|square|passage|résidence|"
    r"lotissement|cité|faubourg|fbg|rond-point|sentier|voie|hameau|lieu-dit|parvis|esplanade|promenade|montée|mail|"
    r"villa|chaussée|traverse|ruelle|venelle|clos|domaine|grande[- ]rue|grand[- ]rue|zone\s+(?:artisanale|industrielle))"
)
_NAME_TOKEN = (
    rf"(?:[{_U}][\w'’\-]*|\d{{1,4}}(?!\d)|(?:de\s+la|de|du|des|la|le|les|aux?|à|en|sur|sous|et)(?=[ ])|[dl]['’])"
)
_CITY = rf"[{_U}][\w'’\-]*(?:[ \-](?:[{_U}][\w'’\-]*|sur|sous|en|lès|les|de|du|la|le)){{0,4}}(?:[ ]+(?i:cedex)(?:[ ]\d{{1,2}})?)?"


class AddressRecognizer(RegexRecognizer):
    """Postal addresses: [building,] number + street type + name [, postcode city]; or lieu-dit + postcode."""

    ENTITY = "ADRESSE"
    PATTERN = re.compile(
        r"(?<![\w])(?:(?i:résidence|bâtiment|bât\.?|immeuble|appartement|appt\.?|escalier|entrée)[ ][^,\n]{1,40},[ ]*)*"
        rf"(?:\d{{1,4}}(?:[ ]?(?i:bis|ter|quater)\b|[ ]?[A-D]\b)?,?[ ]+{_VOIE}[ ]+(?P<name>{_NAME_TOKEN}(?:[ ]*{_NAME_TOKEN}){{0,7}})"
        rf"|(?i:lieu-dit|hameau|domaine|résidence)[ ]+[{_U}][^,\n\d]{{1,40}}(?=,?[ ]+\d{{5}}))"
        rf"(?P<post>(?:,?[ ]+|[ ]*[-–][ ]*)(?:\d{{5}}|\d{{2}}[ ]\d{{3}})[ ]+{_CITY})?"
    )
    _TRAILING = re.compile(
        r"(?:[ ,]+(?:de|du|des|de\s+la|d['’]|l['’]|la|le|les|aux?|à|en|sur|sous|et)(?:[ ]+\d{1,4})?)+$"
    )

    def spans(self, text: str) -> list[tuple[int, int, float]]:
        out: list[tuple[int, int, float]] = []
        for m in self.PATTERN.finditer(text):
            if m.group("post"):
                out.append((m.start(), m.end(), 0.95))
                continue
            name = m.group("name")
            if name is None:
                continue
            if not re.search(rf"[{_U}]|\d", name):
                continue  # « 2 cours de français »: a street name has a capital or a number
            end = m.end()
            trailing = self._TRAILING.search(text, m.start("name"), end)
            if trailing:
                end = trailing.start()
            out.append((m.start(), end, 0.85))
        return out


class PersonRecognizer(LocalRecognizer):
    """Person names: what the French NLP engine found (rules + selective NER) in the artifacts."""

    ENTITY = "PERSONNE"

    def __init__(self) -> None:
        super().__init__(supported_entities=[self.ENTITY], supported_language="fr", name="PersonRecognizer")
        self.label = "PersonRecognizer"

    def load(self) -> None:
        pass

    def analyze(self, text: str, entities: list[str], nlp_artifacts: Any = None) -> list[RecognizerResult]:
        if nlp_artifacts is None:
            return []
        metadata = {
            RecognizerResult.RECOGNIZER_NAME_KEY: self.label,
            RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
        }
        return [
            RecognizerResult(self.ENTITY, e.start, e.end, score, recognition_metadata=dict(metadata))
            for e, score in zip(nlp_artifacts.entities, nlp_artifacts.scores, strict=True)
        ]


def default_recognizers() -> list[LocalRecognizer]:
    return [
        EmailRecognizer(),
        PhoneRecognizer(),
        NirRecognizer(),
        IbanRecognizer(),
        BicRecognizer(),
        SiretRecognizer(),
        SirenRecognizer(),
        PassportRecognizer(),
        IdCardRecognizer(),
        BirthDateRecognizer(),
        PlateRecognizer(),
        IpRecognizer(),
        AddressRecognizer(),
        PersonRecognizer(),
    ]


__all__ = [
    "AddressRecognizer",
    "BicRecognizer",
    "BirthDateRecognizer",
    "EmailRecognizer",
    "IbanRecognizer",
    "IdCardRecognizer",
    "IpRecognizer",
    "NirRecognizer",
    "PassportRecognizer",
    "PersonRecognizer",
    "PhoneRecognizer",
    "PlateRecognizer",
    "RegexRecognizer",
    "SirenRecognizer",
    "SiretRecognizer",
    "default_recognizers",
]
