"""What the web interface and the HTTP API do, independent of HTTP.

One :class:`Service` per process holds the store, the embedder, one shared
:class:`~socle.retrieve.Retriever` (one in-memory index per collection, rebuilt when the
collection changes, whoever changed it), the language model if any, and the feedback
model. Every method takes the :class:`~socle.service.auth.Principal` making the request
and checks its permissions before touching a collection; every question, search, upload,
deletion and rating is appended to the audit log.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import os
import re
import secrets
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from socle.answer import Answer, Answerer, answer_record
from socle.config import Settings, home_dir
from socle.embed import Embedder
from socle.embed.cache import load_embedder
from socle.errors import ConflictError, NotFoundError, SocleError
from socle.footprint import FootprintModel, Meter
from socle.ingest import IngestReport, index_prepared, iter_prepared, parse_files
from socle.llm import Generator, OnToken, get_generator
from socle.models import Passage
from socle.ocr import page_progress
from socle.rerank import get_reranker
from socle.retrieve import Retriever
from socle.service.auth import PermissionDenied, Principal
from socle.service.chatmd_assistant import (
    ChatbotCache,
    Loaded,
    choices_answer,
    fallback_answer,
    import_chatmd,
    initial_message,
    response_answer,
)
from socle.service.display import from_row, stored_extra
from socle.service.feedback import Feedback
from socle.service.names import check_name, slugify
from socle.store import open_store
from socle.store.records import Assistant

QuestionFilter = Callable[[str, Sequence[str]], str]


def _sources(answer: Answer) -> list[dict[str, Any]]:
    return [
        {
            "collection": c.collection,
            "document": c.document_key,
            "title": c.document_title,
            "passage_id": c.passage_id,
            "location": c.location,
        }
        for c in answer.citations
    ]


def _without_folder(message: str, folder: Path) -> str:
    """A message with the server's upload folder taken out of the paths it names."""
    for prefix in {str(folder.resolve()), str(folder)}:
        message = re.sub(re.escape(prefix) + r"/[^/\s]+/", "", message)
    return message


HISTORY_TURNS = 6  # earlier questions of a conversation given to the answerer (as the API's _history)
REFUSALS_PER_MINUTE = 20  # refused requests audited per user and minute (then one summary row)


