"""The teacher's list of a ChatMD assistant (``/a/{name}/chatmd/a-revoir``): the questions its
chatbot matched weakly or that were rated « pas utile », each with a form that adds the
question as a keyword of the response the owner picks (:mod:`socle.service.chatmd_teacher`).
Owners and editors only; reading the list and every addition are audited; the form carries
the CSRF token like every other form and works without JavaScript (post, then redirect)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from socle.service import chatmd_teacher
from socle.service.deps import check_csrf
from socle.service.web import Page, Svc, render

router = APIRouter(include_in_schema=False)


@router.get("/a/{name}/chatmd/a-revoir", response_class=HTMLResponse)
async def review_page(request: Request, name: str, principal: Page, service: Svc, ajoute: str = "") -> Response:
    # Reading the list may build the matcher (embedding every response): off the event loop.
    assistant, items = await run_in_threadpool(chatmd_teacher.questions_to_review, service, principal, name)
    loaded = service.chatbots.get(assistant)
    titles = [r.title for r in loaded.chatbot.responses] if loaded else []
    return render(
        request,
        "chatmd_review.html",
        principal,
        assistant=assistant,
        items=items,
        titles=titles,
        added=ajoute,
    )


@router.post("/a/{name}/chatmd/a-revoir")
async def add_keyword(
    request: Request,
    name: str,
    principal: Page,
    service: Svc,
    question: Annotated[str, Form()] = "",
    response: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf)
    keyword = await run_in_threadpool(chatmd_teacher.add_keyword, service, principal, name, question, response)
    return RedirectResponse(f"/a/{quote(name)}/chatmd/a-revoir?ajoute={quote(keyword[:80])}", status_code=303)
