"""The ASGI application: authentication, errors, security headers, and the two faces of the
service — the HTTP API (:mod:`socle.service.api`) and the web interface
(:mod:`socle.service.web`).

Security by default (ANSSI recommendations for generative AI systems): every route but
``/healthz``, the login page and static assets needs a session or an API key; session
cookies are signed, HttpOnly and SameSite=Lax; state-changing requests made with a
session cookie carry a CSRF token; pages forbid framing and load nothing from elsewhere;
errors never show a stack trace; secrets are never logged.

Requests go through four layers before any route (outermost first, pure ASGI so that none
of them reads a body it does not need): :class:`SecurityHeaders` on every response;
Starlette's sessions; :class:`RequireCredentials`, which answers 401 to an API request (or
a form post) without a valid key or session *before its body is read*; :class:`BodyLimit`,
which counts the body while it streams in and answers 413 past its cap. Error messages are
French, in OpenAI's shape, including pydantic's validation errors (:func:`validation_message`).
Limits and the attacks they stop: docs/security.md, « Requests ».
"""

from __future__ import annotations

import errno
import logging
import os
import re
import secrets
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from socle.config import Settings, home_dir
from socle.errors import ConflictError, NotFoundError, SocleError, StoreUnavailable
from socle.service.auth import PermissionDenied
from socle.service.core import Service
from socle.service.deps import (
    MAX_ID,
    PRINCIPAL_KEY,
    RateLimited,
    Unauthenticated,
    current_principal,
    get_service,
    require_principal,
)
from socle.service.ratelimit import RateLimiter

log = logging.getLogger("socle.service")
PACKAGE = Path(__file__).parent
SESSION_HOURS = 12
UPLOADS_PER_REQUEST = 4  # an upload request may carry this many files of max_upload_mb
MB = 1024 * 1024
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    ),
}
# Routes that receive files: their bodies get the upload cap, every other one max_body_kb.
UPLOAD_PATHS = re.compile(
    r"/v1/documents|/v1/assistants/chatmd|/assistants/nouveau"
    r"|/collections/[^/]+/televerser|/collections/[^/]+/documents/\d+/remplacer"
)
# Form posts open to anonymous visitors (their bodies are small and capped).
PUBLIC_POSTS = frozenset({"/connexion", "/deconnexion"})
NEED_LOGIN = "Authentification requise : connectez-vous ou fournissez une clé d'API."


ACCOUNT_ATTEMPTS_PER_MINUTE = 5


def server_options(settings: Settings) -> dict[str, Any]:
    """uvicorn's options that bear on security, for ``socle serve`` and the tests' server:
    the forwarded client address (``X-Forwarded-For``) is believed only from the configured
    proxies; from anywhere else, loopback included, it is ignored, so that a client cannot
    pick the address its login attempts are counted under."""
    proxies = [p.strip() for p in settings.trusted_proxies.split(",") if p.strip()]
    return {"proxy_headers": bool(proxies), "forwarded_allow_ips": proxies or None, "server_header": False}


class BodyTooLarge(StarletteHTTPException):
    """A request body over its cap (HTTP 413), raised while it streams in."""

    def __init__(self, limit: int, upload: bool) -> None:
        what = "un envoi de fichiers" if upload else "le corps d'une requête"
        super().__init__(413, f"Requête trop volumineuse : {what} ne peut dépasser {_size(limit)}.")


def _size(n: int) -> str:
    return f"{n // MB} Mo" if n % MB == 0 else f"{n // 1024} Ko"


def secret_key(settings: Settings) -> str:
    """The session signing key: from the settings (required with several workers), else
    generated once and kept in $SOCLE_HOME/secret_key, readable by its owner only."""
    if settings.secret_key:
        return settings.secret_key
    path = home_dir() / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


def _error(status: int, message: str, kind: str, headers: dict[str, str] | None = None) -> JSONResponse:
    # The OpenAI error shape, so that client libraries show the message.
    return JSONResponse({"error": {"message": message, "type": kind}}, status_code=status, headers=headers)


def _wants_html(request: Request) -> bool:
    return not request.url.path.startswith("/v1/") and "text/html" in request.headers.get("accept", "")


def _html_error(request: Request, status: int, message: str) -> Response:
    from socle.service.web import templates

    titles = {400: "Requête refusée", 403: "Accès refusé", 404: "Introuvable", 413: "Requête trop volumineuse"}
    return templates.TemplateResponse(
        request,
        "error.html",
        {"user": None, "csrf": "", "title": titles.get(status, "Erreur"), "message": message},
        status_code=status,
    )


