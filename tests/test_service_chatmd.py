"""A teacher's ChatMD chatbot as a Socle assistant: import, initial message and buttons,
responses chosen by button or by question, grounded answers from added documents, the
chatbot's fallback message, and the export back to ChatMD."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from tests.service_helpers import Env, auth, make_env

from socle.chatmd import parse_chatmd
from socle.cli import cli
from socle.ingest import ingest

CHATBOT = Path(__file__).parent / "data" / "chatmd" / "college_vie_scolaire.md"


@pytest.fixture
def env(tmp_path: Path, demo_store, embedder) -> Env:  # type: ignore[no-untyped-def]
    env = make_env(tmp_path, demo_store, embedder)
    runner = CliRunner()
    result = runner.invoke(cli, ["--db", env.settings.db, "assistant", "import", str(CHATBOT), "-c", "vie-scolaire"])
    assert result.exit_code == 0, result.output
    assert "importé comme assistant" in result.output
    note = tmp_path / "note-voyage.md"
    note.write_text(
        "# Voyage en Espagne des 4e\n\nLe voyage des classes de 4e à Séville aura lieu du 12 au 17 avril. "
        "Le coût restant à la charge des familles est de 180 euros, payable en trois fois.\n",
        encoding="utf-8",
    )
    assert not ingest(env.service.store, embedder, "vie-scolaire", [note]).failed
    store = env.service.store
    store.set_grant(store.get_user("alice").id, "vie-scolaire", "reader")
    return env


def chat(client: TestClient, key: str, content: str, choice: str | None = None) -> dict:  # type: ignore[type-arg]
    body = {"model": "vie-scolaire-du-college-jean-moulin", "messages": [{"role": "user", "content": content}]}
    if choice:
        body["socle_choice"] = choice
    response = client.post("/v1/chat/completions", json=body, headers=auth(key))
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def test_imported_chatbot_behaves_like_chatmd_and_answers_beyond(env: Env) -> None:
    client = TestClient(env.app)
    key = env.keys["alice"]
    chatbot = parse_chatmd(CHATBOT.read_text(encoding="utf-8"))
    info = client.get("/v1/assistants/vie-scolaire-du-college-jean-moulin", headers=auth(key)).json()
    assert info["chatmd"] is not None and "vie scolaire" in info["chatmd"]["text"]
    assert [c["target"] for c in info["chatmd"]["choices"]][:3] == ["Absence d'un élève", "Retards", "Cantine"]
    keys = {d["key"] for d in client.get("/v1/documents?collection=vie-scolaire", headers=auth(key)).json()}
    assert "chatmd:cantine" in keys  # every response is a passage of the collection

    # A button opens its target response, written by the teacher: no AI mark, no footprint shown.
    clicked = chat(client, key, "Cantine et demi-pension", choice="Cantine")["socle"]
    assert clicked["response_title"] == "Cantine" and clicked["ai_generated"] is False
    cantine = chatbot.response("Cantine")
    assert cantine is not None
    assert [c["target"] for c in clicked["choices"]] == [c.target for c in cantine.choices]
    assert "<strong>" in clicked["html"] or "<p>" in clicked["html"]

    # A typed paraphrase finds the right response (semantic matching, not only keywords).
    typed = chat(client, key, "Mon fils a de la fièvre ce matin et ne pourra pas venir en cours, que dois-je faire ?")
    assert typed["socle"]["response_title"] == "Absence d'un élève"

    # A question no response covers is answered from the teacher's added document, with a citation.
    grounded = chat(client, key, "Combien coûte le voyage à Séville pour les familles ?")["socle"]
    assert grounded["ai_generated"] is True and grounded["citations"]
    assert grounded["citations"][0]["document_title"] == "Voyage en Espagne des 4e"

    # Out of scope: the chatbot's own fallback message, not an AI answer.
    lost = chat(client, key, "Quelle est la capitale de l'Australie ?")
    assert lost["choices"][0]["message"]["content"] == chatbot.default_messages[0]
    assert lost["socle"]["ai_generated"] is False

    unknown = client.post(
        "/v1/chat/completions",
        json={"model": "vie-scolaire-du-college-jean-moulin", "messages": [], "socle_choice": "Nulle part"},
        headers=auth(key),
    )
    assert unknown.status_code in (404, 422)
    # A reader of another collection does not see the chatbot.
    assert (
        client.get("/v1/assistants/vie-scolaire-du-college-jean-moulin", headers=auth(env.keys["eve"])).status_code
        == 404
    )


def test_export_writes_back_the_same_chatbot(env: Env, tmp_path: Path) -> None:
    out = tmp_path / "export.md"
    result = CliRunner().invoke(
        cli,
        [
            "--db",
            env.settings.db,
            "assistant",
            "export",
            "vie-scolaire-du-college-jean-moulin",
            "--chatmd",
            "-o",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output

    def structure(text: str) -> dict:  # type: ignore[type-arg]
        data = parse_chatmd(text).to_dict()
        data["unsupported"] = [(u["feature"], u["where"]) for u in data["unsupported"]]  # line numbers may shift
        return data

    assert structure(out.read_text(encoding="utf-8")) == structure(CHATBOT.read_text(encoding="utf-8"))
    plain = CliRunner().invoke(cli, ["--db", env.settings.db, "assistant", "export", "demo", "--chatmd"])
    assert plain.exit_code == 1 and "pas été importé de ChatMD" in plain.output


def test_web_page_shows_the_initial_message_and_buttons_without_javascript(env: Env) -> None:
    client = TestClient(env.app)
    page = client.get("/a/vie-scolaire-du-college-jean-moulin", headers=auth(env.keys["alice"]))
    assert page.status_code == 200
    assert 'class="choice"' in page.text and "Signaler une absence" in page.text


# -- « Vouliez-vous dire… » and the teacher's list ----------------------------------------------------
BOT = "vie-scolaire-du-college-jean-moulin"
UNSURE = "Qu'est-ce qu'on mange ce midi au collège ?"


def test_close_responses_are_offered_as_choices_in_the_api(env: Env) -> None:
    client = TestClient(env.app)
    key = env.keys["alice"]
    sure = chat(client, key, "Mon fils a de la fièvre ce matin et ne pourra pas venir en cours, que dois-je faire ?")
    assert sure["socle"]["chatmd"]["decision"] == "response" and sure["socle"]["chatmd"]["margin"] > 0
    lost = chat(client, key, "Quelle est la capitale de l'Australie ?")["socle"]
    assert lost["chatmd"] == {"decision": "fallback"} and lost["response_title"] is None
    # Any margin is too small when the matcher must be this sure: it offers its best responses.
    loaded = env.service.chatbots.get(env.service.store.get_assistant(BOT))
    loaded.matcher.choice_margin = 1000.0
    unsure = chat(client, key, UNSURE)
    socle = unsure["socle"]
    assert unsure["choices"][0]["message"]["content"] == "Vouliez-vous dire…"
    assert socle["chatmd"]["decision"] == "choices" and socle["response_title"] is None
    assert 2 <= len(socle["choices"]) <= 3 and socle["ai_generated"] is False
    assert [c["target"] for c in socle["choices"]] == socle["chatmd"]["suggestions"]
    assert all(c["label"] == c["target"] for c in socle["choices"])
    # A click on one of them gives that response, as any ChatMD button.
    picked = socle["choices"][1]["target"]
    clicked = chat(client, key, picked, choice=picked)["socle"]
    assert clicked["response_title"] == picked and clicked["chatmd"]["decision"] == "choice"


def test_the_teachers_list_is_for_owners_and_one_click_teaches_the_chatbot(env: Env, tmp_path: Path) -> None:
    from tests.service_helpers import login

    store = env.service.store
    store.set_grant(store.get_user("bob").id, "vie-scolaire", "editor")
    loaded = env.service.chatbots.get(store.get_assistant(BOT))
    loaded.matcher.choice_margin = 1000.0  # every typed question is « unsure » here
    api = TestClient(env.app)
    unsure = chat(api, env.keys["alice"], UNSURE)["socle"]
    assert unsure["chatmd"]["decision"] == "choices"
    rated = chat(api, env.keys["alice"], "Le bus est passé trop tard, que se passe-t-il ?")["socle"]
    response = api.post(
        "/v1/feedback", json={"answer_id": rated["answer_id"], "useful": False}, headers=auth(env.keys["alice"])
    )
    assert response.status_code in (200, 201), response.text
    page_url = f"/a/{BOT}/chatmd/a-revoir"

    reader = TestClient(env.app, headers={"accept": "text/html"})
    login(reader, "alice")
    assert reader.get(page_url).status_code == 403  # a reader uses the chatbot, does not teach it
    assert "Questions à revoir" not in reader.get(f"/a/{BOT}").text
    assert TestClient(env.app).get(page_url, follow_redirects=False).status_code in (303, 401)

    owner = TestClient(env.app, headers={"accept": "text/html"})
    csrf = login(owner, "bob")
    assert "Questions à revoir" in owner.get(f"/a/{BOT}").text
    page = owner.get(page_url)
    assert page.status_code == 200
    assert UNSURE.replace("'", "&#39;") in page.text and "Vouliez-vous dire" in page.text
    assert "pas utile" in page.text  # the rated question is listed too
    guess = unsure["chatmd"]["best"]
    assert f'<option value="{guess}" selected>' in page.text.replace("&#39;", "'")
    assert owner.post(page_url, data={"question": UNSURE, "response": "Cantine"}).status_code == 403  # no CSRF
    done = owner.post(page_url, data={"question": UNSURE, "response": "Cantine", "csrf": csrf}, follow_redirects=False)
    assert done.status_code == 303
    assert "Mot-clé ajouté" in owner.get(done.headers["location"]).text
    assert UNSURE.replace("'", "&#39;") not in owner.get(page_url).text  # taught: off the list

    # The same question now gets the response at once, by its new keyword...
    taught = chat(api, env.keys["alice"], UNSURE)["socle"]
    assert taught["response_title"] == "Cantine" and taught["chatmd"]["decision"] == "response"
    assert UNSURE in taught["chatmd"]["keywords"]
    # ...and the export carries it, so the chatbot runs the same in ChatMD.
    out = tmp_path / "appris.md"
    result = CliRunner().invoke(cli, ["--db", env.settings.db, "assistant", "export", BOT, "--chatmd", "-o", str(out)])
    assert result.exit_code == 0, result.output
    cantine = parse_chatmd(out.read_text(encoding="utf-8")).response("Cantine")
    assert cantine is not None and cantine.keywords[-1] == UNSURE
    actions = [(r["action"], r["username"]) for r in store.audit_entries()]
    assert ("chatmd_review", "bob") in actions and ("chatmd_keyword", "bob") in actions


def test_the_service_matches_with_the_reranker_when_one_is_set(
    tmp_path: Path,
    demo_store,
    embedder,  # type: ignore[no-untyped-def]
) -> None:
    pytest.importorskip("onnxruntime")
    pytest.importorskip("onnx")
    from tests.test_rerank import make_reranker

    folder = make_reranker(tmp_path / "sonnerie", "sonnerie")
    env = make_env(tmp_path, demo_store, embedder, reranker=f"onnx:{folder}")
    result = CliRunner().invoke(
        cli, ["--db", env.settings.db, "assistant", "import", str(CHATBOT), "-c", "vie-scolaire"]
    )
    assert result.exit_code == 0, result.output
    store = env.service.store
    store.set_grant(store.get_user("alice").id, "vie-scolaire", "reader")
    loaded = env.service.chatbots.get(store.get_assistant(BOT))
    assert loaded is not None and loaded.matcher.reranker is not None
    # The tiny cross-encoder scores « sonnerie », a word of « Horaires » only: it decides.
    socle = chat(TestClient(env.app), env.keys["alice"], "Comment contacter le collège ?")["socle"]
    assert socle["response_title"] == "Horaires"
    assert loaded.matcher.rank("Comment contacter le collège ?")[0].signals["rerank"] == 1.0
