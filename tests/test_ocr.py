"""OCR at ingestion (socle.ocr, socle.parse.pdf, socle.parse.image): scanned and mixed PDFs,
rotated pages, multi-page TIFF, each ingested into a real store and cited with its page;
the text-layer decision; Socle without Tesseract; limits.

The scans are made here: French text typeset with reportlab, rasterised with pypdfium2,
and the image wrapped in a PDF without a text layer (or saved as TIFF). Pages are short
and read at 200 dpi, to keep the OCR's CPU time small (a few seconds in all).
"""

from __future__ import annotations

import io
import time
from pathlib import Path
from typing import Any

import pytest

from socle import ocr
from socle.errors import ParseError
from socle.ingest import IngestReport, ingest, parse_files
from socle.parse import parse_path
from socle.parse._limits import call_with_time_limit, extend_time_limit

A4 = (595.27, 841.89)
DPI = 200

PAGES = [
    [
        "Règlement intérieur de la médiathèque",
        "La médiathèque municipale est ouverte du mardi au samedi.",
        "L'inscription est gratuite pour les habitants de la commune.",
    ],
    [
        "Horaires d'été",
        "En juillet et en août, la médiathèque ferme à dix-sept heures.",
        "Les lecteurs peuvent emprunter douze documents pendant quatre semaines.",
    ],
    [
        "Pénalités de retard",
        "Un document rendu en retard entraîne une suspension du prêt de huit jours.",
    ],
]

needs_tesseract = pytest.mark.skipif(
    not ocr.available(ocr.OcrSettings()),
    reason="Tesseract absent : sudo apt install tesseract-ocr tesseract-ocr-fra (scripts/setup l'installe)",
)


# --------------------------------------------------------------------------- making scans


def text_pdf(pages: list[list[str]]) -> bytes:
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=A4)
    for lines in pages:
        y = A4[1] - 90
        for n, line in enumerate(lines):
            c.setFont("Helvetica-Bold" if n == 0 else "Times-Roman", 18 if n == 0 else 13)
            c.drawString(70, y, line)
            y -= 34
        c.showPage()
    c.save()
    return out.getvalue()


def rasterise(pdf_bytes: bytes, dpi: int = DPI) -> list[Any]:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(pdf_bytes)
    images = [pdf[i].render(scale=dpi / 72, grayscale=True).to_pil() for i in range(len(pdf))]
    pdf.close()
    return images


def scanned_pdf(
    path: Path, pages: list[list[str]], *, keep_text: set[int] = frozenset(), turn: dict[int, int] | None = None
) -> Path:  # type: ignore[assignment]
    """A PDF whose pages are images of ``pages`` (no text layer), except the 1-based page
    numbers in ``keep_text``, which keep their real text; ``turn`` rotates some images
    (degrees counter-clockwise), as a page fed sideways or upside down into a scanner."""
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    images = rasterise(text_pdf(pages))
    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=A4)
    for number, (lines, image) in enumerate(zip(pages, images, strict=True), 1):
        if number in keep_text:
            y = A4[1] - 90
            for line in lines:
                c.setFont("Times-Roman", 13)
                c.drawString(70, y, line)
                y -= 34
        else:
            angle = (turn or {}).get(number, 0)
            if angle:
                image = image.rotate(angle, expand=True, fillcolor=255)
            size = A4 if angle % 180 == 0 else (A4[1], A4[0])
            c.setPageSize(size)
            c.drawImage(ImageReader(image), 0, 0, width=size[0], height=size[1])
        c.showPage()
        c.setPageSize(A4)
    c.save()
    path.write_bytes(out.getvalue())
    return path


@pytest.fixture
def ocr_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOCLE_OCR_DPI", str(DPI))


def _search(store: Any, question: str) -> Any:
    from socle.retrieve import Retriever

    return Retriever(store, None).search("docs", question, k=1)[0]


def _store(tmp_path: Path) -> Any:
    from socle.store import open_store

    return open_store(tmp_path / "socle.db")


# --------------------------------------------------------------------------- the decision (no OCR run)


