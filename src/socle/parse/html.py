"""HTML pages (.html, .htm): main content only, without menus, headers and footers.

trafilatura extracts the main content as Markdown (headings kept as ``#`` lines), which
goes through the same block splitting as Markdown files. For short pages where trafilatura
finds nothing, the text of ``<body>`` minus navigation, header, footer, scripts and styles
is used instead.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import trafilatura
from trafilatura.utils import load_html

from socle.errors import ParseError
from socle.models import Block, BlockKind, Document
from socle.parse._common import (
    decode_bytes,
    file_document,
    first_heading,
    make_block,
    markdown_to_blocks,
    normalize_text,
    pick_title,
    read_bytes,
)

MIME = "text/html"

_META_CHARSET_RE = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_XML_DECL_RE = re.compile(r"^\s*<\?xml[^>]*\?>")

# Elements whose text is never content, in the fallback extraction.
_BOILERPLATE_TAGS = ("nav", "header", "footer", "aside", "script", "style", "noscript", "template", "form")
_HEADING_TAGS = {f"h{n}": n for n in range(1, 7)}
_BLOCK_TAGS = frozenset(
    {"p", "li", "dt", "dd", "blockquote", "pre", "tr", "td", "th", "caption", "figcaption", "address"}
    | {"div", "section", "article", "main", *_HEADING_TAGS}
)
_SHORT_PAGE_CHARS = 250  # trafilatura's own threshold (MIN_EXTRACTED_SIZE) for a "short" extraction


def parse(path: Path) -> list[Document]:
    data = read_bytes(path)
    html = _XML_DECL_RE.sub("", decode_bytes(data, path, declared=_declared_charset(data)))

    markdown = trafilatura.extract(
        html,
        output_format="markdown",
        include_formatting=True,
        include_tables=True,
        include_links=False,
        include_images=False,
        include_comments=False,
        favor_recall=True,
    )
    blocks = markdown_to_blocks(_separate_lines(markdown)) if markdown else []

    root = _parse_tree(html, path)
    if root is not None and len(normalize_text(markdown or "")) < _SHORT_PAGE_CHARS:
        # On short pages trafilatura falls back to a crude extraction that keeps menus and
        # loses headings: the body minus its boilerplate elements is better there.
        blocks = _fallback_blocks(root) or blocks

    meta_title: str | None = None
    metadata = trafilatura.extract_metadata(html)
    if metadata is not None:
        meta_title = metadata.title
    page_title = None
    if root is not None:
        page_title = normalize_text(root.findtext(".//title") or "") or None
    title = pick_title(meta_title, page_title, first_heading(blocks), path=path)
    return file_document(path, title, blocks, MIME)


def _separate_lines(markdown: str) -> str:
    """Make every line of trafilatura's output its own Markdown block.

    trafilatura writes one element per line but does not always leave a blank line between
    two of them, which Markdown would merge into one paragraph. Table rows and code fences
    keep their consecutive lines.
    """
    out: list[str] = []
    in_fence = False
    previous = ""
    for line in markdown.split("\n"):
        stripped = line.strip()
        if stripped.startswith(("```", "~~~")):
            in_fence = not in_fence
            if in_fence and previous:
                out.append("")
        elif not in_fence and previous and stripped and not (previous.startswith("|") and stripped.startswith("|")):
            out.append("")
        out.append(line)
        previous = "" if in_fence else stripped
    return "\n".join(out)


def _declared_charset(data: bytes) -> str | None:
    match = _META_CHARSET_RE.search(data[:4096])
    return match.group(1).decode("ascii") if match else None


def _parse_tree(html: str, path: Path) -> Any:
    """The lxml tree of the page (None if it is not HTML at all). Typed Any: lxml has no
    type stubs."""
    if not html.strip():
        raise ParseError(f"{path} : fichier vide")
    return load_html(html)


def _fallback_blocks(root: Any) -> list[Block]:
    """Blocks from the innermost block-level elements of <body>, boilerplate removed."""
    body = root.find(".//body")
    if body is None:
        body = root
    for tag in _BOILERPLATE_TAGS:
        for el in body.findall(f".//{tag}"):
            el.drop_tree()

    blocks: list[Block] = []

    def add(text: str, kind: BlockKind = "paragraph", level: int = 0) -> None:
        block = make_block(text, kind, level)
        if block is not None:
            blocks.append(block)

    def walk(el: Any) -> None:
        # Text directly under a container (not inside a child block) is its own paragraph.
        pending: list[str] = [el.text or ""]
        for child in el:
            if not isinstance(child.tag, str):  # comments, processing instructions
                pending.append(child.tail or "")
                continue
            tag = child.tag.lower()
            if tag in _HEADING_TAGS or tag == "tr" or (tag in _BLOCK_TAGS and not _has_block_child(child)):
                add("".join(pending))
                pending = []
                if tag in _HEADING_TAGS:
                    add(child.text_content(), "heading", _HEADING_TAGS[tag])
                elif tag == "tr":
                    cells = [normalize_text(c.text_content()) for c in child if isinstance(c.tag, str)]
                    add(" | ".join(c for c in cells if c))
                else:
                    add(child.text_content())
            elif tag in _BLOCK_TAGS or tag in ("table", "tbody", "thead", "tfoot", "ul", "ol", "dl"):
                add("".join(pending))
                pending = []
                walk(child)
            elif tag == "br":
                pending.append("\n")
            else:
                pending.append(child.text_content())
            pending.append(child.tail or "")
        add("".join(pending))

    walk(body)
    return blocks


def _has_block_child(el: Any) -> bool:
    return any(isinstance(d.tag, str) and d.tag.lower() in _BLOCK_TAGS for d in el.iterdescendants())
