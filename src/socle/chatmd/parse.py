"""Parse a ChatMD file into a :class:`Chatbot`, with ChatMD's own semantics.

The rules below are those of ChatMD's parser (``parseMarkdown`` and its helpers in
``app/js/core/chatbot/``), re-derived step by step so that Socle finds the same responses,
titles, keywords and choice targets on any file, including odd ones:

1. The YAML header is read from the text between the first two ``---`` (header.py).
2. Everything before the first line starting with ``# `` is dropped (the header, but also
   any preamble). Without such a line, only a leading ``---`` block is dropped.
3. Fixed variables whose name starts with ``_`` (``@{_menu}``) are substituted.
4. The *introduction* ends where the first ``# `` (two characters, anywhere after the
   first character, not only at a line start) appears; its title is the text after the
   first ``# ``, and the rest is the initial message, whose ``>`` quote marks are removed.
5. Lines are then read one by one. A line starting with one of the response heading
   prefixes (``responsesTitles``, default ``## ``) — or equal to ``## <chatbot title>`` —
   starts a response. Right under it, with no blank line in between, lines starting with
   ``- `` are keywords. A line ``1. [label](target)`` (or ``1)``) is a choice button
   wherever it is, unless the target is an external link (http, mailto:, tel:); a target
   ``#Some-title`` means "Some title". With dynamic content on, `` `if ...` `` and
   `` `endif` `` lines set the condition of the buttons that follow. Headings above the
   response level (``# ``, or ``## `` when responses are ``### ``) are dropped; everything
   else is content.
6. A response whose title is empty is dropped (except the last one).

Socle keeps the content as Markdown (blank lines included, choices and keywords removed)
rather than ChatMD's list of non-empty lines, and reports every ChatMD feature it does not
interpret in :attr:`Chatbot.unsupported` (unsupported.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from socle.chatmd._js import JS_S, JS_SPACE, js_trim, js_trim_start, starts_with_any
from socle.chatmd.header import Settings, header_text, js_string, js_truthy, load_header, settings_from
from socle.chatmd.model import Chatbot, Choice, Message, Response
from socle.chatmd.unsupported import Scanner

DEFAULT_CHOICE_LABEL = "suite"  # ChatMD's config.defaultChoiceOptionText
_CHOICE_RE = re.compile(r"^[0-9]{1,3}[.)]" + JS_S + r"\[([^\]]*?)\]\(([^)]*)\)" + JS_S + r"*\Z")
_RANDOM_CHOICE_RE = re.compile(r"^[0-9]{1,3}\)")
_EXTERNAL_LINKS = ("http", "mailto:", "tel:")
_IF_RE = re.compile(r"`if ([^\n\r\u2028\u2029]*?)`")
_QUOTE_RE = re.compile(r"^>" + JS_S + "?", re.MULTILINE)
_TITLE_RE = re.compile(r"# [^\n\r\u2028\u2029]*")
_FIXED_VARIABLE_RE = re.compile(r"@\{(_[^" + re.escape(JS_SPACE) + r"]+)\}")
_INTRO_HEADINGS = ("# ", "## ", "### ", "#### ", "##### ")


def parse_chatmd(text: str) -> Chatbot:
    """Parse the text of a ChatMD file. Never fails: an odd file gives what ChatMD would show."""
    if text.startswith("\ufeff"):  # the browser's fetch().text() drops a UTF-8 BOM
        text = text[1:]
    header = header_text(text)
    data, yaml_error = load_header(header) if header is not None else (None, None)
    settings = settings_from(data)
    options: dict[str, Any] = data if isinstance(data, dict) else {}

    md = text.replace("\r\n", "\n")
    md, first_line = _remove_yaml(md)
    if js_truthy(settings.variables):
        md = _substitute_fixed_variables(md, settings.variables)
    title, initial, index_end, title_found = _extract_introduction(md)
    scanner = Scanner(settings, options, yaml_error)
    entries, quoted_lines = _read_entries(md, title, initial, index_end, settings, first_line, scanner)

    intro, responses = entries[0], entries[1:]
    # The introduction as written (before ChatMD removes its ">" quote marks), for export.
    intro_source: tuple[str, ...] | None = None
    # (When a response heading without "# " ends the introduction inside the initial
    # message — responsesTitles: ["##"] — the introduction is regenerated on export.)
    if intro.is_intro and len(intro.source) >= quoted_lines:
        lines, rest = initial.split("\n"), intro.source[quoted_lines:]
        if rest:  # the introduction ended inside a line (at a "# "): write that line whole
            lines[-1] += rest[0]
            rest = rest[1:]
        elif len(lines) > 1 and lines[-1] == "":
            lines.pop()  # the newline before the first response heading, written by the export
        intro_source = tuple(lines + rest)
    chatbot = Chatbot(
        title=_fix_backslashes(title),
        initial_message=Message(content=intro.markdown(), choices=intro.choices),
        responses=[
            Response(
                title=e.title or "",
                keywords=e.keywords,
                content=e.markdown(),
                choices=e.choices,
                line=e.line,
                source=None if e.unquoted else tuple(e.source),
                heading=e.heading,
            )
            for e in responses
        ],
        options=options,
        unsupported=scanner.findings,
        header_source=header if data is not None and yaml_error is None else None,
        intro_source=intro_source,
        intro_has_title=title_found,
    )
    chatbot.mark_clean()
    return chatbot


def _fix_backslashes(value: str) -> str:
    # ChatMD replaces every "\\" of the file by "&#92;&#92;" (for LaTeX) before parsing;
    # titles, keywords and targets carry that through. Content keeps its backslashes.
    return value.replace("\\\\", "&#92;&#92;")


def _remove_yaml(md: str) -> tuple[str, int]:
    """ChatMD's removeYaml, plus the 1-based source line where the result starts."""
    md = "\n" + md
    h1 = md.find("\n# ")
    if h1 > -1:
        rest = md[h1:]
        kept = js_trim_start(rest)
        return kept, md[: h1 + len(rest) - len(kept)].count("\n")
    trimmed = js_trim_start(md)
    skipped = md[: len(md) - len(trimmed)].count("\n")
    if trimmed.startswith("---\n"):
        end = trimmed.find("\n---\n", 4)
        if end > -1:
            rest = trimmed[end + 5 :]
            kept = js_trim_start(rest)
            return kept, skipped + trimmed[: end + 5 + len(rest) - len(kept)].count("\n")
    return trimmed, skipped


