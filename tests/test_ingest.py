"""Ingestion: incremental re-ingestion, corrupt files, resumption after an interruption."""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from socle.ingest import IngestReport, index_prepared, ingest, parse_files, prepare_documents
from socle.retrieve import Retriever
from socle.store import open_store

DEMO = Path(__file__).resolve().parent.parent / "demo"


def _corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "conges.md").write_text(
        "# Congés\n\nChaque agent a droit à 25 jours de congés annuels.\n\n## Report\n\n"
        "Le report est possible jusqu'au 31 mars.\n",
        encoding="utf-8",
    )
    (folder / "cantine.txt").write_text(
        "Cantine scolaire\n\nL'inscription se fait avant le 30 juin sur le portail famille.\n", encoding="utf-8"
    )
    (folder / "notes.xyz").write_text("format inconnu", encoding="utf-8")
    return folder


def test_reingesting_unchanged_files_is_a_no_op(tmp_path: Path, embedder) -> None:  # type: ignore[no-untyped-def]
    store = open_store(tmp_path / "s.db")
    folder = _corpus(tmp_path)
    first = ingest(store, embedder, "rh", [folder])
    assert (first.added, first.updated, first.unchanged) == (2, 0, 0)
    assert first.skipped_files == 1 and not first.failed
    generation = store.generation("rh")

    second = ingest(store, embedder, "rh", [folder])
    assert (second.added, second.updated, second.unchanged, second.chunks) == (0, 0, 2, 0)
    assert store.generation("rh") == generation  # nothing was rewritten


def test_changed_file_replaces_its_chunks(tmp_path: Path, embedder) -> None:  # type: ignore[no-untyped-def]
    store = open_store(tmp_path / "s.db")
    folder = _corpus(tmp_path)
    ingest(store, embedder, "rh", [folder])
    (folder / "conges.md").write_text("# Congés\n\nDésormais 27 jours de congés annuels.\n", encoding="utf-8")
    report = ingest(store, embedder, "rh", [folder])
    assert (report.added, report.updated, report.unchanged) == (0, 1, 1)
    key = str((folder / "conges.md").resolve())
    doc = next(d for d in store.documents("rh") if d.key == key)
    assert doc.chunks == 1
    records = store.chunk_records(store.index_data("rh").chunk_ids.tolist())
    texts = " ".join(r.text for r in records.values())
    assert "27 jours" in texts and "31 mars" not in texts


def test_corrupt_file_is_reported_and_batch_goes_on(tmp_path: Path, embedder) -> None:  # type: ignore[no-untyped-def]
    store = open_store(tmp_path / "s.db")
    folder = _corpus(tmp_path)
    (folder / "casse.pdf").write_bytes(b"%PDF-1.7\n1 0 obj << /Type /Catalog >> garbage, not a PDF")
    (folder / "vide.docx").write_bytes(b"")
    report = ingest(store, embedder, "rh", [folder, tmp_path / "absent.md"])
    assert report.added == 2
    failed = {Path(src).name: msg for src, msg in report.failed}
    assert set(failed) == {"casse.pdf", "vide.docx", "absent.md"}
    assert "introuvable" in failed["absent.md"]
    assert all(msg for msg in failed.values())


class _FailingEmbedder:
    """The real embedder, made to fail after a number of calls (an interruption)."""

    def __init__(self, inner, fail_after: int) -> None:  # type: ignore[no-untyped-def]
        self.inner = inner
        self.name = inner.name
        self.calls = 0
        self.fail_after = fail_after

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        self.calls += 1
        if self.calls > self.fail_after:
            raise KeyboardInterrupt
        return self.inner.embed_passages(texts)  # type: ignore[no-any-return]

    def embed_query(self, text: str) -> np.ndarray:
        return self.inner.embed_query(text)  # type: ignore[no-any-return]


def test_interrupted_ingestion_resumes(tmp_path: Path, embedder) -> None:  # type: ignore[no-untyped-def]
    store = open_store(tmp_path / "s.db")
    folder = tmp_path / "many"
    folder.mkdir()
    for name in DEMO.iterdir():
        shutil.copy(name, folder / name.name)
    report = IngestReport()
    docs = parse_files([folder], report)
    prepared = prepare_documents(store, "demo", docs, report)
    total_chunks = sum(len(p.chunks) for p in prepared)
    assert total_chunks > 32  # more than one embedding batch, so the interruption lands midway
    with pytest.raises(KeyboardInterrupt):
        index_prepared(store, _FailingEmbedder(embedder, fail_after=1), "demo", prepared, report)
    # Every document was written with its words first: all are searchable lexically at once,
    # and the interruption only left vectors to compute.
    assert len(store.documents("demo")) == len(docs)
    with_vectors, chunks = store.vector_progress("demo")
    assert chunks == total_chunks and 0 < with_vectors < chunks
    found = Retriever(store, embedder).search("demo", "horaires d'ouverture de la médiathèque", k=1)
    assert found and "Médiathèque" in found[0].document_title  # hybrid where vectors exist, lexical elsewhere

    resumed = ingest(store, embedder, "demo", [folder])
    assert resumed.unchanged == len(docs) and resumed.added == 0
    assert store.vector_progress("demo") == (total_chunks, total_chunks)
    ids, texts = store.embedding_inputs("demo")
    stored = store.index_data("demo")
    order = {int(c): n for n, c in enumerate(stored.chunk_ids)}
    expected = np.asarray(embedder.embed_passages(texts))
    assert np.allclose(np.asarray(stored.vectors)[[order[i] for i in ids]], expected, atol=1e-5)
    assert sum(d.chunks for d in store.documents("demo")) == total_chunks


def test_descriptive_metadata_is_indexed(tmp_path: Path, embedder) -> None:  # type: ignore[no-untyped-def]
    import json

    from socle.retrieve import Retriever

    corpus = tmp_path / "faq.jsonl"
    rows = [
        {
            "id": "a",
            "text": "Connectez-vous, ouvrez les paramètres puis cliquez sur supprimer.",
            "keywords": "Badoo, rencontre",
        },
        {
            "id": "b",
            "text": "Connectez-vous, ouvrez les paramètres puis cliquez sur désactiver.",
            "keywords": "Twitter",
        },
    ]
    corpus.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    store = open_store(tmp_path / "s.db")
    ingest(store, embedder, "faq", [corpus])
    # "Badoo" appears only in the keywords of document a.
    assert Retriever(store, None).search("faq", "supprimer mon compte Badoo", k=1)[0].document_key == "a"
    assert Retriever(store, embedder).search("faq", "supprimer mon compte Badoo", k=1)[0].document_key == "a"
    # Changing only the keywords re-indexes the document.
    rows[0]["keywords"] = "Meetic"
    corpus.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    assert ingest(store, embedder, "faq", [corpus]).updated == 1
