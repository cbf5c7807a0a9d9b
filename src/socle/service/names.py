"""Identifiers of assistants and collections."""

from __future__ import annotations

import re
import unicodedata

from socle.errors import SocleError

_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")


def slugify(text: str) -> str:
    """A lowercase ASCII identifier for an assistant or collection name."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:63] or "assistant"


def check_name(name: str, what: str) -> str:
    if not _NAME.match(name):
        raise SocleError(
            f"Nom de {what} invalide : « {name} » (lettres minuscules, chiffres, tirets ; 63 caractères au plus)."
        )
    return name
