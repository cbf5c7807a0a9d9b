"""PDF files, through pypdfium2 (PDFium): text page by page, every block with its page.

PDF text comes as lines. They are grouped into paragraphs with the layout PDFium reports:
a larger vertical gap than the usual line spacing, a change of font size or weight, a
list marker, or a short line ending a sentence start a new paragraph. Hard-wrapped lines
are joined and words cut by a hyphen at the end of a line are repaired. Short paragraphs
set in a larger (or bold) font than the body text become headings, ranked by size.
Running headers and footers (same text at the top or bottom of several pages, page
numbers) are dropped.

Scanned pages are read by OCR (:mod:`socle.ocr`), page by page: a page whose images cover
a good part of it and whose text layer is short or does not look like text is rendered
(grayscale, SOCLE_OCR_DPI) and read by Tesseract; its paragraphs become the page's blocks,
with its page number, and its confidence is recorded in the document's metadata
(``ocr``, ``ocr_confidence`` by page). Born-digital pages are not rendered at all. Without
Tesseract, scanned pages are listed in ``ocr_missing`` (the ingestion report says how to
install it) and a PDF made only of them is refused with that message.
"""

from __future__ import annotations

import ctypes
import itertools
import re
import statistics
import threading
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pypdfium2 as pdfium

from socle import ocr
from socle.errors import ParseError
from socle.models import Block, BlockKind, Document
from socle.parse._common import (
    check_file,
    ends_with_final_punctuation,
    file_key,
    join_lines,
    make_block,
    normalize_text,
    pick_title,
    starts_list_item,
)

if TYPE_CHECKING:
    from PIL.Image import Image

MIME = "application/pdf"

pdfium_c = pdfium.raw  # PDFium's C API (ctypes), for what the Python wrappers do not expose
# PDFium is not thread-safe: the service reads PDFs in two ingestion lanes (scans apart) and
# looks into uploads from request threads, so every PDFium call is made under this lock.
PDFIUM_LOCK = threading.RLock()

_HYPHEN_MARKS = ("\ufffe", "\x02")  # what PDFium puts for a hyphen that ends a line
_LINE_BREAK_RE = re.compile(r"\r\n|\r|\n")
_PAGE_NUMBER_RE = re.compile(
    r"^(?:page|p\.)?\s*[-–—]?\s*\d{1,4}\s*(?:(?:/|sur|of)\s*\d{1,4})?\s*[-–—]?$", re.IGNORECASE
)
_JUNK_TITLE_RE = re.compile(
    r"^(?:untitled|anonymous|unknown|sans titre|sans nom|document\s*\d*|titre|title|\(.*\)"
    r"|microsoft \w+ - .*|.*\.(?:docx?|odt|pdf|rtf|txt))$",
    re.IGNORECASE,
)
_MARGIN_ZONE = 0.08  # running headers/footers sit in the outer 8 % of the page height


@dataclass
class _Line:
    text: str
    top: float  # of the first character (PDF units, y grows upwards)
    bottom: float  # of the last character (a line may cover two visual lines if hyphenated)
    left: float
    right: float
    size: float  # font size of the line's characters (most common)
    bold: bool
    blank_before: bool  # an empty line precedes it in PDFium's text


@dataclass
class _Para:
    lines: list[_Line]
    page: int
    page_height: float
    heading_level: int = 0

    @property
    def text(self) -> str:
        return join_lines([line.text for line in self.lines])

    @property
    def size(self) -> float:
        return self.lines[0].size

    @property
    def bold(self) -> bool:
        return all(line.bold for line in self.lines)


