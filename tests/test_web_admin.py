"""The administration pages (socle.service.web_admin) through the app, on a real SQLite
store: users and rights, documents of a collection, editing an assistant."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.service_helpers import PASSWORD, Env, login, make_env

NEW_PASSWORD = "un-autre-mot-de-passe"
HTML = {"accept": "text/html"}


@pytest.fixture
def env(tmp_path: Path, demo_store: Any, embedder: Any) -> Env:
    return make_env(tmp_path, demo_store, embedder)


@pytest.fixture
def admin(env: Env) -> tuple[TestClient, str]:
    client = TestClient(env.app)
    return client, login(client, "admin")


def csrf_of(page: str) -> str:
    return page.split('name="csrf" value="')[1].split('"')[0]


def actions(env: Env) -> list[dict[str, Any]]:
    return [r for r in env.service.store.audit_entries() if r["action"].startswith("user_")]


def can_log_in(env: Env, username: str, password: str) -> bool:
    client = TestClient(env.app)
    token = csrf_of(client.get("/connexion").text)
    response = client.post(
        "/connexion", data={"username": username, "password": password, "csrf": token}, follow_redirects=False
    )
    return response.status_code == 303


def wait_for_job(env: Env, job: int) -> dict[str, Any]:
    for _ in range(600):
        found = env.service.store.job(job)
        if found and found["status"] in ("done", "failed"):
            break
        time.sleep(0.1)
    env.service._ingestion.submit(lambda: None).result(timeout=60)  # and what was queued after it
    result: dict[str, Any] = env.service.store.job(job) or {}
    return result


# -- users and rights --------------------------------------------------------------------------
def test_only_admins_see_the_users_page(env: Env, admin: tuple[TestClient, str]) -> None:
    client, _ = admin
    page = client.get("/admin/utilisateurs")
    assert page.status_code == 200
    assert "<caption" in page.text and "bob" in page.text and "demo : éditeur" in page.text
    for name in ("alice", "bob"):
        other = TestClient(env.app)
        login(other, name)
        assert other.get("/admin/utilisateurs").status_code == 403
        assert other.get("/admin/utilisateurs", headers=HTML).text.count("Réservé aux") == 1


def test_create_grant_revoke_a_user(env: Env, admin: tuple[TestClient, str]) -> None:
    client, token = admin
    short = client.post(
        "/admin/utilisateurs/creer", data={"identifiant": "zoe", "mot_de_passe": "court", "csrf": token}
    )
    assert short.status_code == 400 and "au moins 10 caractères" in short.text
    assert env.service.store.get_user("zoe") is None
    created = client.post(
        "/admin/utilisateurs/creer", data={"identifiant": "zoe", "mot_de_passe": PASSWORD, "csrf": token}
    )
    assert created.status_code == 200 and "Utilisateur « zoe » créé." in created.text
    assert can_log_in(env, "zoe", PASSWORD)
    twice = client.post(
        "/admin/utilisateurs/creer", data={"identifiant": "zoe", "mot_de_passe": PASSWORD, "csrf": token}
    )
    assert twice.status_code == 400 and "existe déjà" in twice.text

    zoe = TestClient(env.app)
    login(zoe, "zoe")
    assert zoe.get("/a/demo").status_code == 404
    # the collections offered are those that exist
    assert '<option value="demo">demo</option>' in client.get("/admin/utilisateurs").text
    granted = client.post(
        "/admin/utilisateurs/droits", data={"utilisateur": "zoe", "collection": "demo", "role": "reader", "csrf": token}
    )
    assert granted.status_code == 200 and "« zoe » est lecteur de la collection « demo »." in granted.text
    assert "demo : lecteur" in granted.text
    assert zoe.get("/a/demo").status_code == 200

    unknown = client.post(
        "/admin/utilisateurs/droits", data={"utilisateur": "zoe", "collection": "dmeo", "role": "editor", "csrf": token}
    )
    assert unknown.status_code == 404
    assert "La collection « dmeo » n&#39;existe pas. Vouliez-vous dire « demo » ?" in unknown.text
    assert env.service.store.grants(env.service.store.get_user("zoe").id) == {"demo": "reader"}  # type: ignore[union-attr]

    revoked = client.post(
        "/admin/utilisateurs/retirer", data={"utilisateur": "zoe", "collection": "demo", "csrf": token}
    )
    assert revoked.status_code == 200 and "n&#39;a plus de rôle" in revoked.text
    assert zoe.get("/a/demo").status_code == 404

    rows = actions(env)
    assert [r["action"] for r in rows] == ["user_create", "user_grant", "user_revoke"]
    assert all(r["username"] == "admin" for r in rows)
    assert rows[1]["collections"] == ["demo"] and rows[1]["detail"] == {"user": "zoe", "role": "reader"}
    assert PASSWORD not in str(env.service.store.audit_entries())


def test_disable_and_reset_password_end_access(env: Env, admin: tuple[TestClient, str]) -> None:
    client, token = admin
    alice = TestClient(env.app)
    login(alice, "alice")
    assert alice.get("/", follow_redirects=False).status_code == 200
    reset = client.post(
        "/admin/utilisateurs/mot-de-passe", data={"utilisateur": "alice", "mot_de_passe": NEW_PASSWORD, "csrf": token}
    )
    assert reset.status_code == 200 and "1 session(s) fermée(s), 1 clé(s) d&#39;API révoquée(s)" in reset.text
    assert alice.get("/", follow_redirects=False, headers=HTML).headers["location"] == "/connexion"  # session over
    assert not can_log_in(env, "alice", PASSWORD) and can_log_in(env, "alice", NEW_PASSWORD)

    disabled = client.post("/admin/utilisateurs/desactiver", data={"utilisateur": "alice", "csrf": token})
    assert disabled.status_code == 200 and "Compte « alice » désactivé" in disabled.text
    assert "Réactiver le compte alice" in disabled.text
    assert not can_log_in(env, "alice", NEW_PASSWORD)
    client.post("/admin/utilisateurs/reactiver", data={"utilisateur": "alice", "csrf": token})
    assert can_log_in(env, "alice", NEW_PASSWORD)
    myself = client.post("/admin/utilisateurs/desactiver", data={"utilisateur": "admin", "csrf": token})
    assert myself.status_code == 400 and "votre propre compte" in myself.text

    rows = actions(env)
    assert [r["action"] for r in rows] == ["user_password", "user_disable", "user_enable"]
    assert rows[0]["detail"] == {"user": "alice", "sessions_ended": 1, "keys_revoked": 1}
    assert NEW_PASSWORD not in str(env.service.store.audit_entries())


def test_posts_without_the_csrf_token_are_refused(env: Env, admin: tuple[TestClient, str]) -> None:
    client, _ = admin
    for url, data in (
        ("/admin/utilisateurs/creer", {"identifiant": "zoe", "mot_de_passe": PASSWORD}),
        ("/admin/utilisateurs/desactiver", {"utilisateur": "alice"}),
        ("/admin/utilisateurs/droits", {"utilisateur": "alice", "collection": "secret", "role": "editor"}),
        ("/a/demo/modifier", {"title": "Piraté", "collections": "demo"}),
    ):
        assert client.post(url, data=data).status_code == 403, url
        assert client.post(url, data=data | {"csrf": "faux"}).status_code == 403, url
    store = env.service.store
    assert store.get_user("zoe") is None and not store.get_user("alice").disabled  # type: ignore[union-attr]
    assert store.grants(store.get_user("alice").id) == {"demo": "reader"}  # type: ignore[union-attr]
    assert store.get_assistant("demo").title == "Assistant démo"  # type: ignore[union-attr]
    key_id = store.document_ids("demo")[next(iter(store.document_ids("demo")))]
    assert client.post(f"/collections/demo/documents/{key_id}/supprimer", data={"confirmer": "oui"}).status_code == 403
    assert len(store.documents("demo")) == 6


# -- documents of a collection -----------------------------------------------------------------
def test_documents_list_search_and_delete_after_confirmation(env: Env) -> None:
    store = env.service.store
    alice = TestClient(env.app)
    alice_token = login(alice, "alice")
    page = alice.get("/collections/demo/documents")
    assert page.status_code == 200
    assert "Règlement des congés annuels des agents" in page.text and "conges-annuels-agents.md" in page.text
    assert "Supprimer" not in page.text and "Remplacer" not in page.text  # a reader
    assert str(Path(__file__).resolve().parent.parent) not in page.text  # no server path
    found = alice.get("/collections/demo/documents", params={"q": "CONGES"})  # case and accents folded
    assert "Règlement des congés annuels" in found.text and "Charte" not in found.text
    assert "1 document sur 6" in found.text
    assert "Aucun document ne correspond" in alice.get("/collections/demo/documents?q=zzz").text
    assert TestClient(env.app).get("/collections/demo/documents", follow_redirects=False).status_code == 401
    eve = TestClient(env.app)
    login(eve, "eve")
    assert eve.get("/collections/demo/documents").status_code == 403

    ids = store.document_ids("demo")
    key = next(k for k in ids if k.endswith("faq-etat-civil.txt"))
    url = f"/collections/demo/documents/{ids[key]}/supprimer"
    assert alice.post(url, data={"csrf": alice_token, "confirmer": "oui"}).status_code == 403
    bob = TestClient(env.app)
    token = login(bob, "bob")
    assert "Supprimer" in bob.get("/collections/demo/documents").text
    asked = bob.post(url, data={"csrf": token})
    assert asked.status_code == 200 and "Supprimer définitivement « Foire aux questions" in asked.text
    assert key in store.document_ids("demo")  # not before confirming
    done = bob.post(url, data={"csrf": token, "confirmer": "oui"}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/collections/demo/documents"
    assert key not in store.document_ids("demo")
    assert "a été supprimé" in bob.get("/collections/demo/documents").text
    assert bob.post(url, data={"csrf": token, "confirmer": "oui"}).status_code == 404
    deleted = [r for r in store.audit_entries() if r["action"] == "delete"]
    assert [(r["username"], r["detail"]["document"]) for r in deleted] == [("bob", key)]


def test_privacy_counts_per_document(env: Env, embedder: Any, tmp_path: Path) -> None:
    from socle.ingest import ingest

    note = tmp_path / "note-contact.txt"
    note.write_text(
        "Note de service\n\nPour toute question sur votre paie, écrivez à votre gestionnaire, "
        "Mme Claire Dumas (claire.dumas@mairie-exemple.fr), ou appelez-la au 06 23 45 67 89.\n",
        encoding="utf-8",
    )
    assert not ingest(env.service.store, embedder, "rh", [note]).failed
    client, _ = TestClient(env.app), None
    login(client, "admin")
    page = client.get("/collections/rh/documents")
    assert page.status_code == 200
    assert "1 adresse électronique" in page.text and "1 numéro de téléphone" in page.text
    assert "claire.dumas@mairie-exemple.fr" not in page.text and "06 23 45 67 89" not in page.text
    assert "anonymisation" in page.text and str(tmp_path) not in page.text


def test_replace_a_document(env: Env) -> None:
    store = env.service.store
    bob = TestClient(env.app)
    token = login(bob, "bob")
    ids = store.document_ids("demo")
    old = next(k for k in ids if k.endswith("faq-etat-civil.txt"))
    url = f"/collections/demo/documents/{ids[old]}/remplacer"
    form = bob.get(url)
    assert form.status_code == 200 and 'type="file"' in form.text and str(Path(old).parent) not in form.text
    alice = TestClient(env.app)
    login(alice, "alice")
    assert alice.get(url).status_code == 403
    text = "FAQ de l'état civil, version 2\n\nLe service de l'état civil est désormais ouvert le samedi après-midi.\n"
    sent = bob.post(
        url,
        data={"csrf": token},
        files={"fichier": ("faq-etat-civil-v2.txt", text.encode(), "text/plain")},
        follow_redirects=False,
    )
    assert sent.status_code == 303 and "/collections/demo/documents?tache=" in sent.headers["location"]
    job = wait_for_job(env, int(sent.headers["location"].split("tache=")[1]))
    assert job["status"] == "done" and job["report"]["added"] == 1
    keys = set(store.document_ids("demo"))
    assert "faq-etat-civil-v2.txt" in keys and old not in keys and len(keys) == 6  # replaced, not duplicated
    page = bob.get(sent.headers["location"])
    assert "FAQ de l&#39;état civil, version 2" in page.text and 'data-status="done"' in page.text

    # the same file name again: replaced in place, under the same key
    again = bob.post(
        f"/collections/demo/documents/{store.document_ids('demo')['faq-etat-civil-v2.txt']}/remplacer",
        data={"csrf": token},
        files={"fichier": ("faq-etat-civil-v2.txt", (text + "Fermé le 14 juillet.\n").encode(), "text/plain")},
        follow_redirects=False,
    )
    job = wait_for_job(env, int(again.headers["location"].split("tache=")[1]))
    assert job["report"]["updated"] == 1 and len(store.document_ids("demo")) == 6
    assert "14 juillet" in store.document_text("demo", "faq-etat-civil-v2.txt")["text"]  # type: ignore[index]
    other = next(k for k in store.document_ids("demo") if k.endswith("charte-teletravail.docx"))
    clash = bob.post(
        f"/collections/demo/documents/{store.document_ids('demo')[other]}/remplacer",
        data={"csrf": token},
        files={"fichier": ("faq-etat-civil-v2.txt", b"autre chose", "text/plain")},
    )
    assert clash.status_code == 409 and "s&#39;appelle déjà « faq-etat-civil-v2.txt »" in clash.text
    assert other in store.document_ids("demo")
    missing = bob.post(url, data={"csrf": token}, files={"fichier": ("x.txt", b"x", "text/plain")})
    assert missing.status_code == 404  # the old id is gone


# -- editing an assistant ----------------------------------------------------------------------
def test_edit_an_assistant(env: Env) -> None:
    store = env.service.store
    demo = store.get_assistant("demo")
    assert demo is not None
    demo.settings = {"threshold": 0.42}
    store.put_assistant(demo)
    bob = TestClient(env.app)
    token = login(bob, "bob")
    form = bob.get("/a/demo/modifier")
    assert form.status_code == 200 and 'value="Assistant démo"' in form.text
    assert "Combien de jours de congés annuels ?" in form.text
    saved = bob.post(
        "/a/demo/modifier",
        data={
            "title": "Assistant RH",
            "instructions": "Réponds brièvement.",
            "collections": ["demo"],
            "examples": "Congés ?\n\n  Télétravail ?  \n",
            "purpose": "Répond aux questions des agents sur les congés.",
            "contact": "Contactez la DRH, poste 214.",
            "csrf": token,
        },
    )
    assert saved.status_code == 200 and "Modifications enregistrées." in saved.text
    after = store.get_assistant("demo")
    assert after is not None and after.name == "demo" and after.title == "Assistant RH"
    assert after.examples == ["Congés ?", "Télétravail ?"] and after.collections == ["demo"]
    assert after.settings == {
        "threshold": 0.42,
        "purpose": "Répond aux questions des agents sur les congés.",
        "contact": "Contactez la DRH, poste 214.",
    }
    assert after.created_at == demo.created_at
    assert "Contactez la DRH, poste 214." in saved.text  # shown back in the form
    assert store.get_assistant("assistant-rh") is None  # the identifier did not follow the title

    empty = bob.post("/a/demo/modifier", data={"title": "Assistant RH", "csrf": token})
    assert empty.status_code == 400 and "au moins une collection" in empty.text
    other = bob.post("/a/demo/modifier", data={"title": "X", "collections": ["secret"], "csrf": token})
    assert other.status_code == 403 and store.get_assistant("demo").collections == ["demo"]  # type: ignore[union-attr]
    audited = [r for r in store.audit_entries() if r["action"] == "assistant"]
    assert [(r["username"], r["assistant"]) for r in audited] == [("bob", "demo")]


def test_who_may_not_edit_an_assistant(env: Env, admin: tuple[TestClient, str]) -> None:
    client, token = admin
    # carol edits another collection and reads demo: she uses the assistant but may not change it
    client.post("/admin/utilisateurs/creer", data={"identifiant": "carol", "mot_de_passe": PASSWORD, "csrf": token})
    for collection, role in (("secret", "editor"), ("demo", "reader")):
        data = {"utilisateur": "carol", "collection": collection, "role": role, "csrf": token}
        client.post("/admin/utilisateurs/droits", data=data)
    carol = TestClient(env.app)
    carol_token = login(carol, "carol")
    assert carol.get("/a/demo").status_code == 200
    assert carol.get("/a/demo/modifier").status_code == 403
    data = {"title": "Pris", "collections": ["secret"], "csrf": carol_token}
    assert carol.post("/a/demo/modifier", data=data).status_code == 403
    assert env.service.store.get_assistant("demo").title == "Assistant démo"  # type: ignore[union-attr]
    # eve may not even use it: it does not exist for her
    eve = TestClient(env.app)
    login(eve, "eve")
    assert eve.get("/a/demo/modifier").status_code == 404
    alice = TestClient(env.app)
    login(alice, "alice")
    assert alice.get("/a/demo/modifier").status_code == 403  # a reader
    assert client.get("/a/demo/modifier").status_code == 200  # an admin
