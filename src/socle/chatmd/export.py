"""Write a :class:`Chatbot` back as a ChatMD file that ChatMD parses to the same structure.

Two ways, per part of the file:

- a part Socle has not changed since it was parsed (the YAML header, the introduction, a
  response) is written from its source lines, so that the ChatMD features Socle does not
  interpret (conditional blocks, directives, buttons inside ``if`` blocks...) still work
  in ChatMD;
- a new or edited part is generated: ``## title``, its keywords as a ``- `` list right
  under it, a blank line, the Markdown content, then the buttons as an ordered list.
  Content lines that ChatMD would read as something else are made safe: a heading that
  would start a new response (or be dropped as a "structure" heading) is moved to a free
  heading level, and in the initial message, where ChatMD ends the introduction at the
  first ``"# "`` anywhere, that space becomes a no-break space.

:func:`export_problems` lists what ChatMD cannot represent (a title with ``)`` used as a
button target, a ``]`` in a button label...), in French, for the person exporting.
"""

from __future__ import annotations

import re

import yaml

from socle.chatmd._js import js_trim, starts_with_any
from socle.chatmd.header import settings_from
from socle.chatmd.model import Chatbot, Choice, Response
from socle.chatmd.parse import DEFAULT_CHOICE_LABEL

_HEADING = re.compile(r"^(#+)([ \t]+)(.*)$")


def to_chatmd(chatbot: Chatbot, *, keep_source: bool = True) -> str:
    """The ChatMD Markdown text of ``chatbot``.

    With ``keep_source`` (the default), unchanged parts are written as they were read;
    without it, everything is regenerated from the structure.
    """
    settings = settings_from(chatbot.options)
    titles = settings.responses_titles or ("## ",)
    options_unchanged = keep_source and not chatbot.options_modified()
    out: list[str] = []

    if chatbot.options:
        # A YAML comment line "# ..." would be taken for the chatbot's title: such a header
        # is rewritten (without its comments).
        source = chatbot.header_source
        if options_unchanged and source and source.startswith("\n") and source.endswith("\n") and "\n# " not in source:
            out.append("---" + source + "---\n")
        else:
            dumped = yaml.safe_dump(chatbot.options, allow_unicode=True, sort_keys=False, default_flow_style=False)
            out.append("---\n" + dumped + "---\n")
        out.append("")

    title = _one_line(chatbot.title)
    if options_unchanged and not chatbot.intro_modified() and chatbot.intro_source is not None:
        if chatbot.intro_has_title:
            out.append(f"# {title}" + chatbot.intro_source[0])  # + the rest of the title line
            out.extend(chatbot.intro_source[1:])
        else:  # a file without a "# " title: written without one, so that it reads the same
            out.extend(chatbot.intro_source)
    else:
        out.append(f"# {title}")
        out.append("")
        content = chatbot.initial_message.content
        if content:
            out.extend(_intro_lines(content.split("\n"), titles, "## " + title if title else "## Chatbot"))
            out.append("")
        out.extend(_choice_lines(chatbot.initial_message.choices, in_intro=True))
        out.append("")

    title_line = "## " + title if title else "## Chatbot"
    for response in chatbot.responses:
        if options_unchanged and response.source is not None and response.heading and not response.is_modified():
            out.append(response.heading)
            out.extend(response.source)
        else:
            out.extend(_response_lines(response, titles[0], titles, title_line))
    text = "\n".join(out)
    return text.rstrip("\n") + "\n"


def _one_line(text: str) -> str:
    return " ".join(js_trim(text).split("\n"))


def _intro_lines(lines: list[str], titles: tuple[str, ...], title_line: str) -> list[str]:
    """The initial message's lines, written so that ChatMD reads them back the same.

    ChatMD ends the introduction at the first "# " after the title, even in the middle of
    a line (the rest of that line is then lost), and removes one leading ">" from each line
    before that point. A heading line there is fine (the cut falls at its start); a "# "
    inside a line gets a no-break space; ">" lines before the cut are quoted once more."""
    out: list[str] = []
    cut = False
    for line in lines:
        if cut:
            out.append(_content_safe(line, titles, title_line))
            continue
        heading = _HEADING.match(line)
        if heading and heading.group(2).startswith(" "):
            if len(heading.group(1)) > 5:  # "###### " is cut after its first "#": use h5
                line = "##### " + heading.group(3)
            out.append(_content_safe(line, titles, title_line))
            cut = True
            continue
        line = line.replace("# ", "#\u00a0")
        out.append("> " + line if line.startswith(">") else line)
    return out