def parse(path: Path) -> list[Document]:
    check_file(path)
    settings = ocr.OcrSettings.from_env()
    with PDFIUM_LOCK:
        pdf = _open(path)
    try:
        with PDFIUM_LOCK:
            metadata, pages, scanned = _read_text(pdf, path)
        read = _read_scanned(pdf, path, scanned, settings)  # takes the lock page by page
    finally:
        with PDFIUM_LOCK:
            pdf.close()

    for number in read.pages:  # the OCR replaces what little text layer the page had
        pages[number - 1] = ([], pages[number - 1][1])
    paragraphs = _paragraphs(pages)
    paragraphs = _drop_running_lines(paragraphs, len(pages))
    _mark_headings(paragraphs)
    blocks: list[Block] = []
    for para in paragraphs:
        kind: BlockKind = "heading" if para.heading_level else "paragraph"
        block = make_block(para.text, kind, para.heading_level, para.page)
        if block is not None:
            blocks.append(block)
    if read.pages:
        ocr_blocks = [b for number in sorted(read.pages) for b in read.pages[number]]
        blocks = sorted(blocks + ocr_blocks, key=lambda b: b.page or 0)  # stable: each page keeps its order
    if not blocks and read.missing:
        raise ParseError(f"{path} : PDF numérisé, aucune page lisible sans OCR — {read.reason}")

    meta_title = normalize_text(metadata.get("Title", ""))
    if _JUNK_TITLE_RE.match(meta_title):
        meta_title = ""
    first_line = blocks[0].text if blocks else None
    return [
        Document(
            key=file_key(path),
            title=pick_title(meta_title, first_line, path=path),
            blocks=blocks,
            source=str(path),
            mime=MIME,
            metadata={
                "pages": len(pages),
                **{k.lower(): normalize_text(metadata[k]) for k in ("Keywords", "Subject") if metadata.get(k)},
                **read.metadata(),
            },
        )
    ]


@dataclass
class _Scanned:
    """What OCR made of a PDF's scanned pages."""

    pages: dict[int, list[Block]]  # 1-based page number -> its blocks
    confidence: dict[int, float]
    missing: list[int]  # scanned pages left unread
    reason: str = ""  # why they were (French)

    def metadata(self) -> dict[str, object]:
        out: dict[str, object] = {}
        if self.confidence:
            out["ocr"] = True
            out["ocr_confidence"] = {str(p): c for p, c in sorted(self.confidence.items())}
        if self.missing:
            out["ocr_missing"] = self.missing
            out["ocr_missing_reason"] = self.reason
        return out


def _read_scanned(pdf: pdfium.PdfDocument, path: Path, scanned: list[int], settings: ocr.OcrSettings) -> _Scanned:
    from socle.parse._limits import extend_time_limit

    result = _Scanned({}, {}, [])
    if not scanned:
        return result
    reason = ocr.unavailable_reason(settings)
    if reason is not None:
        result.missing, result.reason = [n + 1 for n in scanned], reason
        return result
    todo = scanned[: settings.max_pages] if settings.max_pages else scanned
    if len(todo) < len(scanned):
        result.missing = [n + 1 for n in scanned[len(todo) :]]
        result.reason = f"au-delà de {settings.max_pages} pages lues par OCR (réglage SOCLE_OCR_MAX_PAGES)"
    for done, number in enumerate(todo, 1):
        # Each page has its own allowance, beyond the file's limit (recognition may run twice
        # when the page has to be turned, and orientation detection once).
        extend_time_limit(3 * settings.page_timeout + 10 if settings.page_timeout else 0)
        what = f"{path}, p. {number + 1}"
        try:
            page = _read_page(pdf, number, settings, what)
        except ParseError as exc:  # one page that cannot be read: reported, the others go on
            result.missing.append(number + 1)
            result.reason = str(exc).removeprefix(f"{what} : ")
            continue
        blocks = []
        for para in page.paragraphs:
            if _PAGE_NUMBER_RE.match(para.text):
                continue
            block = make_block(para.text, "heading" if para.heading else "paragraph", 1 if para.heading else 0)
            if block is not None:
                blocks.append(Block(block.text, block.kind, block.level, number + 1))
        result.pages[number + 1] = blocks
        result.confidence[number + 1] = page.confidence
        ocr.report_page(done, len(todo))
    result.missing.sort()
    return result


