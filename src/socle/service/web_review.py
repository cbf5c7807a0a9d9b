"""The improvement page (``/amelioration``) for editors and administrators: corrections to
handle, ratings and comments, questions without an answer (:mod:`socle.service.review`).

Three views of one page (``?vue=corrections|avis|sans-reponse``), plain links and forms that
work without JavaScript. Every action is a POST with the CSRF token, in two steps: posted
without ``confirme=oui`` it shows what is about to happen (« Rejeter cette correction ? », or
the text to edit or write) with the button that confirms; posted with it, it acts, then sends
the reader back to the list (303) with a notice.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from socle.service import review
from socle.service.auth import Principal
from socle.service.deps import check_csrf
from socle.service.web import Page, Svc, render

router = APIRouter(include_in_schema=False)

VIEWS = {
    "corrections": "Corrections à traiter",
    "avis": "Avis et commentaires",
    "sans-reponse": "Questions sans réponse",
}
NOTICES = {
    "validee": "Correction validée : elle sert désormais aux réponses.",
    "rejetee": "Correction rejetée : elle ne sera pas utilisée.",
    "modifiee": "Correction modifiée ; elle reste à valider.",
    "modifiee-validee": "Correction modifiée et validée : elle sert désormais aux réponses.",
    "redigee": "Réponse enregistrée et validée : la même question recevra désormais cette réponse.",
}
Confirm = Annotated[str, Form()]
Csrf = Annotated[str, Form()]


@router.get("/amelioration", response_class=HTMLResponse)
def review_page(
    request: Request,
    principal: Page,
    service: Svc,
    vue: str = "corrections",
    assistant: str = "",
    du: str = "",
    au: str = "",
    verdict: str = "tous",
    fait: str = "",
) -> Response:
    review.require_reviewer(principal)
    view = vue if vue in VIEWS else "corrections"
    context: dict[str, Any] = {"view": view, "views": VIEWS, "notice": NOTICES.get(fait)}
    if view == "corrections":
        context |= review.corrections(service, principal)
    else:
        context["assistants"] = review.assistants(service, principal)
        context["assistant"] = assistant.strip()
    if view == "avis":
        filters = review.RatingFilter.parse(assistant, du, au, verdict)
        rows, total = review.ratings(service, principal, filters)
        context |= {"filters": filters, "rows": rows, "total": total, "du": du, "au": au}
    elif view == "sans-reponse":
        rows, total = review.abstentions(service, principal, assistant)
        context |= {"rows": rows, "total": total}
    context["limit"] = review.LIMIT
    return render(request, "review.html", principal, **context)


def _done(fait: str) -> Response:
    view = "sans-reponse" if fait == "redigee" else "corrections"
    return RedirectResponse(f"/amelioration?vue={view}&fait={fait}", status_code=303)


TITLES = {
    "valider": "Valider cette correction ?",
    "rejeter": "Rejeter cette correction ?",
    "modifier": "Modifier la correction",
    "rediger": "Rédiger une réponse",
}


def _confirm(request: Request, principal: Principal, action: str, status: int = 200, **context: Any) -> Response:
    """The second step of an action: what it will do, and the button that confirms."""
    context |= {"action": action, "title": TITLES[action]}
    return render(request, "review_confirm.html", principal, status=status, **context)


@router.post("/amelioration/corrections/{correction_id}/valider", response_class=HTMLResponse)
def validate_form(
    request: Request, correction_id: int, principal: Page, service: Svc, csrf: Csrf = "", confirme: Confirm = ""
) -> Response:
    check_csrf(request, csrf)
    if confirme != "oui":
        found = review.pending_correction(service, principal, correction_id)
        return _confirm(request, principal, "valider", correction=found)
    review.validate(service, principal, correction_id)
    return _done("validee")


@router.post("/amelioration/corrections/{correction_id}/rejeter", response_class=HTMLResponse)
def reject_form(
    request: Request, correction_id: int, principal: Page, service: Svc, csrf: Csrf = "", confirme: Confirm = ""
) -> Response:
    check_csrf(request, csrf)
    if confirme != "oui":
        found = review.pending_correction(service, principal, correction_id)
        return _confirm(request, principal, "rejeter", correction=found)
    review.reject(service, principal, correction_id)
    return _done("rejetee")


@router.post("/amelioration/corrections/{correction_id}/modifier", response_class=HTMLResponse)
def edit_form(
    request: Request,
    correction_id: int,
    principal: Page,
    service: Svc,
    csrf: Csrf = "",
    confirme: Confirm = "",
    texte: Annotated[str | None, Form()] = None,
    suite: Annotated[str, Form()] = "enregistrer",
) -> Response:
    """Without ``confirme=oui``: the form to edit the text. With it: save (``suite=enregistrer``)
    or save and validate (``suite=valider``)."""
    check_csrf(request, csrf)
    found = review.pending_correction(service, principal, correction_id)
    if confirme != "oui" or texte is None:
        return _confirm(
            request, principal, "modifier", correction=found, text=found["text"] if texte is None else texte
        )
    then_validate = suite == "valider"
    try:
        review.edit(service, principal, correction_id, texte, then_validate=then_validate)
    except review.TextError as exc:
        return _confirm(request, principal, "modifier", 400, correction=found, text=texte, error=str(exc))
    return _done("modifiee-validee" if then_validate else "modifiee")


@router.post("/amelioration/sans-reponse/{answer_id}/rediger", response_class=HTMLResponse)
async def write_form(
    request: Request,
    answer_id: int,
    principal: Page,
    service: Svc,
    csrf: Csrf = "",
    confirme: Confirm = "",
    texte: Annotated[str, Form()] = "",
) -> Response:
    """Without ``confirme=oui``: the form to write the answer. With it: store it as a
    correction validated at once (the question is embedded: run off the event loop)."""
    check_csrf(request, csrf)
    found = review.abstained_answer(service, principal, answer_id)
    if confirme != "oui":
        return _confirm(request, principal, "rediger", answer=found, text=texte)
    try:
        await run_in_threadpool(review.write_answer, service, principal, answer_id, texte)
    except review.TextError as exc:
        return _confirm(request, principal, "rediger", 400, answer=found, text=texte, error=str(exc))
    return _done("redigee")
