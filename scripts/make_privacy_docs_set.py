"""Build the labelled French document-excerpt set for the personal-data detector.

Reads the hand-written source (tests/data/privacy_docs/source.txt), strips its inline
markup, computes character offsets, validates every span (checksums and formats of the
structured identifiers are recomputed here, independently of the detector), assigns a
dev/test split by imagined source document, and writes tests/data/privacy_docs_fr.jsonl.

    python scripts/make_privacy_docs_set.py            # build, validate, write, print counts
    python scripts/make_privacy_docs_set.py --check    # build and validate only
    python scripts/make_privacy_docs_set.py --fill NIR "2 85 03 75 112 034"   # complete a key

Source format (also described at the top of source.txt):
  - lines starting with "%%" are comments;
  - "=== doc: <slug> | kind: <doc_kind> | domain: <culture|general>" opens an imagined
    source document; every item until the next "===" line belongs to it (and to its split);
  - items are separated by one or more blank lines; the lines of an item keep their breaks;
  - a span is written ⟦TYPE|exact text⟧ and may cross line breaks.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import re
import sys
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "tests" / "data" / "privacy_docs" / "source.txt"
OUTPUT = ROOT / "tests" / "data" / "privacy_docs_fr.jsonl"

TYPES = (
    "PERSONNE",
    "ADRESSE",
    "EMAIL",
    "TELEPHONE",
    "NIR",
    "IBAN",
    "BIC",
    "SIRET",
    "SIREN",
    "CNI",
    "PASSEPORT",
    "DATE_NAISSANCE",
    "IMMATRICULATION",
    "IP",
)
DOMAINS = ("culture", "general")
SPLITS = ("dev", "test")

SPAN_RE = re.compile(r"⟦([A-Z_]+)\|(.*?)⟧", re.DOTALL)
DOC_RE = re.compile(
    r"^===\s*doc:\s*(?P<slug>[\w.-]+)\s*\|\s*kind:\s*(?P<kind>\w+)\s*\|\s*domain:\s*(?P<domain>\w+)\s*$"
)


# --- checksums and formats (written here on purpose: the set must not trust the detector) ---


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def nir_key(first13: str) -> int:
    """The NIR key: 97 - (13 first characters mod 97); Corsica 2A/2B count as 19/18."""
    department = first13[5:7].upper()
    number = first13[:5] + {"2A": "19", "2B": "18"}.get(department, department) + first13[7:13]
    return 97 - int(number) % 97


def nir_ok(value: str) -> bool:
    compact = re.sub(r"[\s.-]", "", value).upper()
    if not re.fullmatch(r"[1-478]\d{4}(?:\d{2}|2A|2B)\d{6}\d{2}", compact):
        return False
    month = int(compact[3:5])
    if not (1 <= month <= 12 or 20 <= month <= 42 or month in (50, 99)):
        return False
    return nir_key(compact[:13]) == int(compact[13:])


IBAN_LENGTHS = {
    "FR": 27,
    "MC": 27,
    "DE": 22,
    "BE": 16,
    "ES": 24,
    "IT": 27,
    "CH": 21,
    "LU": 20,
    "GB": 22,
    "PT": 25,
    "NL": 18,
}


def iban_remainder(compact: str) -> int:
    rearranged = compact[4:] + compact[:4]
    numeric = "".join(str(int(ch, 36)) for ch in rearranged)
    return int(numeric) % 97


def iban_ok(value: str) -> bool:
    compact = re.sub(r"\s", "", value).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]+", compact):
        return False
    if IBAN_LENGTHS.get(compact[:2]) != len(compact):
        return False
    if iban_remainder(compact) != 1:
        return False
    if compact[:2] in ("FR", "MC"):  # the embedded French RIB key must hold as well
        return rib_ok(compact[4:9], compact[9:14], compact[14:25], compact[25:27])
    return True


def _rib_digits(text: str) -> int:
    # Letters of a French account number map to digits (A,J->1 ... I,R->9; S->2 ... Z->9).
    table = {c: str(d) for letters, d in (("AJ", 1), ("BKS", 2), ("CLT", 3), ("DMU", 4), ("ENV", 5)) for c in letters}
    table.update({c: str(d) for letters, d in (("FOW", 6), ("GPX", 7), ("HQY", 8), ("IRZ", 9)) for c in letters})
    return int("".join(table.get(ch, ch) for ch in text.upper()))


def rib_key(bank: str, branch: str, account: str) -> int:
    return 97 - (89 * _rib_digits(bank) + 15 * _rib_digits(branch) + 3 * _rib_digits(account)) % 97


def rib_ok(bank: str, branch: str, account: str, key: str) -> bool:
    return rib_key(bank, branch, account) == int(key)


def siret_ok(value: str) -> bool:
    compact = re.sub(r"[\s.]", "", value)
    return bool(re.fullmatch(r"\d{14}", compact)) and luhn_ok(compact) and luhn_ok(compact[:9])


def siren_ok(value: str) -> bool:
    compact = re.sub(r"[\s.]", "", value)
    return bool(re.fullmatch(r"\d{9}", compact)) and luhn_ok(compact)


def phone_ok(value: str) -> bool:
    compact = re.sub(r"[\s./-]", "", value)
    compact = compact.replace("(0)", "")
    if compact.startswith("+33"):
        compact = "0" + compact[3:]
    elif compact.startswith("0033"):
        compact = "0" + compact[4:]
    return bool(re.fullmatch(r"0[1-9]\d{8}", compact))


def email_ok(value: str) -> bool:
    return bool(re.fullmatch(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}", value, re.IGNORECASE))


SIV_LETTERS = "[A-HJ-NP-TV-Z]"  # no I, O, U in the SIV series


def plate_ok(value: str) -> bool:
    value = value.upper()  # web forms keep what people typed: "fg 112 hb"
    siv = re.fullmatch(rf"({SIV_LETTERS}{{2}})[- ]?(\d{{3}})[- ]?({SIV_LETTERS}{{2}})", value)
    if siv:
        return siv.group(1) not in ("WW", "SS") and siv.group(3) != "SS" and siv.group(2) != "000"
    return bool(re.fullmatch(r"\d{1,4} ?[A-Z]{1,3} ?(?:0[1-9]|[1-8]\d|9[0-5]|2A|2B|97[1-6])", value))


def cni_ok(value: str) -> bool:
    compact = value.replace(" ", "")
    return bool(
        re.fullmatch(r"\d{12}", compact) or (re.fullmatch(r"[A-Z0-9]{9}", compact) and re.search(r"\d", compact))
    )


def passport_ok(value: str) -> bool:
    return bool(re.fullmatch(r"\d{2}[A-Z]{2}\d{5}", value.replace(" ", "")))


def bic_ok(value: str) -> bool:
    return bool(re.fullmatch(r"[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}(?:[A-Z0-9]{3})?", value))


def ip_ok(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


MONTHS = "janvier|février|fevrier|mars|avril|mai|juin|juillet|août|aout|septembre|octobre|novembre|décembre|decembre"


def birth_date_ok(value: str) -> bool:
    numeric = re.fullmatch(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})", value)
    if numeric:
        day, month, year = (int(g) for g in numeric.groups())
        try:
            date(year, month, day)
        except ValueError:
            return False
        return 1900 <= year <= 2024
    iso = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", value)
    if iso:
        year, month, day = (int(g) for g in iso.groups())
        try:
            date(year, month, day)
        except ValueError:
            return False
        return True
    return bool(re.fullmatch(rf"(?:1er|\d{{1,2}}) (?:{MONTHS}) \d{{4}}", value, re.IGNORECASE))


def free_text_ok(value: str) -> bool:
    # Names and addresses: no stray spaces or punctuation at the edges (",", ".", ":" ...).
    return value == value.strip() and not re.match(r"[,;:.!?«»()\-]", value) and not re.search(r"[,;:!?«(\-]$", value)


CHECKS: dict[str, Callable[[str], bool]] = {
    "PERSONNE": free_text_ok,
    "ADRESSE": free_text_ok,
    "EMAIL": email_ok,
    "TELEPHONE": phone_ok,
    "NIR": nir_ok,
    "IBAN": iban_ok,
    "BIC": bic_ok,
    "SIRET": siret_ok,
    "SIREN": siren_ok,
    "CNI": cni_ok,
    "PASSEPORT": passport_ok,
    "DATE_NAISSANCE": birth_date_ok,
    "IMMATRICULATION": plate_ok,
    "IP": ip_ok,
}


# --- parsing ---


@dataclass
class Item:
    doc: str
    doc_kind: str
    domain: str
    line: int
    text: str
    spans: list[dict[str, int | str]]


@dataclass
class Doc:
    slug: str
    kind: str
    domain: str
    items: list[Item] = field(default_factory=list)


class SourceError(ValueError):
    pass


def parse_item(raw: str, doc: Doc, line: int) -> Item:
    text_parts: list[str] = []
    spans: list[dict[str, int | str]] = []
    pos = 0
    length = 0
    for match in SPAN_RE.finditer(raw):
        before = raw[pos : match.start()]
        text_parts.append(before)
        length += len(before)
        label, inner = match.group(1), match.group(2)
        if label not in CHECKS:
            raise SourceError(f"line {line}: unknown type {label!r}")
        if not inner:
            raise SourceError(f"line {line}: empty {label} span")
        if not CHECKS[label](inner):
            raise SourceError(f"line {line}: invalid {label} {inner!r}")
        spans.append({"start": length, "end": length + len(inner), "type": label})
        text_parts.append(inner)
        length += len(inner)
        pos = match.end()
    text_parts.append(raw[pos:])
    text = "".join(text_parts)
    if "⟦" in text or "⟧" in text:
        raise SourceError(f"line {line}: unbalanced markup")
    for span, match in zip(spans, SPAN_RE.finditer(raw), strict=True):
        if text[int(span["start"]) : int(span["end"])] != match.group(2):
            raise SourceError(f"line {line}: offset mismatch")
    return Item(doc.slug, doc.kind, doc.domain, line, text, spans)


def parse_source(path: Path) -> list[Doc]:
    docs: list[Doc] = []
    current: Doc | None = None
    block: list[str] = []
    block_line = 0

    def flush() -> None:
        nonlocal block
        if block:
            if current is None:
                raise SourceError(f"line {block_line}: item outside a document")
            current.items.append(parse_item("\n".join(block), current, block_line))
        block = []

    for number, raw_line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw_line.rstrip()
        if line.startswith("%%"):
            continue
        if line.startswith("==="):
            flush()
            header = DOC_RE.match(line)
            if not header:
                raise SourceError(f"line {number}: bad document header")
            if header["domain"] not in DOMAINS:
                raise SourceError(f"line {number}: unknown domain {header['domain']!r}")
            if any(d.slug == header["slug"] for d in docs):
                raise SourceError(f"line {number}: duplicate document {header['slug']!r}")
            current = Doc(header["slug"], header["kind"], header["domain"])
            docs.append(current)
            continue
        if not line.strip():
            flush()
            continue
        if not block:
            block_line = number
        block.append(line)
    flush()
    return docs


# --- split ---


def assign_splits(docs: list[Doc]) -> dict[str, str]:
    """Whole documents go to one split; within each document kind, balance item counts."""
    split_of: dict[str, str] = {}
    totals = Counter[str]()
    by_kind: dict[str, list[Doc]] = defaultdict(list)
    for doc in docs:
        by_kind[doc.kind].append(doc)
    for kind in sorted(by_kind):
        per_split = Counter[str]()
        for doc in sorted(by_kind[kind], key=lambda d: (-len(d.items), d.slug)):
            split = min(SPLITS, key=lambda s: (per_split[s], totals[s], SPLITS.index(s)))
            split_of[doc.slug] = split
            per_split[split] += len(doc.items)
            totals[split] += len(doc.items)
    return split_of


def build(path: Path) -> list[dict[str, object]]:
    docs = parse_source(path)
    split_of = assign_splits(docs)
    records: list[dict[str, object]] = []
    seen_texts: set[str] = set()
    for doc in docs:
        for item in doc.items:
            if item.text in seen_texts:
                raise SourceError(f"line {item.line}: duplicate item text")
            seen_texts.add(item.text)
            records.append(
                {
                    "id": f"doc-{len(records) + 1:04d}",
                    "text": item.text,
                    "spans": item.spans,
                    "split": split_of[doc.slug],
                    "kind": "positive" if item.spans else "negative",
                    "doc_kind": doc.kind,
                    "domain": doc.domain,
                    "source_doc": doc.slug,
                }
            )
    ids = [r["id"] for r in records]
    if len(ids) != len(set(ids)):
        raise SourceError("duplicate ids")
    return records


def check_coverage(records: list[dict[str, object]]) -> list[str]:
    problems: list[str] = []
    kinds_by_split: dict[str, set[str]] = defaultdict(set)
    types_by_split: dict[str, set[str]] = defaultdict(set)
    for r in records:
        kinds_by_split[str(r["split"])].add(str(r["doc_kind"]))
        for s in r["spans"]:  # type: ignore[attr-defined]
            types_by_split[str(r["split"])].add(s["type"])
    for split in SPLITS:
        for kind in set().union(*kinds_by_split.values()) - kinds_by_split[split]:
            problems.append(f"document kind {kind} absent from {split}")
        for t in set(TYPES) - types_by_split[split]:
            problems.append(f"type {t} absent from {split}")
    return problems


def print_report(records: list[dict[str, object]]) -> None:
    table: dict[str, Counter[str]] = defaultdict(Counter)
    items = Counter[str]()
    negatives = Counter[str]()
    kinds: dict[str, Counter[str]] = defaultdict(Counter)
    for r in records:
        split = str(r["split"])
        items[split] += 1
        negatives[split] += r["kind"] == "negative"
        kinds[str(r["doc_kind"])][split] += 1
        for s in r["spans"]:  # type: ignore[attr-defined]
            table[s["type"]][split] += 1
    print(f"{'type':<16}{'dev':>6}{'test':>6}{'total':>7}")
    for t in TYPES:
        print(f"{t:<16}{table[t]['dev']:>6}{table[t]['test']:>6}{sum(table[t].values()):>7}")
    spans = {s: sum(table[t][s] for t in TYPES) for s in SPLITS}
    print(f"{'all spans':<16}{spans['dev']:>6}{spans['test']:>6}{sum(spans.values()):>7}")
    print(f"{'items':<16}{items['dev']:>6}{items['test']:>6}{sum(items.values()):>7}")
    print(f"{'negatives':<16}{negatives['dev']:>6}{negatives['test']:>6}{sum(negatives.values()):>7}")
    for s in SPLITS:
        print(f"negative share {s}: {negatives[s] / max(items[s], 1):.1%}")
    print(f"negative share all: {sum(negatives.values()) / max(sum(items.values()), 1):.1%}")
    print()
    print(f"{'doc_kind':<20}{'dev':>6}{'test':>6}")
    for kind in sorted(kinds):
        print(f"{kind:<20}{kinds[kind]['dev']:>6}{kinds[kind]['test']:>6}")


def fill(kind: str, partial: str) -> str:
    """Complete an identifier with its check digits (a writing aid for source.txt)."""
    compact = re.sub(r"[\s.]", "", partial).upper()
    if kind == "NIR":
        return f"{partial} {nir_key(compact[:13]):02d}"
    if kind in ("SIREN", "SIRET"):
        for d in "0123456789":
            if kind == "SIREN" and siren_ok(compact + d):
                return partial + d
            if kind == "SIRET" and siret_ok(compact + d):
                return partial + d
        raise SourceError("no check digit fits (for a SIRET, the SIREN part must be valid)")
    if kind == "IBAN":  # partial = country + BBAN, e.g. "FR 20041 01005 0500013M026 06"
        country, bban = compact[:2], compact[2:]
        check = 98 - iban_remainder(country + "00" + bban)
        return f"{country}{check:02d}{bban}"
    if kind == "RIB":  # partial = bank branch account
        bank, branch, account = partial.split()
        return f"{bank} {branch} {account} {rib_key(bank, branch, account):02d}"
    raise SourceError(f"cannot fill {kind}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=SOURCE)
    parser.add_argument("--output", type=Path, default=OUTPUT)
    parser.add_argument("--check", action="store_true", help="validate only, write nothing")
    parser.add_argument("--fill", nargs=2, metavar=("TYPE", "PARTIAL"), help="print a completed identifier")
    args = parser.parse_args(argv)
    if args.fill:
        print(fill(args.fill[0].upper(), args.fill[1]))
        return 0
    try:
        records = build(args.source)
    except SourceError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    problems = check_coverage(records)
    for problem in problems:
        print(f"warning: {problem}", file=sys.stderr)
    if not args.check:
        with args.output.open("w", encoding="utf-8") as out:
            for record in records:
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
        print(f"wrote {len(records)} items to {args.output.relative_to(ROOT)}")
    print_report(records)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
