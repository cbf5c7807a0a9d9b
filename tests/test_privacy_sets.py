"""The second labelled personal-data set is what its hand-written source says it is.

`tests/data/privacy_docs_fr.jsonl` is generated from `tests/data/privacy_docs/source.txt` by
`scripts/make_privacy_docs_set.py`, which also checks every identifier's checksum. A source
edited without regenerating the set (or the reverse) fails here.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "tests" / "data" / "privacy_docs" / "source.txt"
OUTPUT = ROOT / "tests" / "data" / "privacy_docs_fr.jsonl"


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "make_privacy_docs_set", ROOT / "scripts" / "make_privacy_docs_set.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_generated_set_matches_its_source() -> None:
    records = _script().build(SOURCE)
    stored = [json.loads(line) for line in OUTPUT.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert records == stored


def test_set_has_both_splits_negatives_and_no_document_across_splits() -> None:
    stored = [json.loads(line) for line in OUTPUT.read_text(encoding="utf-8").splitlines() if line.strip()]
    splits = {record["split"] for record in stored}
    assert splits == {"dev", "test"}
    negatives = sum(1 for record in stored if not record["spans"])
    assert negatives / len(stored) >= 0.25
    split_of_doc: dict[str, set[str]] = {}
    for record in stored:
        split_of_doc.setdefault(record["source_doc"], set()).add(record["split"])
        for span in record["spans"]:
            text = record["text"][span["start"] : span["end"]]
            assert text == text.strip() and text, (record["id"], span)
    assert all(len(found) == 1 for found in split_of_doc.values())
