"""What the store hands out: plain records, independent of the backend."""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from socle.models import Chunk, Document


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
    id: int = 0  # internal id: what links use (a key may be a server path)


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


@dataclass(frozen=True)
class Candidates:
    """What a server-side search (:meth:`socle.store.store.Store.search_candidates`) hands to
    the retriever, which fuses the two signals (:mod:`socle.retrieve_candidates`): every chunk
    of the candidate documents, grouped by document (ascending document id, then chunk order)."""

    chunk_ids: np.ndarray  # int64 (n,)
    document_ids: np.ndarray  # int64 (n,)
    lexical: np.ndarray  # float64 (n,) full-text rank of each chunk, 0 where it does not match
    dense: np.ndarray | None  # float64 (n,) cosine similarity to the query; None without a vector
    metadata: dict[int, dict[str, Any]] = field(default_factory=dict)  # of the candidate documents


@dataclass(frozen=True)
class StoredDocument:
    """A document as stored: rebuilt :class:`Document`, its chunks, and bookkeeping."""

    document: Document
    chunks: list[Chunk]
    content_hash: str
    ingested_at: str
    structured: bool  # False for documents stored before block layouts were kept


@dataclass(frozen=True)
class User:
    id: int
    username: str
    is_admin: bool
    disabled: bool
    password_hash: str | None = field(default=None, repr=False)


@dataclass
class Assistant:
    """One assistant: instructions and the collections it may read."""

    name: str  # identifier (the `model` of the OpenAI-compatible API)
    title: str
    collections: list[str]
    instructions: str = ""
    examples: list[str] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)
    created_by: str | None = None
    created_at: str = ""
    updated_at: str = ""


@dataclass(frozen=True)
class Correction:
    id: int
    collection: str
    question: str
    text: str
    embedding: np.ndarray | None
    author: str | None
    validated_by: str | None
    validated_at: str | None
    rejected_by: str | None = None
    rejected_at: str | None = None

    @property
    def pending(self) -> bool:
        return self.validated_at is None and self.rejected_at is None


AUDIT_FIELDS = (
    "id",
    "at",
    "username",
    "action",
    "assistant",
    "collections",
    "question",
    "answer_id",
    "sources",
    "footprint",
    "detail",
)


def _canonical(value: Any) -> Any:
    """``value`` as both backends give it back: no NUL in text (PostgreSQL refuses it), numbers
    as floats (jsonb may print a float as an integer), no NaN."""
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, dict):
        return {_canonical(k): _canonical(v) for k, v in value.items()}
    return [_canonical(v) for v in value] if isinstance(value, list | tuple) else str(value)


def audit_hash(previous: str, entry: dict[str, Any]) -> str:
    """The hash of one audit row: SHA-256 of the previous row's hash and of the row's fields
    (all but its id), so that changing or deleting a row breaks every hash after it."""
    fields = {k: _canonical(entry.get(k)) for k in AUDIT_FIELDS if k != "id"}
    text = json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(f"{previous}\n{text}".encode()).hexdigest()


__all__ = ["AUDIT_FIELDS", "Assistant", "Candidates", "ChunkRecord", "CollectionInfo", "Correction", "DocumentInfo"]
__all__ += ["IndexData", "StoredDocument", "User", "audit_hash"]
