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
from typing import NamedTuple

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


def _is_lead_in(text: str) -> bool:
    """A short line that introduces what follows: a FAQ question, "Pièces à fournir :", a
    heading written as a plain paragraph. It belongs with the next block, not the previous."""
    stripped = text.rstrip()
    return _word_count(stripped) <= 20 and (stripped.endswith(("?", ":")) or stripped[-1:].isalnum())


class _Piece(NamedTuple):
    start: int
    end: int
    words: int
    page: int | None
    lead_in: bool  # introduces what follows (heading, question): never ends a chunk
    heading: bool


def chunk_document(doc: Document, max_words: int = DEFAULT_MAX_WORDS) -> list[Chunk]:
    """Cut ``doc`` into chunks of at most ``max_words`` words, following its structure."""
    text = doc.text
    chunks: list[Chunk] = []
    heading_stack: list[tuple[int, str]] = []
    current: list[_Piece] = []
    headings: tuple[str, ...] = ()

    def emit(pieces: list[_Piece]) -> None:
        if pieces:
            start, end = pieces[0].start, pieces[-1].end
            chunks.append(Chunk(text[start:end], start, end, len(chunks), headings, pieces[0].page))

    for block, (start, end) in zip(doc.blocks, doc.block_offsets(), strict=True):
        n = _word_count(block.text)
        if block.kind == "heading":
            if any(not p.heading for p in current):
                emit(current)
                current = []
            level = max(block.level, 1)
            while heading_stack and heading_stack[-1][0] >= level:
                heading_stack.pop()
            heading_stack.append((level, block.text))
            headings = tuple(h for _, h in heading_stack)
            current.append(_Piece(start, end, n, block.page, True, True))
            continue
        if not current:
            headings = tuple(h for _, h in heading_stack)
        if n > max_words:
            # Lead-ins right before (a heading, a question) go with the first piece.
            lead = current if current and all(p.lead_in for p in current) else []
            if not lead:
                emit(current)
            for i, (s, e) in enumerate(_split_long(block.text, start, max_words)):
                s = lead[0].start if i == 0 and lead else s
                chunks.append(Chunk(text[s:e], s, e, len(chunks), headings, block.page))
            current = []
            continue
        size = sum(p.words for p in current)
        if current and size + n > max_words:
            only_lead_ins = all(p.lead_in for p in current)
            if not (only_lead_ins and size <= max_words // 4):
                carry: list[_Piece] = []
                if not only_lead_ins:
                    while current[-1].lead_in:
                        carry.insert(0, current.pop())
                emit(current)
                current = carry
        current.append(_Piece(start, end, n, block.page, _is_lead_in(block.text), False))
    emit(current)
    return chunks


def index_text(doc_title: str, chunk: Chunk, descriptors: str = "") -> str:
    """What gets embedded and lexically indexed for a chunk: its context, then its text.

    Prefixing the title, the document's keywords and the heading path lets a chunk that
    never names its subject ("Le délai est de deux mois.") still match a question about it.
    """
    context = [doc_title, descriptors, *chunk.headings]
    lines = [c for c in dict.fromkeys(context) if c and not chunk.text.startswith(c)]
    return "\n".join([*lines, chunk.text])
