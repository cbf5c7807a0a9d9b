"""The improvement page (/amelioration): editors handle the corrections agents propose, read
ratings and comments, and answer the questions Socle could not; readers are refused."""

from __future__ import annotations

import html
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.service_helpers import PASSWORD, Env, login, make_env
from tests.test_store_backends import BACKENDS, make_store, pg_server  # noqa: F401  (pg_server: a fixture)

from socle.service.auth import hash_password, principal_for
from socle.store import schema as T

QUESTION = "Combien de jours de télétravail par semaine pour un agent à temps complet ?"
PARAPHRASE = "Un agent à plein temps peut télétravailler combien de jours par semaine ?"
CORRECTION = "Depuis la note du 4 novembre, un agent à temps complet peut télétravailler trois jours par semaine."
EDITED = "Depuis la note du 4 novembre, un agent à temps complet télétravaille jusqu'à trois jours par semaine."
OFF_TOPIC = "Quelle est la recette de la tarte tatin aux pommes caramélisées ?"
WRITTEN = "La tarte tatin n'est pas du ressort de ce service : adressez-vous au restaurant administratif."
HTML = {"Accept": "text/html"}


@pytest.fixture
def env(tmp_path, demo_store, embedder) -> Env:  # type: ignore[no-untyped-def]
    env = make_env(tmp_path, demo_store, embedder)
    carol = env.service.store.create_user("carol", hash_password(PASSWORD))  # edits another collection
    env.service.store.set_grant(carol.id, "secret", "editor")
    return env


def shown(response: Any) -> str:
    """A page's text as read: entities decoded, no-break spaces as spaces."""
    return html.unescape(response.text).replace("\u00a0", " ")


def who(env: Env, name: str) -> Any:
    return principal_for(env.service.store, env.service.store.get_user(name))


def browser(env: Env, name: str) -> tuple[TestClient, str]:
    """A logged-in web session and its CSRF token."""
    client = TestClient(env.app, headers=HTML)
    return client, login(client, name)


def propose(env: Env) -> int:
    """Alice (a reader) rates an answer « Pas utile » with a correction; returns its id."""
    _, answer_id = env.service.ask(who(env, "alice"), "demo", QUESTION)
    rated = env.service.rate(who(env, "alice"), answer_id, False, "Ce n'est plus à jour.", CORRECTION)
    assert rated["correction_validated"] is False
    return int(rated["correction_id"])


def correction(env: Env, correction_id: int) -> Any:
    return next(c for c in env.service.store.all_corrections() if c.id == correction_id)


def actions(env: Env) -> list[str]:
    return [r["action"] for r in env.service.store.audit_entries()]


def test_a_reader_is_refused(env: Env) -> None:
    correction_id = propose(env)
    client, csrf = browser(env, "alice")
    page = client.get("/amelioration")
    assert page.status_code == 403
    assert "réservée aux éditeurs et aux administrateurs" in shown(page) and CORRECTION not in shown(page)
    refused = client.post(f"/amelioration/corrections/{correction_id}/rejeter", data={"csrf": csrf, "confirme": "oui"})
    assert refused.status_code == 403 and correction(env, correction_id).pending
    assert client.get("/amelioration?vue=avis").status_code == 403


