"""What the web page and the API's ``socle`` field show of an answer, besides its text:
built once when the answer is given, stored with it (``answers.extra``), and read back to
show a conversation again exactly as it was."""

from __future__ import annotations

from typing import Any

from socle.answer import Answer, answer_record
from socle.models import Passage

EXCERPT = 280  # characters of a closest passage shown on abstention


def passage_json(p: Passage) -> dict[str, Any]:
    return {
        "collection": p.collection,
        "document": p.document_key,
        "title": p.document_title,
        "text": p.text,
        "start": p.start,
        "end": p.end,
        "location": p.location,
        "page": p.page,
        "source": p.source,
        "url": p.url,
        "score": round(p.score, 4),
        "passage_id": p.chunk_id,
    }


def excerpt(text: str, limit: int = EXCERPT) -> str:
    """The passage's beginning, cut at a word, with an ellipsis when cut."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0] + " …"


def closest_passages(answer: Answer, limit: int = 3) -> list[dict[str, Any]]:
    """On abstention, the passages that came closest: one per document and section, each with
    an excerpt, so that the reader sees where to look rather than the same title thrice."""
    if not answer.abstained or answer.mode == "courtesy":
        return []
    shown: list[dict[str, Any]] = []
    seen: set[tuple[str, str, str]] = set()
    for p in answer.passages:
        place = (p.collection, p.document_key, p.location or "")
        if place in seen:
            continue
        seen.add(place)
        shown.append(passage_json(p) | {"excerpt": excerpt(p.text)})
        if len(shown) == limit:
            break
    return shown


def socle_extra(answer: Answer, answer_id: int) -> dict[str, Any]:
    """The ``socle`` object of an answer (API) and the context of its card (web page)."""
    return {"answer_id": answer_id} | stored_extra(answer) | core_fields(answer)


def core_fields(answer: Answer) -> dict[str, Any]:
    """What the answers table holds in its own columns."""
    record = answer_record(answer)
    return {
        "abstained": answer.abstained,
        "mode": answer.mode,
        "model": answer.model,
        "confidence": record["confidence"],
        "citations": record["citations"],
        "footprint": record["footprint"],
    }


def stored_extra(answer: Answer) -> dict[str, Any]:
    """What the answers table keeps in ``extra``, to show the answer again later."""
    from socle.service.chatmd_assistant import render_markdown

    return {
        "html": str(render_markdown(answer.text)) if answer.mode == "chatmd" else None,
        "choices": answer.choices,
        "response_title": answer.response_title,
        "chatmd": answer.chatmd or None,  # a ChatMD chatbot's decision: response, choices or fallback
        "tentative": answer.tentative,  # a « réponse possible », to be checked in the cited document
        "outcome": answer.outcome,  # answer | possible | abstain | courtesy
        "warnings": answer.warnings,
        "ai_generated": answer.ai_generated,
        "notice": answer.ai_notice,
        "closest_passages": closest_passages(answer),
        "next_step": answer.next_step,
        "conversation_id": answer.conversation_id,
    }


def from_row(row: dict[str, Any]) -> dict[str, Any]:
    """An answer as stored (``Store.conversation_answers``) in the shape of :func:`socle_extra`,
    plus its question and text. Rows written before ``extra`` existed get neutral defaults."""
    extra = row.get("extra") or {}
    outcome = "abstain" if row["abstained"] else "answer"
    defaults: dict[str, Any] = {"html": None, "choices": [], "response_title": None, "tentative": False}
    defaults["outcome"] = outcome
    defaults |= {"warnings": [], "ai_generated": row["mode"] != "chatmd", "notice": "", "closest_passages": []}
    defaults |= {"next_step": "", "conversation_id": row.get("conversation_id")}
    return (
        {"answer_id": row["id"], "question": row["question"], "text": row["answer"], "created_at": row["created_at"]}
        | defaults
        | extra
        | {k: row[k] for k in ("abstained", "mode", "model", "confidence", "citations", "footprint")}
    )