def test_a_page_is_read_by_ocr_only_when_an_image_covers_it_and_its_text_is_poor() -> None:
    prose = " ".join(line for page in PAGES for line in page) * 2
    assert not ocr.needs_ocr(prose, image_cover=1.0)  # a good text layer (an OCR'd scan, a photo page)
    assert not ocr.needs_ocr("", image_cover=0.0)  # a blank page: nothing to read
    assert not ocr.needs_ocr("Annexe", image_cover=0.1)  # a short title beside a small logo
    assert ocr.needs_ocr("", image_cover=0.95)  # a scan
    assert ocr.needs_ocr("Copie conforme", image_cover=1.0)  # a stamp's text over a scan
    garbage = "".join(chr(0xE000 + i % 50) for i in range(400))  # a font without its encoding
    assert ocr.needs_ocr(garbage, image_cover=0.9)
    consonants = " ".join(["bcdfg hjklm npqrs tvwxz"] * 30)
    assert ocr.text_quality(consonants).words < 0.5 and ocr.needs_ocr(consonants, image_cover=0.9)


def _hocr(paragraphs: list[list[tuple[float, list[tuple[str, float]]]]]) -> str:
    """hOCR as Tesseract writes it: paragraphs of lines (letter size) of words (confidence)."""
    body = []
    for p in paragraphs:
        lines = []
        for size, words in p:
            spans = "".join(
                f"<span class='ocrx_word' title='bbox 0 0 10 10; x_wconf {conf:g}'>{text}</span>"
                for text, conf in words
            )
            lines.append(f"<span class='ocr_line' title='bbox 0 0 10 {size:g}; x_size {size:g}'>{spans}</span>")
        body.append(f"<p class='ocr_par'>{''.join(lines)}</p>")
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<html xmlns="http://www.w3.org/1999/xhtml"><body>'
        f"<div class='ocr_page'><div class='ocr_carea'>{''.join(body)}</div></div></body></html>"
    )


def test_tesseract_hocr_becomes_paragraphs_and_a_mean_confidence() -> None:
    words = [
        [(52.0, [("Horaires", 90), ("d&#39;été", 80)]), (33.0, [("La", 96), ("médiathèque", 94), ("est", 92)])],
        [
            (33.0, [("ouverte", 90), ("au", 90), ("pu-", 40)]),
            (33.0, [("blic", 50), ("le", 91), ("mardi.", 97)]),
        ],
    ]
    page = ocr.parse_hocr(_hocr(words))
    assert [p.text for p in page.paragraphs] == ["Horaires d'été", "La médiathèque est", "ouverte au public le mardi."]
    assert [p.heading for p in page.paragraphs] == [True, False, False]
    confidences = [c for p in words for _, line in p for _, c in line]
    assert page.words == 11 and page.confidence == pytest.approx(sum(confidences) / 11, abs=0.1)
    with pytest.raises(ParseError, match="sortie de l'OCR illisible"):
        ocr.parse_hocr("<html><body><p class='ocr_par'>")


def test_low_confidence_pages_are_named_with_their_score() -> None:
    metadata = {"ocr": True, "ocr_confidence": {"1": 93.2, "3": 61.4, "4": 55.0}}
    assert ocr.low_confidence_message(metadata, 70) == "OCR peu fiable : p. 3 (61 %), p. 4 (55 %)"
    assert ocr.low_confidence_message(metadata, 50) is None
    missing = ocr.report_messages({"ocr_missing": [2, 5], "ocr_missing_reason": "OCR non installé"})
    assert missing == ["pp. 2, 5 numérisée(s) non lue(s) : OCR non installé"]


def test_deskew_finds_the_angle_of_a_slanted_page() -> None:
    import numpy as np

    image = rasterise(text_pdf(PAGES[:1]), dpi=100)[0].rotate(2.5, expand=True, fillcolor=255)
    assert ocr.estimate_skew(np.asarray(image)) == pytest.approx(2.5, abs=0.3)
    straight = rasterise(text_pdf(PAGES[:1]), dpi=100)[0]
    assert abs(ocr.estimate_skew(np.asarray(straight))) < 0.3


def test_the_file_time_limit_is_extended_page_by_page() -> None:
    def slow_pages(extend: bool) -> str:
        for _ in range(3):
            if extend:
                extend_time_limit(0.5)
            time.sleep(0.3)
        return "lu"

    assert call_with_time_limit(lambda: slow_pages(True), Path("scan.pdf"), seconds=0.5) == "lu"
    with pytest.raises(ParseError, match="analyse interrompue"):
        call_with_time_limit(lambda: slow_pages(False), Path("scan.pdf"), seconds=0.5)
    extend_time_limit(5)  # outside a limit: nothing to extend, nothing breaks


