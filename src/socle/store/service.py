"""Tables of the web service: accounts, web sessions, API keys, grants, assistants, the append-only
audit log, answers, feedback, validated corrections, evaluations and ingestion jobs. One
implementation for both backends, mixed into :class:`socle.store.store.Store`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import numpy as np
import sqlalchemy as sa

from socle.errors import NotFoundError, StoreError
from socle.store import schema as T
from socle.store.corpus import CorpusTables, now
from socle.store.records import AUDIT_FIELDS, Assistant, Correction, User, audit_hash

AUDIT_LOCK = 0x61756469  # advisory lock key of audit appends ("audi")

_USER = (T.users.c.id, T.users.c.username, T.users.c.password_hash, T.users.c.is_admin, T.users.c.disabled)
_ASSISTANT = [c for c in T.assistants.c if c.name != "id"]  # the fields of Assistant
_CORRECTION = [c for c in T.corrections.c if c.name not in ("feedback_id", "created_at")]  # of Correction
_ANSWER = ("id", "created_at", "collection", "question", "answer", "abstained", "mode", "model", "confidence")


def _user(row: Any) -> User | None:
    return None if row is None else User(row[0], row[1], bool(row[3]), bool(row[4]), row[2])


def _inserted(conn: sa.Connection, table: sa.Table, values: dict[str, Any]) -> int:
    """Insert one row in ``conn``'s transaction; returns its id."""
    return int(conn.execute(table.insert().values(values).returning(table.c.id)).scalar_one())


