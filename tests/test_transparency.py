"""Transparency card and footprint dashboard, from real recorded answers and evaluations."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from tests.service_helpers import Env, auth

from socle.cli import cli
from socle.service.auth import principal_for
from socle.transparency import assistant_card, card_markdown, footprint_svg, footprint_totals


def _ask(env: Env, user: str, assistant: str, question: str) -> None:
    principal = principal_for(env.service.store, env.service.store.get_user(user))
    env.service.ask(principal, assistant, question)


def test_footprint_totals_add_up_recorded_answers(env: Env) -> None:
    _ask(env, "alice", "demo", "Combien de jours de télétravail par semaine ?")
    _ask(env, "alice", "demo", "Quelle est la vitesse de la lumière sur Mars ?")  # abstains, still costs
    _ask(env, "eve", "coffre", "Quel est le code du coffre ?")
    rows = {r["assistant"]: r for r in footprint_totals(env.service.store, "assistant")}
    assert rows["demo"]["requests"] == 2 and rows["coffre"]["requests"] == 1
    assert rows["demo"]["abstentions"] == 1
    recorded = [a["footprint"]["energy_wh"] for a in env.service.store.answer_footprints() if a["assistant"] == "demo"]
    assert rows["demo"]["energy_wh"] == pytest.approx(sum(recorded), abs=1e-6)
    by_collection = {r["collection"]: r["requests"] for r in footprint_totals(env.service.store, "collection")}
    assert by_collection == {"demo": 2, "secret": 1}
    assert [r["requests"] for r in footprint_totals(env.service.store, "day")] == [3]
    svg = footprint_svg(footprint_totals(env.service.store, "assistant"), "assistant")
    root = ET.fromstring(svg)  # well-formed, standalone
    assert root.find("{http://www.w3.org/2000/svg}title") is not None
    assert len(root.findall("{http://www.w3.org/2000/svg}rect")) == 2


def test_card_is_built_from_stored_data(env: Env) -> None:
    store = env.service.store
    store.record_evaluation("demo", "retrieval", "questions.jsonl", {"recall@1": 0.9, "recall@5": 1.0, "mrr@10": 0.95})
    _ask(env, "alice", "demo", "Combien de jours de télétravail par semaine ?")
    card = assistant_card(store, env.settings, "demo")
    assert card["collections"][0]["name"] == "demo" and card["collections"][0]["documents"] == 6
    assert card["evaluations"]["demo/retrieval"]["metrics"]["recall@1"] == 0.9
    assert card["footprint"]["requests"] == 1
    assert "extractif" in card["model"]["answers"]
    text = card_markdown(card)
    assert "rappel@1 0.9" in text and "Limites connues" in text
    # Same data, same version; new data, new version.
    assert assistant_card(store, env.settings, "demo")["version"] == card["version"]
    _ask(env, "alice", "demo", "Comment obtenir un acte de naissance ?")
    assert assistant_card(store, env.settings, "demo")["version"] != card["version"]


def test_card_and_footprint_from_cli_and_web(env: Env) -> None:
    _ask(env, "alice", "demo", "Combien de jours de télétravail par semaine ?")
    runner = CliRunner()
    out = runner.invoke(cli, ["--db", env.settings.db, "card", "demo", "--format", "json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.output)["assistant"]["name"] == "demo"
    html = runner.invoke(cli, ["--db", env.settings.db, "card", "demo", "--format", "html"])
    assert html.output.startswith("<!doctype html>") and "Fiche de transparence" in html.output
    totals = runner.invoke(cli, ["--db", env.settings.db, "footprint", "--by", "collection", "--json"])
    assert json.loads(totals.output)[0]["collection"] == "demo"
    missing = runner.invoke(cli, ["--db", env.settings.db, "card", "inconnu"])
    assert missing.exit_code == 1 and "n'existe pas" in missing.output

    client = TestClient(env.app)
    page = client.get("/a/demo/fiche", headers=auth(env.keys["alice"]))
    assert page.status_code == 200 and "Fiche de transparence" in page.text
    assert client.get("/a/coffre/fiche", headers=auth(env.keys["alice"])).status_code == 404
    assert client.get("/empreinte", headers=auth(env.keys["alice"])).status_code == 403
    dashboard = client.get("/empreinte?par=collection", headers=auth(env.keys["admin"]))
    assert dashboard.status_code == 200 and "<td>demo</td>" in dashboard.text
    chart = client.get("/empreinte.svg", headers=auth(env.keys["admin"]))
    assert chart.headers["content-type"].startswith("image/svg+xml")