def _unauthenticated(request: Request, message: str) -> Response:
    if _wants_html(request):
        return RedirectResponse("/connexion", status_code=303)
    return _error(401, message, "authentication_error", {"WWW-Authenticate": "Bearer"})


# -- French validation errors --------------------------------------------------------------------
_TYPES = {
    "string_type": "texte attendu",
    "string_sub_type": "texte attendu",
    "string_unicode": "texte attendu",
    "int_type": "nombre entier attendu",
    "int_parsing": "nombre entier attendu",
    "int_from_float": "nombre entier attendu",
    "int_parsing_size": "nombre trop grand",
    "float_type": "nombre attendu",
    "float_parsing": "nombre attendu",
    "finite_number": "nombre fini attendu",
    "bool_type": "booléen attendu (true ou false)",
    "bool_parsing": "booléen attendu (true ou false)",
    "list_type": "liste attendue",
    "tuple_type": "liste attendue",
    "set_type": "liste attendue",
    "dict_type": "objet attendu (« {…} »)",
    "model_type": "objet attendu (« {…} »)",
    "model_attributes_type": "objet attendu (« {…} »)",
    "none_required": "null attendu",
    "missing": "champ obligatoire manquant",
}
_BOUNDS = {
    "greater_than_equal": ("ge", "supérieur ou égal à"),
    "greater_than": ("gt", "strictement supérieur à"),
    "less_than_equal": ("le", "inférieur ou égal à"),
    "less_than": ("lt", "strictement inférieur à"),
}
# Union members appear in pydantic's locations (« content.str », « content.list[…] »): dropped.
_UNION_TAG = re.compile(r"str|int|float|bool|none|[a-z-]+\[.*\]")


def _plural(n: Any, word: str) -> str:
    return f"{n} {word}{'s' if isinstance(n, int) and n > 1 else ''}"


def _explain(error: Mapping[str, Any]) -> str:
    """One pydantic error in French (pydantic's own messages are English)."""
    kind = str(error.get("type", ""))
    ctx: Mapping[str, Any] = error.get("ctx") or {}
    if kind in _TYPES:
        return _TYPES[kind]
    if kind in _BOUNDS:
        key, words = _BOUNDS[kind]
        return f"doit être {words} {ctx.get(key)}"
    if kind == "string_too_short":
        return f"texte trop court : au moins {_plural(ctx.get('min_length'), 'caractère')}"
    if kind == "string_too_long":
        return f"texte trop long : au plus {_plural(ctx.get('max_length'), 'caractère')}"
    if kind == "too_short":
        return f"trop peu d'éléments : au moins {_plural(ctx.get('min_length'), 'élément')}"
    if kind == "too_long":
        return f"trop d'éléments : au plus {_plural(ctx.get('max_length'), 'élément')}"
    if kind in ("literal_error", "enum"):
        expected = re.sub(r"'([^']*)'", r"« \1 »", str(ctx.get("expected", ""))).replace(" or ", " ou ")
        return f"valeur non reconnue (valeurs possibles : {expected})"
    return "valeur invalide"


def validation_message(errors: Sequence[Mapping[str, Any]]) -> str:
    """« Requête invalide — field : explanation; … », one entry per field (a union's
    alternatives joined by « ou »), in French whatever pydantic said."""
    fields: dict[str, list[str]] = {}
    for error in errors:
        loc = [str(p) for p in error.get("loc", ())[1:]]  # the first part is body / query / path
        if error.get("type") == "json_invalid":
            position = int(loc[0]) + 1 if loc and loc[0].isdigit() else "?"  # FastAPI gives an offset
            place, text = "corps", f"JSON invalide (erreur au caractère {position})"
        else:
            place = ".".join(p for p in loc if not _UNION_TAG.fullmatch(p)) or "corps"
            text = _explain(error)
        if text not in fields.setdefault(place, []):
            fields[place].append(text)
    details = "; ".join(f"{place} : {' ou '.join(texts)}" for place, texts in fields.items())
    return f"Requête invalide — {details}"


def _unreadable_body(exc: StarletteHTTPException) -> str:
    """FastAPI's « There was an error parsing the body », said in French with its cause."""
    cause = exc.__cause__
    if isinstance(cause, RecursionError):
        return "Corps de requête refusé : JSON trop profondément imbriqué."
    if isinstance(cause, UnicodeError):
        return "Corps de requête illisible : encodage invalide (UTF-8 attendu)."
    return "Corps de requête illisible ou mal formé."


