"""Small JavaScript string semantics that ChatMD's parser and matcher rely on.

ChatMD runs in a browser: ``String.prototype.trim`` and the regex class ``\\s`` use the
ECMAScript white-space set (which differs slightly from Python's ``str.strip`` and ``\\s``),
``\\d`` is ASCII only, and ``removeAccents`` folds a fixed list of French accented letters
(not every combining mark). Keeping these exact is what makes parity hold on odd files.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

# ECMAScript WhiteSpace + LineTerminator: what trim() strips and what \s matches.
JS_SPACE = "\t\n\x0b\x0c\r \xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
JS_S = "[" + re.escape(JS_SPACE) + "]"

_ACCENTS = str.maketrans(
    "àâéèêëîïôöûùüÿçÀÂÉÈÊËÎÏÔÖÛÙÜŸÇ",
    "aaeeeeiioouuuycAAEEEEIIOOUUUYC",
)


def js_trim(text: str) -> str:
    return text.strip(JS_SPACE)


def js_trim_start(text: str) -> str:
    return text.lstrip(JS_SPACE)


def starts_with_any(line: str, prefixes: Sequence[str]) -> str | None:
    """The first prefix (in list order) that ``line`` starts with, like ChatMD's startsWithAnyOf."""
    for prefix in prefixes:
        if line.startswith(prefix):
            return prefix
    return None


def remove_accents(text: str) -> str:
    """ChatMD's removeAccents: only the French accented letters it lists (not œ, æ...)."""
    return text.translate(_ACCENTS)


def normalize_text(text: str, keep_case: bool = False) -> str:
    """ChatMD's normalizeText: lower-case (unless keep_case), trim, fold French accents."""
    if not text:
        return ""
    return remove_accents(js_trim(text) if keep_case else js_trim(text.lower()))


def utf16_len(text: str) -> int:
    """JavaScript string length (UTF-16 code units): astral characters count twice."""
    return len(text) + sum(1 for c in text if ord(c) > 0xFFFF)
