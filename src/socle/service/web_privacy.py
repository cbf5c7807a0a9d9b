"""The personal data review page of a collection (``/collections/{name}/donnees-personnelles``),
for its editors and the administrators: what privacy protection masked, in context, and the
allow-list (socle.privacy.policy) to keep an institution's own public contacts in clear.

Each passage holding a pseudonym is shown with the pseudonym marked. The original value is
shown only to an administrator, in ``pseudonymise`` mode, when the service has the key (each
such view is audited); in ``anonymise`` mode it exists nowhere. The form « Ce n'est pas une
donnée personnelle » adds a text to the allow-list; since documents already indexed change only
when processed again, the page then offers to re-process the documents whose uploaded file
the service keeps (:meth:`Service.reprocess`), and the « Remplacer » link for the others.
Same rules as :mod:`socle.service.web_admin`: server-rendered, no JavaScript needed, CSRF on
every POST, no server path shown.
"""

from __future__ import annotations

import re
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from socle.errors import NotFoundError, SocleError
from socle.privacy.labels import label, masked_summary
from socle.privacy.policy import allow_list, collection_mode, keeps_public_figures
from socle.privacy.pseudonymise import TOKEN
from socle.service.auth import Principal
from socle.service.core import Service
from socle.service.deps import check_csrf
from socle.service.web import Page, Svc, render
from socle.service.web_admin import PRIVACY_MODES, display_name

router = APIRouter(include_in_schema=False)

CONTEXT = 90  # characters shown on each side of a pseudonym
PASSAGES_PER_DOCUMENT = 8  # on the collection's page; all of them on a document's page
DOCUMENTS_PER_PAGE = 30


def passages(text: str, context: int = CONTEXT) -> list[list[tuple[str, str | None]]]:
    """The passages of ``text`` around its pseudonyms: each a list of ``(text, pseudonym)``
    segments (``pseudonym`` None for plain text); nearby pseudonyms share one passage."""
    windows: list[list[int]] = []
    for m in TOKEN.finditer(text):
        start, end = max(0, m.start() - context), min(len(text), m.end() + context)
        if windows and start <= windows[-1][1]:
            windows[-1][1] = end
        else:
            windows.append([start, end])
    out = []
    for start, end in windows:
        # Cut at word boundaries, so that a passage never starts or ends inside a word.
        if start > 0:
            space = text.find(" ", start, start + 20)
            start = space + 1 if space >= 0 else start
        if end < len(text):
            space = text.rfind(" ", end - 20, end)
            end = space if space > start else end
        piece = text[start:end]
        segments: list[tuple[str, str | None]] = [("…" if start > 0 else "", None)]
        pos = 0
        for m in TOKEN.finditer(piece):
            segments.append((piece[pos : m.start()], None))
            segments.append((m.group(0), m.group(0)))
            pos = m.end()
        segments.append((piece[pos:] + ("…" if end < len(text) else ""), None))
        out.append([(re.sub(r"\s+", " ", t), p) for t, p in segments if t])
    return out


def _kind(pseudonym: str) -> str:
    m = TOKEN.fullmatch(pseudonym)
    return m.group(1) if m else ""


def _review(service: Service, principal: Principal, collection: str, document_id: int | None) -> dict[str, Any]:
    principal.require_edit(collection)
    documents = {d["key"]: d for d in service.documents(principal, collection)}
    ids = service.store.document_ids(collection)
    if document_id is not None and document_id not in ids.values():
        raise NotFoundError(f"Ce document n'existe plus dans la collection « {collection} ».")
    records = [r for r in service.store.privacy_records(collection) if r["counts"]]
    if document_id is not None:
        records = [r for r in records if ids.get(r["document"]) == document_id]
    rereadable = service.rereadable_documents(principal, collection)
    shown = []
    for record in records[:DOCUMENTS_PER_PAGE]:
        key = record["document"]
        stored = service.store.document_text(collection, key) or {}
        title, text = str(stored.get("title") or ""), str(stored.get("text") or "")
        text = text if text.startswith(title) else f"{title}\n{text}"
        found = passages(text)
        values = service.revealed_values(principal, collection, key) or {}
        tokens = sorted(set(TOKEN.findall(text)), key=lambda t: (t[0], int(t[1])))
        pseudonyms = [
            {"pseudonym": f"[{k}_{n}]", "label": label(k, 1), "value": values.get(f"[{k}_{n}]", "")} for k, n in tokens
        ]
        shown.append(
            {
                "id": ids.get(key),
                "title": documents.get(key, {}).get("title") or display_name(key),
                "name": display_name(key),
                "counts": masked_summary(record["counts"]),
                "passages": found if document_id is not None else found[:PASSAGES_PER_DOCUMENT],
                "more": 0 if document_id is not None else max(0, len(found) - PASSAGES_PER_DOCUMENT),
                "pseudonyms": pseudonyms,
                "values": values,
                "rereadable": key in rereadable,
            }
        )
    mode = collection_mode(service.store, collection, service.settings.privacy_mode)
    return {
        "collection": collection,
        "document_id": document_id,
        "documents": shown,
        "hidden": max(0, len(records) - DOCUMENTS_PER_PAGE),
        "mode": mode,
        "mode_label": PRIVACY_MODES.get(mode, mode),
        "allow": allow_list(service.store, collection),
        "public_figures": keeps_public_figures(service.store, collection),
        "rereadable": len(rereadable),
    }


def _url(collection: str, document_id: int | str | None) -> str:
    url = f"/collections/{quote(collection)}/donnees-personnelles"
    return f"{url}?document={document_id}" if document_id not in (None, "") else url


@router.get("/collections/{name}/donnees-personnelles", response_class=HTMLResponse)
def review_page(request: Request, name: str, principal: Page, service: Svc, document: int | None = None) -> Response:
    context = _review(service, principal, name, document)
    notice = request.session.pop("privacy_notice", None)
    return render(request, "privacy_review.html", principal, notice=notice, **context)


@router.post("/collections/{name}/donnees-personnelles/autoriser", response_class=HTMLResponse)
def allow_form(
    request: Request,
    name: str,
    principal: Page,
    service: Svc,
    texte: Annotated[str, Form()] = "",
    retirer: Annotated[str, Form()] = "",
    document: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf)
    principal.require_edit(name)
    back = document if document.isdigit() else None
    try:
        changed = service.allow_text(principal, name, texte, remove=retirer == "oui")
    except SocleError as exc:
        context = _review(service, principal, name, int(back) if back else None)
        return render(request, "privacy_review.html", principal, status=400, error=str(exc), form_text=texte, **context)
    text = " ".join(texte.split())
    if retirer == "oui":
        notice = (
            f"« {text} » est retiré de la liste autorisée." if changed else f"« {text} » n'était pas dans la liste."
        )
    elif changed:
        notice = f"« {text} » est ajouté à la liste autorisée : il restera en clair."
    else:
        notice = f"« {text} » était déjà dans la liste autorisée."
    if changed:
        notice += " Les documents déjà indexés ne changent qu'une fois traités à nouveau (voir ci-dessous)."
    request.session["privacy_notice"] = notice
    return RedirectResponse(_url(name, back) + "#liste-autorisee", status_code=303)


@router.post("/collections/{name}/donnees-personnelles/retraiter")
def reprocess_form(
    request: Request, name: str, principal: Page, service: Svc, csrf: Annotated[str, Form()] = ""
) -> Response:
    check_csrf(request, csrf)
    job = service.reprocess(principal, name)
    return RedirectResponse(f"/collections/{quote(name)}/documents?tache={job}", status_code=303)


__all__ = ["passages", "router"]
