"""What was masked at upload, in a real browser (headless Chromium, Playwright): an
administrator uploads a note, sees the counts by type in the job's result, follows the link
to the review page, keeps a contact in clear through the allow-list form and has the
uploaded documents processed again. Every page passes axe-core's WCAG 2.1 A/AA rules and
does not overflow a 390 px wide screen (as tests/e2e/test_browser_admin.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tests.e2e.test_browser import AXE, CHROMIUM, FLAGS, SCREENSHOTS
from tests.service_helpers import PASSWORD, make_env, running_server

pytestmark = pytest.mark.e2e
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1100, "height": 900}
NOTE = (
    "Note aux agents\n\n"
    "La mission handicap répond à jeanne.dupuis@ville-exemple.fr. "
    "Le dossier de Mme Fatou Diallo est suivi par M. Karim Benali.\n"
)


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium absent : apt-get install chromium (scripts/test l'installe)")
def test_upload_review_and_allow_in_the_browser(tmp_path: Path, demo_store: Any, embedder: Any) -> None:
    from playwright.sync_api import expect, sync_playwright

    shots = Path(SCREENSHOTS or tmp_path / "screenshots")
    shots.mkdir(parents=True, exist_ok=True)
    env = make_env(tmp_path, demo_store, embedder)
    accessibility: list[str] = []
    overflow: list[str] = []
    errors: list[str] = []
    with running_server(env.app) as base, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport=DESKTOP, locale="fr-FR", bypass_csp=True)  # type: ignore[arg-type]
        page.on("pageerror", lambda exc: errors.append(str(exc)))

        def check(name: str) -> None:
            if AXE.exists():
                page.add_script_tag(path=str(AXE))
                result = page.evaluate(
                    "async () => (await axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}))"
                    ".violations.map(v => v.id + ': ' + v.nodes.length)"
                )
                accessibility.extend(f"{name}: {v}" for v in result)
            page.screenshot(path=shots / f"privacy-{name}.png", full_page=True)
            page.set_viewport_size(PHONE)  # type: ignore[arg-type]
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > PHONE["width"]:
                overflow.append(f"{name}: {width} px")
            page.screenshot(path=shots / f"privacy-{name}-390.png", full_page=True)
            page.set_viewport_size(DESKTOP)  # type: ignore[arg-type]

        page.goto(base + "/connexion")
        page.get_by_label("Identifiant").fill("admin")
        page.get_by_label("Mot de passe").fill(PASSWORD)
        page.get_by_role("button", name="Se connecter").click()
        expect(page.get_by_role("heading", name="Assistants", exact=True)).to_be_visible()

        page.goto(base + "/collections/demo")
        page.set_input_files(
            "#fichiers", files=[{"name": "note-handicap.txt", "mimeType": "text/plain", "buffer": NOTE.encode()}]
        )
        page.get_by_role("button", name="Téléverser et indexer").click()
        result = page.locator(".job-privacy")
        expect(result).to_contain_text(
            "Données personnelles masquées : 2 noms de personnes, 1 adresse électronique.", timeout=120_000
        )
        check("televersement")

        result.get_by_role("link", name="Les vérifier en contexte").click()
        expect(
            page.get_by_role("heading", name="Données personnelles masquées dans la collection demo")
        ).to_be_visible()
        expect(page.locator("mark", has_text="[EMAIL_1]")).to_be_visible()
        check("verification")

        # Next to the passages: one form per pseudonym (anonymise mode: the value is typed).
        page.get_by_text("Conserver en clair l'un de ces textes").click()
        field = page.get_by_label("[EMAIL_1] (adresse électronique)")
        field.fill("jeanne.dupuis@ville-exemple.fr")
        page.locator("form", has=field).get_by_role("button", name="Ajouter").click()
        expect(page.get_by_role("status")).to_contain_text("est ajouté à la liste autorisée")
        check("liste-autorisee")

        page.get_by_role("button", name="Traiter à nouveau les documents téléversés (1)").click()
        expect(page.locator(".job-privacy")).to_contain_text("2 noms de personnes.", timeout=120_000)
        check("retraitement")
        browser.close()

    assert not errors, errors
    assert not accessibility, accessibility
    assert not overflow, overflow
    text = env.service.store.document_text("demo", "note-handicap.txt")["text"]
    assert "jeanne.dupuis@ville-exemple.fr" in text and "Diallo" not in text
