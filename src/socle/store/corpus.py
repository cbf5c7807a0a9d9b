"""Collections, documents, chunks, the term vocabulary and privacy records: one
implementation for both backends (SQLAlchemy Core over :mod:`socle.store.schema`).

Chunks and whole documents store their French BM25 terms (:mod:`socle.analysis`) as int32
ids into the ``terms`` vocabulary, chunks their embedding; the in-memory retriever reads
those arrays and rebuilds when a collection's ``generation`` moves. One document is written
in one transaction (an interrupted ingestion resumes), with its block layout
(``documents.blocks``, JSON ``[[kind, level, page, length], ...]`` over slices of its text),
so that it can be rebuilt exactly as parsed, which the dataset export relies on.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from socle.chunk import index_text
from socle.errors import NotFoundError, StoreError
from socle.models import BLOCK_SEPARATOR, Block, Chunk, Document
from socle.store import schema as T
from socle.store.database import Database
from socle.store.records import ChunkRecord, CollectionInfo, DocumentInfo, IndexData, StoredDocument

BATCH = 500  # values per IN (...) list


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


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


def chunk_context(document: Document, chunk: Chunk) -> str:
    """What :func:`socle.chunk.index_text` puts before the chunk's text."""
    full = index_text(document.title, chunk, document.descriptors)
    return full[: len(full) - len(chunk.text)].rstrip("\n")


def _missing_vectors(cid: int, limit: int) -> sa.Select[Any]:
    """(id, context, text) of up to ``limit`` chunks of a collection still without a vector,
    in document order."""
    k = T.chunks.c
    return (
        sa.select(k.id, k.context, k.text)
        .where(k.collection_id == cid, k.embedding.is_(None))
        .order_by(k.document_id, k.ordinal)
        .limit(limit)
    )


def _embedded_texts(rows: Sequence[Any]) -> list[str]:
    """What a chunk's vector is made from, from its (id, context, text) row: the context
    then the text, as :func:`socle.chunk.index_text` joined them."""
    return [f"{r[1]}\n{r[2]}" if r[1] else str(r[2]) for r in rows]


# Statements run on every question, built once (SQLAlchemy then reuses their compiled form).
_COLLECTION_ID = sa.select(T.collections.c.id).where(T.collections.c.name == sa.bindparam("name"))
_GENERATION = sa.select(T.collections.c.generation).where(T.collections.c.name == sa.bindparam("name"))
_TERM_IDS = sa.select(T.terms.c.term, T.terms.c.id).where(T.terms.c.term.in_(sa.bindparam("terms", expanding=True)))
_CHUNK_RECORDS = (
    sa.select(*(T.chunks.c[n] for n in ("id", "document_id")), T.documents.c.key, T.documents.c.title)
    .add_columns(T.documents.c.source, T.documents.c.url)
    .add_columns(*(T.chunks.c[n] for n in ("text", "start", "end", "headings", "page")))
    .join_from(T.chunks, T.documents)
    .where(T.chunks.c.id.in_(sa.bindparam("ids", expanding=True)))
)


_GENERATION_MOVES = {"generation": T.collections.c.generation + 1}
_BUMP_BY_NAME = T.collections.update().where(T.collections.c.name == sa.bindparam("b_name"))
_BUMP_BY_NAME = _BUMP_BY_NAME.values(_GENERATION_MOVES).returning(T.collections.c.id)
_BUMP_BY_ID = T.collections.update().where(T.collections.c.id == sa.bindparam("b_cid"))
_BUMP_BY_ID = _BUMP_BY_ID.values(_GENERATION_MOVES).returning(T.collections.c.id)
_DELETE_DOCUMENT = T.documents.delete().where(T.documents.c.collection_id == sa.bindparam("b_cid"))
_DELETE_DOCUMENT = _DELETE_DOCUMENT.where(T.documents.c.key == sa.bindparam("b_key"))
_INSERT_DOCUMENT = T.documents.insert().returning(T.documents.c.id)
_NEW_TERMS = {
    name: insert(T.terms).on_conflict_do_nothing(index_elements=["term"]).returning(T.terms.c.term, T.terms.c.id)
    for name, insert in (("sqlite", sqlite.insert), ("postgresql", postgresql.insert))
}


_STORED = ("key", "title", "source", "url", "mime", "metadata", "text", "content_hash", "ingested_at", "blocks")