def _read_page(pdf: pdfium.PdfDocument, number: int, settings: ocr.OcrSettings, what: str) -> ocr.OcrPage:
    with PDFIUM_LOCK:  # rendering only: the recognition (another process) runs without it
        image, scale = _render(pdf, number, settings)
    return ocr.ocr_image(image, settings, dpi=round(scale * 72), what=what)


def _render(pdf: pdfium.PdfDocument, number: int, settings: ocr.OcrSettings) -> tuple[Image, float]:
    page = pdf[number]
    try:
        width, height = page.get_size()
        scale = settings.dpi / 72
        if settings.max_pixels and width * height * scale * scale > settings.max_pixels:
            # A huge page (a plan, a poster): rendered smaller rather than refused.
            scale = (settings.max_pixels / max(width * height, 1.0)) ** 0.5
        bitmap = page.render(scale=scale, grayscale=True)
        try:
            image = bitmap.to_pil()
        finally:
            bitmap.close()
    finally:
        page.close()
    return image, scale


def count_scanned_pages(path: Path) -> int:
    """How many pages of a PDF OCR would read (0 for a file that cannot be opened)."""
    with PDFIUM_LOCK:
        return _count_scanned_pages(path)


def _count_scanned_pages(path: Path) -> int:
    try:
        pdf = pdfium.PdfDocument(str(path))
    except (pdfium.PdfiumError, OSError):
        return 0
    count = 0
    try:
        for number in range(len(pdf)):
            page = pdf[number]
            try:
                textpage = page.get_textpage()
                try:
                    text = textpage.get_text_range()
                finally:
                    textpage.close()
                count += ocr.needs_ocr(text, _image_cover(page))
            finally:
                page.close()
    except pdfium.PdfiumError:
        pass
    finally:
        pdf.close()
    return count


def _image_cover(page: pdfium.PdfPage) -> float:
    """Share of the page's area covered by its images (0-1): a scan is one image over the
    whole page, or a few strips of it."""
    width, height = page.get_size()
    area = max(width * height, 1.0)
    covered = 0.0
    for obj in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE], max_depth=3):
        bounds = getattr(obj, "get_bounds", None) or obj.get_pos  # pypdfium2 5 renamed get_pos
        try:
            left, bottom, right, top = bounds()
        except pdfium.PdfiumError:
            continue
        w = max(0.0, min(right, width) - max(left, 0.0))
        h = max(0.0, min(top, height) - max(bottom, 0.0))
        covered += w * h
        if covered >= area:
            return 1.0
    return float(covered / area)


def _read_text(
    pdf: pdfium.PdfDocument, path: Path
) -> tuple[dict[str, str], list[tuple[list[_Line], float]], list[int]]:
    """The metadata, the text lines of every page, and the pages to read by OCR (0-based)."""
    n_pages = len(pdf)
    if n_pages == 0:
        raise ParseError(f"{path} : le PDF ne contient aucune page (fichier tronqué ou corrompu ?)")
    metadata = pdf.get_metadata_dict(skip_empty=True)
    pages: list[tuple[list[_Line], float]] = []
    scanned: list[int] = []
    for number in range(n_pages):
        try:
            page = pdf[number]
        except pdfium.PdfiumError as exc:
            raise ParseError(f"{path} : page {number + 1} illisible ({exc})") from exc
        try:
            textpage = page.get_textpage()
            try:
                lines = _page_lines(textpage)
            finally:
                textpage.close()
            pages.append((lines, page.get_height()))
            if ocr.needs_ocr("\n".join(line.text for line in lines), _image_cover(page)):
                scanned.append(number)
        finally:
            page.close()
    return metadata, pages, scanned


