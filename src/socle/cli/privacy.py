"""`socle privacy ...`: personal data protection (scan, report, mode, key, reveal, eval).

Registered by :mod:`socle.cli`. Messages are in French.
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import click

from socle.cli.common import _open, _settings, collection_option, json_option, reports_errors
from socle.errors import SocleError

TYPE_LABELS = {
    "PERSONNE": "noms de personnes",
    "EMAIL": "adresses électroniques",
    "TELEPHONE": "numéros de téléphone",
    "ADRESSE": "adresses postales",
    "NIR": "numéros de sécurité sociale",
    "IBAN": "IBAN",
    "BIC": "BIC",
    "SIRET": "numéros SIRET",
    "SIREN": "numéros SIREN",
    "PASSEPORT": "numéros de passeport",
    "CNI": "numéros de carte d'identité",
    "DATE_NAISSANCE": "dates de naissance",
    "IMMATRICULATION": "immatriculations",
    "IP": "adresses IP",
}
DEFAULT_DATA = Path("tests/data/privacy_fr.jsonl")


@click.group()
def privacy() -> None:
    """Protection des données personnelles (RGPD) : repérage, pseudonymisation, rapports."""


def _context(text: str, start: int, end: int, width: int = 40) -> str:
    before = re.sub(r"\s+", " ", text[max(0, start - width) : start])
    after = re.sub(r"\s+", " ", text[end : end + width])
    return f"…{before}«{text[start:end]}»{after}…"


@privacy.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path), metavar="FICHIERS...")
@click.option("--details/--no-details", default=True, show_default=True, help="Affiche chaque donnée, en contexte.")
@json_option
@reports_errors
def scan(paths: tuple[Path, ...], details: bool, as_json: bool) -> None:
    """Montre ce qui serait retiré de FICHIERS (par type, en contexte), sans rien enregistrer."""
    from socle.ingest import IngestReport, parse_files
    from socle.privacy.analyzer import get_detector

    report = IngestReport()
    documents = parse_files(list(paths), report)
    detector = get_detector()
    results: list[dict[str, Any]] = []
    totals: Counter[str] = Counter()
    for doc in documents:
        title_found, body_found = detector.detect_many([doc.title, doc.text])
        found = [(doc.title, d) for d in title_found] + [(doc.text, d) for d in body_found]
        counts = Counter(d.type for _, d in found)
        totals.update(counts)
        results.append(
            {
                "document": doc.key,
                "source": doc.source,
                "counts": dict(sorted(counts.items())),
                "detections": [{**d.as_dict(), "context": _context(text, d.start, d.end)} for text, d in found],
            }
        )
    if as_json:
        out = {"documents": results, "totals": dict(sorted(totals.items())), "failed": report.failed}
        click.echo(json.dumps(out, ensure_ascii=False, indent=2))
        return
    for r in results:
        n = sum(r["counts"].values())
        click.secho(f"{r['source'] or r['document']} : {n} donnée(s) personnelle(s)", bold=True)
        for kind, count in r["counts"].items():
            click.echo(f"  {TYPE_LABELS.get(kind, kind):<32} {count:>5}")
        if details:
            for d in r["detections"]:
                click.secho(f"    [{d['type']}] {d['context']}", dim=True)
    for source, message in report.failed:
        click.secho(f"Ignoré : {message or source}", fg="yellow", err=True)
    click.echo(f"Total : {sum(totals.values())} donnée(s) dans {len(results)} document(s) — rien n'a été enregistré.")


@privacy.command()
@collection_option
@json_option
@click.pass_context
@reports_errors
def report(ctx: click.Context, collection: str, as_json: bool) -> None:
    """Montre ce qui a été retiré à l'ingestion d'une collection (nombres par type, jamais les valeurs)."""
    from socle.privacy.policy import privacy_report

    store, _ = _open(_settings(ctx), need_embedder=False)
    result = privacy_report(store, collection)
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False, indent=2))
        return
    click.secho(f"Collection « {collection} » — mode : {result['mode']}", bold=True)
    click.echo(f"{result['protected_documents']} document(s) protégé(s) sur {result['documents']} suivi(s).")
    if result["totals"]:
        click.echo(f"  {'type':<32} {'mentions':>9} {'valeurs':>8} {'documents':>10}")
        for kind, t in result["totals"].items():
            label = TYPE_LABELS.get(kind, kind)
            click.echo(f"  {label:<32} {t['occurrences']:>9} {t['values']:>8} {t['documents']:>10}")
    else:
        click.echo("Aucune donnée personnelle retirée.")


@privacy.command()
@collection_option
@click.argument("mode", required=False, type=click.Choice(["anonymise", "pseudonymise", "off"]))
@click.pass_context
@reports_errors
def mode(ctx: click.Context, collection: str, mode: str | None) -> None:
    """Affiche ou change le MODE de protection d'une collection (anonymise, pseudonymise, off)."""
    from socle.privacy.policy import DocumentPrivacy, collection_mode, set_collection_mode

    settings = _settings(ctx)
    store, _ = _open(settings, need_embedder=False)
    if mode is None:
        click.echo(collection_mode(store, collection, settings.privacy_mode))
        return
    if mode == "pseudonymise":
        store.ensure_collection(collection)
        DocumentPrivacy(store, collection, mode, settings.privacy_key)  # refuses without a (matching) key
    set_collection_mode(store, collection, mode)
    click.echo(f"Collection « {collection} » : mode « {mode} ».")
    if any(c.name == collection and c.documents for c in store.collections()):
        click.secho(
            "Les documents déjà indexés ne changent qu'à leur prochaine ingestion : réingérez-les "
            "(« socle ingest … ») pour leur appliquer ce mode.",
            fg="yellow",
        )


