"""Ingestion: files → documents → chunks → index, one document per transaction.

Unchanged documents (same content hash) are skipped, changed ones replace their old
chunks, and since each document is committed on its own, running the same command again
after an interruption resumes where it stopped. A file that cannot be parsed is reported
and skipped; the rest of the batch goes on.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from socle.analysis import analyse
from socle.chunk import DEFAULT_MAX_WORDS, chunk_document, index_text
from socle.embed import Embedder
from socle.errors import ParseError
from socle.indexing import annotate, collection_classifier, record_chunk_words
from socle.models import Chunk, Document
from socle.ocr import report_messages
from socle.parse import is_supported, parse_path
from socle.parse.socle_export import export_documents_file
from socle.privacy.policy import DocumentPrivacy
from socle.store import Store

EMBED_BATCH = 32  # chunks per embedding call: keeps progress fluid; 64 or 128 were not faster (issue 18)


@dataclass
class IngestReport:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    chunks: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)  # (source, French message)
    skipped_files: int = 0  # unsupported files met while walking folders
    # Ingested, with a caveat (source, French message): OCR pages read poorly, scanned pages
    # left unread without Tesseract (socle.ocr).
    warnings: list[tuple[str, str]] = field(default_factory=list)
    masked: Counter[str] = field(default_factory=Counter)  # personal data replaced, by type (socle.privacy)


def iter_files(paths: Iterable[Path], report: IngestReport) -> Iterator[Path]:
    """Files to ingest: given files as they are, folders walked recursively (sorted)."""
    for path in paths:
        if path.is_dir() and (exported := export_documents_file(path)) is not None:
            yield exported  # a `socle export` folder: its documents, not its chunks or datasheet
            continue
        if path.is_dir():
            for child in sorted(p for p in path.rglob("*") if p.is_file()):
                if any(part.startswith(".") for part in child.relative_to(path).parts):
                    continue
                if is_supported(child):
                    yield child
                else:
                    report.skipped_files += 1
        elif path.exists():
            yield path
        else:
            report.failed.append((str(path), f"{path} : fichier introuvable"))


def parse_files(
    paths: Iterable[Path], report: IngestReport, on_file: Callable[[Path], None] | None = None
) -> list[Document]:
    documents: list[Document] = []
    for path in iter_files(paths, report):
        if on_file:
            on_file(path)
        try:
            parsed = parse_path(path)
        except ParseError as exc:
            report.failed.append((str(path), str(exc)))
            continue
        documents.extend(parsed)
        for doc in parsed:
            report.warnings.extend((doc.source, f"{path} : {m}") for m in report_messages(doc.metadata))
    return documents


@dataclass
class PreparedDocument:
    """A new or changed document, chunked, waiting for its embeddings."""

    document: Document
    chunks: list[Chunk]
    texts: list[str]  # what gets embedded and indexed, one per chunk
    replaces: bool


def prepare_documents(
    store: Store,
    collection: str,
    documents: list[Document],
    report: IngestReport,
    max_words: int = DEFAULT_MAX_WORDS,
) -> list[PreparedDocument]:
    """Chunk the documents that are new or changed; count the unchanged ones."""
    return list(iter_prepared(store, collection, documents, report, max_words))


def iter_prepared(
    store: Store,
    collection: str,
    documents: Iterable[Document],
    report: IngestReport,
    max_words: int = DEFAULT_MAX_WORDS,
) -> Iterator[PreparedDocument]:
    """:func:`prepare_documents` one document at a time: an upload hands each one to
    :func:`index_prepared` as soon as it is ready, so that the first pages can be searched
    while personal data are still being looked for in the others (the slow part)."""
    seen: set[str] = set()
    store.ensure_collection(collection)  # its settings (privacy mode, chunking) are read and recorded here
    privacy = DocumentPrivacy.for_collection(store, collection)  # personal data out before chunking
    recorded = False
    for doc in documents:
        if doc.key in seen:
            report.failed.append((doc.source, f"{doc.source} : identifiant « {doc.key} » en double, ignoré"))
            continue
        seen.add(doc.key)
        old = store.document_hash(collection, doc.key)
        if old == privacy.content_hash(doc):
            report.unchanged += 1
            continue
        doc = privacy.protect(doc, report.masked)
        chunks = chunk_document(doc, max_words)
        if not chunks:
            report.failed.append((doc.source, f"{doc.source} : aucun texte à indexer"))
            continue
        texts = [index_text(doc.title, c, doc.descriptors) for c in chunks]
        if not recorded:
            record_chunk_words(store, collection, max_words)  # provenance for `socle export`
            recorded = True
        yield PreparedDocument(doc, chunks, texts, old is not None)


def _document_terms(doc: Document) -> list[str]:
    text = doc.text if doc.text.startswith(doc.title) else doc.title + "\n" + doc.text
    return analyse(doc.descriptors + "\n" + text)


def index_prepared(
    store: Store,
    embedder: Embedder | None,
    collection: str,
    prepared: Iterable[PreparedDocument],
    report: IngestReport,
    on_chunks: Callable[[int], None] | None = None,
    on_searchable: Callable[[int], None] | None = None,
) -> None:
    """Store prepared documents, then their vectors.

    Every document is written first with its words, so that it can be found lexically as soon
    as it is parsed (``on_searchable`` is told how many are); its vectors follow
    (:func:`fill_vectors`, ``on_chunks`` counts them), and hybrid search uses them wherever
    they exist. A collection with a controlled vocabulary is the exception: classifying a
    document needs its vectors, so there each document is embedded before it is written."""
    store.ensure_collection(collection, embedder.name if embedder else None)
    classifier = collection_classifier(store, collection, embedder)  # None without a vocabulary

    def write(p: PreparedDocument, vecs: np.ndarray | None) -> None:
        annotate(p.document, classifier, vecs)  # keywords, categories (socle.indexing)
        terms = [analyse(t) for t in p.texts]
        store.put_document(collection, p.document, p.chunks, terms, _document_terms(p.document), vecs)
        report.chunks += len(p.chunks)
        if p.replaces:
            report.updated += 1
        else:
            report.added += 1

    if classifier is None:
        for n, p in enumerate(prepared, 1):
            write(p, None)
            if on_searchable:
                on_searchable(n)
        if embedder is not None:
            fill_vectors(store, embedder, collection, on_chunks)
        return

    def flush(batch: list[PreparedDocument]) -> None:
        texts = [t for p in batch for t in p.texts]
        vectors = embedder.embed_passages(texts) if embedder else None
        pos = 0
        for p in batch:
            n = len(p.chunks)
            write(p, None if vectors is None else vectors[pos : pos + n])
            pos += n
        if on_chunks:
            on_chunks(len(texts))

    batch: list[PreparedDocument] = []
    size = 0
    for p in prepared:
        batch.append(p)
        size += len(p.chunks)
        if size >= EMBED_BATCH:
            flush(batch)
            batch, size = [], 0
    if batch:
        flush(batch)


def fill_vectors(
    store: Store, embedder: Embedder, collection: str, on_chunks: Callable[[int], None] | None = None
) -> int:
    """Embed the collection's chunks that have no vector yet, a batch per transaction: run
    after every ingestion, it also completes one that was interrupted, and on PostgreSQL
    several machines can run it on one collection at once (each batch is claimed:
    :meth:`~socle.store.corpus.CorpusTables.fill_missing_vectors`). Returns how many."""
    done = 0
    while True:
        claimed, _ = store.fill_missing_vectors(collection, EMBED_BATCH, embedder.embed_passages)
        if not claimed:
            return done
        done += claimed
        if on_chunks:
            on_chunks(claimed)


def ingest(
    store: Store,
    embedder: Embedder | None,
    collection: str,
    paths: Iterable[Path],
    max_words: int = DEFAULT_MAX_WORDS,
) -> IngestReport:
    """Parse, chunk, embed and store ``paths`` into ``collection`` (no progress display)."""
    report = IngestReport()
    store.ensure_collection(collection, embedder.name if embedder else None)
    documents = parse_files(paths, report)
    prepared = prepare_documents(store, collection, documents, report, max_words)
    index_prepared(store, embedder, collection, prepared, report)
    return report
