"""Candidates of a server-side search: what a store that searches inside its database
(:meth:`socle.store.postgres.PostgresStore.search_candidates`) hands to the retriever, which
fuses the two signals (:mod:`socle.retrieve_candidates`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Candidates:
    """Every chunk of the candidate documents, grouped by document (ascending document id,
    then chunk order), with both signals."""

    chunk_ids: np.ndarray  # int64 (n,)
    document_ids: np.ndarray  # int64 (n,)
    lexical: np.ndarray  # float64 (n,) full-text rank of each chunk, 0 where it does not match
    dense: np.ndarray | None  # float64 (n,) cosine similarity to the query; None without a vector
    metadata: dict[int, dict[str, Any]] = field(default_factory=dict)  # of the candidate documents


__all__ = ["Candidates"]