def _missing(name: str) -> NotFoundError:
    return NotFoundError(f"La collection « {name} » n'existe pas.")


class CorpusTables:
    """Mixed into :class:`socle.store.store.Store`, which provides ``db`` and the hooks."""

    db: Database
    _vocab: dict[str, int]
    _vocab_lock: threading.Lock

    # -- backend hooks (socle.store.store) -------------------------------------------------------
    def _after_put(self, conn: sa.Connection, cid: int, dim: int) -> None:
        """Called in the transaction that stored a document's vectors."""

    def _vectors(self, conn: sa.Connection, cid: int, blobs: list[bytes | None] | None) -> np.ndarray:
        raise NotImplementedError

    def _dropped(self, conn: sa.Connection, cid: int) -> None:
        """Called in the transaction that removed a collection."""

    def _lock(self, conn: sa.Connection, key: int) -> None:
        """Serialise the writers of ``key`` until the end of the transaction (SQLite's write
        transactions already are)."""

    # -- helpers ---------------------------------------------------------------------------------
    def _binary(self, column: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
        """``column`` compared byte by byte (the same order on both backends)."""
        return column.collate("C" if self.db.dialect == "postgresql" else "BINARY")

    def _upsert(self, table: sa.Table) -> Any:
        return (postgresql.insert if self.db.dialect == "postgresql" else sqlite.insert)(table)

    def _write(self, statement: sa.Executable) -> int:
        """Run ``statement`` in a write transaction of its own; returns the number of rows it changed."""
        with self.db.write() as conn:
            return conn.execute(statement).rowcount

    def _rows(self, query: sa.Select[Any]) -> list[Any]:
        """The rows of ``query``, read in a connection of its own."""
        with self.db.read() as conn:
            return list(conn.execute(query).all())

    def _first(self, query: sa.Select[Any]) -> Any:
        """The first row of ``query`` or None, read in a connection of its own."""
        with self.db.read() as conn:
            return conn.execute(query).first()

    @staticmethod
    def _collection_id(conn: sa.Connection, name: str) -> int:
        cid = conn.execute(_COLLECTION_ID, {"name": name}).scalar()
        if cid is None:
            raise _missing(name)
        return int(cid)

    # -- collections -------------------------------------------------------------------------------
    def ensure_collection(self, name: str, embedder: str | None = None) -> None:
        if not name.strip():
            raise StoreError("Le nom de collection ne peut pas être vide.")
        c = T.collections.c
        with self.db.write() as conn:
            settings = {"embedder": embedder} if embedder else {}
            conn.execute(
                self._upsert(T.collections)
                .values(name=name, created_at=now(), settings=settings)
                .on_conflict_do_nothing(index_elements=["name"])
            )
            settings = dict(conn.execute(sa.select(c.settings).where(c.name == name)).scalar_one())
            current = settings.get("embedder")
            if embedder and current and current != embedder:
                raise StoreError(
                    f"La collection « {name} » a été indexée avec le modèle d'embeddings « {current} », "
                    f"pas « {embedder} ». Utilisez le même modèle ou une autre collection."
                )
            if embedder and not current:
                settings["embedder"] = embedder
                conn.execute(T.collections.update().where(c.name == name).values(settings=settings))

    def embedding_inputs(self, collection: str) -> tuple[list[int], list[str]]:
        """Chunk ids and the texts their vectors were made from (context, then text, as
        :func:`socle.chunk.index_text` built them), in chunk order: what a reindex embeds."""
        k = T.chunks.c
        with self.db.read() as conn:
            cid = self._collection_id(conn, collection)
            rows = conn.execute(
                sa.select(k.id, k.context, k.text).where(k.collection_id == cid).order_by(k.document_id, k.ordinal)
            ).all()
        return [int(r[0]) for r in rows], _embedded_texts(rows)

    def replace_vectors(
        self,
        collection: str,
        embedder: str,
        batches: Iterable[tuple[Sequence[int], np.ndarray]],
        settings: dict[str, Any] | None = None,
    ) -> int:
        """Give every chunk of ``collection`` its vector from another model, and record that
        model, in one transaction: searches see the old vectors or the new ones, never a mix.
        Refused if the chunks changed meanwhile (an ingestion ran): the caller starts again."""
        k = T.chunks.c
        update = T.chunks.update().where(k.id == sa.bindparam("chunk")).values(embedding=sa.bindparam("vector"))
        with self.db.write() as conn:
            cid = self._bump(conn, name=collection)
            if cid is None:
                raise _missing(collection)
            self._lock(conn, cid)
            # PostgreSQL: the HNSW index of the old vectors goes first (it casts to their size,
            # which the new ones may not have); it is built again for the new ones below.
            self._dropped(conn, cid)
            expected = set(conn.execute(sa.select(k.id).where(k.collection_id == cid)).scalars())
            done: set[int] = set()
            dim = 0
            for ids, vectors in batches:
                rows = [
                    {"chunk": int(i), "vector": np.asarray(v, dtype=np.float32)}
                    for i, v in zip(ids, vectors, strict=True)
                ]
                if rows:
                    conn.execute(update, rows)
                    dim = int(vectors.shape[1])
                done.update(int(i) for i in ids)
            if done != expected:
                raise StoreError(
                    f"La collection « {collection} » a changé pendant la réindexation : relancez la commande."
                )
            c = T.collections.c
            current = dict(conn.execute(sa.select(c.settings).where(c.id == cid)).scalar_one())
            current |= (settings or {}) | {"embedder": embedder}
            conn.execute(T.collections.update().where(c.id == cid).values(settings=current))
            if dim:
                self._after_put(conn, cid, dim)
        return len(done)

    def missing_vectors(self, collection: str, limit: int) -> tuple[list[int], list[str]]:
        """Up to ``limit`` chunks still without a vector (written searchable by their words
        first, :func:`socle.ingest.fill_vectors`), in document order, with their texts."""
        with self.db.read() as conn:
            cid = self._collection_id(conn, collection)
            rows = conn.execute(_missing_vectors(cid, limit)).all()
        return [int(r[0]) for r in rows], _embedded_texts(rows)

    def fill_vectors(self, collection: str, ids: Sequence[int], vectors: np.ndarray) -> int:
        """Give chunks their vectors (those still without one: a chunk replaced meanwhile is
        gone, and is not resurrected); returns how many were filled."""
        if not len(ids):
            return 0
        k = T.chunks.c
        update = (
            T.chunks.update()
            .where(k.id == sa.bindparam("chunk"), k.embedding.is_(None))
            .values(embedding=sa.bindparam("vector"))
        )
        rows = [{"chunk": int(i), "vector": np.asarray(v, dtype=np.float32)} for i, v in zip(ids, vectors, strict=True)]
        with self.db.write() as conn:
            cid = self._bump(conn, name=collection)
            if cid is None:
                raise _missing(collection)
            filled = conn.execute(update, rows).rowcount
            self._after_put(conn, int(cid), int(np.asarray(vectors).shape[1]))
        return int(filled if filled is not None and filled >= 0 else len(rows))

    def fill_missing_vectors(
        self, collection: str, limit: int, embed: Callable[[list[str]], np.ndarray]
    ) -> tuple[int, int]:
        """Embed up to ``limit`` chunks still without a vector and store them; returns
        (chunks claimed, vectors written), (0, 0) when none is left.

        On PostgreSQL the chunks are claimed with ``FOR UPDATE SKIP LOCKED`` in the transaction
        that writes their vectors: machines filling one collection at once never embed the same
        chunk twice, and one that dies leaves its chunks to the others. On SQLite (one writer
        at a time) the chunks are read, embedded, then written, so that writers never wait
        for the model."""
        if self.db.engine.dialect.name != "postgresql":
            ids, texts = self.missing_vectors(collection, limit)
            return (len(ids), self.fill_vectors(collection, ids, embed(texts))) if ids else (0, 0)
        k = T.chunks.c
        with self.db.write() as conn:
            cid = self._collection_id(conn, collection)
            rows = conn.execute(_missing_vectors(cid, limit).with_for_update(skip_locked=True)).all()
            if not rows:
                return 0, 0
            vectors = embed(_embedded_texts(rows))
            update = T.chunks.update().where(k.id == sa.bindparam("chunk")).values(embedding=sa.bindparam("vector"))
            conn.execute(
                update,
                [
                    {"chunk": int(r[0]), "vector": np.asarray(v, dtype=np.float32)}
                    for r, v in zip(rows, vectors, strict=True)
                ],
            )
            self._bump(conn, cid=cid)
            self._after_put(conn, int(cid), int(np.asarray(vectors).shape[1]))
        return len(rows), len(rows)

    def vector_progress(self, collection: str) -> tuple[int, int]:
        """(chunks with a vector, chunks) of the collection."""
        k = T.chunks.c
        with self.db.read() as conn:
            cid = self._collection_id(conn, collection)
            row = conn.execute(
                sa.select(sa.func.count(k.embedding), sa.func.count()).where(k.collection_id == cid)
            ).one()
        return int(row[0]), int(row[1])

    def collection_settings(self, collection: str) -> dict[str, Any]:
        row = self._first(sa.select(T.collections.c.settings).where(T.collections.c.name == collection))
        if row is None:
            raise _missing(collection)
        return dict(row[0])

    def update_collection_settings(self, name: str, **values: Any) -> dict[str, Any]:
        """Merge ``values`` into the collection's settings (``None`` removes a key); returns
        the new settings."""
        c = T.collections.c
        with self.db.write() as conn:
            row = conn.execute(sa.select(c.settings).where(c.name == name).with_for_update()).first()
            if row is None:
                raise _missing(name)
            settings = {k: v for k, v in (dict(row[0]) | values).items() if v is not None}
            conn.execute(T.collections.update().where(c.name == name).values(settings=settings))
        return settings

    def collections(self) -> list[CollectionInfo]:
        c, d, k = T.collections.c, T.documents.c, T.chunks.c
        n_docs = sa.select(sa.func.count()).where(d.collection_id == c.id).scalar_subquery()
        n_chunks = sa.select(sa.func.count()).where(k.collection_id == c.id).scalar_subquery()
        rows = self._rows(sa.select(c.name, c.settings, c.created_at, n_docs, n_chunks).order_by(self._binary(c.name)))
        return [
            CollectionInfo(name=r[0], embedder=r[1].get("embedder"), created_at=r[2], documents=r[3], chunks=r[4])
            for r in rows
        ]

    def remove_collection(self, name: str) -> bool:
        with self.db.write() as conn:
            cid = conn.execute(
                T.collections.delete().where(T.collections.c.name == name).returning(T.collections.c.id)
            ).scalar()
            if cid is None:
                return False
            self._dropped(conn, int(cid))
        return True

    def generation(self, collection: str) -> int:
        with self.db.read() as conn:
            value = conn.execute(_GENERATION, {"name": collection}).scalar()
        if value is None:
            raise _missing(collection)
        return int(value)

    # -- documents ---------------------------------------------------------------------------------
    def documents(self, collection: str) -> list[DocumentInfo]:
        d, k = T.documents.c, T.chunks.c
        n_chunks = sa.select(sa.func.count()).where(k.document_id == d.id).scalar_subquery()
        with self.db.read() as conn:
            cid = self._collection_id(conn, collection)
            rows = conn.execute(
                sa.select(
                    d.id, d.key, d.title, d.source, d.url, d.content_hash, d.ingested_at, n_chunks.label("chunks")
                )
                .where(d.collection_id == cid)
                .order_by(self._binary(d.key))
            ).all()
        return [DocumentInfo(**r._asdict()) for r in rows]

    def document_hash(self, collection: str, key: str) -> str | None:
        d, c = T.documents.c, T.collections.c
        query = sa.select(d.content_hash).join_from(T.documents, T.collections)
        row = self._first(query.where(c.name == collection, d.key == key))
        return None if row is None else str(row[0])

    def _lookup_terms(self, conn: sa.Connection, terms: Sequence[str]) -> dict[str, int]:
        found: dict[str, int] = {}
        for start in range(0, len(terms), BATCH):
            rows = conn.execute(_TERM_IDS, {"terms": terms[start : start + BATCH]})
            found.update((str(r[0]), int(r[1])) for r in rows)
        return found

    def _resolve_terms(self, conn: sa.Connection, terms: set[str]) -> dict[str, int]:
        """Ids of ``terms``, adding unknown ones to the vocabulary, inside the caller's
        transaction. Known terms are looked up first (an INSERT meeting a conflict still burns
        an id on PostgreSQL, and the in-memory BM25 index is sized by the largest id); new ones
        are inserted in sorted order, so that concurrent writers lock them in the same order."""
        with self._vocab_lock:
            found = {t: self._vocab[t] for t in terms if t in self._vocab}
        found.update(self._lookup_terms(conn, [t for t in terms if t not in found]))
        new = sorted(t for t in terms if t not in found)
        if new:
            rows = conn.execute(_NEW_TERMS[self.db.dialect], [{"term": t} for t in new])
            found.update((str(r[0]), int(r[1])) for r in rows)
            found.update(self._lookup_terms(conn, [t for t in new if t not in found]))  # another writer's
        return found

    def _bump(self, conn: sa.Connection, name: str | None = None, cid: int | None = None) -> int | None:
        """Move the collection's generation (every worker's retriever then rebuilds); returns its id.
        Done first in a write, it also serialises the writers of one collection."""
        return conn.execute(_BUMP_BY_NAME if cid is None else _BUMP_BY_ID, {"b_name": name, "b_cid": cid}).scalar()

    def put_document(
        self,
        collection: str,
        document: Document,
        chunks: Sequence[Chunk],
        chunk_terms: Sequence[Sequence[str]],
        document_terms: Sequence[str],
        embeddings: np.ndarray | None,
    ) -> None:
        """Insert or replace ``document`` and its chunks, atomically."""
        if len(chunk_terms) != len(chunks) or (embeddings is not None and len(embeddings) != len(chunks)):
            raise StoreError("Incohérence interne : autant de termes et de vecteurs que de passages sont attendus.")
        doc = {n: getattr(document, n) for n in ("key", "title", "source", "url", "mime", "metadata", "text")}
        doc |= {"content_hash": document.content_hash, "blocks": blocks_layout(document)}
        rows = [
            {n: getattr(chunk, n) for n in ("ordinal", "text", "start", "end", "page")}
            | {"headings": list(chunk.headings), "context": chunk_context(document, chunk)}
            | {"embedding": None if embeddings is None else embeddings[i]}
            for i, chunk in enumerate(chunks)
        ]
        for attempt in range(3):  # concurrent writers of one vocabulary may deadlock (PostgreSQL)
            try:
                with self.db.write() as conn:
                    cid = self._bump(conn, name=collection)
                    if cid is None:
                        raise _missing(collection)
                    conn.execute(_DELETE_DOCUMENT, {"b_cid": cid, "b_key": document.key})
                    vocab = self._resolve_terms(conn, {t for terms in (document_terms, *chunk_terms) for t in terms})

                    def blob(terms: Sequence[str], vocab: dict[str, int] = vocab) -> bytes:
                        return np.array([vocab[t] for t in terms], dtype=np.int32).tobytes()

                    values = doc | {"collection_id": cid, "ingested_at": now(), "terms": blob(document_terms)}
                    doc_id = conn.execute(_INSERT_DOCUMENT, values).scalar_one()
                    extra = {"document_id": doc_id, "collection_id": cid}
                    if rows:
                        conn.execute(
                            T.chunks.insert(), [r | extra | {"terms": blob(chunk_terms[i])} for i, r in enumerate(rows)]
                        )
                        if embeddings is not None:
                            self._after_put(conn, int(cid), int(np.asarray(embeddings).shape[1]))
                break
            except sa.exc.DBAPIError as error:
                if attempt == 2 or getattr(error.orig, "sqlstate", None) != "40P01":  # deadlock: retry
                    raise
        # Only now that the transaction committed may other threads reuse these term ids.
        with self._vocab_lock:
            self._vocab.update(vocab)

    def remove_document(self, collection: str, key: str) -> bool:
        with self.db.write() as conn:
            cid = self._collection_id(conn, collection)
            d = T.documents.c
            removed = conn.execute(T.documents.delete().where(d.collection_id == cid, d.key == key)).rowcount
            if removed:
                self._bump(conn, cid=cid)
        return bool(removed)

    def document_metadata(self, collection: str) -> dict[int, dict[str, Any]]:
        """Metadata of every document of the collection, by internal document id."""
        d = T.documents.c
        with self.db.read() as conn:
            cid = self._collection_id(conn, collection)
            rows = conn.execute(sa.select(d.id, d.metadata).where(d.collection_id == cid)).all()
        return {int(r[0]): dict(r[1]) for r in rows}

    def document_ids(self, collection: str) -> dict[str, int]:
        """Document key -> internal id (the ids of :meth:`document_metadata` and ``index_data``)."""
        d = T.documents.c
        with self.db.read() as conn:
            cid = self._collection_id(conn, collection)
            rows = conn.execute(sa.select(d.key, d.id).where(d.collection_id == cid)).all()
        return {str(r[0]): int(r[1]) for r in rows}

    def update_document_metadata(self, collection: str, key: str, metadata: dict[str, Any]) -> bool:
        """Replace one document's metadata (not its text: its chunks and hash stay)."""
        d = T.documents.c
        with self.db.write() as conn:
            cid = self._collection_id(conn, collection)
            updated = conn.execute(
                T.documents.update().where(d.collection_id == cid, d.key == key).values(metadata=metadata)
            ).rowcount
            if updated:  # search filters read metadata: the in-memory indexes must notice
                self._bump(conn, cid=cid)
        return bool(updated)

    def stored_documents(self, collection: str) -> Iterator[StoredDocument]:
        """Every document of the collection with its chunks, in key order."""
        d, k = T.documents.c, T.chunks.c
        with self.db.read() as conn:
            cid = self._collection_id(conn, collection)
            query = sa.select(d.id).where(d.collection_id == cid).order_by(self._binary(d.key))
            ids = [int(i) for i in conn.execute(query).scalars()]
        for doc_id in ids:
            with self.db.read() as conn:
                row = conn.execute(sa.select(*(d[n] for n in _STORED)).where(d.id == doc_id)).first()
                chunk_rows = conn.execute(
                    sa.select(k.text, k.start, k.end, k.ordinal, k.headings, k.page)
                    .where(k.document_id == doc_id)
                    .order_by(k.ordinal)
                ).all()
            if row is None:  # removed meanwhile
                continue
            key, title, source, url, mime, metadata, text, content_hash, ingested_at, layout = row
            document = Document(
                key=key,
                title=title,
                blocks=blocks_from_layout(text, layout),
                source=source,
                url=url,
                mime=mime,
                metadata=dict(metadata),
            )
            chunks = [Chunk(r[0], r[1], r[2], r[3], tuple(r[4]), r[5]) for r in chunk_rows]
            yield StoredDocument(document, chunks, content_hash, ingested_at, layout is not None)

    def document_text(
        self, collection: str, key: str | None = None, *, document_id: int | None = None, chunk_id: int | None = None
    ) -> dict[str, Any] | None:
        """A document of ``collection`` with its text, found by key, by id or by one of its
        chunks (links name documents by id or passage: a key may be a path on the server)."""
        d = T.documents.c
        query = sa.select(d.id, d.key, d.title, d.source, d.url, d.mime, d.metadata, d.text, d.ingested_at, d.blocks)
        query = query.join_from(T.documents, T.collections).where(T.collections.c.name == collection)
        if key is not None:
            query = query.where(d.key == key)
        elif document_id is not None:
            query = query.where(d.id == document_id)
        elif chunk_id is not None:
            query = query.where(
                d.id == sa.select(T.chunks.c.document_id).where(T.chunks.c.id == chunk_id).scalar_subquery()
            )
        else:
            return None
        row = self._first(query)
        if row is None:
            return None
        return {**row._asdict(), "metadata": dict(row.metadata), "collection": collection}

    # -- in-memory search ----------------------------------------------------------------------------
    def term_ids(self, terms: Sequence[str]) -> list[int]:
        """Ids of the known terms among ``terms`` (unknown ones cannot match anything)."""
        unique = list(dict.fromkeys(terms))
        if not unique:
            return []
        with self.db.read() as conn:
            found = self._lookup_terms(conn, unique)
        return [found[t] for t in unique if t in found]

    def index_data(self, collection: str) -> IndexData:
        """Everything the in-memory indexes need, chunks grouped by document."""
        d, k = T.documents.c, T.chunks.c
        with self.db.read() as conn:
            cid = self._collection_id(conn, collection)
            # SQLite reads the vectors in the same scan; PostgreSQL in a binary one of its own.
            blobs = [sa.type_coerce(k.embedding, sa.LargeBinary)] if self.db.dialect == "sqlite" else []
            rows = conn.execute(
                sa.select(k.id, k.document_id, k.terms, *blobs)
                .where(k.collection_id == cid)
                .order_by(k.document_id, k.ordinal)
            ).all()
            vectors = self._vectors(conn, cid, [r[3] for r in rows] if blobs else None)
            has_chunks = sa.exists().where(k.document_id == d.id)
            doc_rows = conn.execute(
                sa.select(d.id, d.terms).where(d.collection_id == cid, has_chunks).order_by(d.id)
            ).all()
        n, empty = len(rows), b""
        return IndexData(
            chunk_ids=np.fromiter((r[0] for r in rows), dtype=np.int64, count=n),
            document_ids=np.fromiter((r[1] for r in rows), dtype=np.int64, count=n),
            vectors=vectors,
            chunk_terms=[np.frombuffer(r[2] or empty, dtype=np.int32) for r in rows],
            doc_ids=np.fromiter((r[0] for r in doc_rows), dtype=np.int64, count=len(doc_rows)),
            doc_terms=[np.frombuffer(r[1] or empty, dtype=np.int32) for r in doc_rows],
        )

    def chunk_records(self, chunk_ids: Sequence[int]) -> dict[int, ChunkRecord]:
        if not len(chunk_ids):
            return {}
        with self.db.read() as conn:
            rows = conn.execute(_CHUNK_RECORDS, {"ids": [int(i) for i in chunk_ids]}).all()
        return {
            int(r[0]): ChunkRecord(int(r[0]), int(r[1]), r[2], r[3], r[4], r[5], r[6], r[7], r[8], tuple(r[9]), r[10])
            for r in rows
        }

    # -- privacy -------------------------------------------------------------------------------------
    def put_privacy_record(
        self, collection: str, key: str, mode: str, counts: dict[str, Any], mapping: bytes | None
    ) -> None:
        """What pseudonymisation removed from one document (replacing any earlier record)."""
        with self.db.write() as conn:
            cid = self._collection_id(conn, collection)
            insert = self._upsert(T.privacy_records).values(
                collection_id=cid, document_key=key, mode=mode, counts=counts, mapping=mapping, created_at=now()
            )
            conn.execute(
                insert.on_conflict_do_update(
                    index_elements=["collection_id", "document_key"],
                    set_={c: insert.excluded[c] for c in ("mode", "counts", "mapping", "created_at")},
                )
            )

    def privacy_records(self, collection: str) -> list[dict[str, Any]]:
        """Records of the documents currently in the collection, by document key."""
        p, d = T.privacy_records.c, T.documents.c
        with self.db.read() as conn:
            cid = self._collection_id(conn, collection)
            rows = conn.execute(
                sa.select(p.document_key, p.mode, p.counts, p.mapping.is_not(None), p.created_at)
                .join(T.documents, sa.and_(d.collection_id == p.collection_id, d.key == p.document_key))
                .where(p.collection_id == cid)
                .order_by(self._binary(p.document_key))
            ).all()
        return [
            {"document": r[0], "mode": r[1], "counts": dict(r[2]), "has_mapping": bool(r[3]), "created_at": r[4]}
            for r in rows
        ]

    def privacy_mapping(self, collection: str, key: str) -> bytes | None:
        """The encrypted pseudonym mapping of one document, if it has one."""
        p = T.privacy_records.c
        with self.db.read() as conn:
            cid = self._collection_id(conn, collection)
            value = conn.execute(sa.select(p.mapping).where(p.collection_id == cid, p.document_key == key)).scalar()
        return None if value is None else bytes(value)

    def privacy_mappings(self, collection: str, after: str = "", limit: int = 100) -> list[tuple[str, bytes]]:
        """Sealed mappings of the collection (removed documents' too), by key, ``limit`` at a
        time after ``after``: what a key rotation re-seals, batch by batch."""
        p = T.privacy_records.c
        with self.db.read() as conn:
            cid = self._collection_id(conn, collection)
            rows = conn.execute(
                sa.select(p.document_key, p.mapping)
                .where(p.collection_id == cid, p.mapping.is_not(None), self._binary(p.document_key) > after)
                .order_by(self._binary(p.document_key))
                .limit(limit)
            ).all()
        return [(str(r[0]), bytes(r[1])) for r in rows]

    def replace_privacy_mappings(self, collection: str, changes: Sequence[tuple[str, bytes, bytes]]) -> int:
        """``(key, old, new)``: each mapping still equal to ``old`` becomes ``new``, in one
        transaction; one re-written meanwhile (a new ingestion) is left alone. Returns how many."""
        p = T.privacy_records.c
        done = 0
        with self.db.write() as conn:
            cid = self._collection_id(conn, collection)
            for key, old, new in changes:
                done += conn.execute(
                    T.privacy_records.update()
                    .where(p.collection_id == cid, p.document_key == key, p.mapping == old)
                    .values(mapping=new)
                ).rowcount
        return done


__all__ = ["CorpusTables", "blocks_from_layout", "blocks_layout", "chunk_context", "now"]