class Service:
    def __init__(
        self,
        settings: Settings,
        *,
        embedder: Embedder | None = None,
        generator: Generator | bool | None = True,
        question_filter: QuestionFilter | None = None,
    ) -> None:
        self.settings = settings
        self.store = open_store(settings.db)
        self.embedder = embedder or load_embedder(settings)
        self.feedback = Feedback(self.store, self.embedder)
        self.retriever = Retriever(
            self.store,
            self.embedder,
            settings.dense_weight,
            penalties=self.feedback.penalties,
            resolve=lambda spec: load_embedder(replace(settings, embedder=spec)),
            reranker=get_reranker(settings.reranker),
            rerank_candidates=settings.rerank_candidates,
        )
        if generator is True:
            generator = get_generator(
                settings.llm_backend, settings.llm_model, settings.llm_base_url, settings.llm_api_key
            )
        self.generator: Generator | None = generator or None
        self.footprint_model = FootprintModel(
            power_per_core_w=settings.power_per_core_w, pue=settings.pue, carbon_g_per_kwh=settings.carbon_g_per_kwh
        )
        # Pseudonymises questions before they reach the model and the audit log (privacy).
        self.question_filter: QuestionFilter = question_filter or self._privacy_filter
        # Ingestion is CPU-bound and the store has one writer: one job at a time, in order.
        self._ingestion = ThreadPoolExecutor(max_workers=1, thread_name_prefix="socle-ingest")
        # Uploads with scanned pages take minutes of OCR: they go through their own lane, so
        # that a long scan never holds the other uploads (socle.ocr, docs/ocr.md).
        self._scans = ThreadPoolExecutor(max_workers=1, thread_name_prefix="socle-ocr")
        self._model_lock = threading.Lock()  # one generation at a time on a local model
        self.uploads = home_dir() / "uploads"
        self.chatbots = ChatbotCache(self.embedder, self.retriever.reranker)
        self._refusals: dict[str | None, tuple[float, int]] = {}  # user -> (window start, refusals)
        self._refusals_lock = threading.Lock()

    def close(self) -> None:
        self._ingestion.shutdown(wait=True)
        self._scans.shutdown(wait=True)
        self.store.close()

    # -- assistants --------------------------------------------------------------------------
    def assistant(self, principal: Principal, name: str) -> Assistant:
        found = self.store.get_assistant(name)
        # Someone who may not use an assistant is told it does not exist (no information leak).
        if found is None or not principal.can_use(found):
            raise NotFoundError(f"L'assistant « {name} » n'existe pas ou ne vous est pas accessible.")
        return found

    def assistants(self, principal: Principal) -> list[Assistant]:
        return [a for a in self.store.assistants() if principal.can_use(a)]

    def authorize_assistant_write(
        self, principal: Principal, name: str, collections: Sequence[str], replace: bool
    ) -> Assistant | None:
        """The one check before any path creates or replaces an assistant (form, API, ChatMD
        import): edit rights on every collection the assistant will read *and* on every
        collection the existing one reads (otherwise an editor of one collection could take
        over an assistant of another), and an explicit ``replace`` when the name is taken.
        Returns the existing assistant, if any."""
        check_name(name, "l'assistant")
        existing = self.store.get_assistant(name)
        if existing is not None and not all(principal.can_edit(c) for c in existing.collections):
            # Neither the assistant's collections nor its content are told.
            raise PermissionDenied(
                f"Le nom « {name} » est déjà pris par un assistant que vous ne pouvez pas modifier : choisissez-en un autre."
            )
        for c in collections:
            check_name(c, "collection")
            principal.require_edit(c)
        if existing is not None and not replace:
            raise ConflictError(
                f"Un assistant « {name} » existe déjà. Cochez « remplacer » (ou envoyez replace=true) pour le remplacer."
            )
        return existing

    def save_assistant(self, principal: Principal, assistant: Assistant, *, replace: bool = False) -> Assistant:
        if not assistant.collections:
            raise SocleError("Un assistant doit lire au moins une collection.")
        self.authorize_assistant_write(principal, assistant.name, assistant.collections, replace)
        for c in assistant.collections:
            self.store.ensure_collection(c, self.embedder.name)
        assistant.created_by = assistant.created_by or principal.username
        saved = self.store.put_assistant(assistant)
        self._audit(principal, "assistant", assistant=saved.name, collections=saved.collections)
        return saved

    def delete_assistant(self, principal: Principal, name: str) -> bool:
        found = self.assistant(principal, name)
        for c in found.collections:
            principal.require_edit(c)
        removed = self.store.delete_assistant(name)
        self._audit(principal, "assistant_delete", assistant=name, collections=found.collections)
        return removed

    # -- questions ---------------------------------------------------------------------------
    def _privacy_filter(self, question: str, collections: Sequence[str]) -> str:
        """Personal data out of a question when any collection it reads is protected: the
        question then reaches neither the model, nor the answers table, nor the audit log
        with the names, e-mails, numbers… it carried (docs/privacy.md)."""
        from socle.privacy.policy import collection_mode
        from socle.privacy.pseudonymise import pseudonymise_question

        if all(collection_mode(self.store, c, self.settings.privacy_mode) == "off" for c in collections):
            return question
        return pseudonymise_question(question)[0]

    def filter_question(self, question: str, collections: Sequence[str]) -> str:
        return self.question_filter(question, collections)

    def ask(
        self,
        principal: Principal,
        assistant_name: str,
        question: str,
        history: Sequence[tuple[str, str]] = (),
        on_token: OnToken | None = None,
        choice: str | None = None,
        conversation: int | None = None,
    ) -> tuple[Answer, int]:
        """Answer ``question`` with the assistant; returns the answer and its stored id.
        ``choice`` is the target of a clicked ChatMD button (its response is returned as is).
        ``conversation``: 0 starts a conversation kept by Socle, an id continues one of the
        caller's own (its earlier questions are the history, whatever ``history`` says)."""
        assistant = self.assistant(principal, assistant_name)
        question = question.strip() or (choice or "")
        if not question:
            raise SocleError("La question est vide.")
        if len(question) > 4000:
            raise SocleError("La question est trop longue (4 000 caractères au plus).")
        question = self.filter_question(question, assistant.collections)
        if conversation:
            self.conversation(principal, conversation, assistant.name)  # the caller's own, or 404
            turns = self.store.conversation_answers(conversation)[-HISTORY_TURNS:]
            history = [(t["question"], t["answer"]) for t in turns]
        history = [(self.filter_question(q, assistant.collections), a) for q, a in history]
        threshold = float(assistant.settings.get("threshold", self.settings.answer_threshold))
        possible = float(assistant.settings.get("possible_threshold", self.settings.possible_threshold))
        answerer = Answerer(
            self.retriever,
            self.embedder,
            self.generator,
            threshold=threshold,
            possible_threshold=possible,
            footprint_model=self.footprint_model,
            instructions=assistant.instructions,
            corrections=self.feedback.lookup,
        )
        loaded = self.chatbots.get(assistant)
        answer: Answer | None = None
        if loaded is not None:  # a ChatMD chatbot: its own responses first
            answer = self._chatmd_response(loaded, assistant, question, choice)
        elif choice:
            raise SocleError("Cet assistant ne propose pas de choix.")
        if answer is None:
            if self.generator is not None and self.settings.llm_backend == "llamacpp":
                with self._model_lock:  # llama.cpp contexts are not re-entrant
                    answer = answerer.answer(assistant.collections, question, history=history, on_token=on_token)
            else:
                answer = answerer.answer(assistant.collections, question, history=history, on_token=on_token)
            if loaded is not None:
                answer = fallback_answer(loaded.chatbot, answer)
        if answer.abstained and answer.mode != "courtesy":
            answer.next_step = str(assistant.settings.get("contact") or "")
        if conversation == 0:
            title = " ".join(question.split())
            title = title if len(title) <= 80 else title[:80].rsplit(" ", 1)[0] + " …"
            conversation = self.store.create_conversation(principal.user.id, assistant.name, title)
        answer.conversation_id = conversation or None
        record = answer_record(answer) | {"username": principal.username, "assistant": assistant.name}
        record |= {"conversation_id": answer.conversation_id, "extra": stored_extra(answer)}
        answer_id = self.store.record_answer(record)
        self._audit(
            principal,
            "ask",
            assistant=assistant.name,
            collections=assistant.collections,
            question=question,
            answer_id=answer_id,
            sources=_sources(answer),
            footprint=answer.footprint.as_dict(),
            detail={"abstained": answer.abstained, "mode": answer.mode, "model": answer.model},
        )
        return answer, answer_id

    # -- conversations ---------------------------------------------------------------------------
    def conversation(self, principal: Principal, conversation_id: int, assistant: str | None = None) -> dict[str, Any]:
        """One of the caller's own conversations (with ``assistant`` when given); 404 for any
        other, whoever owns it: an identifier reveals nothing."""
        found = self.store.conversation(conversation_id)
        if found is None or found["user_id"] != principal.user.id or assistant not in (None, found["assistant"]):
            raise NotFoundError("Cette conversation n'existe pas.")
        return found

    def conversations(self, principal: Principal, assistant: str | None = None) -> list[dict[str, Any]]:
        return self.store.conversations(principal.user.id, assistant)

    def conversation_turns(self, principal: Principal, conversation_id: int) -> list[dict[str, Any]]:
        """The questions and answers of a conversation, as they were shown."""
        self.conversation(principal, conversation_id)
        return [from_row(row) for row in self.store.conversation_answers(conversation_id)]

    def rename_conversation(self, principal: Principal, conversation_id: int, title: str) -> None:
        title = " ".join(title.split())[:120]
        if not title:
            raise SocleError("Donnez un titre à la conversation.")
        self.conversation(principal, conversation_id)
        self.store.rename_conversation(conversation_id, title)

    def delete_conversation(self, principal: Principal, conversation_id: int) -> None:
        found = self.conversation(principal, conversation_id)
        self.store.delete_conversation(conversation_id)
        self._audit(principal, "conversation_delete", assistant=found["assistant"], detail={"id": conversation_id})

    def _chatmd_response(
        self, loaded: Loaded, assistant: Assistant, question: str, choice: str | None
    ) -> Answer | None:
        collection = ",".join(assistant.collections)
        with Meter(self.footprint_model) as meter:
            if choice:
                answer = response_answer(loaded.chatbot, choice, question, collection, meter)
                if answer is None:
                    raise NotFoundError(f"Le choix « {choice} » ne mène à aucune réponse de ce chatbot.")
                return answer
            decision = loaded.matcher.decide(question)
            if decision.kind == "fallback" or decision.best is None:
                return None
            match = decision.best
            # The teacher may have added documents beside the responses: when one of them
            # matches the question better than the best response, answer from it instead.
            top = self.retriever.search_many(assistant.collections, question, k=1)
            if top and not top[0].document_key.startswith("chatmd:") and (top[0].dense_score or 0) > match.similarity:
                return None
            if decision.kind == "choices":  # too close to decide: « Vouliez-vous dire… »
                return choices_answer(loaded.chatbot, decision, question, collection, meter)
        return response_answer(
            loaded.chatbot, match.response.title, question, collection, meter, match.score, decision=decision
        )

    def chatbot_intro(self, principal: Principal, name: str) -> dict[str, Any] | None:
        """The initial message and buttons of a ChatMD assistant (None for other assistants)."""
        loaded = self.chatbots.get(self.assistant(principal, name))
        return None if loaded is None else initial_message(loaded.chatbot)

    def import_chatmd(
        self,
        principal: Principal,
        text: str,
        filename: str = "",
        collection: str | None = None,
        *,
        replace: bool = False,
    ) -> tuple[Assistant, list[str]]:
        """Create an assistant from a ChatMD file; returns it and the French notices about
        features Socle does not support. Importing onto an existing assistant's name replaces
        it, which needs ``replace`` and edit rights on every collection it reads."""
        from socle.chatmd import parse_chatmd

        chatbot = parse_chatmd(text)
        name = slugify(chatbot.title or Path(filename).stem or "chatbot")
        target = collection or name
        existing = self.store.get_assistant(name)
        # The import keeps the collections the existing assistant read, and adds the target.
        reads = sorted({target, *(existing.collections if existing else ())})
        self.authorize_assistant_write(principal, name, reads, replace)
        assistant, parsed, _ = import_chatmd(
            self.store,
            self.embedder,
            text,
            source=filename,
            collection=target,
            name=name,
            created_by=principal.username,
            chunk_words=self.settings.chunk_words,
        )
        self._audit(
            principal,
            "assistant",
            assistant=assistant.name,
            collections=assistant.collections,
            detail={"chatmd": filename, "replaced": existing is not None},
        )
        return assistant, [u.message for u in parsed.unsupported]

    def search(
        self,
        principal: Principal,
        collections: Sequence[str],
        query: str,
        k: int = 5,
        assistant: str | None = None,
        filters: dict[str, str | list[str]] | None = None,
    ) -> list[Passage]:
        if assistant:
            collections = self.assistant(principal, assistant).collections
        if not collections:
            raise SocleError("Indiquez une collection ou un assistant.")
        principal.require_read(collections)
        for c in collections:
            self.store.collection_settings(c)  # NotFoundError for an unknown collection
        if not 1 <= k <= 50:
            raise SocleError("k doit être compris entre 1 et 50.")
        query = self.filter_question(query, collections)
        passages = self.retriever.search_many(list(collections), query, k=k, filters=filters or None)
        self._audit(
            principal,
            "search",
            assistant=assistant,
            collections=list(collections),
            question=query,
            sources=[
                {"collection": p.collection, "document": p.document_key, "passage_id": p.chunk_id} for p in passages
            ],
        )
        return passages

    # -- documents ---------------------------------------------------------------------------
    def collections(self, principal: Principal) -> list[dict[str, Any]]:
        return [
            asdict(c) | {"role": "admin" if principal.is_admin else principal.grants[c.name]}
            for c in self.store.collections()
            if principal.can_read(c.name)
        ]

    def create_collection(self, principal: Principal, name: str) -> None:
        principal.require_admin()
        check_name(name, "collection")
        self.store.ensure_collection(name, self.embedder.name)
        self._audit(principal, "collection", collections=[name])

    def documents(self, principal: Principal, collection: str) -> list[dict[str, Any]]:
        principal.require_read([collection])
        return [asdict(d) for d in self.store.documents(collection)]

    def document(
        self,
        principal: Principal,
        collection: str,
        key: str | None = None,
        *,
        document_id: int | None = None,
        passage: int | None = None,
    ) -> dict[str, Any]:
        """A document's text and metadata, for the citation view, by key, id or passage."""
        principal.require_read([collection])
        doc = self.store.document_text(collection, key, document_id=document_id, chunk_id=passage)
        if doc is None:
            raise NotFoundError(f"Ce document n'existe pas dans « {collection} ».")
        return doc

    def facets(self, principal: Principal, collection: str) -> dict[str, list[tuple[str, int]]]:
        """Categories and automatic keywords of a collection with document counts (filters)."""
        from socle.indexing import facets

        principal.require_read([collection])
        return facets(self.store, collection)

    def correction(self, principal: Principal, correction_id: int) -> dict[str, Any]:
        for c in self.store.all_corrections():
            # A correction of a collection one may not read does not exist for them (404, as
            # for an unknown id: its existence and its collection are not told).
            if c.id == correction_id and all(principal.can_read(p) for p in c.collection.split(",") if p):
                return {
                    "id": c.id,
                    "question": c.question,
                    "text": c.text,
                    "validated_by": c.validated_by,
                    "validated_at": c.validated_at,
                }
        raise NotFoundError(f"La correction {correction_id} n'existe pas.")

    def upload(self, principal: Principal, collection: str, files: Sequence[tuple[str, bytes]]) -> int:
        """Save the files under the collection's upload folder and ingest them in the
        background; returns the job id whose progress :meth:`job` reports."""
        check_name(collection, "collection")
        principal.require_edit(collection)
        if not files:
            raise SocleError("Aucun fichier reçu.")
        limit = self.settings.max_upload_mb * 1024 * 1024
        folder = self.uploads / collection
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        paths = []
        for filename, data in files:
            if len(data) > limit:
                raise SocleError(f"« {filename} » dépasse la taille maximale ({self.settings.max_upload_mb} Mo).")
            safe = Path(filename).name.strip().replace("\x00", "")
            if not safe or safe.startswith("."):
                raise SocleError(f"Nom de fichier refusé : « {filename} ».")
            if len(safe.encode()) > 255:  # checked for every file before any is written
                raise SocleError(f"Nom de fichier trop long (255 octets au plus) : « {safe[:60]}… ».")
            paths.append((folder / safe, data))
        self.store.ensure_collection(collection, self.embedder.name)
        for path, data in paths:
            # Readable by the service only, like the database (docs/security.md).
            with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as f:
                f.write(data)
            path.chmod(0o600)  # a file uploaded again keeps no wider mode
        job = self.store.create_job(collection, principal.username, len(paths))
        from socle.parse import has_scanned_pages

        saved = [p for p, _ in paths]
        lane = self._scans if any(has_scanned_pages(p) for p in saved) else self._ingestion
        lane.submit(self._run_ingestion, principal, job, collection, saved)
        return job

    def _run_ingestion(self, principal: Principal, job: int, collection: str, paths: list[Path]) -> None:
        report = IngestReport()
        meter = Meter(self.footprint_model)  # ingestion takes its share of the CPU, not the answers
        meter.__enter__()
        try:
            self.store.update_job(job, status="running", done=0)

            def ocr_page(done: int, total: int) -> None:  # progress of a scan, page by page
                self.store.update_job(job, status="running", done=0, report={"ocr_pages": done, "ocr_total": total})

            with page_progress(ocr_page):
                documents = parse_files(paths, report)
            folder = (self.uploads / collection).resolve()
            for doc in documents:
                # Keys and sources relative to the collection's upload folder: no absolute
                # server path reaches an agent (document lists, citations, links).
                try:
                    relative = str(Path(doc.key).relative_to(folder))
                except ValueError:
                    continue  # a record of a JSONL file keeps its own id
                self.store.remove_document(collection, doc.key)  # stored by an earlier release
                doc.key = doc.source = relative
            # Each document is written as soon as it is ready (searchable by its words), while
            # the next ones are still being checked for personal data; vectors come after.
            prepared = iter_prepared(self.store, collection, documents, report, self.settings.chunk_words)
            state = {"chunks_total": 0, "documents_total": len(documents), "searchable": 0}
            self.store.update_job(job, status="running", done=0, report=state)
            done = 0

            def searchable(n: int) -> None:  # found by their words from now on
                state["searchable"] = n + report.unchanged
                state["chunks_total"] = report.chunks
                self.store.update_job(job, status="running", done=done, report=state)

            def progress(n: int) -> None:  # vectors computed
                nonlocal done
                done = min(report.chunks, done + n)
                self.store.update_job(job, status="running", done=done, report=state)

            index_prepared(
                self.store, self.embedder, collection, prepared, report, on_chunks=progress, on_searchable=searchable
            )
            status = "done"
        except Exception as exc:  # reported in the job, never lost silently
            report.failed.append(("", f"Erreur pendant l'indexation : {exc}"))
            status = "failed"
        meter.__exit__(None, None, None)
        summary = {
            "footprint": meter.footprint().as_dict(),
            "added": report.added,
            "updated": report.updated,
            "unchanged": report.unchanged,
            "chunks": report.chunks,
            "failed": [{"source": Path(s).name, "message": _without_folder(m, self.uploads)} for s, m in report.failed],
            "warnings": [  # ingested with a caveat: OCR read poorly, scanned pages left unread
                {"source": Path(s).name, "message": _without_folder(m, self.uploads)} for s, m in report.warnings
            ],
            "privacy": dict(sorted(report.masked.items())),  # mentions masked by this job, by type
        }
        self.store.update_job(job, status=status, done=report.chunks, report=summary)
        self._audit(principal, "upload", collections=[collection], detail={"job": job, **summary})

    # -- personal data (socle.privacy; docs/privacy.md) ---------------------------------------
    def rereadable_documents(self, principal: Principal, collection: str) -> dict[str, Path]:
        """The collection's documents whose uploaded file the service still keeps (they can be
        processed again after an allow-list change); by document key."""
        principal.require_edit(collection)
        folder = (self.uploads / collection).resolve()
        found = {}
        for key in self.store.document_ids(collection):
            path = (folder / key).resolve()
            if path.is_relative_to(folder) and path.is_file():
                found[key] = path
        return found

    def reprocess(self, principal: Principal, collection: str) -> int:
        """Ingest the uploaded files of the collection's documents again (a background job, as
        an upload): after a change of its allow-list, what it keeps in clear changes."""
        paths = sorted(self.rereadable_documents(principal, collection).values())
        if not paths:
            raise SocleError(
                "Le service ne conserve le fichier d'aucun document de cette collection : "
                "remplacez les documents concernés (« Remplacer ») ou réingérez-les en ligne de commande."
            )
        job = self.store.create_job(collection, principal.username, len(paths))
        self._audit(principal, "privacy_reprocess", collections=[collection], detail={"job": job, "files": len(paths)})
        self._ingestion.submit(self._run_ingestion, principal, job, collection, paths)
        return job

    def allow_text(self, principal: Principal, collection: str, text: str, remove: bool = False) -> bool:
        """Add ``text`` to (or remove it from) the collection's allow-list: kept in clear at the
        next ingestion. Returns whether anything changed."""
        from socle.privacy.policy import add_allowed, remove_allowed

        principal.require_edit(collection)
        self.store.collection_settings(collection)  # 404 for an unknown collection: none is created here
        if remove:
            changed = bool(entries := remove_allowed(self.store, collection, text))
            detail: dict[str, Any] = {"entries": entries}
        else:
            changed = add_allowed(self.store, collection, text)
            detail = {"entry": " ".join(text.split())}
        if changed:
            self._audit(
                principal,
                "privacy_allow_remove" if remove else "privacy_allow",
                collections=[collection],
                detail=detail,
            )
        return changed

    def revealed_values(self, principal: Principal, collection: str, key: str) -> dict[str, str] | None:
        """Pseudonym → original value of one document, for an administrator, when the collection
        is in ``pseudonymise`` mode and the service has its key; None otherwise. Audited."""
        from socle.privacy.policy import collection_mode, reveal_mapping

        if not principal.is_admin or not self.settings.privacy_key:
            return None
        if collection_mode(self.store, collection, self.settings.privacy_mode) != "pseudonymise":
            return None
        try:
            mapping = reveal_mapping(self.store, collection, key, self.settings.privacy_key)
        except SocleError:
            return None  # no mapping, or another key: the page shows pseudonyms only
        self._audit(
            principal, "privacy_reveal", collections=[collection], detail={"document": key, "values": len(mapping)}
        )
        return mapping

    def job(self, principal: Principal, job_id: int) -> dict[str, Any]:
        job = self.store.job(job_id)
        if job is None or not principal.can_read(job["collection"]):
            raise NotFoundError(f"La tâche {job_id} n'existe pas.")
        return job

    def delete_document(self, principal: Principal, collection: str, key: str) -> bool:
        principal.require_edit(collection)
        removed = self.store.remove_document(collection, key)
        if not removed:
            raise NotFoundError(f"Le document « {key} » n'existe pas dans « {collection} ».")
        self._audit(principal, "delete", collections=[collection], detail={"document": key})
        return removed

    # -- feedback ----------------------------------------------------------------------------
    def rate(
        self, principal: Principal, answer_id: int, useful: bool, comment: str = "", correction: str = ""
    ) -> dict[str, Any]:
        answer = self.store.answer(answer_id)
        collections = [c for c in (answer or {}).get("collection", "").split(",") if c]
        if answer is None or not all(principal.can_read(c) for c in collections):
            raise NotFoundError(f"La réponse {answer_id} n'existe pas.")
        if answer["username"] != principal.username and not all(principal.can_edit(c) for c in collections):
            raise PermissionDenied("Seul l'auteur de la question (ou un éditeur) peut évaluer cette réponse.")
        comment, correction = comment.strip()[:4000], correction.strip()[:4000]
        feedback_id = self.store.add_feedback(answer_id, principal.username, 1 if useful else -1, comment, correction)
        correction_id = None
        validated = False
        if correction:
            validated = all(principal.can_edit(c) for c in collections)
            correction_id = self.store.add_correction(
                answer["collection"],
                answer["question"],
                correction,
                self.embedder.embed_query(answer["question"]),
                feedback_id,
                principal.username,
                validated_by=principal.username if validated else None,
            )
        self._audit(
            principal,
            "feedback",
            assistant=answer["assistant"],
            collections=collections,
            answer_id=answer_id,
            detail={"useful": useful, "comment": bool(comment), "correction": correction_id, "validated": validated},
        )
        return {"id": feedback_id, "correction_id": correction_id, "correction_validated": validated}

    def validate_correction(self, principal: Principal, correction_id: int) -> dict[str, Any]:
        found = next((c for c in self.store.all_corrections() if c.id == correction_id), None)
        if found is None or not all(principal.can_read(c) for c in found.collection.split(",") if c):
            raise NotFoundError(f"La correction {correction_id} n'existe pas.")
        for c in found.collection.split(","):
            principal.require_edit(c)
        done = self.store.validate_correction(correction_id, principal.username)
        self._audit(principal, "validate", collections=found.collection.split(","), detail={"correction": done.id})
        return {"id": done.id, "validated_by": done.validated_by, "validated_at": done.validated_at}

    def pending_corrections(self, principal: Principal) -> list[dict[str, Any]]:
        return [
            {"id": c.id, "collection": c.collection, "question": c.question, "text": c.text, "author": c.author}
            for c in self.store.all_corrections()
            if c.pending and all(principal.can_edit(x) for x in c.collection.split(","))
        ]

    # -- audit -------------------------------------------------------------------------------
    def _audit(self, principal: Principal | None, action: str, **entry: Any) -> None:
        self.store.append_audit({"username": principal.username if principal else None, "action": action, **entry})

    def audit(self, principal: Principal, since_id: int = 0, limit: int | None = None) -> list[dict[str, Any]]:
        """Admins read everything; editors read the rows of the collections they edit."""
        rows = self.store.audit_entries(since_id, limit)
        if principal.is_admin:
            return rows
        editable = {c for c, role in principal.grants.items() if role == "editor"}
        if not editable:
            raise PermissionDenied("Réservé aux administrateurs et aux éditeurs.")
        return [r for r in rows if r["collections"] and set(r["collections"]) <= editable]

    def audit_refusal(self, principal: Principal | None, method: str, path: str, status: int) -> None:
        """A refused request (403, 404 on a protected resource) in the audit log, so that a
        reader probing other collections is seen; at most :data:`REFUSALS_PER_MINUTE` rows
        per user and minute, then one ``refused_throttled`` row, so the audit cannot be
        flooded through it (counted per worker)."""
        who = principal.username if principal else None
        now = time.monotonic()
        with self._refusals_lock:
            start, count = self._refusals.get(who, (now, 0))
            if now - start >= 60:
                start, count = now, 0
            count += 1
            self._refusals[who] = (start, count)
        if count <= REFUSALS_PER_MINUTE:
            self._audit(principal, "refused", detail={"method": method, "path": path, "status": status})
        elif count == REFUSALS_PER_MINUTE + 1:
            self._audit(principal, "refused_throttled", detail={"per_minute": REFUSALS_PER_MINUTE})

    def audit_login(self, username: str, ok: bool, client: str | None) -> None:
        if not ok and looks_like_secret(username) and self.store.get_user(username) is None:
            username = secret_digest(username, self.settings.secret_key)  # a password in the wrong field
        self.store.append_audit(
            {"username": username, "action": "login" if ok else "login_failed", "detail": {"client": client}}
        )


