"""The administrator's and editors' web pages, in French: users and their rights (what
``socle users`` does from the command line), the documents of a collection (list, search,
delete after confirmation, replace, and what privacy protection masked in each), and the
form that edits an assistant. Same rules as :mod:`socle.service.web`: server-rendered,
every page works without JavaScript, every POST checks the CSRF token, and no absolute
server path is shown (documents ingested from the command line are keyed by theirs).
"""

from __future__ import annotations

import logging
import unicodedata
from collections import Counter
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from socle.errors import ConflictError, NotFoundError, SocleError
from socle.privacy.labels import masked_summary
from socle.service.auth import ROLE_NAMES, PermissionDenied, Principal, hash_password
from socle.service.core import Service
from socle.service.deps import check_csrf
from socle.service.french import date_fr
from socle.service.names import known_collection
from socle.service.sources import document_link
from socle.service.web import Page, Svc, render
from socle.store.records import Assistant

log = logging.getLogger("socle.service")
router = APIRouter(include_in_schema=False)

MIN_PASSWORD = 10  # what socle.service.auth.hash_password enforces (it raises below that)
ROLES = {role: ROLE_NAMES[role] for role in ("reader", "editor")}  # what a collection grants
PRIVACY_MODES = {
    "anonymise": "anonymisation (irréversible)",
    "pseudonymise": "pseudonymisation (correspondances chiffrées)",
    "off": "aucune",
}
FILE_TYPES = {
    "pdf": "PDF",
    "docx": "Word",
    "odt": "OpenDocument",
    "html": "HTML",
    "htm": "HTML",
    "md": "Markdown",
    "markdown": "Markdown",
    "txt": "Texte",
    "jsonl": "JSONL",
}


