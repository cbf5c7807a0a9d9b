"""Dataset export of a collection: documents and chunks with per-record provenance, a
Croissant description (MLCommons, JSON-LD) and a human datasheet.

``export_collection(store, "rh", Path("export-rh"), fmt="jsonl")`` writes::

    export-rh/
      documents.jsonl   one document per line (or documents.parquet)
      chunks.jsonl      one chunk per line    (or chunks.parquet)
      croissant.json    machine-readable description (Croissant 1.0), with file checksums
      DATASHEET.md      human datasheet, in French ("Datasheets for Datasets" headings)

What is exported is what the store holds: if the collection pseudonymises personal data,
the texts are the pseudonymised ones, never the originals. Every record says where it comes
from (``source``, ``url``), what it was (``content_hash``, ``ingested_at``), under which
``licence``, and which ``transformations`` were applied to it. ``socle ingest export-rh``
re-imports the documents exactly (:mod:`socle.parse.socle_export`); with the same chunk size
(recorded in the provenance) the chunks come out identical too.

Field by field descriptions are in :data:`DOCUMENT_FIELDS` and :data:`CHUNK_FIELDS`, which
also drive the Croissant record sets and the Parquet schemas.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from socle.chunk import DEFAULT_MAX_WORDS
from socle.errors import ConfigError
from socle.indexing import AUTO_KEYWORDS, CATEGORIES, CHUNK_WORDS_SETTING, VOCABULARY_SETTING
from socle.store import Store
from socle.store.records import StoredDocument

Format = Literal["jsonl", "parquet"]
FORMATS: tuple[Format, ...] = ("jsonl", "parquet")
DEFAULT_LICENCE = "non précisée"
ENCODINGS = {"jsonl": "application/jsonlines", "parquet": "application/x-parquet"}
# Settings of a collection that describe its dataset (``socle export --licence ...``).
DATASET_SETTINGS = ("licence", "creator", "description", "citation", "url")

# Well-known licences: the Croissant ``license`` field wants a URL when there is one.
LICENCE_URLS = {
    "licence ouverte": "https://www.etalab.gouv.fr/licence-ouverte-open-licence/",
    "licence ouverte 2.0": "https://www.etalab.gouv.fr/licence-ouverte-open-licence/",
    "etalab-2.0": "https://www.etalab.gouv.fr/licence-ouverte-open-licence/",
    "cc-by-4.0": "https://creativecommons.org/licenses/by/4.0/",
    "cc-by-sa-4.0": "https://creativecommons.org/licenses/by-sa/4.0/",
    "cc0-1.0": "https://creativecommons.org/publicdomain/zero/1.0/",
    "odbl-1.0": "https://opendatacommons.org/licenses/odbl/1-0/",
    "mit": "https://opensource.org/license/mit",
}
FORMAT_OF_MIME = {
    "application/pdf": "pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.oasis.opendocument.text": "odt",
    "text/html": "html",
    "text/markdown": "markdown",
    "text/plain": "text",
    "application/x-ndjson": "jsonl",
}
_NO_PRIVACY = ("", "off", "none", "aucune", "desactive", "désactivé", "disabled")


@dataclass(frozen=True)
class FieldSpec:
    name: str
    type: str  # Croissant data type (of the items, for a list)
    description: str
    arrow: str  # Parquet type: string, int64, float64, list<string>, blocks
    nullable: bool = False
    repeated: bool = False  # a list
    sub: tuple[FieldSpec, ...] = ()  # fields of the items of a list of objects


_BLOCK_FIELDS = (
    FieldSpec("kind", "sc:Text", "heading (titre) ou paragraph.", "string"),
    FieldSpec("level", "sc:Integer", "Niveau du titre (1 = principal), 0 pour un paragraphe.", "int64"),
    FieldSpec("page", "sc:Integer", "Page (formats paginés).", "int64", True),
    FieldSpec("start", "sc:Integer", "Début du bloc dans text (caractères).", "int64"),
    FieldSpec("end", "sc:Integer", "Fin du bloc dans text (caractères, exclue).", "int64"),
)


DOCUMENT_FIELDS = (
    FieldSpec("id", "sc:Text", "Identifiant du document dans sa collection (clé).", "string"),
    FieldSpec("title", "sc:Text", "Titre.", "string"),
    FieldSpec("text", "sc:Text", "Texte intégral (blocs séparés par une ligne vide).", "string"),
    FieldSpec("url", "sc:URL", "Adresse publique d'origine, si connue.", "string", True),
    FieldSpec("source", "sc:Text", "Fichier source (chemin, ou fichier.jsonl#id).", "string"),
    FieldSpec("mime", "sc:Text", "Type MIME du fichier source.", "string"),
    FieldSpec(
        "blocks",
        "sc:Text",
        "Structure : blocs (titres et paragraphes) du document, dans l'ordre, repérés par leur position dans text.",
        "blocks",
        repeated=True,
        sub=_BLOCK_FIELDS,
    ),
    FieldSpec(
        "metadata",
        "sc:Text",
        "Métadonnées du document, objet encodé en JSON (dont auto_keywords et categories).",
        "string",
    ),
    FieldSpec(
        "keywords",
        "sc:Text",
        "Mots-clés automatiques (copie de metadata.auto_keywords).",
        "list<string>",
        repeated=True,
    ),
    FieldSpec(
        "category", "sc:Text", "Catégorie automatique principale (metadata.categories), si vocabulaire.", "string", True
    ),
    FieldSpec("category_confidence", "sc:Float", "Confiance de cette catégorie (0 à 1).", "float64", True),
    FieldSpec("collection", "sc:Text", "Collection Socle d'origine.", "string"),
    FieldSpec("content_hash", "sc:Text", "Empreinte SHA-256 du contenu indexé (titre, descripteurs, blocs).", "string"),
    FieldSpec("ingested_at", "sc:DateTime", "Date d'ingestion dans Socle (UTC, ISO 8601).", "string"),
    FieldSpec("licence", "sc:Text", "Licence du contenu.", "string"),
    FieldSpec("transformations", "sc:Text", "Traitements appliqués, dans l'ordre.", "list<string>", repeated=True),
)
CHUNK_FIELDS = (
    FieldSpec("id", "sc:Text", "Identifiant du passage : identifiant du document # numéro d'ordre.", "string"),
    FieldSpec("document_id", "sc:Text", "Identifiant du document (documents.id).", "string"),
    FieldSpec("ordinal", "sc:Integer", "Position du passage dans le document (à partir de 0).", "int64"),
    FieldSpec("text", "sc:Text", "Texte du passage (extrait exact du texte du document).", "string"),
    FieldSpec("start", "sc:Integer", "Début du passage dans le texte du document (caractères).", "int64"),
    FieldSpec("end", "sc:Integer", "Fin du passage dans le texte du document (caractères, exclue).", "int64"),
    FieldSpec(
        "headings",
        "sc:Text",
        "Titres de section au-dessus du passage, du plus général au plus précis.",
        "list<string>",
        repeated=True,
    ),
    FieldSpec("page", "sc:Integer", "Page où commence le passage (formats paginés).", "int64", True),
    FieldSpec("title", "sc:Text", "Titre du document.", "string"),
    FieldSpec("source", "sc:Text", "Fichier source du document.", "string"),
    FieldSpec("url", "sc:URL", "Adresse publique d'origine du document, si connue.", "string", True),
    FieldSpec("content_hash", "sc:Text", "Empreinte du document dont le passage est issu.", "string"),
    FieldSpec("ingested_at", "sc:DateTime", "Date d'ingestion du document (UTC, ISO 8601).", "string"),
    FieldSpec("licence", "sc:Text", "Licence du contenu.", "string"),
    FieldSpec("transformations", "sc:Text", "Traitements appliqués, dans l'ordre.", "list<string>", repeated=True),
    FieldSpec("embedder", "sc:Text", "Modèle d'embeddings de la collection (vecteurs non exportés).", "string", True),
)


@dataclass
class ExportReport:
    collection: str
    out_dir: Path
    format: Format
    documents: int = 0
    chunks: int = 0
    files: dict[str, int] = field(default_factory=dict)  # file name -> bytes
    seconds: float = 0.0


def licence_url(licence: str) -> str | None:
    return LICENCE_URLS.get(licence.strip().lower())


def transformations(stored: StoredDocument, settings: dict[str, Any]) -> list[str]:
    """What was done to a document between its source file and the store, in order. The
    privacy step is the collection's current mode: a collection's mode applies to all its
    documents (changing it asks for re-ingestion, see socle.privacy)."""
    doc = stored.document
    steps = [f"parse:{FORMAT_OF_MIME.get(doc.mime, doc.mime)}", "normalisation:unicode-nfc+espaces"]
    if not stored.structured:
        steps.append("structure:paragraphes-reconstitues")
    mode = _privacy_mode(settings)
    if mode.lower() not in _NO_PRIVACY:
        steps.append(f"pseudonymisation:{mode}")
    if AUTO_KEYWORDS in doc.metadata:
        steps.append("mots-cles:yake-fr")
    if CATEGORIES in doc.metadata:
        vocabulary = (settings.get(VOCABULARY_SETTING) or {}).get("name") or "vocabulaire"
        steps.append(f"classification:{vocabulary}")
    return steps


def _records(
    store: Store, collection: str, settings: dict[str, Any]
) -> Iterator[tuple[dict[str, Any], list[dict[str, Any]]]]:
    licence = str(settings.get("licence") or DEFAULT_LICENCE)
    chunk_words = int(settings.get(CHUNK_WORDS_SETTING) or DEFAULT_MAX_WORDS)
    embedder = settings.get("embedder")
    for stored in store.stored_documents(collection):
        doc = stored.document
        steps = transformations(stored, settings)
        categories = doc.metadata.get(CATEGORIES) or [{}]
        best = categories[0] if isinstance(categories[0], dict) else {}
        document = {
            "id": doc.key,
            "title": doc.title,
            "text": doc.text,
            "url": doc.url,
            "source": doc.source,
            "mime": doc.mime,
            "blocks": [
                {"kind": b.kind, "level": b.level, "page": b.page, "start": start, "end": end}
                for b, (start, end) in zip(doc.blocks, doc.block_offsets(), strict=True)
            ],
            "metadata": json.dumps(doc.metadata, ensure_ascii=False),
            "keywords": [str(k) for k in doc.metadata.get(AUTO_KEYWORDS, [])],
            "category": best.get("label"),
            "category_confidence": best.get("confidence"),
            "collection": collection,
            "content_hash": stored.content_hash,
            "ingested_at": stored.ingested_at,
            "licence": licence,
            "transformations": steps,
        }
        chunk_steps = [*steps, f"decoupage:socle.chunk(max_words={chunk_words})"]
        chunks = [
            {
                "id": f"{doc.key}#{c.ordinal}",
                "document_id": doc.key,
                "ordinal": c.ordinal,
                "text": c.text,
                "start": c.start,
                "end": c.end,
                "headings": list(c.headings),
                "page": c.page,
                "title": doc.title,
                "source": doc.source,
                "url": doc.url,
                "content_hash": stored.content_hash,
                "ingested_at": stored.ingested_at,
                "licence": licence,
                "transformations": chunk_steps,
                "embedder": embedder,
            }
            for c in stored.chunks
        ]
        yield document, chunks


class _JsonlWriter:
    """One JSON object per line (same interface as :class:`_ParquetWriter`)."""

    def __init__(self, path: Path, fields: tuple[FieldSpec, ...]) -> None:
        self.file = path.open("w", encoding="utf-8", newline="\n")

    def write(self, rows: list[dict[str, Any]]) -> None:
        for row in rows:
            self.file.write(json.dumps(row, ensure_ascii=False) + "\n")

    def close(self) -> None:
        self.file.close()


class _ParquetWriter:
    """Parquet with the schema of ``fields``, written in row groups of :attr:`BATCH` rows."""

    BATCH = 2000

    def __init__(self, path: Path, fields: tuple[FieldSpec, ...]) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        types = {"string": pa.string(), "int64": pa.int64(), "float64": pa.float64()}
        types["list<string>"] = pa.list_(pa.string())
        types["blocks"] = pa.list_(pa.struct([(f.name, types[f.arrow]) for f in _BLOCK_FIELDS]))
        self.pa = pa
        self.schema = pa.schema([pa.field(f.name, types[f.arrow], nullable=f.nullable) for f in fields])
        self.writer = pq.ParquetWriter(str(path), self.schema, compression="zstd")
        self.pending: list[dict[str, Any]] = []

    def write(self, rows: list[dict[str, Any]]) -> None:
        self.pending.extend(rows)
        if len(self.pending) >= self.BATCH:
            self._flush()

    def _flush(self) -> None:
        if self.pending:
            self.writer.write_table(self.pa.Table.from_pylist(self.pending, schema=self.schema))
            self.pending = []

    def close(self) -> None:
        self._flush()
        self.writer.close()


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def export_collection(
    store: Store,
    collection: str,
    out_dir: Path,
    fmt: Format = "jsonl",
) -> ExportReport:
    """Write the collection's documents and chunks, ``croissant.json`` and ``DATASHEET.md``
    into ``out_dir`` (created if needed; files of a previous export are replaced)."""
    if fmt not in FORMATS:
        raise ConfigError(f"Format d'export inconnu : « {fmt} » (attendu : {', '.join(FORMATS)})")
    t0 = time.perf_counter()
    settings = store.collection_settings(collection)  # raises NotFoundError for an unknown collection
    out_dir.mkdir(parents=True, exist_ok=True)
    for old in (*(f"documents.{f}" for f in FORMATS), *(f"chunks.{f}" for f in FORMATS)):
        (out_dir / old).unlink(missing_ok=True)
    writer_class = _JsonlWriter if fmt == "jsonl" else _ParquetWriter
    documents_path, chunks_path = out_dir / f"documents.{fmt}", out_dir / f"chunks.{fmt}"
    report = ExportReport(collection, out_dir, fmt)
    stats = _Stats()
    doc_writer = writer_class(documents_path, DOCUMENT_FIELDS)
    chunk_writer = writer_class(chunks_path, CHUNK_FIELDS)
    try:
        for document, chunks in _records(store, collection, settings):
            doc_writer.write([document])
            chunk_writer.write(chunks)
            report.documents += 1
            report.chunks += len(chunks)
            stats.add(document, chunks)
    finally:
        doc_writer.close()
        chunk_writer.close()
    files = {p.name: (p.stat().st_size, _sha256(p)) for p in (documents_path, chunks_path)}
    croissant = croissant_metadata(collection, settings, fmt, files, stats)
    (out_dir / "croissant.json").write_text(
        json.dumps(croissant, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    (out_dir / "DATASHEET.md").write_text(datasheet(collection, settings, fmt, files, stats), encoding="utf-8")
    report.files = {name: size for name, (size, _) in files.items()}
    for name in ("croissant.json", "DATASHEET.md"):
        report.files[name] = (out_dir / name).stat().st_size
    report.seconds = time.perf_counter() - t0
    return report


@dataclass
class _Stats:
    """Facts about the exported records, for the datasheet and the Croissant description."""

    formats: Counter[str] = field(default_factory=Counter)
    categories: Counter[str] = field(default_factory=Counter)
    keywords: Counter[str] = field(default_factory=Counter)
    transformations: Counter[str] = field(default_factory=Counter)
    first_ingested: str = ""
    last_ingested: str = ""
    characters: int = 0
    with_url: int = 0
    with_pages: int = 0

    def add(self, document: dict[str, Any], chunks: list[dict[str, Any]]) -> None:
        self.formats[FORMAT_OF_MIME.get(document["mime"], document["mime"])] += 1
        if document["category"]:
            self.categories[document["category"]] += 1
        self.keywords.update(set(document["keywords"]))
        self.transformations.update(chunks[0]["transformations"] if chunks else document["transformations"])
        at = document["ingested_at"]
        self.first_ingested = min(self.first_ingested or at, at)
        self.last_ingested = max(self.last_ingested, at)
        self.characters += len(document["text"])
        self.with_url += document["url"] is not None
        self.with_pages += any(b["page"] is not None for b in document["blocks"])


CROISSANT_CONTEXT: dict[str, Any] = {
    "@language": "fr",
    "@vocab": "https://schema.org/",
    "citeAs": "cr:citeAs",
    "column": "cr:column",
    "conformsTo": "dct:conformsTo",
    "cr": "http://mlcommons.org/croissant/",
    "rai": "http://mlcommons.org/croissant/RAI/",
    "data": {"@id": "cr:data", "@type": "@json"},
    "dataType": {"@id": "cr:dataType", "@type": "@vocab"},
    "dct": "http://purl.org/dc/terms/",
    "equivalentProperty": "cr:equivalentProperty",
    "examples": {"@id": "cr:examples", "@type": "@json"},
    "extract": "cr:extract",
    "field": "cr:field",
    "fileProperty": "cr:fileProperty",
    "fileObject": "cr:fileObject",
    "fileSet": "cr:fileSet",
    "format": "cr:format",
    "includes": "cr:includes",
    "isLiveDataset": "cr:isLiveDataset",
    "jsonPath": "cr:jsonPath",
    "key": "cr:key",
    "md5": "cr:md5",
    "parentField": "cr:parentField",
    "path": "cr:path",
    "recordSet": "cr:recordSet",
    "references": "cr:references",
    "regex": "cr:regex",
    "repeated": "cr:repeated",
    "replace": "cr:replace",
    "samplingRate": "cr:samplingRate",
    "sc": "https://schema.org/",
    "separator": "cr:separator",
    "source": "cr:source",
    "subField": "cr:subField",
    "transform": "cr:transform",
}


def _privacy_mode(settings: dict[str, Any]) -> str:
    """The collection's privacy mode (``socle.privacy.policy``: setting ``privacy``)."""
    return str(settings.get("privacy") or settings.get("privacy_mode") or "")


