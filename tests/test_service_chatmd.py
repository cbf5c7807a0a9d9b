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
