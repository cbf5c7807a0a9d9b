"""Fit the abstention model of socle.answer on the ../shared/eval dev sets.

Positives: questions asked of their own collection whose best document is relevant (an
answer there would cite the right source). Negatives: questions asked of the *other*
collection (out of scope), and in-scope questions whose best document is wrong (an answer
would cite the wrong source: abstaining is better). Features are socle.answer._features:
dense cosine of the best passage, the share of the question's terms it contains, and the
margin of the best document's fused score over the second's. Prints the fitted weights and, for each threshold, the rates the issue
targets, so the constants in socle/answer.py can be checked and refitted.

Needs two stores already holding the corpora (e.g. made by `socle eval`):

    python benchmarks/calibrate_abstention.py --db-spf spf.db --db-cnil cnil.db
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from socle.analysis import analyse
from socle.answer import _features
from socle.embed import get_embedder
from socle.evaluate import load_questions
from socle.retrieve import Retriever
from socle.store import open_store

EVAL = Path(__file__).resolve().parents[2] / "shared" / "eval"


def features(retriever: Retriever, collection: str, questions: list, limit: int) -> tuple[np.ndarray, list[bool]]:
    rows, correct = [], []
    for q in questions[:limit]:
        passages = retriever.search(collection, q.question, k=2)
        top = passages[0]
        rows.append(_features(set(analyse(q.question)), passages))
        correct.append(top.document_key in q.relevant)
    return np.array(rows), correct


def fit_logistic(x: np.ndarray, y: np.ndarray, steps: int = 20000, lr: float = 0.5) -> np.ndarray:
    mu, sd = x.mean(0), x.std(0) + 1e-9
    xs = np.hstack([np.ones((len(x), 1)), (x - mu) / sd])
    w = np.zeros(xs.shape[1])
    for _ in range(steps):
        p = 1 / (1 + np.exp(-xs @ w))
        w -= lr * (xs.T @ (p - y) / len(y) + 1e-3 * np.r_[0, w[1:]])
    # Back to raw feature units: bias' = b - sum(w_i mu_i / sd_i), w_i' = w_i / sd_i.
    raw = w[1:] / sd
    return np.r_[w[0] - (w[1:] * mu / sd).sum(), raw]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db-spf", required=True)
    ap.add_argument("--db-cnil", required=True)
    ap.add_argument("--limit", type=int, default=400)
    ap.add_argument("--save", help="also write the features and labels to this .npz file")
    args = ap.parse_args()
    if not EVAL.exists():
        print(f"{EVAL} introuvable : calibration ignorée")
        return
    emb = get_embedder()
    r_spf = Retriever(open_store(args.db_spf), emb)
    r_cnil = Retriever(open_store(args.db_cnil), emb)
    q_spf = load_questions(EVAL / "spf" / "questions.dev.jsonl")
    q_cnil = load_questions(EVAL / "cnil" / "questions.dev.jsonl")
    sets = {
        "spf→spf": features(r_spf, "spf", q_spf, args.limit),
        "cnil→cnil": features(r_cnil, "cnil", q_cnil, args.limit),
        "spf→cnil (hors sujet)": features(r_cnil, "cnil", q_spf, args.limit),
        "cnil→spf (hors sujet)": features(r_spf, "spf", q_cnil, args.limit),
    }
    xs, ys = [], []
    for name, (x, correct) in sets.items():
        xs.append(x)
        ys.append(np.array(correct, float) if "hors" not in name else np.zeros(len(x)))
    if args.save:
        np.savez(
            args.save,
            **{name: x for name, (x, _) in sets.items()},
            **{f"{n}:correct": np.array(c) for n, (_, c) in sets.items()},
        )
    w = fit_logistic(np.vstack(xs), np.concatenate(ys))
    print("weights (bias, dense, coverage, margin):", json.dumps([round(float(v), 3) for v in w]))
    print("| threshold | " + " | ".join(f"{n} answered" for n in sets) + " | spf→spf citations right |")
    print("|---" * (len(sets) + 2) + "|")
    for t in (0.3, 0.4, 0.5, 0.6, 0.7):
        cells = []
        for x, _ in sets.values():
            p = 1 / (1 + np.exp(-(w[0] + x @ w[1:])))
            cells.append(f"{(p >= t).mean():.3f}")
        x, correct = sets["spf→spf"]
        p = 1 / (1 + np.exp(-(w[0] + x @ w[1:])))
        answered = p >= t
        right = np.array(correct)[answered].mean() if answered.any() else float("nan")
        print(f"| {t} | " + " | ".join(cells) + f" | {right:.3f} |")


if __name__ == "__main__":
    main()
