"""Whether the documents answer a question: three outcomes, from retrieval evidence.

The confidence is a logistic function of five features that do not grow or shrink with the
size of the collection (a 6-document collection and a 500-document one read the same):

- ``dense``: cosine similarity of the question and the best passage;
- ``coverage``: share of the question's terms found in the best document's passages, its
  title and its section headings;
- ``margin``: how far the best document's fused score stands above the next document's,
  capped (a near tie means the right source is uncertain);
- ``unit_dense``: cosine similarity of the question and the unit an answer would quote
  (:mod:`socle.extract`): a question some sentence answers squarely is answerable;
- ``dense_margin``: the best passage's cosine minus the next document's best, clipped.

More features were tried (the ranker's own score, the share of terms weighted by rarity,
terms no document contains, the kind of fact asked for, the question's length): each
fitted the dev sets better and generalised worse when a whole set was held out
(``benchmarks/answers.py --fit`` prints that comparison), so they are not used.

Two thresholds cut it into three outcomes: at or above :data:`ANSWER_THRESHOLD` a
confident answer; between :data:`POSSIBLE_THRESHOLD` and it, a « réponse possible » shown
with its section and marked « à vérifier »; below, an abstention. The weights and both
thresholds are fitted by ``benchmarks/answers.py --fit`` on several kinds of questions at
once (the PIAF dev sets of two corpora, each asked of the others out of scope, and natural
questions written for the demo corpus), and an assistant can be recalibrated from its own
example questions and ratings (``socle calibrate --assistant NOM``: see :func:`calibrate`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from socle import extract
from socle.analysis import analyse
from socle.models import Passage

FEATURES = ("dense", "coverage", "margin", "unit_dense", "dense_margin")
# bias, then one weight per feature (fitted: see the module docstring)
WEIGHTS = (-43.375, 30.568, 2.257, 0.779, 15.513, 43.088)
ANSWER_THRESHOLD = 0.57
POSSIBLE_THRESHOLD = 0.37
MARGIN_CAP = 3.0
DENSE_MARGIN_CAP = 0.1


def evidence_features(
    question: str,
    passages: Sequence[Passage],
    document: Sequence[Passage],
    candidates: Sequence[extract.Unit],
    dense: np.ndarray,
    probabilities: np.ndarray,
) -> tuple[float, ...]:
    """The features of this model, in the order of :data:`FEATURES`, from what retrieval
    found for ``question`` (its retrieval query: a follow-up joined to the previous one)."""
    terms = set(analyse(question))
    top = passages[0]
    runner_up = next((p for p in passages if p.document_key != top.document_key), None)
    margin = top.score - runner_up.score if runner_up is not None else MARGIN_CAP
    dense_margin = (top.dense_score or 0.0) - (runner_up.dense_score or 0.0) if runner_up else DENSE_MARGIN_CAP
    context = " ".join([top.document_title, *(h for p in document for h in p.headings), *(p.text for p in document)])
    context = f"{context} {extract.contact_words(context)}"  # « mail » is found in an e-mail address
    coverage = len(terms & set(analyse(context))) / len(terms) if terms else 0.0
    best = int(np.argmax(probabilities)) if len(probabilities) else -1
    return (
        top.dense_score or 0.0,
        coverage,
        min(max(margin, 0.0), MARGIN_CAP),
        float(dense[best]) if best >= 0 else 0.0,
        min(max(dense_margin, -DENSE_MARGIN_CAP), DENSE_MARGIN_CAP),
    )


def probability(features: Sequence[float], weights: Sequence[float] | None = None) -> float:
    bias, *w = WEIGHTS if weights is None else weights
    z = bias + sum(wi * fi for wi, fi in zip(w, features, strict=True))
    return 1 / (1 + math.exp(-max(min(z, 50.0), -50.0)))


def fit_logistic(x: np.ndarray, y: np.ndarray, *, steps: int = 4000, l2: float = 1e-3) -> np.ndarray:
    """Weights (bias first, raw feature units) of an L2-regularised logistic regression,
    by Newton's method on standardised features (a few hundred rows: exact and fast)."""
    mu, sd = x.mean(0), x.std(0) + 1e-9
    xs = np.hstack([np.ones((len(x), 1)), (x - mu) / sd])
    w = np.zeros(xs.shape[1])
    reg = l2 * len(y) * np.eye(xs.shape[1])
    reg[0, 0] = 0.0
    for _ in range(min(steps, 100)):
        p = 1 / (1 + np.exp(-np.clip(xs @ w, -50, 50)))
        grad = xs.T @ (p - y) + reg @ w
        hess = (xs * (p * (1 - p))[:, None]).T @ xs + reg + 1e-9 * np.eye(xs.shape[1])
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    raw = w[1:] / sd
    return np.asarray(np.r_[w[0] - (w[1:] * mu / sd).sum(), raw], dtype=np.float64)


@dataclass(frozen=True)
class Thresholds:
    answer: float = ANSWER_THRESHOLD
    possible: float = POSSIBLE_THRESHOLD


def calibrate(
    in_scope: Sequence[float],
    out_of_scope: Sequence[float],
    *,
    default: Thresholds | None = None,
    abstain_out: float = 0.95,
    answer_in: float = 0.90,
) -> tuple[Thresholds, str]:
    """Thresholds for one assistant, from the confidences of questions it must answer (its
    example questions, questions of answers rated useful) and of questions it must not
    (off-topic ones, answers rated not useful). Returns them with a French explanation.

    - « possible »: the default when it lies between the floor (at most ``1 - abstain_out``
      of the off-topic questions above it) and the ceiling (at least ``answer_in`` of the
      in-scope ones above it), else moved to the nearer bound; when the floor is above the
      ceiling, the floor wins (abstaining off topic comes first). Never above the confident
      threshold.
    - confident: the default, lowered to the ceiling when the two sets are separable and
      the ceiling is below it (it is never raised: a recalibration opens an assistant to
      its users' wording, it does not close it).
    With fewer than 3 in-scope or 10 off-topic questions, the defaults stay.
    """
    base = default or Thresholds()
    ins, outs = np.asarray(in_scope, float), np.asarray(out_of_scope, float)
    if len(ins) < 3 or len(outs) < 10:
        return base, "Trop peu de questions pour recalibrer : seuils par défaut conservés."
    # Thresholds that keep off-topic questions out: above the abstain_out quantile.
    floor = float(np.quantile(outs, abstain_out, method="higher")) + 1e-6
    # Thresholds that keep in-scope questions in: at or below the (1 - answer_in) quantile.
    ceiling = float(np.quantile(ins, 1 - answer_in, method="lower"))
    if ceiling >= floor:
        possible = min(max(floor, min(base.possible, ceiling)), base.answer)
        answer = max(min(base.answer, ceiling), possible)
        note = "les questions d'exemple passent, les questions hors sujet restent écartées"
    else:
        possible = min(max(base.possible, floor), base.answer)
        answer = base.answer
        note = (
            "les questions d'exemple et les questions hors sujet se chevauchent : priorité à l'abstention hors sujet "
            "(ajoutez des documents ou reformulez les exemples)"
        )
    return Thresholds(answer=round(answer, 4), possible=round(possible, 4)), note
