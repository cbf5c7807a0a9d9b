"""Structure-aware chunking of French documents.

A chunk is a contiguous span of the document text (so it can be highlighted as is), made
of whole blocks where possible: a heading starts a new chunk, paragraphs are packed up to
``max_words``, a paragraph longer than that is split between sentences, and a sentence
longer than that between words. Nothing is ever cut inside a word.

Sentence splitting is a small rule set for French rather than a library: pysbd's French
mode splits after common abbreviations ("art.", "janv.", "p. ex."), which are everywhere
in administrative texts.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from socle.models import Chunk, Document

DEFAULT_MAX_WORDS = 120

_ABBREVIATIONS = frozenset(
    [
        "art",
        "al",
        "cf",
        "ex",
        "p",
        "pp",
        "etc",
        "vol",
        "chap",
        "éd",
        "ed",
        "fig",
        "n",
        "no",
        "nº",
        "réf",
        "ref",
        "env",
        "min",
        "max",
        "éq",
        "av",
        "apr",
        "janv",
        "févr",
        "fév",
        "avr",
        "juil",
        "sept",
        "oct",
        "nov",
        "déc",
        "m",
        "mm",
        "mme",
        "mmes",
        "mlle",
        "mlles",
        "dr",
        "pr",
        "me",
        "mgr",
        "st",
        "ste",
        "bd",
        "av",
        "vs",
        "ibid",
        "op",
        "loc",
        "cit",
    ]
)
# Candidate boundary: end punctuation, optional closing quote/bracket, whitespace.
_BOUNDARY = re.compile(r"[.!?…]+[»\"')\]]*\s+")
_WORD = re.compile(r"\S+")


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Character spans of the sentences of ``text`` (whitespace between them excluded)."""
    spans: list[tuple[int, int]] = []
    start = 0
    for m in _BOUNDARY.finditer(text):
        end_punct = m.start() + len(m.group().rstrip())
        nxt = text[m.end() : m.end() + 1]
        if not nxt or not (nxt.isupper() or nxt.isdigit() or nxt in "«\"'(-–—"):
            continue
        if text[m.start()] == ".":
            prev = re.search(r"(\S+)$", text[start : m.start()])
            word = re.split(r"['’(«\"]", prev.group(1).lower())[-1] if prev else ""
            if word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha()):
                continue
        if end_punct > start:
            spans.append((start, end_punct))
        start = m.end()
    tail = text[start:].rstrip()
    if tail:
        spans.append((start, start + len(tail)))
    return spans


def _word_count(text: str) -> int:
    return len(_WORD.findall(text))


def _split_long(text: str, offset: int, max_words: int) -> Iterator[tuple[int, int]]:
    """Spans (absolute) of pieces of one over-long paragraph, each ≤ max_words if possible."""
    pieces: list[tuple[int, int]] = []
    for s, e in split_sentences(text):
        words = list(_WORD.finditer(text, s, e))
        if len(words) <= max_words:
            pieces.append((s, e))
            continue
        for i in range(0, len(words), max_words):
            group = words[i : i + max_words]
            pieces.append((group[0].start(), group[-1].end()))
    cur_start: int | None = None
    cur_end = 0
    cur_words = 0
    for s, e in pieces:
        n = _word_count(text[s:e])
        if cur_start is not None and cur_words + n > max_words:
            yield offset + cur_start, offset + cur_end
            cur_start = None
            cur_words = 0
        if cur_start is None:
            cur_start = s
        cur_end = e
        cur_words += n
    if cur_start is not None:
        yield offset + cur_start, offset + cur_end


def chunk_document(doc: Document, max_words: int = DEFAULT_MAX_WORDS) -> list[Chunk]:
    """Cut ``doc`` into chunks of at most ``max_words`` words, following its structure."""
    text = doc.text
    chunks: list[Chunk] = []
    heading_stack: list[tuple[int, str]] = []

    cur_start: int | None = None
    cur_end = 0
    cur_words = 0
    cur_has_body = False
    cur_headings: tuple[str, ...] = ()
    cur_page: int | None = None

    def flush() -> None:
        nonlocal cur_start, cur_words, cur_has_body
        if cur_start is not None and cur_end > cur_start:
            chunks.append(
                Chunk(
                    text=text[cur_start:cur_end],
                    start=cur_start,
                    end=cur_end,
                    ordinal=len(chunks),
                    headings=cur_headings,
                    page=cur_page,
                )
            )
        cur_start = None
        cur_words = 0
        cur_has_body = False

    for block, (start, end) in zip(doc.blocks, doc.block_offsets(), strict=True):
        n = _word_count(block.text)
        if block.kind == "heading":
            if cur_has_body:
                flush()
            level = max(block.level, 1)
            while heading_stack and heading_stack[-1][0] >= level:
                heading_stack.pop()
            heading_stack.append((level, block.text))
            if cur_start is None:
                cur_start, cur_page = start, block.page
            cur_end = end
            cur_words += n
            cur_headings = tuple(h for _, h in heading_stack)
            continue
        if n > max_words:
            flush()
            for s, e in _split_long(block.text, start, max_words):
                chunks.append(
                    Chunk(
                        text=text[s:e],
                        start=s,
                        end=e,
                        ordinal=len(chunks),
                        headings=tuple(h for _, h in heading_stack),
                        page=block.page,
                    )
                )
            continue
        if cur_has_body and cur_words + n > max_words:
            flush()
        if cur_start is None:
            cur_start, cur_page = start, block.page
            cur_headings = tuple(h for _, h in heading_stack)
        cur_end = end
        cur_words += n
        cur_has_body = True
    flush()
    return chunks


def index_text(doc_title: str, chunk: Chunk) -> str:
    """What gets embedded and lexically indexed for a chunk: its context, then its text.

    Prefixing the title and heading path lets a chunk that never names its subject
    ("Le délai est de deux mois.") still match a question about that subject.
    """
    context = [doc_title, *chunk.headings]
    lines = [c for c in dict.fromkeys(context) if c and not chunk.text.startswith(c)]
    return "\n".join([*lines, chunk.text])
