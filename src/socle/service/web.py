"""The web interface for agents, in French: server-rendered pages (Jinja2) with one small
script for streaming and uploads. Every page works without JavaScript (forms post to the
server), nothing is loaded from another site, and the markup follows RGAA basics: a
language, landmarks, a skip link, labelled fields, visible focus, sufficient contrast.
"""

from __future__ import annotations

import re
from functools import partial
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from markupsafe import Markup, escape
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile  # what request.form() yields (fastapi.UploadFile subclasses it)

from socle.errors import ConflictError, NotFoundError, SocleError
from socle.privacy.labels import masked_summary
from socle.service import french
from socle.service.assistant_file import parse_assistant_markdown
from socle.service.auth import PermissionDenied, Principal, authenticate_password, hash_api_key, new_session
from socle.service.core import Service
from socle.service.deps import (
    RateLimited,
    Unauthenticated,
    check_csrf,
    csrf_token,
    current_principal,
    get_service,
)
from socle.service.names import slugify
from socle.service.sources import document_link
from socle.service.viewer import render_document
from socle.store.records import Assistant

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
Svc = Annotated[Service, Depends(get_service)]
_MARKER = re.compile(r"\[(\d+)\]")


def page_principal(request: Request) -> Principal:
    principal = current_principal(request)
    if principal is None:
        raise Unauthenticated("Connectez-vous.")
    # The same per-user budget as the API's (a session's calls to /v1 count under this name too).
    wait = request.app.state.limiter.allow(f"user:{principal.username}")
    if wait > 0:
        raise RateLimited(wait)
    return principal


Page = Annotated[Principal, Depends(page_principal)]


def render(request: Request, name: str, principal: Principal | None, status: int = 200, **context: Any) -> Response:
    return templates.TemplateResponse(
        request,
        name,
        {"user": principal, "csrf": csrf_token(request), **context},
        status_code=status,
    )


# Browsers drop ASCII tabs and newlines anywhere in a URL and C0 controls and spaces around
# it (« java\tscript: » runs): what is checked is what the browser would follow.
_URL_IGNORED = re.compile(r"[\t\n\r]")
_URL_SCHEME = re.compile(r"^[^/?#]*:")


def safe_link(url: object) -> str | None:
    """``url`` if it may be a link: http(s), or relative (no scheme at all); None for any
    other scheme (``javascript:``, ``data:``, ``vbscript:``...), shown as text instead.
    A document's URL comes from its metadata, that is from whoever wrote the file."""
    if not isinstance(url, str):
        return None
    cleaned = _URL_IGNORED.sub("", url).strip("".join(map(chr, range(0x21))))
    if not cleaned:
        return None
    if _URL_SCHEME.match(cleaned) and not cleaned.lower().startswith(("http://", "https://")):
        return None
    return cleaned


def answer_html(text: str, answer_id: object = "") -> Markup:
    """The answer with its [n] markers turned into links to that answer's own citation n."""
    escaped = str(escape(text))
    return Markup(
        _MARKER.sub(lambda m: f'<a href="#source-{answer_id}-{m.group(1)}" class="marker">[{m.group(1)}]</a>', escaped)
    )


def source_href(c: dict[str, Any], back: str | None = None) -> str:
    """The link of a citation or closest passage: its document with the span highlighted, and
    the way back to the conversation; a validated correction has its own page."""
    passage_id = int(c.get("passage_id") or 0)
    if passage_id < 0:
        return f"/corrections/{-passage_id}"
    link = document_link(str(c["collection"]), None, c.get("start"), c.get("end"), passage=passage_id)
    if back:
        path, _, fragment = link.partition("#")
        link = f"{path}&retour={quote(back, safe='/')}" + (f"#{fragment}" if fragment else "")
    return link


def conversation_url(assistant: str, conversation: object) -> str:
    return f"/a/{quote(assistant)}/c/{conversation}" if conversation else f"/a/{quote(assistant)}"


french.register(templates.env)
templates.env.globals.update(
    document_link=document_link,
    answer_html=answer_html,
    source_href=source_href,
    conversation_url=conversation_url,
    masked_summary=masked_summary,
)


# -- login -----------------------------------------------------------------------------------
@router.get("/connexion", response_class=HTMLResponse)
def login_page(request: Request) -> Response:
    return render(request, "login.html", None)