# --------------------------------------------------------------------------- without Tesseract


def test_without_tesseract_scans_are_reported_with_how_to_install_and_text_is_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOCLE_TESSERACT", str(tmp_path / "pas-de-tesseract"))
    folder = tmp_path / "lot"
    folder.mkdir()
    scanned_pdf(folder / "a-scan.pdf", PAGES[:2])
    scanned_pdf(folder / "b-mixte.pdf", PAGES, keep_text={1, 3})
    rasterise(text_pdf(PAGES[:1]))[0].save(folder / "c-photo.png")
    (folder / "d-note.txt").write_text("Note de service : la médiathèque ferme le lundi.\n", encoding="utf-8")
    report = IngestReport()
    documents = parse_files([folder], report)
    assert [Path(d.source).name for d in documents] == ["b-mixte.pdf", "d-note.txt"]
    failed = dict(report.failed)
    assert "sudo apt install tesseract-ocr tesseract-ocr-fra" in failed[str(folder / "a-scan.pdf")]
    assert "numérisé" in failed[str(folder / "a-scan.pdf")]
    assert "sudo apt install tesseract-ocr tesseract-ocr-fra" in failed[str(folder / "c-photo.png")]
    mixed = documents[0]
    assert {b.page for b in mixed.blocks} == {1, 3} and "Pénalités" in mixed.text
    assert mixed.metadata["ocr_missing"] == [2] and "ocr" not in mixed.metadata
    assert [m for _, m in report.warnings] == [
        f"{folder / 'b-mixte.pdf'} : p. 2 numérisée(s) non lue(s) : OCR non installé : pour lire les pages "
        "numérisées, installez Tesseract (sudo apt install tesseract-ocr tesseract-ocr-fra)"
    ]


def test_ocr_can_be_turned_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOCLE_OCR", "off")
    path = scanned_pdf(tmp_path / "scan.pdf", PAGES[:1])
    with pytest.raises(ParseError, match="SOCLE_OCR=off"):
        parse_path(path)


