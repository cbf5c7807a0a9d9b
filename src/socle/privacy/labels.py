"""What each kind of personal data is called in French, for every report (CLI and web).

One definition, used by ``socle privacy report``/``scan``, the ``socle ingest`` summary, the
upload job and the documents page. Only counts are ever shown with these labels, never values.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# type -> (singular, plural)
TYPE_LABELS: dict[str, tuple[str, str]] = {
    "PERSONNE": ("nom de personne", "noms de personnes"),
    "EMAIL": ("adresse électronique", "adresses électroniques"),
    "TELEPHONE": ("numéro de téléphone", "numéros de téléphone"),
    "ADRESSE": ("adresse postale", "adresses postales"),
    "NIR": ("numéro de sécurité sociale", "numéros de sécurité sociale"),
    "IBAN": ("IBAN", "IBAN"),
    "BIC": ("BIC", "BIC"),
    "SIRET": ("numéro SIRET", "numéros SIRET"),
    "SIREN": ("numéro SIREN", "numéros SIREN"),
    "PASSEPORT": ("numéro de passeport", "numéros de passeport"),
    "CNI": ("numéro de carte d'identité", "numéros de carte d'identité"),
    "DATE_NAISSANCE": ("date de naissance", "dates de naissance"),
    "IMMATRICULATION": ("immatriculation", "immatriculations"),
    "IP": ("adresse IP", "adresses IP"),
}


def label(kind: str, n: int = 2) -> str:
    """The French name of ``kind``, singular when ``n`` is 1."""
    singular, plural = TYPE_LABELS.get(kind, (kind.lower(), kind.lower()))
    return singular if n == 1 else plural


def occurrences(counts: Mapping[str, Any]) -> dict[str, int]:
    """Mentions per type, from either a privacy record's counts (``{"occurrences": n, ...}``)
    or plain numbers."""
    found: dict[str, int] = {}
    for kind, value in counts.items():
        n = int(value.get("occurrences", 0)) if isinstance(value, Mapping) else int(value)
        if n:
            found[kind] = found.get(kind, 0) + n
    return found


def masked_summary(counts: Mapping[str, Any]) -> list[str]:
    """« 3 noms de personnes », « 1 adresse électronique »…, the most frequent first."""
    found = occurrences(counts)
    return [f"{n} {label(kind, n)}" for kind, n in sorted(found.items(), key=lambda kv: (-kv[1], kv[0]))]


def masked_line(counts: Mapping[str, Any], collection: str) -> str:
    """The line ``socle ingest`` ends with: what this run masked, and where to see more."""
    summary = masked_summary(counts)
    what = ", ".join(summary) if summary else "aucune"
    return f"Données personnelles masquées : {what} — détail : socle privacy report --collection {collection}"


__all__ = ["TYPE_LABELS", "label", "masked_line", "masked_summary", "occurrences"]
