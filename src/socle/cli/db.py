"""`socle db upgrade`, `socle db status` and `socle migrate`: the database schema (one
Alembic history for both backends) and copies between databases, e.g. from the embedded
SQLite file to PostgreSQL. Registered by :mod:`socle.cli`.
Messages are in French."""

from __future__ import annotations

import json
import time
from typing import Any

import click

from socle.cli.common import _settings, json_option, reports_errors
from socle.errors import SocleError, StoreError


def _status(url: str) -> dict[str, Any]:
    from socle.store.database import Database, safe_url, sqlite_path

    path = sqlite_path(url)
    if path is not None and not path.exists():
        return {"backend": "sqlite", "database": str(path), "revision": None, "pending": Database.pending(None)}
    database = Database(url)
    try:
        current, pending = database.status()
        info: dict[str, Any] = {
            "backend": database.dialect,
            "database": str(path) if path else safe_url(url),
            "revision": current,
            "pending": pending,
        }
        if database.dialect == "postgresql":
            with database.read() as conn:
                info["server_version"] = conn.exec_driver_sql("SHOW server_version").scalar()
                info["extensions"] = dict(
                    conn.exec_driver_sql("SELECT extname, extversion FROM pg_extension ORDER BY 1").all()
                )
                info["accent_folding"] = (
                    conn.exec_driver_sql(
                        "SELECT obj_description(to_regprocedure('socle_unaccent(text)'), 'pg_proc')"
                    ).scalar()
                    or "absent"
                )
                info["hnsw_indexes"] = (
                    list(
                        conn.exec_driver_sql(
                            "SELECT c.name FROM collections c WHERE to_regclass('chunks_hnsw_' || c.id) IS NOT NULL"
                            " ORDER BY c.name"
                        ).scalars()
                    )
                    if current
                    else []
                )
    finally:
        database.close()
    return info


@click.group()
def db() -> None:
    """Schéma de la base de données (SQLite ou PostgreSQL)."""


@db.command()
@json_option
@click.pass_context
@reports_errors
def upgrade(ctx: click.Context, as_json: bool) -> None:
    """Applique les migrations de schéma en attente (sans risque si plusieurs processus le font)."""
    from socle.store.database import Database

    database = Database(_settings(ctx).db)
    try:
        applied = database.upgrade()
        total = len(database.pending(None))
    finally:
        database.close()
    if as_json:
        click.echo(json.dumps({"applied": applied, "total": total}, ensure_ascii=False))
    elif applied:
        click.echo(f"{len(applied)} migration(s) appliquée(s) :")
        for name in applied:
            click.echo(f"  {name}")
    else:
        click.echo(f"La base est déjà à jour ({total} migrations).")


@db.command()
@json_option
@click.pass_context
@reports_errors
def status(ctx: click.Context, as_json: bool) -> None:
    """État du schéma : migrations appliquées et en attente, extensions PostgreSQL."""
    info = _status(_settings(ctx).db)
    if as_json:
        click.echo(json.dumps(info, ensure_ascii=False, indent=2))
        return
    click.echo(f"Base : {info['database']} ({info['backend']})")
    if info["backend"] == "postgresql":
        click.echo(f"Serveur PostgreSQL {info['server_version']}")
        ext = ", ".join(f"{k} {v}" for k, v in info["extensions"].items()) or "aucune"
        click.echo(f"Extensions : {ext}")
        folding = {"unaccent": "extension unaccent", "translate": "translate() (unaccent absent)"}
        click.echo(
            f"Suppression des accents (recherche plein texte) : {folding.get(info['accent_folding'], 'absente')}"
        )
        if info["hnsw_indexes"]:
            click.echo("Index HNSW : " + ", ".join(info["hnsw_indexes"]))
    click.echo(f"Révision du schéma : {info['revision'] or 'aucune (base vide)'}")
    if info["pending"]:
        click.echo("En attente : " + ", ".join(info["pending"]) + " — lancez « socle db upgrade ».")
    else:
        click.echo("Aucune migration en attente.")


@click.command()
@click.option("--from", "source", required=True, help="Base d'origine : chemin SQLite, sqlite:///… ou postgresql://…")
@click.option(
    "--to", "target", required=True, help="Base de destination : chemin SQLite, sqlite:///… ou postgresql://…"
)
@json_option
@reports_errors
def migrate(source: str, target: str, as_json: bool) -> None:
    """Copie une installation dans une autre base (SQLite vers PostgreSQL, ou l'inverse), puis
    vérifie nombres de lignes et sommes de contrôle. Interrompue, elle reprend là où elle
    s'était arrêtée si on la relance."""
    from socle.store import open_store
    from socle.store.database import sqlite_path
    from socle.store.transfer import copy_store

    path = sqlite_path(source)
    if path is not None and not path.exists():
        raise StoreError(f"Base SQLite introuvable : {path}")
    started = time.perf_counter()
    src = open_store(source)
    try:
        dst = open_store(target)
    except BaseException:
        src.close()
        raise
    try:
        report = copy_store(src, dst, progress=lambda message: click.echo(f"… {message}", err=True))
    finally:
        src.close()
        dst.close()
    seconds = time.perf_counter() - started
    if as_json:
        click.echo(
            json.dumps(
                {
                    "verified": report.verified,
                    "seconds": round(seconds, 1),
                    "documents_copied": report.documents_copied,
                    "documents_skipped": report.documents_skipped,
                    "documents_removed": report.documents_removed,
                    "chunks_copied": report.chunks_copied,
                    "rows_copied": report.rows_copied,
                    "vector_indexes": report.vector_indexes,
                    "tables": [
                        {
                            "table": c.table,
                            "source_rows": c.source_rows,
                            "target_rows": c.target_rows,
                            "checksum": c.source_checksum,
                            "ok": c.ok,
                        }
                        for c in report.checks
                    ],
                },
                ensure_ascii=False,
                indent=2,
            )
        )
    else:
        click.echo(
            f"{report.documents_copied} document(s) copié(s) ({report.chunks_copied} passages),"
            f" {report.documents_skipped} déjà présent(s), en {seconds:.1f} s."
        )
        click.echo(f"{'Table':<15} {'origine':>10} {'copie':>10}  vérification")
        for c in report.checks:
            verdict = "identique" if c.ok else "DIFFÉRENTE"
            click.echo(f"{c.table:<15} {c.source_rows:>10} {c.target_rows:>10}  {verdict}")
    if not report.verified:
        raise SocleError(
            "La copie ne correspond pas à l'origine (voir les tables marquées DIFFÉRENTE) : relancez la commande ;"
            " si l'écart persiste, l'origine a changé pendant la copie."
        )
    if not as_json:
        click.echo("Copie vérifiée : même nombre de lignes et mêmes sommes de contrôle pour chaque table.")


def register(cli: click.Group) -> None:
    cli.add_command(db)
    cli.add_command(migrate)


__all__ = ["db", "migrate", "register"]