@router.post("/connexion")
def login(
    request: Request,
    service: Svc,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
    csrf: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf)
    client = request.client.host if request.client else None
    account = username.strip().lower()[:64]
    wait = max(
        request.app.state.limiter.allow(f"login:{client}"),
        request.app.state.account_limiter.allow(f"account:{account}"),  # whatever the address
    )
    principal = None if wait > 0 else authenticate_password(service.store, username.strip(), password)
    service.audit_login(username.strip()[:64], principal is not None, client)
    if principal is None:
        message = "Trop de tentatives : patientez une minute." if wait > 0 else "Identifiant ou mot de passe incorrect."
        return render(request, "login.html", None, status=401, error=message, username=username)
    request.session.clear()  # a new session at login (no fixation)
    request.session["sid"] = new_session(service.store, principal.user, client, request.headers.get("user-agent"))
    return RedirectResponse("/", status_code=303)


@router.post("/deconnexion")
def logout(request: Request, service: Svc, csrf: Annotated[str, Form()] = "") -> Response:
    check_csrf(request, csrf)
    token = request.session.get("sid")
    if isinstance(token, str):  # ended in the database: a copy of the cookie opens nothing
        service.store.end_sessions(token_hash=hash_api_key(token))
    request.session.clear()
    return RedirectResponse("/connexion", status_code=303)


# -- assistants and questions ----------------------------------------------------------------
@router.get("/", response_class=HTMLResponse)
def home(request: Request, principal: Page, service: Svc) -> Response:
    return render(
        request,
        "home.html",
        principal,
        assistants=service.assistants(principal),
        collections=service.collections(principal),
    )


def _conversation_page(
    request: Request,
    principal: Principal,
    service: Service,
    name: str,
    conversation: int | None,
    status: int = 200,
    **context: Any,
) -> Response:
    """An assistant's page: the user's conversations with it beside, the current one's
    questions and answers in order (newest at the bottom), the question box under them."""
    assistant = service.assistant(principal, name)
    current = service.conversation(principal, conversation, name) if conversation else None
    turns = service.conversation_turns(principal, conversation) if conversation else []
    return render(
        request,
        "assistant.html",
        principal,
        status=status,
        assistant=assistant,
        purpose=str(assistant.settings.get("purpose") or ""),
        can_edit=all(principal.can_edit(c) for c in assistant.collections),
        intro=service.chatbot_intro(principal, name) if not turns else None,
        conversations=service.conversations(principal, name),
        current=current,
        turns=turns,
        back=conversation_url(name, conversation),
        notices=request.session.pop("notices", None),
        **context,
    )


@router.get("/a/{name}", response_class=HTMLResponse)
def assistant_page(request: Request, name: str, principal: Page, service: Svc) -> Response:
    return _conversation_page(request, principal, service, name, None)


@router.get("/a/{name}/c/{conversation}", response_class=HTMLResponse)
def conversation_page(request: Request, name: str, conversation: int, principal: Page, service: Svc) -> Response:
    return _conversation_page(request, principal, service, name, conversation)


