"""ChatMD chatbots as Socle assistants.

Importing a ChatMD file creates an assistant whose settings keep the file's text (the
chatbot is re-parsed from it, so an export writes back what was imported) and ingests one
document per response into the assistant's collection, so that responses are also
passages for grounded answers. At question time:

1. a clicked choice opens its target response, as in ChatMD;
2. a typed question that matches a response (keywords, title and semantic similarity,
   :class:`socle.chatmd.ChatmdMatcher`) returns that response with its choices; when the
   best two responses are too close to decide, « Vouliez-vous dire… » offers the closest
   ones as buttons;
3. otherwise Socle answers from the collection (responses and any documents the teacher
   added) with verified citations — or, when it must abstain, gives the chatbot's own
   fallback message.

Responses written by the teacher carry no AI mark and no footprint; a grounded answer
does, since a model produced it.
"""

from __future__ import annotations

import hashlib
import re
import threading
from typing import Any

from markdown_it import MarkdownIt
from markupsafe import Markup

from socle.answer import Answer
from socle.chatmd import Chatbot, ChatmdMatcher, display_markdown, parse_chatmd, to_documents
from socle.chatmd.match import ChatmdDecision
from socle.embed import Embedder
from socle.footprint import Meter
from socle.ingest import IngestReport, index_prepared, prepare_documents
from socle.rerank import Reranker
from socle.service.names import check_name, slugify
from socle.store import Store
from socle.store.records import Assistant

CHATMD_SETTING = "chatmd"  # assistant setting holding the ChatMD source text
_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")


_LAYOUT_TAG = re.compile(r"</?(?:section|div|span|p|center|font|small|big)\b[^>]*>", re.I)
_BREAK = re.compile(r"<br\s*/?>", re.I)
_ADMONITION = re.compile(r"^:::\s*(\w+)?[ \t]*(.*?)\n(.*?)^:::[ \t]*$", re.M | re.S)


def _admonition(m: re.Match[str]) -> str:
    title = m.group(2) or m.group(1) or ""
    body = [f"> {line}" for line in m.group(3).rstrip().split("\n")]
    return "\n".join([f"> **{title}**", ">", *body]) + "\n"


def render_markdown(text: str) -> Markup:
    """HTML of a teacher's Markdown. Layout tags (``<section>``, ``<div>``…) are dropped and
    ChatMD's ``:::type Titre`` boxes become quotes; any other raw HTML is escaped, never
    interpreted (no script can come from a chatbot file)."""
    text = _BREAK.sub("\n", _LAYOUT_TAG.sub("", text))
    text = _ADMONITION.sub(_admonition, text)
    return Markup(_markdown.render(text))


class Loaded:
    """A parsed chatbot; its matcher (which embeds every response) is built on first use."""

    def __init__(self, chatbot: Chatbot, embedder: Embedder | None, reranker: Reranker | None = None) -> None:
        self.chatbot = chatbot
        self._embedder = embedder
        self._reranker = reranker
        self._matcher: ChatmdMatcher | None = None
        self._lock = threading.Lock()

    @property
    def matcher(self) -> ChatmdMatcher:
        with self._lock:
            if self._matcher is None:
                self._matcher = ChatmdMatcher(self.chatbot, self._embedder, reranker=self._reranker)
            return self._matcher


class ChatbotCache:
    """One parsed chatbot and matcher per assistant version (they embed every response).
    With a ``reranker`` (the ``reranker`` setting), matchers reorder their best responses by it."""

    def __init__(self, embedder: Embedder | None, reranker: Reranker | None = None) -> None:
        self.embedder = embedder
        self.reranker = reranker
        self._items: dict[tuple[str, str], Loaded] = {}
        self._lock = threading.Lock()

    def get(self, assistant: Assistant) -> Loaded | None:
        source = assistant.settings.get(CHATMD_SETTING)
        if not source:
            return None
        # Keyed by the source itself: two imports within the same second share an updated_at.
        key = (assistant.name, hashlib.sha256(source.encode()).hexdigest())
        with self._lock:
            if key not in self._items:
                chatbot = parse_chatmd(source)
                self._items = {k: v for k, v in self._items.items() if k[0] != assistant.name}
                self._items[key] = Loaded(chatbot, self.embedder, self.reranker)
            return self._items[key]


def choices_of(chatbot: Chatbot, choices: list[Any]) -> list[dict[str, str]]:
    return [{"label": c.label or c.target, "target": c.target} for c in choices]


