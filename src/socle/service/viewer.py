"""The document page: a stored document shown with its structure, the cited span marked.

The store keeps a document as its plain text (blocks joined by a blank line, every offset
in Socle points into it) and its block layout (``documents.blocks``: kind, heading level,
page and length of each block, :func:`socle.store.corpus.blocks_from_layout`). The page is
built from those two, not from the original file, so that the ``debut``/``fin`` offsets of
a citation land exactly:

- a heading block becomes ``<h2>``…``<h6>`` (the document's top level is ``<h2>``, under
  the page's ``<h1>``, the title; a first block that repeats the title is not shown twice);
- consecutive rows whose cells the parsers joined by " | " become a ``<table>``, the first
  row its header (as :mod:`socle.extract` reads them);
- consecutive paragraphs numbered 1., 2., 3. become an ``<ol>``;
- a block that keeps its line breaks (code) becomes ``<pre>``, any other a ``<p>``.

A document stored without layout (before layouts were kept) gets paragraphs and tables.
The parsers keep no mark of bullet lists (their items are paragraphs), nor emphasis or
links: those are not shown.

The cited span is wrapped in ``<mark>`` piece by piece when it crosses blocks or cells (a
mark cannot contain a ``<p>`` or a ``<td>``); the first piece has ``id="citation"``, where
the page's links land. The text comes from uploaded files: every piece of it is escaped,
and the only markup on the page is the handful of tags written here — no HTML from the
document, and no Markdown renderer, goes through. (The stored text is not Markdown: its
markers were consumed by the parser, so markdown-it would have nothing to parse.)
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup, escape

from socle.errors import StoreError
from socle.models import BLOCK_SEPARATOR, Block
from socle.store.corpus import blocks_from_layout

TABLE_SEPARATOR = " | "  # how the parsers join a table row's cells (socle.extract.TABLE_SEPARATOR)
_NUMBERED = re.compile(r"(\d{1,3})[.)] (?=\S)")
_RETURN_MAX = 500


@dataclass(frozen=True)
class _Piece:
    """A block of the stored text and where it starts."""

    block: Block
    start: int

    @property
    def end(self) -> int:
        return self.start + len(self.block.text)


def safe_return(path: object) -> str | None:
    """``path`` if it may be the « back to the conversation » link: a path on this site
    (``/a/demo/c/12``), starting with one ``/``; None for anything else — another site
    (``//host``, ``/\\host``, which browsers read as ``//host``), a scheme
    (``javascript:``, ``https:``), spaces or control characters (browsers drop tabs and
    newlines, so ``/\\t/host`` would be ``//host``)."""
    if not isinstance(path, str) or not path.startswith("/") or len(path) > _RETURN_MAX:
        return None
    if path.startswith("//") or "\\" in path or any(c.isspace() or ord(c) < 0x20 or ord(c) == 0x7F for c in path):
        return None
    return path


def render_document(
    doc: Mapping[str, Any], debut: int | None = None, fin: int | None = None, retour: str | None = None
) -> dict[str, Any]:
    """The context ``document.html`` needs besides ``doc`` and ``url``: ``body`` (the text
    as HTML, safe to insert), ``cited`` (whether a span is marked) and ``retour`` (the
    checked return link, or None). ``doc`` is what the store gives for a document: its
    ``text``, its ``title`` and, when the store returns it, its layout ``blocks``."""
    text: str = doc["text"]
    mark = (debut, fin) if debut is not None and fin is not None and 0 <= debut < fin <= len(text) else None
    writer = _Writer(text, mark)
    body = writer.document(_pieces(text, doc.get("blocks")), str(doc.get("title") or ""))
    from socle.ocr import document_summary  # scanned pages read by OCR, flagged when read poorly

    return {
        "body": body,
        "cited": writer.marked,
        "retour": safe_return(retour),
        "ocr": document_summary(doc.get("metadata")),
    }


def _pieces(text: str, layout: object) -> list[_Piece]:
    blocks: list[Block] | None = None
    if isinstance(layout, str):
        try:
            blocks = blocks_from_layout(text, layout)
        except (StoreError, ValueError, TypeError):  # a layout that does not fit: shown without it
            blocks = None
    if blocks is None:
        blocks = [Block(part) for part in text.split(BLOCK_SEPARATOR)]
    pieces, pos = [], 0
    for block in blocks:
        if block.text:
            pieces.append(_Piece(block, pos))
        pos += len(block.text) + len(BLOCK_SEPARATOR)
    return pieces


class _Writer:
    """Writes the HTML of one document, marking the cited span where it shows."""

    def __init__(self, text: str, mark: tuple[int, int] | None) -> None:
        self.text = text
        self.mark = mark
        self.marked = False

    def span(self, start: int, end: int) -> str:
        """``text[start:end]`` escaped, with its part of the cited span in ``<mark>``."""
        if self.mark is None or self.mark[1] <= start or self.mark[0] >= end:
            return str(escape(self.text[start:end]))
        a, b = max(start, self.mark[0]), min(end, self.mark[1])
        attributes = "" if self.marked else ' id="citation" tabindex="-1"'
        self.marked = True
        before, inside, after = (str(escape(self.text[i:j])) for i, j in ((start, a), (a, b), (b, end)))
        return f"{before}<mark{attributes}>{inside}</mark>{after}"

    def touches_mark(self, start: int, end: int) -> bool:
        return self.mark is not None and self.mark[0] < end and start < self.mark[1]

    def document(self, pieces: Sequence[_Piece], title: str) -> Markup:
        html: list[str] = []
        i = 0
        first = pieces[0] if pieces else None
        if first and first.block.text == title.strip() and not self.touches_mark(first.start, first.end):
            i = 1  # the page's <h1> already says it
        top = min((p.block.level for p in pieces[i:] if p.block.kind == "heading"), default=1)
        while i < len(pieces):
            piece = pieces[i]
            if piece.block.kind == "heading":
                n = min(6, 2 + max(0, piece.block.level - top))
                html.append(f"<h{n}>{self.span(piece.start, piece.end)}</h{n}>")
                i += 1
                continue
            rows = _run(pieces, i, lambda b: TABLE_SEPARATOR in b.text)
            if len(rows) >= 2:
                html.append(self.table(rows))
                i += len(rows)
                continue
            items = _numbered_run(pieces, i)
            if len(items) >= 2:
                html.append(self.ordered_list(items))
                i += len(items)
                continue
            tag = "pre" if "\n" in piece.block.text else "p"
            html.append(f"<{tag}>{self.span(piece.start, piece.end)}</{tag}>")
            i += 1
        return Markup("\n".join(html))

    def cells(self, row: _Piece) -> list[tuple[int, int]]:
        spans, pos = [], row.start
        for cell in row.block.text.split(TABLE_SEPARATOR):
            spans.append((pos, pos + len(cell)))
            pos += len(cell) + len(TABLE_SEPARATOR)
        return spans

    def table(self, rows: Sequence[_Piece]) -> str:
        grid = [self.cells(r) for r in rows]
        width = max(len(cells) for cells in grid)

        def row(cells: list[tuple[int, int]], tag: str) -> str:
            scope = ' scope="col"' if tag == "th" else ""
            shown = [f"<{tag}{scope}>{self.span(a, b)}</{tag}>" for a, b in cells]
            shown += [f"<{tag}{scope}></{tag}>"] * (width - len(cells))
            return "<tr>" + "".join(shown) + "</tr>"

        head = row(grid[0], "th")
        body = "".join(row(cells, "td") for cells in grid[1:])
        return f'<div class="table-scroll"><table><thead>{head}</thead><tbody>{body}</tbody></table></div>'

    def ordered_list(self, items: Sequence[tuple[_Piece, int, int]]) -> str:
        first = items[0][1]
        shown = "".join(f"<li>{self.span(p.start + skip, p.end)}</li>" for p, _, skip in items)
        return f'<ol start="{first}">{shown}</ol>' if first != 1 else f"<ol>{shown}</ol>"


def _run(pieces: Sequence[_Piece], i: int, test: Callable[[Block], bool]) -> list[_Piece]:
    """The paragraphs from ``i`` on that pass ``test``, up to the first that does not."""
    out = []
    for piece in pieces[i:]:
        if piece.block.kind != "paragraph" or not test(piece.block):
            break
        out.append(piece)
    return out


def _numbered_run(pieces: Sequence[_Piece], i: int) -> list[tuple[_Piece, int, int]]:
    """Paragraphs from ``i`` numbered n, n+1, n+2…: (piece, number, length of « n. »)."""
    out: list[tuple[_Piece, int, int]] = []
    for piece in pieces[i:]:
        match = _NUMBERED.match(piece.block.text) if piece.block.kind == "paragraph" else None
        if match is None or (out and int(match.group(1)) != out[-1][1] + 1):
            break
        out.append((piece, int(match.group(1)), match.end()))
    return out


__all__ = ["render_document", "safe_return"]