# -- ASGI layers -----------------------------------------------------------------------------------
class SecurityHeaders:
    """The security headers (CSP, no framing, no sniffing) on every response, whoever
    writes it: routes, error handlers, and the layers below that answer on their own."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(raw=list(message.get("headers", [])))
                for name, value in SECURITY_HEADERS.items():
                    headers[name] = value
                message = {**message, "headers": headers.raw}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def needs_credentials(method: str, path: str) -> bool:
    """Every API request (and the schema), and every form post but login and logout:
    the caller is checked before anything reads the body."""
    if path.startswith("/v1/") or path == "/openapi.json":
        return True
    return method not in ("GET", "HEAD", "OPTIONS") and path not in PUBLIC_POSTS


class RequireCredentials:
    """401 (or, for a browser, the login page) without a valid API key or session, from
    the headers alone: an anonymous client cannot make the server read, let alone parse, a
    body (audit, issue 15: a 300 MB body to /v1/search got its 401 only once parsed). The
    caller found is kept for :func:`current_principal`, so the route does not look it up
    again; rate limit and CSRF stay with :func:`require_principal`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not needs_credentials(scope["method"], scope["path"]):
            await self.app(scope, receive, send)
            return
        request = Request(scope)  # no receive: nothing here may read the body
        message = NEED_LOGIN
        try:
            principal = await run_in_threadpool(current_principal, request)
        except Unauthenticated as exc:
            principal, message = None, str(exc)
        except StoreUnavailable as exc:  # the database is restarting: 503 to retry, as the routes say
            # Raised out here, before any route, it would miss the app's error handlers (500).
            response = (
                _html_error(request, 503, str(exc))
                if _wants_html(request)
                else _error(503, str(exc), "server_error", {"Retry-After": "5"})
            )
            await response(scope, receive, send)
            return
        if principal is None:
            await _unauthenticated(request, message)(scope, receive, send)
            return
        await self.app(scope, receive, send)


class BodyLimit:
    """Caps request bodies while they stream in: the bytes of ``http.request`` messages
    are counted as the application pulls them, and past the cap the read raises
    :class:`BodyTooLarge` (413, answered in French by the error handlers), so the rest is
    never read — a chunked body, which declares no Content-Length, included. A declared
    Content-Length over the cap fails at the first read. Upload routes (:data:`UPLOAD_PATHS`)
    get ``upload_limit``, every other route ``body_limit``."""

    def __init__(self, app: ASGIApp, body_limit: int, upload_limit: int) -> None:
        self.app = app
        self.body_limit = body_limit
        self.upload_limit = upload_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        upload = UPLOAD_PATHS.fullmatch(scope["path"]) is not None
        limit = self.upload_limit if upload else self.body_limit
        declared = Headers(scope=scope).get("content-length", "")
        announced_too_large = declared.isdigit() and int(declared) > limit
        received = 0
        started = False

        async def capped_receive() -> Message:
            nonlocal received
            if announced_too_large:
                raise BodyTooLarge(limit, upload)
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit, upload)
            return message

        async def watched_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, capped_receive, watched_send)
        except BodyTooLarge as exc:  # read outside the routes' error handlers
            if started:
                raise
            await _error(413, str(exc.detail), "invalid_request_error")(scope, receive, send)


