"""The ASGI application: authentication, errors, security headers, and the two faces of the
service — the HTTP API (:mod:`socle.service.api`) and the web interface
(:mod:`socle.service.web`).

Security by default (ANSSI recommendations for generative AI systems): every route but
``/healthz``, the login page and static assets needs a session or an API key; session
cookies are signed, HttpOnly and SameSite=Lax; state-changing requests made with a
session cookie carry a CSRF token; pages forbid framing and load nothing from elsewhere;
errors never show a stack trace; secrets are never logged.
"""

from __future__ import annotations

import logging
import os
import secrets
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware

from socle.config import Settings, home_dir
from socle.errors import ConflictError, NotFoundError, SocleError, StoreUnavailable
from socle.service.auth import PermissionDenied, Principal, authenticate_key, principal_for
from socle.service.core import Service
from socle.service.ratelimit import RateLimiter

log = logging.getLogger("socle.service")
PACKAGE = Path(__file__).parent
SESSION_HOURS = 12


class Unauthenticated(SocleError):
    """No valid session or API key (HTTP 401)."""


class RateLimited(SocleError):
    def __init__(self, retry_after: float) -> None:
        super().__init__("Trop de requêtes : réessayez dans quelques secondes.")
        self.retry_after = retry_after


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

    titles = {400: "Requête refusée", 403: "Accès refusé", 404: "Introuvable"}
    return templates.TemplateResponse(
        request,
        "error.html",
        {"user": None, "csrf": "", "title": titles.get(status, "Erreur"), "message": message},
        status_code=status,
    )


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
        docs_url="/docs",
        redoc_url=None,
    )
    app.state.service = service
    app.state.limiter = RateLimiter(settings.rate_limit_per_minute)

    @app.exception_handler(SocleError)
    async def socle_error(request: Request, exc: SocleError) -> Response:
        if isinstance(exc, Unauthenticated):
            if _wants_html(request):
                return RedirectResponse("/connexion", status_code=303)
            return _error(401, str(exc), "authentication_error", {"WWW-Authenticate": "Bearer"})
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
        details = "; ".join(
            f"{'.'.join(str(p) for p in e.get('loc', ())[1:]) or 'corps'} : {e.get('msg', '')}" for e in exc.errors()
        )
        return _error(422, f"Requête invalide — {details}", "invalid_request_error")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        messages = {404: "Page introuvable.", 405: "Méthode non autorisée.", 413: "Requête trop volumineuse."}
        if _wants_html(request):
            return _html_error(request, exc.status_code, messages.get(exc.status_code, str(exc.detail)))
        return _error(exc.status_code, messages.get(exc.status_code, str(exc.detail)), "invalid_request_error")

    @app.exception_handler(Exception)
    async def crash(request: Request, exc: Exception) -> Response:  # a query never crashes the server
        log.exception("Erreur interne sur %s %s", request.method, request.url.path)
        return _error(500, "Erreur interne du serveur : la requête n'a pas abouti.", "server_error")

    @app.middleware("http")
    async def headers(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        limit = settings.max_upload_mb * 1024 * 1024 * 4  # a multipart upload carries a few files
        length = request.headers.get("content-length")
        if length and length.isdigit() and int(length) > limit:
            return _error(
                413, f"Requête trop volumineuse (plus de {limit // (1024 * 1024)} Mo).", "invalid_request_error"
            )
        response = await call_next(request)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["X-Frame-Options"] = "DENY"
        if not request.url.path.startswith("/docs"):  # the Swagger page loads its own inline script
            response.headers["Content-Security-Policy"] = (
                "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
                "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
            )
        return response

    app.add_middleware(
        SessionMiddleware,
        secret_key=secret_key(settings),
        session_cookie="socle_session",
        max_age=SESSION_HOURS * 3600,
        same_site="lax",
        https_only=settings.secure_cookies,
    )

    app.mount("/static", StaticFiles(directory=PACKAGE / "static"), name="static")

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    from socle.service.api import router as api_router
    from socle.service.web import router as web_router

    app.include_router(api_router)
    app.include_router(web_router)
    return app


# -- request helpers shared by api.py and web.py ------------------------------------------------
def get_service(request: Request) -> Service:
    service: Service = request.app.state.service
    return service


def current_principal(request: Request) -> Principal | None:
    """The caller, from an API key (``Authorization: Bearer``) or the session cookie."""
    service = get_service(request)
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        principal = authenticate_key(service.store, auth[7:].strip())
        if principal is None:
            raise Unauthenticated("Clé d'API invalide ou révoquée.")
        request.state.via_key = True
        return principal
    uid = request.session.get("uid")
    if uid is None:
        return None
    user = service.store.get_user_by_id(int(uid))
    if user is None or user.disabled:
        request.session.clear()
        return None
    request.state.via_key = False
    return principal_for(service.store, user)


def require_principal(request: Request) -> Principal:
    principal = current_principal(request)
    if principal is None:
        raise Unauthenticated("Authentification requise : connectez-vous ou fournissez une clé d'API.")
    caller = f"key:{principal.key_id}" if principal.key_id is not None else f"user:{principal.username}"
    wait = request.app.state.limiter.allow(caller)
    if wait > 0:
        raise RateLimited(wait)
    if request.method not in ("GET", "HEAD", "OPTIONS") and not getattr(request.state, "via_key", False):
        check_csrf(request, request.headers.get("x-csrf-token"))
    return principal


def csrf_token(request: Request) -> str:
    token: str | None = request.session.get("csrf")
    if token is None:
        token = secrets.token_urlsafe(24)
        request.session["csrf"] = token
    return token


def check_csrf(request: Request, token: str | None) -> None:
    expected = request.session.get("csrf")
    if not expected or not token or not secrets.compare_digest(str(expected), str(token)):
        raise PermissionDenied("Jeton de sécurité (CSRF) manquant ou invalide : rechargez la page.")


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
