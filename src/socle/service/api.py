"""HTTP API under ``/v1``, described by the OpenAPI schema at ``/openapi.json``.

``POST /v1/chat/completions`` and ``GET /v1/models`` follow OpenAI's chat API, so any
OpenAI client library works: the ``model`` is an assistant's name, and the response
carries an extra ``socle`` object (answer id for feedback, citations, footprint, AI mark).
Since client libraries drop that object, the message content also carries the sources in
Markdown, with the AI notice (:mod:`socle.service.sources`; ``socle_sources: "none"`` for
the bare answer).

Streaming (``"stream": true``) sends server-sent events. While a language model writes,
its raw text travels in ``socle.preview`` deltas only; the ``content`` delta carries the
answer once every sentence has been checked against the sources, so a client never
receives a claim that verification removed; the sources follow in one last ``content``
delta, before ``finish_reason: "stop"``.
"""

from __future__ import annotations

import asyncio
import base64
import io
import json
import os
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import asdict
from functools import partial
from pathlib import PurePath
from typing import Annotated, Any, Literal

import numpy as np
from fastapi import APIRouter, Depends, File, Form, Path, Query, Request, UploadFile
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from socle.answer import Answer
from socle.config import Settings
from socle.errors import NotFoundError, SocleError
from socle.service.auth import PermissionDenied, Principal
from socle.service.core import Service
from socle.service.csv_safe import safe_csv_writer
from socle.service.deps import MAX_ID, RateLimited, get_service, require_principal
from socle.service.display import passage_json, socle_extra
from socle.service.sources import SourcesFormat, answer_content, choose_format
from socle.store.records import AUDIT_FIELDS, Assistant

router = APIRouter(prefix="/v1", tags=["API"])
Caller = Annotated[Principal, Depends(require_principal)]
Svc = Annotated[Service, Depends(get_service)]
# Ids fit the database's 64-bit integers: a larger one is a clear 422, not a crash.
PathId = Annotated[int, Path(ge=0, le=MAX_ID)]


# -- models (assistants) ---------------------------------------------------------------------
class ChatMessage(BaseModel):
    role: Literal["system", "user", "assistant", "tool", "developer"]
    content: str | list[dict[str, Any]] | None = None

    def text(self) -> str:
        if isinstance(self.content, list):  # content parts: keep the text ones
            return "\n".join(str(p.get("text", "")) for p in self.content if p.get("type") == "text")
        return self.content or ""


class StreamOptions(BaseModel):
    include_usage: bool = False


class ChatRequest(BaseModel):
    model: str = Field(description="Nom de l'assistant (voir GET /v1/models).")
    messages: list[ChatMessage] = Field(min_length=1)
    stream: bool = False
    temperature: float | None = Field(default=None, ge=0, le=2)
    max_tokens: int | None = Field(default=None, ge=1, le=4096)
    user: str | None = None
    socle_choice: str | None = Field(
        default=None, description="Assistant ChatMD : titre de la réponse visée par le bouton choisi."
    )
    socle_sources: SourcesFormat | None = Field(
        default=None,
        description=(
            "Sources dans le texte de la réponse : « markdown » (liste numérotée avec liens, et mention IA) "
            "ou « none » (réponse seule). Par défaut : le réglage « sources » de l'assistant, sinon « markdown »."
        ),
    )
    stream_options: StreamOptions | None = None
    socle_conversation: int | None = Field(
        default=None,
        ge=0,
        le=MAX_ID,
        description=(
            "Conversation gardée par Socle : 0 pour en commencer une, l'identifiant d'une conversation à vous "
            "pour la poursuivre (l'historique vient alors de Socle ; seul le dernier message compte). "
            "L'identifiant est renvoyé dans « socle.conversation_id »."
        ),
    )


def _french_number(n: int) -> str:
    return f"{n:,}".replace(",", " ")


def check_conversation(messages: list[ChatMessage], settings: Settings) -> None:
    """Bounds on what one chat request may make the server work on (audit, issue 15: six
    history pairs of ~300 KB held a worker for 228 s): messages, characters per message,
    characters in all. Over a bound: a French 400 before any work."""
    if len(messages) > settings.chat_max_messages:
        raise SocleError(
            f"Conversation trop longue : {settings.chat_max_messages} messages au plus par requête "
            f"({len(messages)} reçus) ; n'envoyez que les derniers échanges."
        )
    total = 0
    for number, message in enumerate(messages, 1):
        size = len(message.text())
        if size > settings.chat_max_message_chars:
            raise SocleError(
                f"Message {number} trop long : {_french_number(settings.chat_max_message_chars)} caractères "
                f"au plus par message ({_french_number(size)} reçus)."
            )
        total += size
    if total > settings.chat_max_total_chars:
        raise SocleError(
            f"Conversation trop longue : {_french_number(settings.chat_max_total_chars)} caractères au plus "
            f"pour l'ensemble des messages ({_french_number(total)} reçus) ; n'envoyez que les derniers échanges."
        )


