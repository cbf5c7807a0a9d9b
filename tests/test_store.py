"""The SQLite store: schema migrations, atomic document writes, lexical search."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest

from socle.analysis import analyse
from socle.chunk import chunk_document
from socle.errors import NotFoundError, StoreError
from socle.models import Block, Document
from socle.store import open_store
from socle.store.sqlite import MIGRATIONS, SQLiteStore


def _put(store: SQLiteStore, collection: str, key: str, text: str, dim: int = 4) -> None:
    doc = Document(key=key, title=key, blocks=[Block(p) for p in text.split("\n")])
    chunks = chunk_document(doc, 40)
    vecs = np.random.default_rng(len(text)).normal(size=(len(chunks), dim)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    store.put_document(
        collection, doc, chunks, [" ".join(analyse(c.text)) for c in chunks], " ".join(analyse(doc.text)), vecs
    )


def test_migrations_are_applied_once_and_recorded(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    store = open_store(path)
    assert isinstance(store, SQLiteStore)
    assert store.applied_migrations() == [name for name, _ in MIGRATIONS]
    store.close()
    # Re-opening applies nothing new and keeps data.
    store = open_store(f"sqlite:///{path}")
    assert isinstance(store, SQLiteStore)
    assert store.applied_migrations() == [name for name, _ in MIGRATIONS]


def test_put_replace_remove_and_search(tmp_path: Path) -> None:
    store = open_store(tmp_path / "s.db")
    assert isinstance(store, SQLiteStore)
    store.ensure_collection("rh")
    store.ensure_collection("musee")
    _put(store, "rh", "conges", "Les congés annuels durent cinq semaines.\nLe report est possible.")
    _put(store, "rh", "teletravail", "Le télétravail est limité à deux jours par semaine.")
    _put(store, "musee", "visite", "Les congés du musée : fermeture annuelle en janvier.")
    g0 = store.generation("rh")

    hits = store.search_documents_lexical("rh", analyse("congé annuel"), 10)
    assert len(hits) == 1  # the other collection's document never leaks in
    assert store.search_chunks_lexical("musee", analyse("congés"), 10)

    # Replacing a document swaps its chunks atomically and moves the generation.
    _put(store, "rh", "conges", "Désormais, les congés annuels durent six semaines.")
    assert store.generation("rh") > g0
    infos = {d.key: d for d in store.documents("rh")}
    assert infos["conges"].chunks == 1
    assert not store.search_chunks_lexical("rh", analyse("report"), 10)
    m = store.dense_matrix("rh")
    assert m.vectors.shape == (2, 4) and len(set(m.document_ids.tolist())) == 2

    assert store.remove_document("rh", "conges")
    assert not store.remove_document("rh", "conges")
    assert not store.search_documents_lexical("rh", analyse("congés"), 10)
    assert store.remove_collection("musee")
    assert [c.name for c in store.collections()] == ["rh"]
    # FTS rows went with the collection.
    n = store.db.execute("SELECT count(*) FROM chunk_terms").fetchone()[0]
    assert n == 1


def test_failed_write_leaves_previous_version(tmp_path: Path) -> None:
    store = open_store(tmp_path / "s.db")
    assert isinstance(store, SQLiteStore)
    store.ensure_collection("rh")
    _put(store, "rh", "conges", "Les congés annuels durent cinq semaines.")
    doc = Document(key="conges", title="conges", blocks=[Block("Nouvelle version")])
    chunks = chunk_document(doc)
    with pytest.raises(StoreError):  # inconsistent input is refused before anything is written
        store.put_document("rh", doc, chunks, [], "", None)
    # Simulate a crash mid-write: a vector that is not an array fails inside the transaction.
    with pytest.raises((TypeError, ValueError, AttributeError, sqlite3.Error)):
        store.put_document("rh", doc, chunks, ["nouvel"], "nouvel", [object()])  # type: ignore[arg-type]
    assert store.search_documents_lexical("rh", analyse("cinq semaines"), 5)
    assert store.documents("rh")[0].chunks == 1


def test_unknown_collection_and_model_mismatch(tmp_path: Path) -> None:
    store = open_store(tmp_path / "s.db")
    with pytest.raises(NotFoundError, match="n'existe pas"):
        store.documents("absente")
    store.ensure_collection("rh", "modele-a")
    with pytest.raises(StoreError, match="modele-a"):
        store.ensure_collection("rh", "modele-b")


def test_postgres_url_is_reported_not_crashing() -> None:
    from socle.errors import ConfigError

    with pytest.raises(ConfigError, match="PostgreSQL"):
        open_store("postgresql://localhost/socle")
