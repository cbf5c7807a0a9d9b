"""Plain text files (.txt), in UTF-8 or a legacy encoding (Windows-1252 / Latin-1).

Paragraphs are separated by blank lines. Inside a paragraph, hard-wrapped lines are
joined; a line break is kept as a paragraph break when it is clearly intentional: the line
is short enough that the next word would have fitted on it, the next line starts a list
item, or (in files that are not hard-wrapped) the line ends a sentence. No heading is
guessed: a short line alone stays a paragraph.
"""

from __future__ import annotations

import re
from pathlib import Path

from socle.models import Block, Document
from socle.parse._common import (
    TITLE_MAX_CHARS,
    decode_bytes,
    ends_with_final_punctuation,
    file_document,
    join_lines,
    make_block,
    normalize_text,
    pick_title,
    read_bytes,
    starts_list_item,
    strip_bullet,
)

MIME = "text/plain"

_BLANK_LINES_RE = re.compile(r"\n[^\S\n]*\n\s*")
_WRAPPED_WIDTH_MAX = 100  # beyond this width, a file is taken as one paragraph per line


def parse(path: Path) -> list[Document]:
    text = decode_bytes(read_bytes(path), path)
    blocks = text_to_blocks(text)
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    first_line = normalize_text(first_line)
    title = pick_title(first_line if len(first_line) < TITLE_MAX_CHARS else None, path=path)
    return file_document(path, title, blocks, MIME)


def text_to_blocks(text: str) -> list[Block]:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n\n")
    blocks: list[Block] = []
    for group in _BLANK_LINES_RE.split(text):
        lines = [line.rstrip() for line in group.split("\n") if line.strip()]
        if not lines:
            continue
        # The wrapping width of the group: its longest line. Files mix wrapped paragraphs
        # and long unwrapped lines, so a width for the whole file would mislead.
        width = max(len(line) for line in lines)
        for para in _split_group(lines, width, wrapped=width <= _WRAPPED_WIDTH_MAX):
            block = make_block(para)
            if block is not None:
                blocks.append(block)
    return blocks


def _split_group(lines: list[str], width: int, wrapped: bool) -> list[str]:
    """Split the lines of a blank-line-separated group into paragraphs."""
    paragraphs: list[list[str]] = [[]]
    for i, line in enumerate(lines):
        if i > 0 and _is_break(lines[i - 1], line, width, wrapped):
            paragraphs.append([])
        paragraphs[-1].append(strip_bullet(line) if starts_list_item(line) else line)
    return [join_lines(p) for p in paragraphs if p]


def _is_break(prev: str, line: str, width: int, wrapped: bool) -> bool:
    if starts_list_item(line):
        return True
    prev = prev.rstrip()
    if prev.endswith("-") and not prev.endswith(" -"):
        return False  # a word cut at the end of the line
    next_word = line.split(maxsplit=1)[0]
    if len(prev) + 1 + len(next_word) <= width:
        return True  # the next word would have fitted: the line was ended on purpose
    starts_sentence = line.lstrip()[:1].isupper() or line.lstrip()[:1].isdigit()
    return not wrapped and ends_with_final_punctuation(prev) and starts_sentence
