"""Feedback changes later answers: repeatedly down-rated passages are demoted, and a
validated correction answers the questions of its neighbourhood (and only those)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from tests.service_helpers import Env, auth

from socle.service.auth import principal_for
from socle.service.feedback import MAX_PENALTY, penalty

QUESTION = "Combien de jours de télétravail par semaine pour un agent à temps complet ?"
PARAPHRASE = "Un agent à plein temps peut télétravailler combien de jours par semaine ?"
CORRECTION = "Depuis la note du 4 novembre, un agent à temps complet peut télétravailler trois jours par semaine."


def test_penalty_needs_repeated_net_down_votes() -> None:
    assert penalty(0, 1) == 0.0  # one agent alone buries nothing
    assert penalty(2, 3) == 0.0
    assert penalty(0, 2) == pytest.approx(0.75)
    assert penalty(1, 4) == pytest.approx(1.5)
    assert penalty(0, 50) == MAX_PENALTY


def test_down_rated_passage_is_demoted(env: Env) -> None:
    service = env.service
    alice = principal_for(service.store, service.store.get_user("alice"))
    first, first_id = service.ask(alice, "demo", QUESTION)
    cited = first.citations[0].passage_id
    before = service.search(alice, ["demo"], QUESTION, k=3)
    assert before[0].chunk_id == cited

    # One "not useful" changes nothing...
    _, answer_id = service.ask(alice, "demo", QUESTION)
    service.rate(alice, answer_id, useful=False)
    assert service.search(alice, ["demo"], QUESTION, k=3)[0].chunk_id == cited
    # ...a second one demotes the passage: another passage comes first, and answers cite it.
    _, answer_id = service.ask(alice, "demo", QUESTION)
    service.rate(alice, answer_id, useful=False)
    assert service.store.passage_votes("demo")[cited] == (0, 2)
    after = service.search(alice, ["demo"], QUESTION, k=3)
    assert after[0].chunk_id != cited
    again, _ = service.ask(alice, "demo", QUESTION)
    # The demoted passage is no longer cited first: another passage is, or, when what is
    # left is too weak for the confidence model, Socle abstains rather than quote it.
    assert again.citations[0].passage_id != cited if again.citations else again.abstained
    # Useful votes on the same passage restore it.
    _, answer_id = service.ask(alice, "demo", QUESTION)
    service.store.add_feedback(answer_id, "bob", 1)  # a rating of an answer that cited it
    service.store.add_feedback(first_id, "bob", 1)
    assert service.search(alice, ["demo"], QUESTION, k=3)[0].chunk_id == cited


def test_validated_correction_answers_its_neighbourhood(env: Env) -> None:
    client = TestClient(env.app)
    alice, bob = auth(env.keys["alice"]), auth(env.keys["bob"])

    def ask(question: str) -> dict:  # type: ignore[type-arg]
        body = {"model": "demo", "messages": [{"role": "user", "content": question}]}
        response = client.post("/v1/chat/completions", json=body, headers=alice)
        assert response.status_code == 200, response.text
        return response.json()  # type: ignore[no-any-return]

    reply = ask(QUESTION)
    rated = client.post(
        "/v1/feedback",
        json={"answer_id": reply["socle"]["answer_id"], "useful": False, "correction": CORRECTION},
        headers=alice,
    ).json()
    assert rated["correction_validated"] is False  # alice is a reader: an editor must validate
    assert CORRECTION not in ask(PARAPHRASE)["choices"][0]["message"]["content"]

    pending = client.get("/v1/corrections", headers=bob).json()
    assert [c["id"] for c in pending] == [rated["correction_id"]]
    assert client.post(f"/v1/corrections/{rated['correction_id']}/validate", headers=alice).status_code == 403
    assert client.post(f"/v1/corrections/{rated['correction_id']}/validate", headers=bob).status_code == 200

    corrected = ask(PARAPHRASE)
    assert CORRECTION in corrected["choices"][0]["message"]["content"]
    citation = corrected["socle"]["citations"][0]
    assert citation["document_title"] == "Correction validée" and citation["passage_id"] < 0
    assert "bob" in citation["source"]
    # Outside the neighbourhood, retrieval answers as before.
    other = ask("Combien de jours de congés annuels pour un agent ?")
    assert CORRECTION not in other["choices"][0]["message"]["content"]
    assert other["socle"]["citations"][0]["passage_id"] > 0
    # The correction page follows the collection's permissions: for someone who may not read
    # it, the correction does not exist (404 like an unknown id, docs/security.md).
    assert CORRECTION in client.get(f"/corrections/{rated['correction_id']}", headers=alice).text
    eve = client.get(f"/corrections/{rated['correction_id']}", headers=auth(env.keys["eve"]))
    assert eve.status_code == 404 and CORRECTION not in eve.text


def test_editor_correction_is_validated_at_once(env: Env) -> None:
    client = TestClient(env.app)
    bob = auth(env.keys["bob"])
    body = {"model": "demo", "messages": [{"role": "user", "content": QUESTION}]}
    reply = client.post("/v1/chat/completions", json=body, headers=bob).json()
    rated = client.post(
        "/v1/feedback",
        json={"answer_id": reply["socle"]["answer_id"], "useful": False, "correction": CORRECTION},
        headers=bob,
    ).json()
    assert rated["correction_validated"] is True
    again = client.post("/v1/chat/completions", json=body, headers=bob).json()
    assert again["choices"][0]["message"]["content"].count(CORRECTION) == 1
