"""The SQLite store: schema migrations, atomic document writes, lexical search."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy.exc import SQLAlchemyError

from socle.analysis import analyse
from socle.bm25 import BM25Index
from socle.chunk import chunk_document
from socle.errors import NotFoundError, StoreError
from socle.models import Block, Document
from socle.store import Store, open_store
from socle.store.schema import HEAD


def _put(store: Store, collection: str, key: str, text: str, dim: int = 4) -> None:
    doc = Document(key=key, title=key, blocks=[Block(p) for p in text.split("\n")])
    chunks = chunk_document(doc, 40)
    vecs = np.random.default_rng(len(text)).normal(size=(len(chunks), dim)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    store.put_document(collection, doc, chunks, [analyse(c.text) for c in chunks], analyse(doc.text), vecs)


def _lexical(store: Store, collection: str, query: str, level: str = "documents") -> list[int]:
    """Ids of the rows (documents or chunks) of ``collection`` that BM25 scores above 0."""
    data = store.index_data(collection)
    index = BM25Index.build(data.doc_terms if level == "documents" else data.chunk_terms)
    ids = data.doc_ids if level == "documents" else data.chunk_ids
    scores = index.scores(store.term_ids(analyse(query)))
    return [int(i) for i in ids[scores > 0]]


def test_migrations_are_applied_once_and_recorded(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    store = open_store(path)
    assert store.backend == "sqlite"
    assert store.applied_now == ["0001", "0002", "0003", "0004"] and store.revision() == HEAD
    store.close()
    # Re-opening applies nothing new and keeps data.
    store = open_store(f"sqlite:///{path}")
    assert store.applied_now == [] and store.revision() == HEAD


def test_put_replace_remove_and_search(tmp_path: Path) -> None:
    store = open_store(tmp_path / "s.db")
    assert store.backend == "sqlite"
    store.ensure_collection("rh")
    store.ensure_collection("musee")
    _put(store, "rh", "conges", "Les congés annuels durent cinq semaines.\nLe report est possible.")
    _put(store, "rh", "teletravail", "Le télétravail est limité à deux jours par semaine.")
    _put(store, "musee", "visite", "Les congés du musée : fermeture annuelle en janvier.")
    g0 = store.generation("rh")

    hits = _lexical(store, "rh", "congé annuel")
    assert len(hits) == 1  # the other collection's document never leaks in
    assert _lexical(store, "musee", "congés", "chunks")

    # Replacing a document swaps its chunks atomically and moves the generation.
    _put(store, "rh", "conges", "Désormais, les congés annuels durent six semaines.")
    assert store.generation("rh") > g0
    infos = {d.key: d for d in store.documents("rh")}
    assert infos["conges"].chunks == 1
    assert not _lexical(store, "rh", "report", "chunks")
    m = store.index_data("rh")
    assert m.vectors.shape == (2, 4) and len(set(m.document_ids.tolist())) == 2
    assert m.doc_ids.tolist() == sorted(set(m.document_ids.tolist()))

    assert store.remove_document("rh", "conges")
    assert not store.remove_document("rh", "conges")
    assert not _lexical(store, "rh", "congés")
    assert store.remove_collection("musee")
    assert [c.name for c in store.collections()] == ["rh"]
    # Chunks went with their collection.
    with store.raw_connection() as db:
        assert db.execute("SELECT count(*) FROM chunks").fetchone()[0] == 1


def test_failed_write_leaves_previous_version(tmp_path: Path) -> None:
    store = open_store(tmp_path / "s.db")
    assert store.backend == "sqlite"
    store.ensure_collection("rh")
    _put(store, "rh", "conges", "Les congés annuels durent cinq semaines.")
    doc = Document(key="conges", title="conges", blocks=[Block("Nouvelle version")])
    chunks = chunk_document(doc)
    with pytest.raises(StoreError):  # inconsistent input is refused before anything is written
        store.put_document("rh", doc, chunks, [], [], None)
    # Simulate a crash mid-write: a vector that is not an array fails inside the transaction.
    with pytest.raises((TypeError, ValueError, AttributeError, sqlite3.Error, SQLAlchemyError)):
        store.put_document("rh", doc, chunks, [["nouvel"]], ["nouvel"], [object()])  # type: ignore[arg-type]
    assert _lexical(store, "rh", "cinq semaines")
    assert store.documents("rh")[0].chunks == 1


def test_unknown_collection_and_model_mismatch(tmp_path: Path) -> None:
    store = open_store(tmp_path / "s.db")
    with pytest.raises(NotFoundError, match="n'existe pas"):
        store.documents("absente")
    store.ensure_collection("rh", "modele-a")
    with pytest.raises(StoreError, match="modele-a"):
        store.ensure_collection("rh", "modele-b")


def test_postgres_url_is_reported_not_crashing() -> None:
    # PostgreSQL itself is tested in test_store_backends.py; an unreachable server is a clear error.
    with pytest.raises(StoreError, match="PostgreSQL"):
        open_store("postgresql://127.0.0.1:1/socle")


def test_database_older_than_release_0_1_is_refused_clearly(tmp_path: Path) -> None:
    """A database left by a development version before 0.1 (its own migrations incomplete)
    is not guessed at: the message says what to do, and no table is added."""
    path = tmp_path / "old.db"
    db = sqlite3.connect(str(path), isolation_level=None)
    db.execute("CREATE TABLE _migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
    db.execute("INSERT INTO _migrations VALUES ('m001_initial', 'x'), ('m002_answers', 'x')")
    db.close()
    with pytest.raises(StoreError, match=r"antérieure à Socle 0\.1"):
        open_store(path)
    db = sqlite3.connect(str(path))
    assert [r[0] for r in db.execute("SELECT name FROM sqlite_master")] == [
        "_migrations",
        "sqlite_autoindex__migrations_1",
    ]
    db.close()
