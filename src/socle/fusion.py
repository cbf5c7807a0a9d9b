"""The score fusion shared by the in-memory search (:mod:`socle.retrieve`) and the search
over database candidates (:mod:`socle.retrieve_candidates`): each signal standardised over
the documents (or chunks) scored, ranks for the explanations, agents' penalties."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np

# Agents' ratings (see socle.service.feedback): a chunk's penalty, in the standard deviations
# of the fused score, is subtracted from the chunk's score and from its document's.
Penalties = Callable[[str], Mapping[int, float]]


def standardise(values: np.ndarray) -> np.ndarray:
    std = float(values.std())
    return (values - float(values.mean())) / std if std > 0 else np.zeros_like(values)


def rank_of(scores: np.ndarray) -> np.ndarray:
    """1-based rank of each entry (ties broken by position)."""
    ranks = np.empty(len(scores), dtype=np.int64)
    ranks[np.argsort(-scores, kind="stable")] = np.arange(1, len(scores) + 1)
    return ranks


__all__ = ["Penalties", "rank_of", "standardise"]
