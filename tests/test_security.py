"""Findings of the outside security audit (issue 15), reproduced as an attacker would do
them, against a real ``socle serve`` app on loopback (uvicorn in a thread, real HTTP).

Set-up (tests/service_helpers.py): collections ``demo`` and ``secret``; ``bob`` edits demo,
``alice`` reads demo, ``eve`` reads secret; the assistant ``coffre`` reads secret."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
from tests.service_helpers import Env, auth, login, make_env, running_server


def chatmd(title: str, body: str) -> bytes:
    return f"# {title}\n\n{body}\n\n## Horaires\n\nOuvert de 9 h à 17 h.\n".encode()


# -- High 1: an editor of one collection takes over an assistant that reads another -------------
def test_editor_cannot_take_over_another_collections_assistant(env: Env, server: str) -> None:
    store = env.service.store
    before = store.get_assistant("coffre")
    assert before is not None and before.collections == ["secret"]
    bob = auth(env.keys["bob"])  # editor of demo only
    attack = chatmd("Coffre", "Texte de l'attaquant, sans marque IA.")
    with httpx.Client(base_url=server, timeout=60) as http:
        # The ChatMD import whose title names the assistant of secret, with and without « remplacer ».
        for data in ({"collection": "demo"}, {"collection": "demo", "replace": "true"}, {}):
            sent = http.post("/v1/assistants/chatmd", files={"file": ("coffre.md", attack)}, data=data, headers=bob)
            assert sent.status_code == 403, sent.text
            assert "secret" not in sent.json()["error"]["message"]  # the victim's collections are not told
        # The JSON API's create-or-replace, onto the same name.
        body = {"name": "coffre", "title": "Coffre", "collections": ["demo"], "replace": True}
        assert http.post("/v1/assistants", json=body, headers=bob).status_code == 403
        # The web form, by title, with « remplacer » ticked.
        token = login(http, "bob")
        form = {"title": "Coffre", "collections": "demo", "remplacer": "oui", "csrf": token}
        assert http.post("/assistants/nouveau", data=form, follow_redirects=False).status_code == 403
        # The web form's ChatMD upload.
        sent = http.post(
            "/assistants/nouveau",
            data={"csrf": token, "remplacer": "oui"},
            files={"chatmd": ("coffre.md", attack, "text/markdown")},
            follow_redirects=False,
        )
        assert sent.status_code == 403
        # The assistant is untouched and its readers still have it.
        after = store.get_assistant("coffre")
        assert after is not None and after.collections == ["secret"] and "chatmd" not in after.settings
        eve = http.get("/v1/assistants", headers=auth(env.keys["eve"])).json()
        assert "coffre" in [a["name"] for a in eve]
        # Pointing a new assistant at a collection one only reads is refused too.
        alice = auth(env.keys["alice"])
        body = {"name": "lecture", "title": "Lecture", "collections": ["demo"]}
        assert http.post("/v1/assistants", json=body, headers=alice).status_code == 403


def test_replacing_an_assistant_needs_an_explicit_request(env: Env, server: str) -> None:
    store = env.service.store
    admin, bob = auth(env.keys["admin"]), auth(env.keys["bob"])
    with httpx.Client(base_url=server, timeout=60) as http:
        first = chatmd("Accueil mairie", "Première version.")
        made = http.post(
            "/v1/assistants/chatmd", files={"file": ("a.md", first)}, data={"collection": "demo"}, headers=bob
        )
        assert made.status_code == 201, made.text
        # Same title again: 409 with a French message naming « remplacer », nothing changed.
        second = chatmd("Accueil mairie", "Deuxième version.")
        again = http.post(
            "/v1/assistants/chatmd", files={"file": ("a.md", second)}, data={"collection": "demo"}, headers=bob
        )
        assert again.status_code == 409 and "remplacer" in again.json()["error"]["message"]
        saved = store.get_assistant("accueil-mairie")
        assert saved is not None and "Première version" in saved.settings["chatmd"]
        # The owner asks for it: replaced, and the new chatbot is served at once, even within
        # the same second as the first import (the cache was keyed by updated_at to the second).
        chat = {"model": "accueil-mairie", "messages": [{"role": "user", "content": "bonjour"}]}
        http.get("/v1/assistants/accueil-mairie", headers=bob)  # loads the first version in the cache
        replaced = http.post(
            "/v1/assistants/chatmd",
            files={"file": ("a.md", second)},
            data={"collection": "demo", "replace": "true"},
            headers=bob,
        )
        assert replaced.status_code == 201, replaced.text
        intro = http.get("/v1/assistants/accueil-mairie", headers=bob).json()["chatmd"]["text"]
        assert "Deuxième version" in intro and "Première" not in intro
        assert http.post("/v1/chat/completions", json=chat, headers=bob).status_code == 200
        # The JSON API: the same rule, for the admin too.
        body = {"name": "demo", "title": "Autre", "collections": ["demo"]}
        refused = http.post("/v1/assistants", json=body, headers=admin)
        assert refused.status_code == 409
        assert store.get_assistant("demo").title == "Assistant démo"  # type: ignore[union-attr]
        assert http.post("/v1/assistants", json=body | {"replace": True}, headers=admin).status_code == 201
        assert store.get_assistant("demo").title == "Autre"  # type: ignore[union-attr]
        # The web form says it in French and keeps what was typed.
        token = login(http, "bob")
        form = {"title": "Accueil mairie", "collections": "demo", "csrf": token}
        page = http.post("/assistants/nouveau", data=form, follow_redirects=False)
        assert page.status_code == 409 and "remplacer" in page.text and 'value="Accueil mairie"' in page.text
    rows = [r for r in store.audit_entries(0, None) if r["action"] == "assistant"]
    assert any((r.get("detail") or {}).get("replaced") for r in rows)


# -- Info 13: what refusals and messages tell ---------------------------------------------------
def test_a_correction_of_another_collection_is_told_as_missing(env: Env, server: str) -> None:
    store = env.service.store
    secret = store.add_correction("secret", "code du coffre ?", "Le code est 4729-ZULU.", None, None, "admin")
    bob = auth(env.keys["bob"])  # editor of demo only
    with httpx.Client(base_url=server, timeout=60) as http:
        unknown = http.post("/v1/corrections/999999/validate", headers=bob)
        hidden = http.post(f"/v1/corrections/{secret}/validate", headers=bob)
        assert unknown.status_code == hidden.status_code == 404
        assert "secret" not in hidden.text
        login(http, "bob")
        page = http.get(f"/corrections/{secret}", headers={"Accept": "text/html"})
        missing = http.get("/corrections/999999", headers={"Accept": "text/html"})
        assert page.status_code == missing.status_code == 404
        assert "4729-ZULU" not in page.text and "secret" not in page.text
    assert store.all_corrections()[-1].validated_at is None


def test_uploads_show_no_server_path(env: Env, server: str) -> None:
    bob = auth(env.keys["bob"])
    files = [
        ("files", ("note.md", b"# Note\n\nLa salle B est fermee le lundi pour travaux.\n", "text/markdown")),
        ("files", ("abime.pdf", b"%PDF-1.4 garbage", "application/pdf")),
    ]
    with httpx.Client(base_url=server, timeout=120) as http:
        sent = http.post("/v1/documents", data={"collection": "demo"}, files=files, headers=bob)
        assert sent.status_code == 202, sent.text
        for _ in range(300):
            job = http.get(sent.json()["status_url"], headers=bob).json()
            if job["status"] in ("done", "failed"):
                break
            time.sleep(0.1)
        uploads = str(env.service.uploads)
        assert uploads not in json.dumps(job), job
        keys = [d["key"] for d in http.get("/v1/documents?collection=demo", headers=bob).json()]
        assert "note.md" in keys and not any(uploads in k or (k.startswith("/") and "note" in k) for k in keys)
        body = {"query": "salle B fermée le lundi", "collections": ["demo"]}
        found = http.post("/v1/search", json=body, headers=bob).json()["results"][0]
        assert found["document"] == "note.md" and uploads not in json.dumps(found)


# -- Medium 6: refused attempts are audited, and cannot flood the audit -------------------------
def test_a_reader_probing_other_collections_is_audited_within_a_bound(env: Env, server: str) -> None:
    from socle.service.core import REFUSALS_PER_MINUTE

    store = env.service.store
    alice = auth(env.keys["alice"])  # reader of demo only
    with httpx.Client(base_url=server, timeout=60) as http:
        for n in range(12):  # the audit saw 60 such requests leave no row (24 here: under the rate limit)
            assert http.get("/v1/documents", params={"collection": "secret"}, headers=alice).status_code in (403, 404)
            assert http.post(f"/v1/corrections/{1000 + n}/validate", headers=alice).status_code == 404
    rows = [r for r in store.audit_entries(0, None) if r["username"] == "alice"]
    refused = [r for r in rows if r["action"] == "refused"]
    assert len(refused) == REFUSALS_PER_MINUTE  # bounded: 24 refusals, 20 rows, then one summary
    assert {r["detail"]["status"] for r in refused} <= {403, 404}
    assert any(r["detail"]["path"] == "/v1/documents" for r in refused)
    assert [r["action"] for r in rows].count("refused_throttled") == 1
    assert not any("secret" in json.dumps(r["detail"]) and r["action"] != "refused" for r in rows)


# -- Medium 2: sessions ---------------------------------------------------------------------------
def _stolen(server: str, cookie: str) -> int:
    """What a copy of the session cookie, replayed from elsewhere, opens (200: the home page)."""
    with httpx.Client(base_url=server, timeout=60, cookies={"socle_session": cookie}) as thief:
        return thief.get("/", follow_redirects=False).status_code


def test_a_copied_session_cookie_dies_at_logout_and_at_a_password_change(env: Env, server: str) -> None:
    from click.testing import CliRunner

    from socle.cli import cli

    with httpx.Client(base_url=server, timeout=60) as http:
        token = login(http, "alice")
        cookie = http.cookies["socle_session"]
        assert _stolen(server, cookie) == 200
        assert http.post("/deconnexion", data={"csrf": token}, follow_redirects=False).status_code == 303
        assert _stolen(server, cookie) in (302, 303, 401)  # back to the login page
        # Two browsers, then « socle users passwd »: both sessions and the API keys end.
        login(http, "alice")
        first = http.cookies["socle_session"]
        with httpx.Client(base_url=server, timeout=60) as other:
            login(other, "alice")
            second = other.cookies["socle_session"]
        listed = CliRunner().invoke(cli, ["--db", env.settings.db, "users", "sessions", "alice"])
        assert listed.exit_code == 0 and listed.output.count("alice") == 2 and "127.0.0.1" in listed.output
        key = env.keys["alice"]
        assert httpx.get(server + "/v1/assistants", headers={"Authorization": f"Bearer {key}"}).status_code == 200
        result = CliRunner().invoke(
            cli, ["--db", env.settings.db, "users", "passwd", "alice"], input="Nouveau-Secret-2026!\n"
        )
        assert result.exit_code == 0 and "2 session(s) fermée(s), 1 clé(s) d'API révoquée(s)" in result.output
        assert _stolen(server, first) != 200 and _stolen(server, second) != 200
        assert httpx.get(server + "/v1/assistants", headers={"Authorization": f"Bearer {key}"}).status_code == 401
    rows = [r for r in env.service.store.audit_entries() if r["action"] == "user_passwd"]
    assert rows[-1]["detail"] == {"user": "alice", "sessions_ended": 2, "keys_revoked": 1}


def test_an_idle_session_expires(tmp_path: Path, demo_store, embedder) -> None:  # type: ignore[no-untyped-def]
    env = make_env(tmp_path, demo_store, embedder, session_idle_minutes=0.02)  # 1.2 s
    with running_server(env.app) as url, httpx.Client(base_url=url, timeout=60) as http:
        login(http, "alice")
        assert http.get("/", follow_redirects=False).status_code == 200
        time.sleep(1.5)
        assert http.get("/", follow_redirects=False).status_code != 200
    assert env.service.store.sessions() == []  # ended, not merely refused


# -- Low 8: login throttling --------------------------------------------------------------------
def _login_attempt(http: httpx.Client, username: str, password: str, headers: dict[str, str] | None = None) -> int:
    page = http.get("/connexion")
    token = page.text.split('name="csrf" value="')[1].split('"')[0]
    form = {"username": username, "password": password, "csrf": token}
    sent = http.post("/connexion", data=form, headers=headers or {}, follow_redirects=False)
    assert sent.status_code in (303, 401), sent.status_code
    return 429 if "Trop de tentatives" in sent.text else sent.status_code


def test_forged_forwarded_addresses_and_other_accounts_do_not_reset_the_login_limits(env: Env, server: str) -> None:
    from tests.service_helpers import PASSWORD

    with httpx.Client(base_url=server, timeout=60) as http:
        # Guessing bob's password from « many addresses »: the header is not believed, and
        # the account has its own budget whatever the address.
        results = [_login_attempt(http, "bob", f"essai-{n}", {"X-Forwarded-For": f"203.0.113.{n}"}) for n in range(8)]
        assert results[:5] == [401] * 5 and 429 in results[5:], results
        # Even bob's real password waits while the account cools down; alice is not slowed.
        assert _login_attempt(http, "bob", PASSWORD) == 429
        assert _login_attempt(http, "alice", PASSWORD) == 303
    clients = {
        (r["detail"] or {}).get("client") for r in env.service.store.audit_entries(0, None) if r["username"] == "bob"
    }
    assert clients == {"127.0.0.1"}  # the audit records the real address, not the forged ones


def test_web_forms_share_the_per_user_request_limit(tmp_path: Path, demo_store, embedder) -> None:  # type: ignore[no-untyped-def]
    env = make_env(tmp_path, demo_store, embedder, rate_limit_per_minute=20)  # bursts of 5
    with running_server(env.app) as url, httpx.Client(base_url=url, timeout=60) as http:
        token = login(http, "alice")
        codes = [
            http.post("/a/demo", data={"question": "horaires ?", "csrf": token}, follow_redirects=False).status_code
            for _ in range(8)
        ]
        assert 429 in codes and codes[0] != 429, codes


# -- Info 14: a tamper-evident audit log --------------------------------------------------------------
def test_audit_verify_tells_an_intact_log_from_an_altered_one(env: Env) -> None:
    import sqlite3

    from click.testing import CliRunner

    from socle.cli import cli

    store = env.service.store
    for n in range(3):
        store.append_audit({"username": "alice", "action": "ask", "question": f"Question {n} ?"})
    runner = CliRunner()
    intact = runner.invoke(cli, ["--db", env.settings.db, "audit", "verify"])
    assert intact.exit_code == 0 and "Journal intact" in intact.output, intact.output
    last = store.audit_entries()[-1]["id"]
    assert f"Dernière ligne {last}" in intact.output
    # Someone with the database file lifts the trigger and rewrites a question.
    db = sqlite3.connect(env.settings.db)
    db.execute("DROP TRIGGER audit_no_update")
    db.execute("UPDATE audit SET question = 'rien' WHERE id = ?", (last - 1,))
    db.commit()
    db.close()
    altered = runner.invoke(cli, ["--db", env.settings.db, "audit", "verify", "--json"])
    assert altered.exit_code != 0 and json.loads(altered.output.splitlines()[0])["broken_at"] == last - 1
    assert "Journal altéré : la ligne" in altered.output
