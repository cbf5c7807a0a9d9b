"""Markdown files (.md, .markdown), CommonMark plus tables, through markdown-it-py.

A YAML front matter block (``---`` ... ``---`` at the start of the file) is not indexed;
its ``title:`` becomes the document title.
"""

from __future__ import annotations

import re
from pathlib import Path

from socle.models import Document
from socle.parse._common import (
    decode_bytes,
    file_document,
    first_heading,
    markdown_to_blocks,
    pick_title,
    read_bytes,
)

MIME = "text/markdown"

_FRONT_MATTER_RE = re.compile(r"\A\ufeff?---[ \t]*\n(.*?\n)?(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.DOTALL)
_YAML_KEY_RE = re.compile(r"[\w-]+[ \t]*:|#|$")
_TITLE_RE = re.compile(r"^title[ \t]*:[ \t]*(.+?)[ \t]*$", re.MULTILINE | re.IGNORECASE)


def parse(path: Path) -> list[Document]:
    source = decode_bytes(read_bytes(path), path)
    source = source.replace("\r\n", "\n").replace("\r", "\n")
    body, meta_title = split_front_matter(source)
    blocks = markdown_to_blocks(body)
    title = pick_title(meta_title, first_heading(blocks, level=1), path=path)
    return file_document(path, title, blocks, MIME)


def split_front_matter(source: str) -> tuple[str, str | None]:
    """(text without its front matter, front matter title or None)."""
    match = _FRONT_MATTER_RE.match(source)
    # A leading "---" may also be a thematic break: front matter must start with "key:".
    if match is None or not _YAML_KEY_RE.match((match.group(1) or "").lstrip("\n")):
        return source, None
    title: str | None = None
    title_match = _TITLE_RE.search(match.group(1) or "")
    if title_match:
        title = title_match.group(1)
        if len(title) >= 2 and title[0] == title[-1] and title[0] in "'\"":
            title = title[1:-1]
    return source[match.end() :], title or None
