"""An assistant described in one Markdown file, for non-experts::

    ---
    collections: [rh]            # the collection(s) it may read (required)
    nom: assistant-rh            # optional identifier (otherwise derived from the title)
    seuil: 0.5                   # optional: confident answers at or above (socle calibrate sets it)
    sources: markdown            # optional: sources in API answers' text (markdown, or none)
    ---
    # Assistant RH

    Instructions and tone, in plain French, as many paragraphs as needed.

    ## Questions suggérées
    - Combien de jours de congés pour un temps partiel ?
    - Comment demander un télétravail ?

The title is the first ``# `` heading, the instructions everything between it and the
``## Questions suggérées`` (or ``## Exemples``) section, whose list items are the
suggestions shown to users. Front-matter keys are accepted in French or English.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from socle.errors import SocleError
from socle.service.names import slugify
from socle.store.records import Assistant

_FRONT = re.compile(r"\A---\s*\n(.*?)\n---\s*(?:\n|\Z)", re.S)
_EXAMPLES = re.compile(r"^##\s+(questions sugg[ée]r[ée]es|exemples?( de questions)?|examples?)\s*$", re.I | re.M)


def _key(meta: dict[str, Any], *names: str) -> Any:
    for n in names:
        if n in meta:
            return meta[n]
    return None


def parse_assistant_markdown(text: str) -> Assistant:
    meta: dict[str, Any] = {}
    match = _FRONT.match(text)
    if match:
        try:
            loaded = yaml.safe_load(match.group(1)) or {}
        except yaml.YAMLError as exc:
            raise SocleError(f"En-tête YAML invalide : {exc}") from exc
        if not isinstance(loaded, dict):
            raise SocleError("L'en-tête YAML doit être une liste de clés « nom: valeur ».")
        meta = loaded
        text = text[match.end() :]
    title_match = re.search(r"^#\s+(.+?)\s*$", text, re.M)
    title = str(_key(meta, "titre", "title") or (title_match.group(1) if title_match else "")).strip()
    if not title:
        raise SocleError("Le fichier doit commencer par un titre « # Nom de l'assistant ».")
    body = text[title_match.end() :] if title_match else text
    examples: list[str] = []
    ex = _EXAMPLES.search(body)
    if ex:
        rest = body[ex.end() :]
        end = re.search(r"^#{1,2}\s", rest, re.M)
        section = rest[: end.start()] if end else rest
        examples = [m.group(1).strip() for m in re.finditer(r"^\s*[-*]\s+(.+)$", section, re.M)]
        body = body[: ex.start()] + (rest[end.start() :] if end else "")
    extra = _key(meta, "exemples", "examples", "questions")
    if isinstance(extra, list):
        examples = [str(e) for e in extra] + examples
    collections = _key(meta, "collections", "collection")
    if isinstance(collections, str):
        collections = [c.strip() for c in collections.split(",") if c.strip()]
    if not collections:
        raise SocleError("Indiquez les collections de l'assistant dans l'en-tête : « collections: [nom] ».")
    settings: dict[str, Any] = {}
    threshold = _key(meta, "seuil", "threshold")
    if threshold is not None:
        try:
            settings["threshold"] = float(threshold)
        except (TypeError, ValueError) as exc:
            raise SocleError(f"Seuil invalide : {threshold!r} (un nombre entre 0 et 1).") from exc
        if not 0 <= settings["threshold"] <= 1:
            raise SocleError("Le seuil doit être compris entre 0 et 1.")
    sources = _key(meta, "sources")
    if sources is not None:
        if str(sources) not in ("markdown", "none"):
            raise SocleError(f"Valeur de « sources » invalide : {sources!r} (markdown ou none).")
        settings["sources"] = str(sources)
    return Assistant(
        name=str(_key(meta, "nom", "name", "id") or slugify(title)),
        title=title,
        collections=[str(c) for c in collections],
        instructions=body.strip(),
        examples=examples,
        settings=settings,
    )


def assistant_markdown(assistant: Assistant) -> str:
    """The inverse of :func:`parse_assistant_markdown` (round trip)."""
    meta: dict[str, Any] = {"nom": assistant.name, "collections": assistant.collections}
    if "threshold" in assistant.settings:
        meta["seuil"] = assistant.settings["threshold"]
    if "sources" in assistant.settings:
        meta["sources"] = assistant.settings["sources"]
    head = yaml.safe_dump(meta, allow_unicode=True, sort_keys=False).strip()
    parts = [f"---\n{head}\n---\n", f"# {assistant.title}\n"]
    if assistant.instructions:
        parts.append(f"\n{assistant.instructions.strip()}\n")
    if assistant.examples:
        parts.append("\n## Questions suggérées\n\n" + "".join(f"- {q}\n" for q in assistant.examples))
    return "".join(parts)
