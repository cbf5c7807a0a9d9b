"""ChatMD files: parser parity with ChatMD's own parser, unsupported features, export, CLI.

The expected structures in tests/data/chatmd/chatmd_reference.json were produced by
ChatMD's own parser (commit recorded in the file) with benchmarks/chatmd_parity.py.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from socle.chatmd import (
    Choice,
    Response,
    display_markdown,
    export_problems,
    format_report,
    parse_chatmd,
    to_chatmd,
    to_documents,
)
from socle.cli import cli

DATA = Path(__file__).parent / "data" / "chatmd"
REFERENCE = json.loads((DATA / "chatmd_reference.json").read_text(encoding="utf-8"))
FILES = sorted(REFERENCE["files"])


def read(name: str) -> str:
    # newline="" keeps the CRLF file as it is (ChatMD normalises line ends itself)
    with open(DATA / name, encoding="utf-8", newline="") as f:
        return f.read()


def structure(d: dict[str, Any]) -> dict[str, Any]:
    """The fields parity is about: title, and every response's title, keywords and buttons."""
    return {
        "title": d["title"],
        "initial_choices": d["initial_message"]["choices"],
        "responses": [
            {"title": r["title"], "keywords": r["keywords"], "choices": r["choices"]} for r in d["responses"]
        ],
    }


def without_lines(d: dict[str, Any]) -> dict[str, Any]:
    """A parse without the source line numbers of its findings (export moves lines)."""
    return {**d, "unsupported": sorted((u["feature"], u["where"]) for u in d["unsupported"])}


def test_reference_covers_every_data_file() -> None:
    assert REFERENCE["chatmd_commit"] == "9a3425977cf9db4854dc710f53bb6f630e2c6788"
    assert set(FILES) == {p.name for p in DATA.glob("*.md")} - {"README.md"}


@pytest.mark.parametrize("name", FILES)
def test_parse_agrees_with_chatmd(name: str) -> None:
    ours = structure(parse_chatmd(read(name)).to_dict())
    theirs = structure({**REFERENCE["files"][name], "initial_message": REFERENCE["files"][name]["initial_message"]})
    assert ours == theirs


def test_structure_pins() -> None:
    counts = {name: len(parse_chatmd(read(name)).responses) for name in FILES}
    assert counts == {
        "atelier_philo_dynamique.md": 7,
        "cas_limites.md": 7,
        "chatmd_accueil.md": 4,
        "chatmd_accueil_2025.md": 20,
        "chatmd_accueil_en.md": 4,
        "college_vie_scolaire.md": 16,
        "entete_commentee.md": 3,
        "fins_de_ligne_windows.md": 2,
        "orientation_lycee.md": 11,
        "revision_physique_quiz.md": 14,
    }
    college = parse_chatmd(read("college_vie_scolaire.md"))
    assert college.title == "Vie scolaire du collège Jean Moulin"
    assert [c.target for c in college.initial_message.choices] == [
        "Absence d'un élève",
        "Retards",
        "Cantine",
        "Horaires",
        "Bourses",
        "Pronote",
        "Infirmerie",
        "Contacter la vie scolaire",
    ]
    assert college.initial_message.choices[-1].label == "suite"  # "[](target)"
    assert [c.random for c in college.initial_message.choices] == [False] * 5 + [True, True, False]
    absence = college.responses[0]
    assert absence.keywords == ["absence", "absent", "malade", "justifier", "billet d'absence", "! retard"]
    assert absence.negative_keywords == ["retard"]
    assert [(c.label, c.target) for c in absence.choices][-1] == ("Retour au menu", "")
    bourses = college.response("Bourses")
    assert bourses is not None
    # external links in an ordered list are content, not buttons
    assert [c.target for c in bourses.choices] == ["Assistante sociale", ""]
    assert "Simulateur de bourse" in bourses.content


