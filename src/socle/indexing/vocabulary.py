"""Controlled vocabularies: the categories a collection's documents are classified into.

Two file formats:

- **CSV** (``.csv``, comma or semicolon separated, UTF-8 or Windows-1252), one category per
  row, with a header line. Columns, matched without regard to case or accents:
  ``label`` (or ``libellé``, ``prefLabel``, ``catégorie``, ``thème``; required),
  ``altLabels`` (or ``alt_labels``, ``synonymes``, ``variantes``: several values separated
  by ``|`` or ``;``), ``description`` (or ``définition``, ``scopeNote``, ``note``) and
  ``id`` (or ``uri``, ``code``, ``notation``; defaults to the label). Other columns are
  ignored.
- **SKOS** thesauri (``.ttl`` Turtle, ``.rdf``/``.xml``/``.owl`` RDF/XML, ``.jsonld``
  JSON-LD, ``.nt`` N-Triples), read with ``rdflib``: every ``skos:Concept`` is a category,
  with its ``skos:prefLabel`` (French preferred), ``skos:altLabel`` s,
  ``skos:definition`` (or ``skos:scopeNote``) and ``skos:broader`` concept.

A vocabulary is kept in the collection's settings (``settings["vocabulary"]``) as the
plain dictionary of :meth:`Vocabulary.to_dict`.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from socle.analysis import fold_accents
from socle.errors import ConfigError, ParseError
from socle.parse._common import decode_bytes, normalize_text, read_bytes

SKOS_SUFFIXES = {
    ".ttl": "turtle",
    ".rdf": "xml",
    ".xml": "xml",
    ".owl": "xml",
    ".jsonld": "json-ld",
    ".nt": "nt",
}
_COLUMNS = {
    "label": ("label", "libelle", "preflabel", "categorie", "theme", "nom"),
    "alt_labels": ("altlabels", "alt_labels", "altlabel", "synonymes", "variantes"),
    "description": ("description", "definition", "scopenote", "note"),
    "id": ("id", "uri", "code", "notation", "identifiant"),
}
_ALT_SEPARATOR = re.compile(r"\s*[|;]\s*")


@dataclass(frozen=True)
class Category:
    id: str
    label: str
    alt_labels: tuple[str, ...] = ()
    description: str = ""
    broader: str | None = None  # id of the parent category (SKOS hierarchies)

    @property
    def text(self) -> str:
        """What gets embedded to represent the category: label, variants, definition."""
        head = self.label + (f" ({', '.join(self.alt_labels)})" if self.alt_labels else "")
        return f"{head}. {self.description}".strip() if self.description else head


@dataclass(frozen=True)
class Vocabulary:
    name: str
    categories: tuple[Category, ...]
    source: str = ""  # file it was read from
    examples: dict[str, list[float]] = field(default_factory=dict)  # category id -> centroid (few-shot)
    center: list[float] = field(default_factory=list)  # mean document vector of the collection

    def label_of(self, category_id: str) -> str:
        return next((c.label for c in self.categories if c.id == category_id), category_id)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "source": self.source,
            "categories": [
                {
                    "id": c.id,
                    "label": c.label,
                    "alt_labels": list(c.alt_labels),
                    "description": c.description,
                    **({"broader": c.broader} if c.broader else {}),
                }
                for c in self.categories
            ],
            **({"examples": self.examples} if self.examples else {}),
            **({"center": self.center} if self.center else {}),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Vocabulary:
        return cls(
            name=str(data.get("name", "")),
            source=str(data.get("source", "")),
            categories=tuple(
                Category(
                    id=str(c["id"]),
                    label=str(c["label"]),
                    alt_labels=tuple(c.get("alt_labels", ())),
                    description=str(c.get("description", "")),
                    broader=c.get("broader"),
                )
                for c in data.get("categories", [])
            ),
            examples={str(k): list(v) for k, v in data.get("examples", {}).items()},
            center=[float(x) for x in data.get("center", [])],
        )


def load_vocabulary(path: Path) -> Vocabulary:
    """Read a CSV or SKOS vocabulary file. Raises ParseError (French message) when unusable."""
    suffix = path.suffix.lower()
    if suffix in (".csv", ".tsv"):
        categories = _read_csv(path)
    elif suffix in SKOS_SUFFIXES:
        categories = _read_skos(path, SKOS_SUFFIXES[suffix])
    else:
        raise ParseError(
            f"{path} : format de vocabulaire non pris en charge ({suffix or 'sans extension'}) ; "
            "attendu : .csv, ou SKOS en .ttl, .rdf, .xml, .jsonld, .nt"
        )
    if len(categories) < 2:
        raise ParseError(f"{path} : il faut au moins deux catégories pour classer des documents.")
    ids = [c.id for c in categories]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise ParseError(f"{path} : catégories en double : {', '.join(duplicates[:5])}")
    return Vocabulary(name=path.stem, categories=tuple(categories), source=path.name)


def _column_key(name: str) -> str | None:
    folded = fold_accents(name.strip().lower()).replace(" ", "").replace("-", "_")
    for key, names in _COLUMNS.items():
        if folded in names:
            return key
    return None


def _read_csv(path: Path) -> list[Category]:
    text = decode_bytes(read_bytes(path), path)
    first = text.split("\n", 1)[0]
    delimiter = "\t" if path.suffix.lower() == ".tsv" else (";" if first.count(";") > first.count(",") else ",")
    rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    if not rows:
        raise ParseError(f"{path} : fichier vide")
    columns = {i: key for i, name in enumerate(rows[0]) if (key := _column_key(name))}
    if "label" not in columns.values():
        raise ParseError(
            f"{path} : colonne « label » introuvable dans l'en-tête ({', '.join(rows[0])}) ; "
            "colonnes reconnues : label, altLabels, description, id"
        )
    categories = []
    for row in rows[1:]:
        values = {key: normalize_text(row[i]) for i, key in columns.items() if i < len(row)}
        label = values.get("label", "")
        if not label:
            continue
        alt = tuple(a for a in _ALT_SEPARATOR.split(values.get("alt_labels", "")) if a)
        categories.append(
            Category(
                id=values.get("id") or label, label=label, alt_labels=alt, description=values.get("description", "")
            )
        )
    return categories


def _read_skos(path: Path, fmt: str) -> list[Category]:
    try:
        import rdflib
        from rdflib.namespace import RDF, SKOS
    except ImportError as exc:
        raise ConfigError(
            "Lire un thésaurus SKOS demande le paquet « rdflib » : pip install rdflib (ou fournissez un CSV)."
        ) from exc
    graph = rdflib.Graph()
    try:
        graph.parse(str(path), format=fmt)
    except Exception as exc:  # rdflib raises many unrelated types on bad input
        raise ParseError(f"{path} : SKOS illisible ({type(exc).__name__}: {exc})") from exc

    def texts(subject: Any, predicate: Any) -> list[str]:
        values = [o for o in graph.objects(subject, predicate) if isinstance(o, rdflib.Literal)]
        # French first, then untagged, then the rest, so that [0] is the best label.
        values.sort(key=lambda o: {"fr": 0, None: 1}.get(o.language and o.language.split("-")[0], 2))
        return [normalize_text(str(v)) for v in values if str(v).strip()]

    categories = []
    for concept in sorted(set(graph.subjects(RDF.type, SKOS.Concept)), key=str):
        labels = texts(concept, SKOS.prefLabel)
        if not labels:
            continue
        alt = [a for a in texts(concept, SKOS.altLabel) if a != labels[0]]
        notes = texts(concept, SKOS.definition) or texts(concept, SKOS.scopeNote)
        broader = next(iter(graph.objects(concept, SKOS.broader)), None)
        categories.append(
            Category(
                id=str(concept),
                label=labels[0],
                alt_labels=tuple(dict.fromkeys(alt)),
                description=notes[0] if notes else "",
                broader=str(broader) if broader is not None else None,
            )
        )
    return categories


__all__ = ["SKOS_SUFFIXES", "Category", "Vocabulary", "load_vocabulary"]
