"""A ChatMD chatbot in a real browser (headless Chromium, Playwright): an unsure question gets
« Vouliez-vous dire… » with the closest responses as buttons, a click gives the response; the
owner opens « Questions à revoir », adds the question as a keyword of the right response in
one click, and the same question then gets that response directly. axe-core checks every page
(WCAG 2.1 A/AA). Screenshots go to $SOCLE_SCREENSHOTS (or the test's temporary folder)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from tests.service_helpers import PASSWORD, make_env, running_server

pytestmark = pytest.mark.e2e
SCREENSHOTS = os.environ.get("SOCLE_SCREENSHOTS")  # read before the autouse fixture clears SOCLE_*
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
AXE = Path(__file__).resolve().parents[2] / ".cache" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
CHATBOT = Path(__file__).resolve().parents[1] / "data" / "chatmd" / "college_vie_scolaire.md"
BOT = "vie-scolaire-du-college-jean-moulin"
# Between « Contacter la vie scolaire » and « Harcèlement » the matcher cannot decide (margin
# ~0.08, under 0.1); the response the owner wants is a third one, « Assistante sociale ».
UNSURE = "Mes parents divorcent, je peux voir quelqu'un ?"


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    folder = Path(SCREENSHOTS or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium absent : apt-get install chromium (scripts/test l'installe)")
def test_did_you_mean_and_the_teachers_list(tmp_path: Path, demo_store, embedder, shots: Path) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect, sync_playwright

    from socle.cli import cli

    env = make_env(tmp_path, demo_store, embedder)
    result = CliRunner().invoke(
        cli, ["--db", env.settings.db, "assistant", "import", str(CHATBOT), "-c", "vie-scolaire"]
    )
    assert result.exit_code == 0, result.output
    loaded = env.service.chatbots.get(env.service.store.get_assistant(BOT))
    assert loaded.matcher.decide(UNSURE).kind == "choices"  # the premise of this test

    with running_server(env.app) as base, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1100, "height": 900}, locale="fr-FR", bypass_csp=True)
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        violations: list[str] = []

        def audit(name: str) -> None:
            if not AXE.exists():
                return
            page.add_script_tag(path=str(AXE))
            found: Any = page.evaluate(
                "async () => (await axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}))"
                ".violations.map(v => v.id + ': ' + v.nodes.length)"
            )
            violations.extend(f"{name}: {v}" for v in found)

        page.goto(base + "/connexion")
        page.get_by_label("Identifiant").fill("admin")
        page.get_by_label("Mot de passe").fill(PASSWORD)
        page.get_by_role("button", name="Se connecter").click()
        page.goto(f"{base}/a/{BOT}")
        expect(page.locator(".chatbot-intro")).to_contain_text("Bonjour")

        # An unsure question: « Vouliez-vous dire… » with the closest responses as buttons.
        page.get_by_label("Votre question").fill(UNSURE)
        page.get_by_role("button", name="Demander").click()
        answer = page.locator("#conversation article.answer").last
        expect(answer.locator(".answer-text")).to_contain_text("Vouliez-vous dire", timeout=60_000)
        buttons = answer.locator(".answer-choices button.choice")
        expect(buttons.first).to_be_visible()
        labels = buttons.all_inner_texts()
        assert "Harcèlement" in labels and 2 <= len(labels) <= 3, labels
        expect(answer.locator(".ai-mark")).to_be_hidden()
        page.screenshot(path=shots / "chatmd-dym-1-choix.png", full_page=True)
        audit("vouliez-vous dire")
        answer.get_by_role("button", name="Harcèlement").click()
        picked = page.locator("#conversation article.answer").last
        expect(picked.locator(".answer-text")).to_contain_text("victime ou témoin", timeout=30_000)
        page.screenshot(path=shots / "chatmd-dym-2-reponse.png", full_page=True)

        # The owner's list: the question is there, the best guess preselected; one click teaches it.
        page.goto(f"{base}/a/{BOT}")
        page.get_by_role("link", name="Questions à revoir").click()
        expect(page.get_by_role("heading", name="Questions à revoir")).to_be_visible()
        item = page.locator("article.chatmd-review").filter(has_text=UNSURE)
        expect(item).to_contain_text("Vouliez-vous dire")
        select = item.get_by_label("Bonne réponse")
        assert select.input_value() in labels
        select.select_option("Assistante sociale")
        page.screenshot(path=shots / "chatmd-dym-3-a-revoir.png", full_page=True)
        audit("questions à revoir")
        item.get_by_role("button", name="Ajouter comme mot-clé").click()
        expect(page.locator(".notice")).to_contain_text("Mot-clé ajouté")
        expect(page.locator("article.chatmd-review").filter(has_text=UNSURE)).to_have_count(0)
        page.screenshot(path=shots / "chatmd-dym-4-ajoute.png", full_page=True)
        audit("mot-clé ajouté")

        # The same question, in a new conversation: the response directly.
        page.goto(f"{base}/a/{BOT}")
        page.get_by_label("Votre question").fill(UNSURE)
        page.get_by_role("button", name="Demander").click()
        answer = page.locator("#conversation article.answer").last
        expect(answer.locator(".answer-text")).to_contain_text("assistante sociale reçoit", timeout=60_000)
        expect(answer.locator(".answer-text")).not_to_contain_text("Vouliez-vous dire")
        page.screenshot(path=shots / "chatmd-dym-5-appris.png", full_page=True)
        audit("question apprise")
        browser.close()
    assert not errors, errors
    assert not violations, violations
    audited = {r["action"] for r in env.service.store.audit_entries()}
    assert {"chatmd_review", "chatmd_keyword"} <= audited