def _substitute_fixed_variables(md: str, variables: Any) -> str:
    """``@{_name}`` → the variable's value, before parsing (ChatMD's "preprocess" pass).

    A value with alternatives (a list, or ``a /// b``) is drawn at random by ChatMD; Socle
    takes the first one, and reports it (unsupported.py)."""

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        raw = variables.get(name) if isinstance(variables, dict) else None
        if not js_truthy(raw):
            return match.group(0)
        options = raw if isinstance(raw, list) else js_string(raw).split("///")
        return js_string(options[0]) if options else ""

    return _FIXED_VARIABLE_RE.sub(value, md)


def _extract_introduction(md: str) -> tuple[str, str, int, bool]:
    """(title, initial message, end of the introduction in the trimmed text, title found)."""
    md = js_trim(md)
    after_first = md[1:]
    starts = [i for i in (after_first.find(h) for h in _INTRO_HEADINGS) if i > 0]
    index_end = min(starts) + 1 if starts else len(md)
    intro = md[:index_end]
    match = _TITLE_RE.search(intro)
    title_text = match.group(0) if match else "Chatbot"
    start = intro.find(title_text)
    initial = intro[start + len(title_text) :] if match else intro[max(start, 0) :]
    return js_trim(title_text.replace("# ", "", 1)), initial, index_end, match is not None


@dataclass
class _Entry:
    title: str | None
    heading: str = "## "
    line: int = 0
    keywords: list[str] = field(default_factory=list)
    choices: list[Choice] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)  # content lines, blank ones included
    source: list[str] = field(default_factory=list)  # every line under the heading
    is_intro: bool = False
    unquoted: bool = False

    def markdown(self) -> str:
        """The content as Markdown: blank lines kept (one for several, as Markdown reads
        them), none at either end."""
        lines: list[str] = []
        for line in self.lines:
            if js_trim(line):
                lines.append(line)
            elif lines and lines[-1]:
                lines.append("")
        while lines and not lines[-1]:
            lines.pop()
        return "\n".join(lines)