def _history(messages: list[ChatMessage], choice: str | None = None) -> tuple[str, list[tuple[str, str]]]:
    """The question (last user message) and the previous (question, answer) pairs.
    System messages from the client are ignored: an assistant's instructions come from Socle."""
    turns = [m for m in messages if m.role in ("user", "assistant")]
    if choice and (not turns or turns[-1].role != "user"):
        return choice, []
    if not turns or turns[-1].role != "user":
        raise SocleError("Le dernier message doit venir de l'utilisateur (role « user »).")
    history: list[tuple[str, str]] = []
    pending: str | None = None
    for m in turns[:-1]:
        if m.role == "user":
            pending = m.text()
        elif pending is not None:
            history.append((pending, m.text()))
            pending = None
    return turns[-1].text(), history[-6:]


@router.get("/models", summary="Assistants accessibles (format OpenAI)")
def list_models(principal: Caller, service: Svc) -> dict[str, Any]:
    return {
        "object": "list",
        "data": [
            {"id": a.name, "object": "model", "created": 0, "owned_by": "socle", "title": a.title}
            for a in service.assistants(principal)
        ],
    }


def usage(answer: Answer) -> dict[str, int]:
    """OpenAI's token counts, from the answer's footprint: zeros when no model wrote it."""
    tokens_in, tokens_out = answer.footprint.tokens_in, answer.footprint.tokens_out
    return {"prompt_tokens": tokens_in, "completion_tokens": tokens_out, "total_tokens": tokens_in + tokens_out}