def test_an_editor_rejects_a_proposal_after_confirming(env: Env) -> None:
    correction_id = propose(env)
    client, csrf = browser(env, "bob")
    page = client.get("/amelioration")
    assert page.status_code == 200
    assert "Corrections à traiter (1)" in shown(page)
    assert CORRECTION in shown(page) and "Proposée par alice" in shown(page) and QUESTION in shown(page)
    assert "Ce n'est plus à jour." in shown(page)  # the rating's comment
    assert "Réponse corrigée" in shown(page)  # the answer it corrects, reached through the rating

    target = f"/amelioration/corrections/{correction_id}/rejeter"
    asked = client.post(target, data={"csrf": csrf})  # first step: a question, nothing done
    assert asked.status_code == 200 and "Rejeter cette correction ?" in shown(asked)
    assert 'name="confirme" value="oui"' in shown(asked) and correction(env, correction_id).pending

    done = client.post(target, data={"csrf": csrf, "confirme": "oui"}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/amelioration?vue=corrections&fait=rejetee"
    rejected = correction(env, correction_id)  # kept, with who refused it
    assert not rejected.pending and rejected.rejected_by == "bob" and rejected.validated_at is None
    after = client.get(done.headers["location"])
    assert "Correction rejetée" in shown(after) and "Corrections à traiter (0)" in shown(after)
    assert "Rejetée par bob" in shown(after)  # in the recent decisions
    assert "correction_reject" in actions(env)
    # Once decided, it cannot be rejected (or validated) again from a stale page.
    again = client.post(target, data={"csrf": csrf, "confirme": "oui"})
    assert again.status_code == 409 and "déjà été rejetée par bob" in shown(again)


def test_editing_then_validating_a_proposal_changes_later_answers(env: Env) -> None:
    correction_id = propose(env)
    client, csrf = browser(env, "bob")
    target = f"/amelioration/corrections/{correction_id}/modifier"
    form = client.post(target, data={"csrf": csrf})
    assert form.status_code == 200 and "Texte de la correction" in shown(form) and CORRECTION in shown(form)

    empty = client.post(target, data={"csrf": csrf, "confirme": "oui", "texte": "  ", "suite": "enregistrer"})
    assert empty.status_code == 400 and "Le texte est vide" in shown(empty)
    saved = client.post(
        target, data={"csrf": csrf, "confirme": "oui", "texte": EDITED, "suite": "enregistrer"}, follow_redirects=False
    )
    assert saved.status_code == 303 and saved.headers["location"].endswith("fait=modifiee")
    assert correction(env, correction_id).text == EDITED and correction(env, correction_id).pending
    assert "correction_edit" in actions(env)
    # Saved but not validated: answers do not use it yet.
    before, _ = env.service.ask(who(env, "alice"), "demo", PARAPHRASE)
    assert EDITED not in shown(before)

    validate = f"/amelioration/corrections/{correction_id}/valider"
    confirm = client.post(validate, data={"csrf": csrf})
    assert "Valider cette correction ?" in shown(confirm) and correction(env, correction_id).pending
    done = client.post(validate, data={"csrf": csrf, "confirme": "oui"}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"].endswith("fait=validee")
    assert correction(env, correction_id).validated_by == "bob"
    assert "validate" in actions(env)  # the action Service.validate_correction has always written

    after, _ = env.service.ask(who(env, "alice"), "demo", PARAPHRASE)
    assert EDITED in shown(after)
    assert after.citations[0].document_title == "Correction validée" and after.citations[0].passage_id < 0


def test_edit_and_validate_in_one_step(env: Env) -> None:
    correction_id = propose(env)
    client, csrf = browser(env, "bob")
    done = client.post(
        f"/amelioration/corrections/{correction_id}/modifier",
        data={"csrf": csrf, "confirme": "oui", "texte": EDITED, "suite": "valider"},
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"].endswith("fait=modifiee-validee")
    found = correction(env, correction_id)
    assert found.text == EDITED and found.validated_by == "bob"
    answer, _ = env.service.ask(who(env, "alice"), "demo", QUESTION)
    assert EDITED in shown(answer)


def test_ratings_filter_by_verdict_assistant_and_date(env: Env) -> None:
    alice = who(env, "alice")
    _, useful_id = env.service.ask(alice, "demo", QUESTION)
    env.service.rate(alice, useful_id, True, "Très clair, merci.")
    _, useless_id = env.service.ask(alice, "demo", "Combien de jours de congés annuels pour un agent ?")
    old = env.service.rate(alice, useless_id, False, "Il manque les jours de fractionnement.")
    with env.service.store.db.write() as conn:  # a rating from January 2025
        f = T.feedback.c
        conn.execute(T.feedback.update().where(f.id == old["id"]).values(created_at="2025-01-15T10:00:00+00:00"))

    client, _ = browser(env, "bob")

    def comments(query: str) -> set[str]:
        page = client.get("/amelioration?vue=avis&" + query)
        assert page.status_code == 200, page.text
        return {c for c in ("Très clair, merci.", "Il manque les jours de fractionnement.") if c in shown(page)}

    everything = client.get("/amelioration?vue=avis")
    assert "<caption>2 avis" in shown(everything) and "Pas utile" in shown(everything)
    assert "15 janv. 2025" in shown(everything).replace("\u00a0", " ")  # dates in French
    assert comments("") == {"Très clair, merci.", "Il manque les jours de fractionnement."}
    assert comments("verdict=utiles") == {"Très clair, merci."}
    assert comments("verdict=pas-utiles") == {"Il manque les jours de fractionnement."}
    assert comments("du=2025-01-01&au=2025-01-31") == {"Il manque les jours de fractionnement."}
    assert comments("du=2025-01-16&au=2025-02-01") == set()
    assert comments("au=2025-01-15") == {"Il manque les jours de fractionnement."}  # the last day included
    today = datetime.now(UTC).date().isoformat()
    assert comments(f"du={today}") == {"Très clair, merci."}
    assert comments("assistant=demo&verdict=tous") == {"Très clair, merci.", "Il manque les jours de fractionnement."}
    assert comments("assistant=coffre") == set()
    unreadable = client.get("/amelioration?vue=avis&du=hier")
    assert unreadable.status_code == 200 and "Date « du » illisible" in shown(unreadable)


def test_an_unanswered_question_gets_a_written_answer(env: Env) -> None:
    alice = who(env, "alice")
    abstained, answer_id = env.service.ask(alice, "demo", OFF_TOPIC)
    assert abstained.abstained
    client, csrf = browser(env, "bob")
    page = client.get("/amelioration?vue=sans-reponse")
    assert page.status_code == 200 and OFF_TOPIC in shown(page)
    assert 'href="/collections/demo"' in shown(page) and "Rédiger une réponse" in shown(page)

    target = f"/amelioration/sans-reponse/{answer_id}/rediger"
    form = client.post(target, data={"csrf": csrf})
    assert form.status_code == 200 and "Réponse à donner à cette question" in shown(form) and OFF_TOPIC in shown(form)
    assert client.post(target, data={"csrf": csrf, "confirme": "oui", "texte": ""}).status_code == 400
    done = client.post(target, data={"csrf": csrf, "confirme": "oui", "texte": WRITTEN}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/amelioration?vue=sans-reponse&fait=redigee"

    written = [c for c in env.service.store.all_corrections() if c.text == WRITTEN]
    assert len(written) == 1 and written[0].author == "bob" and written[0].validated_by == "bob"
    assert written[0].embedding is not None and written[0].question == OFF_TOPIC
    assert "correction_write" in actions(env)
    # The same question is now answered from it, exactly as from a validated correction.
    again, _ = env.service.ask(alice, "demo", OFF_TOPIC)
    assert not again.abstained and WRITTEN in shown(again)
    assert again.citations[0].document_title == "Correction validée"
    # The queue shows it answered, and a second answer to the same question is refused.
    listed = client.get("/amelioration?vue=sans-reponse")
    assert f'href="/corrections/{written[0].id}"' in shown(listed)
    assert client.post(target, data={"csrf": csrf, "confirme": "oui", "texte": "Autre."}).status_code == 409


def test_closest_passages_are_shown_when_stored(env: Env) -> None:
    _, answer_id = env.service.ask(who(env, "alice"), "demo", OFF_TOPIC)
    passage = {"collection": "demo", "document": "guide", "title": "Guide du télétravail", "text": "Extrait."}
    passage |= {"start": 0, "end": 8, "location": "§ 2", "excerpt": "Extrait du guide."}
    with env.service.store.db.write() as conn:
        a = T.answers.c
        conn.execute(T.answers.update().where(a.id == answer_id).values(extra={"closest_passages": [passage]}))
    client, _ = browser(env, "bob")
    page = client.get("/amelioration?vue=sans-reponse")
    assert "Passages les plus proches" in shown(page) and "Guide du télétravail" in shown(page)
    assert "Extrait du guide." in shown(page) and "/documents/demo?cle=guide&debut=0&fin=8" in shown(page)


def test_actions_need_the_csrf_token(env: Env) -> None:
    correction_id = propose(env)
    _, answer_id = env.service.ask(who(env, "alice"), "demo", OFF_TOPIC)
    client, _ = browser(env, "bob")
    for path in (
        f"/amelioration/corrections/{correction_id}/rejeter",
        f"/amelioration/corrections/{correction_id}/valider",
        f"/amelioration/corrections/{correction_id}/modifier",
    ):
        for data in ({"confirme": "oui", "texte": EDITED}, {"csrf": "faux", "confirme": "oui", "texte": EDITED}):
            refused = client.post(path, data=data)
            assert refused.status_code == 403 and "CSRF" in shown(refused)
    written = client.post(f"/amelioration/sans-reponse/{answer_id}/rediger", data={"confirme": "oui", "texte": WRITTEN})
    assert written.status_code == 403
    found = correction(env, correction_id)
    assert found.pending and found.text == CORRECTION
    assert not [c for c in env.service.store.all_corrections() if c.text == WRITTEN]


def test_an_editor_of_another_collection_sees_nothing_of_demo(env: Env) -> None:
    correction_id = propose(env)
    alice = who(env, "alice")
    _, rated = env.service.ask(alice, "demo", QUESTION)
    env.service.rate(alice, rated, True, "Très clair, merci.")
    _, abstained_id = env.service.ask(alice, "demo", OFF_TOPIC)
    client, csrf = browser(env, "carol")
    for view in ("corrections", "avis", "sans-reponse"):
        page = client.get(f"/amelioration?vue={view}")
        assert page.status_code == 200
        for text in (CORRECTION, QUESTION, OFF_TOPIC, "Très clair, merci."):
            assert text not in shown(page), (view, text)
    # Acting on demo's items: they do not exist for her (she may not even read demo).
    assert client.post(f"/amelioration/corrections/{correction_id}/rejeter", data={"csrf": csrf}).status_code == 404
    written = client.post(f"/amelioration/sans-reponse/{abstained_id}/rediger", data={"csrf": csrf})
    assert written.status_code == 404
    # A reader of demo sees it exists but may not act on it.
    client, csrf = browser(env, make_reader_of_demo(env))
    assert client.post(f"/amelioration/corrections/{correction_id}/rejeter", data={"csrf": csrf}).status_code == 403
    assert correction(env, correction_id).pending


def make_reader_of_demo(env: Env) -> str:
    """An editor of ``secret`` who only reads ``demo``: a reviewer, but not of demo."""
    dave = env.service.store.create_user("dave", hash_password(PASSWORD))
    env.service.store.set_grant(dave.id, "secret", "editor")
    env.service.store.set_grant(dave.id, "demo", "reader")
    return "dave"


def test_an_admin_sees_every_collection(env: Env) -> None:
    propose(env)
    client, _ = browser(env, "admin")
    assert CORRECTION in shown(client.get("/amelioration"))


def test_store_queries_follow_the_collections_given(env: Env) -> None:
    """The improvement queries take the collection values as stored (comma-joined ones too)."""
    store = env.service.store
    propose(env)
    assert "demo" in store.review_collection_keys()
    assert len(store.review_corrections(["demo"], pending=True)) == 1
    assert store.review_corrections(["secret"], pending=True) == []
    assert store.review_corrections([], pending=True) == []
    rows, total = store.review_feedback(["demo"], rating=-1)
    assert total == 1 and rows[0]["comment"] == "Ce n'est plus à jour." and rows[0]["question"] == QUESTION
    assert store.review_feedback(["demo,secret"]) == ([], 0)
    assert store.review_assistants(["demo"]) == ["demo"]


def _answer(store: Any, collection: str, question: str, assistant: str, abstained: bool = False) -> int:
    record = {
        "collection": collection,
        "question": question,
        "answer": "…",
        "abstained": abstained,
        "mode": "extractive",
    }
    record |= {"model": "extractif", "confidence": 0.5, "citations": [], "footprint": {}, "username": "alice"}
    return int(store.record_answer(record | {"assistant": assistant}))


@pytest.fixture(params=BACKENDS)
def backend_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    """An empty store on SQLite, then on a private PostgreSQL (skipped when it cannot start)."""
    opened = make_store(request.param, request, tmp_path)
    yield opened
    opened.close()


def test_review_queries_on_both_backends(backend_store: Any) -> None:
    """The queue's queries are plain SQLAlchemy Core: the same results on SQLite and PostgreSQL
    (dates compared as ISO-8601 text, booleans, outer joins, a correlated subquery)."""
    import numpy as np

    first = _answer(backend_store, "demo", "Question A ?", "demo")
    second = _answer(backend_store, "demo,rh", "Question B ?", "mixte")
    unanswered = _answer(backend_store, "demo", "Question C ?", "demo", abstained=True)
    _answer(backend_store, "rh", "Question D ?", "rh", abstained=True)
    up = backend_store.add_feedback(first, "alice", 1, "Bien.")
    down = backend_store.add_feedback(second, "bob", -1, "Faux.", "Texte juste.")
    with backend_store.db.write() as conn:
        f = T.feedback.c
        conn.execute(T.feedback.update().where(f.id == up).values(created_at="2025-03-01T08:00:00+00:00"))
    vector = np.ones(4, dtype=np.float32)
    proposed = backend_store.add_correction("demo,rh", "Question B ?", "Texte juste.", vector, down, "bob")
    written = backend_store.add_correction(
        "demo", "Question C ?", "Réponse C.", vector, None, "bob", validated_by="bob"
    )

    assert backend_store.review_collection_keys() == ["demo", "demo,rh", "rh"]
    pending = backend_store.review_corrections(["demo,rh"], pending=True)
    assert [(c["id"], c["answer_id"], c["comment"], c["assistant"]) for c in pending] == [
        (proposed, second, "Faux.", "mixte")
    ]
    assert pending[0]["created_at"] and "embedding" not in pending[0]
    decided = backend_store.review_corrections(["demo", "demo,rh"], pending=False)
    assert [(c["id"], c["answer_id"], c["validated_by"]) for c in decided] == [(written, None, "bob")]
    assert backend_store.review_correction(proposed)["answer"] == "…"  # type: ignore[index]
    assert backend_store.review_correction(10_000) is None

    rows, total = backend_store.review_feedback(["demo", "demo,rh"])
    assert total == 2 and [r["id"] for r in rows] == [down, up]  # newest first
    assert backend_store.review_feedback(["demo", "demo,rh"], rating=1)[1] == 1
    assert [
        r["id"] for r in backend_store.review_feedback(["demo", "demo,rh"], since="2025-03-01", before="2025-03-02")[0]
    ] == [up]
    assert backend_store.review_feedback(["demo", "demo,rh"], assistant="mixte")[0][0]["comment"] == "Faux."
    assert backend_store.review_feedback(["rh"]) == ([], 0)
    assert len(backend_store.review_feedback(["demo", "demo,rh"], limit=1)[0]) == 1

    rows, total = backend_store.review_abstentions(["demo"])
    assert total == 1 and rows[0]["id"] == unanswered and rows[0]["correction_id"] == written
    assert rows[0]["extra"] is None  # answers written before ``extra`` existed
    assert backend_store.review_abstentions(["demo"], assistant="rh") == ([], 0)
    assert backend_store.review_assistants(["demo", "demo,rh"]) == ["demo", "mixte"]
