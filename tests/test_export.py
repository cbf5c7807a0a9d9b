"""Dataset export: lossless round trip through `socle ingest`, Croissant validated by
mlcroissant, per-record provenance, datasheet."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner

from socle.cli import cli
from socle.errors import NotFoundError
from socle.export import CHUNK_FIELDS, DOCUMENT_FIELDS, export_collection
from socle.ingest import ingest
from socle.parse import parse_path
from socle.privacy.policy import set_collection_mode
from socle.store import open_store

DEMO = Path(__file__).resolve().parent.parent / "demo"


def copy_store(store, tmp_path: Path):  # type: ignore[no-untyped-def]
    """A private copy of a (session-shared) store, safe to modify."""
    target = tmp_path / "copy.db"
    with sqlite3.connect(store.path) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    return open_store(target)


def snapshot(store, collection: str) -> dict[str, dict[str, Any]]:  # type: ignore[no-untyped-def]
    """Everything that must survive the round trip, per document key."""
    out = {}
    for stored in store.stored_documents(collection):
        doc = stored.document
        out[doc.key] = {
            "title": doc.title,
            "text": doc.text,
            "blocks": doc.blocks,
            "source": doc.source,
            "url": doc.url,
            "mime": doc.mime,
            "metadata": doc.metadata,
            "content_hash": stored.content_hash,
            "chunks": stored.chunks,
            "structured": stored.structured,
        }
    return out


def vectors_by_chunk(store, collection: str) -> dict[tuple[str, int], np.ndarray]:  # type: ignore[no-untyped-def]
    data = store.index_data(collection)
    key_of = {v: k for k, v in store.document_ids(collection).items()}
    records = store.chunk_records([int(i) for i in data.chunk_ids])
    out = {}
    for row, chunk_id in enumerate(data.chunk_ids):
        rec = records[int(chunk_id)]
        out[(key_of[rec.document_id], rec.start)] = data.vectors[row]
    return out


def assert_same_collection(store, a: str, b: str) -> None:  # type: ignore[no-untyped-def]
    left, right = snapshot(store, a), snapshot(store, b)
    assert sorted(left) == sorted(right)
    for key in left:
        for name in left[key]:
            assert left[key][name] == right[key][name], (key, name)


@pytest.mark.parametrize("fmt", ["jsonl", "parquet"])
def test_export_then_ingest_gives_identical_documents_and_chunks(
    demo_store, embedder, tmp_path: Path, fmt: str
) -> None:  # type: ignore[no-untyped-def]
    store = copy_store(demo_store, tmp_path)
    report = export_collection(store, "demo", tmp_path / "export", fmt)  # type: ignore[arg-type]
    assert (report.documents, report.chunks) == (6, sum(i.chunks for i in store.documents("demo")))
    assert set(report.files) == {f"documents.{fmt}", f"chunks.{fmt}", "croissant.json", "DATASHEET.md"}

    # The export folder itself is what `socle ingest` is given: only its documents are read.
    # The export is already pseudonymised (the demo collection is in the default mode):
    # imported in `off` mode, it is stored exactly as it was.
    set_collection_mode(store, "reimport", "off")
    result = ingest(store, embedder, "reimport", [tmp_path / "export"])
    assert (result.added, result.failed) == (6, [])
    assert_same_collection(store, "demo", "reimport")
    assert all(doc["structured"] for doc in snapshot(store, "reimport").values())
    before, after = vectors_by_chunk(store, "demo"), vectors_by_chunk(store, "reimport")
    assert before.keys() == after.keys()
    assert all(np.allclose(before[k], after[k], atol=1e-6) for k in before)

    # Re-importing again is a no-op: same content hashes.
    again = ingest(store, None, "reimport", [tmp_path / "export" / f"documents.{fmt}"])
    assert (again.added, again.updated, again.unchanged) == (0, 0, 6)


def test_cli_export_and_reimport(demo_store, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    store = copy_store(demo_store, tmp_path)
    db = str(store.path)
    out = tmp_path / "jeu"
    runner = CliRunner()
    result = runner.invoke(
        cli,
        [
            "--db",
            db,
            "export",
            "-c",
            "demo",
            "--format",
            "jsonl",
            "--out",
            str(out),
            "--licence",
            "Licence Ouverte 2.0",
            "--creator",
            "Mairie de Saint-Exemple",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "6 documents" in result.output and "croissant.json" in result.output
    assert store.collection_settings("demo")["licence"] == "Licence Ouverte 2.0"
    croissant = json.loads((out / "croissant.json").read_text(encoding="utf-8"))
    assert croissant["license"] == "https://www.etalab.gouv.fr/licence-ouverte-open-licence/"
    assert croissant["creator"]["name"] == "Mairie de Saint-Exemple"
    # Into a collection in the default privacy mode: pseudonymised again, which changes nothing.
    result = runner.invoke(cli, ["--db", db, "ingest", str(out), "-c", "copie"])
    assert result.exit_code == 0, result.output
    assert "6 ajouté(s)" in result.output
    assert_same_collection(store, "demo", "copie")

    result = runner.invoke(cli, ["--db", db, "export", "-c", "inconnue"])
    assert result.exit_code == 1 and "n'existe pas" in result.output


def test_croissant_validates_and_reads_with_mlcroissant(demo_store, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    mlc = pytest.importorskip("mlcroissant", reason="mlcroissant (dépendance de développement) manque")
    store = copy_store(demo_store, tmp_path)
    for fmt in ("jsonl", "parquet"):
        out = tmp_path / fmt
        export_collection(store, "demo", out, fmt)  # type: ignore[arg-type]
        dataset = mlc.Dataset(jsonld=out / "croissant.json")
        assert not dataset.metadata.ctx.issues.errors, dataset.metadata.ctx.issues.report()
        assert not dataset.metadata.ctx.issues.warnings, dataset.metadata.ctx.issues.report()
        documents = list(dataset.records(record_set="documents"))
        chunks = list(dataset.records(record_set="chunks"))
        assert len(documents) == 6 and len(chunks) == sum(i.chunks for i in store.documents("demo"))
        pdf = next(d for d in documents if d["documents/mime"] == b"application/pdf")
        assert b"parse:pdf" in pdf["documents/transformations"]
        assert pdf["documents/blocks"][0]["documents/blocks/kind"] in (b"heading", b"paragraph")
        assert any(b["documents/blocks/page"] == 2 for b in pdf["documents/blocks"])
        assert all(c["chunks/document_id"] in {d["documents/id"] for d in documents} for c in chunks)


def test_provenance_of_every_record(demo_store, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    store = copy_store(demo_store, tmp_path)
    store.update_collection_settings("demo", licence="CC-BY-4.0", privacy="anonymise")
    out = tmp_path / "export"
    export_collection(store, "demo", out, "jsonl")
    documents = [json.loads(line) for line in (out / "documents.jsonl").read_text(encoding="utf-8").splitlines()]
    chunks = [json.loads(line) for line in (out / "chunks.jsonl").read_text(encoding="utf-8").splitlines()]
    assert all(set(d) == {f.name for f in DOCUMENT_FIELDS} for d in documents)
    assert all(set(c) == {f.name for f in CHUNK_FIELDS} for c in chunks)
    infos = {i.key: i for i in store.documents("demo")}
    for d in documents:
        assert d["licence"] == "CC-BY-4.0"
        assert d["content_hash"] == infos[d["id"]].content_hash
        assert d["ingested_at"] == infos[d["id"]].ingested_at
        assert d["transformations"][0].startswith("parse:")
        assert "pseudonymisation:anonymise" in d["transformations"]
        assert d["keywords"] == json.loads(d["metadata"])["auto_keywords"]
    pdf = next(d for d in documents if d["id"].endswith(".pdf"))
    assert pdf["transformations"][0] == "parse:pdf"
    assert all(c["transformations"][-1] == "decoupage:socle.chunk(max_words=120)" for c in chunks)
    assert all(
        c["text"] == next(d for d in documents if d["id"] == c["document_id"])["text"][c["start"] : c["end"]]
        for c in chunks
    )

    croissant = json.loads((out / "croissant.json").read_text(encoding="utf-8"))
    for file_object in croissant["distribution"]:
        data = (out / file_object["contentUrl"]).read_bytes()
        assert file_object["sha256"] == hashlib.sha256(data).hexdigest()
    assert croissant["license"] == "https://creativecommons.org/licenses/by/4.0/"
    assert "pseudonymisées" in croissant["rai:personalSensitiveInformation"]

    sheet = (out / "DATASHEET.md").read_text(encoding="utf-8")
    for heading in (
        "## Motivation",
        "## Composition",
        "## Processus de collecte",
        "## Prétraitement",
        "## Usages",
        "## Distribution",
        "## Maintenance",
    ):
        assert heading in sheet
    assert "CC-BY-4.0" in sheet and "socle ingest" in sheet


def test_documents_stored_before_block_layouts_export_as_paragraphs(demo_store, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    store = copy_store(demo_store, tmp_path)
    with store.raw_connection() as db:
        db.execute("UPDATE documents SET blocks = NULL")
    out = tmp_path / "export"
    export_collection(store, "demo", out, "jsonl")
    documents = [json.loads(line) for line in (out / "documents.jsonl").read_text(encoding="utf-8").splitlines()]
    assert all("structure:paragraphes-reconstitues" in d["transformations"] for d in documents)
    assert all({b["kind"] for b in d["blocks"]} == {"paragraph"} for d in documents)
    reparsed = parse_path(out / "documents.jsonl")
    assert [d.text for d in reparsed] == [d["text"] for d in documents]


def test_plain_jsonl_files_are_not_mistaken_for_exports(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    path.write_text(json.dumps({"id": "1", "text": "Bonjour.\nSuite.", "blocks": ["x"]}) + "\n", encoding="utf-8")
    (doc,) = parse_path(path)
    assert [b.text for b in doc.blocks] == ["Bonjour.", "Suite."] and doc.metadata == {"blocks": ["x"]}


def test_export_of_an_unknown_collection(tmp_path: Path) -> None:
    store = open_store(tmp_path / "s.db")
    with pytest.raises(NotFoundError):
        export_collection(store, "absente", tmp_path / "out")
    assert not (tmp_path / "out").exists()
