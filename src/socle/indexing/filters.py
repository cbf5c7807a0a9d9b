"""Search filters over document metadata: by category, keyword, or any metadata field.

A filter is a mapping of a field to a value or a list of values (any of them matches);
several fields must all match. Values compare lower-cased with accents folded.

- ``category``: one of the document's automatic categories (label or id);
- ``keyword``: one of its automatic keywords (``auto_keywords``) or of the keywords and
  tags it came with (``keywords``, ``tags``: a list, or a string separated by , or ;);
- any other name: the metadata field of that name (``{"theme": "Internet"}``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from socle.analysis import fold_accents

Filters = Mapping[str, str | Sequence[str]]

AUTO_KEYWORDS = "auto_keywords"
CATEGORIES = "categories"
_SPLIT = re.compile(r"\s*[,;]\s*")


def _fold(value: Any) -> str:
    return fold_accents(str(value).strip().lower())


def _values(value: Any) -> set[str]:
    if value is None:
        return set()
    if isinstance(value, str):
        return {_fold(v) for v in _SPLIT.split(value) if v.strip()} | {_fold(value)}
    if isinstance(value, dict):
        return {_fold(v) for k, v in value.items() if k in ("id", "label")}
    if isinstance(value, list | tuple):
        return set().union(*(_values(v) for v in value)) if value else set()
    return {_fold(value)}


def field_values(metadata: Mapping[str, Any], name: str) -> set[str]:
    """The folded values a filter on ``name`` compares with."""
    if name == "category":
        return _values(metadata.get(CATEGORIES))
    if name == "keyword":
        return _values(metadata.get(AUTO_KEYWORDS)) | _values(metadata.get("keywords")) | _values(metadata.get("tags"))
    return _values(metadata.get(name))


def matches(metadata: Mapping[str, Any], filters: Filters) -> bool:
    for name, wanted in filters.items():
        options = {_fold(wanted)} if isinstance(wanted, str) else {_fold(w) for w in wanted}
        if not options & field_values(metadata, name):
            return False
    return True


def document_mask(doc_ids: np.ndarray, metadata: Mapping[int, Mapping[str, Any]], filters: Filters) -> np.ndarray:
    """Boolean mask over ``doc_ids``: the documents that pass ``filters``."""
    return np.fromiter((matches(metadata.get(int(d), {}), filters) for d in doc_ids), dtype=bool, count=len(doc_ids))


__all__ = ["AUTO_KEYWORDS", "CATEGORIES", "Filters", "document_mask", "field_values", "matches"]