@privacy.command()
def key() -> None:
    """Génère une clé de pseudonymisation (à conserver hors de la base, par exemple dans un coffre)."""
    from socle.privacy.vault import new_key

    click.echo(new_key())
    click.secho(
        "Conservez cette clé en lieu sûr et fournissez-la par SOCLE_PRIVACY_KEY : "
        "sans elle, les correspondances des collections pseudonymisées sont définitivement illisibles.",
        fg="yellow",
        err=True,
    )


@privacy.command()
@click.argument("document")
@collection_option
@json_option
@click.pass_context
@reports_errors
def reveal(ctx: click.Context, document: str, collection: str, as_json: bool) -> None:
    """Révèle les correspondances pseudonyme → valeur d'un DOCUMENT (administrateurs, clé requise)."""
    from socle.privacy.policy import reveal_mapping

    settings = _settings(ctx)
    store, _ = _open(settings, need_embedder=False)
    candidates = [document, str(Path(document).resolve())] if Path(document).exists() else [document]
    mapping: dict[str, str] | None = None
    error: SocleError | None = None
    for candidate in candidates:
        try:
            mapping = reveal_mapping(store, collection, candidate, settings.privacy_key)
            break
        except SocleError as exc:
            error = exc
    if mapping is None:
        raise error or SocleError(f"Document introuvable : {document}")
    if as_json:
        click.echo(json.dumps(mapping, ensure_ascii=False, indent=2))
        return
    for pseudonym, value in mapping.items():
        click.echo(f"{pseudonym}\t{value}")


@privacy.command("eval")
@click.option(
    "--data",
    type=click.Path(path_type=Path),
    default=DEFAULT_DATA,
    show_default=True,
    help="Jeu annoté (JSONL : text, spans[start, end, type], split).",
)
@click.option("--corpus", type=click.Path(exists=True, path_type=Path), help="Corpus JSONL (champ text) pour le débit.")
@click.option("--errors", "show_errors", is_flag=True, help="Liste les oublis et les fausses détections.")
@json_option
@reports_errors
def eval_command(data: Path, corpus: Path | None, show_errors: bool, as_json: bool) -> None:
    """Mesure précision, rappel et F1 par type sur un jeu annoté, et le débit (caractères/s)."""
    from socle.privacy.analyzer import get_detector
    from socle.privacy.evaluate import evaluate, load_examples, measure_throughput

    examples = load_examples(data)
    detector = get_detector()
    evaluation = evaluate(examples, detector)
    result = evaluation.as_dict()
    if corpus is not None:
        texts = [json.loads(line)["text"] for line in corpus.read_text(encoding="utf-8").splitlines() if line.strip()]
        chars, seconds = measure_throughput(texts, detector)
        result["corpus_throughput_chars_per_s"] = round(chars / seconds) if seconds else 0
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False, indent=2))
        return
    for name, rep in evaluation.reports.items():
        click.secho(f"Jeu « {name} » : {rep.sentences} phrases", bold=True)
        click.echo(f"  {'type':<16} {'précision':>9} {'rappel':>7} {'F1':>6} {'n':>5}")
        rows = [*sorted(rep.by_type.items()), ("structurés*", rep.structured), ("global", rep.overall)]
        for kind, s in rows:
            click.echo(f"  {kind:<16} {s.precision:>9.3f} {s.recall:>7.3f} {s.f1:>6.3f} {s.tp + s.fn:>5}")
        click.echo(f"  caractères masqués : {rep.masked:.3f}")
        for failed in rep.failed_targets():
            click.secho(f"  objectif non atteint — {failed}", fg="red")
        if show_errors:
            for e in rep.errors:
                click.secho(f"    {e['kind']:<9} {e['type']:<16} {e['text']}", dim=True)
    click.echo("* e-mail, téléphone, NIR, IBAN, SIRET")
    click.echo(
        f"Débit : {evaluation.chars_per_second:,.0f} caractères/s sur le jeu annoté "
        f"({evaluation.characters} caractères ; NER sur {evaluation.ner_share:.0%} du texte)".replace(",", " ")
    )
    if "corpus_throughput_chars_per_s" in result:
        click.echo(f"Débit sur {corpus} : {result['corpus_throughput_chars_per_s']:,} caractères/s".replace(",", " "))
    if any(rep.failed_targets() for rep in evaluation.reports.values()):
        sys.exit(1)
