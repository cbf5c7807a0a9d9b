"""The `socle` command line, run in process on real files and a real SQLite store."""

from __future__ import annotations

import json
from pathlib import Path

import click
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


def _commands(command: click.Command, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], click.Command]]:
    found = [(path, command)]
    if isinstance(command, click.Group):
        for name, sub in command.commands.items():
            found += _commands(sub, (*path, name))
    return found


ENGLISH = (
    "Usage:",
    "Show this message",
    "Show the version",
    "[default:",
    "[required]",
    "Commands:",
    " TEXT ",
    "INTEGER",
)


def test_every_command_has_french_help() -> None:
    """Every command and option says what it does, and the help page around it is French too."""
    runner = CliRunner()
    for path, command in _commands(cli):
        where = " ".join(("socle", *path))
        assert command.help, f"{where} has no help text"
        for param in command.params:
            if isinstance(param, click.Option) and not param.hidden:
                assert param.help, f"{where} {param.opts[0]} has no help text"
        result = runner.invoke(cli, [*path, "--help"])
        assert result.exit_code == 0, result.output
        assert result.output.startswith("Utilisation : ") and "Affiche cette aide et quitte." in result.output
        assert not [w for w in ENGLISH if w in result.output], (where, result.output)
    top = runner.invoke(cli, ["--help"]).output
    assert "Commandes :" in top and "Options :" in top and "COMMANDE [ARGUMENTS]..." in top
    search = runner.invoke(cli, ["search", "--help"]).output
    assert "-k ENTIER" in search and "[défaut : 5]" in search


def test_users_grant_takes_french_and_english_role_names(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from socle.store import open_store

    run("users", "add", "claire", "--generate")
    store = open_store(tmp_path / "cli.db")
    for name in ("rh", "paie", "archives", "courrier"):
        store.ensure_collection(name)
    store.close()

    said = {}
    for collection, role in (("rh", "lecteur"), ("paie", "éditeur"), ("archives", "editeur"), ("courrier", "Éditeur")):
        result = run("users", "grant", "claire", collection, role)
        assert result.exit_code == 0, result.output
        said[collection] = result.output.strip()
    assert said == {
        "rh": "claire : lecteur sur « rh ».",
        "paie": "claire : éditeur sur « paie ».",
        "archives": "claire : éditeur sur « archives ».",
        "courrier": "claire : éditeur sur « courrier ».",
    }
    # The English names stay accepted; messages still speak French.
    assert run("users", "grant", "claire", "rh", "editor").output.strip() == "claire : éditeur sur « rh »."
    assert run("users", "grant", "claire", "paie", "reader").output.strip() == "claire : lecteur sur « paie »."
    assert (
        run("users", "grant", "claire", "archives", "aucun").output.strip() == "claire : aucun droit sur « archives »."
    )
    assert (
        run("users", "grant", "claire", "courrier", "none").output.strip() == "claire : aucun droit sur « courrier »."
    )

    # The database keeps its own words (its CHECK constraint allows reader and editor only).
    store = open_store(tmp_path / "cli.db")
    claire = store.get_user("claire")
    assert claire is not None and store.grants(claire.id) == {"rh": "editor", "paie": "reader"}
    listed = json.loads(run("users", "list", "--json").output)
    assert listed[0]["grants"] == {"paie": "reader", "rh": "editor"}
    assert "paie (lecteur)" in run("users", "list").output and "rh (éditeur)" in run("users", "list").output
    audit = [r for r in store.audit_entries() if r["action"] == "grant"]
    assert [r["detail"]["role"] for r in audit] == [
        "reader",
        "editor",
        "editor",
        "editor",
        "editor",
        "reader",
        "none",
        "none",
    ]


def test_users_grant_refuses_an_unknown_role_in_french(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from socle.store import open_store

    run("users", "add", "claire", "--generate")
    store = open_store(tmp_path / "cli.db")
    store.ensure_collection("rh")
    store.close()
    unknown = run("users", "grant", "claire", "rh", "chef")
    assert unknown.exit_code == 1
    assert unknown.output.strip() == (
        "Erreur : Rôle inconnu : « chef ». Rôles acceptés : lecteur (reader), éditeur (editor), aucun (none)."
    )
    admin = run("users", "grant", "claire", "rh", "administrateur")
    assert admin.exit_code == 1
    assert "n'est pas un rôle sur une collection" in admin.output and "socle users add NOM --admin" in admin.output
    claire = open_store(tmp_path / "cli.db").get_user("claire")
    assert claire is not None and not claire.is_admin
    assert open_store(tmp_path / "cli.db").grants(claire.id) == {}


def test_parse_role_and_role_name() -> None:
    from socle.errors import SocleError
    from socle.service.auth import ROLE_NAMES, AdminRoleRefused, parse_role, role_name

    for word, stored in {
        "lecteur": "reader",
        "Lectrice": "reader",
        "reader": "reader",
        "éditeur": "editor",
        "e\u0301diteur": "editor",  # decomposed é, as some terminals send it
        "editeur": "editor",
        " EDITOR ": "editor",
        "aucun": None,
        "none": None,
    }.items():
        assert parse_role(word) == stored, word
    assert parse_role("administrateur", allow_admin=True) == "admin"
    with pytest.raises(AdminRoleRefused):
        parse_role("administrateur")
    with pytest.raises(SocleError, match="Rôles acceptés : lecteur"):
        parse_role("propriétaire")
    assert [role_name(r) for r in ("reader", "editor", "admin", None)] == [
        "lecteur",
        "éditeur",
        "administrateur",
        "aucun",
    ]
    assert ROLE_NAMES["editor"] == "éditeur"


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


def test_a_declined_confirmation_says_so_in_french(run) -> None:  # type: ignore[no-untyped-def]
    result = run("remove", "-c", "mairie", "--all", input="n\n")
    assert result.exit_code == 1 and "Rien n'a été supprimé." in result.output and "Aborted" not in result.output