class ServiceTables(CorpusTables):
    def _insert(self, table: sa.Table, values: dict[str, Any]) -> int:
        with self.db.write() as conn:
            return _inserted(conn, table, values)

    # -- users -----------------------------------------------------------------------------------
    def create_user(self, username: str, password_hash: str | None, is_admin: bool = False) -> User:
        username = username.strip()
        if not username or len(username) > 64 or any(c.isspace() for c in username):
            raise StoreError("Identifiant invalide : 1 à 64 caractères, sans espace.")
        values = {"username": username, "password_hash": password_hash, "is_admin": is_admin, "created_at": now()}
        try:
            user_id = self._insert(T.users, values)
        except sa.exc.IntegrityError as exc:
            raise StoreError(f"L'utilisateur « {username} » existe déjà.") from exc
        return User(user_id, username, is_admin, False, password_hash)

    def get_user(self, username: str) -> User | None:
        return _user(self._first(sa.select(*_USER).where(T.users.c.username == username)))

    def get_user_by_id(self, user_id: int) -> User | None:
        return _user(self._first(sa.select(*_USER).where(T.users.c.id == user_id)))

    def users(self) -> list[User]:
        rows = self._rows(sa.select(*_USER).order_by(self._binary(T.users.c.username)))
        return [u for u in map(_user, rows) if u is not None]

    def count_users(self) -> int:
        return int(self._first(sa.select(sa.func.count()).select_from(T.users))[0])

    def _update_user(self, username: str, end_keys: bool, **values: Any) -> tuple[int, int]:
        """Update the account and end all its sessions (and, with ``end_keys``, revoke its API
        keys) in one transaction; returns (sessions ended, keys revoked)."""
        with self.db.write() as conn:
            user_id = conn.execute(
                T.users.update().where(T.users.c.username == username).values(**values).returning(T.users.c.id)
            ).scalar()
            if user_id is None:
                raise NotFoundError(f"L'utilisateur « {username} » n'existe pas.")
            ended = conn.execute(T.sessions.delete().where(T.sessions.c.user_id == user_id)).rowcount
            keys = T.api_keys.update().where(T.api_keys.c.user_id == user_id, sa.not_(T.api_keys.c.revoked))
            return ended, conn.execute(keys.values(revoked=True)).rowcount if end_keys else 0

    def set_password(self, username: str, password_hash: str, end_keys: bool = True) -> tuple[int, int]:
        return self._update_user(username, end_keys, password_hash=password_hash)

    def set_user_disabled(self, username: str, disabled: bool) -> tuple[int, int]:
        return self._update_user(username, disabled, disabled=disabled)

    # -- web sessions ------------------------------------------------------------------------------
    def create_session(self, user_id: int, token_hash: str, client: str | None, agent: str | None) -> int:
        stamp = now()
        values = {"token_hash": token_hash, "user_id": user_id, "created_at": stamp, "seen_at": stamp}
        values |= {"client": client, "agent": (agent or "")[:200] or None}
        return self._insert(T.sessions, values)

    def session_user(self, token_hash: str, idle_seconds: int) -> User | None:
        """The user of a live session (seen within ``idle_seconds``); an idle one is ended."""
        s = T.sessions.c
        query = sa.select(*_USER, s.id.label("sid"), s.seen_at).join_from(T.sessions, T.users)
        row = self._first(query.where(s.token_hash == token_hash))
        if row is None:
            return None
        idle = (datetime.now(UTC) - datetime.fromisoformat(row.seen_at)).total_seconds()
        if idle > idle_seconds or row.disabled:
            self.end_sessions(session_id=row.sid)
            return None
        if idle > 60:  # at most one write a minute per session
            self._write(T.sessions.update().where(s.id == row.sid).values(seen_at=now()))
        return _user(row)

    def end_sessions(
        self, *, session_id: int | None = None, token_hash: str | None = None, user_id: int | None = None
    ) -> int:
        s = T.sessions.c
        where = s.id == session_id if session_id else s.token_hash == token_hash if token_hash else s.user_id == user_id
        return self._write(T.sessions.delete().where(where))

    def sessions(self, user_id: int | None = None) -> list[dict[str, Any]]:
        s = T.sessions.c
        query = sa.select(s.id, T.users.c.username, s.created_at, s.seen_at, s.client, s.agent).order_by(s.id)
        query = query.join_from(T.sessions, T.users)
        return [r._asdict() for r in self._rows(query if user_id is None else query.where(s.user_id == user_id))]

    def delete_user(self, username: str) -> bool:
        return self._write(T.users.delete().where(T.users.c.username == username)) > 0

    # -- API keys ----------------------------------------------------------------------------------
    def add_api_key(self, user_id: int, name: str, prefix: str, key_hash: str) -> int:
        values = {"user_id": user_id, "name": name, "prefix": prefix, "key_hash": key_hash, "created_at": now()}
        return self._insert(T.api_keys, values)

    def user_for_key_hash(self, key_hash: str) -> tuple[User, int] | None:
        k = T.api_keys.c
        query = sa.select(*_USER, k.id).join_from(T.api_keys, T.users)
        row = self._first(query.where(k.key_hash == key_hash, sa.not_(k.revoked)))
        user = _user(row)
        return (user, int(row[5])) if user and row else None

    def api_keys(self, user_id: int) -> list[dict[str, Any]]:
        k = T.api_keys.c
        rows = self._rows(
            sa.select(k.id, k.name, k.prefix, k.created_at, k.revoked).where(k.user_id == user_id).order_by(k.id)
        )
        return [{**r._asdict(), "revoked": bool(r.revoked)} for r in rows]

    def revoke_api_key(self, user_id: int, key_id: int) -> bool:
        k = T.api_keys.c
        return self._write(T.api_keys.update().where(k.id == key_id, k.user_id == user_id).values(revoked=True)) > 0

    # -- grants ------------------------------------------------------------------------------------
    def set_grant(self, user_id: int, collection: str, role: str | None) -> None:
        if role not in (None, "reader", "editor"):
            raise StoreError(f"Rôle inconnu : {role} (lecteur « reader » ou éditeur « editor »).")
        g = T.grants.c
        with self.db.write() as conn:
            if role is None:
                conn.execute(T.grants.delete().where(g.user_id == user_id, g.collection == collection))
                return
            insert = self._upsert(T.grants).values(user_id=user_id, collection=collection, role=role)
            conn.execute(
                insert.on_conflict_do_update(
                    index_elements=["user_id", "collection"], set_={"role": insert.excluded.role}
                )
            )

    def grants(self, user_id: int) -> dict[str, str]:
        g = T.grants.c
        return {r[0]: r[1] for r in self._rows(sa.select(g.collection, g.role).where(g.user_id == user_id))}

    # -- assistants --------------------------------------------------------------------------------
    def put_assistant(self, assistant: Assistant) -> Assistant:
        """Create the assistant, or replace the one of the same name."""
        stamp = now()
        values = {c.name: getattr(assistant, c.name) for c in _ASSISTANT} | {"created_at": stamp, "updated_at": stamp}
        insert = self._upsert(T.assistants).values(values)
        replaced = ("title", "collections", "instructions", "examples", "settings", "updated_at")
        with self.db.write() as conn:
            row = conn.execute(
                insert.on_conflict_do_update(
                    index_elements=["name"], set_={c: insert.excluded[c] for c in replaced}
                ).returning(*_ASSISTANT)
            ).one()
        return Assistant(**row._asdict())

    def get_assistant(self, name: str) -> Assistant | None:
        row = self._first(sa.select(*_ASSISTANT).where(T.assistants.c.name == name))
        return Assistant(**row._asdict()) if row else None

    def assistants(self) -> list[Assistant]:
        rows = self._rows(sa.select(*_ASSISTANT).order_by(self._binary(T.assistants.c.title)))
        return [Assistant(**r._asdict()) for r in rows]

    def delete_assistant(self, name: str) -> bool:
        return self._write(T.assistants.delete().where(T.assistants.c.name == name)) > 0

    # -- audit -------------------------------------------------------------------------------------
    def append_audit(self, entry: dict[str, Any]) -> int:
        """Append one row to the audit log (no row is ever updated or deleted: triggers)."""
        empty: dict[str, Any] = {"collections": [], "sources": [], "footprint": {}, "detail": {}}
        values = {f: entry.get(f, empty.get(f)) for f in AUDIT_FIELDS if f != "id"}
        values |= {"at": entry.get("at") or now(), "action": entry["action"]}
        with self.db.write() as conn:
            self._lock(conn, AUDIT_LOCK)  # one chain: appends take turns
            last = conn.execute(sa.select(T.audit.c.hash).order_by(T.audit.c.id.desc()).limit(1)).scalar()
            return _inserted(conn, T.audit, values | {"hash": audit_hash(last or "", values)})

    def verify_audit(self) -> dict[str, Any]:
        """Recompute the audit chain: the first row whose hash does not follow (changed, or a
        row before it deleted), and the last row's hash, to be kept elsewhere as an anchor."""
        previous, checked, broken = "", 0, None
        query = sa.select(*(T.audit.c[f] for f in AUDIT_FIELDS), T.audit.c.hash).order_by(T.audit.c.id)
        with self.db.read() as conn:
            for row in conn.execution_options(yield_per=1000).execute(query):
                checked += 1
                if broken is None and row.hash != audit_hash(previous, row._asdict()):
                    broken = row.id
                previous, last_id = row.hash or "", row.id
        return {"rows": checked, "broken_at": broken, "last_id": last_id if checked else None, "last_hash": previous}

    def audit_entries(self, since_id: int = 0, limit: int | None = None) -> list[dict[str, Any]]:
        query = sa.select(*(T.audit.c[f] for f in AUDIT_FIELDS)).where(T.audit.c.id > since_id).order_by(T.audit.c.id)
        return [r._asdict() for r in self._rows(query if limit is None else query.limit(limit))]

    # -- answers and feedback ----------------------------------------------------------------------
    def record_answer(self, record: dict[str, Any]) -> int:
        """Store one answer with its citations and footprint; returns its id."""
        values = {key: record.get(key) for key in ("collection", "question", "answer", "mode", "model", "username")}
        stamp = now()
        values |= {
            "created_at": stamp,
            "abstained": bool(record["abstained"]),
            "confidence": float(record["confidence"]),
            "citations": record["citations"],
            "footprint": record["footprint"],
            "assistant": record.get("assistant"),
            "conversation_id": record.get("conversation_id"),
            "extra": record.get("extra"),
        }
        with self.db.write() as conn:
            answer_id = _inserted(conn, T.answers, values)
            if values["conversation_id"] is not None:
                c = T.conversations.c
                conn.execute(T.conversations.update().where(c.id == values["conversation_id"]).values(updated_at=stamp))
        return answer_id

    # -- conversations -----------------------------------------------------------------------------
    def create_conversation(self, user_id: int, assistant: str, title: str) -> int:
        stamp = now()
        values = {"user_id": user_id, "assistant": assistant, "title": title, "created_at": stamp}
        return self._insert(T.conversations, values | {"updated_at": stamp})

    def conversation(self, conversation_id: int) -> dict[str, Any] | None:
        row = self._first(sa.select(T.conversations).where(T.conversations.c.id == conversation_id))
        return None if row is None else row._asdict()

    def conversations(self, user_id: int, assistant: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
        """A user's conversations, the most recent first, with their number of questions."""
        c, a = T.conversations.c, T.answers.c
        turns = sa.select(sa.func.count()).where(a.conversation_id == c.id).scalar_subquery()
        last = sa.select(sa.func.coalesce(sa.func.max(a.id), 0)).where(a.conversation_id == c.id).scalar_subquery()
        query = sa.select(T.conversations, turns.label("turns")).where(c.user_id == user_id)
        if assistant is not None:
            query = query.where(c.assistant == assistant)
        order = (c.updated_at.desc(), last.desc(), c.id.desc())  # answer ids break ties within a second
        return [r._asdict() for r in self._rows(query.order_by(*order).limit(limit))]

    def rename_conversation(self, conversation_id: int, title: str) -> None:
        c = T.conversations.c
        with self.db.write() as conn:
            conn.execute(T.conversations.update().where(c.id == conversation_id).values(title=title))

    def delete_conversation(self, conversation_id: int) -> bool:
        """Remove the conversation from its owner's list; its answers stay (audit log, ratings),
        unlinked."""
        a, c = T.answers.c, T.conversations.c
        with self.db.write() as conn:
            conn.execute(T.answers.update().where(a.conversation_id == conversation_id).values(conversation_id=None))
            return bool(conn.execute(T.conversations.delete().where(c.id == conversation_id)).rowcount)

    def conversation_answers(self, conversation_id: int) -> list[dict[str, Any]]:
        """The answers of a conversation in order, with what is needed to show them again."""
        a = T.answers.c
        columns = [a[n] for n in _ANSWER] + [a.citations, a.footprint, a.extra, a.assistant]
        query = sa.select(*columns).where(a.conversation_id == conversation_id).order_by(a.id)
        return [{**r._asdict(), "abstained": bool(r.abstained)} for r in self._rows(query)]

    def answers(self, collection: str | None = None) -> list[dict[str, Any]]:
        a = T.answers.c
        query = sa.select(*(a[n] for n in _ANSWER), a.citations, a.footprint).order_by(a.id)
        rows = self._rows(query.where(a.collection == collection) if collection else query)
        return [{**r._asdict(), "abstained": bool(r.abstained)} for r in rows]

    def assistant_answers(self, assistant: str, limit: int = 500) -> list[dict[str, Any]]:
        """An assistant's latest answers, newest first, with ``extra`` and the lowest rating
        given to each (None when unrated): the ChatMD teacher's list reads them."""
        a, f = T.answers.c, T.feedback.c
        rating = sa.select(sa.func.min(f.rating)).where(f.answer_id == a.id).scalar_subquery()
        query = sa.select(a.id, a.created_at, a.question, a.mode, a.abstained, a.extra, rating.label("rating"))
        query = query.where(a.assistant == assistant).order_by(a.id.desc()).limit(limit)
        return [r._asdict() for r in self._rows(query)]

    def answer(self, answer_id: int) -> dict[str, Any] | None:
        a = T.answers.c
        columns = [a[n] for n in _ANSWER if n != "confidence"]
        row = self._first(sa.select(*columns, a.citations, a.username, a.assistant).where(a.id == answer_id))
        return None if row is None else {**row._asdict(), "abstained": bool(row.abstained)}

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
        votes = T.passage_votes
        with self.db.write() as conn:
            values = {"answer_id": answer_id, "username": username, "rating": rating, "comment": comment}
            feedback_id = _inserted(conn, T.feedback, values | {"correction": correction, "created_at": now()})
            for collection in answer["collection"].split(","):
                for chunk_id in cited:
                    insert = self._upsert(votes).values(chunk_id=chunk_id, collection=collection, **{column: 1})
                    conn.execute(
                        insert.on_conflict_do_update(
                            index_elements=["collection", "chunk_id"], set_={column: votes.c[column] + 1}
                        )
                    )
        return feedback_id

    def feedback(self, answer_id: int | None = None) -> list[dict[str, Any]]:
        f = T.feedback.c
        query = sa.select(f.id, f.answer_id, f.username, f.rating, f.comment, f.correction, f.created_at).order_by(f.id)
        return [r._asdict() for r in self._rows(query if answer_id is None else query.where(f.answer_id == answer_id))]

    def passage_votes(self, collection: str) -> dict[int, tuple[int, int]]:
        v = T.passage_votes.c
        rows = self._rows(sa.select(v.chunk_id, v.up, v.down).where(v.collection == collection))
        return {int(r[0]): (int(r[1]), int(r[2])) for r in rows}

    def feedback_version(self) -> int:
        """Moves whenever feedback or a correction is added or validated (cache key)."""
        latest = sa.select(sa.func.coalesce(sa.func.max(T.feedback.c.id), 0)).scalar_subquery()
        validated = sa.select(sa.func.count()).where(T.corrections.c.validated_at.is_not(None)).scalar_subquery()
        row = self._first(sa.select(latest, validated))
        return int(row[0]) * 1_000_003 + int(row[1])

    # -- corrections -------------------------------------------------------------------------------
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
        stamp = now()
        values: dict[str, Any] = {"collection": collection, "question": question, "text": text, "embedding": embedding}
        values |= {"feedback_id": feedback_id, "author": author, "validated_by": validated_by, "created_at": stamp}
        return self._insert(T.corrections, values | {"validated_at": stamp if validated_by else None})

    def validate_correction(self, correction_id: int, validated_by: str) -> Correction:
        c = T.corrections.c
        with self.db.write() as conn:
            row = conn.execute(
                T.corrections.update()
                .where(c.id == correction_id)
                .values(validated_by=validated_by, validated_at=now(), rejected_by=None, rejected_at=None)
                .returning(*_CORRECTION)
            ).first()
        if row is None:
            raise NotFoundError(f"La correction {correction_id} n'existe pas.")
        return Correction(**row._asdict())

    def reject_correction(self, correction_id: int, rejected_by: str) -> Correction:
        """Take a proposal out of the queue without deleting it (who refused it stays known)."""
        c = T.corrections.c
        with self.db.write() as conn:
            row = conn.execute(
                T.corrections.update()
                .where(c.id == correction_id)
                .values(rejected_by=rejected_by, rejected_at=now(), validated_by=None, validated_at=None)
                .returning(*_CORRECTION)
            ).first()
        if row is None:
            raise NotFoundError(f"La correction {correction_id} n'existe pas.")
        return Correction(**row._asdict())

    def edit_correction(self, correction_id: int, text: str, embedding: np.ndarray | None = None) -> Correction:
        """Change a correction's text (the question's embedding stays unless one is given)."""
        c = T.corrections.c
        values: dict[str, Any] = {"text": text} | ({"embedding": embedding} if embedding is not None else {})
        with self.db.write() as conn:
            row = conn.execute(
                T.corrections.update().where(c.id == correction_id).values(**values).returning(*_CORRECTION)
            ).first()
        if row is None:
            raise NotFoundError(f"La correction {correction_id} n'existe pas.")
        return Correction(**row._asdict())

    def corrections(self, collection: str, validated_only: bool = True) -> list[Correction]:
        c = T.corrections.c
        query = sa.select(*_CORRECTION).where(c.collection == collection).order_by(c.id)
        rows = self._rows(query.where(c.validated_at.is_not(None)) if validated_only else query)
        return [Correction(**r._asdict()) for r in rows]

    def all_corrections(self) -> list[Correction]:
        return [Correction(**r._asdict()) for r in self._rows(sa.select(*_CORRECTION).order_by(T.corrections.c.id))]

    # -- evaluations and footprint -----------------------------------------------------------------
    def record_evaluation(self, collection: str, kind: str, questions: str, metrics: dict[str, Any]) -> int:
        values = {"at": now(), "collection": collection, "kind": kind, "questions": questions, "metrics": metrics}
        return self._insert(T.evaluations, values)

    def evaluations(self, collection: str | None = None) -> list[dict[str, Any]]:
        e = T.evaluations.c
        query = sa.select(e.id, e.at, e.collection, e.kind, e.questions, e.metrics).order_by(e.id)
        return [r._asdict() for r in self._rows(query.where(e.collection == collection) if collection else query)]

    def answer_footprints(self) -> list[dict[str, Any]]:
        """Every answer's date, collection(s), assistant, mode and footprint (for totals)."""
        a = T.answers.c
        query = sa.select(a.created_at, a.collection, a.assistant, a.mode, a.model, a.abstained, a.footprint)
        return [{**r._asdict(), "abstained": bool(r.abstained)} for r in self._rows(query.order_by(a.id))]

    # -- ingestion jobs ----------------------------------------------------------------------------
    def create_job(self, collection: str, username: str | None, total: int) -> int:
        stamp = now()
        values: dict[str, Any] = {"collection": collection, "username": username, "status": "pending", "total": total}
        values |= {"report": {}, "created_at": stamp, "updated_at": stamp}
        return self._insert(T.jobs, values)

    def update_job(self, job_id: int, *, status: str, done: int, report: dict[str, Any] | None = None) -> None:
        values: dict[str, Any] = {"status": status, "done": done, "updated_at": now()}
        if report is not None:
            values["report"] = report
        self._write(T.jobs.update().where(T.jobs.c.id == job_id).values(values))

    def job(self, job_id: int) -> dict[str, Any] | None:
        row = self._first(sa.select(T.jobs).where(T.jobs.c.id == job_id))
        return None if row is None else row._asdict()

    # -- improvement queue ---------------------------------------------------------------------------
    # Read-only queries of the improvement page (socle.service.review). ``collections`` are
    # values of the ``collection`` columns as stored (comma-joined when an answer read several
    # collections): the caller lists those it may edit (``review_collection_keys``), so that
    # counts and limits apply to what the reader may see.
    def review_collection_keys(self) -> list[str]:
        """The distinct ``collection`` values of answers and corrections."""
        a, c = T.answers.c, T.corrections.c
        query = sa.union(sa.select(a.collection), sa.select(c.collection))
        with self.db.read() as conn:
            return sorted(str(r[0]) for r in conn.execute(query).all())

    def _review_corrections_query(self) -> sa.Select[Any]:
        c, f, a = T.corrections.c, T.feedback.c, T.answers.c
        joined = T.corrections.outerjoin(T.feedback, f.id == c.feedback_id).outerjoin(T.answers, a.id == f.answer_id)
        columns = [col for col in _CORRECTION if col.name != "embedding"]
        return sa.select(
            *columns,
            c.created_at,
            c.feedback_id,
            f.comment,
            a.id.label("answer_id"),
            a.answer.label("answer"),
            a.assistant,
            a.created_at.label("answer_at"),
        ).select_from(joined)

    def review_correction(self, correction_id: int) -> dict[str, Any] | None:
        """One correction with its date and the answer it corrects (when reachable)."""
        row = self._first(self._review_corrections_query().where(T.corrections.c.id == correction_id))
        return None if row is None else row._asdict()

    def review_corrections(
        self, collections: list[str], pending: bool, limit: int | None = None
    ) -> list[dict[str, Any]]:
        """Corrections of ``collections`` with their date, the rating's comment and the answer
        they correct: the pending ones oldest first, else the validated or rejected ones, the
        most recently decided first."""
        c = T.corrections.c
        query = self._review_corrections_query().where(c.collection.in_(collections))
        undecided = sa.and_(c.validated_at.is_(None), c.rejected_at.is_(None))
        if pending:
            query = query.where(undecided).order_by(c.id)
        else:
            decided = sa.func.coalesce(c.validated_at, c.rejected_at)
            query = query.where(sa.not_(undecided)).order_by(decided.desc(), c.id.desc())
        return [r._asdict() for r in self._rows(query if limit is None else query.limit(limit))]

    def review_feedback(
        self,
        collections: list[str],
        *,
        assistant: str | None = None,
        since: str | None = None,
        before: str | None = None,
        rating: int | None = None,
        limit: int = 200,
    ) -> tuple[list[dict[str, Any]], int]:
        """Ratings of the answers of ``collections``, newest first, with their answer, and how
        many match in all. ``since`` and ``before`` are ISO-8601 prefixes compared with the
        rating's UTC timestamp as text (``since`` included, ``before`` excluded)."""
        f, a = T.feedback.c, T.answers.c
        joined = T.feedback.join(T.answers, a.id == f.answer_id)
        conditions: list[sa.ColumnElement[bool]] = [a.collection.in_(collections)]
        if assistant:
            conditions.append(a.assistant == assistant)
        if since:
            conditions.append(f.created_at >= since)
        if before:
            conditions.append(f.created_at < before)
        if rating is not None:
            conditions.append(f.rating == rating)
        count = sa.select(sa.func.count()).select_from(joined).where(*conditions)
        query = (
            sa.select(
                f.id,
                f.created_at,
                f.username,
                f.rating,
                f.comment,
                f.correction,
                a.id.label("answer_id"),
                a.question,
                a.answer,
                a.assistant,
                a.collection,
            )
            .select_from(joined)
            .where(*conditions)
            .order_by(f.created_at.desc(), f.id.desc())
            .limit(limit)
        )
        total = int(self._first(count)[0])
        return [r._asdict() for r in self._rows(query)], total

    def review_abstentions(
        self, collections: list[str], *, assistant: str | None = None, limit: int = 200
    ) -> tuple[list[dict[str, Any]], int]:
        """Answers that abstained on ``collections``, newest first, each with the id of a
        validated correction written for the same question since (or None), and how many
        there are in all."""
        a, c = T.answers.c, T.corrections.c
        conditions: list[sa.ColumnElement[bool]] = [a.abstained == sa.true(), a.collection.in_(collections)]
        if assistant:
            conditions.append(a.assistant == assistant)
        answered = (
            sa.select(sa.func.max(c.id))
            .where(c.question == a.question, c.collection == a.collection, c.validated_at.is_not(None))
            .scalar_subquery()
        )
        count = sa.select(sa.func.count()).select_from(T.answers).where(*conditions)
        query = (
            sa.select(
                a.id,
                a.created_at,
                a.question,
                a.assistant,
                a.collection,
                a.username,
                a.extra,
                answered.label("correction_id"),
            )
            .where(*conditions)
            .order_by(a.created_at.desc(), a.id.desc())
            .limit(limit)
        )
        total = int(self._first(count)[0])
        return [r._asdict() for r in self._rows(query)], total

    def review_assistants(self, collections: list[str]) -> list[str]:
        """The assistants named by the answers of ``collections`` (the page's filter)."""
        a = T.answers.c
        query = (
            sa.select(a.assistant)
            .where(a.collection.in_(collections), a.assistant.is_not(None))
            .distinct()
            .order_by(a.assistant)
        )
        return [str(r[0]) for r in self._rows(query)]


__all__ = ["AUDIT_FIELDS", "Assistant", "Correction", "ServiceTables", "User"]
