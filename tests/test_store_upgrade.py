"""Databases written by release 0.1 upgrade in place, on both backends, and the schema the
code uses is the one the migrations build.

The fixtures under ``tests/data/store/`` were made by the 0.1 code itself
(``scripts/make_store_fixtures.py``): a SQLite file and a PostgreSQL dump holding the same
small store, with rows in every table; ``manifest.json`` says what they hold.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from tests.pg_helpers import bin_dir
from tests.test_store_backends import new_database, pg_server, put  # noqa: F401 (pg_server is a fixture)

from socle.store import Store, open_store
from socle.store import schema as T
from socle.store.corpus import chunk_context
from socle.store.schema import HEAD

FIXTURES = Path(__file__).parent / "data" / "store"
MANIFEST = json.loads((FIXTURES / "manifest.json").read_text(encoding="utf-8"))


def restore_dump(server: Any) -> str:
    """A new database on the test server, filled from the 0.1 PostgreSQL dump."""
    url = new_database(server)
    subprocess.run(
        [
            str(bin_dir() / "psql"),
            "-v",
            "ON_ERROR_STOP=1",
            "-q",
            "-d",
            url,
            "-f",
            str(FIXTURES / MANIFEST["files"]["postgresql"]),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
def old_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        path = tmp_path / "socle.db"
        shutil.copy(FIXTURES / MANIFEST["files"]["sqlite"], path)
        yield str(path)
    else:
        yield restore_dump(request.getfixturevalue("pg_server"))


def schema_differences(store: Store) -> list[Any]:
    """What Alembic's autogenerate would change for the database to match ``schema.metadata``
    (columns, indexes, keys, constraints; not column types, which the two backends spell
    differently). PostgreSQL's own search objects are outside the metadata."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    def include(_obj: Any, name: str | None, kind: str, _reflected: bool, _compare_to: Any) -> bool:
        if kind == "table" and name == "alembic_version":
            return False
        if kind == "index" and name is not None and (name.startswith("chunks_hnsw_") or name == "chunks_tsv"):
            return False
        return not (kind == "column" and name == "tsv")

    with store.db.engine.connect() as conn, warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Did not recognize type 'vector'")
        context = MigrationContext.configure(conn, opts={"compare_type": False, "include_object": include})
        diffs = compare_metadata(context, T.metadata)
    if store.backend == "sqlite":
        # SQLite's reflection misses ON DELETE on inline REFERENCES (release 0.1's tables): those
        # are checked below with PRAGMA foreign_key_list instead.
        diffs = [d for d in diffs if not (isinstance(d, tuple) and d[0] in ("add_fk", "remove_fk"))]
        with store.raw_connection() as db:
            for table in ("documents", "chunks", "privacy_records", "api_keys", "grants"):
                assert [r[6] for r in db.execute(f"PRAGMA foreign_key_list({table})")] == ["CASCADE"], table
    return list(diffs)


def test_release_0_1_database_upgrades_in_place(old_url: str) -> None:
    store = open_store(old_url)
    try:
        assert store.applied_now == ["0002", "0003", "0004"] and store.revision() == HEAD  # 0.1 is stamped 0001
        assert schema_differences(store) == []
        # Everything 0.1 wrote reads back through the new code.
        assert {c.name for c in store.collections()} == set(MANIFEST["collections"])
        for name, expected in MANIFEST["collections"].items():
            assert {d.key: d.content_hash for d in store.documents(name)} == expected["documents"]
            assert store.collection_settings(name) == expected["settings"]
            data = store.index_data(name)
            assert len(data.chunk_ids) == expected["chunks"]
            assert int((~data.vectors.any(axis=1)).sum()) == expected["chunks_without_vector"]
            best = int(data.chunk_ids[int(np.argmax(data.vectors @ np.asarray(MANIFEST["query_vector"], np.float32)))])
            assert best == expected["nearest"]["chunk_id"]
            assert store.chunk_records([best])[best].document_key == expected["nearest"]["document"]
            # The chunk context the migration computed is what ingestion writes now.
            stored = {s.document.key: s for s in store.stored_documents(name)}
            with store.db.read() as conn:
                contexts = dict(
                    conn.execute(
                        T.chunks.select()
                        .with_only_columns(T.chunks.c.id, T.chunks.c.context)
                        .where(T.chunks.c.collection_id == store._collection_id(conn, name))
                    ).all()
                )
            records = store.chunk_records(list(contexts))
            for chunk_id, context in contexts.items():
                doc = stored[records[chunk_id].document_key]
                chunk = next(c for c in doc.chunks if c.start == records[chunk_id].start)
                assert context == chunk_context(doc.document, chunk)
        users = {u.username: u for u in store.users()}
        assert [(u["username"], u["is_admin"], u["disabled"]) for u in MANIFEST["users"]] == [
            (name, users[name].is_admin, users[name].disabled) for name in sorted(users)
        ]
        for name, grants in MANIFEST["grants"].items():
            assert store.grants(users[name].id) == grants
        assert [(a.name, a.collections) for a in store.assistants()] == [
            (a["name"], a["collections"]) for a in MANIFEST["assistants"]
        ]
        assert len(store.audit_entries()) == MANIFEST["audit_rows"]
        chain = store.verify_audit()  # the rows 0.1 wrote were chained by the upgrade
        assert chain["rows"] == MANIFEST["audit_rows"] and chain["broken_at"] is None
        assert [(a["id"], a["abstained"]) for a in store.answers()] == [
            (a["id"], a["abstained"]) for a in MANIFEST["answers"]
        ]
        from socle.service.auth import authenticate_key, authenticate_password

        assert authenticate_password(store, "admin", MANIFEST["admin_password"]) is not None
        assert authenticate_key(store, MANIFEST["api_keys"]["active"]["key"]) is not None
        assert authenticate_key(store, MANIFEST["api_keys"]["revoked"]["key"]) is None
        # And it lives on: new rows continue after the old ids, the audit log stays append-only.
        last_audit = store.audit_entries()[-1]["id"]
        assert store.append_audit({"action": "after-upgrade"}) == last_audit + 1
        put(store, "rh", "nouveau", "Un document écrit après la mise à jour.", dim=8)
        assert "nouveau" in {d.key for d in store.documents("rh")}
        with pytest.raises(Exception, match="append-only"), store.raw_connection() as conn:
            conn.execute("DELETE FROM audit")
    finally:
        store.close()
    again = open_store(old_url)
    assert again.applied_now == [] and len(again.audit_entries()) == MANIFEST["audit_rows"] + 1
    assert again.verify_audit()["broken_at"] is None
    again.close()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_new_database_matches_the_schema(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    url = str(tmp_path / "s.db") if backend == "sqlite" else new_database(request.getfixturevalue("pg_server"))
    store = open_store(url)
    try:
        assert store.applied_now == ["0001", "0002", "0003", "0004"]
        assert schema_differences(store) == []
    finally:
        store.close()


def test_head_constant_is_the_newest_migration() -> None:
    from socle.store.database import Database

    assert Database.pending(None)[-1] == HEAD


def test_half_upgraded_database_is_not_opened_without_upgrade(tmp_path: Path) -> None:
    """A store opened with ``migrate=False`` (a worker beside `socle db upgrade`) refuses a
    database that is behind, and names the command."""
    path = tmp_path / "socle.db"
    shutil.copy(FIXTURES / MANIFEST["files"]["sqlite"], path)
    with pytest.raises(Exception, match="socle db upgrade"):
        Store(path, migrate=False)
    db = sqlite3.connect(path)
    assert db.execute("SELECT count(*) FROM _migrations").fetchone()[0] == 7  # untouched
    db.close()
