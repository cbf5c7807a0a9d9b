"""`socle privacy ...`: personal data protection (scan, report, mode, allow, culture, key, reveal, eval).

Registered by :mod:`socle.cli`. Messages are in French.
"""

from __future__ import annotations

import getpass
import json
import os
import re
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import click

from socle.cli.common import _open, _settings, collection_option, json_option, reports_errors
from socle.errors import ConfigError, SocleError
from socle.privacy.labels import label

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
@click.option(
    "--collection",
    "-c",
    "collection",
    help="Applique la liste autorisée et l'option culturelle de cette collection (sans rien y enregistrer).",
)
@json_option
@click.pass_context
@reports_errors
def scan(ctx: click.Context, paths: tuple[Path, ...], details: bool, collection: str | None, as_json: bool) -> None:
    """Montre ce qui serait retiré de FICHIERS (par type, en contexte), sans rien enregistrer."""
    from socle.ingest import IngestReport, parse_files
    from socle.privacy.analyzer import get_detector
    from socle.privacy.policy import allow_list, keeps_public_figures
    from socle.privacy.pseudonymise import AllowList

    allow, keep_public_figures = AllowList(), False
    if collection:
        store, _ = _open(_settings(ctx), need_embedder=False)
        allow, keep_public_figures = AllowList(allow_list(store, collection)), keeps_public_figures(store, collection)
    report = IngestReport()
    documents = parse_files(list(paths), report)
    detector = get_detector()
    results: list[dict[str, Any]] = []
    totals: Counter[str] = Counter()
    for doc in documents:
        found_lists = detector.detect_many([doc.title, doc.text], keep_public_figures=keep_public_figures)
        title_found, body_found = (allow.keep(ds) for ds in found_lists)
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
            click.echo(f"  {label(kind):<32} {count:>5}")
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
            click.echo(f"  {label(kind):<32} {t['occurrences']:>9} {t['values']:>8} {t['documents']:>10}")
    else:
        click.echo("Aucune donnée personnelle retirée.")
    figures = "conservées en clair" if result["public_figures"] else "masquées comme les autres noms"
    click.echo(f"Personnalités publiques (option culturelle) : {figures}.")
    if result["allow"]:
        click.echo(f"Liste autorisée (conservé en clair) : {len(result['allow'])} entrée(s)")
        for entry in result["allow"]:
            click.echo(f"  - {entry}")
    else:
        click.echo("Liste autorisée : vide (socle privacy allow --collection … TEXTE pour en ajouter).")
    if result["key_rotation_in_progress"]:
        click.secho(
            "Rotation de clé en cours : l'ancienne et la nouvelle clé sont acceptées jusqu'à sa fin "
            "(« socle privacy key rotate » la reprend).",
            fg="yellow",
        )


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


def _operator() -> str:
    return f"cli:{getpass.getuser()}"


def _audit(store: Any, action: str, collection: str, detail: dict[str, Any]) -> None:
    store.append_audit({"username": _operator(), "action": action, "collections": [collection], "detail": detail})


REPROCESS_HINT = (
    "Les documents déjà indexés ne changent qu'à leur prochaine ingestion : réingérez-les "
    "(« socle ingest … ») pour en tenir compte."
)


@privacy.command()
@collection_option
@click.argument("text", required=False, metavar="TEXTE")
@click.option("--remove", is_flag=True, help="Retire TEXTE de la liste au lieu de l'ajouter.")
@json_option
@click.pass_context
@reports_errors
def allow(ctx: click.Context, collection: str, text: str | None, remove: bool, as_json: bool) -> None:
    """Liste autorisée : TEXTE (contact de l'institution, nom qui n'est pas une personne…) reste en clair.

    Sans TEXTE : affiche la liste. La comparaison ignore la casse, les accents, les espaces et la
    ponctuation ; un numéro de téléphone se compare chiffre à chiffre, quel que soit son format.
    """
    from socle.privacy.policy import add_allowed, allow_list, remove_allowed

    store, _ = _open(_settings(ctx), need_embedder=False)
    if text is None:
        if remove:
            raise click.UsageError("Indiquez le TEXTE à retirer de la liste autorisée.")
        entries = allow_list(store, collection)
        if as_json:
            click.echo(json.dumps(entries, ensure_ascii=False, indent=2))
        elif entries:
            click.echo("\n".join(entries))
        else:
            click.echo(f"La liste autorisée de « {collection} » est vide.")
        return
    if remove:
        removed = remove_allowed(store, collection, text)
        if not removed:
            raise SocleError(f"« {text} » n'est pas dans la liste autorisée de « {collection} ».")
        _audit(store, "privacy_allow_remove", collection, {"entries": removed})
        click.echo(f"Retiré de la liste autorisée de « {collection} » : {', '.join(removed)}.")
    elif add_allowed(store, collection, text):
        _audit(store, "privacy_allow", collection, {"entry": " ".join(text.split())})
        click.echo(f"« {' '.join(text.split())} » est conservé en clair dans « {collection} ».")
    else:
        click.echo(f"« {text} » est déjà dans la liste autorisée de « {collection} ».")
        return
    if any(c.name == collection and c.documents for c in store.collections()):
        click.secho(REPROCESS_HINT, fg="yellow")