def _structure_headings(titles: tuple[str, ...]) -> tuple[str, ...]:
    """Headings above the response level: ChatMD drops them from the content."""
    if not titles:
        return ()
    level = min(t.rfind("#") + 1 for t in titles)
    return tuple("#" * i + " " for i in range(1, level))


def _read_entries(
    md: str,
    title: str,
    initial: str,
    index_end: int,
    settings: Settings,
    first_line: int,
    scanner: Scanner,
) -> tuple[list[_Entry], int]:
    """ChatMD's getChatbotInformations: the introduction first, then every response.

    Also returns how many lines of the introduction come from the (unquoted) initial message."""
    title_line = "## " + title if title else "## Chatbot"
    initial = _QUOTE_RE.sub("", initial)
    trimmed = js_trim(md)
    rest = trimmed[index_end:]
    lines = (title_line + "\n" + initial + "\n" + rest).split("\n")
    # Source line numbers: the introduction's are approximate when ">" marks joined lines.
    lead = len(md) - len(js_trim_start(md))
    intro_lines = initial.count("\n") + 1
    rest_first = first_line + md[: lead + index_end].count("\n")
    numbers = (
        [first_line]
        + [first_line + i for i in range(intro_lines)]
        + [rest_first + i for i in range(rest.count("\n") + 1)]
    )

    titles = settings.responses_titles
    structure = _structure_headings(titles)
    entries: list[_Entry] = []
    current: _Entry | None = None
    keywords_allowed = True
    list_parsed = False
    conditions: list[str] = []  # never reset between responses, as in ChatMD
    condition = ""

    for index, line in enumerate(lines):
        number = numbers[index] if index < len(numbers) else 0
        prefix = starts_with_any(line, titles)
        if prefix is not None or line == title_line:
            heading = line  # as written, for export
            if line == title_line:
                line = line.replace("## ", "", 1)
            # ChatMD strips the prefix found on the (possibly already stripped) line; when
            # there is none, JavaScript's replace(undefined, "") removes the text "undefined".
            found = starts_with_any(line, titles)
            new_title = js_trim(line.replace(found if found is not None else "undefined", "", 1))
            if current is not None and current.title:
                entries.append(current)
            current = _Entry(title=new_title, heading=heading, line=number, is_intro=index == 0)
            scanner.enter(new_title, is_intro=index == 0)
            keywords_allowed = True
            list_parsed = False
            continue
        assert current is not None  # the first line is always the title line
        current.source.append(line)
        if 0 < index <= intro_lines and not current.is_intro:
            current.unquoted = True  # its source lines lost their ">": not reusable as is
        scanner.line(line, number)
        if not js_trim(line):
            keywords_allowed = False
        if keywords_allowed and line.startswith("- ") and not list_parsed:
            current.keywords.append(_fix_backslashes(js_trim(line.replace("- ", "", 1))))
            continue
        if settings.dynamic_content:
            match = _IF_RE.search(line)
            if match or "`endif`" in line:
                if match:
                    conditions.append(match.group(1) or "")
                elif conditions:
                    conditions.pop()
                condition = " && ".join(conditions)
                current.lines.append(line)
                list_parsed = True
                continue
        choice = _CHOICE_RE.match(line)
        if choice and not js_trim(choice.group(2)).lower().startswith(_EXTERNAL_LINKS):
            list_parsed = False
            target = choice.group(2)
            if target.startswith("#"):
                target = target[1:].replace("-", " ")
            current.choices.append(
                Choice(
                    label=_fix_backslashes(choice.group(1) or DEFAULT_CHOICE_LABEL),
                    target=_fix_backslashes(target),
                    random=bool(_RANDOM_CHOICE_RE.match(line)),
                    condition=condition,
                )
            )
            scanner.choice(current.choices[-1], number)
            continue
        if not line:
            # The initial message ends with the newline before the cut: not a blank line
            # of the text (without this, moving the cut would change the content).
            if index != intro_lines:
                current.lines.append(line)
        elif starts_with_any(line, structure) is None:
            current.lines.append(line)
            list_parsed = True
    assert current is not None
    entries.append(current)
    return entries, intro_lines