# -- small helpers ---------------------------------------------------------------------------
def fold(text: str) -> str:
    """Lowercase without accents: « Congés » matches « conges »."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def display_name(key: str) -> str:
    """What a document key may show: the file name of a path (a document ingested from the
    command line is keyed by its absolute path on the server), else the key itself."""
    return Path(key).name if "/" in key or "\\" in key else key


def file_type(key: str) -> str:
    suffix = Path(display_name(key)).suffix.lower().lstrip(".")
    return FILE_TYPES.get(suffix, suffix.upper() or "—")


def _status(exc: SocleError) -> int:
    if isinstance(exc, PermissionDenied):
        return 403
    if isinstance(exc, NotFoundError):
        return 404
    return 409 if isinstance(exc, ConflictError) else 400


def _notice(request: Request, text: str) -> None:
    request.session["admin_notice"] = text


# -- users and rights ------------------------------------------------------------------------
def _users_page(
    request: Request, principal: Principal, service: Service, status: int = 200, error: str = "", **form: str
) -> Response:
    principal.require_admin()
    sessions = Counter(s["username"] for s in service.store.sessions())
    users = [
        {
            "username": u.username,
            "admin": u.is_admin,
            "disabled": u.disabled,
            "grants": sorted(service.store.grants(u.id).items()),
            "sessions": sessions.get(u.username, 0),
        }
        for u in service.store.users()
    ]
    return render(
        request,
        "admin_users.html",
        principal,
        status=status,
        users=users,
        collections=[c.name for c in service.store.collections()],
        roles=ROLES,
        min_password=MIN_PASSWORD,
        error=error,
        notice=request.session.pop("admin_notice", None),
        form=form,
    )


def _user_or_404(service: Service, username: str) -> Any:
    user = service.store.get_user(username)
    if user is None:
        raise NotFoundError(f"L'utilisateur « {username} » n'existe pas.")
    return user


def _done(request: Request, text: str) -> Response:
    _notice(request, text)
    return RedirectResponse("/admin/utilisateurs", status_code=303)


@router.get("/admin/utilisateurs", response_class=HTMLResponse)
def users_page(request: Request, principal: Page, service: Svc) -> Response:
    return _users_page(request, principal, service)


@router.post("/admin/utilisateurs/creer")
def create_user(
    request: Request,
    principal: Page,
    service: Svc,
    identifiant: Annotated[str, Form()] = "",
    mot_de_passe: Annotated[str, Form()] = "",
    administrateur: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf)
    principal.require_admin()
    username, admin = identifiant.strip(), administrateur == "oui"
    try:
        service.store.create_user(username, hash_password(mot_de_passe), is_admin=admin)
    except SocleError as exc:
        return _users_page(request, principal, service, _status(exc), str(exc), identifiant=identifiant)
    service._audit(principal, "user_create", detail={"user": username, "admin": admin})
    return _done(request, f"Utilisateur « {username} » créé{' (administrateur)' if admin else ''}.")


@router.post("/admin/utilisateurs/mot-de-passe")
def reset_password(
    request: Request,
    principal: Page,
    service: Svc,
    utilisateur: Annotated[str, Form()] = "",
    mot_de_passe: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """As ``socle users passwd``: the user's sessions are ended and their API keys revoked
    (a stolen password leaves nothing open)."""
    check_csrf(request, csrf)
    principal.require_admin()
    try:
        _user_or_404(service, utilisateur)
        sessions, keys = service.store.set_password(utilisateur, hash_password(mot_de_passe), end_keys=True)
    except SocleError as exc:
        return _users_page(request, principal, service, _status(exc), str(exc), utilisateur=utilisateur)
    detail = {"user": utilisateur, "sessions_ended": sessions, "keys_revoked": keys}
    service._audit(principal, "user_password", detail=detail)
    return _done(
        request,
        f"Mot de passe de « {utilisateur} » changé : {sessions} session(s) fermée(s), {keys} clé(s) d'API révoquée(s).",
    )


def _set_disabled(request: Request, principal: Principal, service: Service, username: str, disabled: bool) -> Response:
    principal.require_admin()
    try:
        _user_or_404(service, username)
        if disabled and username == principal.username:
            raise SocleError("Vous ne pouvez pas désactiver votre propre compte.")
        sessions, keys = service.store.set_user_disabled(username, disabled)
    except SocleError as exc:
        return _users_page(request, principal, service, _status(exc), str(exc))
    detail = {"user": username, "sessions_ended": sessions, "keys_revoked": keys}
    service._audit(principal, "user_disable" if disabled else "user_enable", detail=detail)
    if not disabled:
        return _done(request, f"Compte « {username} » réactivé.")
    return _done(
        request,
        f"Compte « {username} » désactivé : {sessions} session(s) fermée(s), {keys} clé(s) d'API révoquée(s).",
    )


@router.post("/admin/utilisateurs/desactiver")
def disable_user(
    request: Request,
    principal: Page,
    service: Svc,
    utilisateur: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf)
    return _set_disabled(request, principal, service, utilisateur, True)


@router.post("/admin/utilisateurs/reactiver")
def enable_user(
    request: Request,
    principal: Page,
    service: Svc,
    utilisateur: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf)
    return _set_disabled(request, principal, service, utilisateur, False)


@router.post("/admin/utilisateurs/droits")
def grant_role(
    request: Request,
    principal: Page,
    service: Svc,
    utilisateur: Annotated[str, Form()] = "",
    collection: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf)
    principal.require_admin()
    try:
        user = _user_or_404(service, utilisateur)
        if role not in ROLES:
            raise SocleError("Choisissez le rôle : lecteur ou éditeur.")
        # A right on a collection that does not exist would silently open nothing.
        known_collection([c.name for c in service.store.collections()], collection)
        service.store.set_grant(user.id, collection, role)
    except SocleError as exc:
        return _users_page(request, principal, service, _status(exc), str(exc), utilisateur=utilisateur)
    service._audit(principal, "user_grant", collections=[collection], detail={"user": utilisateur, "role": role})
    return _done(request, f"« {utilisateur} » est {ROLES[role]} de la collection « {collection} ».")


@router.post("/admin/utilisateurs/retirer")
def revoke_role(
    request: Request,
    principal: Page,
    service: Svc,
    utilisateur: Annotated[str, Form()] = "",
    collection: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf)
    principal.require_admin()
    try:
        user = _user_or_404(service, utilisateur)
        # Revoking stays allowed on a collection that no longer exists (as in the CLI).
        service.store.set_grant(user.id, collection, None)
    except SocleError as exc:
        return _users_page(request, principal, service, _status(exc), str(exc))
    service._audit(principal, "user_revoke", collections=[collection], detail={"user": utilisateur})
    return _done(request, f"« {utilisateur} » n'a plus de rôle sur la collection « {collection} ».")


# -- documents of a collection ---------------------------------------------------------------
def _document_key(service: Service, collection: str, document_id: int) -> str:
    """The key of a document from its internal id: forms carry the id, so that a key that
    is a server path never reaches a page."""
    for key, found in service.store.document_ids(collection).items():
        if found == document_id:
            return key
    raise NotFoundError(f"Ce document n'existe plus dans la collection « {collection} ».")


def _document_title(service: Service, collection: str, key: str) -> str:
    doc = service.store.document_text(collection, key)
    return str(doc["title"]) if doc and doc.get("title") else display_name(key)


@router.get("/collections/{name}/documents", response_class=HTMLResponse)
def documents_page(
    request: Request, name: str, principal: Page, service: Svc, q: str = "", tache: int | None = None
) -> Response:
    documents = service.documents(principal, name)  # 403 without read rights, 404 if unknown
    ids = service.store.document_ids(name)
    privacy = {r["document"]: r for r in service.store.privacy_records(name)}
    from socle.ocr import document_summary  # scanned documents: « OCR », pages read poorly

    scans = {i: document_summary(m) for i, m in service.store.document_metadata(name).items()}
    wanted = fold(q.strip())
    rows = []
    for d in documents:
        key, record = d["key"], privacy.get(d["key"])
        if wanted and wanted not in fold(d["title"]) and wanted not in fold(display_name(key)):
            continue
        rows.append(
            {
                "id": ids.get(key),
                "title": d["title"] or display_name(key),
                "name": display_name(key),
                "type": file_type(key),
                "date": date_fr(d["ingested_at"]),
                "chunks": d["chunks"],
                "link": document_link(name, document=ids.get(key)),
                "privacy_mode": record["mode"] if record else None,
                "privacy": masked_summary(record["counts"]) if record else [],
                "ocr": scans.get(ids.get(key, -1)),
            }
        )
    mode = service.store.collection_settings(name).get("privacy_mode")
    return render(
        request,
        "admin_documents.html",
        principal,
        collection=name,
        documents=rows,
        total=len(documents),
        q=q,
        can_edit=principal.can_edit(name),
        privacy_mode=PRIVACY_MODES.get(str(mode), "non renseignée") if mode else "non renseignée",
        job=service.job(principal, tache) if tache else None,
        notice=request.session.pop("admin_notice", None),
    )


@router.post("/collections/{name}/documents/{document_id}/supprimer", response_class=HTMLResponse)
def delete_document(
    request: Request,
    name: str,
    document_id: int,
    principal: Page,
    service: Svc,
    confirmer: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """Two steps, both posted: the list's button asks for confirmation (a page, so that it
    works without JavaScript); the confirmation's button deletes."""
    check_csrf(request, csrf)
    principal.require_edit(name)
    key = _document_key(service, name, document_id)
    title = _document_title(service, name, key)
    if confirmer != "oui":
        return render(
            request,
            "admin_document_delete.html",
            principal,
            collection=name,
            document={"id": document_id, "title": title, "name": display_name(key)},
        )
    service.delete_document(principal, name, key)
    _notice(request, f"Le document « {title} » a été supprimé.")
    return RedirectResponse(f"/collections/{quote(name)}/documents", status_code=303)


