"""Re-import of a Socle dataset export (:mod:`socle.export`): documents exactly as exported.

An exported document record carries its blocks as character spans of its text
(``{"kind", "level", "page", "start", "end"}``), its metadata as a JSON-encoded object and its
provenance. This module rebuilds the :class:`Document` from it: same key,
title, blocks, source, URL, MIME type and metadata, hence the same content hash and, chunked
with the same ``--chunk-words``, the same chunks. A record edited after the export is
accepted (its hash is computed again), as long as its blocks still match its text.

An export of a collection that pseudonymises personal data holds the pseudonymised texts
(the store never has the originals), and the content hash of what was stored. Imported into
a collection in ``off`` privacy mode, it is stored exactly as it was; in another mode it goes
through pseudonymisation again, which leaves its ``[TYPE_n]`` pseudonyms as they are.

``documents.jsonl`` is read by the JSONL parser, which hands such records here (they are
recognised by their ``blocks`` list and ``content_hash``; other JSONL files are unaffected);
``documents.parquet`` by :func:`parse_parquet`. :func:`export_documents_file` finds the
documents file of an export folder, so that ``socle ingest DOSSIER_EXPORT`` reads that file
only (not the chunks, nor the datasheet).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from socle.errors import ParseError
from socle.models import BLOCK_SEPARATOR, Block, Document, SourcedDocument

CROISSANT_FILE = "croissant.json"
DOCUMENT_FILES = ("documents.jsonl", "documents.parquet")
_KINDS = ("heading", "paragraph")


def export_documents_file(folder: Path) -> Path | None:
    """The documents file of a Socle export folder, or None if ``folder`` is not one."""
    if not (folder / CROISSANT_FILE).is_file():
        return None
    return next((folder / name for name in DOCUMENT_FILES if (folder / name).is_file()), None)


def is_export_record(record: Mapping[str, Any]) -> bool:
    return isinstance(record.get("blocks"), list) and isinstance(record.get("content_hash"), str)


def export_record_document(record: Mapping[str, Any], where: str) -> Document:
    """The document of one exported record; ``where`` locates it in French error messages."""
    try:
        text = str(record["text"])
        blocks = []
        for span in record["blocks"]:
            kind = span["kind"]
            if kind not in _KINDS:
                raise ValueError(f"type de bloc inconnu « {kind} »")
            page = span.get("page")
            blocks.append(
                Block(
                    text[int(span["start"]) : int(span["end"])],
                    kind,
                    int(span.get("level") or 0),
                    None if page is None else int(page),
                )
            )
        metadata = record.get("metadata") or {}
        if isinstance(metadata, str):
            metadata = json.loads(metadata)
        if not isinstance(metadata, dict):
            raise ValueError("« metadata » doit être un objet")
        url = record.get("url")
        document = SourcedDocument(
            source_hash=str(record["content_hash"]),  # the exported document's provenance hash
            key=str(record["id"]),
            title=str(record["title"]),
            blocks=blocks,
            source=str(record.get("source") or ""),
            url=str(url) if url else None,
            mime=str(record.get("mime") or "text/plain"),
            metadata=metadata,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ParseError(f"{where} : enregistrement d'export Socle invalide ({type(exc).__name__}: {exc})") from exc
    if BLOCK_SEPARATOR.join(b.text for b in blocks) != text:
        raise ParseError(f"{where} : les blocs ne correspondent pas au texte du document")
    return document


def parse_parquet(path: Path) -> list[Document]:
    """A ``documents.parquet`` written by ``socle export``."""
    try:
        import pyarrow.parquet as pq
    except ImportError as exc:  # pragma: no cover - dependency of the package
        raise ParseError("Le paquet « pyarrow » est absent : pip install pyarrow") from exc
    try:
        rows = pq.read_table(path).to_pylist()
    except Exception as exc:  # pyarrow raises its own error types on bad files
        raise ParseError(f"{path} : fichier Parquet illisible ({type(exc).__name__}: {exc})") from exc
    if rows and not is_export_record(rows[0]):
        raise ParseError(f"{path} : seuls les fichiers Parquet exportés par Socle (socle export) sont pris en charge")
    return [export_record_document(row, f"{path}, ligne {n}") for n, row in enumerate(rows, start=1)]


__all__ = [
    "CROISSANT_FILE",
    "DOCUMENT_FILES",
    "export_documents_file",
    "export_record_document",
    "is_export_record",
    "parse_parquet",
]
