"""Consistent pseudonyms: the same person, e-mail or number gets the same ``[TYPE_n]`` in a document.

Values are compared in a normalised form (case, spacing, word order for names, the national
form of phone numbers), so « Jean DUPONT », « Dupont Jean » and, once either was seen,
« M. Dupont » all become ``[PERSONNE_1]``. The mapping from pseudonym to original is kept in
memory for the caller, which stores it encrypted (``pseudonymise`` mode) or drops it
(``anonymise`` mode).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from socle.models import Block, Document
from socle.privacy.analyzer import Detection, Detector, get_detector
from socle.privacy.validators import compact

# Metadata values are pseudonymised like the text (a JSONL record's extra fields, a PDF's
# author...), except these technical ones.
TECHNICAL_METADATA = frozenset(
    {"url", "source", "id", "mime", "lang", "language", "licence", "license", "format", "path", "filename"}
    | {"date", "created", "modified", "created_at", "updated_at", "pages", "page_count", "encoding"}
)
TOKEN = re.compile(r"\[([A-Z_]+)_(\d+)\]")


def _fold(value: str) -> str:
    text = unicodedata.normalize("NFKD", value.casefold())
    return "".join(c for c in text if not unicodedata.combining(c))


def normalise(kind: str, value: str) -> str:
    """The form under which two mentions of the same value compare equal."""
    if kind == "PERSONNE":
        return " ".join(sorted(re.findall(r"\w+", _fold(value))))
    if kind == "TELEPHONE":
        digits = re.sub(r"\D", "", value.replace("(0)", ""))
        if digits.startswith("0033"):
            digits = "0" + digits[4:]
        elif digits.startswith("33") and len(digits) == 11:
            digits = "0" + digits[2:]
        return digits
    if kind in ("EMAIL", "ADRESSE"):
        return " ".join(_fold(value).replace(",", " ").split())
    return compact(value).upper()


def _loose(value: str) -> str:
    """Case-, accent-, whitespace- and punctuation-insensitive form (``@`` kept)."""
    return re.sub(r"[^\w@]+|_", "", _fold(value))


class AllowList:
    """Texts a collection keeps in clear although the detector finds them (``socle privacy allow``).

    A detection is kept when its text matches an entry whatever the case, accents, spacing and
    punctuation; a phone number also in any formatting (« +33 1 99 00 12 34 » is
    « 01 99 00 12 34 »), a name in any word order; an address also when one of the two holds
    the other (the detector may take in or leave out the building or the city), provided the
    shorter one is long enough to be an address, not a mere city name.
    """

    MIN_ADDRESS = 10  # characters of the loose form, for an address matched by inclusion

    def __init__(self, entries: Iterable[str] = ()) -> None:
        self.entries = tuple(dict.fromkeys(e.strip() for e in entries if e and e.strip()))
        self._loose = {_loose(e) for e in self.entries} - {""}
        self._phones = {p for e in self.entries if len(p := normalise("TELEPHONE", e)) >= 8}
        self._persons = {normalise("PERSONNE", e) for e in self.entries}

    def __bool__(self) -> bool:
        return bool(self.entries)

    def allows(self, kind: str, text: str) -> bool:
        loose = _loose(text)
        if not loose:
            return False
        if loose in self._loose:
            return True
        if kind == "TELEPHONE":
            return normalise(kind, text) in self._phones
        if kind == "PERSONNE":
            return normalise(kind, text) in self._persons
        if kind == "ADRESSE":
            return any(
                min(len(entry), len(loose)) >= self.MIN_ADDRESS and (entry in loose or loose in entry)
                for entry in self._loose
            )
        return False

    def keep(self, detections: Sequence[Detection]) -> list[Detection]:
        """The detections that remain personal data (those not allowed)."""
        return [d for d in detections if not self.allows(d.type, d.text)] if self else list(detections)

    def digest(self) -> str:
        """A short hash of the entries as they compare (part of a protected document's hash)."""
        joined = "\n".join(sorted(self._loose | {f"tel:{p}" for p in self._phones}))
        return hashlib.sha256(joined.encode()).hexdigest()[:16]


@dataclass
class Pseudonymiser:
    """Replaces detections by pseudonyms, consistently across every text given to one instance."""

    mapping: dict[str, str] = field(default_factory=dict)  # pseudonym -> first original form seen
    occurrences: Counter[str] = field(default_factory=Counter)  # type -> replaced mentions
    _keys: dict[tuple[str, str], str] = field(default_factory=dict)
    _numbers: Counter[str] = field(default_factory=Counter)

    def pseudonym(self, kind: str, value: str) -> str:
        key = (kind, normalise(kind, value))
        token = self._keys.get(key)
        if token is None and kind == "PERSONNE" and " " not in key[1]:
            # A surname alone (« M. Dupont ») after the full name: the same person if only one matches.
            matches = {t for (k, n), t in self._keys.items() if k == kind and key[1] in n.split()}
            token = matches.pop() if len(matches) == 1 else None
        if token is None:
            self._numbers[kind] += 1
            token = f"[{kind}_{self._numbers[kind]}]"
            self.mapping[token] = value
        self._keys[key] = token
        self.occurrences[kind] += 1
        return token

    def apply(self, text: str, detections: Sequence[Detection]) -> str:
        """``text`` with each (non-overlapping, sorted) detection replaced by its pseudonym."""
        parts: list[str] = []
        pos = 0
        for d in detections:
            parts.append(text[pos : d.start])
            parts.append(self.pseudonym(d.type, text[d.start : d.end]))
            pos = d.end
        parts.append(text[pos:])
        return "".join(parts)

    def counts(self) -> dict[str, dict[str, int]]:
        """Per type: mentions replaced and distinct values (never the values themselves)."""
        distinct = Counter(TOKEN.match(t).group(1) for t in self.mapping if TOKEN.match(t))  # type: ignore[union-attr]
        return {k: {"occurrences": n, "values": distinct[k]} for k, n in sorted(self.occurrences.items())}


@dataclass(frozen=True)
class PseudonymisedText:
    text: str
    detections: list[Detection]
    mapping: dict[str, str]


def pseudonymise_text(text: str, detector: Detector | None = None) -> PseudonymisedText:
    """One text, pseudonymised on its own (numbering starts at 1)."""
    detections = (detector or get_detector()).detect(text)
    p = Pseudonymiser()
    return PseudonymisedText(p.apply(text, detections), detections, dict(p.mapping))


def pseudonymise_question(text: str) -> tuple[str, list[Detection]]:
    """A user's question with its personal data replaced, before it reaches a model or a log."""
    result = pseudonymise_text(text)
    return result.text, result.detections


@dataclass
class DocumentResult:
    document: Document
    pseudonymiser: Pseudonymiser


def _textual(value: object) -> bool:
    """A non-empty string, or a non-empty list of strings."""
    if isinstance(value, str):
        return bool(value.strip())
    return isinstance(value, list) and bool(value) and all(isinstance(x, str) for x in value)


def pseudonymise_document(
    document: Document,
    detector: Detector | None = None,
    *,
    allow: AllowList | None = None,
    keep_public_figures: bool = False,
) -> DocumentResult:
    """The document with its title, blocks and textual metadata pseudonymised.

    Detection runs on the document text as a whole (blocks joined, as stored) and once on the
    title and each metadata string, so that one Pseudonymiser numbers the whole document.
    ``allow`` (the collection's allow-list) and ``keep_public_figures`` (its cultural option)
    keep some detections in clear.
    """
    detector = detector or get_detector()
    meta_keys = [k for k, value in document.metadata.items() if k not in TECHNICAL_METADATA and _textual(value)]
    meta_texts: list[str] = []
    for k in meta_keys:
        value = document.metadata[k]
        meta_texts.extend([value] if isinstance(value, str) else value)
    body = document.text
    found = detector.detect_many([document.title, body, *meta_texts], keep_public_figures=keep_public_figures)
    if allow:
        found = [allow.keep(ds) for ds in found]
    p = Pseudonymiser()
    title = p.apply(document.title, found[0])
    if document.title and document.text.startswith(document.title):
        # The title is the text's first line (a .txt, a heading): its mentions are counted once.
        p.occurrences.subtract(Counter(d.type for d in found[0]))
        p.occurrences = +p.occurrences
    blocks: list[Block] = []
    body_detections = found[1]
    for block, (start, end) in zip(document.blocks, document.block_offsets(), strict=True):
        inside = [  # clipped to the block: a detection never leaks by straddling two blocks
            Detection(d.type, max(d.start, start) - start, min(d.end, end) - start, d.text, d.score)
            for d in body_detections
            if d.start < end and d.end > start
        ]
        blocks.append(replace(block, text=p.apply(block.text, inside)) if inside else block)
    metadata = dict(document.metadata)
    pos = 2
    for k in meta_keys:
        value = document.metadata[k]
        if isinstance(value, str):
            metadata[k] = p.apply(value, found[pos])
            pos += 1
        else:
            metadata[k] = [p.apply(x, found[pos + i]) for i, x in enumerate(value)]
            pos += len(value)
    return DocumentResult(replace(document, title=title, blocks=blocks, metadata=metadata), p)


def reveal(text: str, mapping: dict[str, str]) -> str:
    """``text`` with the pseudonyms of ``mapping`` put back (for the collection's administrators)."""
    return TOKEN.sub(lambda m: mapping.get(m.group(0), m.group(0)), text)


__all__ = [
    "AllowList",
    "DocumentResult",
    "PseudonymisedText",
    "Pseudonymiser",
    "normalise",
    "pseudonymise_document",
    "pseudonymise_question",
    "pseudonymise_text",
    "reveal",
]