# A password typed into the username field of the login form must not be written to the
# audit log (audit, issue 15). When a failed login names no account and looks like a secret,
# only a keyed digest is kept: repeated attempts can still be told apart, and whoever reads
# the log cannot test guesses against it (a plain hash of a weak password would confirm it).
_IDENTIFIER = re.compile(r"[\w.@'-]+")  # \w: letters (accented too), digits, underscore
_PROCESS_KEY = secrets.token_bytes(32)  # when no secret_key is shared by the workers


def looks_like_secret(text: str) -> bool:
    """Whether a login name looks like a password: characters unusual for identifiers
    (spaces, ``!#$%&*=?``...), long without being an e-mail address, upper and lower case
    mixed with digits, or as varied as random text."""
    if not text:
        return False
    if not _IDENTIFIER.fullmatch(text) or (len(text) >= 24 and "@" not in text):
        return True
    lower, upper, digit = (any(test(c) for c in text) for test in (str.islower, str.isupper, str.isdigit))
    if len(text) >= 10 and lower and upper and digit:
        return True
    counts = [text.count(c) for c in set(text)]
    bits_per_char = -sum(n / len(text) * math.log2(n / len(text)) for n in counts)
    return len(text) >= 12 and digit and bits_per_char >= 3.5


def secret_digest(text: str, key: str = "") -> str:
    """``inconnu:sha256:`` and 10 hexadecimal digits of an HMAC-SHA256 of ``text``."""
    digest = hmac.new(key.encode() or _PROCESS_KEY, text.encode(), hashlib.sha256).hexdigest()
    return f"inconnu:sha256:{digest[:10]}"
