"""Conversations kept by Socle (issue 17): a question starts one, follow-ups use it the same
way from the web page (with or without JavaScript) and from the API, it survives a reload and
Back, it belongs to its user alone, and it can be renamed and deleted."""

from __future__ import annotations

import html
import re
from collections import Counter

import pytest
from fastapi.testclient import TestClient
from tests.service_helpers import Env, auth, login

QUESTION = "Combien de jours de télétravail par semaine pour un agent à temps complet ?"
FOLLOW_UP = "Et le samedi ?"  # means nothing alone
FIRST = "Quels sont les horaires d'ouverture de la médiathèque ?"


@pytest.fixture
def client(env: Env) -> TestClient:
    return TestClient(env.app)


def ask_api(client: TestClient, key: str, question: str, conversation: int | None) -> dict:  # type: ignore[type-arg]
    body = {"model": "demo", "messages": [{"role": "user", "content": question}], "socle_conversation": conversation}
    response = client.post("/v1/chat/completions", json=body, headers=auth(key))
    assert response.status_code == 200, response.text
    return response.json()["socle"]  # type: ignore[no-any-return]


def test_a_follow_up_is_answered_from_the_conversation_kept_by_socle(env: Env, client: TestClient) -> None:
    alice = env.keys["alice"]
    alone = ask_api(client, alice, FOLLOW_UP, None)
    assert alone["abstained"] and alone["conversation_id"] is None  # no conversation asked for

    first = ask_api(client, alice, FIRST, 0)
    conversation = first["conversation_id"]
    assert isinstance(conversation, int) and conversation > 0 and not first["abstained"]
    follow = ask_api(client, alice, FOLLOW_UP, conversation)  # only the last message is sent
    assert not follow["abstained"] and follow["conversation_id"] == conversation
    assert "Médiathèque" in follow["citations"][0]["document_title"]

    listed = env.service.store.conversations(env.service.store.get_user("alice").id)
    assert [(c["id"], c["title"], c["turns"]) for c in listed] == [(conversation, FIRST, 2)]


def test_a_conversation_belongs_to_its_user(env: Env, client: TestClient) -> None:
    conversation = ask_api(client, env.keys["alice"], FIRST, 0)["conversation_id"]
    # Bob may use the assistant, not Alice's conversation: 404, as for one that does not exist.
    body = {"model": "demo", "messages": [{"role": "user", "content": "Et ?"}], "socle_conversation": conversation}
    assert client.post("/v1/chat/completions", json=body, headers=auth(env.keys["bob"])).status_code == 404
    login(client, "bob")
    assert client.get(f"/a/demo/c/{conversation}").status_code == 404
    assert FIRST not in client.get("/a/demo").text
    assert client.get(f"/a/coffre/c/{conversation}").status_code == 404  # nor through another assistant


def test_the_web_flow_without_javascript_keeps_the_conversation(env: Env, client: TestClient) -> None:
    token = login(client, "alice")
    sent = client.post("/a/demo", data={"question": FIRST, "csrf": token}, follow_redirects=False)
    assert sent.status_code == 303
    location = sent.headers["location"]
    match = re.fullmatch(r"/a/demo/c/(\d+)#reponse-(\d+)", location)
    assert match, location
    page_url = location.split("#")[0]
    follow = client.post(page_url, data={"question": FOLLOW_UP, "csrf": token}, follow_redirects=False)
    assert follow.status_code == 303 and follow.headers["location"].startswith(page_url + "#reponse-")

    page = html.unescape(client.get(page_url).text)  # a reload, or Back from a citation, shows the whole conversation
    assert page.index(FIRST) < page.index(FOLLOW_UP)  # in order, the newest at the bottom
    assert page.count('class="answer') >= 2 and "Généré par IA" in page
    assert 'aria-current="page">' + FIRST in page  # listed, and marked as the current one
    # Each answer's [n] links to its own source: no id is used twice on the page.
    ids = Counter(re.findall(r'\bid="([^"]+)"', page))
    assert not [i for i, n in ids.items() if n > 1], ids
    markers = re.findall(r'href="#(source-\d+-\d+)"', page)
    assert markers and all(ids[m] == 1 for m in markers)
    # Citations lead back here.
    link = page.split('class="citation-link" href="')[1].split('"')[0]
    assert f"retour={page_url}" in link and client.get(link).status_code == 200

    answer_id = int(match.group(2))
    rated = client.post(
        "/a/demo/avis",
        data={"answer_id": answer_id, "useful": "oui", "conversation": match.group(1), "csrf": token},
        follow_redirects=False,
    )
    assert rated.headers["location"] == f"{page_url}?merci={answer_id}#reponse-{answer_id}"
    assert "Merci, votre avis a été enregistré." in client.get(rated.headers["location"]).text


