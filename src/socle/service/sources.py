"""An answer's sources written into the message text, for clients that read nothing else.

OpenAI client libraries (openai, llm, LangChain, LiteLLM) keep ``message.content`` and
drop the ``socle`` object of a chat completion, so their users would never see where an
answer comes from. By default the content therefore carries, after the answer, its
numbered sources in Markdown — each a link to the quoted span on Socle's document page,
with its location and a short quote — and the AI notice; an abstention carries the
closest passages instead, and no notice (nothing was answered). A quote the answer already
gives word for word (an extractive answer) is not repeated::

    <answer with [1] markers>

    **Sources**
    1. [Titre](https://socle.example/documents/rh?cle=…&debut=10&fin=80#citation) — Section, « passage… »

    *Réponse générée automatiquement par une IA à partir des documents cités ; vérifiez les sources. Modèle : …*

Document text is untrusted: titles, locations, quotes, and answers built from them
(extractive quotes, verified model sentences) are escaped, so a document cannot put a
link, an image or HTML into a client's rendering. A ChatMD chatbot's response or fallback
message, written by a person, is given as written: their Markdown, no sources, no notice —
as the chatbot itself would (its buttons lead on, not passages).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, cast, get_args
from urllib.parse import quote

from socle.answer import Answer, Citation
from socle.models import Passage
from socle.parse._common import truncate_title

SourcesFormat = Literal["markdown", "none"]
SOURCES_FORMATS: tuple[str, ...] = get_args(SourcesFormat)
SOURCES_SETTING = "sources"  # assistant setting: the format when a request does not choose
DEFAULT_FORMAT: SourcesFormat = "markdown"
CLOSEST_PASSAGES = 3  # as many as the ``socle.closest_passages`` of an abstention
QUOTE_CHARS = 160

# Characters that start Markdown constructs (emphasis, code, links, images, HTML, autolinks,
# GFM strikethrough). Any ASCII punctuation may be backslash-escaped (CommonMark 2.4).
_SPECIAL = re.compile(r"[\\`*_\[\]<>~]")
_ENTITY = re.compile(r"&(?=#?[0-9A-Za-z]+;)")  # "&amp;" would be shown as "&"
_AUTOLINK = re.compile(r"(?<=[A-Za-z])://|(?<=\bwww)\.", re.IGNORECASE)  # GFM autolinks
# An answer's own [n] markers, escaped with the rest, are put back — unless what follows
# would make them a link ("[1](…)", "[1][…]") or a link definition ("[1]: …").
_ESCAPED_MARKER = re.compile(r"\\\[(\d+)\\\](?![(\[:])")
_URL_UNSAFE = str.maketrans({c: f"%{ord(c):02X}" for c in ' "()<>\\`'})


def choose_format(requested: str | None, settings: Mapping[str, Any], *, from_web_page: bool) -> SourcesFormat:
    """The request's choice, else the assistant's setting, else Markdown sources.

    Requests made with a session cookie come from Socle's own web page, which shows the
    sources from the ``socle`` object: they get the bare answer unless they ask."""
    if requested in SOURCES_FORMATS:
        return cast(SourcesFormat, requested)
    if from_web_page:
        return "none"
    setting = settings.get(SOURCES_SETTING)
    return cast(SourcesFormat, setting) if setting in SOURCES_FORMATS else DEFAULT_FORMAT


def escape_markdown(text: str) -> str:
    """``text`` on one line, shown literally by a Markdown renderer (no link, no HTML)."""
    text = _SPECIAL.sub(lambda m: "\\" + m.group(0), " ".join(text.split()))
    text = _ENTITY.sub(r"\\&", text)
    return _AUTOLINK.sub(lambda m: "\\" + m.group(0), text)


def shorten(text: str, limit: int = QUOTE_CHARS) -> str:
    """``text`` on one line, cut at a word boundary to at most ``limit`` characters."""
    return truncate_title(text, limit)


def document_link(
    collection: str,
    key: str | None = None,
    start: int | None = None,
    end: int | None = None,
    *,
    passage: int | None = None,
    document: int | None = None,
) -> str:
    """A document's page on the web interface (:mod:`socle.service.web`), the quoted span
    highlighted when given: the link of a citation, on the page and in the API's Markdown.
    The document is named by one of its passages or by its id when known: a key may be the
    file's path on the server, which is no one's business."""
    url = f"/documents/{quote(collection)}"
    if passage is not None and passage > 0:
        url += f"?passage={passage}"
    elif document is not None:
        url += f"?doc={document}"
    else:
        url += f"?cle={quote(key or '', safe='')}"
    if start is not None and end is not None:
        url += f"&debut={start}&fin={end}#citation"
    return url


def _page_url(base_url: str, collection: str, key: str, start: int, end: int, passage_id: int) -> str:
    # The same link as a citation on the web page: a validated correction has its own page.
    path = (
        document_link(collection, key, start, end, passage=passage_id)
        if passage_id > 0
        else f"/corrections/{-passage_id}"
    )
    return (base_url.rstrip("/") + path).translate(_URL_UNSAFE)


def citation_url(base_url: str, c: Citation) -> str:
    """The document page with the quoted span highlighted (what the web page links to)."""
    return _page_url(base_url, c.collection, c.document_key, c.start, c.end, c.passage_id)


def passage_url(base_url: str, p: Passage) -> str:
    return _page_url(base_url, p.collection, p.document_key, p.start, p.end, p.chunk_id)


def _link(title: str, url: str) -> str:
    return f"[{escape_markdown(title) or 'Document'}]({url})"


def _answer_markdown(answer: Answer) -> str:
    return _ESCAPED_MARKER.sub(r"[\1]", escape_markdown(answer.text))


def _citation_item(c: Citation, base_url: str, answer_text: str) -> str:
    # An extractive answer is the quote itself: it is not said twice.
    quote = " ".join(c.quote.split())
    shown = f"« {escape_markdown(shorten(quote))} »" if quote and quote not in answer_text else ""
    details = ", ".join(d for d in (escape_markdown(c.location), shown) if d)
    return f"{c.number}. {_link(c.document_title, citation_url(base_url, c))}" + (f" — {details}" if details else "")


def _passage_item(p: Passage, base_url: str) -> str:
    where = f" — {escape_markdown(p.location)}" if p.location else ""
    return f"- {_link(p.document_title, passage_url(base_url, p))}{where}"


@dataclass(frozen=True)
class Content:
    """The message content of a chat completion, in the two parts a stream sends."""

    answer: str
    sources: str  # "" or the blocks that follow the answer, each after a blank line

    @property
    def text(self) -> str:
        return self.answer + self.sources


def answer_content(answer: Answer, format: SourcesFormat, base_url: str) -> Content:
    """The content for ``format``: the bare answer text, or Markdown with its sources."""
    if format == "none" or answer.mode == "chatmd":  # a person's response (or fallback message), as written
        return Content(answer.text, "")
    blocks = []
    if answer.citations:
        text = " ".join(answer.text.split())
        blocks.append("\n".join(["**Sources**", *(_citation_item(c, base_url, text) for c in answer.citations)]))
    elif answer.abstained and answer.passages:
        closest = answer.passages[:CLOSEST_PASSAGES]
        blocks.append("\n".join(["**Passages les plus proches :**", *(_passage_item(p, base_url) for p in closest)]))
    if answer.ai_generated and answer.citations and answer.ai_notice:  # it speaks of "documents cités"
        model = f" Modèle : {escape_markdown(answer.model)}" if answer.model.strip() else ""
        blocks.append(f"*{escape_markdown(answer.ai_notice)}{model}*")
    return Content(_answer_markdown(answer), "".join(f"\n\n{b}" for b in blocks))