def _response_lines(response: Response, prefix: str, titles: tuple[str, ...], title_line: str) -> list[str]:
    # "##" + " " still reads as "##" (the title is trimmed), and its "# " ends the introduction.
    lines = [f"{prefix if prefix.endswith(' ') else prefix + ' '}{_one_line(response.title)}"]
    lines.extend("- " + _one_line(k) for k in response.keywords)
    lines.append("")
    if response.content:
        lines.extend(_content_safe(line, titles, title_line) for line in response.content.split("\n"))
        lines.append("")
    lines.extend(_choice_lines(response.choices))
    lines.append("")
    return lines


def _choice_lines(choices: list[Choice], in_intro: bool = False) -> list[str]:
    lines: list[str] = []
    for number, choice in enumerate(choices, start=1):
        label = _one_line(choice.label).replace("]", "") or DEFAULT_CHOICE_LABEL
        target = _one_line(choice.target)
        if in_intro:  # a "# " would end the introduction in the middle of the button
            label = label.replace("# ", "#\u00a0")
        if (target.startswith("#") or (in_intro and "# " in target)) and "-" not in target:
            # ChatMD reads a target "#a-b" as the anchor of the title "a b"
            target = "#" + target.replace(" ", "-")
        line = f"{number}{')' if choice.random else '.'} [{label}]({target})"
        if choice.condition:
            lines.extend([f"`if {choice.condition}`", line, "`endif`"])
        else:
            lines.append(line)
    return lines


def _content_safe(line: str, titles: tuple[str, ...], title_line: str) -> str:
    """A content line as ChatMD will keep it: never a response heading nor a dropped one."""
    level = min((t.rfind("#") + 1 for t in titles), default=2)
    structure = tuple("#" * i + " " for i in range(1, level))

    def unsafe(candidate: str) -> bool:
        return (
            starts_with_any(candidate, titles) is not None
            or candidate == title_line
            or starts_with_any(candidate, structure) is not None
        )

    if not unsafe(line):
        return line
    match = _HEADING.match(line)
    text = match.group(3) if match else line
    for hashes in range(1, 7):
        candidate = "#" * hashes + " " + text
        if not unsafe(candidate):
            return candidate
    return f"**{text}**"


def export_problems(chatbot: Chatbot) -> list[str]:
    """What ChatMD cannot represent in this chatbot, as French messages (empty if none)."""
    problems: list[str] = []
    seen: dict[str, int] = {}
    for response in chatbot.responses:
        if not js_trim(response.title):
            problems.append("Une réponse sans titre sera ignorée par ChatMD.")
        seen[response.title] = seen.get(response.title, 0) + 1
    for title, count in seen.items():
        if count > 1 and title:
            problems.append(
                f"Plusieurs réponses s'intitulent « {title} » : ChatMD n'atteint que la première par un bouton."
            )
    places = [("message initial", chatbot.initial_message.choices)] + [(r.title, r.choices) for r in chatbot.responses]
    for where, choices in places:
        for choice in choices:
            if ")" in choice.target:
                problems.append(
                    f"[{where}] Le bouton « {choice.label} » vise « {choice.target} » : ChatMD n'accepte pas "
                    "de parenthèse fermante dans la cible d'un bouton ; renommez la réponse."
                )
            if "]" in choice.label:
                problems.append(f"[{where}] Le crochet « ] » du bouton « {choice.label} » sera retiré.")
            if choice.target.lower().startswith(("http", "mailto:", "tel:")) or (
                choice.target.startswith("#") and "-" in choice.target
            ):
                problems.append(
                    f"[{where}] Le bouton « {choice.label} » ne vise pas une réponse : « {choice.target} »."
                )
    for where, choice in chatbot.broken_choices():
        problems.append(
            f"[{where}] Le bouton « {choice.label} » vise une réponse qui n'existe pas : « {choice.target} »."
        )
    return problems
