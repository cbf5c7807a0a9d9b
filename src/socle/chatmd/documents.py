"""A chatbot's responses as Socle documents, and their Markdown as Socle shows it.

:func:`to_documents` turns every response into a :class:`socle.models.Document` (key
``chatmd:<slug>``), so that the responses become passages of the assistant's collection
and grounded answers can cite them. :func:`display_markdown` is the content Socle shows
for a response: fixed variables filled in, the first of ChatMD's random variants, and
the directive and conditional lines (which Socle does not run) left out.
"""

from __future__ import annotations

import re
from typing import Any

from socle.analysis import fold_accents
from socle.chatmd.header import js_string, js_truthy
from socle.chatmd.match import plain_text
from socle.chatmd.model import Chatbot, Response
from socle.models import Block, Document
from socle.parse._common import markdown_to_blocks

MIME = "text/markdown"
_FIXED_VARIABLE = re.compile(r"@\{(\S+?)\}")
_DIRECTIVE_LINE = re.compile(
    r"^\s*!(?:Next|SelectNext|Select|Bot|Audio|Keyboard|Typewriter|Confettis?|RAG)\b.*$", re.IGNORECASE
)
_CONDITION_LINE = re.compile(r"^\s*`(?:if [^`]*|endif)`\s*$")
_RANDOM_SEPARATOR = re.compile(r"\n---[ \t]*\n")
_SLUG = re.compile(r"[^a-z0-9]+")


def slug(text: str) -> str:
    return _SLUG.sub("-", fold_accents(text.lower())).strip("-") or "reponse"


def _variable_value(variables: Any, name: str) -> str | None:
    value = variables.get(name) if isinstance(variables, dict) else None
    if not js_truthy(value):
        return None
    options = value if isinstance(value, list) else js_string(value).split("///")
    return js_string(options[0]).strip() if options else ""


def display_markdown(chatbot: Chatbot, markdown: str) -> str:
    """The Markdown Socle shows for a response (or the initial message) of ``chatbot``."""
    variables = chatbot.options.get("variables")
    text = _FIXED_VARIABLE.sub(lambda m: _variable_value(variables, m.group(1)) or m.group(0), markdown)
    text = _RANDOM_SEPARATOR.split("\n" + text + "\n")[0]
    lines = [line for line in text.split("\n") if not _DIRECTIVE_LINE.match(line) and not _CONDITION_LINE.match(line)]
    return "\n".join(lines).strip()


def to_documents(chatbot: Chatbot, source: str = "") -> list[Document]:
    """One document per response (empty responses, such as redirections, are left out)."""
    documents: list[Document] = []
    seen: dict[str, int] = {}
    for response in chatbot.responses:
        markdown = display_markdown(chatbot, response.content)
        if not plain_text(markdown):
            continue
        key = "chatmd:" + slug(response.title)
        seen[key] = seen.get(key, 0) + 1
        if seen[key] > 1:
            key += f"-{seen[key]}"
        blocks = [Block(response.title, "heading", 2), *markdown_to_blocks(markdown)]
        documents.append(
            Document(
                key=key,
                title=response.title,
                blocks=blocks,
                source=source,
                mime=MIME,
                metadata=_metadata(chatbot, response),
            )
        )
    return documents


def _metadata(chatbot: Chatbot, response: Response) -> dict[str, Any]:
    return {
        "keywords": response.positive_keywords,
        "chatmd_chatbot": chatbot.title,
        "chatmd_title": response.title,
        "chatmd_choices": [c.to_dict() for c in response.choices],
    }