def _privacy_statement(settings: dict[str, Any]) -> str:
    mode = _privacy_mode(settings)
    if mode.lower() in _NO_PRIVACY:
        return (
            "Aucune pseudonymisation n'est appliquée par Socle à cette collection : les textes peuvent "
            "contenir des données personnelles présentes dans les documents sources."
        )
    return (
        f"Les données personnelles détectées ont été pseudonymisées avant indexation (mode « {mode} ») : "
        "les textes exportés sont ceux du stockage, jamais les originaux. La détection automatique "
        "peut manquer des cas : relire avant toute diffusion."
    )


def croissant_metadata(
    collection: str,
    settings: dict[str, Any],
    fmt: Format,
    files: dict[str, tuple[int, str]],
    stats: _Stats,
) -> dict[str, Any]:
    """The Croissant 1.0 JSON-LD description of an export."""
    licence = str(settings.get("licence") or DEFAULT_LICENCE)
    creator = str(settings.get("creator") or "non précisé")
    now = datetime.now(UTC).isoformat(timespec="seconds")
    citation = settings.get("citation") or f"{creator}, collection « {collection} » (export Socle), {now[:10]}."
    distribution = [
        {
            "@type": "cr:FileObject",
            "@id": name,
            "name": name,
            "description": ("Documents" if name.startswith("documents") else "Passages") + f" ({fmt}).",
            "contentUrl": name,
            "contentSize": f"{size} B",
            "encodingFormat": ENCODINGS[fmt],
            "sha256": digest,
        }
        for name, (size, digest) in files.items()
    ]

    def record_set(rs: str, file_name: str, specs: tuple[FieldSpec, ...], description: str) -> dict[str, Any]:
        def field_entry(spec: FieldSpec, parent: str, column: str | None = None) -> dict[str, Any]:
            entry: dict[str, Any] = {
                "@type": "cr:Field",
                "@id": f"{parent}/{spec.name}",
                "name": spec.name,
                "description": spec.description,
                "dataType": spec.type,
            }
            if spec.repeated:
                entry["repeated"] = True
            if spec.sub:
                entry["subField"] = [field_entry(sub, entry["@id"], spec.name) for sub in spec.sub]
                return entry
            source: dict[str, Any] = {"fileObject": {"@id": file_name}, "extract": {"column": column or spec.name}}
            if column:  # a field of the objects of a list column
                source["transform"] = {"jsonPath": spec.name}
            entry["source"] = source
            if rs == "chunks" and spec.name == "document_id":
                entry["references"] = {"field": {"@id": "documents/id"}}
            return entry

        fields = [field_entry(spec, rs) for spec in specs]
        return {
            "@type": "cr:RecordSet",
            "@id": rs,
            "name": rs,
            "description": description,
            "key": {"@id": f"{rs}/id"},
            "field": fields,
        }

    description = settings.get("description") or (
        f"Documents de la collection Socle « {collection} » et leurs passages (découpage pour la recherche), "
        "avec la provenance de chaque enregistrement."
    )
    metadata: dict[str, Any] = {
        "@context": CROISSANT_CONTEXT,
        "@type": "sc:Dataset",
        "conformsTo": "http://mlcommons.org/croissant/1.0",
        "name": f"socle-{collection}",
        "description": description,
        "license": licence_url(licence) or licence,
        "creator": {"@type": "sc:Organization", "name": creator},
        "citeAs": citation,
        "dateCreated": stats.first_ingested or now,
        "dateModified": stats.last_ingested or now,
        "datePublished": now,
        "version": "1.0.0",
        "inLanguage": "fr",
        "keywords": [k for k, _ in stats.keywords.most_common(20)],
        "rai:dataCollection": "Documents fournis par l'institution, lus et découpés par Socle (voir DATASHEET.md).",
        "rai:personalSensitiveInformation": _privacy_statement(settings),
        "distribution": distribution,
        "recordSet": [
            record_set("documents", f"documents.{fmt}", DOCUMENT_FIELDS, "Un document par enregistrement."),
            record_set("chunks", f"chunks.{fmt}", CHUNK_FIELDS, "Un passage par enregistrement."),
        ],
    }
    if settings.get("url"):
        metadata["url"] = settings["url"]
    return metadata


