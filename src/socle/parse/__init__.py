"""Turn files into :class:`~socle.models.Document` s, one module per format.

Every parser takes a path and returns a list of documents (one for most formats, one per
line for JSONL). A file that cannot be read raises :class:`ParseError` with a message in
French for the user; the ingestion loop reports it and goes on with the batch. One file's
parse is bounded in time (SOCLE_PARSE_TIMEOUT) and zip-based formats in size before they
are opened (:mod:`socle.parse._limits`), so that a hostile file cannot hold ingestion.

Scanned pages (PDF pages without a usable text layer, images) are read by OCR
(:mod:`socle.ocr`); a file named without a known extension is recognised by its first
bytes when it is a PDF or an image.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path

from socle.errors import ConfigError, ParseError
from socle.models import Document

Parser = Callable[[Path], list[Document]]


def _registry() -> dict[str, Parser]:
    # Imported lazily so that `socle --help` does not pay for lxml, pdfium, etc.
    from socle.parse import docx, html, image, jsonl, markdown, odt, pdf, socle_export, text

    return {
        **dict.fromkeys(image.SUFFIXES, image.parse),
        ".pdf": pdf.parse,
        ".docx": docx.parse,
        ".odt": odt.parse,
        ".html": html.parse,
        ".htm": html.parse,
        ".md": markdown.parse,
        ".markdown": markdown.parse,
        ".txt": text.parse,
        ".jsonl": jsonl.parse,
        ".parquet": socle_export.parse_parquet,  # documents of a `socle export`
    }


IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff")  # read by OCR (socle.parse.image)
SUPPORTED_SUFFIXES = (
    ".pdf",
    ".docx",
    ".odt",
    ".html",
    ".htm",
    ".md",
    ".markdown",
    ".txt",
    ".jsonl",
    ".parquet",
    *IMAGE_SUFFIXES,
)
# First bytes of the formats recognised without their extension (a scan saved as "scan001").
_MAGIC = (
    (b"%PDF-", ".pdf"),
    (b"\x89PNG\r\n\x1a\n", ".png"),
    (b"\xff\xd8\xff", ".jpg"),
    (b"II*\x00", ".tif"),
    (b"MM\x00*", ".tif"),
)


def sniff_suffix(path: Path) -> str | None:
    """The extension a PDF or an image should have, from its first bytes (None otherwise)."""
    try:
        with path.open("rb") as f:
            head = f.read(8)
    except OSError:
        return None
    return next((suffix for magic, suffix in _MAGIC if head.startswith(magic)), None)


def is_supported(path: Path) -> bool:
    return path.suffix.lower() in SUPPORTED_SUFFIXES


def has_scanned_pages(path: Path) -> bool:
    """Whether parsing ``path`` will run OCR (an image, a PDF with scanned pages), when OCR
    is available: a quick look (no rendering, no character-level text), so that the
    service can send long scans to their own lane."""
    from socle import ocr

    suffix = path.suffix.lower() if path.suffix.lower() in SUPPORTED_SUFFIXES else sniff_suffix(path)
    if suffix not in IMAGE_SUFFIXES and suffix != ".pdf":
        return False
    try:
        if not ocr.available():
            return False
    except ConfigError:
        return False
    if suffix in IMAGE_SUFFIXES:
        return True
    from socle.parse.pdf import count_scanned_pages

    return count_scanned_pages(path) > 0


def parse_path(path: Path) -> list[Document]:
    """Parse one file with the parser for its extension.

    Raises ParseError for unsupported, unreadable, corrupt or empty files.
    """
    suffix = path.suffix.lower()
    parser = _registry().get(suffix)
    if parser is None and (sniffed := sniff_suffix(path)) is not None:
        parser = _registry()[sniffed]
    if parser is None:
        raise ParseError(f"{path} : format non pris en charge ({suffix or 'sans extension'})")
    from socle.parse._limits import call_with_time_limit

    try:
        docs = call_with_time_limit(partial(parser, path), path)
    except (ParseError, ConfigError):  # a wrong limit setting stops the batch, it is no file's fault
        raise
    except Exception as exc:  # a parser library failing on bad input
        raise ParseError(f"{path} : fichier illisible ou corrompu ({type(exc).__name__}: {exc})") from exc
    if not docs or all(not d.blocks for d in docs):
        raise ParseError(f"{path} : aucun texte extrait (document vide ou scanné sans OCR)")
    return docs


__all__ = [
    "IMAGE_SUFFIXES",
    "SUPPORTED_SUFFIXES",
    "ParseError",
    "Parser",
    "has_scanned_pages",
    "is_supported",
    "parse_path",
    "sniff_suffix",
]