def _open(path: Path) -> pdfium.PdfDocument:
    try:
        return pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as exc:
        if exc.err_code == pdfium_c.FPDF_ERR_PASSWORD:
            raise ParseError(f"{path} : PDF protégé par un mot de passe, impossible de le lire") from exc
        if exc.err_code == pdfium_c.FPDF_ERR_SECURITY:
            raise ParseError(f"{path} : PDF chiffré avec une protection non prise en charge") from exc
        if exc.err_code == pdfium_c.FPDF_ERR_FORMAT:
            raise ParseError(f"{path} : fichier PDF invalide ou corrompu") from exc
        raise ParseError(f"{path} : impossible d'ouvrir le PDF ({exc})") from exc


# --------------------------------------------------------------------------- lines


def _page_lines(textpage: pdfium.PdfTextPage) -> list[_Line]:
    """The text lines of a page, with their geometry and font."""
    count = textpage.count_chars()
    # Character by character, so that string positions are PDFium character indices.
    chars = [chr(pdfium_c.FPDFText_GetUnicode(textpage, i)) for i in range(count)]
    text = "".join(chars)
    lines: list[_Line] = []
    blank_before = False
    start = 0
    for match in [*_LINE_BREAK_RE.finditer(text), None]:
        end = match.start() if match else len(text)
        line = _make_line(textpage, text, start, end, blank_before)
        if line is None:
            blank_before = True
        else:
            lines.append(line)
            blank_before = False
        if match:
            start = match.end()
    return lines