def test_a_corrupt_or_oversized_image_is_refused_and_the_batch_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "lot"
    folder.mkdir()
    png = io.BytesIO()
    rasterise(text_pdf(PAGES[:1]))[0].save(png, format="PNG")
    small = io.BytesIO()
    rasterise(text_pdf(PAGES[:1]), dpi=60)[0].save(small, format="PNG")
    (folder / "a-tronquee.png").write_bytes(small.getvalue()[: len(small.getvalue()) // 2])
    (folder / "b-faux.jpg").write_bytes(b"ceci n'est pas une image" * 10)
    (folder / "c-grande.png").write_bytes(png.getvalue())
    (folder / "d-note.txt").write_text("La médiathèque ferme le lundi.\n", encoding="utf-8")
    monkeypatch.setenv("SOCLE_OCR_MAX_PIXELS", "1000000")  # the page is 1654 × 2339 at 200 dpi
    report = IngestReport()
    documents = parse_files([folder], report)
    assert [Path(d.source).name for d in documents] == ["d-note.txt"]
    failed = {Path(s).name: m for s, m in report.failed}
    assert "image illisible ou corrompue" in failed["b-faux.jpg"]
    assert "illisible ou corrompue" in failed["a-tronquee.png"]
    assert "au-delà de la limite de 1 millions de pixels" in failed["c-grande.png"]


def _png_header(width: int, height: int) -> bytes:
    """A tiny PNG file that declares ``width`` × ``height`` pixels (a decompression bomb)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
    return b"\x89PNG\r\n\x1a\n" + header + chunk(b"IDAT", zlib.compress(b"\x00" * 100)) + chunk(b"IEND", b"")


def test_decompression_bombs_are_refused_before_decoding(tmp_path: Path) -> None:
    huge, large = tmp_path / "bombe.png", tmp_path / "affiche.png"
    huge.write_bytes(_png_header(30_000, 30_000))  # 900 million pixels: Pillow's own limit
    large.write_bytes(_png_header(11_000, 11_000))  # 121 million: over SOCLE_OCR_MAX_PIXELS (100)
    with pytest.raises(ParseError, match="bombe de décompression"):
        parse_path(huge)
    with pytest.raises(ParseError, match="11000 × 11000 pixels, au-delà de la limite de 100 millions"):
        parse_path(large)


# --------------------------------------------------------------------------- with Tesseract


@needs_tesseract
def test_a_scanned_pdf_is_read_and_cited_with_its_page(tmp_path: Path, ocr_env: None, embedder: Any) -> None:
    from socle.answer import Answerer
    from socle.retrieve import Retriever

    path = scanned_pdf(tmp_path / "reglement.pdf", PAGES)
    store = _store(tmp_path)
    report = ingest(store, embedder, "docs", [path])
    assert not report.failed and report.added == 1 and not report.warnings
    doc = store.document_text("docs", str(path.resolve()))
    assert doc is not None and doc["metadata"]["ocr"] is True
    confidences = ocr.page_confidences(doc["metadata"])
    assert set(confidences) == {1, 2, 3} and min(confidences.values()) > 80
    assert "dix-sept heures" in doc["text"] and "suspension du prêt de huit jours" in doc["text"]
    hit = _search(store, "À quelle heure ferme la médiathèque en août ?")
    assert hit.page == 2 and "dix-sept heures" in hit.text
    answerer = Answerer(Retriever(store, embedder), embedder)
    answer = answerer.answer("docs", "Combien de jours de suspension pour un document rendu en retard ?")
    assert answer.citations and all(c.location.startswith("p. 3") for c in answer.citations), answer
    notes = [w for w in answer.warnings if ocr.OCR_NOTICE in w]
    assert notes == [f"Passage cité : {ocr.OCR_NOTICE}, à vérifier sur l'original (« {doc['title']} », p. 3)."]
    store.close()


@needs_tesseract
def test_in_a_mixed_pdf_only_the_image_pages_are_read_by_ocr(tmp_path: Path, ocr_env: None) -> None:
    path = scanned_pdf(tmp_path / "mixte.pdf", PAGES, keep_text={1, 3})
    doc = parse_path(path)[0]
    assert set(doc.metadata["ocr_confidence"]) == {"2"}  # pages 1 and 3 were not rendered
    by_page = {p: " ".join(b.text for b in doc.blocks if b.page == p) for p in (1, 2, 3)}
    assert "mardi au samedi" in by_page[1] and "dix-sept heures" in by_page[2] and "huit jours" in by_page[3]
    assert [b.page for b in doc.blocks] == sorted(b.page or 0 for b in doc.blocks)
    store = _store(tmp_path)
    ingest(store, None, "docs", [path])
    assert _search(store, "emprunter douze documents combien de semaines").page == 2
    store.close()


@needs_tesseract
def test_pages_scanned_sideways_or_upside_down_are_turned_and_read(tmp_path: Path, ocr_env: None) -> None:
    path = scanned_pdf(tmp_path / "retournee.pdf", PAGES[1:], turn={1: 90, 2: 180})
    doc = parse_path(path)[0]
    by_page = {p: " ".join(b.text for b in doc.blocks if b.page == p) for p in (1, 2)}
    assert "emprunter douze documents pendant quatre semaines" in by_page[1]
    assert "suspension du prêt de huit jours" in by_page[2]
    assert min(ocr.page_confidences(doc.metadata).values()) > 80


@needs_tesseract
def test_a_multipage_tiff_is_ingested_page_by_page(tmp_path: Path) -> None:
    images = rasterise(text_pdf(PAGES[:2]))
    path = tmp_path / "courrier.tiff"
    images[0].save(path, save_all=True, append_images=images[1:], compression="tiff_deflate", dpi=(DPI, DPI))
    store = _store(tmp_path)
    report = ingest(store, None, "docs", [path])
    assert not report.failed and report.added == 1
    hit = _search(store, "horaires d'été fermeture juillet août")
    assert hit.page == 2 and "dix-sept heures" in hit.text
    assert hit.location.startswith("p. 2")
    store.close()


@needs_tesseract
def test_pages_under_the_confidence_threshold_are_flagged_in_the_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ocr_env: None
) -> None:
    monkeypatch.setenv("SOCLE_OCR_MIN_CONFIDENCE", "99.5")  # no real page reads that well
    path = scanned_pdf(tmp_path / "scan.pdf", PAGES[:1])
    report = IngestReport()
    [doc] = parse_files([path], report)
    confidence = doc.metadata["ocr_confidence"]["1"]
    assert [m for _, m in report.warnings] == [f"{path} : OCR peu fiable : p. 1 ({confidence:.0f} %)"]


@needs_tesseract
def test_an_image_named_without_extension_is_recognised(tmp_path: Path) -> None:
    path = tmp_path / "scan0001"
    rasterise(text_pdf(PAGES[2:]))[0].save(path, format="PNG")
    doc = parse_path(path)[0]
    assert "huit jours" in doc.text and doc.mime == "image/png"


# --------------------------------------------------------------------------- in the service


@needs_tesseract
def test_a_long_scan_does_not_hold_other_uploads_and_reports_its_pages(
    env: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Scans go through their own lane: a note uploaded after a scan is indexed while the
    scan is still waiting or being read, and the scan's job reports its pages as it goes."""
    import threading

    from fastapi.testclient import TestClient
    from tests.service_helpers import auth

    monkeypatch.setenv("SOCLE_OCR_DPI", str(DPI))
    client, bob = TestClient(env.app), auth(env.keys["bob"])
    scan = scanned_pdf(tmp_path / "reglement-scanne.pdf", PAGES).read_bytes()
    note = "# Note de service\n\nLa salle de réunion du deuxième étage est fermée jusqu'à lundi.\n"
    # The scan lane is held busy by an earlier long scan until the note is indexed.
    release = threading.Event()
    env.service._scans.submit(release.wait, 60)

    def upload(name: str, data: bytes, mime: str) -> int:
        sent = client.post(
            "/v1/documents", data={"collection": "demo"}, files=[("files", (name, data, mime))], headers=bob
        )
        assert sent.status_code == 202, sent.text
        return int(sent.json()["status_url"].rsplit("/", 1)[1])

    scan_id = upload("reglement-scanne.pdf", scan, "application/pdf")
    note_id = upload("note-salle.md", note.encode(), "text/markdown")

    def wait(job_id: int, seen: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        for _ in range(1200):  # the store, not the API: polling this fast would be rate-limited
            job: dict[str, Any] = env.service.store.job(job_id)
            if seen is not None and job["report"].get("ocr_total"):
                seen.append(job["report"])
            if job["status"] in ("done", "failed"):
                return job
            time.sleep(0.05)
        raise AssertionError(f"tâche {job_id} non terminée")

    assert wait(note_id)["report"]["added"] == 1
    assert env.service.store.job(scan_id)["status"] == "pending"  # still behind the long scan
    release.set()
    seen: list[dict[str, Any]] = []
    job = wait(scan_id, seen)
    assert job["status"] == "done" and job["report"]["added"] == 1 and not job["report"]["failed"], job
    assert seen and all(r["ocr_total"] == 3 and 1 <= r["ocr_pages"] <= 3 for r in seen)
    found = client.post(
        "/v1/search", json={"query": "fermeture de la médiathèque en août", "collections": ["demo"]}, headers=bob
    )
    best = found.json()["results"][0]
    assert best["document"].endswith("reglement-scanne.pdf") and best["page"] == 2, best
    # The document page and the collection's list say the text comes from OCR.
    from tests.service_helpers import login

    from socle.service.sources import document_link

    web = TestClient(env.app)
    login(web, "bob")
    doc_id = env.service.store.document_ids("demo")[best["document"]]
    page = web.get(document_link("demo", document=doc_id)).text
    assert "Texte issu d'une reconnaissance de caractères (OCR), pp. 1, 2, 3" in page
    listing = web.get("/collections/demo/documents?q=reglement-scanne").text
    assert "numérisé (OCR)" in listing and "OCR peu fiable" not in listing


@needs_tesseract
def test_the_cli_ingestion_report_flags_unreliable_pages_and_shows_ocr_progress(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from socle.cli import cli

    monkeypatch.setenv("SOCLE_OCR_DPI", str(DPI))
    monkeypatch.setenv("SOCLE_OCR_MIN_CONFIDENCE", "99.5")  # no real page reads that well
    path = scanned_pdf(tmp_path / "scan.pdf", PAGES[1:])
    result = CliRunner().invoke(cli, ["--db", str(tmp_path / "cli.db"), "ingest", str(path), "-c", "scans"])
    assert result.exit_code == 0, result.output
    assert "OCR : page 1 sur 2" in result.output and "OCR : page 2 sur 2" in result.output
    assert "1 ajouté(s)" in result.output
    flagged = [line for line in result.output.splitlines() if line.startswith("Attention : ")]
    assert len(flagged) == 1 and flagged[0].startswith(f"Attention : {path} : OCR peu fiable : p. 1 (")
    assert ", p. 2 (" in flagged[0] and flagged[0].endswith(" %)")
