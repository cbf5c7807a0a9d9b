"""The improvement page in a real browser (headless Chromium from Debian, Playwright): an editor
rejects a proposed correction through its confirmation step, reads the ratings and the
questions without an answer; axe-core finds no WCAG 2.1 A/AA violation on any view, and
nothing overflows a 390 px wide phone screen. Screenshots go to $SOCLE_SCREENSHOTS (or the
test's temporary folder)."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.e2e.test_browser import AXE, CHROMIUM, FLAGS, SCREENSHOTS
from tests.service_helpers import PASSWORD, make_env, running_server

from socle.service.auth import principal_for

pytestmark = pytest.mark.e2e
QUESTION = "Combien de jours de télétravail par semaine pour un agent à temps complet ?"
CORRECTION = "Depuis la note du 4 novembre, un agent à temps complet peut télétravailler trois jours par semaine."
OFF_TOPIC = "Quelle est la recette de la tarte tatin aux pommes caramélisées ?"
VIEWS = ("corrections", "avis", "sans-reponse")


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium absent : apt-get install chromium (scripts/test l'installe)")
def test_an_editor_works_through_the_improvement_queue(tmp_path: Path, demo_store, embedder) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect, sync_playwright

    shots = Path(SCREENSHOTS or tmp_path / "screenshots")
    shots.mkdir(parents=True, exist_ok=True)
    env = make_env(tmp_path, demo_store, embedder)
    service = env.service
    alice = principal_for(service.store, service.store.get_user("alice"))
    _, answer_id = service.ask(alice, "demo", QUESTION)
    proposed = service.rate(alice, answer_id, False, "Ce n'est plus à jour.", CORRECTION)["correction_id"]
    _, answer_id = service.ask(alice, "demo", QUESTION)
    service.rate(alice, answer_id, True, "Très clair, merci.")
    assert service.ask(alice, "demo", OFF_TOPIC)[0].abstained

    with running_server(env.app) as base, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        # bypass_csp lets the test inject axe-core; the pages themselves keep their policy.
        page = browser.new_page(viewport={"width": 1100, "height": 900}, locale="fr-FR", bypass_csp=True)
        accessibility: list[str] = []

        def audit_accessibility(name: str) -> None:
            """WCAG 2 A/AA rules of axe-core on the current page (RGAA's basis)."""
            if not AXE.exists():
                return
            page.add_script_tag(path=str(AXE))
            result = page.evaluate(
                "async () => (await axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}))"
                ".violations.map(v => v.id + ': ' + v.nodes.length)"
            )
            accessibility.extend(f"{name}: {v}" for v in result)

        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)

        page.goto(base + "/connexion")
        page.get_by_label("Identifiant").fill("bob")
        page.get_by_label("Mot de passe").fill(PASSWORD)
        page.get_by_role("button", name="Se connecter").click()
        expect(page.get_by_role("heading", name="Assistants", exact=True)).to_be_visible()

        page.goto(base + "/amelioration")
        expect(page.get_by_role("heading", name="Corrections à traiter (1)")).to_be_visible()
        card = page.locator("article.card", has_text=CORRECTION)
        expect(card).to_contain_text("Proposée par alice")
        page.screenshot(path=shots / "amelioration-1-corrections.png", full_page=True)
        audit_accessibility("corrections")

        card.get_by_role("button", name="Rejeter").click()
        expect(page.get_by_role("heading", name="Rejeter cette correction ?")).to_be_visible()
        page.screenshot(path=shots / "amelioration-2-confirmer.png", full_page=True)
        audit_accessibility("confirmation")
        page.get_by_role("button", name="Oui, rejeter").click()
        expect(page.get_by_role("status")).to_contain_text("Correction rejetée")
        expect(page.get_by_role("heading", name="Corrections à traiter (0)")).to_be_visible()
        page.get_by_text("Corrections traitées récemment").click()
        expect(page.get_by_role("table")).to_contain_text("Rejetée par bob")
        audit_accessibility("corrections traitées")

        page.get_by_role("link", name="Avis et commentaires").click()
        expect(page.get_by_role("table")).to_contain_text("Très clair, merci.")
        page.get_by_label("Verdict").select_option("pas-utiles")
        page.get_by_role("button", name="Filtrer").click()
        expect(page.get_by_role("table")).not_to_contain_text("Très clair, merci.")
        expect(page.get_by_role("table")).to_contain_text("Ce n'est plus à jour.")
        page.screenshot(path=shots / "amelioration-3-avis.png", full_page=True)
        audit_accessibility("avis")

        page.get_by_role("link", name="Questions sans réponse").click()
        expect(page.get_by_role("heading", name=f"« {OFF_TOPIC} »")).to_be_visible()
        page.screenshot(path=shots / "amelioration-4-sans-reponse.png", full_page=True)
        audit_accessibility("sans réponse")
        page.get_by_role("button", name="Rédiger une réponse").first.click()
        expect(page.get_by_label("Réponse à donner à cette question")).to_be_visible()
        page.screenshot(path=shots / "amelioration-5-rediger.png", full_page=True)
        audit_accessibility("rédiger")

        page.set_viewport_size({"width": 390, "height": 844})
        for view in VIEWS:
            page.goto(f"{base}/amelioration?vue={view}")
            page.locator("details").evaluate_all("nodes => nodes.forEach(n => { n.open = true; })")
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 390, (view, width)
            page.screenshot(path=shots / f"amelioration-mobile-{view}.png", full_page=True)
        browser.close()

    assert not errors, errors
    assert not accessibility, accessibility
    rejected = next(c for c in service.store.all_corrections() if c.id == proposed)
    assert rejected.rejected_by == "bob" and not rejected.pending