def test_rename_and_delete_with_confirmation(env: Env, client: TestClient) -> None:
    token = login(client, "alice")
    location = client.post("/a/demo", data={"question": QUESTION, "csrf": token}, follow_redirects=False)
    page_url = location.headers["location"].split("#")[0]
    conversation = int(page_url.rsplit("/", 1)[1])
    client.post(page_url + "/renommer", data={"title": "  Télétravail   à 80 % ", "csrf": token})
    assert env.service.store.conversation(conversation)["title"] == "Télétravail à 80 %"
    assert client.post(page_url + "/renommer", data={"title": "x", "csrf": "faux"}).status_code == 403

    confirm = client.get(page_url + "/supprimer")
    assert confirm.status_code == 200 and "Supprimer définitivement" in confirm.text
    assert env.service.store.conversation(conversation) is not None  # asking is not deleting
    gone = client.post(page_url + "/supprimer", data={"csrf": token}, follow_redirects=False)
    assert gone.status_code == 303 and gone.headers["location"] == "/a/demo"
    assert env.service.store.conversation(conversation) is None
    assert client.get(page_url).status_code == 404
    # The answer stays for the audit log and the ratings, unlinked.
    answers = env.service.store.answers()
    assert answers[-1]["question"] == QUESTION
    assert "conversation_delete" in [e["action"] for e in env.service.store.audit_entries()]


def test_a_not_found_answer_helps(env: Env, client: TestClient) -> None:
    assistant = env.service.store.get_assistant("demo")
    assistant.settings["contact"] = "Contactez la DRH, poste 214."
    assistant.settings["purpose"] = "Répond aux questions des agents sur les congés et le télétravail."
    env.service.store.put_assistant(assistant)
    token = login(client, "alice")
    home = client.get("/").text
    assert "Répond aux questions des agents" in home and "Tu réponds aux agents." not in home  # not the instructions
    page = client.post(
        "/a/demo", data={"question": "Quel est le montant de la prime de fin d'année ?", "csrf": token}
    ).text
    assert "Je ne trouve pas la réponse dans les documents disponibles." in page
    assert "collection" not in page.split('id="conversation"')[1].split("</section>")[0].lower()  # no jargon
    assert "Contactez la DRH, poste 214." in page
    closest = page.split('class="citations closest"')[1].split("</ul>")[0]
    assert closest.count("<blockquote>") >= 1  # an excerpt under each passage, not bare titles
    greeting = client.post("/a/demo", data={"question": "Bonjour", "csrf": token}).text
    turn = greeting.split('id="conversation"')[1].split("</section>")[0].split("Bonjour")[-1]
    assert "<blockquote>" not in turn and '<p class="next-step" hidden>' in turn  # a short reply, no documents


def test_a_reader_is_told_at_once_that_creating_an_assistant_needs_a_right(env: Env, client: TestClient) -> None:
    login(client, "alice")
    page = client.get("/assistants/nouveau")
    assert page.status_code == 403 and "rôle d'éditeur" in page.text
    assert 'href="/assistants/nouveau"' not in client.get("/").text
    login(client, "bob")
    assert client.get("/assistants/nouveau").status_code == 200


def test_rows_stored_before_conversations_are_shown_with_defaults() -> None:
    from socle.service.display import from_row

    row = {"id": 3, "created_at": "2026-01-01T00:00:00Z", "collection": "demo", "question": "Q ?"}
    row |= {"answer": "R [1]", "abstained": False, "mode": "extractive", "model": "m", "confidence": 0.5}
    row |= {"citations": [], "footprint": {"wall_s": 0.1}, "extra": None, "assistant": "demo"}
    shown = from_row(row)
    assert shown["answer_id"] == 3 and shown["text"] == "R [1]" and shown["ai_generated"] is True
    assert shown["closest_passages"] == [] and shown["next_step"] == "" and shown["outcome"] == "answer"
