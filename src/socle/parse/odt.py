"""OpenDocument text files (.odt), through odfpy.

The body is walked in document order: headings (``text:h`` with their outline level, or a
paragraph in the "Title" style), paragraphs, lists (each item its own block), sections and
tables (one block per row, cells joined by " | "). Comments, tracked deletions and the
generated table of contents are left out. The archive is checked before odfpy opens it
(:func:`socle.parse._limits.check_archive`): odfpy builds a Python object per XML element,
some 40 MB of memory and 2 s for each megabyte of XML.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from xml.parsers.expat import ExpatError

from odf import dc
from odf.element import Element, Node
from odf.namespaces import OFFICENS, TABLENS, TEXTNS
from odf.opendocument import OpenDocument, load

from socle.errors import ParseError
from socle.models import Block, BlockKind, Document
from socle.parse._common import check_file, file_key, first_heading, make_block, normalize_text, pick_title
from socle.parse._limits import check_archive

MIME = "application/vnd.oasis.opendocument.text"

# Elements whose text is not part of the document's content.
_SKIPPED = {
    (OFFICENS, "annotation"),
    (OFFICENS, "annotation-end"),
    (TEXTNS, "tracked-changes"),
    (TEXTNS, "sequence-decls"),
    (TEXTNS, "variable-decls"),
    (TEXTNS, "user-field-decls"),
    (TEXTNS, "table-of-content"),
    (OFFICENS, "forms"),
}
_TABLE_ROWS = {(TABLENS, "table-rows"), (TABLENS, "table-header-rows"), (TABLENS, "table-row-group")}


def parse(path: Path) -> list[Document]:
    check_file(path)
    if not zipfile.is_zipfile(path):
        raise ParseError(f"{path} : ce n'est pas un document OpenDocument .odt valide (fichier corrompu ?)")
    check_archive(path)
    try:
        document = load(str(path))
    except (KeyError, zipfile.BadZipFile, ExpatError) as exc:
        raise ParseError(f"{path} : document .odt invalide ou corrompu ({exc})") from exc

    walker = _Walker(_title_styles(document))
    walker.walk(document.text)
    meta_title = ""
    for element in document.meta.getElementsByType(dc.Title):
        meta_title = normalize_text(_inline_text(element))
        break
    return [
        Document(
            key=file_key(path),
            title=pick_title(meta_title, first_heading(walker.blocks), path=path),
            blocks=walker.blocks,
            source=str(path),
            mime=MIME,
        )
    ]


def _title_styles(document: OpenDocument) -> set[str]:
    """Names of the paragraph styles that are, or derive from, the "Title" style."""
    parents: dict[str, str] = {}
    for container in (document.styles, document.automaticstyles):
        for style in container.childNodes:
            name = style.getAttribute("name") if style.qname[1] == "style" else None
            if name:
                parents[name] = style.getAttribute("parentstylename") or ""
    titles: set[str] = set()
    for name in [*parents, "Title"]:
        current, depth = name, 0
        while current and depth < 10:
            if current == "Title":
                titles.add(name)
                break
            current, depth = parents.get(current, ""), depth + 1
    return titles


class _Walker:
    def __init__(self, title_styles: set[str]) -> None:
        self.title_styles = title_styles
        self.blocks: list[Block] = []

    def add(self, text: str, kind: BlockKind = "paragraph", level: int = 0) -> None:
        block = make_block(text, kind, level)
        if block is not None:
            self.blocks.append(block)

    def walk(self, parent: Element) -> None:
        for child in parent.childNodes:
            if child.nodeType != Node.ELEMENT_NODE or child.qname in _SKIPPED:
                continue
            name = child.qname
            if name == (TEXTNS, "h"):
                self.add(_inline_text(child), "heading", _outline_level(child))
            elif name == (TEXTNS, "p"):
                if child.getAttribute("stylename") in self.title_styles:
                    self.add(_inline_text(child), "heading", 1)
                else:
                    self.add(_inline_text(child))
            elif name == (TABLENS, "table"):
                self.table(child)
            else:  # lists, list items, sections, frames...: their paragraphs, in order
                self.walk(child)

    def table(self, table: Element) -> None:
        for child in table.childNodes:
            if child.nodeType != Node.ELEMENT_NODE:
                continue
            if child.qname in _TABLE_ROWS:
                self.table(child)
            elif child.qname == (TABLENS, "table-row"):
                cells = [
                    normalize_text(_inline_text(cell))
                    for cell in child.childNodes
                    if cell.nodeType == Node.ELEMENT_NODE and cell.qname == (TABLENS, "table-cell")
                ]
                self.add(" | ".join(c for c in cells if c))


def _outline_level(heading: Element) -> int:
    try:
        return max(1, int(heading.getAttribute("outlinelevel") or 1))
    except ValueError:
        return 1


def _inline_text(element: Element) -> str:
    """Text of an element, like ``odf.teletype.extractText`` (spaces, tabs and line breaks
    expanded) but without comments and tracked changes; paragraphs inside it (table cells,
    notes) are separated by a space."""
    parts: list[str] = []
    for child in element.childNodes:
        if child.nodeType == Node.TEXT_NODE:
            parts.append(child.data)
        elif child.nodeType == Node.ELEMENT_NODE and child.qname not in _SKIPPED:
            name = child.qname
            if name == (TEXTNS, "s"):
                parts.append(" " * int(child.getAttribute("c") or 1))
            elif name in ((TEXTNS, "tab"), (TEXTNS, "line-break")):
                parts.append(" ")
            elif name in ((TEXTNS, "p"), (TEXTNS, "h")):
                parts.append(" " + _inline_text(child) + " ")
            else:
                parts.append(_inline_text(child))
    return "".join(parts)
