"""The web service through its HTTP interface: API (with the official OpenAI client),
permissions on every endpoint that returns document text, audit, CSRF, rate limiting,
uploads, malformed requests, and the no-JavaScript web flow."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.service_helpers import SECRET_MARK, Env, auth, login, make_env

QUESTION = "Combien de jours de télétravail par semaine pour un agent à temps complet ?"


@pytest.fixture
def client(env: Env) -> TestClient:
    return TestClient(env.app)


# -- API ---------------------------------------------------------------------------------------
def test_openai_client_gets_a_cited_answer(env: Env, client: TestClient) -> None:
    from openai import OpenAI

    ai = OpenAI(base_url="http://testserver/v1", api_key=env.keys["alice"], http_client=client, max_retries=0)
    models = [m.id for m in ai.models.list().data]
    assert models == ["demo"]  # not "coffre": alice cannot read its collection

    reply = ai.chat.completions.create(model="demo", messages=[{"role": "user", "content": QUESTION}])
    extra = reply.model_extra["socle"]  # type: ignore[index]
    assert "[1]" in (reply.choices[0].message.content or "")
    assert extra["ai_generated"] is True and not extra["abstained"]
    assert extra["citations"][0]["document_key"].endswith("charte-teletravail.docx")
    assert extra["citations"][0]["collection"] == "demo"
    assert extra["footprint"]["energy_wh"] > 0

    stream = ai.chat.completions.create(model="demo", messages=[{"role": "user", "content": QUESTION}], stream=True)
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    final = [c.model_extra["socle"] for c in chunks if c.model_extra and "socle" in c.model_extra]  # type: ignore[operator]
    assert text == reply.choices[0].message.content
    assert final and final[-1]["citations"] and final[-1]["answer_id"] != extra["answer_id"]


def test_openapi_schema_documents_the_api(env: Env, client: TestClient) -> None:
    assert client.get("/openapi.json").status_code == 401  # behind login (docs/security.md)
    schema = client.get("/openapi.json", headers=auth(env.keys["alice"])).json()
    for path in ("/v1/chat/completions", "/v1/models", "/v1/search", "/v1/feedback", "/v1/documents", "/v1/audit"):
        assert path in schema["paths"], path


def test_unauthenticated_requests_are_refused(client: TestClient) -> None:
    response = client.get("/v1/models")
    assert response.status_code == 401
    assert "Authentification requise" in response.json()["error"]["message"]
    assert client.get("/v1/models", headers=auth("sk-socle-faux")).status_code == 401
    page = client.get("/", headers={"Accept": "text/html"}, follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"] == "/connexion"
    assert client.get("/healthz").json() == {"status": "ok"}


def test_security_headers(client: TestClient) -> None:
    response = client.get("/connexion")
    assert "default-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["x-frame-options"] == "DENY"
    assert "socle_session" in response.headers.get("set-cookie", "")
    assert "httponly" in response.headers["set-cookie"].lower()


@pytest.mark.parametrize(
    ("method", "url", "body"),
    [
        ("POST", "/v1/search", {"query": "code du coffre", "collections": ["secret"]}),
        ("POST", "/v1/search", {"query": "code du coffre", "assistant": "coffre"}),
        ("POST", "/v1/chat/completions", {"model": "coffre", "messages": [{"role": "user", "content": "code ?"}]}),
        ("GET", "/v1/documents?collection=secret", None),
        ("GET", "/v1/documents/content?collection=secret&key={doc}", None),
        ("GET", "/v1/assistants/coffre", None),
        ("GET", "/documents/secret?cle={doc}&debut=0&fin=20", None),
        ("GET", "/a/coffre", None),
        ("GET", "/collections/secret", None),
    ],
)
def test_reader_never_sees_another_collection(
    env: Env, client: TestClient, method: str, url: str, body: object
) -> None:
    url = url.replace("{doc}", env.secret_key_doc)
    # eve may read "secret": the request works for her...
    allowed = client.request(method, url, json=body, headers=auth(env.keys["eve"]) | {"Accept": "text/html"})
    assert allowed.status_code == 200, allowed.text
    # ...and alice, reader of "demo" only, gets a refusal that carries none of its text.
    refused = client.request(method, url, json=body, headers=auth(env.keys["alice"]) | {"Accept": "text/html"})
    assert refused.status_code in (403, 404), refused.text
    assert SECRET_MARK not in refused.text


def test_lists_only_show_readable_collections(env: Env, client: TestClient) -> None:
    alice = auth(env.keys["alice"])
    assert [c["name"] for c in client.get("/v1/collections", headers=alice).json()] == ["demo"]
    assert [a["name"] for a in client.get("/v1/assistants", headers=alice).json()] == ["demo"]
    admin = auth(env.keys["admin"])
    assert {c["name"] for c in client.get("/v1/collections", headers=admin).json()} == {"demo", "secret"}


def test_citations_and_feedback_are_scoped(env: Env, client: TestClient) -> None:
    eve = auth(env.keys["eve"])
    body = {"model": "coffre", "messages": [{"role": "user", "content": "Quel est le code d'accès du coffre-fort ?"}]}
    reply = client.post("/v1/chat/completions", json=body, headers=eve).json()
    assert SECRET_MARK in reply["choices"][0]["message"]["content"]
    answer_id = reply["socle"]["answer_id"]
    alice = auth(env.keys["alice"])
    rated = client.post("/v1/feedback", json={"answer_id": answer_id, "useful": False}, headers=alice)
    assert rated.status_code == 404
    audit = client.get("/v1/audit", headers=alice)
    assert audit.status_code == 403 and SECRET_MARK not in audit.text
    own = client.post("/v1/feedback", json={"answer_id": answer_id, "useful": True}, headers=eve)
    assert own.status_code == 201


def test_malformed_requests_get_clear_4xx(env: Env, client: TestClient) -> None:
    alice = auth(env.keys["alice"])
    broken = client.post(
        "/v1/chat/completions", content=b"{pas du json", headers=alice | {"Content-Type": "application/json"}
    )
    assert broken.status_code == 422 and "Requête invalide" in broken.json()["error"]["message"]
    empty = client.post("/v1/chat/completions", json={"model": "demo", "messages": []}, headers=alice)
    assert empty.status_code == 422
    last = client.post(
        "/v1/chat/completions",
        json={"model": "demo", "messages": [{"role": "assistant", "content": "x"}]},
        headers=alice,
    )
    assert last.status_code == 400 and "utilisateur" in last.json()["error"]["message"]
    unknown = client.post(
        "/v1/chat/completions", json={"model": "inconnu", "messages": [{"role": "user", "content": "x"}]}, headers=alice
    )
    assert unknown.status_code == 404
    assert client.post("/v1/search", json={"query": "", "collections": ["demo"]}, headers=alice).status_code == 422
    assert (
        client.post("/v1/search", json={"query": "congés", "collections": ["nulle-part"]}, headers=alice).status_code
        == 403
    )
    assert client.get("/v1/nexiste-pas", headers=alice).status_code == 404


def test_rate_limit_per_key(tmp_path: Path, demo_store, embedder) -> None:  # type: ignore[no-untyped-def]
    env = make_env(tmp_path, demo_store, embedder, rate_limit_per_minute=12)  # burst of 5
    client = TestClient(env.app)
    codes = [client.get("/v1/models", headers=auth(env.keys["alice"])).status_code for _ in range(7)]
    assert codes[:5] == [200] * 5 and codes[-1] == 429
    limited = client.get("/v1/models", headers=auth(env.keys["alice"]))
    assert int(limited.headers["retry-after"]) >= 1
    assert client.get("/v1/models", headers=auth(env.keys["bob"])).status_code == 200  # per key


def test_session_requests_need_the_csrf_token(env: Env, client: TestClient) -> None:
    token = login(client, "alice")
    body = {"query": "congés", "collections": ["demo"]}
    assert client.post("/v1/search", json=body).status_code == 403
    assert client.post("/v1/search", json=body, headers={"X-CSRF-Token": "faux"}).status_code == 403
    assert client.post("/v1/search", json=body, headers={"X-CSRF-Token": token}).status_code == 200


def test_wrong_password_is_refused_and_audited(env: Env, client: TestClient) -> None:
    page = client.get("/connexion")
    token = page.text.split('name="csrf" value="')[1].split('"')[0]
    bad = client.post("/connexion", data={"username": "alice", "password": "mauvais-mot", "csrf": token})
    assert bad.status_code == 401 and "incorrect" in bad.text
    actions = [r["action"] for r in env.service.store.audit_entries()]
    assert actions[-1] == "login_failed"
    assert "mauvais-mot" not in json.dumps(env.service.store.audit_entries())


# -- uploads -----------------------------------------------------------------------------------
def test_editor_uploads_documents_and_follows_the_job(env: Env, client: TestClient) -> None:
    bob = auth(env.keys["bob"])
    note = "# Note de service\n\nLa cantine du personnel ferme le vendredi 15 mars pour travaux de peinture.\n"
    files = [
        ("files", ("note-cantine.md", note.encode(), "text/markdown")),
        ("files", ("abime.pdf", b"%PDF-1.4 x", "application/pdf")),
    ]
    response = client.post("/v1/documents", data={"collection": "demo"}, files=files, headers=bob)
    assert response.status_code == 202, response.text
    job_url = response.json()["status_url"]
    for _ in range(200):
        job = client.get(job_url, headers=bob).json()
        if job["status"] in ("done", "failed"):
            break
        time.sleep(0.1)
    assert job["status"] == "done", job
    assert job["report"]["added"] == 1 and job["report"]["failed"][0]["source"] == "abime.pdf"
    keys = [d["key"] for d in client.get("/v1/documents?collection=demo", headers=bob).json()]
    assert any(k.endswith("note-cantine.md") for k in keys)
    found = client.post(
        "/v1/search", json={"query": "fermeture cantine du personnel", "collections": ["demo"]}, headers=bob
    )
    assert found.json()["results"][0]["document"].endswith("note-cantine.md")
    # a reader cannot upload nor delete
    alice = auth(env.keys["alice"])
    assert client.post("/v1/documents", data={"collection": "demo"}, files=files[:1], headers=alice).status_code == 403
    key = next(k for k in keys if k.endswith("note-cantine.md"))
    assert client.delete("/v1/documents", params={"collection": "demo", "key": key}, headers=alice).status_code == 403
    assert client.delete("/v1/documents", params={"collection": "demo", "key": key}, headers=bob).json() == {
        "deleted": True
    }


def test_oversized_upload_is_refused(tmp_path: Path, demo_store, embedder) -> None:  # type: ignore[no-untyped-def]
    env = make_env(tmp_path, demo_store, embedder, max_upload_mb=1)
    client = TestClient(env.app)
    big = b"a" * (1024 * 1024 + 10)
    response = client.post(
        "/v1/documents",
        data={"collection": "demo"},
        files=[("files", ("gros.txt", big, "text/plain"))],
        headers=auth(env.keys["bob"]),
    )
    assert response.status_code == 400 and "taille maximale" in response.json()["error"]["message"]
    huge = client.post(
        "/v1/documents",
        data={"collection": "demo"},
        files=[("files", ("enorme.txt", big * 5, "text/plain"))],
        headers=auth(env.keys["bob"]),
    )
    assert huge.status_code == 413


# -- audit -------------------------------------------------------------------------------------
def test_audit_records_questions_sources_and_footprint(env: Env, client: TestClient) -> None:
    alice = auth(env.keys["alice"])
    client.post(
        "/v1/chat/completions",
        json={"model": "demo", "messages": [{"role": "user", "content": QUESTION}]},
        headers=alice,
    )
    rows = client.get("/v1/audit", headers=auth(env.keys["admin"])).json()
    ask = [r for r in rows if r["action"] == "ask"][-1]
    assert ask["username"] == "alice" and ask["assistant"] == "demo" and ask["question"] == QUESTION
    assert ask["sources"][0]["document"].endswith("charte-teletravail.docx")
    assert ask["footprint"]["energy_wh"] > 0
    csv_text = client.get("/v1/audit?format=csv", headers=auth(env.keys["admin"])).text
    assert csv_text.splitlines()[0].startswith("id,at,username,action")
    assert QUESTION in csv_text
    jsonl = client.get("/v1/audit?format=jsonl", headers=auth(env.keys["admin"])).text.splitlines()
    assert len(jsonl) == len(rows)
    # editors read the rows of their collections only; nobody can rewrite history
    bob_rows = client.get("/v1/audit", headers=auth(env.keys["bob"])).json()
    assert bob_rows and all(set(r["collections"]) <= {"demo"} for r in bob_rows)
    db = sqlite3.connect(env.settings.db)
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        db.execute("UPDATE audit SET question = 'effacé'")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        db.execute("DELETE FROM audit")


# -- the web interface without JavaScript ------------------------------------------------------
def test_web_flow_without_javascript(env: Env, client: TestClient) -> None:
    token = login(client, "alice")
    home = client.get("/")
    assert "Assistant démo" in home.text and "Coffre" not in home.text
    page = client.get("/a/demo")
    assert "Combien de jours de congés annuels ?" in page.text  # example question
    answered = client.post("/a/demo", data={"question": QUESTION, "csrf": token})
    assert answered.status_code == 200
    assert "Généré par IA" in answered.text and "Empreinte" in answered.text
    link = answered.text.split('class="citation-link" href="')[1].split('"')[0].replace("&amp;", "&")
    document = client.get(link)
    assert '<mark id="citation"' in document.text
    answer_id = int(answered.text.split('name="answer_id" value="')[1].split('"')[0])
    rated = client.post(
        "/a/demo/avis",
        data={"answer_id": answer_id, "useful": "oui", "comment": "clair", "csrf": token},
        follow_redirects=False,
    )
    assert rated.status_code == 303
    assert env.service.store.feedback(answer_id)[0]["rating"] == 1
    assert client.post("/a/demo", data={"question": QUESTION, "csrf": "faux"}).status_code == 403


def test_assistant_created_from_the_web_form(env: Env, client: TestClient) -> None:
    token = login(client, "bob")
    response = client.post(
        "/assistants/nouveau",
        data={
            "title": "Aide RH",
            "instructions": "Réponds brièvement.",
            "collections": "demo",
            "examples": "Congés ?\nTélétravail ?",
            "csrf": token,
        },
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    saved = env.service.store.get_assistant("aide-rh")
    assert saved is not None and saved.collections == ["demo"] and saved.examples == ["Congés ?", "Télétravail ?"]
    # alice (reader) may not create one over a collection she does not edit
    client.post("/deconnexion", data={"csrf": token})
    token = login(client, "alice")
    refused = client.post("/assistants/nouveau", data={"title": "X", "collections": "demo", "csrf": token})
    assert refused.status_code == 403


def test_search_filters_and_facets(env: Env, client: TestClient) -> None:
    alice = auth(env.keys["alice"])
    facets = client.get("/v1/collections/demo/facets", headers=alice).json()
    keywords = [f["value"] for f in facets["keyword"]]
    assert keywords, facets  # automatic keyphrases of the demo documents
    doc_meta = env.service.store.document_metadata("demo")
    holder = next(m for m in doc_meta.values() if keywords[0] in m.get("auto_keywords", []))
    body = {"query": "horaires", "collections": ["demo"], "k": 6, "filters": {"keyword": keywords[0]}}
    results = client.post("/v1/search", json=body, headers=alice).json()["results"]
    assert results and all(keywords[0] in doc_meta_of(env, r["document"]).get("auto_keywords", []) for r in results)
    assert holder
    assert client.get("/v1/collections/secret/facets", headers=alice).status_code == 403


def doc_meta_of(env: Env, key: str) -> dict:  # type: ignore[type-arg]
    return env.service.store.document_text("demo", key)["metadata"]  # type: ignore[index,no-any-return]


def test_web_forms_upload_documents_and_assistant_files(env: Env, client: TestClient) -> None:
    token = login(client, "bob")
    note = b"# Fermeture estivale\n\nLa mediatheque ferme du 1er au 15 aout pour inventaire.\n"
    sent = client.post(
        "/collections/demo/televerser",
        data={"csrf": token},
        files={"fichiers": ("fermeture.md", note, "text/markdown")},
        follow_redirects=False,
    )
    assert sent.status_code == 303 and "tache=" in sent.headers["location"]
    job_id = int(sent.headers["location"].split("tache=")[1])
    for _ in range(200):
        job = env.service.store.job(job_id)
        if job and job["status"] in ("done", "failed"):
            break
        time.sleep(0.1)
    assert job and job["status"] == "done" and job["report"]["added"] == 1
    assert "Fermeture estivale" in client.get(sent.headers["location"]).text
    spec = b"---\ncollections: [demo]\n---\n# Aide accueil\n\nTu renseignes le public.\n\n## Questions suggerees\n- Horaires ?\n"
    made = client.post(
        "/assistants/nouveau",
        data={"csrf": token},
        files={"fichier": ("accueil.md", spec, "text/markdown")},
        follow_redirects=False,
    )
    assert made.status_code == 303, made.text
    assert env.service.store.get_assistant("aide-accueil") is not None


def test_questions_are_pseudonymised_before_model_and_audit(env: Env, client: TestClient) -> None:
    from socle.privacy.policy import set_collection_mode

    set_collection_mode(env.service.store, "demo", "anonymise")
    question = "Je suis Paul Martin (paul.martin@mairie-exemple.fr), combien de jours de télétravail par semaine ?"
    body = {"model": "demo", "messages": [{"role": "user", "content": question}]}
    reply = client.post("/v1/chat/completions", json=body, headers=auth(env.keys["alice"])).json()
    assert reply["socle"]["citations"]  # still answered
    stored = env.service.store.answer(reply["socle"]["answer_id"])
    audit = [r for r in env.service.store.audit_entries() if r["action"] == "ask"][-1]
    for text in (stored["question"], audit["question"]):  # type: ignore[index]
        assert "paul.martin@mairie-exemple.fr" not in text and "Paul Martin" not in text
        assert "[EMAIL_1]" in text