def create_app(settings: Settings, service: Service | None = None) -> FastAPI:
    service = service or Service(settings)
    app = FastAPI(
        title="Socle",
        version="0.1.0",
        description=(
            "API de Socle, assistant documentaire local. `POST /v1/chat/completions` est compatible OpenAI : "
            "le `model` est le nom d'un assistant ; la réponse porte en plus un champ `socle` (citations, "
            "empreinte, marque IA). Authentification : `Authorization: Bearer sk-socle-…`."
        ),
        # No Swagger page (it loads its scripts from a CDN); the schema needs a login (below).
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
    )
    app.state.service = service
    app.state.limiter = RateLimiter(settings.rate_limit_per_minute)
    # Password attempts per account, whatever the address: 5 at once, then one every 12 s.
    app.state.account_limiter = RateLimiter(ACCOUNT_ATTEMPTS_PER_MINUTE)

    @app.exception_handler(SocleError)
    async def socle_error(request: Request, exc: SocleError) -> Response:
        if isinstance(exc, Unauthenticated):
            return _unauthenticated(request, str(exc))
        if isinstance(exc, StoreUnavailable):  # database restarting or failing over: retry shortly
            if _wants_html(request):
                return _html_error(request, 503, str(exc))
            return _error(503, str(exc), "server_error", {"Retry-After": "5"})
        status = (
            403
            if isinstance(exc, PermissionDenied)
            else 404
            if isinstance(exc, NotFoundError)
            else 409
            if isinstance(exc, ConflictError)
            else 400
        )
        if status in (403, 404):  # a refusal: audited (rate-limited), so that probing is seen
            get_service(request).audit_refusal(
                request.scope.get(PRINCIPAL_KEY), request.method, request.url.path, status
            )
        if _wants_html(request) and not isinstance(exc, RateLimited):
            return _html_error(request, status, str(exc))
        if isinstance(exc, RateLimited):
            return _error(429, str(exc), "rate_limit_error", {"Retry-After": str(max(1, round(exc.retry_after)))})
        if isinstance(exc, PermissionDenied):
            return _error(403, str(exc), "permission_error")
        if isinstance(exc, NotFoundError):
            return _error(404, str(exc), "not_found_error")
        if isinstance(exc, ConflictError):
            return _error(409, str(exc), "conflict_error")
        return _error(400, str(exc), "invalid_request_error")

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        return _error(422, validation_message(exc.errors()), "invalid_request_error")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        # Starlette's and FastAPI's own details are English: each status gets a French message.
        messages = {404: "Page introuvable.", 405: "Méthode non autorisée.", 413: "Requête trop volumineuse."}
        if isinstance(exc, BodyTooLarge):
            message = str(exc.detail)
        elif exc.status_code == 400:
            message = _unreadable_body(exc)
        else:
            message = messages.get(exc.status_code, f"Requête refusée (HTTP {exc.status_code}).")
        if _wants_html(request):
            return _html_error(request, exc.status_code, message)
        return _error(exc.status_code, message, "invalid_request_error")

    @app.exception_handler(Exception)
    async def crash(request: Request, exc: Exception) -> Response:  # a query never crashes the server
        log.exception("Erreur interne sur %s %s", request.method, request.url.path, exc_info=exc)
        return _error(500, "Erreur interne du serveur : la requête n'a pas abouti.", "server_error")

    @app.exception_handler(OverflowError)
    async def overflow(request: Request, exc: OverflowError) -> Response:
        # An integer the database cannot hold (the API's ids are bounded; some pages' are not).
        if "too large to convert" not in str(exc):  # any other overflow is a bug of ours
            return await crash(request, exc)
        message = f"Nombre trop grand : un identifiant va de 0 à {MAX_ID}."
        if _wants_html(request):
            return _html_error(request, 400, message)
        return _error(400, message, "invalid_request_error")

    @app.exception_handler(OSError)
    async def os_error(request: Request, exc: OSError) -> Response:
        if exc.errno == errno.ENAMETOOLONG:  # an uploaded file's name, wherever it was not checked first
            message = "Nom de fichier trop long : 255 octets au plus."
            if _wants_html(request):
                return _html_error(request, 400, message)
            return _error(400, message, "invalid_request_error")
        return await crash(request, exc)

    # Each layer added wraps the ones before: a request meets SecurityHeaders, the session,
    # RequireCredentials, BodyLimit, then the routes.
    app.add_middleware(
        BodyLimit,
        body_limit=settings.max_body_kb * 1024,
        upload_limit=settings.max_upload_mb * MB * UPLOADS_PER_REQUEST,
    )
    app.add_middleware(RequireCredentials)
    app.add_middleware(
        SessionMiddleware,
        secret_key=secret_key(settings),
        session_cookie="socle_session",
        max_age=SESSION_HOURS * 3600,
        same_site="lax",
        https_only=settings.secure_cookies,
    )
    app.add_middleware(SecurityHeaders)

    app.mount("/static", StaticFiles(directory=PACKAGE / "static"), name="static")

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/openapi.json", include_in_schema=False)
    def openapi_schema(request: Request) -> JSONResponse:
        require_principal(request)  # the API's map is for its users only
        return JSONResponse(app.openapi())

    from socle.service.api import router as api_router
    from socle.service.web import router as web_router
    from socle.service.web_admin import router as web_admin_router
    from socle.service.web_chatmd import router as web_chatmd_router
    from socle.service.web_privacy import router as web_privacy_router
    from socle.service.web_review import router as web_review_router

    app.include_router(api_router)
    app.include_router(web_router)
    app.include_router(web_chatmd_router)
    app.include_router(web_admin_router)
    app.include_router(web_privacy_router)
    app.include_router(web_review_router)
    return app


def app_from_env() -> FastAPI:
    """The application for ``uvicorn --factory`` (``socle serve``): settings from the
    environment and the config file, as for every other command."""
    from socle.config import load_settings

    settings = load_settings()
    app = create_app(settings)

    def warm() -> None:  # the French NER pipeline takes seconds to load: not on the first question
        from socle.privacy import get_detector

        get_detector()

    threading.Thread(target=warm, name="socle-warm", daemon=True).start()
    return app
