"""PostgreSQL implementation of :class:`socle.store.service.ServiceStore`: accounts, API keys,
grants, assistants, the append-only audit log, answers, feedback, corrections, evaluations
and ingestion jobs. Same methods, same results and same French errors as the SQLite
:class:`~socle.store.service.ServiceTables`; mixed into :class:`PostgresStore`.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import Any

import numpy as np
import psycopg
from psycopg.types.json import Jsonb

from socle.errors import NotFoundError, StoreError
from socle.store.service import AUDIT_FIELDS, Assistant, Correction, User


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _vector(value: Any) -> np.ndarray | None:
    """A pgvector value (``Vector``, numpy array or None) as a float32 array."""
    if value is None:
        return None
    if isinstance(value, np.ndarray):
        return value.astype(np.float32, copy=False)
    return np.asarray(value.to_numpy(), dtype=np.float32)


class PostgresServiceTables:
    """Service tables over a ``psycopg`` connection pool (provided by ``PostgresStore``)."""

    def _conn(self) -> AbstractContextManager[psycopg.Connection[Any]]:  # provided by PostgresStore
        raise NotImplementedError

    @staticmethod
    def _collection_id(conn: psycopg.Connection[Any], name: str) -> int:  # provided by PostgresStore
        raise NotImplementedError

    # -- users -------------------------------------------------------------------------------
    _USER_COLUMNS = "id, username, password_hash, is_admin, disabled"

    @staticmethod
    def _user(row: Sequence[Any] | None) -> User | None:
        if row is None:
            return None
        return User(id=row[0], username=row[1], password_hash=row[2], is_admin=bool(row[3]), disabled=bool(row[4]))

    def create_user(self, username: str, password_hash: str | None, is_admin: bool = False) -> User:
        username = username.strip()
        if not username or len(username) > 64 or any(c.isspace() for c in username):
            raise StoreError("Identifiant invalide : 1 à 64 caractères, sans espace.")
        try:
            with self._conn() as conn:
                row = conn.execute(
                    "INSERT INTO users (username, password_hash, is_admin, created_at) VALUES (%s, %s, %s, %s)"
                    " RETURNING id",
                    (username, password_hash, bool(is_admin), _now()),
                ).fetchone()
        except psycopg.errors.UniqueViolation as exc:
            raise StoreError(f"L'utilisateur « {username} » existe déjà.") from exc
        assert row is not None
        return User(int(row[0]), username, is_admin, False, password_hash)

    def get_user(self, username: str) -> User | None:
        with self._conn() as conn:
            row = conn.execute(f"SELECT {self._USER_COLUMNS} FROM users WHERE username = %s", (username,)).fetchone()
        return self._user(row)

    def get_user_by_id(self, user_id: int) -> User | None:
        with self._conn() as conn:
            row = conn.execute(f"SELECT {self._USER_COLUMNS} FROM users WHERE id = %s", (user_id,)).fetchone()
        return self._user(row)

    def users(self) -> list[User]:
        with self._conn() as conn:
            rows = conn.execute(f'SELECT {self._USER_COLUMNS} FROM users ORDER BY username COLLATE "C"').fetchall()
        return [u for u in map(self._user, rows) if u is not None]

    def count_users(self) -> int:
        with self._conn() as conn:
            row = conn.execute("SELECT count(*) FROM users").fetchone()
        return int(row[0]) if row else 0

    def _require_user(self, username: str) -> User:
        user = self.get_user(username)
        if user is None:
            raise NotFoundError(f"L'utilisateur « {username} » n'existe pas.")
        return user

    def set_password(self, username: str, password_hash: str) -> None:
        user = self._require_user(username)
        with self._conn() as conn:
            conn.execute("UPDATE users SET password_hash = %s WHERE id = %s", (password_hash, user.id))

    def set_user_disabled(self, username: str, disabled: bool) -> None:
        user = self._require_user(username)
        with self._conn() as conn:
            conn.execute("UPDATE users SET disabled = %s WHERE id = %s", (bool(disabled), user.id))

    def delete_user(self, username: str) -> bool:
        with self._conn() as conn:
            return conn.execute("DELETE FROM users WHERE username = %s", (username,)).rowcount > 0

    # -- API keys ----------------------------------------------------------------------------
    def add_api_key(self, user_id: int, name: str, prefix: str, key_hash: str) -> int:
        with self._conn() as conn:
            row = conn.execute(
                "INSERT INTO api_keys (user_id, name, prefix, key_hash, created_at) VALUES (%s, %s, %s, %s, %s)"
                " RETURNING id",
                (user_id, name, prefix, key_hash, _now()),
            ).fetchone()
        return int(row[0]) if row else 0

    def user_for_key_hash(self, key_hash: str) -> tuple[User, int] | None:
        with self._conn() as conn:
            row = conn.execute(
                "SELECT u.id, u.username, u.password_hash, u.is_admin, u.disabled, k.id FROM api_keys k"
                " JOIN users u ON u.id = k.user_id WHERE k.key_hash = %s AND NOT k.revoked",
                (key_hash,),
            ).fetchone()
        user = self._user(row[:5]) if row else None
        return (user, int(row[5])) if user and row else None

    def api_keys(self, user_id: int) -> list[dict[str, Any]]:
        with self._conn() as conn:
            rows = conn.execute(
                "SELECT id, name, prefix, created_at, revoked FROM api_keys WHERE user_id = %s ORDER BY id", (user_id,)
            ).fetchall()
        return [{"id": r[0], "name": r[1], "prefix": r[2], "created_at": r[3], "revoked": bool(r[4])} for r in rows]

    def revoke_api_key(self, user_id: int, key_id: int) -> bool:
        with self._conn() as conn:
            cur = conn.execute("UPDATE api_keys SET revoked = true WHERE id = %s AND user_id = %s", (key_id, user_id))
            return cur.rowcount > 0

    # -- grants ------------------------------------------------------------------------------
    def set_grant(self, user_id: int, collection: str, role: str | None) -> None:
        if role not in (None, "reader", "editor"):
            raise StoreError(f"Rôle inconnu : {role} (lecteur « reader » ou éditeur « editor »).")
        with self._conn() as conn:
            if role is None:
                conn.execute("DELETE FROM grants WHERE user_id = %s AND collection = %s", (user_id, collection))
            else:
                conn.execute(
                    "INSERT INTO grants (user_id, collection, role) VALUES (%s, %s, %s)"
                    " ON CONFLICT (user_id, collection) DO UPDATE SET role = excluded.role",
                    (user_id, collection, role),
                )

    def grants(self, user_id: int) -> dict[str, str]:
        with self._conn() as conn:
            rows = conn.execute("SELECT collection, role FROM grants WHERE user_id = %s", (user_id,)).fetchall()
        return {r[0]: r[1] for r in rows}

    # -- assistants --------------------------------------------------------------------------
    _ASSISTANT_COLUMNS = (
        "name, title, collections, instructions, examples, settings, created_by, created_at, updated_at"
    )

    @staticmethod
    def _assistant(row: Sequence[Any]) -> Assistant:
        return Assistant(
            name=row[0],
            title=row[1],
            collections=list(row[2]),
            instructions=row[3],
            examples=list(row[4]),
            settings=dict(row[5]),
            created_by=row[6],
            created_at=row[7],
            updated_at=row[8],
        )

    def put_assistant(self, assistant: Assistant) -> Assistant:
        """Create the assistant, or replace the one of the same name."""
        now = _now()
        with self._conn() as conn:
            row = conn.execute(
                "INSERT INTO assistants (name, title, collections, instructions, examples, settings, created_by,"
                " created_at, updated_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (name) DO UPDATE"
                " SET title = excluded.title, collections = excluded.collections,"
                " instructions = excluded.instructions, examples = excluded.examples, settings = excluded.settings,"
                f" updated_at = excluded.updated_at RETURNING {self._ASSISTANT_COLUMNS}",
                (
                    assistant.name,
                    assistant.title,
                    Jsonb(list(assistant.collections)),
                    assistant.instructions,
                    Jsonb(list(assistant.examples)),
                    Jsonb(dict(assistant.settings)),
                    assistant.created_by,
                    now,
                    now,
                ),
            ).fetchone()
        assert row is not None
        return self._assistant(row)

    def get_assistant(self, name: str) -> Assistant | None:
        with self._conn() as conn:
            row = conn.execute(f"SELECT {self._ASSISTANT_COLUMNS} FROM assistants WHERE name = %s", (name,)).fetchone()
        return self._assistant(row) if row else None

    def assistants(self) -> list[Assistant]:
        with self._conn() as conn:
            rows = conn.execute(
                f'SELECT {self._ASSISTANT_COLUMNS} FROM assistants ORDER BY title COLLATE "C"'
            ).fetchall()
        return [self._assistant(r) for r in rows]

    def delete_assistant(self, name: str) -> bool:
        with self._conn() as conn:
            return conn.execute("DELETE FROM assistants WHERE name = %s", (name,)).rowcount > 0

    # -- audit -------------------------------------------------------------------------------
    def append_audit(self, entry: dict[str, Any]) -> int:
        """Append one row to the audit log (no row is ever updated or deleted: triggers)."""
        with self._conn() as conn:
            row = conn.execute(
                "INSERT INTO audit (at, username, action, assistant, collections, question, answer_id, sources,"
                " footprint, detail) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING id",
                (
                    entry.get("at") or _now(),
                    entry.get("username"),
                    entry["action"],
                    entry.get("assistant"),
                    Jsonb(entry.get("collections", [])),
                    entry.get("question"),
                    entry.get("answer_id"),
                    Jsonb(entry.get("sources", [])),
                    Jsonb(entry.get("footprint", {})),
                    Jsonb(entry.get("detail", {})),
                ),
            ).fetchone()
        return int(row[0]) if row else 0

    def audit_entries(self, since_id: int = 0, limit: int | None = None) -> list[dict[str, Any]]:
        sql = f"SELECT {', '.join(AUDIT_FIELDS)} FROM audit WHERE id > %s ORDER BY id"
        params: tuple[Any, ...] = (since_id,)
        if limit is not None:
            sql += " LIMIT %s"
            params += (limit,)
        with self._conn() as conn:
            rows = conn.execute(sql.encode(), params).fetchall()
        return [dict(zip(AUDIT_FIELDS, row, strict=True)) for row in rows]

    # -- answers and feedback ----------------------------------------------------------------
    def answer(self, answer_id: int) -> dict[str, Any] | None:
        with self._conn() as conn:
            row = conn.execute(
                "SELECT id, created_at, collection, question, answer, abstained, mode, model, citations, username,"
                " assistant FROM answers WHERE id = %s",
                (answer_id,),
            ).fetchone()
        if row is None:
            return None
        keys = ("id", "created_at", "collection", "question", "answer", "abstained", "mode", "model", "citations")
        d = dict(zip(keys, row[:9], strict=True))
        d["abstained"] = bool(d["abstained"])
        d["username"], d["assistant"] = row[9], row[10]
        return d

    def add_feedback(
        self, answer_id: int, username: str | None, rating: int, comment: str = "", correction: str = ""
    ) -> int:
        """Store a rating and count it for each passage the answer cited (``passage_votes``)."""
        if rating not in (-1, 1):
            raise StoreError("La note doit valoir 1 (utile) ou -1 (pas utile).")
        answer = self.answer(answer_id)
        if answer is None:
            raise NotFoundError(f"La réponse {answer_id} n'existe pas.")
        cited = sorted({int(c["passage_id"]) for c in answer["citations"] if int(c["passage_id"]) > 0})
        column = "up" if rating > 0 else "down"
        with self._conn() as conn:
            row = conn.execute(
                "INSERT INTO feedback (answer_id, username, rating, comment, correction, created_at)"
                " VALUES (%s, %s, %s, %s, %s, %s) RETURNING id",
                (answer_id, username, rating, comment, correction, _now()),
            ).fetchone()
            for collection in answer["collection"].split(","):
                for chunk_id in cited:
                    conn.execute(
                        f"INSERT INTO passage_votes (chunk_id, collection, {column}) VALUES (%s, %s, 1)"
                        f" ON CONFLICT (collection, chunk_id) DO UPDATE SET {column} = passage_votes.{column} + 1",
                        (chunk_id, collection),
                    )
        return int(row[0]) if row else 0

    def feedback(self, answer_id: int | None = None) -> list[dict[str, Any]]:
        sql = "SELECT id, answer_id, username, rating, comment, correction, created_at FROM feedback"
        with self._conn() as conn:
            if answer_id is None:
                rows = conn.execute(sql + " ORDER BY id").fetchall()
            else:
                rows = conn.execute(sql + " WHERE answer_id = %s ORDER BY id", (answer_id,)).fetchall()
        keys = ("id", "answer_id", "username", "rating", "comment", "correction", "created_at")
        return [dict(zip(keys, r, strict=True)) for r in rows]

    def passage_votes(self, collection: str) -> dict[int, tuple[int, int]]:
        with self._conn() as conn:
            rows = conn.execute(
                "SELECT chunk_id, up, down FROM passage_votes WHERE collection = %s", (collection,)
            ).fetchall()
        return {int(r[0]): (int(r[1]), int(r[2])) for r in rows}

    def feedback_version(self) -> int:
        """Moves whenever feedback or a correction is added or validated (cache key)."""
        with self._conn() as conn:
            row = conn.execute(
                "SELECT (SELECT coalesce(max(id), 0) FROM feedback),"
                " (SELECT count(*) FROM corrections WHERE validated_at IS NOT NULL)"
            ).fetchone()
        assert row is not None
        return int(row[0]) * 1_000_003 + int(row[1])

    # -- corrections -------------------------------------------------------------------------
    def add_correction(
        self,
        collection: str,
        question: str,
        text: str,
        embedding: np.ndarray | None,
        feedback_id: int | None,
        author: str | None,
        validated_by: str | None = None,
    ) -> int:
        vector = None if embedding is None else np.ascontiguousarray(embedding, dtype=np.float32)
        now = _now()
        with self._conn() as conn:
            row = conn.execute(
                "INSERT INTO corrections (collection, question, text, embedding, feedback_id, author, validated_by,"
                " validated_at, created_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING id",
                (
                    collection,
                    question,
                    text,
                    vector,
                    feedback_id,
                    author,
                    validated_by,
                    now if validated_by else None,
                    now,
                ),
            ).fetchone()
        return int(row[0]) if row else 0

    _CORRECTION_COLUMNS = "id, collection, question, text, embedding, author, validated_by, validated_at"

    @staticmethod
    def _correction(row: Sequence[Any]) -> Correction:
        return Correction(row[0], row[1], row[2], row[3], _vector(row[4]), row[5], row[6], row[7])

    def validate_correction(self, correction_id: int, validated_by: str) -> Correction:
        with self._conn() as conn:
            row = conn.execute(
                f"UPDATE corrections SET validated_by = %s, validated_at = %s WHERE id = %s"
                f" RETURNING {self._CORRECTION_COLUMNS}",
                (validated_by, _now(), correction_id),
            ).fetchone()
        if row is None:
            raise NotFoundError(f"La correction {correction_id} n'existe pas.")
        return self._correction(row)

    def corrections(self, collection: str, validated_only: bool = True) -> list[Correction]:
        sql = f"SELECT {self._CORRECTION_COLUMNS} FROM corrections WHERE collection = %s"
        if validated_only:
            sql += " AND validated_at IS NOT NULL"
        with self._conn() as conn:
            rows = conn.execute((sql + " ORDER BY id").encode(), (collection,)).fetchall()
        return [self._correction(r) for r in rows]

    def all_corrections(self) -> list[Correction]:
        with self._conn() as conn:
            rows = conn.execute(f"SELECT {self._CORRECTION_COLUMNS} FROM corrections ORDER BY id").fetchall()
        return [self._correction(r) for r in rows]

    # -- documents (citation view) -----------------------------------------------------------
    def document_text(self, collection: str, key: str) -> dict[str, Any] | None:
        with self._conn() as conn:
            row = conn.execute(
                "SELECT d.key, d.title, d.source, d.url, d.mime, d.metadata, d.text, d.ingested_at FROM documents d"
                " JOIN collections c ON c.id = d.collection_id WHERE c.name = %s AND d.key = %s",
                (collection, key),
            ).fetchone()
        if row is None:
            return None
        keys = ("key", "title", "source", "url", "mime", "metadata", "text", "ingested_at")
        d = dict(zip(keys, row, strict=True))
        d["collection"] = collection
        return d

    # -- privacy -----------------------------------------------------------------------------
    def put_privacy_record(
        self, collection: str, key: str, mode: str, counts: dict[str, Any], mapping: bytes | None
    ) -> None:
        """What pseudonymisation removed from one document (replacing any earlier record)."""
        with self._conn() as conn:
            cid = self._collection_id(conn, collection)
            conn.execute(
                "INSERT INTO privacy_records (collection_id, document_key, mode, counts, mapping, created_at)"
                " VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (collection_id, document_key) DO UPDATE SET"
                " mode = excluded.mode, counts = excluded.counts, mapping = excluded.mapping,"
                " created_at = excluded.created_at",
                (cid, key, mode, Jsonb(counts), mapping, _now()),
            )

    def privacy_records(self, collection: str) -> list[dict[str, Any]]:
        """Records of the documents currently in the collection, by document key."""
        with self._conn() as conn:
            cid = self._collection_id(conn, collection)
            rows = conn.execute(
                "SELECT p.document_key, p.mode, p.counts, p.mapping IS NOT NULL, p.created_at FROM privacy_records p"
                " JOIN documents d ON d.collection_id = p.collection_id AND d.key = p.document_key"
                ' WHERE p.collection_id = %s ORDER BY p.document_key COLLATE "C"',
                (cid,),
            ).fetchall()
        return [
            {"document": r[0], "mode": r[1], "counts": r[2], "has_mapping": bool(r[3]), "created_at": r[4]}
            for r in rows
        ]

    def privacy_mapping(self, collection: str, key: str) -> bytes | None:
        """The encrypted pseudonym mapping of one document, if it has one."""
        with self._conn() as conn:
            cid = self._collection_id(conn, collection)
            row = conn.execute(
                "SELECT mapping FROM privacy_records WHERE collection_id = %s AND document_key = %s", (cid, key)
            ).fetchone()
        return None if row is None or row[0] is None else bytes(row[0])

    # -- evaluations and footprint -----------------------------------------------------------
    def record_evaluation(self, collection: str, kind: str, questions: str, metrics: dict[str, Any]) -> int:
        with self._conn() as conn:
            row = conn.execute(
                "INSERT INTO evaluations (at, collection, kind, questions, metrics) VALUES (%s, %s, %s, %s, %s)"
                " RETURNING id",
                (_now(), collection, kind, questions, Jsonb(metrics)),
            ).fetchone()
        return int(row[0]) if row else 0

    def evaluations(self, collection: str | None = None) -> list[dict[str, Any]]:
        sql = "SELECT id, at, collection, kind, questions, metrics FROM evaluations"
        with self._conn() as conn:
            if collection:
                rows = conn.execute(sql + " WHERE collection = %s ORDER BY id", (collection,)).fetchall()
            else:
                rows = conn.execute(sql + " ORDER BY id").fetchall()
        keys = ("id", "at", "collection", "kind", "questions", "metrics")
        return [dict(zip(keys, r, strict=True)) for r in rows]

    def answer_footprints(self) -> list[dict[str, Any]]:
        """Every answer's date, collection(s), assistant, mode and footprint (for totals)."""
        with self._conn() as conn:
            rows = conn.execute(
                "SELECT created_at, collection, assistant, mode, model, abstained, footprint FROM answers ORDER BY id"
            ).fetchall()
        keys = ("created_at", "collection", "assistant", "mode", "model", "abstained", "footprint")
        out = [dict(zip(keys, r, strict=True)) for r in rows]
        for d in out:
            d["abstained"] = bool(d["abstained"])
        return out

    # -- ingestion jobs ----------------------------------------------------------------------
    def create_job(self, collection: str, username: str | None, total: int) -> int:
        now = _now()
        with self._conn() as conn:
            row = conn.execute(
                "INSERT INTO jobs (collection, username, status, total, created_at, updated_at)"
                " VALUES (%s, %s, 'pending', %s, %s, %s) RETURNING id",
                (collection, username, total, now, now),
            ).fetchone()
        return int(row[0]) if row else 0

    def update_job(self, job_id: int, *, status: str, done: int, report: dict[str, Any] | None = None) -> None:
        with self._conn() as conn:
            conn.execute(
                "UPDATE jobs SET status = %s, done = %s, report = coalesce(%s, report), updated_at = %s WHERE id = %s",
                (status, done, None if report is None else Jsonb(report), _now(), job_id),
            )

    def job(self, job_id: int) -> dict[str, Any] | None:
        with self._conn() as conn:
            row = conn.execute(
                "SELECT id, collection, username, status, total, done, report, created_at, updated_at FROM jobs"
                " WHERE id = %s",
                (job_id,),
            ).fetchone()
        if row is None:
            return None
        keys = ("id", "collection", "username", "status", "total", "done", "report", "created_at", "updated_at")
        return dict(zip(keys, row, strict=True))


__all__ = ["PostgresServiceTables"]
