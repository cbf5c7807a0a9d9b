"""Identifiers of assistants and collections."""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Sequence

from socle.errors import NotFoundError, SocleError

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


def known_collection(names: Sequence[str], name: str) -> None:
    """Refuse a collection name that is not among ``names``, suggesting the nearest one:
    names are compared as identifiers (« Ressources humaines » as ``ressources-humaines``).
    A right granted on a collection that does not exist would silently open nothing."""
    if name in names:
        return
    by_slug = {slugify(n): n for n in names}
    near = difflib.get_close_matches(slugify(name), list(by_slug), n=1, cutoff=0.6)
    hint = f" Vouliez-vous dire « {by_slug[near[0]]} » ?" if near else ""
    known = ", ".join(names) or "aucune : ingérez d'abord des documents"
    raise NotFoundError(f"La collection « {name} » n'existe pas.{hint} Collections : {known}.")