@router.get("/collections/{name}/documents/{document_id}/remplacer", response_class=HTMLResponse)
def replace_page(request: Request, name: str, document_id: int, principal: Page, service: Svc) -> Response:
    principal.require_edit(name)
    key = _document_key(service, name, document_id)
    document = {"id": document_id, "title": _document_title(service, name, key), "name": display_name(key)}
    return render(request, "admin_document_replace.html", principal, collection=name, document=document)


def _finish_replacement(
    service: Service, principal: Principal, job: int, collection: str, old_key: str, new_key: str
) -> None:
    """Run right after the ingestion job (same single worker, in order): once the new file
    is indexed under its own key, the document it replaces goes; if it failed, the old one
    stays. (A JSONL file's records keep their own ids: nothing is removed then.)"""
    try:
        status = (service.store.job(job) or {}).get("status")
        if status == "done" and new_key in service.store.document_ids(collection):
            service.delete_document(principal, collection, old_key)
    except SocleError as exc:  # removed meanwhile, collection dropped...: the old one simply stays
        log.warning("Remplacement de document non terminé (tâche %s) : %s", job, exc)


@router.post("/collections/{name}/documents/{document_id}/remplacer", response_class=HTMLResponse)
async def replace_document(request: Request, name: str, document_id: int, principal: Page, service: Svc) -> Response:
    """Replace a document by a new file, ingested as any upload (:meth:`Service.upload`, a
    background job). Uploads are keyed by their file name: a file of the same name replaces
    the document in place (same key); a file of another name gets its own key, and the old
    document is removed once the job has indexed the new one (:func:`_finish_replacement`),
    so that a failed ingestion never leaves the collection without the document."""
    form = await request.form()
    check_csrf(request, str(form.get("csrf", "")))
    principal.require_edit(name)
    key = await run_in_threadpool(_document_key, service, name, document_id)
    title = await run_in_threadpool(_document_title, service, name, key)
    upload = form.get("fichier")
    document = {"id": document_id, "title": title, "name": display_name(key)}
    if not isinstance(upload, UploadFile) or not upload.filename:
        return render(
            request,
            "admin_document_replace.html",
            principal,
            status=400,
            collection=name,
            document=document,
            error="Choisissez le fichier qui remplace ce document.",
        )
    new_key = Path(upload.filename).name.strip().replace("\x00", "")  # the key Service.upload gives it
    data = await upload.read(service.settings.max_upload_mb * 1024 * 1024 + 1)
    try:
        if new_key != key and new_key in await run_in_threadpool(service.store.document_ids, name):
            # It would silently overwrite that other document, and remove this one.
            raise ConflictError(
                f"Un autre document de la collection s'appelle déjà « {new_key} » : "
                "remplacez celui-là, ou renommez le fichier."
            )
        job = await run_in_threadpool(service.upload, principal, name, [(upload.filename, data)])
    except SocleError as exc:
        return render(
            request,
            "admin_document_replace.html",
            principal,
            status=_status(exc),
            collection=name,
            document=document,
            error=str(exc),
        )
    if new_key != key:
        # Service has no hook for "after this job": its one ingestion worker runs tasks in
        # order, so a task queued now runs right after the job.
        service._ingestion.submit(_finish_replacement, service, principal, job, name, key, new_key)
    service._audit(
        principal, "document_replace", collections=[name], detail={"document": key, "file": new_key, "job": job}
    )
    _notice(request, f"« {new_key} » remplace « {display_name(key)} » une fois indexé.")
    return RedirectResponse(f"/collections/{quote(name)}/documents?tache={job}", status_code=303)


