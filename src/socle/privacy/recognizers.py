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
_NSEP = r"[ .\-\u00a0\u202f]?"  # one optional separator inside a number: space, dot or dash
_MONTHS = "janvier|février|fevrier|mars|avril|mai|juin|juillet|août|aout|septembre|octobre|novembre|décembre|decembre"


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


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
    """NIR with its key (checked), or without it after « sécurité sociale », « NIR »...

    Any grouping people write (spaces, dots, dashes between the parts) is accepted: the key decides.
    """

    ENTITY = "NIR"
    PATTERN = re.compile(
        rf"(?<![\w.\-])[12378]{_NSEP}\d{{2}}{_NSEP}(?:0[1-9]|1[0-2]|[2-9]\d){_NSEP}(?:\d{{2}}|2[ABab]){_NSEP}"
        rf"\d{{3}}{_NSEP}\d{{3}}(?:{_NSEP}\d{{2}})?(?![\w]|[.\-]\d)"
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
    PATTERN = re.compile(r"(?<![\w])[A-Z]{2}[ ]?\d{2}(?:[ .\-\u00a0]?[A-Z0-9]){11,30}")

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
    """BIC, compact or grouped (« BNPA FR PP XXX »), after « BIC », « SWIFT » or an IBAN."""

    ENTITY = "BIC"
    PATTERN = re.compile(r"(?<![\w])[A-Z]{4}[ ]?[A-Z]{2}[ ]?[A-Z0-9]{2}(?:[ ]?[A-Z0-9]{3})?(?![\w])")
    CONTEXT = re.compile(r"(?i)\b(?:BIC|SWIFT|code\s+banque|IBAN)\b")
    CONTEXT_WINDOW = 80

    def accept(self, value: str) -> bool:
        return v.bic_valid(value.replace(" ", ""))


class SiretRecognizer(RegexRecognizer):
    """SIRET in the groupings people write (3-3-3-5, 3-3-3-3-2, 9-5, none; spaces or dots), checked by Luhn."""

    ENTITY = "SIRET"
    PATTERN = re.compile(
        r"(?<![\w.,])(?:\d{3}(?P<s>[ .\u00a0\u202f]?)\d{3}(?P=s)\d{3}(?:(?P=s)\d{5}|(?P=s)\d{3}(?P=s)\d{2}|[ \u00a0]\d{5})"
        r"|\d{9}[ .\u00a0]\d{5})(?![\w]|[.,]\d)"
    )

    def accept(self, value: str) -> bool:
        return v.siret_valid(value)


class SirenRecognizer(RegexRecognizer):
    """SIREN: 9 digits, Luhn; only near « SIREN », « RCS »... (one random 9-digit run in ten passes Luhn)."""

    ENTITY = "SIREN"
    PATTERN = re.compile(r"(?<![\w.,])\d{3}(?P<s>[ .\u00a0\u202f]?)\d{3}(?P=s)\d{3}(?![\w]|[ .\u00a0\u202f]?\d)")
    CONTEXT = re.compile(
        r"(?i)\b(?:SIREN|SIRET|RCS|immatricul\w*|entreprise|soci[ée]t[ée]|employeur|Kbis|APE|NAF|raison\s+sociale|"
        r"n°\s+d['’]identification|num[ée]ro\s+d['’]entreprise|micro-entrepr\w*|auto-entrepr\w*|artisan\w*)\b"
    )
    CONTEXT_WINDOW = 80

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
    CONTEXT = re.compile(
        r"(?i)carte\s+(?:nationale\s+)?d['’]\s?identit[ée]|\bCNIe?\b|pi[èe]ce\s+d['’]\s?identit[ée]|"
        r"(?:num[ée]ro|n°|no\.?)\s*(?:du\s+|de\s+(?:la\s+)?)?(?:titre|carte)\b|titre\s+d['’]\s?identit[ée]|"
        r"document\s+d['’]\s?identit[ée]"
    )
    CONTEXT_WINDOW = 100
    SCORE = 0.9

    def accept(self, value: str) -> bool:
        return len(value) == 12 or (any(c.isdigit() for c in value) and any(c.isalpha() for c in value))


class BirthDateRecognizer(RegexRecognizer):
    """A date right after « né(e) le », « née à Lyon le », « date de naissance : »."""

    ENTITY = "DATE_NAISSANCE"
    PATTERN = re.compile(
        r"(?i:\bn[ée]{1,2}(?:\(e\))?s?(?:\s+à\s+[^,;:\n]{1,40}?)?\s+le(?:\s*:)?|"
        r"\bdate\s+(?:et\s+lieu\s+)?de\s+naissance\s*[:=]?|\bDDN\s*[:=]?|\bnaissance\s*[:=]|\bn[ée]{1,2}(?:\(e\))?\s*[:=])\s*"
        rf"(?P<v>(?:\d{{1,2}}|1er)(?:{_SP}+(?i:{_MONTHS}){_SP}+\d{{4}}|[/.\-]\d{{1,2}}[/.\-]\d{{2,4}})|\d{{4}}-\d{{2}}-\d{{2}})"
    )
    SCORE = 0.95


class PlateRecognizer(RegexRecognizer):
    """Licence plates: SIV AA-123-AA anywhere; written AA123AA or as older FNI 1234 AB 75 only near a vehicle cue."""

    ENTITY = "IMMATRICULATION"
    PATTERN = re.compile(r"(?<![\w-])[A-Z]{2}[- ]\d{3}[- ][A-Z]{2}(?![\w-])")
    _COMPACT = re.compile(r"(?<![\w-])[A-Z]{2}\d{3}[A-Z]{2}(?![\w-])")
    _OLD = re.compile(r"(?<![\w-])\d{1,4}[ -]?[A-Z]{1,3}[ -]?(?:\d{2}|2[AB]|97\d)(?![\w-])")
    # A form field (« immatriculation = fg 112 hb »): any case.
    _FORM = re.compile(
        r"(?i)(?:immatriculation|plaque|n°\s*d['’]immatriculation|véhicule)\s*[:=]\s*(?P<v>[a-z]{2}[- ]?\d{3}[- ]?[a-z]{2})(?![\w-])"
    )
    _CONTEXT = re.compile(
        r"(?i)v[ée]hicule|immatricul|plaque|voiture|automobile|camion|fourgon|utilitaire|moto\b|scooter|"
        r"carte\s+grise|stationn|fourri[èe]re|contravention|\bPV\b|avis\s+de\s+contravention|conduis|conducteur"
    )
    SCORE = 0.9

    def _cued(self, text: str, start: int, end: int) -> bool:
        return bool(self._CONTEXT.search(text, max(0, start - 60), start) or self._CONTEXT.search(text, end, end + 30))

    def spans(self, text: str) -> list[tuple[int, int, float]]:
        out = [(m.start(), m.end(), self.SCORE) for m in self.PATTERN.finditer(text) if v.plate_valid(m.group())]
        for m in self._COMPACT.finditer(text):
            if v.plate_valid(m.group()) and self._cued(text, m.start(), m.end()):
                out.append((m.start(), m.end(), 0.85))
        for m in self._OLD.finditer(text):
            if self._CONTEXT.search(text, max(0, m.start() - 50), m.start()):
                out.append((m.start(), m.end(), 0.8))
        for m in self._FORM.finditer(text):
            if v.plate_valid(m.group("v")):
                out.append((m.start("v"), m.end("v"), 0.85))
        return out


class IpRecognizer(RegexRecognizer):
    """IPv4 and IPv6 addresses; a four-part number after « version », « build », a product name... is a version."""

    ENTITY = "IP"
    PATTERN = re.compile(
        r"(?<![\w.:])(?:(?:\d{1,3}\.){3}\d{1,3}(?![\w]|\.\d)|(?=[0-9A-Fa-f:]*::|(?:[0-9A-Fa-f]{1,4}:){7})[0-9A-Fa-f:]{3,39}(?![\w:]))"
    )
    SCORE = 0.95
    _VERSION_BEFORE = re.compile(
        r"(?i)(?:\bversions?|\bv|\bver|\brelease|\bbuild|\bfirmware|\bmise\s+à\s+jour|\bmàj|\bupdate|\bpatch|"
        r"\brévision|\brev|\bédition|\bcorrectif|\bmise?s?\s+à\s+jour(?:\s+(?:en|vers|de))?|\bpassage\s+(?:en|à)|"
        r"\bmigration\s+(?:vers|de)|\bpassage\s+de|\d\.\d+[ \t]*(?:→|->|=>|à|vers)|"
        r"\bpilote|\bdriver|\bpackage|\bpaquet|\blogiciel|\bkernel|\bnoyau)[.:\s]*(?:n°\s*)?\Z"
    )
    _NETWORK_WORDS = _words(
        """ip ipv4 adresse serveur server hôte host passerelle gateway routeur router dns proxy poste machine client
        source destination src dst depuis from to vers box imprimante pare-feu firewall vpn nas cible origine"""
    )
    _PRODUCT_BEFORE = re.compile(r"([A-Z][\w+\-]*)[ \u00a0]+\Z")
    _MASK = frozenset({"0", "128", "192", "224", "240", "248", "252", "254", "255"})

    def spans(self, text: str) -> list[tuple[int, int, float]]:
        out: list[tuple[int, int, float]] = []
        for m in self.PATTERN.finditer(text):
            value = m.group()
            if not v.ip_valid(value):
                continue
            if "." in value:
                parts = value.split(".")
                if parts[0] == "255" and all(p in self._MASK for p in parts):
                    continue  # a netmask
                line_start = text.rfind("\n", 0, m.start()) + 1
                before = text[max(line_start, m.start() - 40) : m.start()]
                if self._VERSION_BEFORE.search(before):
                    continue
                product = self._PRODUCT_BEFORE.search(before)
                if product and product.group(1).lower() not in self._NETWORK_WORDS and not product.group(1).isupper():
                    continue  # « Firefox 115.0.2.1 », « Java 1.8.0.201 »
            out.append((m.start(), m.end(), self.SCORE))
        return out


_VOIE = (
    r"(?i:rue|avenue|av\.|boulevard|bd|bld|place|allées?|impasse|chemin|route|quai|cours|square|passage|résidence|"
    r"lotissement|cité|faubourg|fbg|rond-point|sentier|voie|hameau|lieu-dit|parvis|esplanade|promenade|montée|mail|"
    r"villa|chaussée|traverse|ruelle|venelle|clos|domaine|grande[- ]rue|grand[- ]rue|zone\s+(?:artisanale|industrielle|"
    r"d['’]activités?|commerciale)|parc\s+d['’]activités?|ZA|ZI|ZAC|ZAE|ZAL)"
)
_NAME_TOKEN = (
    rf"(?:[{_U}][\w'’\-]*|\d{{1,4}}(?!\d)|(?:de\s+la|de|du|des|la|le|les|aux?|à|en|sur|sous|et)(?=[ ])|[dl]['’])"
)
_CITY = (
    rf"[{_U}][\w'’\-]*(?:[ \-](?:(?!(?i:cedex)\b)[{_U}][\w'’\-]*|sur|sous|en|lès|les|de|du|la|le)){{0,4}}"
    rf"(?:[ ]+(?i:cedex)(?:[ ]\d{{1,2}})?)?"
)


_BOX = r"(?:(?i:BP|B\.P\.|CS|TSA|SP|case\s+postale)[ ]?\d{1,6})"
_PART_SEP = r"(?:,?[ ]*\n[ ]*|,[ ]*|[ ]+|[ ]*[-–][ ]*)"  # comma, dash, space or one line break
_POSTCODE = r"(?:\d{5}|\d{2}[ ]\d{3})"
_BUILDING = (
    r"(?:(?i:résidence|bâtiment|bât\.?|immeuble|appartement|appt\.?|apt\.?|escalier|esc\.?|entrée|étage|logement|"
    r"porte|boîte\s+aux\s+lettres)[ ](?:n°[ ]?)?[A-ZÀ-ÖØ-Þ0-9][^,\n]{0,39}(?:,[ ]*|[ ]*\n[ ]*))"
)
_CLOCK_BEFORE = re.compile(r"\d{1,2}[ ]?[hH:][ ]?\Z")


class AddressRecognizer(RegexRecognizer):
    """Postal addresses, the whole block.

    [building or flat line,] number + street type + name [, BP / CS / TSA box] [, postcode city
    [CEDEX n]], the parts separated by commas, dashes or single line breaks; a street with no
    number, a lieu-dit or a postal box alone only when a postcode follows. A number right
    after a clock time (« à 9 h 15, place de la Gare ») is not a street number.
    """

    ENTITY = "ADRESSE"
    PATTERN = re.compile(
        rf"(?<![\w]){_BUILDING}*"
        rf"(?:(?P<num>\d{{1,4}})(?:[ ]?(?i:bis|ter|quater)\b|[ ]?[A-D]\b)?,?[ ]+{_VOIE}[ ]+"
        rf"(?P<name>{_NAME_TOKEN}(?:[ ]*{_NAME_TOKEN}){{0,7}})"
        rf"|(?P<bare>(?<![\w'’-]){_VOIE}[ ]+(?:{_NAME_TOKEN}[ ]*){{0,3}}[{_U}][\w'’\-]*(?:[ ]*{_NAME_TOKEN}){{0,5}})"
        rf"(?={_PART_SEP}(?:{_BOX}{_PART_SEP})?{_POSTCODE}[ ])"
        rf"|(?:(?i:lieu-dit|hameau|domaine|résidence|ferme|mas|moulin|manoir|bastide|grange|chalet|château|"
        rf"quartier)[ ]+(?:(?:des|du|de[ ]la|de|d['’]|l['’])[ ]?)?|(?<![\w'’])(?<!de[ ])(?<!à[ ])(?<!en[ ])(?<!sur[ ])"
        rf"(?:La|Le|Les|L['’])[ ]?)[{_U}][^,\n\d]{{1,40}}"
        rf"(?={_PART_SEP}(?:{_BOX}{_PART_SEP})?{_POSTCODE}[ ]+[{_U}])"
        rf"|(?<![\w'’])(?i:le\s+bourg)(?={_PART_SEP}{_POSTCODE})"
        rf"|(?P<boxonly>{_BOX})(?={_PART_SEP}{_POSTCODE}[ ])"
        # Swiss, Belgian, Luxembourg and German order: street, number, then a 4-digit postcode.
        rf"|(?P<foreign>(?<![\w'’-]){_VOIE}[ ]+(?:{_NAME_TOKEN}[ ]*){{0,3}}[{_U}][\w'’\-]*(?:[ ]*{_NAME_TOKEN}){{0,5}}?"
        rf"[ ]\d{{1,4}}[a-z]?{_PART_SEP}(?:CH-|B-|L-|D-)?\d{{4}}[ ]+{_CITY}))"
        rf"(?P<flat>{_PART_SEP}(?i:appartement|appt\.?|apt\.?|bâtiment|bât\.?|escalier|esc\.?|étage|porte|logement)"
        rf"[ ](?:n°[ ]?)?[{_U}0-9][^,\n]{{0,20}}?(?=,|[ ]*\n|[ ]+{_POSTCODE}[ ]))?"
        rf"(?P<box>{_PART_SEP}{_BOX})?"
        rf"(?P<post>{_PART_SEP}{_POSTCODE}[ ]+{_CITY})?"
    )
    _TRAILING = re.compile(
        r"(?:[ ,]+(?:de|du|des|de\s+la|d['’]|l['’]|la|le|les|aux?|à|en|sur|sous|et)(?:[ ]+\d{1,4})?)+$"
    )
    # A form field whose key says address: its value, whatever its case (« adresse = 12 rue des lilas 75011 paris »).
    _FORM = re.compile(
        r"(?im)(?<![\w'’])(?:adresse(?!\s*(?:électronique|e-?mail|mail|ip|internet|web|courriel|de\s+messagerie|url))"
        r"(?:\s+(?!électronique|e-?mail|mail|ip\b)[\w'’]+){0,3}?|domicile|lieu\s+de\s+résidence|demeurant|domiciliée?)"
        r"[ \t]*[:=][ \t]*(?:chez\s[^,;|\n]{1,40},\s*)?(?P<v>[^;|&\n—]{6,120}?)[ \t.]*"
        r"(?=$|[;|&\n—]|[ \t]+(?:tél|téléphone|portable|e-?mail|courriel|né|née)\b)"
    )
    _STREETISH = re.compile(rf"(?i)\d.*\b{_VOIE}\b|\b{_POSTCODE}\b|\b{_BOX}\b|lieu-dit")

    def spans(self, text: str) -> list[tuple[int, int, float]]:
        out: list[tuple[int, int, float]] = []
        for m in self.PATTERN.finditer(text):
            if m.group("num") and _CLOCK_BEFORE.search(text, max(0, m.start() - 6), m.start()):
                continue  # « à 9 h 15, place de la Gare »: a time, not a street number
            if m.group("post") or m.group("box") or m.group("flat") or m.group("foreign"):
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
        if ":" in text or "=" in text:
            for m in self._FORM.finditer(text):
                if self._STREETISH.search(m.group("v")):
                    out.append((m.start("v"), m.end("v"), 0.9))
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
