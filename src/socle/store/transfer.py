"""Copy one store into another (`socle migrate`, see ``docs/deployment.md``), verifiably:
SQLite to PostgreSQL when a deployment grows, or any other pair of URLs, with the same code.

Everything is copied with its ids (chunk ids are cited by answers and counted by passage
votes; user ids are referenced by keys and grants), term vocabulary included, so that the
copy ranks exactly like the original. Resumable: each document is written with its chunks in
one transaction and skipped on the next run when the target already holds it (same id,
collection, key and content hash); the other tables are upserted in batches. At the end,
each table's row count and a SHA-256 checksum of its rows (:func:`_normal`) are compared.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sqlalchemy as sa

from socle.errors import StoreError
from socle.store import schema as T
from socle.store.store import Store

Progress = Callable[[str], None]
BATCH = 1000
CORPUS_TABLES = [T.terms, T.collections, T.documents, T.chunks]
# Service tables, referenced ones first (web sessions are not copied).
SERVICE_TABLES = [
    T.users,
    T.api_keys,
    T.grants,
    T.assistants,
    T.conversations,
    T.answers,
    T.audit,
    T.feedback,
    T.passage_votes,
]
SERVICE_TABLES += [T.corrections, T.jobs, T.evaluations, T.privacy_records]
TABLES = CORPUS_TABLES + SERVICE_TABLES
# Rows of these already in the target are left as they are (the audit log is never updated, even by the copy).
APPEND_ONLY = {"answers", "audit", "feedback", "evaluations"}
REFUSED = "copiez vers une base vide."


@dataclass
class TableCheck:
    table: str
    source_rows: int
    target_rows: int
    source_checksum: str
    target_checksum: str

    @property
    def ok(self) -> bool:
        return self.source_rows == self.target_rows and self.source_checksum == self.target_checksum


@dataclass
class TransferReport:
    documents_copied: int = 0
    documents_skipped: int = 0  # already in the target (an earlier, interrupted run)
    documents_removed: int = 0  # in the target but no longer in the source
    chunks_copied: int = 0
    rows_copied: dict[str, int] = field(default_factory=dict)
    vector_indexes: list[str] = field(default_factory=list)
    checks: list[TableCheck] = field(default_factory=list)

    @property
    def verified(self) -> bool:
        return bool(self.checks) and all(c.ok for c in self.checks)


# -- checksums --------------------------------------------------------------------------------
def _normal(value: Any) -> str:
    """One value as text, identical for both backends when the data are the same."""
    if value is None:
        return "\x01"
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True, ensure_ascii=False).replace("\\u0000", "\\ufffd")
    if isinstance(value, np.ndarray):
        return hashlib.sha256(np.ascontiguousarray(value, dtype="<f4").tobytes()).hexdigest()
    if isinstance(value, bytes | memoryview):
        return hashlib.sha256(bytes(value)).hexdigest()
    if isinstance(value, bool | int):
        return str(int(value))
    if isinstance(value, float):
        return repr(value)
    return str(value).replace("\x00", "\ufffd")


def _rows(store: Store, table: sa.Table) -> Iterator[Any]:
    """Every row of ``table``, in the order of its primary key (text compared byte by byte)."""
    keys = [store._binary(c) if isinstance(c.type, sa.Text) else c for c in table.primary_key.columns]
    with store.db.read() as conn:
        yield from conn.execution_options(yield_per=BATCH).execute(sa.select(table).order_by(*keys))


def _checksum(rows: Iterator[Any]) -> tuple[int, str]:
    digest = hashlib.sha256()
    count = 0
    for row in rows:
        count += 1
        digest.update("\x1f".join(map(_normal, row)).encode("utf-8", "surrogatepass") + b"\x1e")
    return count, digest.hexdigest()


def verify(source: Store, target: Store) -> list[TableCheck]:
    """Row counts and checksums of every table, on both sides."""
    checks = []
    for table in TABLES:
        n_src, sum_src = _checksum(_rows(source, table))
        n_dst, sum_dst = _checksum(_rows(target, table))
        checks.append(TableCheck(table.name, n_src, n_dst, sum_src, sum_dst))
    return checks


# -- copy -------------------------------------------------------------------------------------
def _upsert(store: Store, table: sa.Table) -> Any:
    insert = store._upsert(table)
    keys = [c.name for c in table.primary_key.columns]
    if table.name in APPEND_ONLY:
        return insert.on_conflict_do_nothing(index_elements=keys)
    return insert.on_conflict_do_update(
        index_elements=keys, set_={c.name: insert.excluded[c.name] for c in table.columns if c.name not in keys}
    )


def _copy_terms(source: Store, target: Store, report: TransferReport) -> None:
    with target.db.read() as conn:
        existing = dict(conn.execute(sa.select(T.terms.c.id, T.terms.c.term)).all())
    with source.db.read() as conn:
        rows = [(int(i), str(t)) for i, t in conn.execute(sa.select(T.terms.c.id, T.terms.c.term).order_by("id"))]
    if len(existing) > len(rows) or any(i in existing and existing[i] != t for i, t in rows):
        raise StoreError(f"La base cible contient déjà un autre vocabulaire (une autre installation ?) : {REFUSED}")
    missing = [{"id": i, "term": t} for i, t in rows if i not in existing]
    for start in range(0, len(missing), 10 * BATCH):
        with target.db.write() as conn:
            conn.execute(T.terms.insert(), missing[start : start + 10 * BATCH])
    report.rows_copied["terms"] = len(missing)


def _copy_collections(source: Store, target: Store) -> None:
    with source.db.read() as conn:
        wanted = {int(r.id): r._asdict() for r in conn.execute(sa.select(T.collections))}
    with target.db.read() as conn:
        present = conn.execute(sa.select(T.collections.c.id, T.collections.c.name)).all()
    for cid, name in present:
        if cid not in wanted or wanted[cid]["name"] != name:
            raise StoreError(
                f"La collection « {name} » de la base cible ne vient pas de cette installation : {REFUSED}"
            )
    if wanted:
        with target.db.write() as conn:
            conn.execute(_upsert(target, T.collections), list(wanted.values()))


def _signatures(store: Store) -> dict[int, tuple[int, str, str]]:
    d = T.documents.c
    with store.db.read() as conn:
        rows = conn.execute(sa.select(d.id, d.collection_id, d.key, d.content_hash)).all()
    return {int(r[0]): (int(r[1]), str(r[2]), str(r[3])) for r in rows}


def _copy_documents(source: Store, target: Store, report: TransferReport, progress: Progress | None) -> None:
    done, wanted = _signatures(target), _signatures(source)
    stale = [i for i, sig in done.items() if wanted.get(i) != sig]
    if stale:  # changed in the source since an interrupted run, or removed there
        with target.db.write() as conn:
            for start in range(0, len(stale), BATCH):
                conn.execute(T.documents.delete().where(T.documents.c.id.in_(stale[start : start + BATCH])))
        report.documents_removed = len([i for i in stale if i not in wanted])
    total = len(wanted)
    for number, doc_id in enumerate(sorted(wanted), start=1):
        if doc_id in done and doc_id not in stale:
            report.documents_skipped += 1
            continue
        with source.db.read() as conn:
            document = conn.execute(sa.select(T.documents).where(T.documents.c.id == doc_id)).one()._asdict()
            chunks = [
                r._asdict()
                for r in conn.execute(
                    sa.select(T.chunks).where(T.chunks.c.document_id == doc_id).order_by(T.chunks.c.ordinal)
                )
            ]
        with target.db.write() as conn:
            conn.execute(T.documents.insert(), [document])
            if chunks:
                conn.execute(T.chunks.insert(), chunks)
        report.documents_copied += 1
        report.chunks_copied += len(chunks)
        if progress and (number % 500 == 0 or number == total):
            progress(f"documents : {number}/{total}")


def _copy_service_tables(source: Store, target: Store, report: TransferReport) -> None:
    for table in SERVICE_TABLES:
        rows = [r._asdict() for r in _rows(source, table)]
        for start in range(0, len(rows), BATCH):
            with target.db.write() as conn:
                conn.execute(_upsert(target, table), rows[start : start + BATCH])
        report.rows_copied[table.name] = len(rows)


def _reset_sequences(target: Store) -> None:
    """PostgreSQL identity columns continue after the copied ids (SQLite's rowids do by themselves)."""
    if target.backend != "postgresql":
        return
    tables = [t.name for t in TABLES if "id" in t.primary_key.columns]
    with target.db.write() as conn:
        for table in tables:
            conn.exec_driver_sql(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), max(id)) FROM {table} HAVING max(id) IS NOT NULL"
            )


def copy_store(source: Store, target: Store, progress: Progress | None = None) -> TransferReport:
    """Copy ``source`` into ``target`` (resumable), build the vector indexes, verify."""
    if source.url == target.url:
        raise StoreError("La source et la cible sont la même base.")
    report = TransferReport()
    say = progress or (lambda _message: None)
    target.defer_vector_index = True
    try:
        say("vocabulaire et collections")
        _copy_terms(source, target, report)
        _copy_collections(source, target)
        _copy_documents(source, target, report, progress)
        say("comptes, assistants, journal d'audit, réponses et retours")
        _copy_service_tables(source, target, report)
        _reset_sequences(target)
    finally:
        target.defer_vector_index = False
    for info in target.collections():
        if target.backend == "postgresql":
            say(f"index vectoriel HNSW de « {info.name} »")
        if target.build_vector_index(info.name):
            report.vector_indexes.append(info.name)
    say("vérification (nombres de lignes et sommes de contrôle)")
    report.checks = verify(source, target)
    return report


__all__ = ["CORPUS_TABLES", "SERVICE_TABLES", "TableCheck", "TransferReport", "copy_store", "verify"]
