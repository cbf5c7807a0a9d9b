"""Plain dataclasses shared by every stage of the pipeline.

A parser turns a file into a :class:`Document` made of :class:`Block` s (headings and
paragraphs, each with its page when the format has pages). The document's ``text`` is the
blocks joined by blank lines; every offset in Socle (blocks, chunks, citations) points into
that text, which is what the store keeps, so that a passage can always be highlighted in
its document.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any, Literal

BlockKind = Literal["heading", "paragraph"]

BLOCK_SEPARATOR = "\n\n"

# Metadata fields that describe what a document is about (keywords an author or an
# institution attached to it). They are indexed with the text: see Document.descriptors.
DESCRIPTIVE_METADATA = ("keywords", "tags", "subject", "theme", "description")


@dataclass(frozen=True)
class Block:
    """One structural unit of a document: a heading or a paragraph (or list item, cell...)."""

    text: str
    kind: BlockKind = "paragraph"
    level: int = 0  # heading level (1 = top); 0 for paragraphs
    page: int | None = None  # 1-based page number, for paged formats (PDF)


@dataclass
class Document:
    """A parsed document, before chunking.

    ``key`` identifies the document inside its collection: the external ``id`` of a JSONL
    record, or the source path of a file. Re-ingesting the same key replaces the document.
    """

    key: str
    title: str
    blocks: list[Block]
    source: str = ""  # file path (or "file.jsonl#id")
    url: str | None = None
    mime: str = "text/plain"
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return BLOCK_SEPARATOR.join(b.text for b in self.blocks)

    def block_offsets(self) -> list[tuple[int, int]]:
        """Character span of every block inside :attr:`text`."""
        spans: list[tuple[int, int]] = []
        pos = 0
        for b in self.blocks:
            spans.append((pos, pos + len(b.text)))
            pos += len(b.text) + len(BLOCK_SEPARATOR)
        return spans

    @property
    def descriptors(self) -> str:
        """The descriptive metadata (keywords, subject, theme...) as one line of text."""
        parts: list[str] = []
        for name in DESCRIPTIVE_METADATA:
            value = self.metadata.get(name)
            if isinstance(value, str):
                parts.append(value.strip())
            elif isinstance(value, list):
                parts.extend(str(v).strip() for v in value)
        return " ; ".join(p for p in parts if p)

    @property
    def content_hash(self) -> str:
        """Hash of what the index depends on, so an unchanged document is skipped."""
        h = hashlib.sha256()
        h.update(self.title.encode())
        h.update(b"\x1d" + self.descriptors.encode())
        for b in self.blocks:
            h.update(f"\x1e{b.kind}\x1f{b.level}\x1f{b.page}\x1f".encode())
            h.update(b.text.encode())
        return h.hexdigest()


@dataclass(frozen=True)
class Chunk:
    """A retrievable piece of a document, with where it comes from."""

    text: str
    start: int  # character offsets into Document.text
    end: int
    ordinal: int  # position of the chunk in its document
    headings: tuple[str, ...] = ()  # heading path above the chunk, outermost first
    page: int | None = None  # page where the chunk starts


@dataclass
class SourcedDocument(Document):
    """A document whose ``content_hash`` is given, not computed: the hash of the source it
    was derived from (a pseudonymised document hashes as its original; a document re-imported
    from a `socle export` keeps the hash it was exported with), so that an unchanged source
    is recognised at the next ingestion."""

    source_hash: str = ""

    @property
    def content_hash(self) -> str:
        return self.source_hash or super().content_hash


@dataclass(frozen=True)
class Passage:
    """A chunk returned by retrieval, with its provenance and scores."""

    chunk_id: int
    document_key: str
    document_title: str
    collection: str
    text: str
    start: int
    end: int
    headings: tuple[str, ...]
    page: int | None
    source: str
    url: str | None
    score: float  # fused score of the document, used for ranking (standard deviations above the mean)
    chunk_score: float = 0.0  # fused score of this chunk among the collection's chunks
    lexical_rank: int | None = None  # 1-based rank in the lexical list, if present
    dense_rank: int | None = None
    dense_score: float | None = None

    @property
    def location(self) -> str:
        """Human-readable location inside the document (French, shown to users)."""
        parts = []
        if self.page is not None:
            parts.append(f"p. {self.page}")
        headings = [h for h in self.headings if h != self.document_title]
        if headings:
            parts.append(" › ".join(headings))
        return ", ".join(parts)
