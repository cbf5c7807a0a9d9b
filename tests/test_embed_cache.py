"""The embedding cache (issue 18, item 4): a text is embedded once per model, whatever
re-ingests it; bounded in size; questions never written; a broken cache never fails."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from socle.embed.cache import CachedEmbedder, EmbeddingCache
from socle.ingest import ingest
from socle.store import open_store

TEXTS = [
    "Les agents à temps complet ont droit à 25 jours de congés annuels.",
    "La médiathèque est fermée le lundi.",
    "Le télétravail est limité à deux jours par semaine.",
]


class Counting:
    """The real model, counting the texts that reach it."""

    def __init__(self, inner: Any, name: str | None = None) -> None:
        self.inner = inner
        self.name = name or inner.name
        self.passages: list[str] = []
        self.queries: list[str] = []

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        self.passages.extend(texts)
        return np.asarray(self.inner.embed_passages(texts))

    def embed_query(self, text: str) -> np.ndarray:
        self.queries.append(text)
        return np.asarray(self.inner.embed_query(text))


@pytest.fixture
def model(embedder: Any) -> Counting:
    inner = embedder.inner if isinstance(embedder, CachedEmbedder) else embedder
    return Counting(inner)


def test_a_text_is_embedded_once_per_model(tmp_path: Path, model: Counting, embedder: Any) -> None:
    cache = EmbeddingCache(tmp_path / "cache.sqlite")
    cached = CachedEmbedder(model, cache)
    first = cached.embed_passages([TEXTS[0], TEXTS[1], TEXTS[0]])  # a repeat inside one call
    assert model.passages == TEXTS[:2]
    again = cached.embed_passages(TEXTS)
    assert model.passages == [*TEXTS[:2], TEXTS[2]]  # only the new one
    assert np.array_equal(again[:2], first[:2]) and np.array_equal(first[0], first[2])
    assert np.allclose(again, model.inner.embed_passages(TEXTS), atol=1e-6)  # the model's own vectors
    # Another process (a new cache object on the same file) finds them too.
    other = CachedEmbedder(model, EmbeddingCache(tmp_path / "cache.sqlite"))
    other.embed_passages(TEXTS)
    assert len(model.passages) == 3
    # Another model never gets these vectors.
    renamed = Counting(model.inner, name="another/model")
    CachedEmbedder(renamed, cache).embed_passages(TEXTS)
    assert renamed.passages == TEXTS


def test_questions_are_not_written_to_disk(tmp_path: Path, model: Counting) -> None:
    cache = EmbeddingCache(tmp_path / "cache.sqlite")
    cached = CachedEmbedder(model, cache)
    vector = cached.embed_query("Quel est mon numéro de sécurité sociale ?")
    assert vector.shape == (384,) and model.queries
    assert cache.stats()["vectors"] == 0


def test_the_cache_stays_within_its_bound_and_keeps_the_recent_vectors(tmp_path: Path, model: Counting) -> None:
    one = 384 * 4 + 64
    cache = EmbeddingCache(tmp_path / "cache.sqlite", max_bytes=10 * one)
    cached = CachedEmbedder(model, cache)
    texts = [f"Article {i} du règlement intérieur de la médiathèque." for i in range(30)]
    cached.embed_passages(texts[:5])
    for start in range(5, 30, 5):
        cached.embed_passages(texts[0:1])  # kept in use
        cached.embed_passages(texts[start : start + 5])
    assert cache.size() <= 10 * one
    before = len(model.passages)
    cached.embed_passages(texts[0:1])
    assert len(model.passages) == before  # the one used all along is still there


def test_a_broken_cache_file_is_skipped(tmp_path: Path, model: Counting) -> None:
    path = tmp_path / "cache.sqlite"
    path.write_bytes(b"this is not a database" * 100)
    cached = CachedEmbedder(model, EmbeddingCache(path))
    vectors = cached.embed_passages(TEXTS)
    assert vectors.shape == (3, 384) and model.passages == TEXTS


def test_re_ingesting_after_a_chunking_change_embeds_only_the_new_texts(
    tmp_path: Path, model: Counting, embedder: Any
) -> None:
    demo = Path(__file__).resolve().parents[1] / "demo"
    files = [demo / "conges-annuels-agents.md", demo / "charte-teletravail.docx"]
    cached = CachedEmbedder(model, EmbeddingCache(tmp_path / "cache.sqlite"))
    store = open_store(tmp_path / "a.db")
    ingest(store, cached, "rh", files, max_words=120)
    first = list(model.passages)
    assert first
    # The same files chunked differently, in a new store (as after `socle migrate`).
    other = open_store(tmp_path / "b.db")
    ingest(other, cached, "rh", files, max_words=60)
    second = model.passages[len(first) :]
    assert second, "a new chunking gives new texts"
    assert not set(second) & set(first)  # nothing embedded twice
    # And the unchanged chunking in a third store embeds nothing at all.
    third = open_store(tmp_path / "c.db")
    ingest(third, cached, "rh", files, max_words=120)
    assert len(model.passages) == len(first) + len(second)
    assert third.documents("rh") and len(third.documents("rh")) == len(store.documents("rh"))
