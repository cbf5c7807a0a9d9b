"""Storage of collections, documents, chunks and their index.

The :class:`Store` protocol is what the rest of Socle uses; :func:`open_store` picks the
backend from a URL or path (``sqlite:///chemin.db`` or a plain path: the embedded
default) or ``postgresql://…`` (:mod:`socle.store.postgres`, several workers and machines).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from socle.models import Chunk, Document
from socle.store.service import ServiceStore


@dataclass(frozen=True)
class CollectionInfo:
    name: str
    documents: int
    chunks: int
    embedder: str | None
    created_at: str


@dataclass(frozen=True)
class DocumentInfo:
    key: str
    title: str
    source: str
    url: str | None
    chunks: int
    content_hash: str
    ingested_at: str


@dataclass(frozen=True)
class ChunkRecord:
    """A stored chunk with the provenance needed to build a Passage."""

    chunk_id: int
    document_id: int
    document_key: str
    document_title: str
    source: str
    url: str | None
    text: str
    start: int
    end: int
    headings: tuple[str, ...]
    page: int | None


@dataclass(frozen=True)
class IndexData:
    """What the in-memory search indexes of one collection are built from.

    Chunks come grouped by document (ascending document id, then chunk order); documents
    in ascending id, the same order as the chunk groups.
    """

    chunk_ids: np.ndarray  # int64 (n,)
    document_ids: np.ndarray  # int64 (n,) document of each chunk
    vectors: np.ndarray  # float32 (n, dim), L2-normalised; zeros where no vector was stored
    chunk_terms: list[np.ndarray]  # int32 term ids of each chunk
    doc_ids: np.ndarray  # int64 (D,)
    doc_terms: list[np.ndarray]  # int32 term ids of each whole document


class Store(ServiceStore, Protocol):
    def ensure_collection(self, name: str, embedder: str | None = None) -> None: ...
    def collections(self) -> list[CollectionInfo]: ...
    def documents(self, collection: str) -> list[DocumentInfo]: ...
    def document_hash(self, collection: str, key: str) -> str | None: ...
    def put_document(
        self,
        collection: str,
        document: Document,
        chunks: Sequence[Chunk],
        chunk_terms: Sequence[Sequence[str]],
        document_terms: Sequence[str],
        embeddings: np.ndarray | None,
    ) -> None: ...
    def remove_document(self, collection: str, key: str) -> bool: ...
    def remove_collection(self, name: str) -> bool: ...
    def generation(self, collection: str) -> int: ...
    def term_ids(self, terms: Sequence[str]) -> list[int]: ...
    def index_data(self, collection: str) -> IndexData: ...
    def chunk_records(self, chunk_ids: Sequence[int]) -> dict[int, ChunkRecord]: ...
    def collection_settings(self, collection: str) -> dict[str, Any]: ...
    def update_collection_settings(self, name: str, **values: Any) -> dict[str, Any]: ...
    def document_metadata(self, collection: str) -> dict[int, dict[str, Any]]: ...
    def record_answer(self, record: dict[str, Any]) -> int: ...
    def answers(self, collection: str | None = None) -> list[dict[str, Any]]: ...
    def close(self) -> None: ...


def open_store(url: str | Path) -> Store:
    """Open (creating and migrating if needed) the store at ``url``."""
    from socle.errors import ConfigError
    from socle.store.sqlite import SQLiteStore

    text = str(url)
    if text.startswith(("postgresql://", "postgres://")):
        try:
            from socle.store.postgres import PostgresStore
        except ImportError as exc:
            raise ConfigError(
                "Le stockage PostgreSQL demande des modules supplémentaires : pip install 'socle[postgres]'."
            ) from exc
        return PostgresStore(text)
    if text.startswith("sqlite:///"):
        text = text[len("sqlite:///") :]
    return SQLiteStore(Path(text))


__all__ = ["ChunkRecord", "CollectionInfo", "DocumentInfo", "IndexData", "Store", "open_store"]