def test_real_chatmd_homepage_keywords_lost_to_formatting() -> None:
    # ChatMD's own app/index.md was reformatted with a blank line after each heading:
    # ChatMD's parser then sees no keywords (the "- " lines become content), and so does Socle.
    accueil = parse_chatmd(read("chatmd_accueil.md"))
    assert [r.keywords for r in accueil.responses] == [[], [], [], []]
    assert accueil.responses[0].content.startswith("- usages\n- utilisation")
    older = parse_chatmd(read("chatmd_accueil_2025.md"))
    assert older.responses[0].title == "Markdown" and older.responses[0].keywords == ["markdown"]


def test_parser_semantics() -> None:
    bot = parse_chatmd(read("cas_limites.md"))
    # the text before the first "# " line is dropped; the introduction stops at "C# "
    assert bot.initial_message.content.endswith("écrit en C")
    assert bot.initial_message.content.startswith("- ce tiret")  # no keyword in an introduction
    horaires = bot.responses[0]
    # keywords may follow a button line, but stop at the first blank line
    assert horaires.keywords == ["jeudi", "horaire"]
    assert [c.label for c in horaires.choices] == ["S'inscrire", "Lien suivi d'espaces", "Cible avec tirets"]
    assert horaires.choices[-1].target == "Règles du jeu"  # "#Règles-du-jeu"
    regles = bot.response("Règles")
    assert regles is not None and regles.keywords == ["règles", "comment jouer"]  # "-" alone ends the list
    assert "Titre de niveau 1" not in regles.content  # "# " headings are dropped
    # a "## " inside a code block is still a response; an empty title is dropped
    assert [r.title for r in bot.responses][2:] == [
        "Exemple de notation",
        "Le roque",
        "Club d'échecs du collège",
        "Inscription",
        "Inscription",
    ]


def test_yaml_header_semantics() -> None:
    windows = parse_chatmd(read("fins_de_ligne_windows.md"))
    assert [r.title for r in windows.responses] == ["Mot de passe", "Impression"]  # responsesTitles: "### "
    assert "Pour les élèves" not in windows.initial_message.content  # a structure heading, dropped
    # a YAML comment line "# ..." is the first "# " line of the file: ChatMD takes it as the title
    commented = parse_chatmd(read("entete_commentee.md"))
    assert commented.title.startswith("Paramètres du chatbot")
    # js-yaml reads "yes" as a string, refuses duplicated keys, stops at an odd "plugins"
    assert parse_chatmd("---\nobfuscate: yes\n---\n# T\n").options == {"obfuscate": "yes"}
    dup = parse_chatmd("---\nresponsesTitles: '### '\nresponsesTitles: '### '\n---\n# T\n### R\n")
    assert dup.options == {} and dup.responses == []
    assert dup.unsupported[0].feature == "en_tete_illisible"
    stopped = parse_chatmd("---\nplugins: [a, b]\ntitresRéponses: '### '\n---\n# T\n### R\n## S\n")
    assert [r.title for r in stopped.responses] == ["S"]
    orientation = parse_chatmd(read("orientation_lycee.md"))
    # "@{_menu}" is replaced before parsing: its buttons belong to the initial message
    assert [c.target for c in orientation.initial_message.choices] == [
        "Parcoursup",
        "Choix des spécialités",
        "Rendez-vous avec la psychologue",
    ]


def features(name: str) -> set[str]:
    return {u.feature for u in parse_chatmd(read(name)).unsupported}