@privacy.command()
@collection_option
@click.argument("choice", required=False, type=click.Choice(["oui", "non"]), metavar="[oui|non]")
@click.pass_context
@reports_errors
def culture(ctx: click.Context, collection: str, choice: str | None) -> None:
    """Option culturelle : oui = les personnalités publiques connues et décédées restent en clair.

    Pour un musée, une bibliothèque, des archives : « les toiles de Paul Cézanne » garde son sens.
    Sans argument : affiche le réglage.
    """
    from socle.privacy.policy import keeps_public_figures, set_public_figures

    store, _ = _open(_settings(ctx), need_embedder=False)
    if choice is None:
        click.echo("oui" if keeps_public_figures(store, collection) else "non")
        return
    keep = choice == "oui"
    changed = keep != keeps_public_figures(store, collection)
    set_public_figures(store, collection, keep)
    _audit(store, "privacy_culture", collection, {"public_figures": keep})
    what = "conservées en clair" if keep else "masquées comme les autres noms"
    click.echo(f"Collection « {collection} » : personnalités publiques {what}.")
    if changed and any(c.name == collection and c.documents for c in store.collections()):
        click.secho(REPROCESS_HINT, fg="yellow")


@privacy.group(invoke_without_command=True)
@click.pass_context
def key(ctx: click.Context) -> None:
    """Clés de pseudonymisation : « socle privacy key » (ou « key new ») en génère une, « key rotate » en change."""
    if ctx.invoked_subcommand is None:
        ctx.invoke(new)


@key.command()
def new() -> None:
    """Génère une clé de pseudonymisation (à conserver hors de la base, par exemple dans un coffre)."""
    from socle.privacy.vault import new_key

    click.echo(new_key())
    click.secho(
        "Conservez cette clé en lieu sûr et fournissez-la par SOCLE_PRIVACY_KEY : "
        "sans elle, les correspondances des collections pseudonymisées sont définitivement illisibles.",
        fg="yellow",
        err=True,
    )


NEW_KEY_ENV = "SOCLE_PRIVACY_NEW_KEY"


def _new_key(path: Path | None) -> str:
    """The new key, from a file or the environment: never from the command line (it would stay
    in the shell history) and never printed."""
    if path is not None:
        try:
            value = path.read_text(encoding="ascii").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"Impossible de lire la nouvelle clé dans {path} : {exc.__class__.__name__}.") from exc
    else:
        value = os.environ.get(NEW_KEY_ENV, "").strip()
    if not value:
        raise ConfigError(
            f"Nouvelle clé absente : donnez-la par --new-key-file FICHIER ou par {NEW_KEY_ENV} "
            "(jamais sur la ligne de commande) ; « socle privacy key » en génère une."
        )
    return value


