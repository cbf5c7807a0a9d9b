"""ChatMD's YAML header: how it is found, read, and which options reach the parser.

ChatMD reads the header with js-yaml 4 (YAML 1.2 core schema) from the text between the
first two ``---`` of a file that starts with ``---``, then merges it over its defaults
option by option (``processYAML``), some of which throw on odd values and stop the
options after them from being applied. Only a few options change the *structure* of the
chatbot (``responsesTitles``, dynamic content, ``obfuscate``, fixed ``variables``); they are
computed here exactly as ChatMD computes them. The rest of the header is kept as written
in :attr:`Chatbot.options`.
"""

from __future__ import annotations

import re
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any

import yaml

DEFAULT_RESPONSES_TITLES: tuple[str, ...] = ("## ",)


class _Js12Loader(yaml.SafeLoader):  # type: ignore[misc]  # yaml is untyped here
    """PyYAML's safe loader made to resolve scalars like js-yaml 4 (YAML 1.2 core schema):
    only ``true``/``false`` are booleans (not yes/no/on/off), no sexagesimal numbers, and a
    duplicated key is an error (js-yaml refuses the whole header)."""


_Js12Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:int")]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Js12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
_Js12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:int",
    re.compile(r"^(?:[-+]?0b[0-1_]+|[-+]?0o?[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+)$"),
    list("-+0123456789"),
)


def _construct_js_bool(loader: yaml.SafeLoader, node: yaml.Node) -> bool:
    return str(loader.construct_scalar(node)).lower() == "true"


def _construct_js_int(loader: yaml.SafeLoader, node: yaml.Node) -> int:
    text = str(loader.construct_scalar(node)).replace("_", "")
    sign = -1 if text.startswith("-") else 1
    text = text.lstrip("+-")
    if text.startswith("0b"):
        return sign * int(text[2:], 2)
    if text.startswith("0x"):
        return sign * int(text[2:], 16)
    if text.startswith("0o"):
        return sign * int(text[2:], 8)
    if len(text) > 1 and text.startswith("0"):
        return sign * int(text, 8)
    return sign * int(text)