def _make_line(textpage: pdfium.PdfTextPage, text: str, start: int, end: int, blank_before: bool) -> _Line | None:
    visible = [i for i in range(start, end) if not text[i].isspace() and text[i] not in _HYPHEN_MARKS]
    if not visible:
        return None
    first, last = visible[0], visible[-1]
    l1, _, _, t1 = textpage.get_charbox(first, loose=True)
    _, b2, r2, _ = textpage.get_charbox(last, loose=True)
    samples = {visible[0], visible[len(visible) // 2], visible[-1]}
    sizes = Counter(round(pdfium_c.FPDFText_GetFontSize(textpage, i) * 2) / 2 for i in samples)
    bold = sum(_is_bold(textpage, i) for i in samples) * 2 > len(samples)
    # Characters outside the BMP come as two UTF-16 surrogates: pair them up again.
    line_text = text[start:end].encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return _Line(
        text=_repair_hyphens(line_text),
        top=t1,
        bottom=b2,
        left=l1,
        right=r2,
        size=sizes.most_common(1)[0][0],
        bold=bold,
        blank_before=blank_before,
    )


def _is_bold(textpage: pdfium.PdfTextPage, index: int) -> bool:
    if pdfium_c.FPDFText_GetFontWeight(textpage, index) >= 600:
        return True
    length = pdfium_c.FPDFText_GetFontInfo(textpage, index, None, 0, None)
    if length <= 0:
        return False
    buffer = ctypes.create_string_buffer(length)
    pdfium_c.FPDFText_GetFontInfo(textpage, index, buffer, length, None)
    name = buffer.value.decode("utf-8", "replace").lower()
    return any(word in name for word in ("bold", "black", "heavy", "semibold", "demi"))


def _repair_hyphens(line: str) -> str:
    """PDFium marks a hyphen that ends a visual line and glues the next one to it: drop the
    hyphen inside a word ("adminis-tration"), keep it before a capital ("Saint-Exemple")."""
    for mark in _HYPHEN_MARKS:
        parts = line.split(mark)
        line = parts[0]
        for part in parts[1:]:
            glue = "" if part[:1].islower() and line[-1:].isalpha() else "-"
            line = line + glue + part
    return line


# --------------------------------------------------------------------------- paragraphs


def _paragraphs(pages: list[tuple[list[_Line], float]]) -> list[_Para]:
    # The usual distance between two lines of one paragraph, per font size: the median of
    # the distances between consecutive lines of that size across the document.
    pitches: dict[float, list[float]] = {}
    for lines, _ in pages:
        for a, b in itertools.pairwise(lines):
            if a.size == b.size and not b.blank_before and a.bottom > b.bottom:
                pitches.setdefault(a.size, []).append(a.bottom - b.bottom)
    usual = {size: statistics.median(values) for size, values in pitches.items()}

    out: list[_Para] = []
    for number, (lines, height) in enumerate(pages, start=1):
        if not lines:
            continue
        rights = sorted(line.right for line in lines)
        right_margin = rights[int(len(rights) * 0.9)]
        left_margin = min(line.left for line in lines)
        width = max(right_margin - left_margin, 1.0)
        current = _Para([lines[0]], number, height)
        for a, b in itertools.pairwise(lines):
            if _is_break(a, b, usual, right_margin, width):
                out.append(current)
                current = _Para([b], number, height)
            else:
                current.lines.append(b)
        out.append(current)
    return out


def _is_break(a: _Line, b: _Line, usual: dict[float, float], right_margin: float, width: float) -> bool:
    if b.blank_before or starts_list_item(b.text):
        return True
    if abs(a.size - b.size) > 0.1 * max(a.size, b.size) or a.bold != b.bold:
        return True
    pitch = a.bottom - b.bottom
    if pitch <= 0:  # the next line is not below: another column or a floating element
        return True
    if pitch > 1.3 * usual.get(b.size, 1.2 * b.size) + 0.5:
        return True
    # A line that ends a sentence well before the right margin ends its paragraph.
    return ends_with_final_punctuation(a.text) and a.right < right_margin - 0.15 * width


def _drop_running_lines(paragraphs: list[_Para], n_pages: int) -> list[_Para]:
    """Remove page numbers and headers/footers repeated on several pages."""

    def in_margin(p: _Para) -> bool:
        top_gap = p.page_height - p.lines[0].top
        return top_gap < _MARGIN_ZONE * p.page_height or p.lines[-1].bottom < _MARGIN_ZONE * p.page_height

    def signature(p: _Para) -> str:
        return re.sub(r"\d+", "#", normalize_text(p.text).lower())

    repeated: set[str] = set()
    if n_pages >= 2:
        pages_by_signature: dict[str, set[int]] = {}
        for p in paragraphs:
            if in_margin(p):
                pages_by_signature.setdefault(signature(p), set()).add(p.page)
        needed = max(2, (n_pages + 1) // 2)
        repeated = {sig for sig, pages in pages_by_signature.items() if len(pages) >= needed}
    return [
        p
        for p in paragraphs
        if not (in_margin(p) and (signature(p) in repeated or _PAGE_NUMBER_RE.match(normalize_text(p.text))))
    ]


def _mark_headings(paragraphs: list[_Para]) -> None:
    """Short paragraphs in a larger or bold font (compared to the body) become headings."""
    weights: Counter[float] = Counter()
    bold_weight = 0
    for p in paragraphs:
        for line in p.lines:
            weights[line.size] += len(line.text)
            bold_weight += len(line.text) if line.bold else 0
    if not weights:
        return
    body_size = weights.most_common(1)[0][0]
    body_is_bold = bold_weight * 2 > sum(weights.values())

    def candidate(p: _Para) -> bool:
        text = normalize_text(p.text)
        if len(p.lines) > 3 or not text or len(text) > 150 or text[-1] in ".,;":
            return False
        return p.size > body_size * 1.15 or (p.bold and not body_is_bold and p.size >= body_size * 0.95)

    candidates = [p for p in paragraphs if candidate(p)]
    larger = sorted({p.size for p in candidates if p.size > body_size * 1.15}, reverse=True)
    for p in candidates:
        if p.size in larger:
            p.heading_level = larger.index(p.size) + 1
        else:  # bold at body size: below every larger heading
            p.heading_level = len(larger) + 1
        p.heading_level = min(p.heading_level, 6)