def test_unsupported_features_are_reported_and_the_rest_imported() -> None:
    assert {
        "variables_dynamiques",
        "blocs_conditionnels",
        "llm",
        "geolocalisation",
        "scorm",
    } <= features("atelier_philo_dynamique.md")
    assert {
        "directive:!Next",
        "directive:!Select",
        "directive:!SelectNext",
        "directive:!Keyboard",
        "directive:!Typewriter",
        "directive:!Audio",
        "directive:!Confetti",
        "plusieurs_bots",
        "messages_aleatoires",
        "ordre_aleatoire",
        "plugin:maths",
        "apparence",
    } <= features("revision_physique_quiz.md")
    assert {
        "inclusion",
        "plugin:readcsv",
        "plugin:lightbox",
        "variables_aleatoires:encouragement",
        "ordre_aleatoire",
    } <= features("orientation_lycee.md")
    assert features("chatmd_accueil_2025.md") == {"gros_mots"}
    philo = parse_chatmd(read("atelier_philo_dynamique.md"))
    assert len(philo.responses) == 7
    definition = philo.response("Définition de la conscience")
    assert definition is not None
    assert [(c.target, c.condition) for c in definition.choices] == [
        ("Le cogito", '@niveau == "confirme"'),
        ("Question de cours", ""),
        (
            "!useLLM explique à un élève de terminale la différence entre conscience spontanée et conscience réfléchie",
            "",
        ),
    ]
    report = format_report(philo)
    assert report.startswith("Chatbot importé : 7 réponse(s).")
    assert "Blocs conditionnels" in report and "ligne" in report
    where = {(u.feature, u.where) for u in philo.unsupported}
    assert ("blocs_conditionnels", "Accueil") in where


@pytest.mark.parametrize("name", FILES)
def test_round_trip(name: str) -> None:
    parsed = parse_chatmd(read(name))
    kept = parse_chatmd(to_chatmd(parsed))
    assert without_lines(kept.to_dict()) == without_lines(parsed.to_dict())
    regenerated = parse_chatmd(to_chatmd(parsed, keep_source=False))
    assert structure(regenerated.to_dict()) == structure(parsed.to_dict())
    has_conditions = any(c.condition for r in parsed.responses for c in r.choices)
    if not has_conditions and "# " not in parsed.initial_message.content:
        assert regenerated.to_dict()["responses"] == parsed.to_dict()["responses"]
        assert regenerated.initial_message == parsed.initial_message


def test_export_keeps_unchanged_parts_as_written_and_regenerates_edits() -> None:
    source = read("revision_physique_quiz.md")
    bot = parse_chatmd(source)
    assert to_chatmd(bot).split("\n# ", 1)[1] == source.split("\n# ", 1)[1]
    energie = bot.responses[0]
    energie.keywords.append("énergie cinétique")
    energie.content = "## Rappel\nL'énergie se mesure en joules."
    bot.responses.append(
        Response(title="Unités", keywords=["unité"], content="- 1 kWh = 3,6 MJ", choices=[Choice("Menu", "")])
    )
    text = to_chatmd(bot)
    assert "!Next: Réponse pH !loop" in text  # untouched responses keep their directives
    again = parse_chatmd(text)
    assert again.responses[0].keywords[-1] == "énergie cinétique"
    # a "## " line of content would start a new response in ChatMD: it is moved to "### "
    assert again.responses[0].content == "### Rappel\nL'énergie se mesure en joules."
    assert again.responses[-1].to_dict() == {
        "title": "Unités",
        "keywords": ["unité"],
        "content": "- 1 kWh = 3,6 MJ",
        "choices": [{"label": "Menu", "target": ""}],
    }
    assert [r.title for r in again.responses] == [r.title for r in bot.responses]


def test_export_problems() -> None:
    bot = parse_chatmd("# T\n\n1. [Aller](Aide)\n\n## Aide (élèves)\nTexte\n1. [x](Nulle part)\n")
    bot.responses[0].choices.append(Choice("Moi", "Aide (élèves)"))
    problems = export_problems(bot)
    assert any("parenthèse" in p for p in problems)
    assert any("n'existe pas : « Nulle part »" in p for p in problems)
    assert any("n'existe pas : « Aide »" in p for p in problems)