def _construct_mapping_no_duplicates(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[Hashable, Any]:
    loader.flatten_mapping(node)
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        if isinstance(key, Hashable) and key in seen:
            raise yaml.constructor.ConstructorError(None, None, f"duplicated mapping key {key!r}", key_node.start_mark)
        seen.add(key)
    mapping: dict[Hashable, Any] = loader.construct_mapping(node, deep=True)
    return mapping


_Js12Loader.add_constructor("tag:yaml.org,2002:bool", _construct_js_bool)
_Js12Loader.add_constructor("tag:yaml.org,2002:int", _construct_js_int)
_Js12Loader.add_constructor("tag:yaml.org,2002:map", _construct_mapping_no_duplicates)


def header_text(text: str) -> str | None:
    """The YAML header as ChatMD cuts it: between the first two ``---`` of the file."""
    parts = text.split("---")
    if text.startswith("---") and len(parts) > 2:
        return parts[1]
    return None


def load_header(source: str) -> tuple[Any, str | None]:
    """(parsed value, error message or None). An unreadable header is ignored by ChatMD."""
    try:
        return yaml.load(source, Loader=_Js12Loader), None
    except yaml.YAMLError as exc:
        return None, str(exc).splitlines()[0] if str(exc) else "YAML invalide"


def js_truthy(value: Any) -> bool:
    """JavaScript truthiness: empty lists and objects are true, like non-empty ones."""
    if value is None or value is False:
        return False
    if isinstance(value, str):
        return value != ""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value == value and value != 0  # NaN is falsy
    return True


def js_string(value: Any) -> str:
    """JavaScript's String(value), for the places where ChatMD concatenates options."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, list):
        return ",".join("" if v is None else js_string(v) for v in value)
    if isinstance(value, dict):
        return "[object Object]"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _js_values(value: Any) -> list[Any] | None:
    """``Object.values(value)`` for what YAML can give (None when it would throw)."""
    if isinstance(value, dict):
        return list(value.values())
    if isinstance(value, list):
        return list(value)
    if isinstance(value, str):
        return list(value)
    if value is None:
        return None
    return []


@dataclass
class Settings:
    """The options that shape the parse and the keyword matching, as ChatMD computes them."""

    responses_titles: tuple[str, ...] = DEFAULT_RESPONSES_TITLES
    dynamic_content: bool = False
    obfuscate: bool = False
    variables: Any = ""
    search_in_content: bool = False
    synonyms: list[str] = field(default_factory=list)
    plugins: list[str] = field(default_factory=list)
    # The option ChatMD stopped at, when an odd value made processYAML throw.
    stopped_at: str | None = None


def settings_from(data: Any) -> Settings:
    """Apply the header like ChatMD's ``processYAML``, in the same order.

    ChatMD runs the options one after the other inside one ``try``: the first option whose
    value makes JavaScript throw (say ``plugins: [a, b]``, a list where a string is
    expected) leaves every later option unapplied — including ``titresRéponses``. That
    order is reproduced so that such files parse as ChatMD parses them.
    """
    s = Settings()
    if not isinstance(data, dict):
        return s
    y: dict[str, Any] = {"plugins": "", "responsesTitles": list(DEFAULT_RESPONSES_TITLES), **data}
    s.variables = y.get("variables", "")
    # maths: true adds the KaTeX plugins
    if y.get("maths") is True:
        y["plugins"] = js_string(y["plugins"]) + ",maths,textFit" if js_truthy(y["plugins"]) else "maths,textFit"
    if js_truthy(y.get("plugins")) or js_truthy(y.get("addOns")):
        plugins = (
            js_string(y.get("plugins")) + "," + js_string(y.get("addOns"))
            if js_truthy(y.get("addOns"))
            else y["plugins"]
        )
        if not isinstance(plugins, str):
            s.stopped_at = "plugins"
            return s
        s.plugins = [p for p in plugins.replace(" ", "").split(",") if p]
    if js_truthy(y.get("preload")) and not isinstance(y.get("preload"), list | str):
        s.stopped_at = "preload"
        return s
    titles = y.get("titresRéponses") if js_truthy(y.get("titresRéponses")) else y.get("responsesTitles")
    if js_truthy(y.get("titresRéponses")) or js_truthy(y.get("responsesTitles")):
        if isinstance(titles, str):
            s.responses_titles = (titles,)
        elif isinstance(titles, dict | list):
            s.responses_titles = tuple(js_string(t) for t in (titles.values() if isinstance(titles, dict) else titles))
        # other values (a number, true) crash ChatMD later; Socle keeps the default
    if js_truthy(y.get("searchInContent")) or js_truthy(y.get("rechercheContenu")):
        s.search_in_content = True
    if js_truthy(y.get("defaultMessage")) or js_truthy(y.get("messageParDéfaut")):
        messages = (
            _js_values(y.get("messageParDéfaut")) if js_truthy(y.get("messageParDéfaut")) else y.get("defaultMessage")
        )
        # ChatMD then pads the list to 5 messages: a short string has no push(), an empty
        # list loops for ever; either way the later options are not applied.
        if (isinstance(messages, str) and len(messages) < 5) or messages == []:
            s.stopped_at = "messageParDéfaut"
            return s
    if js_truthy(y.get("theme")) and not isinstance(y.get("theme"), str):
        s.stopped_at = "theme"
        return s
    for key in ("contenuDynamique", "dynamicContent", "dynamicVariables", "variablesDynamiques"):
        if js_truthy(y.get(key)):
            s.dynamic_content = True
            break
    s.obfuscate = js_truthy(y.get("obfuscate"))
    synonyms = y.get("synonymes") if js_truthy(y.get("synonymes")) else y.get("synonyms")
    if isinstance(synonyms, list):
        s.synonyms = [str(x) for x in synonyms if isinstance(x, str)]
    return s
