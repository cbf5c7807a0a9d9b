"""PostgreSQL restarted while `socle serve` is under load: requests fail cleanly (an HTTP
error with a French message, quickly, no hang), the service recovers by itself, and no
audit or feedback row of a successful request is lost."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from tests.pg_helpers import PGVECTOR_BROKEN, bin_dir, free_port, pgvector_works, private_postgres

pytestmark = pytest.mark.e2e


def test_postgres_restart_during_load(demo_store: Any, tmp_path: Path) -> None:
    httpx = pytest.importorskip("httpx")
    try:
        bin_dir()
    except ImportError as exc:
        pytest.skip(f"PostgreSQL de test indisponible : {exc} (pip install -e '.[dev]')")
    from socle.service.auth import hash_password, new_api_key
    from socle.store import open_store
    from socle.store.transfer import copy_store

    folder = Path(tempfile.mkdtemp(prefix="socle-pg-fault-"))
    with private_postgres(folder) as pg:
        broken = pgvector_works(pg.url)
        if broken:
            pytest.skip(PGVECTOR_BROKEN.format(broken))
        store = open_store(pg.url)
        assert copy_store(demo_store, store).verified
        user = store.create_user("agent", hash_password("mot-de-passe-de-test"))
        store.set_grant(user.id, "demo", "reader")
        key, prefix, digest = new_api_key()
        store.add_api_key(user.id, "charge", prefix, digest)
        answers = [
            store.record_answer(
                {
                    "collection": "demo",
                    "question": f"Question {i}",
                    "answer": "Réponse.",
                    "abstained": False,
                    "mode": "extractive",
                    "model": "extractif",
                    "confidence": 0.5,
                    "citations": [],
                    "footprint": {},
                    "username": "agent",
                }
            )
            for i in range(50)
        ]
        audit_before = len(store.audit_entries())
        store.close()

        port = free_port()
        env = os.environ | {
            "SOCLE_HOME": str(tmp_path / "home"),
            "SOCLE_DB": pg.url,
            "SOCLE_RATE_LIMIT_PER_MINUTE": "1000000",
            "SOCLE_LLM_BACKEND": "extractive",
            # Shorter than the outage: requests arriving while PostgreSQL is down must give
            # up with a clear error; with the default (10 s) they would wait it out.
            "SOCLE_PG_POOL_TIMEOUT": "2",
        }
        log = (tmp_path / "serve.log").open("w")
        server = subprocess.Popen(
            [sys.executable, "-m", "socle", "serve", "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT
        )
        base = f"http://127.0.0.1:{port}"
        outcomes: list[tuple[str, float, float, int, str]] = []  # kind, start, seconds, status, message
        lock = threading.Lock()
        stop = threading.Event()  # set some seconds after the restart
        try:
            deadline = time.monotonic() + 120
            while True:
                try:
                    if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                assert server.poll() is None and time.monotonic() < deadline, (tmp_path / "serve.log").read_text()
                time.sleep(0.3)

            def client(n: int) -> None:
                with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=60) as http:
                    i = 0
                    while not stop.is_set():
                        i += 1
                        if i % 3:
                            kind, url = "search", "/v1/search"
                            body: dict[str, Any] = {"query": f"congés annuels {n}-{i}", "collections": ["demo"], "k": 3}
                        else:
                            kind, url = "feedback", "/v1/feedback"
                            body = {"answer_id": answers[(n * 7 + i) % len(answers)], "useful": bool(i % 2)}
                        t0 = time.monotonic()
                        try:
                            r = http.post(url, json=body)
                            status, message = r.status_code, r.text[:300]
                        except httpx.HTTPError as exc:
                            status, message = 0, repr(exc)
                        with lock:
                            outcomes.append((kind, t0, time.monotonic() - t0, status, message))
                        time.sleep(0.02)

            threads = [threading.Thread(target=client, args=(n,)) for n in range(3)]
            for t in threads:
                t.start()
            # Load first (the first searches build the worker's caches): at least 20 successes.
            warm_until = time.monotonic() + 60
            while time.monotonic() < warm_until:
                with lock:
                    if sum(1 for o in outcomes if o[3] in (200, 201)) >= 20:
                        break
                time.sleep(0.2)
            restart_started = time.monotonic()
            pg.stop("fast")
            time.sleep(6)  # a real outage, longer than the pool timeout
            pg.start()
            restart_ended = time.monotonic()
            time.sleep(12)  # the service must recover by itself
            stop.set()
            for t in threads:
                t.join()
        finally:
            stop.set()
            server.terminate()
            server.wait(timeout=30)

        statuses = Counter(o[3] for o in outcomes)
        sample = next(iter(o[4] for o in outcomes if o[3] >= 400), "")
        print(f"\nslowest request {max(o[2] for o in outcomes):.1f} s; statuses: {dict(statuses)}; failure: {sample}")
        failures = [o for o in outcomes if o[3] not in (200, 201)]
        assert failures, "the outage went unnoticed: the test did not test anything"
        # Failing cleanly: an HTTP error carrying a French message, never a dropped connection or a hang.
        for kind, _, seconds, status, message in failures:
            assert status == 503, (kind, status, message)
            assert seconds < 20, (kind, seconds, message)  # outage 6 s + pool timeout 2 s + reconnection: no hang
        assert any("PostgreSQL" in o[4] or "base de données" in o[4] for o in failures), failures[:3]
        # Recovering by itself: requests started after the restart succeed.
        after = [o for o in outcomes if o[1] > restart_ended + 1]
        assert after and all(o[3] in (200, 201) for o in after), [o for o in after if o[3] not in (200, 201)][:3]
        before = [o for o in outcomes if o[1] + o[2] < restart_started]
        assert before and all(o[3] in (200, 201) for o in before)
        # Nothing lost: every successful search has its audit row, every accepted rating its row.
        store = open_store(pg.url)
        audit = Counter(e["action"] for e in store.audit_entries()[audit_before:])
        feedback_rows = len(store.feedback())
        store.close()
        ok = Counter(o[0] for o in outcomes if o[3] in (200, 201))
        assert audit["search"] >= ok["search"], (audit, ok, statuses)
        assert feedback_rows >= ok["feedback"], (feedback_rows, ok, statuses)
        assert audit["feedback"] >= ok["feedback"]
