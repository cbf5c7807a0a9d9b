"""Parser parity: Socle's ChatMD parser against ChatMD's own, side by side.

For each Markdown file, runs ChatMD's parser (its ``processYAML`` then ``parseMarkdown``,
imported from a checkout of https://github.com/eyssette/chatMD given with --chatmd-repo,
under Node.js >= 18) and :func:`socle.chatmd.parse_chatmd`, then compares the chatbot
title, the response count, and for every response its title, keywords, and the targets
and labels of its buttons (plus the initial message's buttons). Prints one line per file
and exits with status 1 on any disagreement.

    python benchmarks/chatmd_parity.py --chatmd-repo ../chatMD tests/data/chatmd/*.md

Nothing of ChatMD is copied here: a small Node driver, written by this script into a
temporary folder, imports the two functions from the checkout you point to. ChatMD's
modules touch the browser's ``window`` and ``document`` at import; the driver gives them
inert stand-ins, as no DOM is needed to parse.
"""

from __future__ import annotations

import argparse
import base64
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from socle.chatmd import parse_chatmd

DRIVER = r"""
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { join } from "node:path";

const [repo, file] = process.argv.slice(2);
// An object that absorbs every DOM call made while ChatMD's modules load.
const inert = new Proxy(function () {}, {
  get: (_t, prop) => (prop === "then" ? undefined : prop === Symbol.toPrimitive ? () => "" : inert),
  apply: () => inert,
  construct: () => inert,
  set: () => true,
});
globalThis.window = { location: { hash: "", href: "", search: "" }, matchMedia: () => ({ matches: false }) };
globalThis.document = inert;
globalThis.alert = () => {};
globalThis.prompt = () => "";
const print = console.log;
console.log = () => {};
const load = (p) => import(pathToFileURL(join(repo, "app", "js", p)).href);
const { processYAML } = await load("markdown/custom/yaml.mjs");
const { parseMarkdown } = await load("core/chatbot/parseMarkdown.mjs");
let text = readFileSync(file, "utf8");
if (text.charCodeAt(0) === 0xfeff) text = text.slice(1); // as the browser's fetch().text()
const yaml = processYAML(text);
const data = parseMarkdown(text, yaml);
print(JSON.stringify({ obfuscate: Boolean(yaml.obfuscate), chatbot: data }));
"""


def chatmd_reference(repo: Path, file: Path, driver: Path) -> dict[str, Any]:
    """ChatMD's parse of ``file``, normalised to Socle's JSON shape (targets de-obfuscated)."""
    out = subprocess.run(
        ["node", str(driver), str(repo.resolve()), str(file.resolve())],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout
    raw = json.loads(out.strip().split("\n")[-1])
    obfuscated = raw["obfuscate"]

    def choices(options: list[dict[str, Any]] | None) -> list[dict[str, str]]:
        result = []
        for o in options or []:
            link = o["link"]
            if obfuscated:
                link = base64.b64decode(link).decode("utf-8")
            result.append({"label": o["text"], "target": link})
        return result

    bot = raw["chatbot"]
    return {
        "title": bot["title"],
        "initial_message": {"choices": choices(bot["initialMessage"]["choiceOptions"])},
        "responses": [
            {"title": r["title"], "keywords": r["keywords"], "choices": choices(r["choiceOptions"])}
            for r in bot["responses"]
        ],
    }


def compare(socle: dict[str, Any], ref: dict[str, Any]) -> dict[str, Any]:
    """Agreement counts and the list of differences."""
    diffs: list[str] = []
    if socle["title"] != ref["title"]:
        diffs.append(f"title: socle={socle['title']!r} chatmd={ref['title']!r}")
    if socle["initial_message"]["choices"] != ref["initial_message"]["choices"]:
        diffs.append("initial message choices differ")
    s_resp, r_resp = socle["responses"], ref["responses"]
    if len(s_resp) != len(r_resp):
        diffs.append(f"response count: socle={len(s_resp)} chatmd={len(r_resp)}")
    counts = {"titles": 0, "keywords": 0, "targets": 0, "labels": 0}
    for i, (s, r) in enumerate(zip(s_resp, r_resp, strict=False)):
        checks = {
            "titles": s["title"] == r["title"],
            "keywords": s["keywords"] == r["keywords"],
            "targets": [c["target"] for c in s["choices"]] == [c["target"] for c in r["choices"]],
            "labels": [c["label"] for c in s["choices"]] == [c["label"] for c in r["choices"]],
        }
        for name, ok in checks.items():
            counts[name] += ok
            if not ok:
                key = {"titles": "title", "keywords": "keywords"}.get(name, "choices")
                diffs.append(f"response {i + 1} {name}: socle={s[key]!r} chatmd={r[key]!r}")
    return {"responses": (len(s_resp), len(r_resp)), **counts, "diffs": diffs}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chatmd-repo", type=Path, required=True, help="checkout of github.com/eyssette/chatMD")
    parser.add_argument("files", nargs="+", type=Path, help="ChatMD Markdown files")
    parser.add_argument("--json", action="store_true", help="print the per-file results as JSON")
    parser.add_argument("--show-diffs", action="store_true", help="print every disagreement")
    parser.add_argument(
        "--save-reference",
        type=Path,
        help="also write ChatMD's parse of every file to this JSON file (test fixtures)",
    )
    args = parser.parse_args(argv)
    if not (args.chatmd_repo / "app" / "js" / "core" / "chatbot" / "parseMarkdown.mjs").exists():
        parser.error(f"{args.chatmd_repo} is not a ChatMD checkout (app/js/core/chatbot/parseMarkdown.mjs missing)")

    results = []
    references: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        driver = Path(tmp) / "driver.mjs"
        driver.write_text(DRIVER, encoding="utf-8")
        for file in args.files:
            ref = chatmd_reference(args.chatmd_repo, file, driver)
            references[file.name] = ref
            ours = parse_chatmd(file.read_text(encoding="utf-8")).to_dict()
            results.append({"file": str(file), **compare(ours, ref)})

    if args.save_reference:
        commit = subprocess.run(
            ["git", "-C", str(args.chatmd_repo), "rev-parse", "HEAD"], capture_output=True, text=True
        ).stdout.strip()
        payload = {"chatmd_commit": commit or "unknown", "files": references}
        args.save_reference.write_text(json.dumps(payload, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    if args.json:
        print(json.dumps(results, ensure_ascii=False, indent=2))
    else:
        print(f"{'file':<44} {'responses':>11} {'titles':>8} {'keywords':>9} {'targets':>8} {'labels':>7}")
        for r in results:
            n = r["responses"][1]
            print(
                f"{Path(r['file']).name:<44} {r['responses'][0]:>5}/{n:<5} {r['titles']:>4}/{n:<3} "
                f"{r['keywords']:>4}/{n:<4} {r['targets']:>4}/{n:<3} {r['labels']:>3}/{n:<3}"
                + ("" if not r["diffs"] else "  DIFFERS")
            )
            if args.show_diffs:
                for d in r["diffs"]:
                    print("    " + d)
        total = sum(r["responses"][1] for r in results)
        agree = sum(min(r["titles"], r["keywords"], r["targets"], r["labels"]) for r in results)
        print(
            f"{len(results)} files, {total} responses (ChatMD), fully agreeing files: "
            f"{sum(not r['diffs'] for r in results)}/{len(results)}; responses agreeing on all fields >= {agree}"
        )
    return 1 if any(r["diffs"] for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
