"""The confidence model's thresholds, and an assistant recalibrated from its own questions
(`socle calibrate --assistant`): on the real demo store, with the real embedder."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from click.testing import CliRunner
from tests.service_helpers import copy_store

from socle.cli import cli
from socle.confidence import ANSWER_THRESHOLD, POSSIBLE_THRESHOLD, Thresholds, calibrate, fit_logistic


def test_separable_questions_open_the_assistant_without_letting_off_topic_in() -> None:
    rng = np.random.default_rng(0)
    ins = rng.uniform(0.3, 0.9, 40)  # the assistant's examples: some below the default
    outs = rng.uniform(0.0, 0.2, 60)  # off-topic questions
    t, note = calibrate(ins, outs)
    assert (outs >= t.possible).mean() <= 0.05  # 95 % of off-topic questions abstain
    assert (ins >= t.possible).mean() >= 0.9  # 90 % of the examples are answered
    assert t.answer <= ANSWER_THRESHOLD and t.possible <= t.answer
    assert "hors sujet restent écartées" in note


def test_overlap_favours_abstention_and_says_so() -> None:
    ins = [0.1, 0.15, 0.2, 0.6, 0.7]
    outs = list(np.linspace(0.0, 0.4, 40))
    t, note = calibrate(ins, outs)
    assert t.possible >= np.quantile(outs, 0.95) and t.answer == ANSWER_THRESHOLD
    assert "chevauchent" in note


def test_too_few_questions_keep_the_defaults() -> None:
    assert calibrate([0.9, 0.8], [0.1] * 30)[0] == Thresholds()
    assert Thresholds().possible == POSSIBLE_THRESHOLD


def test_logistic_fit_recovers_a_separating_direction() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(400, 2))
    y = (x[:, 0] - 0.5 * x[:, 1] > 0).astype(float)
    bias, w0, w1 = fit_logistic(x, y)
    assert w0 > 0 > w1 and abs(bias) < abs(w0)


def test_socle_calibrate_sets_an_assistants_thresholds(tmp_path: Path, demo_store) -> None:  # type: ignore[no-untyped-def]
    db = copy_store(demo_store, tmp_path / "socle.db")
    spec = tmp_path / "rh.md"
    spec.write_text(
        "---\ncollections: [demo]\n---\n# Aide RH\n\nTu réponds aux agents.\n\n## Questions suggérées\n"
        "- combien de jours de congés par an ?\n- télétravail à 80 % ?\n- je suis malade pendant mes congés\n"
        "- quand est arrêté le planning des congés d'été ?\n- plafond du compte épargne-temps\n",
        encoding="utf-8",
    )
    runner = CliRunner()
    assert runner.invoke(cli, ["--db", str(db), "assistant", "create", str(spec)]).exit_code == 0
    dry = runner.invoke(cli, ["--db", str(db), "calibrate", "--assistant", "aide-rh", "--dry-run", "--json"])
    assert dry.exit_code == 0, dry.output
    report = json.loads(dry.output)
    assert report["n_in_scope"] == 5 and report["n_out_of_scope"] >= 50
    assert report["after"]["in_scope_answered"] >= report["before"]["in_scope_answered"]
    assert report["after"]["out_of_scope_abstained"] >= 0.9
    from socle.store import open_store

    assert "possible_threshold" not in open_store(db).get_assistant("aide-rh").settings  # type: ignore[union-attr]
    done = runner.invoke(cli, ["--db", str(db), "calibrate", "--assistant", "aide-rh"])
    assert done.exit_code == 0 and "après" in done.output, done.output
    store = open_store(db)
    saved = store.get_assistant("aide-rh")
    assert saved is not None
    assert saved.settings["threshold"] == report["after"]["threshold"]
    assert saved.settings["possible_threshold"] == report["after"]["possible_threshold"]
    assert any(r["action"] == "calibrate" for r in store.audit_entries(0, None))
    missing = runner.invoke(cli, ["--db", str(db), "calibrate", "--assistant", "inconnu"])
    assert missing.exit_code != 0 and "n'existe pas" in missing.output
