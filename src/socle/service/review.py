"""The improvement queue (``/amelioration``, :mod:`socle.service.web_review`): what editors
and administrators do with the agents' feedback, independent of HTTP.

Three lists, each limited to the collections the reader may *edit* (a value joining several
collections needs them all, as :meth:`Service.validate_correction` does):

* corrections proposed with a « Pas utile » rating, to validate, reject or edit (and those
  decided recently, with who decided);
* ratings and comments, joined to the answers they rate, filtered by assistant, dates and
  verdict;
* questions the assistant could not answer (abstentions), for which an editor can write the
  answer: stored as a correction validated at once, exactly as when an editor rates an answer
  with a correction (:meth:`Service.rate`), so later answers use it the same way
  (:mod:`socle.service.feedback`).

Only pending corrections can be validated, rejected or edited here: a decided correction is
history, and the feedback cache (:meth:`Store.feedback_version`) follows the number of
validated corrections, not their text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from socle.errors import ConflictError, NotFoundError, SocleError
from socle.service.auth import PermissionDenied, Principal
from socle.service.core import Service

LIMIT = 200  # rows shown in the ratings and abstention lists (with the total count)
DECIDED = 50  # recently validated or rejected corrections shown
MAX_TEXT = 4000  # as a correction typed with a rating (Service.rate)
VERDICTS = {"tous": None, "utiles": 1, "pas-utiles": -1}
CLOSEST_PASSAGES = 3


class TextError(SocleError):
    """A correction or an answer typed empty or too long (shown again with the form)."""


REVIEWERS_ONLY = (
    "La page « Améliorer les réponses » est réservée aux éditeurs et aux administrateurs : "
    "votre compte peut consulter les assistants, pas modifier leurs collections."
)


def _parts(collection: str) -> list[str]:
    return [c for c in collection.split(",") if c]


def editable(principal: Principal, collection: str) -> bool:
    """Whether ``principal`` may edit every collection a stored ``collection`` value names."""
    parts = _parts(collection)
    return bool(parts) and all(principal.can_edit(c) for c in parts)


def require_reviewer(principal: Principal) -> None:
    """Admins and editors of at least one collection; anyone else gets a 403."""
    if not principal.is_admin and "editor" not in principal.grants.values():
        raise PermissionDenied(REVIEWERS_ONLY)


def _keys(service: Service, principal: Principal) -> list[str]:
    require_reviewer(principal)
    return [k for k in service.store.review_collection_keys() if editable(principal, k)]


# -- reading -------------------------------------------------------------------------------------
def corrections(service: Service, principal: Principal) -> dict[str, list[dict[str, Any]]]:
    """Pending proposals (oldest first) and the last :data:`DECIDED` decisions."""
    keys = _keys(service, principal)
    return {
        "pending": service.store.review_corrections(keys, pending=True),
        "decided": service.store.review_corrections(keys, pending=False, limit=DECIDED),
    }


def assistants(service: Service, principal: Principal) -> list[str]:
    """The assistants whose answers the reader may review (the lists' filter)."""
    return service.store.review_assistants(_keys(service, principal))


@dataclass
class RatingFilter:
    """The ratings view's filters as typed in the form, and what was wrong with them."""

    assistant: str = ""
    since: date | None = None
    until: date | None = None
    verdict: str = "tous"
    errors: tuple[str, ...] = ()

    @classmethod
    def parse(cls, assistant: str = "", du: str = "", au: str = "", verdict: str = "tous") -> RatingFilter:
        errors: list[str] = []

        def day(text: str, label: str) -> date | None:
            text = text.strip()
            if not text:
                return None
            try:
                return date.fromisoformat(text)
            except ValueError:
                errors.append(f"Date « {label} » illisible ({text[:20]}) : format attendu AAAA-MM-JJ.")
                return None

        since, until = day(du, "du"), day(au, "au")
        if since and until and since > until:
            errors.append("La date « du » est après la date « au » : aucun avis ne peut correspondre.")
        if verdict not in VERDICTS:
            errors.append("Verdict inconnu : tous les avis sont montrés.")
            verdict = "tous"
        return cls(assistant.strip(), since, until, verdict, tuple(errors))


def ratings(
    service: Service, principal: Principal, filters: RatingFilter, limit: int = LIMIT
) -> tuple[list[dict[str, Any]], int]:
    """Ratings matching ``filters``, newest first (at most ``limit``), and how many match.
    Dates are days of the stored UTC timestamps, ``until`` included."""
    before = (filters.until + timedelta(days=1)).isoformat() if filters.until else None
    return service.store.review_feedback(
        _keys(service, principal),
        assistant=filters.assistant or None,
        since=filters.since.isoformat() if filters.since else None,
        before=before,
        rating=VERDICTS[filters.verdict],
        limit=limit,
    )


def abstentions(
    service: Service, principal: Principal, assistant: str = "", limit: int = LIMIT
) -> tuple[list[dict[str, Any]], int]:
    """Questions without an answer, newest first, with their closest passages when the answer
    kept them (``extra.closest_passages``; older answers have none)."""
    rows, total = service.store.review_abstentions(
        _keys(service, principal), assistant=assistant.strip() or None, limit=limit
    )
    for row in rows:
        extra = row.pop("extra", None)
        closest = extra.get("closest_passages") if isinstance(extra, dict) else None
        row["closest"] = [p for p in closest if isinstance(p, dict)][:CLOSEST_PASSAGES] if closest else []
        row["collections"] = _parts(row["collection"])
    return rows, total


# -- acting on a correction ------------------------------------------------------------------------
def pending_correction(service: Service, principal: Principal, correction_id: int) -> dict[str, Any]:
    """A pending correction the reader may edit: 404 if they may not read its collections
    (its existence is not told), 403 if they may only read them, 409 once decided."""
    require_reviewer(principal)
    found = service.store.review_correction(correction_id)
    if found is None or not all(principal.can_read(c) for c in _parts(found["collection"])):
        raise NotFoundError(f"La correction {correction_id} n'existe pas.")
    for c in _parts(found["collection"]):
        principal.require_edit(c)
    if found["validated_at"] is not None or found["rejected_at"] is not None:
        who = found["validated_by"] or found["rejected_by"] or "?"
        verb = "validée" if found["validated_at"] is not None else "rejetée"
        raise ConflictError(f"Cette correction a déjà été {verb} par {who}.")
    return found


def _text(text: str) -> str:
    text = text.strip()
    if not text:
        raise TextError("Le texte est vide : écrivez la réponse à donner.")
    if len(text) > MAX_TEXT:
        raise TextError(f"Le texte est trop long ({MAX_TEXT} caractères au plus).")
    return text


def validate(service: Service, principal: Principal, correction_id: int) -> dict[str, Any]:
    pending_correction(service, principal, correction_id)
    return service.validate_correction(principal, correction_id)  # audited as "validate"


def reject(service: Service, principal: Principal, correction_id: int) -> dict[str, Any]:
    found = pending_correction(service, principal, correction_id)
    done = service.store.reject_correction(correction_id, principal.username)
    service._audit(
        principal,
        "correction_reject",
        assistant=found["assistant"],
        collections=_parts(found["collection"]),
        answer_id=found["answer_id"],
        detail={"correction": done.id},
    )
    return {"id": done.id, "rejected_by": done.rejected_by, "rejected_at": done.rejected_at}


def edit(service: Service, principal: Principal, correction_id: int, text: str, then_validate: bool = False) -> None:
    """Change a pending correction's text; validate it too when ``then_validate``."""
    found = pending_correction(service, principal, correction_id)
    text = _text(text)
    if text != found["text"]:
        # The embedding is the question's (what later questions are compared with): it stays.
        service.store.edit_correction(correction_id, text)
        service._audit(
            principal,
            "correction_edit",
            assistant=found["assistant"],
            collections=_parts(found["collection"]),
            answer_id=found["answer_id"],
            detail={"correction": correction_id, "chars_before": len(found["text"]), "chars_after": len(text)},
        )
    if then_validate:
        service.validate_correction(principal, correction_id)


# -- answering a question without an answer --------------------------------------------------------
def abstained_answer(service: Service, principal: Principal, answer_id: int) -> dict[str, Any]:
    """An abstention the reader may answer: 404 unless readable and abstained, 403 unless
    editable, 409 when a validated answer was already written for the question."""
    require_reviewer(principal)
    found = service.store.answer(answer_id)
    if found is None or not found["abstained"] or not all(principal.can_read(c) for c in _parts(found["collection"])):
        raise NotFoundError(f"La question sans réponse {answer_id} n'existe pas.")
    for c in _parts(found["collection"]):
        principal.require_edit(c)
    existing = [
        c
        for c in service.store.corrections(found["collection"])
        if c.question == found["question"] and c.validated_at is not None
    ]
    if existing:
        # A second correction for the same question would tie with the first (same embedding)
        # and never be chosen: the first one is the answer.
        raise ConflictError(f"Une réponse validée existe déjà pour cette question (correction {existing[-1].id}).")
    return found


def write_answer(service: Service, principal: Principal, answer_id: int, text: str) -> int:
    """Store the editor's answer as a validated correction of the question; returns its id."""
    found = abstained_answer(service, principal, answer_id)
    text = _text(text)
    correction_id = service.store.add_correction(
        found["collection"],
        found["question"],
        text,
        service.embedder.embed_query(found["question"]),
        None,
        principal.username,
        validated_by=principal.username,
    )
    service._audit(
        principal,
        "correction_write",
        assistant=found["assistant"],
        collections=_parts(found["collection"]),
        answer_id=answer_id,
        detail={"correction": correction_id, "validated": True},
    )
    return correction_id


__all__ = [
    "DECIDED",
    "LIMIT",
    "RatingFilter",
    "TextError",
    "abstained_answer",
    "abstentions",
    "assistants",
    "corrections",
    "edit",
    "editable",
    "pending_correction",
    "ratings",
    "reject",
    "require_reviewer",
    "validate",
    "write_answer",
]
