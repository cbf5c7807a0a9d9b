"""Encryption at rest of pseudonym mappings (``pseudonymise`` mode), with Fernet (AES-128-CBC + HMAC-SHA256).

The key is a Fernet key (``socle privacy key`` makes one) given by the ``privacy_key``
setting or ``SOCLE_PRIVACY_KEY``. It is never stored nor logged: the store keeps only a
short fingerprint, so that a collection refuses to mix mappings sealed with different keys.
Losing the key makes the mappings unreadable for good; that is the point.

A key is changed with :func:`reseal` (``socle privacy key rotate``, see
:func:`socle.privacy.policy.rotate_key`): each mapping is decrypted with the old key and
encrypted with the new one in memory (``MultiFernet.rotate``); nothing decrypted is written
anywhere else, nor logged.
"""

from __future__ import annotations

import hashlib
import json

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from socle.errors import ConfigError, SocleError

KEY_HINT = "définissez SOCLE_PRIVACY_KEY (ou privacy_key dans config.toml) ; « socle privacy key » en génère une"


class KeyMismatchError(SocleError):
    """The key given is not the one that sealed the collection's mappings."""


def new_key() -> str:
    return Fernet.generate_key().decode("ascii")


def _fernet(key: str) -> Fernet:
    if not key:
        raise ConfigError(f"Aucune clé de pseudonymisation : {KEY_HINT}.")
    try:
        return Fernet(key.strip().encode("ascii"))
    except (ValueError, UnicodeEncodeError) as exc:
        raise ConfigError(f"Clé de pseudonymisation invalide (44 caractères base64 attendus) : {KEY_HINT}.") from exc


def fingerprint(key: str) -> str:
    """A short, non-reversible identifier of ``key`` (stored to detect a wrong key early)."""
    _fernet(key)
    return hashlib.sha256(b"socle-privacy-key:" + key.strip().encode("ascii")).hexdigest()[:16]


def seal(mapping: dict[str, str], key: str) -> bytes:
    return _fernet(key).encrypt(json.dumps(mapping, ensure_ascii=False).encode("utf-8"))


def unseal(token: bytes, key: str) -> dict[str, str]:
    try:
        data = _fernet(key).decrypt(token)
    except InvalidToken as exc:
        raise KeyMismatchError("Cette clé ne permet pas de déchiffrer les correspondances de la collection.") from exc
    mapping: dict[str, str] = json.loads(data.decode("utf-8"))
    return mapping


def opens(token: bytes, key: str) -> bool:
    """Whether ``key`` decrypts ``token`` (the value is not kept)."""
    try:
        _fernet(key).decrypt(token)
    except InvalidToken:
        return False
    return True


def reseal(token: bytes, old_key: str, new_key: str) -> bytes:
    """``token`` encrypted with ``new_key`` instead (it may be sealed with either key)."""
    try:
        return MultiFernet([_fernet(new_key), _fernet(old_key)]).rotate(token)
    except InvalidToken as exc:
        raise KeyMismatchError("Ni l'ancienne ni la nouvelle clé ne déchiffrent cette correspondance.") from exc


__all__ = ["KeyMismatchError", "fingerprint", "new_key", "opens", "reseal", "seal", "unseal"]