def _thousands(n: int) -> str:
    return f"{n:,}".replace(",", "\u202f")  # French: narrow no-break space between thousands


def datasheet(
    collection: str, settings: dict[str, Any], fmt: Format, files: dict[str, tuple[int, str]], stats: _Stats
) -> str:
    """A human datasheet, in French, after Gebru et al., "Datasheets for Datasets"."""
    licence = str(settings.get("licence") or DEFAULT_LICENCE)
    creator = str(settings.get("creator") or "non précisé")
    n_docs = sum(stats.formats.values())
    chunk_words = int(settings.get(CHUNK_WORDS_SETTING) or DEFAULT_MAX_WORDS)
    todo = "_À compléter par le producteur du jeu de données._"
    lines = [
        f"# Fiche descriptive du jeu de données « socle-{collection} »",
        "",
        f"Export de la collection Socle « {collection} » le {datetime.now(UTC):%d/%m/%Y}, au format {fmt}. "
        "Description lisible par machine : `croissant.json` (format MLCommons Croissant 1.0).",
        "",
        "## Motivation",
        "",
        f"- **Producteur** : {creator}",
        f"- **Description** : {settings.get('description') or todo}",
        f"- **Pourquoi ce jeu de données ?** {todo}",
        "",
        "## Composition",
        "",
        f"- **Documents** : {n_docs} (`documents.{fmt}`), {_thousands(stats.characters)} caractères",
        f"- **Passages** : voir `chunks.{fmt}` (un passage = un extrait exact d'un document, ≤ {chunk_words} mots)",
        "- **Formats d'origine** : " + ", ".join(f"{k} ({v})" for k, v in stats.formats.most_common()),
        f"- **Documents avec une adresse publique** : {stats.with_url} ; **avec numéros de page** : {stats.with_pages}",
        "- **Langue** : français",
    ]
    if stats.categories:
        lines.append(
            "- **Catégories principales** (classement automatique) : "
            + ", ".join(f"{k} ({v})" for k, v in stats.categories.most_common(15))
        )
    if stats.keywords:
        lines.append(
            "- **Mots-clés les plus fréquents** (extraction automatique) : "
            + ", ".join(k for k, _ in stats.keywords.most_common(15))
        )
    lines += [
        f"- **Données personnelles** : {_privacy_statement(settings)}",
        "",
        "### Champs",
        "",
        f"`documents.{fmt}` :",
        "",
        *(f"- `{f.name}` : {f.description}" for f in DOCUMENT_FIELDS),
        "",
        f"`chunks.{fmt}` :",
        "",
        *(f"- `{f.name}` : {f.description}" for f in CHUNK_FIELDS),
        "",
        "## Processus de collecte",
        "",
        f"- **Ingestion** : du {stats.first_ingested[:10] or '?'} au {stats.last_ingested[:10] or '?'}, par Socle "
        "(lecture des fichiers PDF, DOCX, ODT, HTML, Markdown, texte ou JSONL fournis).",
        f"- **Origine des documents** : {todo}",
        "",
        "## Prétraitement, nettoyage, annotation",
        "",
        "Traitements appliqués (nombre de documents) :",
        "",
        *(f"- `{k}` ({v})" for k, v in stats.transformations.most_common()),
        "",
        "- `parse:*` : extraction du texte et de la structure (titres, paragraphes, pages) ;",
        "- `normalisation:*` : Unicode NFC, espaces normalisés, caractères invisibles retirés ;",
        "- `pseudonymisation:*` : remplacement des données personnelles détectées ;",
        "- `mots-cles:yake-fr` : mots-clés automatiques (champ `metadata.auto_keywords`) ;",
        "- `classification:*` : catégories automatiques avec confiance (champ `metadata.categories`) ;",
        f"- `decoupage:*` : découpage en passages (taille maximale {chunk_words} mots).",
        "",
        "## Usages",
        "",
        "- Recherche documentaire, évaluation de systèmes de questions-réponses, analyse de corpus.",
        "- Les catégories et mots-clés automatiques sont des aides, pas des annotations vérifiées.",
        f"- **Usages à éviter** : {todo}",
        "",
        "## Distribution",
        "",
        f"- **Licence** : {licence}" + (f" ({licence_url(licence)})" if licence_url(licence) else ""),
        f"- **Citation** : {settings.get('citation') or todo}",
        "- **Fichiers** :",
        "",
        *(f"  - `{name}` : {_thousands(size)} octets, SHA-256 `{digest}`" for name, (size, digest) in files.items()),
        "",
        "## Maintenance",
        "",
        f"- **Contact** : {todo}",
        "- **Réimport** : `socle ingest DOSSIER_EXPORT --collection NOM"
        + (f" --chunk-words {chunk_words}" if chunk_words != DEFAULT_MAX_WORDS else "")
        + "` restitue les mêmes documents (texte, structure, métadonnées) et les mêmes passages.",
        "",
    ]
    return "\n".join(lines)


__all__ = [
    "CHUNK_FIELDS",
    "DATASET_SETTINGS",
    "DEFAULT_LICENCE",
    "DOCUMENT_FIELDS",
    "FORMATS",
    "ExportReport",
    "FieldSpec",
    "Format",
    "croissant_metadata",
    "datasheet",
    "export_collection",
    "licence_url",
    "transformations",
]