# -- editing an assistant --------------------------------------------------------------------
def _editable_assistant(principal: Principal, service: Service, name: str) -> Assistant:
    """The assistant, for someone who may edit it: edit rights on every collection it reads
    (what :meth:`Service.authorize_assistant_write` checks again when it is saved). Someone
    who may not even use it is told it does not exist (404), as everywhere else."""
    assistant = service.assistant(principal, name)
    if not all(principal.can_edit(c) for c in assistant.collections):
        raise PermissionDenied(
            "Vous ne pouvez pas modifier cet assistant : il faut être éditeur de chacune des collections qu'il lit."
        )
    return assistant


def _edit_form(
    request: Request,
    principal: Principal,
    service: Service,
    assistant: Assistant,
    form: dict[str, Any],
    status: int = 200,
    error: str = "",
    notice: str = "",
) -> Response:
    editable = [c for c in service.collections(principal) if principal.can_edit(c["name"])]
    return render(
        request,
        "assistant_edit.html",
        principal,
        status=status,
        assistant=assistant,
        collections=editable,
        form=form,
        error=error,
        notice=notice,
    )


@router.get("/a/{name}/modifier", response_class=HTMLResponse)
def edit_assistant_page(request: Request, name: str, principal: Page, service: Svc) -> Response:
    assistant = _editable_assistant(principal, service, name)
    form = {
        "title": assistant.title,
        "instructions": assistant.instructions,
        "collections": list(assistant.collections),
        "examples": "\n".join(assistant.examples),
        "purpose": str(assistant.settings.get("purpose", "")),
        "contact": str(assistant.settings.get("contact", "")),
    }
    notice = request.session.pop("admin_notice", None) or ""
    return _edit_form(request, principal, service, assistant, form, notice=notice)


@router.post("/a/{name}/modifier", response_class=HTMLResponse)
def edit_assistant(
    request: Request,
    name: str,
    principal: Page,
    service: Svc,
    title: Annotated[str, Form()] = "",
    instructions: Annotated[str, Form()] = "",
    collections: Annotated[list[str] | None, Form()] = None,
    examples: Annotated[str, Form()] = "",
    purpose: Annotated[str, Form()] = "",
    contact: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf)
    existing = _editable_assistant(principal, service, name)
    form: dict[str, Any] = {
        "title": title,
        "instructions": instructions,
        "collections": collections or [],
        "examples": examples,
        "purpose": purpose,
        "contact": contact,
    }
    settings = dict(existing.settings)  # other keys (thresholds, ChatMD source...) untouched
    for key, value in (("purpose", purpose.strip()), ("contact", contact.strip())):
        if value:
            settings[key] = value
        else:
            settings.pop(key, None)
    try:
        if not title.strip():
            raise SocleError("Donnez un nom à l'assistant.")
        lines = [q.strip() for q in examples.splitlines() if q.strip()]
        limits = ((title.strip(), 200, "Le nom"), (instructions, 8000, "Les consignes"), (purpose, 1000, "Le rôle"))
        for value, limit, what in (*limits, (contact, 500, "Le contact")):
            if len(value) > limit:
                raise SocleError(f"{what} : {limit} caractères au plus.")
        if len(lines) > 20:
            raise SocleError("20 exemples de questions au plus.")
        updated = Assistant(
            name=existing.name,  # the identifier (the API's `model`) never changes here
            title=title.strip(),
            collections=list(dict.fromkeys(collections or [])),
            instructions=instructions.strip(),
            examples=lines,
            settings=settings,
            created_by=existing.created_by,
        )
        service.save_assistant(principal, updated, replace=True)
    except SocleError as exc:
        return _edit_form(request, principal, service, existing, form, _status(exc), str(exc))
    _notice(request, "Modifications enregistrées.")
    return RedirectResponse(f"/a/{quote(existing.name)}/modifier", status_code=303)


__all__ = ["router"]