@router.post("/a/{name}", response_class=HTMLResponse)
@router.post("/a/{name}/c/{conversation}", response_class=HTMLResponse)
async def ask_form(
    request: Request,
    name: str,
    principal: Page,
    service: Svc,
    conversation: int = 0,
    question: Annotated[str, Form()] = "",
    choice: Annotated[str | None, Form()] = None,
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """The same question as the API, for browsers without JavaScript (``choice``: a ChatMD
    button); the answer is shown on its conversation's page (post, then redirect)."""
    check_csrf(request, csrf)
    try:
        answer, answer_id = await run_in_threadpool(
            partial(service.ask, conversation=conversation), principal, name, question, (), None, choice
        )
    except NotFoundError:
        raise
    except SocleError as exc:
        return _conversation_page(
            request, principal, service, name, conversation or None, status=400, error=str(exc), question=question
        )
    return RedirectResponse(f"{conversation_url(name, answer.conversation_id)}#reponse-{answer_id}", 303)


@router.post("/a/{name}/c/{conversation}/renommer")
def rename_conversation(
    request: Request,
    name: str,
    conversation: int,
    principal: Page,
    service: Svc,
    title: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf)
    service.rename_conversation(principal, conversation, title)
    return RedirectResponse(conversation_url(name, conversation), 303)


@router.get("/a/{name}/c/{conversation}/supprimer", response_class=HTMLResponse)
def delete_conversation_page(request: Request, name: str, conversation: int, principal: Page, service: Svc) -> Response:
    found = service.conversation(principal, conversation, name)
    return render(
        request, "conversation_delete.html", principal, assistant=service.assistant(principal, name), current=found
    )


@router.post("/a/{name}/c/{conversation}/supprimer")
def delete_conversation(
    request: Request,
    name: str,
    conversation: int,
    principal: Page,
    service: Svc,
    csrf: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf)
    service.conversation(principal, conversation, name)
    service.delete_conversation(principal, conversation)
    return RedirectResponse(f"/a/{quote(name)}", 303)


@router.post("/a/{name}/avis")
def rate_form(
    request: Request,
    name: str,
    principal: Page,
    service: Svc,
    answer_id: Annotated[int, Form()],
    useful: Annotated[str, Form()],
    comment: Annotated[str, Form()] = "",
    correction: Annotated[str, Form()] = "",
    conversation: Annotated[int, Form()] = 0,
    csrf: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf)
    service.rate(principal, answer_id, useful == "oui", comment, correction)
    return RedirectResponse(f"{conversation_url(name, conversation)}?merci={answer_id}#reponse-{answer_id}", 303)


@router.get("/documents/{collection}", response_class=HTMLResponse)
def document_page(
    request: Request,
    collection: str,
    principal: Page,
    service: Svc,
    passage: int | None = None,
    doc: int | None = None,
    cle: str | None = None,
    debut: int | None = None,
    fin: int | None = None,
    retour: str | None = None,
) -> Response:
    """A document with its headings and tables, the cited span marked; named by one of its
    passages (citations), its id (lists) or, for links made before 0.2, its key."""
    if passage is None and doc is None and cle is None:
        raise NotFoundError("Précisez le document à afficher.")
    found = service.document(principal, collection, cle, document_id=doc, passage=passage)
    url = safe_link(found.get("url"))  # javascript: and other schemes are shown as text, not linked
    view = render_document(found, debut, fin, retour)
    return render(request, "document.html", principal, doc=found, url=url, **view)


@router.get("/corrections/{correction_id}", response_class=HTMLResponse)
def correction_page(request: Request, correction_id: int, principal: Page, service: Svc) -> Response:
    return render(request, "correction.html", principal, correction=service.correction(principal, correction_id))


# -- creating assistants, uploading documents ------------------------------------------------
@router.get("/assistants/nouveau", response_class=HTMLResponse)
def new_assistant_page(request: Request, principal: Page, service: Svc) -> Response:
    editable = [c for c in service.collections(principal) if principal.can_edit(c["name"])]
    if not principal.is_admin and not editable:  # the server would refuse the form anyway: say so now
        raise PermissionDenied(
            "Créer un assistant demande le rôle d'éditeur sur au moins une collection. "
            "Demandez-le à un administrateur de Socle."
        )
    return render(request, "assistant_form.html", principal, collections=editable, form={})


@router.post("/assistants/nouveau", response_class=HTMLResponse)
async def new_assistant(request: Request, principal: Page, service: Svc) -> Response:
    form = await request.form()
    check_csrf(request, str(form.get("csrf", "")))
    editable = [c for c in service.collections(principal) if principal.can_edit(c["name"])]
    values = {k: str(v) for k, v in form.items() if isinstance(v, str)}
    replace = values.get("remplacer") == "oui"
    try:
        chatmd = form.get("chatmd")
        upload = form.get("fichier")
        if isinstance(chatmd, UploadFile) and chatmd.filename:
            text = (await chatmd.read(5_000_000)).decode("utf-8", errors="replace")
            target = values.get("nouvelle_collection", "").strip()
            imported, notices = await run_in_threadpool(
                partial(service.import_chatmd, replace=replace),
                principal,
                text,
                chatmd.filename,
                slugify(target) if target else None,
            )
            request.session["notices"] = notices
            return RedirectResponse(f"/a/{quote(imported.name)}", 303)
        if isinstance(upload, UploadFile) and upload.filename:
            assistant = parse_assistant_markdown((await upload.read(200_000)).decode("utf-8", errors="replace"))
        else:
            chosen = [str(c) for c in form.getlist("collections")]
            new = values.get("nouvelle_collection", "").strip()
            if new:
                chosen.append(slugify(new))
            title = values.get("title", "").strip()
            if not title:
                raise SocleError("Donnez un nom à l'assistant.")
            assistant = Assistant(
                name=slugify(title),
                title=title,
                collections=chosen,
                instructions=values.get("instructions", "").strip(),
                examples=[q.strip() for q in values.get("examples", "").splitlines() if q.strip()],
                settings={k: values[k].strip() for k in ("purpose", "contact") if values.get(k, "").strip()},
            )
        saved = await run_in_threadpool(partial(service.save_assistant, replace=replace), principal, assistant)
    except SocleError as exc:
        status = 403 if isinstance(exc, PermissionDenied) else 409 if isinstance(exc, ConflictError) else 400
        return render(
            request, "assistant_form.html", principal, status=status, collections=editable, form=values, error=str(exc)
        )
    return RedirectResponse(f"/collections/{quote(saved.collections[0])}?assistant={quote(saved.name)}", 303)


@router.get("/collections/{name}", response_class=HTMLResponse)
def collection_page(request: Request, name: str, principal: Page, service: Svc, tache: int | None = None) -> Response:
    documents = service.documents(principal, name)
    job = service.job(principal, tache) if tache else None
    return render(
        request,
        "collection.html",
        principal,
        collection=name,
        documents=documents,
        can_edit=principal.can_edit(name),
        job=job,
        assistants=[a for a in service.assistants(principal) if name in a.collections],
        facets=service.facets(principal, name),
    )


@router.post("/collections/{name}/televerser")
async def upload_form(request: Request, name: str, principal: Page, service: Svc) -> Response:
    form = await request.form()
    check_csrf(request, str(form.get("csrf", "")))
    files = []
    for f in form.getlist("fichiers"):
        if isinstance(f, UploadFile) and f.filename:
            files.append((f.filename, await f.read(service.settings.max_upload_mb * 1024 * 1024 + 1)))
    job = await run_in_threadpool(service.upload, principal, name, files)
    return RedirectResponse(f"/collections/{quote(name)}?tache={job}", status_code=303)


# -- administration --------------------------------------------------------------------------
@router.get("/journal", response_class=HTMLResponse)
def audit_page(request: Request, principal: Page, service: Svc) -> Response:
    rows = service.audit(principal)
    return render(
        request,
        "audit.html",
        principal,
        rows=list(reversed(rows[-300:])),
        total=len(rows),
        pending=service.pending_corrections(principal),
    )


@router.post("/corrections/{correction_id}/valider")
def validate_form(
    request: Request, correction_id: int, principal: Page, service: Svc, csrf: Annotated[str, Form()] = ""
) -> Response:
    check_csrf(request, csrf)
    service.validate_correction(principal, correction_id)
    return RedirectResponse("/amelioration", status_code=303)


# -- transparency ------------------------------------------------------------------------------
@router.get("/a/{name}/fiche", response_class=HTMLResponse)
def card_page(request: Request, name: str, principal: Page, service: Svc) -> Response:
    from socle.transparency import assistant_card

    service.assistant(principal, name)  # 404 for those who may not use it
    card = assistant_card(service.store, service.settings, name)
    return render(request, "card.html", principal, card=card)


@router.get("/empreinte", response_class=HTMLResponse)
def footprint_page(request: Request, principal: Page, service: Svc, par: str = "assistant") -> Response:
    from socle.transparency import footprint_totals

    principal.require_admin()
    group = par if par in ("assistant", "collection", "day") else "assistant"
    rows = footprint_totals(service.store, group)
    return render(request, "footprint.html", principal, rows=rows, group=group)


@router.get("/empreinte.svg")
def footprint_chart(request: Request, principal: Page, service: Svc, par: str = "assistant") -> Response:
    from socle.transparency import footprint_svg, footprint_totals

    principal.require_admin()
    group = par if par in ("assistant", "collection", "day") else "assistant"
    return Response(footprint_svg(footprint_totals(service.store, group), group), media_type="image/svg+xml")