@key.command()
@click.option("--collection", "-c", "collection", help="Collection à traiter (défaut : toutes celles qui ont une clé).")
@click.option(
    "--new-key-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help=f"Fichier qui contient la nouvelle clé (sinon {NEW_KEY_ENV}).",
)
@click.option(
    "--batch", type=click.IntRange(min=1), default=50, show_default=True, help="Correspondances par transaction."
)
@click.option(
    "--keep-old",
    is_flag=True,
    help="Accepte encore l'ancienne clé après le rechiffrement (relancez sans cette option pour la retirer).",
)
@json_option
@click.pass_context
@reports_errors
def rotate(
    ctx: click.Context, collection: str | None, new_key_file: Path | None, batch: int, keep_old: bool, as_json: bool
) -> None:
    """Rechiffre toutes les correspondances avec une nouvelle clé, sans interrompre le service.

    Ancienne clé : SOCLE_PRIVACY_KEY (ou privacy_key). Nouvelle clé : --new-key-file ou
    SOCLE_PRIVACY_NEW_KEY. Pendant la rotation, les deux clés sont acceptées (ingestion,
    révélation) ; à la fin l'ancienne est refusée. Interrompue, la rotation reprend là où elle
    s'était arrêtée quand on relance la commande.
    """
    from socle.privacy.policy import rotate_key, rotation_collections
    from socle.privacy.vault import KEY_HINT

    settings = _settings(ctx)
    if not settings.privacy_key:
        raise ConfigError(f"Ancienne clé absente : {KEY_HINT}.")
    fresh = _new_key(new_key_file)
    store, _ = _open(settings, need_embedder=False)
    names = [collection] if collection else rotation_collections(store)
    if not names:
        click.echo("Aucune collection n'a de clé de pseudonymisation : rien à rechiffrer.")
        return
    results = []
    for name in names:
        rotation = rotate_key(store, name, settings.privacy_key, fresh, batch=batch, finish=not keep_old)
        _audit(store, "privacy_key_rotate", name, rotation.as_dict() | {"unreadable": len(rotation.unreadable)})
        results.append(rotation)
        if not as_json:
            click.echo(
                f"Collection « {name} » : {rotation.resealed} correspondance(s) rechiffrée(s), "
                f"{rotation.already} déjà sous la nouvelle clé."
            )
            if rotation.unreadable:
                click.secho(
                    f"  {len(rotation.unreadable)} correspondance(s) illisibles avec l'une et l'autre clé, laissées telles quelles.",
                    fg="yellow",
                )
    if as_json:
        click.echo(json.dumps([r.as_dict() for r in results], ensure_ascii=False, indent=2))
        return
    if not all(r.finished for r in results) and not keep_old:
        click.secho(
            "Des correspondances ont encore été écrites avec l'ancienne clé pendant la rotation : "
            "elle reste acceptée ; relancez la commande pour terminer.",
            fg="yellow",
        )
    elif keep_old:
        click.secho(
            "L'ancienne clé reste acceptée : donnez la nouvelle à tous les processus (SOCLE_PRIVACY_KEY), "
            "puis relancez la commande sans --keep-old pour retirer l'ancienne.",
            fg="yellow",
        )
    else:
        click.secho(
            "Rotation terminée : l'ancienne clé est désormais refusée. Donnez la nouvelle à tous les processus "
            "(SOCLE_PRIVACY_KEY) ; gardez-en une copie en lieu sûr.",
            fg="green",
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
    help="Jeu annoté (JSONL : text, spans[start, end, type], split ; domain « culture » : personnalités gardées).",
)
@click.option("--corpus", type=click.Path(exists=True, path_type=Path), help="Corpus JSONL (champ text) pour le débit.")
@click.option(
    "--split",
    "splits",
    multiple=True,
    help="Partie(s) du jeu à évaluer (dev, test, all ; répétable). Par défaut : dev, test et all.",
)
@click.option("--errors", "show_errors", is_flag=True, help="Liste les oublis et les fausses détections.")
@json_option
@reports_errors
def eval_command(data: Path, corpus: Path | None, splits: tuple[str, ...], show_errors: bool, as_json: bool) -> None:
    """Mesure précision, rappel et F1 par type et par groupe sur un jeu annoté, et le débit (caractères/s)."""
    from socle.privacy.analyzer import get_detector
    from socle.privacy.evaluate import GROUPS, evaluate, load_examples, measure_throughput

    examples = load_examples(data)
    if splits and "all" not in splits:
        examples = [ex for ex in examples if ex.split in splits]
    detector = get_detector()
    evaluation = evaluate(examples, detector, splits or ("dev", "test", "all"))
    result = evaluation.as_dict()
    if corpus is not None:
        texts = [json.loads(line)["text"] for line in corpus.read_text(encoding="utf-8").splitlines() if line.strip()]
        chars, seconds = measure_throughput(texts, detector)
        result["corpus_throughput_chars_per_s"] = round(chars / seconds) if seconds else 0
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False, indent=2))
        return
    group_labels = {
        "STRUCTURED": "structurés*",
        "IDENTIFIANTS": "identifiants**",
        "PERSONNE": "groupe noms",
        "ADRESSE": "groupe adresses",
    }
    for name, rep in evaluation.reports.items():
        click.secho(f"Jeu « {name} » : {rep.sentences} phrases", bold=True)
        click.echo(f"  {'type':<16} {'précision':>9} {'rappel':>7} {'F1':>6} {'n':>5}")
        rows = [
            *sorted(rep.by_type.items()),
            *((group_labels[g], rep.group(g)) for g in GROUPS if g in ("STRUCTURED", "IDENTIFIANTS")),
            ("global", rep.overall),
        ]
        for kind, s in rows:
            click.echo(f"  {kind:<16} {s.precision:>9.3f} {s.recall:>7.3f} {s.f1:>6.3f} {s.tp + s.fn:>5}")
        click.echo(f"  caractères masqués : {rep.masked:.3f}")
        for failed in rep.failed_targets():
            click.secho(f"  objectif non atteint — {failed}", fg="red")
        if show_errors:
            for e in rep.errors:
                click.secho(f"    {e['kind']:<9} {e['type']:<16} {e['text']}", dim=True)
    click.echo("* e-mail, téléphone, NIR, IBAN, SIRET ; ** les mêmes et BIC, SIREN, CNI, passeport, date de naissance,")
    click.echo("  immatriculation, IP")
    click.echo(
        f"Débit : {evaluation.chars_per_second:,.0f} caractères/s sur le jeu annoté "
        f"({evaluation.characters} caractères ; NER sur {evaluation.ner_share:.0%} du texte)".replace(",", " ")
    )
    if "corpus_throughput_chars_per_s" in result:
        click.echo(f"Débit sur {corpus} : {result['corpus_throughput_chars_per_s']:,} caractères/s".replace(",", " "))
    if any(rep.failed_targets() for rep in evaluation.reports.values()):
        sys.exit(1)
