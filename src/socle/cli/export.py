"""`socle export` (dataset export) and `socle vocabulary` (controlled vocabulary of a
collection): registered by :mod:`socle.cli`. Messages are in French."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from socle.cli.common import _open, _settings, collection_option, json_option, reports_errors


@click.command()
@collection_option
@click.option(
    "--format", "fmt", type=click.Choice(["jsonl", "parquet"]), default="jsonl", show_default=True, help="Format."
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Dossier de sortie (défaut : export-NOM).",
)
@click.option("--licence", help="Licence des contenus (ex. « Licence Ouverte 2.0 »), enregistrée pour la collection.")
@click.option("--creator", help="Producteur du jeu de données (institution), enregistré pour la collection.")
@click.option("--description", help="Description du jeu de données, enregistrée pour la collection.")
@click.option("--citation", help="Comment citer le jeu de données, enregistré pour la collection.")
@click.pass_context
@reports_errors
def export(
    ctx: click.Context,
    collection: str,
    fmt: str,
    out_dir: Path | None,
    licence: str | None,
    creator: str | None,
    description: str | None,
    citation: str | None,
) -> None:
    """Exporte une collection en jeu de données (documents, passages, Croissant, fiche descriptive).

    Le dossier produit se réimporte tel quel : « socle ingest DOSSIER --collection AUTRE ».
    """
    from socle.export import export_collection

    settings = _settings(ctx)
    store, _ = _open(settings, need_embedder=False)
    store.collection_settings(collection)  # unknown collection: French error before writing anything
    given = {"licence": licence, "creator": creator, "description": description, "citation": citation}
    if any(v is not None for v in given.values()):
        store.update_collection_settings(collection, **{k: v for k, v in given.items() if v is not None})
    out = out_dir or Path(f"export-{collection}")
    report = export_collection(store, collection, out, fmt)  # type: ignore[arg-type]
    click.echo(
        f"Collection « {collection} » exportée dans {out} : {report.documents} documents, {report.chunks} passages "
        f"en {report.seconds:.1f} s."
    )
    for name, size in report.files.items():
        click.echo(f"  {name}\t{size:,} octets".replace(",", "\u202f"))
    if not store.collection_settings(collection).get("licence"):
        click.secho(
            "Licence non précisée : indiquez-la avec --licence avant de diffuser ce jeu de données.", fg="yellow"
        )


@click.group()
def vocabulary() -> None:
    """Vocabulaire contrôlé d'une collection (catégories, thésaurus SKOS ou CSV) : classement automatique."""


@vocabulary.command("set")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path), metavar="FICHIER")
@collection_option
@click.option(
    "--examples-field",
    help="Champ de métadonnées qui porte déjà une catégorie (ex. theme) : ces documents servent d'exemples.",
)
@click.pass_context
@reports_errors
def vocabulary_set(ctx: click.Context, file: Path, collection: str, examples_field: str | None) -> None:
    """Associe le vocabulaire FICHIER (.csv, ou SKOS .ttl .rdf .jsonld) à la collection et classe ses documents."""
    from socle.indexing import load_vocabulary, set_vocabulary

    settings = _settings(ctx)
    store, embedder = _open(settings)
    store.collection_settings(collection)
    vocab = load_vocabulary(file)
    updated = set_vocabulary(store, collection, vocab, embedder, examples_field)
    click.echo(
        f"Vocabulaire « {vocab.name} » ({len(vocab.categories)} catégories) associé à « {collection} » ; "
        f"{updated} document(s) classé(s). Les documents ajoutés ensuite seront classés à l'ingestion."
    )


@vocabulary.command("show")
@collection_option
@json_option
@click.pass_context
@reports_errors
def vocabulary_show(ctx: click.Context, collection: str, as_json: bool) -> None:
    """Affiche le vocabulaire de la collection et le nombre de documents par catégorie."""
    from socle.indexing import collection_vocabulary, facets

    settings = _settings(ctx)
    store, _ = _open(settings, need_embedder=False)
    store.collection_settings(collection)
    vocab = collection_vocabulary(store, collection)
    found = facets(store, collection, top=1000)
    if as_json:
        described: dict[str, Any] | None = vocab.to_dict() if vocab else None
        if described:
            described.pop("examples", None)  # centroids: numbers, not for reading
        data = {"vocabulary": described, "facets": found}
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    if vocab is None:
        click.echo(f"La collection « {collection} » n'a pas de vocabulaire (socle vocabulary set FICHIER).")
    else:
        counts = dict(found["category"])
        click.echo(f"Vocabulaire « {vocab.name} » ({vocab.source}), {len(vocab.categories)} catégories :")
        for c in vocab.categories:
            click.echo(f"  {c.label}\t{counts.get(c.label, 0)} document(s)")
    if found["keyword"]:
        click.echo("Mots-clés automatiques les plus fréquents : " + ", ".join(k for k, _ in found["keyword"][:20]))


@vocabulary.command("remove")
@collection_option
@click.pass_context
@reports_errors
def vocabulary_remove(ctx: click.Context, collection: str) -> None:
    """Retire le vocabulaire de la collection (et les catégories de ses documents)."""
    from socle.indexing import set_vocabulary

    settings = _settings(ctx)
    store, _ = _open(settings, need_embedder=False)
    updated = set_vocabulary(store, collection, None, None)
    click.echo(f"Vocabulaire retiré de « {collection} » ; {updated} document(s) mis à jour.")


__all__ = ["export", "vocabulary"]
