"""Storage of collections, documents, chunks, their index and the service's tables.

One implementation for SQLite (the embedded default) and PostgreSQL (several workers and
machines), on SQLAlchemy Core, with one Alembic migration history; see
``docs/architecture.md``. :func:`open_store` takes a SQLite path (or ``sqlite:///path``) or
a ``postgresql://`` URL.
"""

from __future__ import annotations

from socle.store.records import ChunkRecord, CollectionInfo, DocumentInfo, IndexData
from socle.store.store import Store, open_store

__all__ = ["ChunkRecord", "CollectionInfo", "DocumentInfo", "IndexData", "Store", "open_store"]
