"""`socle` command line: thin over the library modules. Messages are in French.

This package registers the commands: each group lives in its own module (``corpus``,
``service``, ``export``, ``chatmd``, ``privacy``, ``db``), which imports only
:mod:`socle.cli.common` and the library, never this module.
"""

from __future__ import annotations

import click

from socle.cli import chatmd, corpus, db, embedder, export, privacy, service
from socle.cli.common import speak_french


@click.group()
@click.version_option(
    package_name="socle", help="Affiche la version et quitte.", message="%(prog)s, version %(version)s"
)
@click.option("--db", envvar="SOCLE_DB", help="Base de données (chemin SQLite ou URL). Défaut : $SOCLE_HOME/socle.db")
@click.pass_context
def cli(ctx: click.Context, db: str | None) -> None:
    """Socle : assistant documentaire local, sobre et souverain.

    Indexe les documents d'une institution et répond aux questions à partir de ces seuls
    documents, en citant ses sources, sans réseau.
    """
    ctx.obj = {"db": db}


for _command in corpus.COMMANDS:
    cli.add_command(_command)

# Service commands (serve, users, assistant, audit, card, footprint, calibrate).
service.register(cli)

# Dataset export and controlled vocabularies (issue 7).
cli.add_command(export.export)
cli.add_command(export.vocabulary)

# ChatMD files (issue 9).
cli.add_command(chatmd.chatmd)

# Personal data protection (issue 5).
cli.add_command(privacy.privacy)

# Database schema and the SQLite → PostgreSQL copy (issue 6).
db.register(cli)

# Embedding models brought by the operator (issue 18).
cli.add_command(embedder.embedder)

# Help pages in French, built-in parts included (« Utilisation : », « Affiche cette aide… »).
speak_french(cli)

__all__ = ["cli"]
