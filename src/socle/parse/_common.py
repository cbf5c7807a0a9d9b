"""Helpers shared by the parsers: text normalisation, decoding, titles, Markdown to blocks.

Every parser builds its blocks through :func:`make_block` (or :func:`clean_blocks`), so
that all formats get the same treatment: NFC Unicode, whitespace collapsed, invisible
characters removed, empty blocks dropped.
"""

from __future__ import annotations

import codecs
import html as html_lib
import re
import unicodedata
from collections.abc import Iterable, Sequence
from pathlib import Path

from markdown_it import MarkdownIt
from markdown_it.token import Token

from socle.errors import ParseError
from socle.models import Block, BlockKind, Document

TITLE_MAX_CHARS = 120

# Characters that carry no text: soft hyphen, zero-width space/joiners, word joiner, BOM,
# and the "hyphen at line end" marker some PDF engines emit.
_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff\ufffe"), None)
# Every kind of horizontal space (tabs, no-break and thin spaces...) becomes a plain space.
_HSPACE_RE = re.compile(r"[^\S\n]+")
_ANY_SPACE_RE = re.compile(r"\s+")
# C0/C1 control characters other than tab and newline.
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_FINAL_PUNCT = ".!?…:;»\"'”)"


def normalize_text(text: str, *, keep_newlines: bool = False) -> str:
    """NFC-normalise ``text`` and collapse its whitespace.

    By default every run of whitespace (newlines included) becomes one space, which is what
    a paragraph or a heading needs. With ``keep_newlines`` (code blocks), lines are kept but
    each is collapsed and stripped, and blank lines are dropped: a block must never contain
    the blank line that separates blocks in :attr:`Document.text`.
    """
    text = unicodedata.normalize("NFC", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n").translate(_INVISIBLE)
    text = _CONTROL_RE.sub(" ", text)
    if not keep_newlines:
        return _ANY_SPACE_RE.sub(" ", text).strip()
    lines = (_HSPACE_RE.sub(" ", line).strip() for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def make_block(
    text: str,
    kind: BlockKind = "paragraph",
    level: int = 0,
    page: int | None = None,
    *,
    keep_newlines: bool = False,
) -> Block | None:
    """A normalised block, or None when nothing is left of ``text``."""
    clean = normalize_text(text, keep_newlines=keep_newlines)
    if not clean:
        return None
    level = max(1, level) if kind == "heading" else 0
    return Block(text=clean, kind=kind, level=level, page=page)


def clean_blocks(blocks: Iterable[Block]) -> list[Block]:
    """Normalise every block's text and drop the empty ones."""
    out: list[Block] = []
    for b in blocks:
        nb = make_block(b.text, b.kind, b.level, b.page, keep_newlines="\n" in b.text)
        if nb is not None:
            out.append(nb)
    return out


def ends_with_final_punctuation(text: str) -> bool:
    return text.rstrip().endswith(tuple(_FINAL_PUNCT))


# --------------------------------------------------------------------------- files


def file_key(path: Path) -> str:
    """The document key of a file: its absolute, resolved path."""
    return str(path.resolve())


def check_file(path: Path) -> int:
    """Check that ``path`` is a readable, non-empty file; return its size in bytes."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise ParseError(f"{path} : fichier introuvable") from None
    except OSError as exc:
        raise ParseError(f"{path} : impossible de lire le fichier ({exc.strerror or exc})") from exc
    if not path.is_file():
        raise ParseError(f"{path} : ce n'est pas un fichier")
    if size == 0:
        raise ParseError(f"{path} : fichier vide")
    return size


def read_bytes(path: Path) -> bytes:
    """The content of a non-empty file, with French errors for missing/unreadable/empty."""
    check_file(path)
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ParseError(f"{path} : impossible de lire le fichier ({exc.strerror or exc})") from exc


_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# Single-byte encodings that French files actually use. Charset detection on short French
# text often answers cp1250 (Central European), which decodes "è" as "č": when a Western
# encoding is among the equally plausible candidates, it wins.
_WESTERN = {"cp1252", "latin_1", "iso8859_15", "iso8859_1"}


def decode_bytes(data: bytes, path: Path, declared: str | None = None) -> str:
    """Decode file content: BOM, then ``declared`` encoding, then UTF-8, then detection.

    Files from French administrations are mostly UTF-8 or Windows-1252 (Latin-1); the
    detection is biased towards cp1252 for that reason.
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data.decode(encoding, errors="replace")
    if declared:
        try:
            return data.decode(declared)
        except (LookupError, UnicodeDecodeError):
            pass
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass

    from charset_normalizer import from_bytes

    matches = list(from_bytes(data))
    if not matches:
        raise ParseError(f"{path} : encodage des caractères non reconnu (fichier binaire ?)")
    best = matches[0]
    for match in matches:
        if match.chaos <= best.chaos + 0.05 and _WESTERN.intersection(match.could_be_from_charset):
            return _decode_cp1252(data)
    return str(best)


def _decode_cp1252(data: bytes) -> str:
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:  # the 5 bytes cp1252 leaves undefined: Latin-1 then
        return data.decode("latin-1")


# --------------------------------------------------------------------------- titles


def truncate_title(text: str, limit: int = TITLE_MAX_CHARS) -> str:
    """``text`` on one line, cut at a word boundary to at most ``limit`` characters."""
    text = normalize_text(text)
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:-–—") + "…"


def first_heading(blocks: Sequence[Block], level: int | None = None) -> str | None:
    """Text of the first heading (of ``level`` if given), or None."""
    for b in blocks:
        if b.kind == "heading" and (level is None or b.level == level):
            return b.text
    return None


def pick_title(*candidates: str | None, path: Path) -> str:
    """The first non-empty candidate (normalised, truncated), else the file stem."""
    for candidate in candidates:
        if candidate:
            title = truncate_title(candidate)
            if title:
                return title
    return path.stem


# --------------------------------------------------------------------------- plain lines

_LIST_MARKER_RE = re.compile(r"^\s*(?:[-*+•◦▪●–—·]|\d{1,3}[.)]|[a-zA-Z][.)])\s+\S")
_BULLET_RE = re.compile(r"^\s*[-*+•◦▪●–—·]\s+")
_HYPHEN_BREAK_RE = re.compile(r"(\w)-$")


def starts_list_item(line: str) -> bool:
    return bool(_LIST_MARKER_RE.match(line))


def strip_bullet(line: str) -> str:
    """Remove a leading bullet symbol (numbers are kept: "1." carries information)."""
    return _BULLET_RE.sub("", line, count=1)


def join_lines(lines: Sequence[str]) -> str:
    """Join hard-wrapped lines of one paragraph, repairing words split by a hyphen.

    "adminis-" + "tration" gives "administration"; "Saint-" + "Exemple" keeps its hyphen
    (the next line starts with a capital, or the first part is a number, so the hyphen is
    part of the word).
    """
    out = ""
    for raw in lines:
        line = raw.strip()
        if not line:
            continue
        if not out:
            out = line
        elif _HYPHEN_BREAK_RE.search(out) and out[-2].isalpha() and line[0].islower():
            out = out[:-1] + line
        else:
            out = f"{out} {line}"
    return out


# --------------------------------------------------------------------------- markdown

_TAG_RE = re.compile(r"<[^>]*>")
_BR_RE = re.compile(r"<br\s*/?>", re.IGNORECASE)


def _markdown_parser() -> MarkdownIt:
    return MarkdownIt("commonmark").enable(["table", "strikethrough"])


def _html_to_text(fragment: str) -> str:
    return html_lib.unescape(_TAG_RE.sub(" ", _BR_RE.sub("\n", fragment)))


def _inline_text(token: Token) -> str:
    """Plain text of an inline token: markup dropped, links and images reduced to text."""
    parts: list[str] = []
    for child in token.children or []:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif child.type == "image":
            parts.append(child.content)  # alt text
        elif child.type == "html_inline":
            parts.append(" " if _BR_RE.fullmatch(child.content.strip()) else "")
    return "".join(parts)


def markdown_to_blocks(source: str) -> list[Block]:
    """Blocks of a Markdown text: headings with their level, paragraphs, list items,
    quotes, code blocks, table rows (cells joined by " | ")."""
    tokens = _markdown_parser().parse(source)
    blocks: list[Block] = []

    def add(text: str, kind: BlockKind = "paragraph", level: int = 0, keep_newlines: bool = False) -> None:
        block = make_block(text, kind, level, keep_newlines=keep_newlines)
        if block is not None:
            blocks.append(block)

    item_prefix: list[str] = []  # pending number of ordered list items, innermost last
    row: list[str] | None = None
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok.type == "heading_open":
            add(_inline_text(tokens[i + 1]), "heading", int(tok.tag[1:]))
            i += 3
            continue
        if tok.type == "list_item_open":
            item_prefix.append(f"{tok.info}{tok.markup} " if tok.info else "")
        elif tok.type == "list_item_close":
            item_prefix.pop()
        elif tok.type == "tr_open":
            row = []
        elif tok.type == "tr_close":
            if row is not None:
                add(" | ".join(cell for cell in row if cell))
            row = None
        elif tok.type == "inline":
            text = normalize_text(_inline_text(tok))
            if row is not None:
                row.append(text)
            else:
                if item_prefix and item_prefix[-1]:
                    text = item_prefix[-1] + text
                    item_prefix[-1] = ""  # only the item's first paragraph is numbered
                add(text)
        elif tok.type in ("fence", "code_block"):
            add(tok.content, keep_newlines=True)
        elif tok.type == "html_block":
            for line in _html_to_text(tok.content).split("\n"):
                add(line)
        i += 1
    return blocks


def file_document(path: Path, title: str, blocks: list[Block], mime: str) -> list[Document]:
    """The one document a single-document file yields, keyed by its resolved path."""
    return [Document(key=file_key(path), title=title, blocks=blocks, source=str(path), mime=mime)]
