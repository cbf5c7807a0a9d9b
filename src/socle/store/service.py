"""Tables of the web service (migration ``m004_service``): accounts, API keys, grants,
assistants, the append-only audit log, feedback, validated corrections and ingestion jobs.

:class:`ServiceTables` is mixed into :class:`socle.store.sqlite.SQLiteStore`; the
:class:`ServiceStore` protocol is what :mod:`socle.service` relies on, so that another
backend only has to provide the same methods.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

import numpy as np

from socle.errors import NotFoundError, StoreError


def m006_evaluations(db: sqlite3.Connection) -> None:
    """Results of `socle eval`, kept for the transparency card."""
    db.execute(
        "CREATE TABLE evaluations (id INTEGER PRIMARY KEY, at TEXT NOT NULL, collection TEXT NOT NULL,"
        " kind TEXT NOT NULL, questions TEXT NOT NULL, metrics TEXT NOT NULL)"
    )


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


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


class ServiceStore(Protocol):
    # users and keys
    def create_user(self, username: str, password_hash: str | None, is_admin: bool = False) -> User: ...
    def get_user(self, username: str) -> User | None: ...
    def get_user_by_id(self, user_id: int) -> User | None: ...
    def users(self) -> list[User]: ...
    def count_users(self) -> int: ...
    def set_password(self, username: str, password_hash: str) -> None: ...
    def set_user_disabled(self, username: str, disabled: bool) -> None: ...
    def delete_user(self, username: str) -> bool: ...
    def add_api_key(self, user_id: int, name: str, prefix: str, key_hash: str) -> int: ...
    def user_for_key_hash(self, key_hash: str) -> tuple[User, int] | None: ...
    def api_keys(self, user_id: int) -> list[dict[str, Any]]: ...
    def revoke_api_key(self, user_id: int, key_id: int) -> bool: ...
    def set_grant(self, user_id: int, collection: str, role: str | None) -> None: ...
    def grants(self, user_id: int) -> dict[str, str]: ...
    # assistants
    def put_assistant(self, assistant: Assistant) -> Assistant: ...
    def get_assistant(self, name: str) -> Assistant | None: ...
    def assistants(self) -> list[Assistant]: ...
    def delete_assistant(self, name: str) -> bool: ...
    # audit, answers, feedback
    def append_audit(self, entry: dict[str, Any]) -> int: ...
    def audit_entries(self, since_id: int = 0, limit: int | None = None) -> list[dict[str, Any]]: ...
    def answer(self, answer_id: int) -> dict[str, Any] | None: ...
    def add_feedback(
        self, answer_id: int, username: str | None, rating: int, comment: str = "", correction: str = ""
    ) -> int: ...
    def feedback(self, answer_id: int | None = None) -> list[dict[str, Any]]: ...
    def passage_votes(self, collection: str) -> dict[int, tuple[int, int]]: ...
    def feedback_version(self) -> int: ...
    def add_correction(
        self,
        collection: str,
        question: str,
        text: str,
        embedding: np.ndarray | None,
        feedback_id: int | None,
        author: str | None,
        validated_by: str | None = None,
    ) -> int: ...
    def validate_correction(self, correction_id: int, validated_by: str) -> Correction: ...
    def all_corrections(self) -> list[Correction]: ...
    def document_text(self, collection: str, key: str) -> dict[str, Any] | None: ...
    def corrections(self, collection: str, validated_only: bool = True) -> list[Correction]: ...
    # evaluations and footprint
    def record_evaluation(self, collection: str, kind: str, questions: str, metrics: dict[str, Any]) -> int: ...
    def evaluations(self, collection: str | None = None) -> list[dict[str, Any]]: ...
    def answer_footprints(self) -> list[dict[str, Any]]: ...
    # ingestion jobs
    def create_job(self, collection: str, username: str | None, total: int) -> int: ...
    def update_job(self, job_id: int, *, status: str, done: int, report: dict[str, Any] | None = None) -> None: ...
    def job(self, job_id: int) -> dict[str, Any] | None: ...


class ServiceTables:
    """SQLite implementation of :class:`ServiceStore` (mixed into ``SQLiteStore``)."""

    @property
    def db(self) -> sqlite3.Connection:  # provided by SQLiteStore
        raise NotImplementedError

    def _writing(self) -> AbstractContextManager[sqlite3.Connection]:  # provided by SQLiteStore
        raise NotImplementedError

    # -- users -------------------------------------------------------------------------------
    @staticmethod
    def _user(row: Sequence[Any] | None) -> User | None:
        if row is None:
            return None
        return User(id=row[0], username=row[1], password_hash=row[2], is_admin=bool(row[3]), disabled=bool(row[4]))

    _USER_COLUMNS = "id, username, password_hash, is_admin, disabled"

    def create_user(self, username: str, password_hash: str | None, is_admin: bool = False) -> User:
        username = username.strip()
        if not username or len(username) > 64 or any(c.isspace() for c in username):
            raise StoreError("Identifiant invalide : 1 à 64 caractères, sans espace.")
        try:
            with self._writing() as db:
                cur = db.execute(
                    "INSERT INTO users (username, password_hash, is_admin, created_at) VALUES (?, ?, ?, ?)",
                    (username, password_hash, int(is_admin), _now()),
                )
        except sqlite3.IntegrityError as exc:
            raise StoreError(f"L'utilisateur « {username} » existe déjà.") from exc
        return User(int(cur.lastrowid or 0), username, is_admin, False, password_hash)

    def get_user(self, username: str) -> User | None:
        row = self.db.execute(f"SELECT {self._USER_COLUMNS} FROM users WHERE username = ?", (username,)).fetchone()
        return self._user(row)

    def get_user_by_id(self, user_id: int) -> User | None:
        row = self.db.execute(f"SELECT {self._USER_COLUMNS} FROM users WHERE id = ?", (user_id,)).fetchone()
        return self._user(row)

    def users(self) -> list[User]:
        rows = self.db.execute(f"SELECT {self._USER_COLUMNS} FROM users ORDER BY username").fetchall()
        return [u for u in map(self._user, rows) if u is not None]

    def count_users(self) -> int:
        return int(self.db.execute("SELECT count(*) FROM users").fetchone()[0])

    def _require_user(self, username: str) -> User:
        user = self.get_user(username)
        if user is None:
            raise NotFoundError(f"L'utilisateur « {username} » n'existe pas.")
        return user

    def set_password(self, username: str, password_hash: str) -> None:
        user = self._require_user(username)
        with self._writing() as db:
            db.execute("UPDATE users SET password_hash = ? WHERE id = ?", (password_hash, user.id))

    def set_user_disabled(self, username: str, disabled: bool) -> None:
        user = self._require_user(username)
        with self._writing() as db:
            db.execute("UPDATE users SET disabled = ? WHERE id = ?", (int(disabled), user.id))

    def delete_user(self, username: str) -> bool:
        with self._writing() as db:
            return db.execute("DELETE FROM users WHERE username = ?", (username,)).rowcount > 0

    # -- API keys ----------------------------------------------------------------------------
    def add_api_key(self, user_id: int, name: str, prefix: str, key_hash: str) -> int:
        with self._writing() as db:
            cur = db.execute(
                "INSERT INTO api_keys (user_id, name, prefix, key_hash, created_at) VALUES (?, ?, ?, ?, ?)",
                (user_id, name, prefix, key_hash, _now()),
            )
        return int(cur.lastrowid or 0)

    def user_for_key_hash(self, key_hash: str) -> tuple[User, int] | None:
        row = self.db.execute(
            "SELECT u.id, u.username, u.password_hash, u.is_admin, u.disabled, k.id FROM api_keys k"
            " JOIN users u ON u.id = k.user_id WHERE k.key_hash = ? AND k.revoked = 0",
            (key_hash,),
        ).fetchone()
        user = self._user(row[:5]) if row else None
        return (user, int(row[5])) if user and row else None

    def api_keys(self, user_id: int) -> list[dict[str, Any]]:
        rows = self.db.execute(
            "SELECT id, name, prefix, created_at, revoked FROM api_keys WHERE user_id = ? ORDER BY id", (user_id,)
        ).fetchall()
        return [{"id": r[0], "name": r[1], "prefix": r[2], "created_at": r[3], "revoked": bool(r[4])} for r in rows]

    def revoke_api_key(self, user_id: int, key_id: int) -> bool:
        with self._writing() as db:
            cur = db.execute("UPDATE api_keys SET revoked = 1 WHERE id = ? AND user_id = ?", (key_id, user_id))
        return cur.rowcount > 0

    # -- grants ------------------------------------------------------------------------------
    def set_grant(self, user_id: int, collection: str, role: str | None) -> None:
        if role not in (None, "reader", "editor"):
            raise StoreError(f"Rôle inconnu : {role} (lecteur « reader » ou éditeur « editor »).")
        with self._writing() as db:
            if role is None:
                db.execute("DELETE FROM grants WHERE user_id = ? AND collection = ?", (user_id, collection))
            else:
                db.execute(
                    "INSERT INTO grants (user_id, collection, role) VALUES (?, ?, ?)"
                    " ON CONFLICT (user_id, collection) DO UPDATE SET role = excluded.role",
                    (user_id, collection, role),
                )

    def grants(self, user_id: int) -> dict[str, str]:
        rows = self.db.execute("SELECT collection, role FROM grants WHERE user_id = ?", (user_id,)).fetchall()
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
            collections=json.loads(row[2]),
            instructions=row[3],
            examples=json.loads(row[4]),
            settings=json.loads(row[5]),
            created_by=row[6],
            created_at=row[7],
            updated_at=row[8],
        )

    def put_assistant(self, assistant: Assistant) -> Assistant:
        """Create the assistant, or replace the one of the same name."""
        now = _now()
        with self._writing() as db:
            db.execute(
                "INSERT INTO assistants (name, title, collections, instructions, examples, settings, created_by,"
                " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET"
                " title = excluded.title, collections = excluded.collections, instructions = excluded.instructions,"
                " examples = excluded.examples, settings = excluded.settings, updated_at = excluded.updated_at",
                (
                    assistant.name,
                    assistant.title,
                    json.dumps(assistant.collections, ensure_ascii=False),
                    assistant.instructions,
                    json.dumps(assistant.examples, ensure_ascii=False),
                    json.dumps(assistant.settings, ensure_ascii=False),
                    assistant.created_by,
                    now,
                    now,
                ),
            )
        stored = self.get_assistant(assistant.name)
        assert stored is not None
        return stored

    def get_assistant(self, name: str) -> Assistant | None:
        row = self.db.execute(f"SELECT {self._ASSISTANT_COLUMNS} FROM assistants WHERE name = ?", (name,)).fetchone()
        return self._assistant(row) if row else None

    def assistants(self) -> list[Assistant]:
        rows = self.db.execute(f"SELECT {self._ASSISTANT_COLUMNS} FROM assistants ORDER BY title").fetchall()
        return [self._assistant(r) for r in rows]

    def delete_assistant(self, name: str) -> bool:
        with self._writing() as db:
            return db.execute("DELETE FROM assistants WHERE name = ?", (name,)).rowcount > 0

    # -- audit -------------------------------------------------------------------------------
    def append_audit(self, entry: dict[str, Any]) -> int:
        """Append one row to the audit log (no row is ever updated or deleted: triggers)."""
        with self._writing() as db:
            cur = db.execute(
                "INSERT INTO audit (at, username, action, assistant, collections, question, answer_id, sources,"
                " footprint, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    entry.get("at") or _now(),
                    entry.get("username"),
                    entry["action"],
                    entry.get("assistant"),
                    json.dumps(entry.get("collections", []), ensure_ascii=False),
                    entry.get("question"),
                    entry.get("answer_id"),
                    json.dumps(entry.get("sources", []), ensure_ascii=False),
                    json.dumps(entry.get("footprint", {})),
                    json.dumps(entry.get("detail", {}), ensure_ascii=False),
                ),
            )
        return int(cur.lastrowid or 0)

    def audit_entries(self, since_id: int = 0, limit: int | None = None) -> list[dict[str, Any]]:
        sql = f"SELECT {', '.join(AUDIT_FIELDS)} FROM audit WHERE id > ? ORDER BY id"
        params: tuple[Any, ...] = (since_id,)
        if limit is not None:
            sql += " LIMIT ?"
            params += (limit,)
        out = []
        for row in self.db.execute(sql, params).fetchall():
            d = dict(zip(AUDIT_FIELDS, row, strict=True))
            for key in ("collections", "sources", "footprint", "detail"):
                d[key] = json.loads(d[key])
            out.append(d)
        return out

    # -- answers and feedback ----------------------------------------------------------------
    def answer(self, answer_id: int) -> dict[str, Any] | None:
        row = self.db.execute(
            "SELECT id, created_at, collection, question, answer, abstained, mode, model, citations, username,"
            " assistant FROM answers WHERE id = ?",
            (answer_id,),
        ).fetchone()
        if row is None:
            return None
        keys = ("id", "created_at", "collection", "question", "answer", "abstained", "mode", "model", "citations")
        d = dict(zip(keys, row[:9], strict=True))
        d["citations"] = json.loads(d["citations"])
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
        with self._writing() as db:
            cur = db.execute(
                "INSERT INTO feedback (answer_id, username, rating, comment, correction, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (answer_id, username, rating, comment, correction, _now()),
            )
            for collection in answer["collection"].split(","):
                for chunk_id in cited:
                    db.execute(
                        f"INSERT INTO passage_votes (chunk_id, collection, {column}) VALUES (?, ?, 1)"
                        f" ON CONFLICT (collection, chunk_id) DO UPDATE SET {column} = {column} + 1",
                        (chunk_id, collection),
                    )
        return int(cur.lastrowid or 0)

    def feedback(self, answer_id: int | None = None) -> list[dict[str, Any]]:
        sql = "SELECT id, answer_id, username, rating, comment, correction, created_at FROM feedback"
        rows = self.db.execute(
            sql + (" WHERE answer_id = ?" if answer_id is not None else "") + " ORDER BY id",
            (answer_id,) if answer_id is not None else (),
        ).fetchall()
        keys = ("id", "answer_id", "username", "rating", "comment", "correction", "created_at")
        return [dict(zip(keys, r, strict=True)) for r in rows]

    def passage_votes(self, collection: str) -> dict[int, tuple[int, int]]:
        rows = self.db.execute(
            "SELECT chunk_id, up, down FROM passage_votes WHERE collection = ?", (collection,)
        ).fetchall()
        return {int(r[0]): (int(r[1]), int(r[2])) for r in rows}

    def feedback_version(self) -> int:
        """Moves whenever feedback or a correction is added or validated (cache key)."""
        row = self.db.execute(
            "SELECT (SELECT coalesce(max(id), 0) FROM feedback),"
            " (SELECT count(*) FROM corrections WHERE validated_at IS NOT NULL)"
        ).fetchone()
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
        blob = None if embedding is None else np.ascontiguousarray(embedding, dtype=np.float32).tobytes()
        now = _now()
        with self._writing() as db:
            cur = db.execute(
                "INSERT INTO corrections (collection, question, text, embedding, feedback_id, author, validated_by,"
                " validated_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    collection,
                    question,
                    text,
                    blob,
                    feedback_id,
                    author,
                    validated_by,
                    now if validated_by else None,
                    now,
                ),
            )
        return int(cur.lastrowid or 0)

    _CORRECTION_COLUMNS = "id, collection, question, text, embedding, author, validated_by, validated_at"

    @staticmethod
    def _correction(row: Sequence[Any]) -> Correction:
        vec = None if row[4] is None else np.frombuffer(row[4], dtype=np.float32)
        return Correction(row[0], row[1], row[2], row[3], vec, row[5], row[6], row[7])

    def validate_correction(self, correction_id: int, validated_by: str) -> Correction:
        with self._writing() as db:
            cur = db.execute(
                "UPDATE corrections SET validated_by = ?, validated_at = ? WHERE id = ?",
                (validated_by, _now(), correction_id),
            )
        if cur.rowcount == 0:
            raise NotFoundError(f"La correction {correction_id} n'existe pas.")
        row = self.db.execute(
            f"SELECT {self._CORRECTION_COLUMNS} FROM corrections WHERE id = ?", (correction_id,)
        ).fetchone()
        return self._correction(row)

    def corrections(self, collection: str, validated_only: bool = True) -> list[Correction]:
        sql = f"SELECT {self._CORRECTION_COLUMNS} FROM corrections WHERE collection = ?"
        if validated_only:
            sql += " AND validated_at IS NOT NULL"
        return [self._correction(r) for r in self.db.execute(sql + " ORDER BY id", (collection,)).fetchall()]

    def all_corrections(self) -> list[Correction]:
        rows = self.db.execute(f"SELECT {self._CORRECTION_COLUMNS} FROM corrections ORDER BY id").fetchall()
        return [self._correction(r) for r in rows]

    # -- documents (citation view) -----------------------------------------------------------
    def document_text(self, collection: str, key: str) -> dict[str, Any] | None:
        row = self.db.execute(
            "SELECT d.key, d.title, d.source, d.url, d.mime, d.metadata, d.text, d.ingested_at FROM documents d"
            " JOIN collections c ON c.id = d.collection_id WHERE c.name = ? AND d.key = ?",
            (collection, key),
        ).fetchone()
        if row is None:
            return None
        keys = ("key", "title", "source", "url", "mime", "metadata", "text", "ingested_at")
        d = dict(zip(keys, row, strict=True))
        d["metadata"] = json.loads(d["metadata"])
        d["collection"] = collection
        return d

    # -- evaluations and footprint -----------------------------------------------------------
    def record_evaluation(self, collection: str, kind: str, questions: str, metrics: dict[str, Any]) -> int:
        with self._writing() as db:
            cur = db.execute(
                "INSERT INTO evaluations (at, collection, kind, questions, metrics) VALUES (?, ?, ?, ?, ?)",
                (_now(), collection, kind, questions, json.dumps(metrics, ensure_ascii=False)),
            )
        return int(cur.lastrowid or 0)

    def evaluations(self, collection: str | None = None) -> list[dict[str, Any]]:
        sql = "SELECT id, at, collection, kind, questions, metrics FROM evaluations"
        rows = self.db.execute(
            sql + (" WHERE collection = ?" if collection else "") + " ORDER BY id", (collection,) if collection else ()
        ).fetchall()
        keys = ("id", "at", "collection", "kind", "questions", "metrics")
        out = [dict(zip(keys, r, strict=True)) for r in rows]
        for d in out:
            d["metrics"] = json.loads(d["metrics"])
        return out

    def answer_footprints(self) -> list[dict[str, Any]]:
        """Every answer's date, collection(s), assistant, mode and footprint (for totals)."""
        rows = self.db.execute(
            "SELECT created_at, collection, assistant, mode, model, abstained, footprint FROM answers ORDER BY id"
        ).fetchall()
        keys = ("created_at", "collection", "assistant", "mode", "model", "abstained", "footprint")
        out = [dict(zip(keys, r, strict=True)) for r in rows]
        for d in out:
            d["footprint"] = json.loads(d["footprint"])
            d["abstained"] = bool(d["abstained"])
        return out

    # -- ingestion jobs ----------------------------------------------------------------------
    def create_job(self, collection: str, username: str | None, total: int) -> int:
        now = _now()
        with self._writing() as db:
            cur = db.execute(
                "INSERT INTO jobs (collection, username, status, total, created_at, updated_at)"
                " VALUES (?, ?, 'pending', ?, ?, ?)",
                (collection, username, total, now, now),
            )
        return int(cur.lastrowid or 0)

    def update_job(self, job_id: int, *, status: str, done: int, report: dict[str, Any] | None = None) -> None:
        with self._writing() as db:
            db.execute(
                "UPDATE jobs SET status = ?, done = ?, report = coalesce(?, report), updated_at = ? WHERE id = ?",
                (status, done, None if report is None else json.dumps(report, ensure_ascii=False), _now(), job_id),
            )

    def job(self, job_id: int) -> dict[str, Any] | None:
        row = self.db.execute(
            "SELECT id, collection, username, status, total, done, report, created_at, updated_at FROM jobs"
            " WHERE id = ?",
            (job_id,),
        ).fetchone()
        if row is None:
            return None
        keys = ("id", "collection", "username", "status", "total", "done", "report", "created_at", "updated_at")
        d = dict(zip(keys, row, strict=True))
        d["report"] = json.loads(d["report"])
        return d