def test_documents_and_display() -> None:
    bot = parse_chatmd(read("revision_physique_quiz.md"))
    docs = to_documents(bot, source="revision_physique_quiz.md")
    keys = [d.key for d in docs]
    assert len(keys) == len(set(keys))
    assert "chatmd:energie" in keys and "chatmd:question-surprise" not in keys  # a bare redirection
    energie = docs[keys.index("chatmd:energie")]
    assert energie.title == "Énergie" and energie.metadata["keywords"][0] == "énergie"
    assert "!Typewriter" not in energie.text and "joules" in energie.text
    puissance = bot.response("Puissance électrique")
    assert puissance is not None
    shown = display_markdown(bot, puissance.content)
    assert "---" not in shown and shown.count("P = U") == 1  # first random variant only
    orientation = parse_chatmd(read("orientation_lycee.md"))
    choix = orientation.response("Choix des spécialités")
    assert choix is not None and "@{lien_onisep}" in choix.content
    assert "https://www.onisep.fr" in display_markdown(orientation, choix.content)


def test_cli_parse_json_shape() -> None:
    result = CliRunner().invoke(cli, ["chatmd", "parse", str(DATA / "college_vie_scolaire.md"), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert list(data) == ["title", "initial_message", "responses", "unsupported"]
    assert list(data["initial_message"]) == ["content", "choices"]
    assert list(data["responses"][0]) == ["title", "keywords", "content", "choices"]
    assert list(data["responses"][0]["choices"][0]) == ["label", "target"]
    assert structure(data) == structure(
        REFERENCE["files"]["college_vie_scolaire.md"] | {"initial_message": data["initial_message"]}
    )
    human = CliRunner().invoke(cli, ["chatmd", "parse", str(DATA / "atelier_philo_dynamique.md")])
    assert human.exit_code == 0
    assert "## Correction Freud" in human.stdout
    assert "Variables dynamiques" in human.stderr


def test_cli_eval_lexical(tmp_path: Path) -> None:
    questions = tmp_path / "q.jsonl"
    rows = [
        {
            "file": "college_vie_scolaire.md",
            "question": "Combien coûte la cantine ?",
            "expected": "Tarifs de la cantine",
        },
        {"file": "college_vie_scolaire.md", "question": "Qui a peint la Joconde ?", "expected": None},
    ]
    questions.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    result = CliRunner().invoke(
        cli, ["chatmd", "eval", "--questions", str(questions), "--dossier", str(DATA), "--lexical", "--json"]
    )
    assert result.exit_code == 0, result.output
    total = json.loads(result.stdout)["total"]
    assert total["in_scope"] == 1 and total["out_of_scope"] == 1
    assert total["right"] == 1 and total["off_fallback"] == 1 and total["choices"] == total["wrong"] == 0
    human = CliRunner().invoke(
        cli, ["chatmd", "eval", "--questions", str(questions), "--dossier", str(DATA), "--lexical"]
    )
    assert human.exit_code == 0, human.output
    assert "juste" in human.stdout and "repli" in human.stdout and "TOTAL" in human.stdout
    assert "Vouliez-vous dire" in human.stderr


def test_cli_match_shows_the_decision(tmp_path: Path) -> None:
    twins = tmp_path / "bibliotheque.md"
    twins.write_text(
        "# Bibliothèque\n\n## Prêt des livres\nOn emprunte cinq livres pour trois semaines.\n\n"
        "## Prêt des revues\nOn emprunte cinq revues pour trois semaines.\n\n"
        "## Horaires\nLa bibliothèque ouvre le mardi et le samedi.\n",
        encoding="utf-8",
    )
    unsure = CliRunner().invoke(cli, ["chatmd", "match", "--lexical", str(twins), "emprunter trois semaines"])
    assert unsure.exit_code == 0, unsure.output
    assert "Vouliez-vous dire… [Prêt des livres] / [Prêt des revues]" in unsure.stdout
    sure = CliRunner().invoke(cli, ["chatmd", "match", "--lexical", "--json", str(twins), "ouvert le samedi ?"])
    data = json.loads(sure.stdout)
    assert data["decision"] == "response" and data["response"]["title"] == "Horaires" and data["choices"] == []
    lost = CliRunner().invoke(cli, ["chatmd", "match", "--lexical", str(twins), "capitale du Pérou"])
    assert "Aucune réponse du chatbot" in lost.stdout