def initial_message(chatbot: Chatbot) -> dict[str, Any]:
    text = display_markdown(chatbot, chatbot.initial_message.content)
    return {
        "text": text,
        "html": render_markdown(text),
        "choices": choices_of(chatbot, chatbot.initial_message.choices),
    }


def response_answer(
    chatbot: Chatbot,
    title: str,
    question: str,
    collection: str,
    meter: Meter,
    score: float = 1.0,
    decision: ChatmdDecision | None = None,
) -> Answer | None:
    response = chatbot.response(title)
    if response is None:
        return None
    return _authored(
        question,
        collection,
        meter,
        text=display_markdown(chatbot, response.content),
        model="réponse rédigée par l'auteur du chatbot",
        confidence=score,
        choices=choices_of(chatbot, response.choices),
        response_title=response.title,
        chatmd=_decision_info(decision) if decision is not None else {"decision": "choice"},
    )


def _authored(question: str, collection: str, meter: Meter, **shown: Any) -> Answer:
    """An answer written by the chatbot's author or picked among its responses: no model, no
    citation, no AI mark; ``shown`` holds what differs (text, model, confidence, choices…)."""
    return Answer(
        question=question,
        collection=collection,
        citations=[],
        abstained=False,
        mode="chatmd",
        passages=[],
        footprint=meter.footprint(),
        ai_notice="",
        ai_generated=False,
        **shown,
    )


DID_YOU_MEAN = "Vouliez-vous dire…"


def choices_answer(chatbot: Chatbot, decision: ChatmdDecision, question: str, collection: str, meter: Meter) -> Answer:
    """« Vouliez-vous dire… » with the closest responses as buttons (each opens its response)."""
    return _authored(
        question,
        collection,
        meter,
        text=DID_YOU_MEAN,
        model="choix proposés par Socle parmi les réponses du chatbot",
        confidence=max(0.0, decision.margin),
        choices=[{"label": t, "target": t} for t in decision.titles],
        response_title=None,
        chatmd=_decision_info(decision),
    )


def _decision_info(decision: ChatmdDecision) -> dict[str, Any]:
    """What the API shows (``socle.chatmd``) and the teacher's list reads of a decision."""
    best = decision.best
    return {
        "decision": decision.kind,
        "margin": round(decision.margin, 3) if decision.margin != float("inf") else None,
        "similarity": round(best.similarity, 3) if best is not None else None,
        "best": best.response.title if best is not None else None,
        "suggestions": decision.titles,
        "keywords": best.keywords if best is not None else [],
    }


def fallback_answer(chatbot: Chatbot, answer: Answer) -> Answer:
    """The chatbot's own fallback message instead of Socle's abstention message."""
    messages = chatbot.default_messages
    answer.chatmd = answer.chatmd or {"decision": "fallback" if answer.abstained else "documents"}
    if not answer.abstained or not messages:
        return answer
    answer.text = messages[0]
    answer.mode = "chatmd"
    answer.model = "message par défaut du chatbot"
    answer.ai_notice = ""
    answer.ai_generated = False
    answer.choices = choices_of(chatbot, chatbot.initial_message.choices)
    return answer


def import_chatmd(
    store: Store,
    embedder: Embedder | None,
    text: str,
    *,
    source: str = "",
    collection: str | None = None,
    name: str | None = None,
    created_by: str | None = None,
    chunk_words: int = 120,
) -> tuple[Assistant, Chatbot, IngestReport]:
    """Create (or update) the assistant of a ChatMD file and index its responses."""
    chatbot = parse_chatmd(text)
    name = check_name(name or slugify(chatbot.title or "chatbot"), "l'assistant")
    collection = check_name(collection or name, "collection")
    store.ensure_collection(collection, embedder.name if embedder else None)
    report = IngestReport()
    documents = to_documents(chatbot, source=source or f"chatmd:{name}")
    keep = {d.key for d in documents}
    for info in store.documents(collection):  # responses removed from the file leave the collection
        if info.key.startswith("chatmd:") and info.key not in keep:
            store.remove_document(collection, info.key)
    prepared = prepare_documents(store, collection, documents, report, chunk_words)
    index_prepared(store, embedder, collection, prepared, report)
    existing = store.get_assistant(name)
    assistant = Assistant(
        name=name,
        title=chatbot.title or name,
        collections=[collection] if existing is None else sorted({collection, *existing.collections}),
        instructions=display_markdown(chatbot, chatbot.initial_message.content),
        examples=[],  # the initial message's buttons play that part
        settings=({} if existing is None else dict(existing.settings)) | {CHATMD_SETTING: text},
        created_by=created_by,
    )
    return store.put_assistant(assistant), chatbot, report
