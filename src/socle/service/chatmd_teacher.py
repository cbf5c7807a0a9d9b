"""The teacher's loop of a ChatMD assistant: the questions the chatbot handled badly, and one
click to teach it.

:func:`questions_to_review` lists, for the assistant's owners (editors of every collection
it reads), the questions that matched weakly — « Vouliez-vous dire… » offered, no response
found, or a response chosen by a small margin — and those rated « pas utile », each with
the matcher's best guess. :func:`add_keyword` adds such a question as a keyword of the
response the owner picks: the keyword is written into the assistant's ChatMD source (the
same text that ``socle assistant export --chatmd`` writes back, so the improved chatbot runs
in ChatMD too), and the matcher, rebuilt from that text, uses it at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from socle.chatmd import parse_chatmd, to_chatmd
from socle.chatmd._js import normalize_text
from socle.chatmd.match import DEFAULT_CHOICE_MARGIN
from socle.errors import NotFoundError, SocleError
from socle.service.auth import PermissionDenied, Principal
from socle.service.chatmd_assistant import CHATMD_SETTING
from socle.store.records import Assistant

if TYPE_CHECKING:
    from socle.service.core import Service

__all__ = ["MAX_KEYWORD", "ReviewItem", "add_keyword", "questions_to_review", "teachable"]

MAX_KEYWORD = 200  # characters of a keyword added from a question
SCANNED = 500  # latest answers read
# A response chosen by less than this margin (standard deviations) is listed as weak.
WEAK_MARGIN = 2 * DEFAULT_CHOICE_MARGIN
REASONS = {
    "choices": "« Vouliez-vous dire » proposé",
    "fallback": "aucune réponse trouvée",
    "weak": "réponse choisie de justesse",
    "rated": "jugée « pas utile »",
}


@dataclass
class ReviewItem:
    """One question to review (the same question asked several times counts once)."""

    question: str
    reasons: list[str]
    guess: str | None  # the response the matcher found closest
    asked: int = 1
    last: str = ""
    answer_ids: list[int] = field(default_factory=list)


def teachable(service: Service, principal: Principal, name: str) -> Assistant:
    """The ChatMD assistant ``name`` if ``principal`` may teach it (edits every collection it
    reads); 404 for an assistant the principal cannot see or that is not a ChatMD chatbot."""
    assistant = service.assistant(principal, name)
    if not assistant.settings.get(CHATMD_SETTING):
        raise NotFoundError(f"L'assistant « {name} » n'est pas un chatbot ChatMD.")
    if not all(principal.can_edit(c) for c in assistant.collections):
        raise PermissionDenied("Réservé aux propriétaires et éditeurs de cet assistant.")
    return assistant


def _reason(row: dict[str, Any]) -> str | None:
    if row.get("rating") is not None and row["rating"] < 0:
        return "rated"
    info = (row.get("extra") or {}).get("chatmd") or {}
    decision = info.get("decision")
    if decision in ("choices", "fallback"):
        return str(decision)
    if decision == "response" and not info.get("keywords"):
        margin = info.get("margin")
        if margin is not None and margin < WEAK_MARGIN:
            return "weak"
    return None


def questions_to_review(service: Service, principal: Principal, name: str) -> tuple[Assistant, list[ReviewItem]]:
    """The weakly matched or badly rated questions of a ChatMD assistant, newest first;
    questions that are already a keyword of a response are left out (they match now)."""
    assistant = teachable(service, principal, name)
    loaded = service.chatbots.get(assistant)
    assert loaded is not None
    known = {normalize_text(k) for r in loaded.chatbot.responses for k in r.positive_keywords}
    items: dict[str, ReviewItem] = {}
    for row in service.store.assistant_answers(assistant.name, SCANNED):
        reason = _reason(row)
        question = " ".join(str(row["question"]).split())
        key = normalize_text(question)
        if reason is None or not key or key in known:
            continue
        info = (row.get("extra") or {}).get("chatmd") or {}
        item = items.get(key)
        if item is None:
            guess = info.get("best") or (row.get("extra") or {}).get("response_title")
            if guess is None:  # a fallback: the closest response all the same
                ranked = loaded.matcher.rank(question)
                guess = ranked[0].response.title if ranked else None
            item = items[key] = ReviewItem(question=question, reasons=[], guess=guess, asked=0, last=row["created_at"])
        item.asked += 1
        item.answer_ids.append(int(row["id"]))
        if REASONS[reason] not in item.reasons:
            item.reasons.append(REASONS[reason])
    service._audit(principal, "chatmd_review", assistant=assistant.name, collections=assistant.collections)
    return assistant, list(items.values())


def add_keyword(service: Service, principal: Principal, name: str, question: str, title: str) -> str:
    """Add ``question`` as a keyword of the response ``title``; returns the keyword added."""
    assistant = teachable(service, principal, name)
    keyword = " ".join(question.split())
    while keyword.startswith("! "):  # « ! mot » is a negative keyword in ChatMD
        keyword = keyword[2:].strip()
    if not keyword:
        raise SocleError("La question à ajouter est vide.")
    if len(keyword) > MAX_KEYWORD:
        raise SocleError(f"La question est trop longue pour servir de mot-clé ({MAX_KEYWORD} caractères au plus).")
    chatbot = parse_chatmd(str(assistant.settings[CHATMD_SETTING]))
    try:
        added = chatbot.add_keyword(title, keyword)
    except KeyError:
        raise NotFoundError(f"Le chatbot n'a pas de réponse « {title} ».") from None
    if added:  # the source is rewritten: the cache's matcher is rebuilt from it at once
        assistant.settings = dict(assistant.settings) | {CHATMD_SETTING: to_chatmd(chatbot)}
        service.store.put_assistant(assistant)
    service._audit(
        principal,
        "chatmd_keyword",
        assistant=assistant.name,
        collections=assistant.collections,
        question=keyword,
        detail={"response": title},
    )
    return keyword
