"""`socle db upgrade`, `socle db status` and `socle migrate`: the database schema and the
move from the embedded SQLite file to PostgreSQL. Registered at the end of :mod:`socle.cli`.
Messages are in French."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import click

from socle.cli import _settings, json_option, reports_errors
from socle.errors import ConfigError, SocleError, StoreError


def _is_postgres(url: str) -> bool:
    return url.startswith(("postgresql://", "postgres://"))


def _sqlite_path(url: str) -> Path:
    return Path(url[len("sqlite:///") :] if url.startswith("sqlite:///") else url)


def _pg_connect(url: str) -> Any:
    import psycopg

    from socle.store.postgres import safe_url

    try:
        return psycopg.connect(url, autocommit=True, connect_timeout=10)
    except psycopg.OperationalError as exc:
        raise StoreError(f"Impossible de joindre PostgreSQL ({safe_url(url)}) : {exc}") from exc


def _sqlite_status(path: Path) -> dict[str, Any]:
    import sqlite3

    from socle.store.sqlite import MIGRATIONS

    applied: list[str] = []
    if path.exists():
        db = sqlite3.connect(str(path))
        try:
            if db.execute("SELECT 1 FROM sqlite_master WHERE name = '_migrations'").fetchone():
                applied = [r[0] for r in db.execute("SELECT name FROM _migrations ORDER BY name")]
        finally:
            db.close()
    return {
        "backend": "sqlite",
        "database": str(path),
        "applied": applied,
        "pending": [name for name, _ in MIGRATIONS if name not in applied],
    }


def _pg_status(url: str) -> dict[str, Any]:
    from socle.store.postgres import safe_url
    from socle.store.postgres_schema import accent_folding, applied_migrations, pending_migrations

    with _pg_connect(url) as conn:
        applied = applied_migrations(conn)
        pending = pending_migrations(conn)
        server = conn.execute("SHOW server_version").fetchone()[0]
        extensions = dict(conn.execute("SELECT extname, extversion FROM pg_extension ORDER BY 1").fetchall())
        folding = accent_folding(conn)
        indexes: list[str] = []
        if "m002_corpus" in applied:
            indexes = [
                r[0]
                for r in conn.execute(
                    "SELECT c.name FROM collections c WHERE to_regclass('chunks_hnsw_' || c.id) IS NOT NULL"
                    " ORDER BY c.name"
                )
            ]
    return {
        "backend": "postgresql",
        "database": safe_url(url),
        "server_version": server,
        "extensions": extensions,
        "accent_folding": folding,
        "applied": applied,
        "pending": pending,
        "hnsw_indexes": indexes,
    }


@click.group()
def db() -> None:
    """Schéma de la base de données (SQLite ou PostgreSQL)."""


@db.command()
@json_option
@click.pass_context
@reports_errors
def upgrade(ctx: click.Context, as_json: bool) -> None:
    """Applique les migrations de schéma en attente (sans risque si plusieurs processus le font)."""
    url = _settings(ctx).db
    if _is_postgres(url):
        from socle.store.postgres_schema import PG_MIGRATIONS
        from socle.store.postgres_schema import upgrade as pg_upgrade

        with _pg_connect(url) as conn:
            applied = pg_upgrade(conn)
        total = len(PG_MIGRATIONS)
    else:
        from socle.store.sqlite import MIGRATIONS, SQLiteStore

        before = set(_sqlite_status(_sqlite_path(url))["applied"])
        SQLiteStore(_sqlite_path(url)).close()
        applied = [name for name, _ in MIGRATIONS if name not in before]
        total = len(MIGRATIONS)
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
    url = _settings(ctx).db
    info = _pg_status(url) if _is_postgres(url) else _sqlite_status(_sqlite_path(url))
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
    click.echo(f"Migrations appliquées : {len(info['applied'])}")
    if info["pending"]:
        click.echo("En attente : " + ", ".join(info["pending"]) + " — lancez « socle db upgrade ».")
    else:
        click.echo("Aucune migration en attente.")


@click.command()
@click.option("--from", "source", required=True, help="Base d'origine : chemin ou URL sqlite:///…")
@click.option("--to", "target", required=True, help="Base de destination : URL postgresql://…")
@json_option
@reports_errors
def migrate(source: str, target: str, as_json: bool) -> None:
    """Copie une installation SQLite dans PostgreSQL, puis vérifie nombres de lignes et
    sommes de contrôle. Interrompue, elle reprend là où elle s'était arrêtée si on la relance."""
    from socle.store.postgres import PostgresStore
    from socle.store.sqlite import SQLiteStore
    from socle.store.transfer import copy_store

    if _is_postgres(source) or not _is_postgres(target):
        raise ConfigError("socle migrate copie une base SQLite (--from) vers PostgreSQL (--to postgresql://…).")
    path = _sqlite_path(source)
    if not path.exists():
        raise StoreError(f"Base SQLite introuvable : {path}")
    started = time.perf_counter()
    src = SQLiteStore(path)
    dst = PostgresStore(target)
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
