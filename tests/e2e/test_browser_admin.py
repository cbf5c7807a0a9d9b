"""The administration pages in a real browser (headless Chromium, Playwright): an admin
creates an account, gives it a role on a collection picked from the list, searches the
documents of `demo`, opens the deletion and replacement steps, and edits an assistant.
Every page passes axe-core's WCAG 2.1 A/AA rules and does not overflow a 390 px wide
screen. Screenshots go to $SOCLE_SCREENSHOTS (or the test's temporary folder)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tests.e2e.test_browser import AXE, CHROMIUM, FLAGS, SCREENSHOTS
from tests.service_helpers import PASSWORD, make_env, running_server

pytestmark = pytest.mark.e2e
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1100, "height": 900}


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium absent : apt-get install chromium (scripts/test l'installe)")
def test_admin_pages_in_the_browser(tmp_path: Path, demo_store: Any, embedder: Any) -> None:
    from playwright.sync_api import expect, sync_playwright

    shots = Path(SCREENSHOTS or tmp_path / "screenshots")
    shots.mkdir(parents=True, exist_ok=True)
    env = make_env(tmp_path, demo_store, embedder)
    accessibility: list[str] = []
    overflow: list[str] = []
    errors: list[str] = []
    with running_server(env.app) as base, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        # bypass_csp lets the test inject axe-core; the pages themselves keep their policy.
        page = browser.new_page(viewport=DESKTOP, locale="fr-FR", bypass_csp=True)  # type: ignore[arg-type]
        page.on("pageerror", lambda exc: errors.append(str(exc)))

        def check(name: str) -> None:
            """axe-core's WCAG 2 A/AA rules (RGAA's basis), then the page on a phone."""
            if AXE.exists():
                page.add_script_tag(path=str(AXE))
                result = page.evaluate(
                    "async () => (await axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}))"
                    ".violations.map(v => v.id + ': ' + v.nodes.length)"
                )
                accessibility.extend(f"{name}: {v}" for v in result)
            page.screenshot(path=shots / f"admin-{name}.png", full_page=True)
            page.set_viewport_size(PHONE)  # type: ignore[arg-type]
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > PHONE["width"]:
                overflow.append(f"{name}: {width} px")
            page.screenshot(path=shots / f"admin-{name}-390.png", full_page=True)
            page.set_viewport_size(DESKTOP)  # type: ignore[arg-type]

        page.goto(base + "/connexion")
        page.get_by_label("Identifiant").fill("admin")
        page.get_by_label("Mot de passe").fill(PASSWORD)
        page.get_by_role("button", name="Se connecter").click()
        expect(page.get_by_role("heading", name="Assistants", exact=True)).to_be_visible()

        page.goto(base + "/admin/utilisateurs")
        expect(page.get_by_role("heading", name="Utilisateurs et droits")).to_be_visible()
        page.get_by_label("Identifiant").fill("zoe")
        page.get_by_label("Mot de passe initial").fill(PASSWORD)
        page.get_by_role("button", name="Créer le compte").click()
        expect(page.get_by_role("status")).to_have_text("Utilisateur « zoe » créé.")
        form = page.locator("form[action='/admin/utilisateurs/droits']")
        form.get_by_label("Utilisateur").select_option("zoe")
        form.get_by_label("Collection").select_option("demo")
        form.get_by_label("Rôle").select_option(label="éditeur")
        form.get_by_role("button", name="Donner ce rôle").click()
        expect(page.get_by_role("status")).to_have_text("« zoe » est éditeur de la collection « demo ».")
        expect(page.get_by_role("row", name="zoe")).to_contain_text("demo : éditeur")
        check("utilisateurs")

        page.goto(base + "/collections/demo/documents")
        expect(page.get_by_role("heading", name="Documents de la collection demo")).to_be_visible()
        page.get_by_label("Rechercher un document").fill("conges")
        page.get_by_role("button", name="Rechercher").click()
        expect(page.locator("tbody tr")).to_have_count(1)
        expect(page.locator("tbody tr")).to_contain_text("Règlement des congés annuels des agents")
        check("documents")
        page.get_by_role("button", name="Supprimer « Règlement des congés annuels des agents »").click()
        expect(page.get_by_text("Supprimer définitivement « Règlement des congés annuels des agents »")).to_be_visible()
        check("suppression")
        page.get_by_role("link", name="Annuler").click()
        page.get_by_role("link", name="Remplacer « Règlement des congés annuels des agents »").click()
        expect(page.get_by_label("Nouvelle version du document")).to_be_visible()
        check("remplacement")

        page.goto(base + "/a/demo/modifier")
        page.get_by_label("À quoi sert cet assistant").fill("Répond aux agents sur les congés et le télétravail.")
        page.get_by_label("Si la réponse n'est pas dans les documents").fill("Contactez la DRH, poste 214.")
        page.get_by_label("Exemples de questions").fill("Combien de jours de congés ?\nPuis-je télétravailler ?")
        page.get_by_role("button", name="Enregistrer les modifications").click()
        expect(page.get_by_role("status")).to_have_text("Modifications enregistrées.")
        check("assistant")

        # The other pages an administrator opens: every page of the interface passes too.
        for name, path in (
            ("accueil", "/"),
            ("nouvel-assistant", "/assistants/nouveau"),
            ("collection", "/collections/demo"),
            ("journal", "/journal"),
            ("empreinte", "/empreinte"),
            ("fiche", "/a/demo/fiche"),
            ("conversation", "/a/demo"),
        ):
            page.goto(base + path)
            check(name)
        browser.close()

    assert not errors, errors
    assert not accessibility, accessibility
    assert not overflow, overflow
    store = env.service.store
    zoe = store.get_user("zoe")
    assert zoe is not None and store.grants(zoe.id) == {"demo": "editor"}
    assert len(store.documents("demo")) == 6  # the deletion was cancelled
    demo = store.get_assistant("demo")
    assert demo is not None and demo.settings["contact"] == "Contactez la DRH, poste 214."
    assert demo.examples == ["Combien de jours de congés ?", "Puis-je télétravailler ?"]
