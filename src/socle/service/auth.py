"""Accounts, API keys and per-collection permissions.

Passwords are hashed with Argon2id (argon2-cffi). API keys are random 256-bit tokens shown
once; only their SHA-256 is stored (a key is already high-entropy, a slow hash adds nothing
but latency on every request). Roles: an *admin* may do everything; on a collection a user
is *reader* (search, ask, read its documents and citations) or *editor* (also upload,
delete, validate corrections, read its audit rows). Every endpoint that returns text from
documents checks :meth:`Principal.can_read` on the collection the text comes from.

Users read and type roles in French (« lecteur », « éditeur », « aucun »; the English words
stay accepted); the database keeps ``reader`` / ``editor``: :func:`parse_role` and
:func:`role_name` translate, in one place for the command line and the web pages.
"""

from __future__ import annotations

import hashlib
import secrets
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from socle.errors import SocleError
from socle.store import Store
from socle.store.records import Assistant, User

KEY_PREFIX = "sk-socle-"
_hasher = PasswordHasher()
# Verifying against this keeps the time of a login with an unknown user close to a real one.
_DUMMY_HASH = _hasher.hash("socle-dummy-password")


class PermissionDenied(SocleError):
    """The user may not do this (HTTP 403)."""


# -- role names --------------------------------------------------------------------------------
ADMIN_ROLE = "admin"  # not a role on a collection: the account's ``is_admin``
# Stored role (the database's CHECK constraint allows these two) -> the French name shown.
ROLE_NAMES: dict[str, str] = {"reader": "lecteur", "editor": "éditeur", ADMIN_ROLE: "administrateur"}
NO_ROLE_NAME = "aucun"
# The words a user may type (compared accent- and case-insensitively, see _role_key).
_ROLE_WORDS: dict[str, str | None] = {
    "lecteur": "reader",
    "lectrice": "reader",
    "reader": "reader",
    "editeur": "editor",
    "editrice": "editor",
    "editor": "editor",
    "aucun": None,
    "aucune": None,
    "none": None,
    "administrateur": ADMIN_ROLE,
    "administratrice": ADMIN_ROLE,
    "admin": ADMIN_ROLE,
}
ACCEPTED_ROLES = "lecteur (reader), éditeur (editor), aucun (none)"


class AdminRoleRefused(SocleError):
    """« administrateur » given where a role on a collection is asked: administrators have
    every right on every collection, which is a property of the account."""


def _role_key(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.strip().casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def parse_role(text: str, *, allow_admin: bool = False) -> str | None:
    """The stored role a typed word names: ``"reader"`` for « lecteur », ``"editor"`` for
    « éditeur » (or « editeur »), None for « aucun » (no right); the English words are
    accepted too. « administrateur » gives :data:`ADMIN_ROLE` when ``allow_admin``, else
    raises :class:`AdminRoleRefused`. Raises SocleError (in French, listing the accepted
    names) for any other word."""
    key = _role_key(text)
    if key not in _ROLE_WORDS:
        extra = ", administrateur (admin)" if allow_admin else ""
        raise SocleError(f"Rôle inconnu : « {text} ». Rôles acceptés : {ACCEPTED_ROLES}{extra}.")
    role = _ROLE_WORDS[key]
    if role == ADMIN_ROLE and not allow_admin:
        raise AdminRoleRefused(
            "« administrateur » n'est pas un rôle sur une collection : un compte administrateur a tous les "
            f"droits sur toutes les collections. Rôles acceptés : {ACCEPTED_ROLES}."
        )
    return role


def role_name(role: str | None) -> str:
    """The French name of a stored role (« lecteur », « éditeur », « administrateur »),
    « aucun » for None; an unknown value as it is."""
    return NO_ROLE_NAME if role is None else ROLE_NAMES.get(role, role)


def hash_password(password: str) -> str:
    if len(password) < 10:
        raise SocleError("Le mot de passe doit comporter au moins 10 caractères.")
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def new_api_key() -> tuple[str, str, str]:
    """(the key, shown once; its display prefix; its stored hash)."""
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    return key, key[: len(KEY_PREFIX) + 6], hash_api_key(key)


def hash_api_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def new_session(store: Store, user: User, client: str | None, agent: str | None) -> str:
    """A new web session for ``user``: the random token goes into the (signed) cookie, only its
    hash into the database, so that a stolen database opens no session."""
    token = secrets.token_urlsafe(32)
    store.create_session(user.id, hash_api_key(token), client, agent)
    return token


def new_password() -> str:
    return secrets.token_urlsafe(12)


@dataclass(frozen=True)
class Principal:
    """Who is making a request, and what they may read or edit."""

    user: User
    grants: dict[str, str] = field(default_factory=dict)  # collection -> reader | editor
    key_id: int | None = None  # set when authenticated by API key

    @property
    def username(self) -> str:
        return self.user.username

    @property
    def is_admin(self) -> bool:
        return self.user.is_admin

    def can_read(self, collection: str) -> bool:
        return self.is_admin or collection in self.grants

    def can_edit(self, collection: str) -> bool:
        return self.is_admin or self.grants.get(collection) == "editor"

    def can_use(self, assistant: Assistant) -> bool:
        """An assistant is usable only by someone who may read every collection it reads."""
        return all(self.can_read(c) for c in assistant.collections)

    def require_read(self, collections: Iterable[str]) -> None:
        for c in collections:
            if not self.can_read(c):
                raise PermissionDenied(f"Accès refusé à la collection « {c} ».")

    def require_edit(self, collection: str) -> None:
        if not self.can_edit(collection):
            raise PermissionDenied(f"Vous n'avez pas le droit de modifier la collection « {collection} ».")

    def require_admin(self) -> None:
        if not self.is_admin:
            raise PermissionDenied("Réservé aux administrateurs.")


def principal_for(store: Store, user: User, key_id: int | None = None) -> Principal:
    return Principal(user=user, grants=store.grants(user.id), key_id=key_id)


def authenticate_password(store: Store, username: str, password: str) -> Principal | None:
    user = store.get_user(username)
    if not verify_password(user.password_hash if user else None, password) or user is None or user.disabled:
        return None
    return principal_for(store, user)


def authenticate_key(store: Store, key: str) -> Principal | None:
    if not key.startswith(KEY_PREFIX):
        return None
    found = store.user_for_key_hash(hash_api_key(key))
    if found is None or found[0].disabled:
        return None
    return principal_for(store, found[0], found[1])


def bootstrap_admin(store: Store) -> tuple[str, str] | None:
    """On first start (no user at all), create ``admin`` with a random password and return
    (username, password) so that it can be printed once; None when users exist."""
    if store.count_users() > 0:
        return None
    password = new_password()
    store.create_user("admin", hash_password(password), is_admin=True)
    return "admin", password