@router.post("/chat/completions", summary="Réponse sourcée d'un assistant (compatible OpenAI)", response_model=None)
async def chat_completions(
    body: ChatRequest, principal: Caller, service: Svc, request: Request
) -> Response | dict[str, Any]:
    check_conversation(body.messages, service.settings)
    question, history = _history(body.messages, body.socle_choice)
    created = int(time.time())
    completion_id = f"chatcmpl-{uuid.uuid4().hex}"
    assistant = service.assistant(principal, body.model)  # 404 before anything streams
    sources = choose_format(
        body.socle_sources, assistant.settings, from_web_page=not getattr(request.state, "via_key", True)
    )
    # Absolute links: the client showing them (a chat interface elsewhere) is not Socle.
    base_url = str(request.base_url)

    if not body.stream:
        answer, answer_id = await run_in_threadpool(
            partial(service.ask, conversation=body.socle_conversation),
            principal,
            body.model,
            question,
            history,
            None,
            body.socle_choice,
        )
        content = answer_content(answer, sources, base_url).text
        return {
            "id": completion_id,
            "object": "chat.completion",
            "created": created,
            "model": body.model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
            "usage": usage(answer),
            "socle": socle_extra(answer, answer_id),
        }

    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()

    def on_token(piece: str) -> None:
        loop.call_soon_threadsafe(queue.put_nowait, ("token", piece))

    async def produce() -> None:
        try:
            result = await run_in_threadpool(
                partial(service.ask, conversation=body.socle_conversation),
                principal,
                body.model,
                question,
                history,
                on_token,
                body.socle_choice,
            )
            await queue.put(("done", result))
        except Exception as exc:  # reported in the stream: the HTTP status is already sent
            await queue.put(("error", exc))

    include_usage = body.stream_options is not None and body.stream_options.include_usage
    head: dict[str, Any] = {
        "id": completion_id,
        "object": "chat.completion.chunk",
        "created": created,
        "model": body.model,
    }

    def chunk(delta: dict[str, Any], finish: str | None = None, extra: dict[str, Any] | None = None) -> str:
        payload: dict[str, Any] = head | {"choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
        if include_usage:  # as OpenAI: null on every chunk, the counts in a last chunk without choices
            payload["usage"] = None
        if extra is not None:
            payload["socle"] = extra
        return f"data: {json.dumps(payload, ensure_ascii=False)}\n\n"

    async def events() -> AsyncIterator[str]:
        task = asyncio.create_task(produce())
        yield chunk({"role": "assistant", "content": ""})
        try:
            while True:
                kind, value = await queue.get()
                if kind == "token":
                    yield chunk({}, extra={"preview": value})
                elif kind == "error":
                    message = str(value) if isinstance(value, SocleError) else "Erreur interne du serveur."
                    yield f"data: {json.dumps({'error': {'message': message, 'type': 'server_error'}})}\n\n"
                    break
                else:
                    answer, answer_id = value
                    content = answer_content(answer, sources, base_url)
                    yield chunk({"content": content.answer})
                    if content.sources:
                        yield chunk({"content": content.sources})
                    yield chunk({}, finish="stop", extra=socle_extra(answer, answer_id))
                    if include_usage:
                        yield f"data: {json.dumps(head | {'choices': [], 'usage': usage(answer)})}\n\n"
                    break
            yield "data: [DONE]\n\n"
        finally:
            await task  # the answer is recorded and audited even if the client went away

    return StreamingResponse(events(), media_type="text/event-stream", headers={"Cache-Control": "no-store"})


# -- assistants ------------------------------------------------------------------------------
class AssistantIn(BaseModel):
    name: str = Field(min_length=1, max_length=63)
    title: str = Field(min_length=1, max_length=200)
    collections: list[str] = Field(min_length=1)
    instructions: str = Field(default="", max_length=8000)
    examples: list[str] = Field(default_factory=list, max_length=20)
    threshold: float | None = Field(default=None, ge=0, le=1)
    sources: SourcesFormat | None = Field(
        default=None, description="Sources dans le texte des réponses de /v1/chat/completions : markdown ou none."
    )
    replace: bool = Field(default=False, description="Remplacer l'assistant de ce nom s'il existe (sinon 409).")


def assistant_json(a: Assistant) -> dict[str, Any]:
    data = asdict(a)
    data["chatmd"] = "chatmd" in a.settings  # the ChatMD source stays out of listings
    data["settings"] = {k: v for k, v in a.settings.items() if k != "chatmd"}
    return data


@router.get("/assistants", summary="Assistants accessibles")
def list_assistants(principal: Caller, service: Svc) -> list[dict[str, Any]]:
    return [assistant_json(a) for a in service.assistants(principal)]


@router.post("/assistants", summary="Créer ou remplacer un assistant (éditeur des collections)", status_code=201)
def create_assistant(body: AssistantIn, principal: Caller, service: Svc) -> dict[str, Any]:
    settings: dict[str, Any] = {"threshold": body.threshold} if body.threshold is not None else {}
    if body.sources is not None:
        settings["sources"] = body.sources
    saved = service.save_assistant(
        principal,
        Assistant(
            name=body.name,
            title=body.title,
            collections=body.collections,
            instructions=body.instructions,
            examples=body.examples,
            settings=settings,
        ),
        replace=body.replace,
    )
    return assistant_json(saved)


@router.get("/assistants/{name}", summary="Un assistant (et, pour un chatbot ChatMD, son message initial)")
def get_assistant(name: str, principal: Caller, service: Svc) -> dict[str, Any]:
    data = assistant_json(service.assistant(principal, name))
    intro = service.chatbot_intro(principal, name)
    if intro is not None:
        data["chatmd"] = {"text": intro["text"], "html": str(intro["html"]), "choices": intro["choices"]}
    return data


@router.post("/assistants/chatmd", summary="Importer un chatbot ChatMD (fichier Markdown)", status_code=201)
async def import_chatmd_assistant(
    principal: Caller,
    service: Svc,
    file: Annotated[UploadFile, File()],
    collection: Annotated[str | None, Form()] = None,
    replace: Annotated[bool, Form(description="Remplacer l'assistant de ce nom s'il existe (sinon 409).")] = False,
) -> dict[str, Any]:
    text = (await file.read(5_000_000)).decode("utf-8", errors="replace")
    assistant, notices = await run_in_threadpool(
        partial(service.import_chatmd, replace=replace), principal, text, file.filename or "", collection or None
    )
    return {"name": assistant.name, "collections": assistant.collections, "unsupported": notices}


@router.delete("/assistants/{name}", summary="Supprimer un assistant")
def delete_assistant(name: str, principal: Caller, service: Svc) -> dict[str, Any]:
    return {"deleted": service.delete_assistant(principal, name)}


# -- collections and documents ---------------------------------------------------------------
class CollectionIn(BaseModel):
    name: str = Field(min_length=1, max_length=63)


@router.get("/collections", summary="Collections lisibles")
def list_collections(principal: Caller, service: Svc) -> list[dict[str, Any]]:
    return service.collections(principal)


@router.post("/collections", summary="Créer une collection (administrateur)", status_code=201)
def create_collection(body: CollectionIn, principal: Caller, service: Svc) -> dict[str, Any]:
    service.create_collection(principal, body.name)
    return {"name": body.name}


@router.get("/documents", summary="Documents d'une collection")
def list_documents(collection: str, principal: Caller, service: Svc) -> list[dict[str, Any]]:
    return service.documents(principal, collection)


@router.get("/collections/{name}/facets", summary="Catégories et mots-clés d'une collection (filtres)")
def collection_facets(name: str, principal: Caller, service: Svc) -> dict[str, Any]:
    return {k: [{"value": v, "documents": n} for v, n in items] for k, items in service.facets(principal, name).items()}


@router.get("/documents/content", summary="Texte d'un document (vue des citations)")
def document_content(collection: str, key: str, principal: Caller, service: Svc) -> dict[str, Any]:
    return service.document(principal, collection, key)


@router.post("/documents", summary="Téléverser des documents (indexation en tâche de fond)", status_code=202)
async def upload_documents(
    principal: Caller,
    service: Svc,
    request: Request,
    collection: Annotated[str, Form()],
    files: Annotated[list[UploadFile], File()],
) -> dict[str, Any]:
    limit = service.settings.max_upload_mb * 1024 * 1024
    received = []
    for f in files:
        check_file_name(f.filename or "")
        data = await f.read(limit + 1)
        if len(data) > limit:
            raise SocleError(f"« {f.filename} » dépasse la taille maximale ({service.settings.max_upload_mb} Mo).")
        received.append((f.filename or "document", data))
    job = await run_in_threadpool(service.upload, principal, collection, received)
    return {"job": job, "status_url": f"/v1/jobs/{job}"}


def check_file_name(filename: str) -> None:
    """A name the file system can hold (the file is kept under it): 255 bytes at most."""
    name = PurePath(filename).name.strip()
    if len(os.fsencode(name)) > 255:
        shown = name if len(name) <= 60 else name[:57] + "…"
        raise SocleError(f"Nom de fichier trop long (255 octets au plus) : « {shown} ».")


@router.get("/jobs/{job_id}", summary="Avancement d'une indexation")
def get_job(job_id: PathId, principal: Caller, service: Svc) -> dict[str, Any]:
    return service.job(principal, job_id)


@router.delete("/documents", summary="Supprimer un document")
def delete_document(collection: str, key: str, principal: Caller, service: Svc) -> dict[str, Any]:
    return {"deleted": service.delete_document(principal, collection, key)}


# -- search ----------------------------------------------------------------------------------
class SearchRequest(BaseModel):
    query: str = Field(min_length=1, max_length=4000)
    collections: list[str] = Field(default_factory=list)
    assistant: str | None = None
    k: int = Field(default=5, ge=1, le=50)
    filters: dict[str, str | list[str]] = Field(
        default_factory=dict,
        description='Filtres sur les métadonnées : {"category": …}, {"keyword": …} ou tout autre champ.',
    )


# -- embeddings ------------------------------------------------------------------------------
EMBED_MAX_INPUTS = 256
EMBED_MAX_CHARS = 8000  # per text; the models read 512 tokens at most anyway
EMBED_PER_REQUEST = 32  # texts that count as one request for the rate limit


class EmbeddingsRequest(BaseModel):
    model: str = Field(description="Le modèle d'embeddings de Socle (GET /v1/models le liste ; « socle » convient).")
    input: str | list[str] = Field(description="Un texte ou une liste de textes (256 au plus).")
    encoding_format: Literal["float", "base64"] = "float"
    input_type: Literal["query", "passage"] = Field(
        default="passage",
        description="« query » pour une question, « passage » pour un texte à retrouver (modèles E5).",
    )
    user: str | None = None


@router.post("/embeddings", summary="Embeddings du modèle de Socle (compatible OpenAI)")
def embeddings(body: EmbeddingsRequest, principal: Caller, service: Svc, request: Request) -> dict[str, Any]:
    """Lets the institution's other tools share Socle's embedding model. Open to accounts
    that may read at least one collection; heavy requests count more against the rate
    limit; texts are neither stored nor cached (they are not Socle's documents)."""
    if not principal.is_admin and not principal.grants:
        raise PermissionDenied("Les embeddings sont réservés aux comptes ayant accès à au moins une collection.")
    embedder = service.embedder
    names = {"socle", embedder.name, service.settings.embedder}
    if body.model not in names:
        raise NotFoundError(f"Modèle d'embeddings inconnu : « {body.model} » (disponible : « {embedder.name} »).")
    texts = [body.input] if isinstance(body.input, str) else list(body.input)
    if not texts or len(texts) > EMBED_MAX_INPUTS:
        raise SocleError(f"Envoyez entre 1 et {EMBED_MAX_INPUTS} textes par requête ({len(texts)} reçus).")
    if any(not t.strip() for t in texts):
        raise SocleError("Un des textes est vide.")
    if any(len(t) > EMBED_MAX_CHARS for t in texts):
        raise SocleError(f"Un texte dépasse {EMBED_MAX_CHARS} caractères : découpez-le.")
    caller = f"key:{principal.key_id}" if principal.key_id is not None else f"user:{principal.username}"
    wait = request.app.state.limiter.allow(caller, len(texts) / EMBED_PER_REQUEST)  # the request itself was counted
    if wait > 0:
        raise RateLimited(wait)
    model = getattr(embedder, "inner", embedder)  # around the cache: other tools' texts are not kept
    if body.input_type == "query":
        vectors = np.stack([model.embed_query(t) for t in texts])
    else:
        vectors = model.embed_passages(texts)
    data = []
    for i, v in enumerate(np.asarray(vectors, dtype=np.float32)):
        value: Any = (
            base64.b64encode(v.astype("<f4").tobytes()).decode() if body.encoding_format == "base64" else v.tolist()
        )
        data.append({"object": "embedding", "index": i, "embedding": value})
    tokens = sum(max(1, len(t) // 4) for t in texts)  # estimated: ~4 characters per token
    return {
        "object": "list",
        "data": data,
        "model": embedder.name,
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    }


@router.post("/search", summary="Recherche hybride (passages), avec filtres facultatifs")
def search(body: SearchRequest, principal: Caller, service: Svc) -> dict[str, Any]:
    passages = service.search(principal, body.collections, body.query, body.k, body.assistant, body.filters)
    return {"results": [passage_json(p) for p in passages]}


# -- feedback --------------------------------------------------------------------------------
class FeedbackIn(BaseModel):
    answer_id: int = Field(ge=0, le=MAX_ID)
    useful: bool
    comment: str = Field(default="", max_length=4000)
    correction: str = Field(default="", max_length=4000)


@router.post("/feedback", summary="Évaluer une réponse (utile / pas utile, commentaire, correction)", status_code=201)
def feedback(body: FeedbackIn, principal: Caller, service: Svc) -> dict[str, Any]:
    return service.rate(principal, body.answer_id, body.useful, body.comment, body.correction)


@router.get("/corrections", summary="Corrections en attente de validation (éditeurs)")
def pending_corrections(principal: Caller, service: Svc) -> list[dict[str, Any]]:
    return service.pending_corrections(principal)


@router.post("/corrections/{correction_id}/validate", summary="Valider une correction (éditeur)")
def validate_correction(correction_id: PathId, principal: Caller, service: Svc) -> dict[str, Any]:
    return service.validate_correction(principal, correction_id)


# -- audit -----------------------------------------------------------------------------------
@router.get("/audit", summary="Journal d'audit (administrateurs ; éditeurs : leurs collections)", response_model=None)
def audit(
    principal: Caller,
    service: Svc,
    format: Annotated[Literal["json", "jsonl", "csv"], Query()] = "json",
    since_id: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
    limit: Annotated[int | None, Query(ge=1, le=100000)] = None,
) -> Response | list[dict[str, Any]]:
    rows = service.audit(principal, since_id, limit)
    if format == "json":
        return rows
    if format == "jsonl":
        body = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
        return Response(body, media_type="application/x-ndjson", headers=_attachment("audit.jsonl"))
    out = io.StringIO()
    writer = safe_csv_writer(out)  # formula cells neutralised (CSV injection)
    writer.writerow(AUDIT_FIELDS)
    for r in rows:
        writer.writerow(
            [json.dumps(r[f], ensure_ascii=False) if isinstance(r[f], (list, dict)) else r[f] for f in AUDIT_FIELDS]
        )
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8", headers=_attachment("audit.csv"))


def _attachment(name: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{name}"'}


@router.get("/me", summary="Utilisateur courant et ses droits")
def me(principal: Caller) -> JSONResponse:
    return JSONResponse({"username": principal.username, "admin": principal.is_admin, "grants": principal.grants})
