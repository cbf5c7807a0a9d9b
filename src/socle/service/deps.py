"""What the routes of the API (:mod:`socle.service.api`) and of the web interface
(:mod:`socle.service.web`) share with the application that includes them
(:mod:`socle.service.app`): the service and the caller of a request, its rate limit and its
CSRF check, and the errors that the application's handlers turn into 401 and 429.
"""

from __future__ import annotations

import secrets

from fastapi import Request

from socle.errors import SocleError
from socle.service.auth import PermissionDenied, Principal, authenticate_key, hash_api_key, principal_for
from socle.service.core import Service

MAX_ID = 2**63 - 1  # ids are 64-bit integers in SQLite and PostgreSQL


class Unauthenticated(SocleError):
    """No valid session or API key (HTTP 401)."""


class RateLimited(SocleError):
    def __init__(self, retry_after: float) -> None:
        super().__init__("Trop de requêtes : réessayez dans quelques secondes.")
        self.retry_after = retry_after


PRINCIPAL_KEY = "socle.principal"  # the scope key of the caller, once known


def get_service(request: Request) -> Service:
    service: Service = request.app.state.service
    return service


def current_principal(request: Request) -> Principal | None:
    """The caller, from an API key (``Authorization: Bearer``) or the session cookie (as
    already found by :class:`~socle.service.app.RequireCredentials` for this request, when it ran)."""
    known: Principal | None = request.scope.get(PRINCIPAL_KEY)
    if known is not None:
        return known
    service = get_service(request)
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        principal = authenticate_key(service.store, auth[7:].strip())
        if principal is None:
            raise Unauthenticated("Clé d'API invalide ou révoquée.")
        request.state.via_key = True
        request.scope[PRINCIPAL_KEY] = principal
        return principal
    token = request.session.get("sid")
    if not isinstance(token, str):
        return None
    idle = int(service.settings.session_idle_minutes * 60)
    user = service.store.session_user(hash_api_key(token), idle)
    if user is None:  # logged out, expired, password changed or account disabled
        request.session.clear()
        return None
    request.state.via_key = False
    request.scope[PRINCIPAL_KEY] = principal = principal_for(service.store, user)
    return principal


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


__all__ = [
    "MAX_ID",
    "PRINCIPAL_KEY",
    "RateLimited",
    "Unauthenticated",
    "check_csrf",
    "csrf_token",
    "current_principal",
    "get_service",
    "require_principal",
]
