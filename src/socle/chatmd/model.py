"""The structure of a ChatMD chatbot, as Socle understands it.

A ChatMD file is one Markdown document: a title, an initial message, then responses
(headings), each with the keywords that trigger it, a Markdown content, and choice
buttons whose targets are other responses' titles. These dataclasses hold exactly that;
:func:`socle.chatmd.parse_chatmd` fills them and :func:`socle.chatmd.to_chatmd` writes
them back. ``to_dict()`` gives the JSON shape of ``socle chatmd parse --json``.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Choice:
    """A button at the end of a message: its ``label`` and the response title it opens.

    An empty ``target`` means "back to the initial message" (ChatMD's ``[label]()``).
    """

    label: str
    target: str
    random: bool = False  # numbered "1)" instead of "1.": ChatMD shuffles these buttons
    condition: str = ""  # the `if ...` block around the button, with dynamic content

    def to_dict(self) -> dict[str, str]:
        return {"label": self.label, "target": self.target}


@dataclass
class Message:
    """The initial message: Markdown content and its buttons."""

    content: str
    choices: list[Choice] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"content": self.content, "choices": [c.to_dict() for c in self.choices]}


@dataclass
class Response:
    """One possible answer of the chatbot (a heading of the file)."""

    title: str
    keywords: list[str] = field(default_factory=list)
    content: str = ""
    choices: list[Choice] = field(default_factory=list)
    line: int = 0  # 1-based line of the heading in the source file; 0 if not from a file
    # The source lines under the heading, kept so that an unmodified response is exported
    # exactly as written (with the ChatMD features Socle does not interpret).
    source: tuple[str, ...] | None = field(default=None, repr=False, compare=False)
    heading: str = field(default="", repr=False, compare=False)  # the heading line as written
    _snapshot: tuple[Any, ...] | None = field(default=None, repr=False, compare=False)

    @property
    def positive_keywords(self) -> list[str]:
        """Keywords that trigger the response (without ChatMD's negative ``! `` ones)."""
        return [k for k in self.keywords if not k.startswith("! ")]

    @property
    def negative_keywords(self) -> list[str]:
        """Keywords that must *not* be in the question (``! mot`` in ChatMD), without the ``! ``."""
        return [k[2:] for k in self.keywords if k.startswith("! ")]

    def fingerprint(self) -> tuple[Any, ...]:
        return (
            self.title,
            tuple(self.keywords),
            self.content,
            tuple((c.label, c.target, c.random, c.condition) for c in self.choices),
        )

    def is_modified(self) -> bool:
        """True if the response changed since it was parsed (or was not parsed at all)."""
        return self._snapshot is None or self._snapshot != self.fingerprint()

    def to_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "keywords": list(self.keywords),
            "content": self.content,
            "choices": [c.to_dict() for c in self.choices],
        }


@dataclass
class Unsupported:
    """A ChatMD feature of the file that Socle does not interpret, with a French message."""

    feature: str  # stable identifier, e.g. "variables_dynamiques", "directive:!Next"
    where: str  # "en-tête YAML", "message initial" or the response title
    line: int  # 1-based line in the source file (0 if unknown)
    message: str  # French, shown to the person importing the file

    def to_dict(self) -> dict[str, Any]:
        return {"feature": self.feature, "where": self.where, "line": self.line, "message": self.message}


@dataclass
class Chatbot:
    """A whole ChatMD chatbot."""

    title: str
    initial_message: Message
    responses: list[Response] = field(default_factory=list)
    options: dict[str, Any] = field(default_factory=dict)  # the YAML header, as written
    unsupported: list[Unsupported] = field(default_factory=list)
    # The YAML header text as written, reused on export while ``options`` is unchanged.
    header_source: str | None = field(default=None, repr=False, compare=False)
    intro_source: tuple[str, ...] | None = field(default=None, repr=False, compare=False)
    intro_has_title: bool = field(default=True, repr=False, compare=False)  # False: no "# " line
    _snapshot: Any = field(default=None, repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of ``socle chatmd parse --json``."""
        return {
            "title": self.title,
            "initial_message": self.initial_message.to_dict(),
            "responses": [r.to_dict() for r in self.responses],
            "unsupported": [u.to_dict() for u in self.unsupported],
        }

    def response(self, title: str) -> Response | None:
        """The response a choice ``target`` opens (ChatMD takes the first exact title match)."""
        for r in self.responses:
            if r.title == title:
                return r
        return None

    def add_keyword(self, title: str, keyword: str) -> bool:
        """Add ``keyword`` to the response ``title`` (the first of that title, as ChatMD's
        buttons reach). False if it already has it (accents and case aside); KeyError if
        there is no such response. The response is then written anew on export."""
        from socle.chatmd._js import normalize_text

        response = self.response(title)
        if response is None:
            raise KeyError(title)
        keyword = " ".join(keyword.split())
        if not keyword or normalize_text(keyword) in {normalize_text(k) for k in response.keywords}:
            return False
        response.keywords.append(keyword)
        return True

    def broken_choices(self) -> list[tuple[str, Choice]]:
        """(where, choice) for every button whose target is no response title."""
        titles = {r.title for r in self.responses}
        out: list[tuple[str, Choice]] = []
        for where, choices in [("message initial", self.initial_message.choices)] + [
            (r.title, r.choices) for r in self.responses
        ]:
            out.extend((where, c) for c in choices if c.target and c.target not in titles)
        return out

    @property
    def default_messages(self) -> list[str]:
        """The author's fallback messages (``messageParDéfaut``), if any."""
        value = self.options.get("messageParDéfaut") or self.options.get("defaultMessage")
        if isinstance(value, dict):
            value = list(value.values())
        if isinstance(value, list):
            return [str(v) for v in value if str(v).strip()]
        return []

    def mark_clean(self) -> None:
        """Record the current state as "as parsed", so that export can reuse the source text."""
        self._snapshot = (copy.deepcopy(self.options), *self._intro_fingerprint())
        for r in self.responses:
            r._snapshot = r.fingerprint()

    def options_modified(self) -> bool:
        return self._snapshot is None or self._snapshot[0] != self.options

    def intro_modified(self) -> bool:
        return self._snapshot is None or self._snapshot[1:] != self._intro_fingerprint()

    def _intro_fingerprint(self) -> tuple[Any, ...]:
        choices = tuple((c.label, c.target, c.random, c.condition) for c in self.initial_message.choices)
        return (self.title, self.initial_message.content, choices)
