"""Shared set-up for the service tests: a copy of the demo store, users with different
rights, a confidential collection, assistants, and a real server on loopback."""

from __future__ import annotations

import socket
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SECRET_TEXT = "Le code d'accès du coffre-fort de la direction est 4729-ZULU. Document confidentiel."
SECRET_MARK = "4729-ZULU"
PASSWORD = "mot-de-passe-solide"


@dataclass
class Env:
    settings: Any
    service: Any
    app: Any
    keys: dict[str, str] = field(default_factory=dict)
    secret_key_doc: str = ""


def copy_store(demo_store: Any, target: Path) -> Path:
    """A private copy of the (SQLite) demo store, through SQLite's online backup."""
    source, copy = sqlite3.connect(demo_store.path), sqlite3.connect(target)
    with copy:
        source.backup(copy)
    source.close()
    copy.close()
    return target


def make_env(tmp_path: Path, demo_store: Any, embedder: Any, generator: Any = None, **overrides: Any) -> Env:
    from socle.config import load_settings
    from socle.ingest import ingest
    from socle.service.app import create_app
    from socle.service.auth import hash_password, new_api_key
    from socle.service.core import Service
    from socle.store.records import Assistant

    db = copy_store(demo_store, tmp_path / "service.db")
    settings = load_settings(db=str(db), **overrides)
    service = Service(settings, embedder=embedder, generator=generator)
    store = service.store
    secret = tmp_path / "coffre.txt"
    secret.write_text(SECRET_TEXT + "\n", encoding="utf-8")
    report = ingest(store, embedder, "secret", [secret])
    assert not report.failed
    keys = {}
    for name, admin, grants in (
        ("admin", True, {}),
        ("alice", False, {"demo": "reader"}),
        ("bob", False, {"demo": "editor"}),
        ("eve", False, {"secret": "reader"}),
    ):
        user = store.create_user(name, hash_password(PASSWORD), is_admin=admin)
        for collection, role in grants.items():
            store.set_grant(user.id, collection, role)
        key, prefix, digest = new_api_key()
        store.add_api_key(user.id, "tests", prefix, digest)
        keys[name] = key
    store.put_assistant(
        Assistant(
            name="demo",
            title="Assistant démo",
            collections=["demo"],
            instructions="Tu réponds aux agents.",
            examples=["Combien de jours de congés annuels ?"],
        )
    )
    store.put_assistant(Assistant(name="coffre", title="Coffre", collections=["secret"]))
    app = create_app(settings, service)
    return Env(settings, service, app, keys, secret_key_doc=str(secret.resolve()))


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def running_server(app: Any) -> Iterator[str]:
    """The app served by a real uvicorn on loopback, in a thread; yields its base URL."""
    import uvicorn

    port = free_port()
    from socle.service.app import server_options

    inner = app
    while not hasattr(inner, "state") and hasattr(inner, "app"):  # an ASGI wrapper around Socle's app
        inner = inner.app
    options = server_options(inner.state.service.settings)  # as `socle serve` runs it
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", **options))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("le serveur de test n'a pas démarré")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def login(client: Any, username: str, password: str = PASSWORD) -> str:
    """Log in through the web form (a TestClient or an httpx.Client on a real server);
    returns the session's CSRF token."""
    page = client.get("/connexion")
    token = page.text.split('name="csrf" value="')[1].split('"')[0]
    response = client.post(
        "/connexion", data={"username": username, "password": password, "csrf": token}, follow_redirects=False
    )
    assert response.status_code == 303, response.text
    home = client.get("/")
    return str(home.text.split('data-csrf="')[1].split('"')[0])
