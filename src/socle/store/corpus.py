"""Whole documents back out of the store: their block structure, metadata and chunks.

Migration ``m005_document_blocks`` adds a ``blocks`` column to ``documents``: the layout of
the document's blocks as JSON ``[[kind, level, page, length], ...]``. The block texts are
not stored twice: they are consecutive slices of ``documents.text``, separated by
:data:`~socle.models.BLOCK_SEPARATOR`. With it, a stored document can be rebuilt exactly as
the parser produced it (same blocks, so same chunks and same content hash), which is what
the dataset export (:mod:`socle.export`) and its lossless re-import rely on.

:class:`CorpusTables` is mixed into :class:`socle.store.sqlite.SQLiteStore`; the
:class:`CorpusStore` protocol is what :mod:`socle.export` and :mod:`socle.indexing` use.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Protocol

from socle.errors import NotFoundError, StoreError
from socle.models import BLOCK_SEPARATOR, Block, Chunk, Document
from socle.store import Store


def m005_document_blocks(db: sqlite3.Connection) -> None:
    # Documents ingested before this migration keep NULL: they are read back as one
    # paragraph per text block (headings and pages unknown) until they are re-ingested.
    db.execute("ALTER TABLE documents ADD COLUMN blocks TEXT")


def blocks_layout(document: Document) -> str:
    """The JSON stored in ``documents.blocks`` for ``document``."""
    return json.dumps([[b.kind, b.level, b.page, len(b.text)] for b in document.blocks])


def blocks_from_layout(text: str, layout: str | None) -> list[Block]:
    """Rebuild the blocks of a stored document from its text and its layout."""
    if layout is None:
        return [Block(part) for part in text.split(BLOCK_SEPARATOR) if part]
    blocks: list[Block] = []
    pos = 0
    for kind, level, page, length in json.loads(layout):
        blocks.append(Block(text[pos : pos + length], kind, level, page))
        pos += length + len(BLOCK_SEPARATOR)
    if BLOCK_SEPARATOR.join(b.text for b in blocks) != text:
        raise StoreError("Structure de document incohérente dans la base (réingérez le document).")
    return blocks


@dataclass(frozen=True)
class StoredDocument:
    """A document as stored: rebuilt :class:`Document`, its chunks, and bookkeeping."""

    document: Document
    chunks: list[Chunk]
    content_hash: str
    ingested_at: str
    structured: bool  # False for documents stored before block layouts were kept


class CorpusStore(Store, Protocol):
    def stored_documents(self, collection: str) -> Iterator[StoredDocument]: ...
    def update_document_metadata(self, collection: str, key: str, metadata: dict[str, Any]) -> bool: ...
    def document_ids(self, collection: str) -> dict[str, int]: ...


class CorpusTables:
    """Reads of whole documents, metadata updates and collection settings updates."""

    @property
    def db(self) -> sqlite3.Connection:  # provided by SQLiteStore
        raise NotImplementedError

    def _writing(self) -> AbstractContextManager[sqlite3.Connection]:  # provided by SQLiteStore
        raise NotImplementedError

    def _corpus_collection_id(self, name: str) -> int:
        row = self.db.execute("SELECT id FROM collections WHERE name = ?", (name,)).fetchone()
        if row is None:
            raise NotFoundError(f"La collection « {name} » n'existe pas.")
        return int(row[0])

    def update_collection_settings(self, name: str, **values: Any) -> dict[str, Any]:
        """Merge ``values`` into the collection's settings (``None`` removes a key); returns
        the new settings."""
        with self._writing() as db:
            row = db.execute("SELECT settings FROM collections WHERE name = ?", (name,)).fetchone()
            if row is None:
                raise NotFoundError(f"La collection « {name} » n'existe pas.")
            settings: dict[str, Any] = json.loads(row[0])
            for key, value in values.items():
                if value is None:
                    settings.pop(key, None)
                else:
                    settings[key] = value
            db.execute(
                "UPDATE collections SET settings = ? WHERE name = ?", (json.dumps(settings, ensure_ascii=False), name)
            )
        return settings

    def document_metadata(self, collection: str) -> dict[int, dict[str, Any]]:
        """Metadata of every document of the collection, by internal document id."""
        cid = self._corpus_collection_id(collection)
        rows = self.db.execute("SELECT id, metadata FROM documents WHERE collection_id = ?", (cid,))
        return {int(r[0]): json.loads(r[1]) for r in rows}

    def document_ids(self, collection: str) -> dict[str, int]:
        """Document key -> internal id (the ids of :meth:`document_metadata` and ``index_data``)."""
        cid = self._corpus_collection_id(collection)
        return {
            str(r[0]): int(r[1])
            for r in self.db.execute("SELECT key, id FROM documents WHERE collection_id = ?", (cid,))
        }

    def update_document_metadata(self, collection: str, key: str, metadata: dict[str, Any]) -> bool:
        """Replace one document's metadata (not its text: its chunks and hash stay)."""
        cid = self._corpus_collection_id(collection)
        with self._writing() as db:
            cur = db.execute(
                "UPDATE documents SET metadata = ? WHERE collection_id = ? AND key = ?",
                (json.dumps(metadata, ensure_ascii=False), cid, key),
            )
            if cur.rowcount:
                # Search filters read metadata: the in-memory indexes must notice.
                db.execute("UPDATE collections SET generation = generation + 1 WHERE id = ?", (cid,))
        return bool(cur.rowcount)

    def stored_documents(self, collection: str) -> Iterator[StoredDocument]:
        """Every document of the collection with its chunks, in key order."""
        cid = self._corpus_collection_id(collection)
        ids = [
            int(r[0]) for r in self.db.execute("SELECT id FROM documents WHERE collection_id = ? ORDER BY key", (cid,))
        ]
        for doc_id in ids:
            row = self.db.execute(
                "SELECT key, title, source, url, mime, metadata, text, content_hash, ingested_at, blocks"
                " FROM documents WHERE id = ?",
                (doc_id,),
            ).fetchone()
            if row is None:  # removed meanwhile
                continue
            key, title, source, url, mime, metadata, text, content_hash, ingested_at, layout = row
            chunks = [
                Chunk(r[0], r[1], r[2], r[3], tuple(json.loads(r[4])), r[5])
                for r in self.db.execute(
                    'SELECT text, start, "end", ordinal, headings, page FROM chunks WHERE document_id = ?'
                    " ORDER BY ordinal",
                    (doc_id,),
                )
            ]
            document = Document(
                key=key,
                title=title,
                blocks=blocks_from_layout(text, layout),
                source=source,
                url=url,
                mime=mime,
                metadata=json.loads(metadata),
            )
            yield StoredDocument(document, chunks, content_hash, ingested_at, layout is not None)


__all__ = [
    "CorpusStore",
    "CorpusTables",
    "StoredDocument",
    "blocks_from_layout",
    "blocks_layout",
    "m005_document_blocks",
]
