"""Connections, transactions and schema upgrades, for both backends.

This is the one place where SQLite and PostgreSQL differ in how they are reached:

- SQLite: one private file (0600) in WAL mode (readers never wait for the writer); each
  thread borrows its own connection from the pool; reads run statement by statement,
  writes in ``BEGIN IMMEDIATE`` transactions, and this process's writers queue on a lock
  rather than on SQLite's busy timeout.
- PostgreSQL (``postgresql://``, driver psycopg 3): a bounded pool whose connections are
  checked before use, with pgvector's adapters and text that cannot hold NUL characters
  made safe. A lost server surfaces as :class:`StoreUnavailable` (HTTP 503), with the
  driver's detail in the operator's log only.

Schema upgrades run Alembic (:mod:`socle.store.migrations`) on one connection; on
PostgreSQL under an advisory lock, so that workers starting together apply each revision
once. A new database is created at the newest revision (:mod:`socle.store.create`); one
already there (:data:`~socle.store.schema.HEAD`) is recognised without loading Alembic.
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event, exc

from socle.errors import StoreError, StoreUnavailable
from socle.store.schema import HEAD

log = logging.getLogger(__name__)
DEFAULT_POOL_SIZE = 10
DEFAULT_POOL_TIMEOUT = 10.0  # seconds a request waits for a connection before a 503
MIGRATION_LOCK = 0x736F636C65  # advisory lock key ("socle" in ASCII)
# What release 0.1 recorded in its own `_migrations` table once fully upgraded.
LEGACY_MIGRATIONS = {
    "sqlite": {
        f"m00{i}_{n}"
        for i, n in enumerate(
            ["initial", "answers", "term_ids", "service", "document_blocks", "evaluations", "privacy"], 1
        )
    },
    "postgresql": {f"m00{i}_{n}" for i, n in enumerate(["extensions", "corpus", "answers", "service", "privacy"], 1)},
}


def safe_url(url: str) -> str:
    """``url`` without its password, for messages."""
    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", url)


def _clean(value: Any) -> Any:
    """JSON-able ``value`` without what PostgreSQL's jsonb refuses (NUL characters, NaN)."""
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {_clean(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def _pg_json(value: Any) -> str:
    try:
        text = json.dumps(value, ensure_ascii=False, allow_nan=False)
    except ValueError:
        return json.dumps(_clean(value), ensure_ascii=False)
    return json.dumps(_clean(value), ensure_ascii=False) if "\\u0000" in text else text


def _create_private_database(path: Path) -> None:
    """Create an empty database file readable by its owner only (0600), in a 0700 folder if
    the folder is new. SQLite gives its -wal and -shm files the mode of the database file,
    so they are private too; an existing database keeps the mode its owner gave it."""
    from socle.config import create_private_folder

    create_private_folder(path.parent)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass
    except OSError as error:
        raise StoreError(f"Impossible de créer la base {path} : {error.strerror or error}") from error


def sqlite_path(url: str | Path) -> Path | None:
    """The file of a SQLite URL or plain path; None for a PostgreSQL URL."""
    text = str(url)
    if text.startswith(("postgresql://", "postgres://", "postgresql+psycopg://")):
        return None
    return Path(text[len("sqlite:///") :] if text.startswith("sqlite:///") else text)


class Database:
    """An engine for one store URL, with read and write transactions."""

    def __init__(self, url: str | Path, *, pool_size: int | None = None, pool_timeout: float | None = None) -> None:
        self.url = str(url)
        self.path = sqlite_path(url)
        self._write_lock: threading.Lock | None = None
        if self.path is None:
            self.engine = self._postgres_engine(pool_size, pool_timeout)
        else:
            _create_private_database(self.path)
            self.engine = self._sqlite_engine(self.path)
            self._write_lock = threading.Lock()
        self.dialect = self.engine.dialect.name  # "sqlite" or "postgresql"

    # -- engines ---------------------------------------------------------------------------------
    @staticmethod
    def _sqlite_engine(path: Path) -> sa.Engine:
        engine = sa.create_engine(
            f"sqlite:///{path}",
            json_serializer=lambda v: json.dumps(v, ensure_ascii=False),
            pool_size=8,
            max_overflow=56,
            pool_timeout=30,
            pool_use_lifo=True,  # the connection used last has the warmest page cache
        )

        @event.listens_for(engine, "connect")
        def connect(dbapi: Any, _record: Any) -> None:
            dbapi.isolation_level = None  # transactions are begun below, not by the driver
            for pragma in ("journal_mode = WAL", "synchronous = NORMAL", "foreign_keys = ON", "busy_timeout = 10000"):
                dbapi.execute(f"PRAGMA {pragma}")

        @event.listens_for(engine, "begin")
        def begin(conn: sa.Connection) -> None:
            # Reads run in autocommit mode (each statement sees the last commit; WAL readers never
            # wait); writes take the write lock at once rather than upgrading a read lock later.
            if conn.get_execution_options().get("write"):
                conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine

    def _postgres_engine(self, pool_size: int | None, pool_timeout: float | None) -> sa.Engine:
        try:
            from pgvector.psycopg import register_vector
            from psycopg.types.string import StrDumperUnknown
        except ImportError as error:
            from socle.errors import ConfigError

            raise ConfigError(
                "Le stockage PostgreSQL demande des modules supplémentaires : pip install 'socle[postgres]'."
            ) from error

        class NulSafeStr(StrDumperUnknown):
            """PostgreSQL text cannot hold NUL characters (SQLite can): U+FFFD instead keeps
            string lengths, hence chunk offsets, unchanged."""

            def dump(self, obj: str) -> bytes:
                return obj.replace("\x00", "\ufffd").encode(self._encoding)

        url = re.sub(r"^postgres(ql)?://", "postgresql+psycopg://", self.url)
        size = pool_size or int(os.environ.get("SOCLE_PG_POOL_SIZE", DEFAULT_POOL_SIZE))
        timeout = pool_timeout or float(os.environ.get("SOCLE_PG_POOL_TIMEOUT", DEFAULT_POOL_TIMEOUT))
        engine = sa.create_engine(
            url,
            json_serializer=_pg_json,
            pool_size=max(size, 1),
            max_overflow=0,
            pool_timeout=timeout,
            pool_pre_ping=True,
            pool_use_lifo=True,  # the connection used last has the warmest caches
            connect_args={"connect_timeout": 10},
        )

        @event.listens_for(engine, "connect")
        def connect(dbapi: Any, _record: Any) -> None:
            dbapi.adapters.register_dumper(str, NulSafeStr)
            try:
                register_vector(dbapi)
            except Exception:  # before the first upgrade: pgvector not yet created
                dbapi.rollback()

        return engine

    # -- transactions ------------------------------------------------------------------------------
    @contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except exc.TimeoutError as error:
            log.warning("Base de données saturée : %s", error)
            raise StoreUnavailable("La base de données est saturée ; réessayez dans un instant.") from error
        except (exc.DBAPIError, self.engine.dialect.loaded_dbapi.OperationalError) as error:
            # Raw driver errors come from the few paths that use the driver's own connection.
            if not self._unavailable(error):
                raise
            # The driver's detail (host, port, socket) is for the operator's log, not the client.
            log.warning("Base de données indisponible : %s", getattr(error, "orig", error))
            if self.dialect == "sqlite":
                raise StoreUnavailable("La base de données est occupée ; réessayez dans un instant.") from error
            raise StoreUnavailable(
                "La base de données PostgreSQL ne répond pas ; la requête n'a pas été enregistrée."
                " Réessayez dans un instant."
            ) from error

    def _unavailable(self, error: Exception) -> bool:
        if isinstance(error, exc.DBAPIError) and error.connection_invalidated:
            return True
        orig = getattr(error, "orig", error)
        if not isinstance(orig, self.engine.dialect.loaded_dbapi.OperationalError):
            return False
        if self.dialect == "sqlite":
            return "locked" in str(orig) or "busy" in str(orig)
        state = str(getattr(orig, "sqlstate", "") or "")
        return not state or state.startswith(("08", "57P"))

    @contextmanager
    def read(self) -> Iterator[sa.Connection]:
        """A connection for reading (a transaction on PostgreSQL, statement by statement on SQLite)."""
        with self._errors(), self.engine.connect() as conn:
            yield conn

    @contextmanager
    def write(self) -> Iterator[sa.Connection]:
        """One write transaction: committed on success, rolled back on any error."""
        with self._errors(), self._write_lock or nullcontext(), self.engine.connect() as conn:
            conn = conn.execution_options(write=True)
            with conn.begin():
                yield conn

    def close(self) -> None:
        self.engine.dispose()

    # -- schema ----------------------------------------------------------------------------------
    def revision(self, conn: sa.Connection) -> str | None:
        if not sa.inspect(conn).has_table("alembic_version"):
            return None
        return conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()

    def legacy(self, conn: sa.Connection) -> set[str] | None:
        """Migrations recorded by release 0.1 (None if it never touched this database)."""
        if not sa.inspect(conn).has_table("_migrations"):
            return None
        return {str(r[0]) for r in conn.exec_driver_sql("SELECT name FROM _migrations")}

    def current(self) -> str | None:
        """The database's revision (a release 0.1 database is at 0001; None when empty)."""
        with self._errors(), self.engine.connect() as conn:
            current = self.revision(conn)
            return "0001" if current is None and self.legacy(conn) is not None else current

    def status(self) -> tuple[str | None, list[str]]:
        """The current revision and the revisions still to apply."""
        current = self.current()
        return current, self.pending(current)

    @staticmethod
    def pending(current: str | None) -> list[str]:
        from alembic.script import ScriptDirectory

        script = ScriptDirectory.from_config(_alembic_config())
        upper = [s.revision for s in script.walk_revisions("base", "heads")]
        upper.reverse()
        return upper if current is None else upper[upper.index(current) + 1 :]

    def upgrade(self, *, check_only: bool = False) -> list[str]:
        """Bring the schema to the newest revision; returns the revisions applied here.

        With ``check_only``, refuse (in French) a database that needs an upgrade instead."""
        with self._errors(), self.engine.connect() as conn:
            if self.revision(conn) == HEAD:
                return []
        with self._errors(), self._write_lock or nullcontext(), self.engine.connect() as conn:
            conn.execution_options(write=True)  # SQLite: migrations in BEGIN IMMEDIATE transactions
            if self.dialect == "postgresql":
                conn.exec_driver_sql(f"SELECT pg_advisory_lock({MIGRATION_LOCK})")
                conn.commit()
            try:
                return self._upgrade(conn, check_only)
            finally:
                if self.dialect == "postgresql":
                    conn.rollback()
                    conn.exec_driver_sql(f"SELECT pg_advisory_unlock({MIGRATION_LOCK})")
                    conn.commit()

    def _upgrade(self, conn: sa.Connection, check_only: bool) -> list[str]:
        from alembic import command

        current = self.revision(conn)  # again: another worker may have upgraded meanwhile
        legacy = self.legacy(conn) if current is None else None
        if legacy is not None and not LEGACY_MIGRATIONS[self.dialect] <= legacy:
            raise StoreError(
                "Cette base a été créée par une version de développement antérieure à Socle 0.1 :"
                " ouvrez-la d'abord avec Socle 0.1, ou réingérez les documents dans une base neuve."
            )
        pending = self.pending("0001" if legacy is not None else current)
        if not pending:
            return []
        if check_only:
            raise StoreError(
                f"La base n'est pas à jour ({len(pending)} migration(s) en attente) : lancez « socle db upgrade »."
            )
        conn.rollback()
        config = _alembic_config()
        config.attributes["connection"] = conn
        if current is None and legacy is None:  # a new database: created at the head revision
            from socle.store.create import create

            with conn.begin():
                create(conn)
            command.stamp(config, "head")
        else:
            if legacy is not None:
                command.stamp(config, "0001")
            command.upgrade(config, "head")
        conn.commit()
        return pending


def _alembic_config() -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(Path(__file__).with_name("migrations")))
    return config


__all__ = ["Database", "safe_url", "sqlite_path"]
