"""Findings of the outside security audit (issue 15) on requests — bodies, chat history, the
API schema, error messages — reproduced as an attacker would, against a real server on
loopback (uvicorn in a thread, real HTTP with httpx). See docs/security.md, « Requests ».

Set-up (tests/service_helpers.py): collections ``demo`` and ``secret``; ``bob`` edits demo,
``alice`` reads demo, ``admin`` is an administrator. Uploads are capped at 1 MB per file here
(so 4 MB per upload request); JSON and form bodies keep their default cap, 1 MB."""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.service_helpers import Env, auth, login, make_env, running_server

MB = 1024 * 1024
JSON = {"Content-Type": "application/json"}
# Words of pydantic's, FastAPI's and Starlette's English messages; « \b » keeps « invalide » clear of « valid ».
ENGLISH = re.compile(
    r"\b(Input|should|required|valid|least|most|than|error|Expecting|decode|parsing|Content Too Large|Not)\b"
)


# -- tools of the attacker and of the observer -----------------------------------------------------
def chunked(head: bytes, size: int, tail: bytes = b"") -> Iterator[bytes]:
    """About ``size`` bytes in 64 KiB chunks. httpx sends a generator with
    ``Transfer-Encoding: chunked`` and no Content-Length, which is what escaped the old check."""
    yield head
    block = b"a" * 65536
    for _ in range(size // len(block)):
        yield block
    yield tail


def multipart(size: int, filename: str = "gros.txt") -> tuple[Iterator[bytes], dict[str, str]]:
    """A streamed multipart upload of one ``size``-byte file to ``/v1/documents`` (collection demo)."""
    head = (
        b'--limite\r\nContent-Disposition: form-data; name="collection"\r\n\r\ndemo\r\n'
        b'--limite\r\nContent-Disposition: form-data; name="files"; filename="' + filename.encode() + b'"\r\n'
        b"Content-Type: text/plain\r\n\r\n"
    )
    return chunked(head, size, b"\r\n--limite--\r\n"), {"Content-Type": "multipart/form-data; boundary=limite"}


class BodyMeter:
    """The application, wrapped to count the request-body bytes it pulls from the server.
    ASGI is pull-based: uvicorn buffers at most 64 KiB of a body the application does not
    ask for, and drops the rest once the response is sent — so ``read`` is what the
    application held, whatever the client sent."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.read = 0

    async def __call__(self, scope: Any, receive: Callable[[], Any], send: Any) -> None:
        async def counted() -> Any:
            message = await receive()
            if message["type"] == "http.request":
                self.read += len(message.get("body", b""))
            return message

        await self.app(scope, counted, send)


class PeakRss:
    """Peak growth of this process's resident memory (the server runs in a thread of it)
    while the block runs, sampled every 2 ms from /proc: a loose bound only, the exact
    check being what :class:`BodyMeter` counts."""

    def __init__(self) -> None:
        self.growth = 0
        self._stop = threading.Event()
        self._page = os.sysconf("SC_PAGE_SIZE")

    def _rss(self) -> int:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * self._page

    def __enter__(self) -> PeakRss:
        self._base = self._rss()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.wait(0.002):
            self.growth = max(self.growth, self._rss() - self._base)

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def spy(env: Env, method: str) -> list[tuple[Any, ...]]:
    """Records the calls of one Service method: an empty list means the handler never ran."""
    calls: list[tuple[Any, ...]] = []
    real = getattr(env.service, method)

    def recorded(*args: Any, **kwargs: Any) -> Any:
        calls.append(args)
        return real(*args, **kwargs)

    setattr(env.service, method, recorded)
    return calls


def french_error(response: httpx.Response, status: int, *words: str) -> str:
    """The response is ``status`` in OpenAI's error shape, in French, under the security headers."""
    assert response.status_code == status, (response.status_code, response.text[:500])
    error = response.json()["error"]
    assert set(error) == {"message", "type"}
    message = str(error["message"])
    assert not ENGLISH.search(message), message
    for word in words:
        assert word in message, (word, message)
    assert_security_headers(response)
    return message


def assert_security_headers(response: httpx.Response) -> None:
    assert "default-src 'self'" in response.headers["content-security-policy"], response.headers
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"


@pytest.fixture
def env(tmp_path: Path, demo_store, embedder) -> Env:  # type: ignore[no-untyped-def]
    return make_env(tmp_path, demo_store, embedder, max_upload_mb=1, rate_limit_per_minute=100_000)


# -- 3. Memory exhaustion without logging in ----------------------------------------------------------
def test_unauthenticated_bodies_are_refused_before_being_read(env: Env) -> None:
    meter = BodyMeter(env.app)
    searches, uploads = spy(env, "search"), spy(env, "upload")
    with running_server(meter) as url, httpx.Client(base_url=url, timeout=60) as http:
        # The audit's attack, at 20 MB: a chunked JSON body, without credentials, with a forged
        # key, with a forged session cookie.
        for headers in ({}, auth("sk-socle-faux"), {"Cookie": "socle_session=forge"}):
            with PeakRss() as rss:
                sent = http.post("/v1/search", content=chunked(b'{"query": "', 20 * MB, b'"}'), headers=JSON | headers)
            french_error(sent, 401)
            assert sent.headers["www-authenticate"] == "Bearer"
            assert rss.growth < 10 * MB, rss.growth  # before the fix: the 20 MB body, twice
        # The same at the upload endpoint (whose cap is larger) and at a web upload form.
        body, headers = multipart(20 * MB)
        french_error(http.post("/v1/documents", content=body, headers=headers), 401)
        body, headers = multipart(20 * MB)
        page = http.post("/collections/demo/televerser", content=body, headers=headers | {"Accept": "text/html"})
        assert page.status_code == 303 and page.headers["location"] == "/connexion"
        assert meter.read == 0  # not one byte of those bodies reached the application
        assert not searches and not uploads
        # The connection and the server are fine: a real request goes through.
        found = http.post(
            "/v1/search", json={"query": "congés", "collections": ["demo"]}, headers=auth(env.keys["alice"])
        )
        assert found.status_code == 200 and found.json()["results"]


def test_bodies_are_capped_while_they_stream(env: Env) -> None:
    meter = BodyMeter(env.app)
    searches, uploads = spy(env, "search"), spy(env, "upload")
    alice, bob = auth(env.keys["alice"]), auth(env.keys["bob"])
    with running_server(meter) as url, httpx.Client(base_url=url, timeout=60) as http:
        # A logged-in reader streams 5 MB of JSON: 413 once past 1 MB, the rest never read.
        sent = http.post("/v1/search", content=chunked(b'{"query": "', 5 * MB, b'"}'), headers=JSON | alice)
        french_error(sent, 413, "trop volumineu", "1 Mo")
        assert meter.read <= MB + 256 * 1024, meter.read
        # A Content-Length over the cap is refused before a byte is read.
        meter.read = 0
        sent = http.post("/v1/search", content=b"a" * (2 * MB), headers=JSON | alice)
        french_error(sent, 413, "1 Mo")
        assert meter.read == 0
        # An upload has the larger cap (4 × max_upload_mb), enforced the same way on a stream.
        body, headers = multipart(9 * MB)
        french_error(http.post("/v1/documents", content=body, headers=headers | bob), 413, "4 Mo")
        assert meter.read <= 4 * MB + 256 * 1024, meter.read
        # The web question form, with a session: the French error page.
        token = login(http, "alice")
        page = http.post(
            "/a/demo",
            content=chunked(f"csrf={token}&question=".encode(), 3 * MB),
            headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": "text/html"},
        )
        assert page.status_code == 413 and "trop volumineuse" in page.text
        assert_security_headers(page)
        assert not searches and not uploads
        # Within the caps, everything still works.
        ok = http.post("/v1/search", json={"query": "congés", "collections": ["demo"]}, headers=alice)
        assert ok.status_code == 200 and searches
        # A 2 MB upload passes the body cap (uploads have their own) and meets the per-file check.
        body, headers = multipart(2 * MB)
        french_error(http.post("/v1/documents", content=body, headers=headers | bob), 400, "taille maximale")


# -- 4. CPU exhaustion by a reader ------------------------------------------------------------------
def test_chat_history_is_bounded(env: Env) -> None:
    # Privacy filtering loads a French NER pipeline (a minute on a busy machine): not what
    # is tested here, and the bounds must hold before any such work anyway.
    env.service.question_filter = lambda question, collections: question
    asked = spy(env, "ask")
    alice = auth(env.keys["alice"])
    question = {"role": "user", "content": "Combien de jours de congés annuels ?"}

    def chat(messages: list[dict[str, str]]) -> httpx.Response:
        return http.post("/v1/chat/completions", json={"model": "demo", "messages": messages}, headers=alice)

    with running_server(env.app) as url, httpx.Client(base_url=url, timeout=60) as http:
        # The audit's request, scaled under the 1 MB body cap: six history pairs of 60 KB.
        big = "Combien de jours de congés pour un agent à temps partiel ? " * 1000
        pairs = [{"role": role, "content": big} for _ in range(6) for role in ("user", "assistant")]
        started = time.monotonic()
        french_error(chat([*pairs, question]), 400, "4 000 caractères")
        assert time.monotonic() - started < 5  # refused at once, not after minutes of work
        # Too many turns, each short.
        turns = [{"role": role, "content": "Bonjour"} for _ in range(11) for role in ("user", "assistant")]
        french_error(chat([*turns, question]), 400, "20 messages")
        # Each message within bounds, too much in all.
        long = [{"role": role, "content": "é" * 3900} for _ in range(3) for role in ("user", "assistant")]
        french_error(chat([*long, question]), 400, "20 000 caractères")
        # Content parts count as their text.
        parts = {"role": "user", "content": [{"type": "text", "text": "a" * 4001}]}
        french_error(chat([parts]), 400, "4 000 caractères")
        assert not asked
        # A normal conversation is still answered.
        normal = chat([question, {"role": "assistant", "content": "Vingt-cinq jours."}, question])
        assert normal.status_code == 200 and asked


# -- 7. The API's documentation page ---------------------------------------------------------------
def test_api_schema_is_for_logged_in_users_and_nothing_comes_from_a_cdn(env: Env) -> None:
    with running_server(env.app) as url, httpx.Client(base_url=url, timeout=60) as http:
        for path in ("/docs", "/docs/oauth2-redirect", "/redoc"):
            gone = http.get(path)
            assert gone.status_code == 404 and "cdn" not in gone.text.lower() and "swagger" not in gone.text.lower()
            assert_security_headers(gone)
        french_error(http.get("/openapi.json"), 401, "Authentification requise")
        french_error(http.get("/openapi.json", headers=auth("sk-socle-faux")), 401)
        schema = http.get("/openapi.json", headers=auth(env.keys["alice"]))
        assert schema.status_code == 200 and "/v1/chat/completions" in schema.json()["paths"]
        assert_security_headers(schema)
        login(http, "alice")
        by_session = http.get("/openapi.json")
        assert by_session.status_code == 200 and by_session.json() == schema.json()
        assert_security_headers(by_session)


# -- 12. Clear errors ---------------------------------------------------------------------------------
def test_long_file_names_get_a_clear_400(env: Env) -> None:
    bob = auth(env.keys["bob"])
    with running_server(env.app) as url, httpx.Client(base_url=url, timeout=60) as http:
        name = "é" * 130 + ".txt"  # 264 bytes in UTF-8: more than a file name may hold
        files = [("files", (name, b"Bonjour.", "text/plain"))]
        sent = http.post("/v1/documents", data={"collection": "demo"}, files=files, headers=bob)
        french_error(sent, 400, "255 octets")
        # The web upload form (whose route does not check names itself): a French page.
        token = login(http, "bob")
        page = http.post(
            "/collections/demo/televerser",
            data={"csrf": token},
            files=[("fichiers", (name, b"Bonjour.", "text/plain"))],
            headers={"Accept": "text/html"},
        )
        assert page.status_code == 400 and "Nom de fichier trop long" in page.text
        assert_security_headers(page)
        ok = [("files", ("é" * 120 + ".txt", b"Bonjour.", "text/plain"))]  # 244 bytes: accepted
        assert http.post("/v1/documents", data={"collection": "demo"}, files=ok, headers=bob).status_code == 202


def test_huge_ids_get_a_clear_4xx(env: Env) -> None:
    admin, bob = auth(env.keys["admin"]), auth(env.keys["bob"])
    with running_server(env.app) as url, httpx.Client(base_url=url, timeout=60) as http:
        for number in (2**63, 2**64, -(2**64), 10**40):
            french_error(http.post("/v1/feedback", json={"answer_id": number, "useful": True}, headers=bob), 422)
            french_error(http.get(f"/v1/jobs/{number}", headers=bob), 422, "job_id")
            french_error(http.get("/v1/audit", params={"since_id": number}, headers=admin), 422, "since_id")
            french_error(http.post(f"/v1/corrections/{number}/validate", headers=bob), 422)
        # The largest id is a plain « not found ».
        french_error(http.get(f"/v1/jobs/{2**63 - 1}", headers=bob), 404)
        # Web pages that take ids answer in French too.
        token = login(http, "bob")
        page = http.get("/collections/demo", params={"tache": 2**64}, headers={"Accept": "text/html"})
        assert page.status_code == 400 and "trop grand" in page.text
        assert_security_headers(page)
        rated = http.post(
            "/a/demo/avis",
            data={"answer_id": str(2**64), "useful": "oui", "csrf": token},
            headers={"Accept": "text/html"},
            follow_redirects=False,
        )
        assert rated.status_code == 400 and "trop grand" in rated.text


def test_unreadable_bodies_get_a_clear_french_4xx(env: Env) -> None:
    alice = auth(env.keys["alice"])
    with running_server(env.app) as url, httpx.Client(base_url=url, timeout=60) as http:

        def post(path: str, content: bytes) -> httpx.Response:
            return http.post(path, content=content, headers=JSON | alice)

        french_error(post("/v1/search", b"[" * 100_000 + b"]" * 100_000), 400, "imbriqué")
        french_error(post("/v1/search", b'{"query": ' * 5000 + b'"a"' + b"}" * 5000), 400, "imbriqué")
        french_error(post("/v1/search", b'{"query": "cong\xe9s", "collections": ["demo"]}'), 400, "UTF-8")
        french_error(post("/v1/chat/completions", b"{pas du json"), 422, "Requête invalide", "JSON invalide")


def test_validation_errors_are_in_french(env: Env) -> None:
    alice = auth(env.keys["alice"])
    user = {"role": "user", "content": "Bonjour"}
    cases: list[tuple[str, dict[str, Any], tuple[str, ...]]] = [
        ("/v1/search", {}, ("query", "obligatoire")),
        ("/v1/search", {"query": 5}, ("query", "texte attendu")),
        ("/v1/search", {"query": ""}, ("query", "au moins 1 caractère")),
        ("/v1/search", {"query": "a" * 4001}, ("au plus 4000 caractères",)),
        ("/v1/search", {"query": "congés", "k": 0}, ("k", "supérieur ou égal à 1")),
        ("/v1/search", {"query": "congés", "k": 51}, ("k", "inférieur ou égal à 50")),
        ("/v1/search", {"query": "congés", "k": "beaucoup"}, ("k", "nombre entier")),
        ("/v1/search", {"query": "congés", "collections": "demo"}, ("collections", "liste")),
        ("/v1/chat/completions", {"model": "demo", "messages": []}, ("messages", "au moins 1 élément")),
        ("/v1/chat/completions", {"model": "demo", "messages": [{"role": "robot"}]}, ("role", "« user »")),
        ("/v1/chat/completions", {"model": "demo", "messages": [{"role": "user", "content": 5}]}, ("content",)),
        ("/v1/chat/completions", {"model": "demo", "messages": [user], "temperature": 3}, ("temperature", "2")),
        ("/v1/chat/completions", {"model": "demo", "messages": [user], "socle_sources": "html"}, ("markdown",)),
        ("/v1/chat/completions", {"model": "demo", "messages": [user], "stream": "oui?"}, ("booléen",)),
        ("/v1/chat/completions", {"model": "demo", "messages": ["Bonjour"]}, ("objet",)),
        ("/v1/feedback", {"answer_id": 1.5, "useful": True}, ("answer_id", "nombre entier")),
    ]
    with running_server(env.app) as url, httpx.Client(base_url=url, timeout=60) as http:
        for path, body, words in cases:
            message = french_error(http.post(path, json=body, headers=alice), 422, "Requête invalide", *words)
            assert "body" not in message.split("—")[1], message
        french_error(http.get("/v1/audit", params={"format": "xml"}, headers=alice), 422, "format", "csv")
