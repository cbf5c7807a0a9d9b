"""Word documents (.docx), through python-docx.

The body is read in order: paragraphs, tables (one block per row, cells joined by " | ")
and content controls. Headings are recognised by their style ("Heading N", its French name
"Titre N", "Title"/"Titre", or a style based on one of them) or by an explicit outline
level. Headers, footers, comments and footnotes are not read.

The archive is checked before python-docx opens it (:func:`socle.parse._limits.check_archive`),
and each paragraph style is resolved once per document: python-docx resolves an unstyled
paragraph's default style by scanning every style, about a millisecond a paragraph, which
made 4 MB of short paragraphs cost minutes.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from pathlib import Path

import docx
from docx.document import Document as DocxDocument
from docx.opc.exceptions import PackageNotFoundError
from docx.oxml.ns import qn
from docx.oxml.xmlchemy import BaseOxmlElement
from docx.styles.style import ParagraphStyle
from docx.table import Table
from docx.text.paragraph import Paragraph

from socle.errors import ParseError
from socle.models import Block, Document
from socle.parse._common import check_file, file_key, first_heading, make_block, normalize_text, pick_title
from socle.parse._limits import check_archive

MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

_HEADING_STYLE_RE = re.compile(r"^(?:heading|titre)\s*([1-9])$", re.IGNORECASE)
_TITLE_STYLE_RE = re.compile(r"^(?:title|titre)$", re.IGNORECASE)


def parse(path: Path) -> list[Document]:
    check_file(path)
    if not zipfile.is_zipfile(path):
        raise ParseError(
            f"{path} : ce n'est pas un document Word .docx valide (fichier corrompu ou ancien format .doc ?)"
        )
    check_archive(path)
    try:
        document = docx.Document(str(path))
    except (PackageNotFoundError, KeyError, zipfile.BadZipFile) as exc:
        raise ParseError(f"{path} : document Word .docx invalide ou corrompu ({exc})") from exc

    blocks: list[Block] = []
    styles: dict[str | None, tuple[int, int | None]] = {}
    for item in _iter_body(document):
        if isinstance(item, Paragraph):
            level = _heading_level(item, styles)
            block = make_block(item.text, "heading" if level else "paragraph", level)
            if block is not None:
                blocks.append(block)
        else:
            blocks.extend(_table_blocks(item))

    props = document.core_properties
    core_title = normalize_text(props.title or "")
    described = {"keywords": normalize_text(props.keywords or ""), "subject": normalize_text(props.subject or "")}
    return [
        Document(
            key=file_key(path),
            title=pick_title(core_title, first_heading(blocks), path=path),
            blocks=blocks,
            source=str(path),
            mime=MIME,
            metadata={k: v for k, v in described.items() if v},
        )
    ]


def _iter_body(document: DocxDocument) -> Iterator[Paragraph | Table]:
    """Paragraphs and tables of the body in document order, including those wrapped in
    block-level content controls (w:sdt), which python-docx's own iteration skips."""

    def walk(parent: BaseOxmlElement) -> Iterator[Paragraph | Table]:
        for child in parent.iterchildren():
            if child.tag == qn("w:p"):
                yield Paragraph(child, document._body)
            elif child.tag == qn("w:tbl"):
                yield Table(child, document._body)
            elif child.tag == qn("w:sdt"):
                content = child.find(qn("w:sdtContent"))
                if content is not None:
                    yield from walk(content)

    yield from walk(document.element.body)


def _heading_level(paragraph: Paragraph, styles: dict[str | None, tuple[int, int | None]]) -> int:
    """Heading level (1 = top) of a paragraph, 0 for body text; ``styles`` caches what
    each paragraph style says (see :func:`_style_heading`)."""
    style_id = paragraph._p.style  # None: the document's default paragraph style
    if style_id not in styles:
        styles[style_id] = _style_heading(paragraph.style)
    named, style_outline = styles[style_id]
    if named:
        return named
    outline = _outline_level(paragraph._p)
    if outline is None:
        outline = style_outline
    if outline is not None and 0 <= outline <= 8:  # 9 means "body text"
        return outline + 1
    return 0


def _style_heading(style: ParagraphStyle | None) -> tuple[int, int | None]:
    """What a paragraph style says of its paragraphs: the heading level its name gives
    (0 if none), following "based on" to the built-in heading, and the first outline level
    met along that chain."""
    outline: int | None = None
    depth = 0
    while style is not None and depth < 10:
        name = style.name or ""
        match = _HEADING_STYLE_RE.match(name)
        if match:
            return int(match.group(1)), outline
        if _TITLE_STYLE_RE.match(name):
            return 1, outline
        if outline is None:
            outline = _outline_level(style.element)
        style = style.base_style
        depth += 1
    return 0, outline


def _outline_level(element: BaseOxmlElement) -> int | None:
    p_pr = element.find(qn("w:pPr"))
    if p_pr is None:
        return None
    outline = p_pr.find(qn("w:outlineLvl"))
    if outline is None:
        return None
    try:
        return int(outline.get(qn("w:val"), ""))
    except ValueError:
        return None


def _table_blocks(table: Table) -> list[Block]:
    blocks: list[Block] = []
    for row in table.rows:
        cells: list[str] = []
        previous = None
        for cell in row.cells:
            if cell._tc is previous:  # a merged cell is returned once per grid column
                continue
            previous = cell._tc
            text = normalize_text(cell.text)
            if text:
                cells.append(text)
        block = make_block(" | ".join(cells))
        if block is not None:
            blocks.append(block)
    return blocks
