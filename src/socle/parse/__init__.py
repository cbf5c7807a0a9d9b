"""Turn files into :class:`~socle.models.Document` s, one module per format.

Every parser takes a path and returns a list of documents (one for most formats, one per
line for JSONL). A file that cannot be read raises :class:`ParseError` with a message in
French for the user; the ingestion loop reports it and goes on with the batch. One file's
parse is bounded in time (SOCLE_PARSE_TIMEOUT) and zip-based formats in size before they
are opened (:mod:`socle.parse._limits`), so that a hostile file cannot hold ingestion.
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
    from socle.parse import docx, html, jsonl, markdown, odt, pdf, socle_export, text

    return {
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


SUPPORTED_SUFFIXES = (".pdf", ".docx", ".odt", ".html", ".htm", ".md", ".markdown", ".txt", ".jsonl", ".parquet")


def is_supported(path: Path) -> bool:
    return path.suffix.lower() in SUPPORTED_SUFFIXES


def parse_path(path: Path) -> list[Document]:
    """Parse one file with the parser for its extension.

    Raises ParseError for unsupported, unreadable, corrupt or empty files.
    """
    suffix = path.suffix.lower()
    parser = _registry().get(suffix)
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


__all__ = ["SUPPORTED_SUFFIXES", "ParseError", "Parser", "is_supported", "parse_path"]
