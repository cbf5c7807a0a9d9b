"""The `socle` command line, run in process on real files and a real SQLite store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from socle.cli import cli

DEMO = Path(__file__).resolve().parent.parent / "demo"


@pytest.fixture()
def run(tmp_path: Path):  # type: ignore[no-untyped-def]
    db = tmp_path / "cli.db"
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None):  # type: ignore[no-untyped-def]
        return runner.invoke(cli, ["--db", str(db), *args], input=input, catch_exceptions=False)

    return invoke


def test_every_command_has_french_help() -> None:
    runner = CliRunner()
    for name, command in cli.commands.items():
        assert command.help, f"{name} has no help text"
        result = runner.invoke(cli, [name, "--help"])
        assert result.exit_code == 0
        assert "Usage" in result.output


def test_ingest_search_list_remove(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = run("ingest", str(DEMO), "--collection", "mairie")
    assert result.exit_code == 0, result.output
    assert "6 ajouté(s)" in result.output

    again = run("ingest", str(DEMO), "--collection", "mairie")
    assert "0 ajouté(s), 0 mis à jour, 6 inchangé(s)" in again.output

    result = run("search", "Combien de jours de congés annuels ?", "-c", "mairie", "-k", "3", "--json")
    data = json.loads(result.output)
    assert data["results"][0]["source"].endswith("conges-annuels-agents.md")
    assert {"document", "title", "location", "start", "end", "text", "score"} <= set(data["results"][0])
    assert len(data["results"]) == 3

    human = run("search", "Combien de jours de congés annuels ?", "-c", "mairie")
    assert "Règlement des congés annuels" in human.output

    cols = json.loads(run("collections", "--json").output)
    assert cols[0]["name"] == "mairie" and cols[0]["documents"] == 6

    docs = json.loads(run("documents", "-c", "mairie", "--json").output)
    assert len(docs) == 6
    md = str(DEMO / "conges-annuels-agents.md")
    assert run("remove", md, "-c", "mairie").exit_code == 0
    assert len(json.loads(run("documents", "-c", "mairie", "--json").output)) == 5

    assert run("remove", "-c", "mairie", "--all", input="o\n").exit_code == 0
    assert json.loads(run("collections", "--json").output) == []


def test_errors_are_french_messages_not_tracebacks(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = run("search", "congés", "-c", "inexistante")
    assert result.exit_code == 1
    assert "n'existe pas" in result.output and "Traceback" not in result.output

    broken = tmp_path / "casse.pdf"
    broken.write_bytes(b"pas un pdf")
    result = run("ingest", str(broken), "-c", "x")
    assert result.exit_code == 1
    assert "casse.pdf" in result.output


def test_eval_prints_metrics_as_json(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text(
        "\n".join(
            json.dumps(d, ensure_ascii=False)
            for d in [
                {"id": "piscine", "text": "La piscine municipale ouvre à 7 h en semaine.\nLe bonnet est obligatoire."},
                {"id": "cantine", "text": "La cantine scolaire coûte 3,20 euros par repas.\nInscription en mai."},
                {"id": "etat-civil", "text": "Un acte de naissance se demande en ligne ou au guichet de la mairie."},
            ]
        ),
        encoding="utf-8",
    )
    questions = tmp_path / "q.jsonl"
    questions.write_text(
        "\n".join(
            json.dumps(q, ensure_ascii=False)
            for q in [
                {"id": "1", "question": "À quelle heure ouvre la piscine ?", "relevant": ["piscine"]},
                {"id": "2", "question": "Quel est le prix d'un repas à la cantine ?", "relevant": ["cantine"]},
                {"id": "3", "question": "Comment obtenir un acte de naissance ?", "relevant": ["etat-civil"]},
                {"id": "4", "question": "Quelle est la capitale du Pérou ?", "relevant": []},
            ]
        ),
        encoding="utf-8",
    )
    result = run("eval", "--corpus", str(corpus), "--questions", str(questions), "-c", "ev", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output[result.output.index("{") :])
    assert data["n_questions"] == 3 and data["n_out_of_scope"] == 1
    assert data["recall@1"] == 1.0 and data["mrr@10"] == 1.0
    for key in ("recall@5", "recall@10", "latency_ms_p50", "latency_ms_p95"):
        assert key in data
    # Second run reuses the collection instead of re-ingesting.
    table = run("eval", "--corpus", str(corpus), "--questions", str(questions), "-c", "ev")
    assert "Rappel@1" in table.output and "Indexation" not in table.output


def test_ask_answers_with_sources_and_stores_the_footprint(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    run("ingest", str(DEMO), "-c", "mairie")
    result = run("ask", "Combien de jours de télétravail par semaine pour un agent à temps complet ?", "-c", "mairie")
    assert result.exit_code == 0, result.output
    assert "2 jours" in result.output
    assert "Sources :" in result.output and "charte-teletravail.docx" in result.output
    assert "IA" in result.output and "mWh" in result.output

    data = json.loads(run("ask", "Quelle est la hauteur du mont Everest ?", "-c", "mairie", "--json").output)
    assert data["abstained"] is True and data["citations"] == []
    assert data["ai_generated"] is True and data["passages"]
    assert data["footprint"]["energy_wh"] > 0

    from socle.store import open_store

    stored = open_store(tmp_path / "cli.db").answers("mairie")
    assert [a["abstained"] for a in stored] == [False, True]
    assert stored[0]["citations"][0]["source"].endswith("charte-teletravail.docx")


def test_chat_keeps_the_conversation(run) -> None:  # type: ignore[no-untyped-def]
    run("ingest", str(DEMO), "-c", "mairie")
    result = run(
        "chat", "-c", "mairie", input="Combien de jours de congés annuels pour un agent ?\nEt à temps partiel ?\nquit\n"
    )
    assert result.exit_code == 0, result.output
    assert result.output.count("Sources :") == 2
    assert result.output.count("conges-annuels-agents.md") >= 2
