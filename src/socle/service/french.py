"""Numbers, dates, durations and audit actions as a French reader expects them, as Jinja
filters for the web pages (:func:`register`).

- ``nombre``: decimal comma, thousands grouped by a narrow no-break space (U+202F), as the
  CLDR ``fr`` locale writes them: « 0,40 », « 1 234,5 »; rounded half to even like CLDR.
- ``date_fr``: an ISO-8601 timestamp (the store writes UTC, ``2026-12-02T13:05:00+00:00``)
  in the server's local time zone: « 2 déc. 2026 à 14 h 05 »; a bare date stays a date.
- ``duree``: seconds, « 0,42 s ».
- ``action_fr``: an audit action's French label (« Question », « Connexion »…).

Written by hand rather than with Babel: three fixed formats for one locale are a few lines,
and Babel is only here as a dependency of a dependency (trafilatura → courlan); the tests
check that ``nombre`` writes what Babel's ``fr`` locale writes. Inside a date and before a
unit the spaces are no-break (U+00A0), so that « 14 h 05 » or « 0,42 s » never wraps.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, tzinfo
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the formatting itself needs no Jinja (socle.transparency uses it too)
    from jinja2 import Environment

GROUP = "\u202f"  # narrow no-break space: CLDR fr thousands separator
NBSP = "\u00a0"
MONTHS = ("janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc.")

# Every action the code writes to the audit log (socle.service.core, socle.cli.service, the
# web administration pages); an action missing here is shown by its raw name.
ACTION_LABELS: dict[str, str] = {
    "ask": "Question",
    "search": "Recherche",
    "feedback": "Avis sur une réponse",
    "login": "Connexion",
    "login_failed": "Échec de connexion",
    "refused": "Accès refusé",
    "refused_throttled": "Accès refusés (suivants non journalisés)",
    "upload": "Dépôt de documents",
    "delete": "Suppression de document",
    "document_replace": "Remplacement de document",
    "collection": "Création de collection",
    "assistant": "Enregistrement d'assistant",
    "assistant_update": "Modification d'assistant",
    "assistant_delete": "Suppression d'assistant",
    "calibrate": "Recalibrage des seuils",
    "validate": "Correction validée",
    "validate_correction": "Correction validée",
    "correction_reject": "Correction refusée",
    "correction_edit": "Correction modifiée",
    "correction_write": "Correction rédigée",
    "conversation_delete": "Suppression de conversation",
    "user_add": "Création de compte",
    "user_create": "Création de compte",
    "user_passwd": "Changement de mot de passe",
    "user_password": "Changement de mot de passe",
    "user_disable": "Compte désactivé",
    "user_enable": "Compte réactivé",
    "user_logout": "Sessions fermées",
    "user_remove": "Suppression de compte",
    "grant": "Droits sur une collection",
    "user_grant": "Droits sur une collection",
    "user_revoke": "Retrait de droits",
    "key_add": "Création de clé d'API",
    "key_revoke": "Révocation de clé d'API",
    "privacy_allow": "Ajout à la liste autorisée (données personnelles)",
    "privacy_allow_remove": "Retrait de la liste autorisée (données personnelles)",
    "privacy_culture": "Option culturelle (personnalités publiques)",
    "privacy_key_rotate": "Rotation de la clé de pseudonymisation",
    "privacy_reprocess": "Nouveau traitement des documents (données personnelles)",
    "privacy_reveal": "Consultation de valeurs pseudonymisées",
    "chatmd_review": "Consultation des questions à revoir (ChatMD)",
    "chatmd_keyword": "Mot-clé ajouté à une réponse ChatMD",
}


def nombre(value: Any, decimals: int = 0) -> str:
    """``value`` with ``decimals`` decimals, in French: « 1 234,50 ». None gives "", and
    anything that is not a number is returned as text, unchanged."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return str(value)
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    try:
        # str() first: the shortest repr, what the reader thinks the number is (2.675, not
        # 2.67499999…), as Babel does.
        exact = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
        rounded = exact.quantize(Decimal(1).scaleb(-max(0, decimals)), rounding=ROUND_HALF_EVEN)
    except InvalidOperation:
        return str(value)
    sign = "-" if rounded < 0 else ""  # no « -0,00 »: a rounded zero is zero
    whole, _, fraction = f"{abs(rounded):f}".partition(".")
    groups: list[str] = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    text = GROUP.join(groups)
    return sign + (f"{text},{fraction}" if fraction else text)


def date_fr(value: Any, heure: bool = True, tz: tzinfo | None = None) -> str:
    """An ISO-8601 timestamp as « 2 déc. 2026 à 14 h 05 » in ``tz`` (default: the
    server's local time zone; a timestamp without offset is taken as UTC, as the store
    writes it). A date alone, or ``heure=False``, gives « 2 déc. 2026 ». What cannot be
    read is returned as it is."""
    if value is None or value == "":
        return ""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        return _day(value)
    else:
        text = str(value).strip()
        try:
            if len(text) == 10:  # « 2026-12-02 »: a day (the footprint's per-day rows)
                return _day(date.fromisoformat(text))
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return text
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    local = moment.astimezone(tz)
    if not heure:
        return _day(local.date())
    return f"{_day(local.date())} à {local.hour}{NBSP}h{NBSP}{local.minute:02d}"


def _day(day: date) -> str:
    return f"{day.day}{NBSP}{MONTHS[day.month - 1]}{NBSP}{day.year}"


def duree(seconds: Any, decimals: int = 2) -> str:
    """A duration in seconds: « 0,42 s »."""
    shown = nombre(seconds, decimals)
    return f"{shown}{NBSP}s" if shown else ""


def action_fr(action: Any) -> str:
    """The French label of an audit action; an unknown action as its raw name."""
    return ACTION_LABELS.get(str(action), str(action)) if action is not None else ""


def register(env: Environment) -> None:
    """Add the filters to a Jinja environment (the web pages': ``templates.env``)."""
    env.filters.update(nombre=nombre, date_fr=date_fr, duree=duree, action_fr=action_fr)


__all__ = ["ACTION_LABELS", "action_fr", "date_fr", "duree", "nombre", "register"]
