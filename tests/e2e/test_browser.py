"""The main flow in a real browser (headless Chromium from Debian, driven by Playwright):
log in, ask, watch the answer stream in, open the citation highlighted in its document,
rate the answer. Screenshots go to $SOCLE_SCREENSHOTS (or the test's temporary folder)."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from tests.service_helpers import PASSWORD, make_env, running_server

pytestmark = pytest.mark.e2e
SCREENSHOTS = os.environ.get("SOCLE_SCREENSHOTS")  # read before the autouse fixture clears SOCLE_*
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# axe-core (npm), installed by scripts/test into .cache/axe: the accessibility checker.
AXE = Path(__file__).resolve().parents[2] / ".cache" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
QUESTION = "Combien de jours de télétravail par semaine pour un agent à temps complet ?"
FOLLOW_UP = "Et pour un agent à 80 % ?"
# Chromium on a machine without network: no background connections, no sandbox as root.
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    folder = Path(SCREENSHOTS or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium absent : apt-get install chromium (scripts/test l'installe)")
def test_login_ask_open_citation_and_rate(tmp_path: Path, demo_store, embedder, shots: Path) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect, sync_playwright

    env = make_env(tmp_path, demo_store, embedder)
    with running_server(env.app) as base, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        # bypass_csp lets the test inject axe-core; the pages themselves keep their policy.
        page = browser.new_page(viewport={"width": 1100, "height": 900}, locale="fr-FR", bypass_csp=True)
        accessibility: list[str] = []

        def audit_accessibility(name: str, target: Any = None) -> None:
            """WCAG 2 A/AA rules of axe-core on the current page (RGAA's basis)."""
            if not AXE.exists():
                return
            target = target or page
            target.add_script_tag(path=str(AXE))
            result = target.evaluate(
                "async () => (await axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}))"
                ".violations.map(v => v.id + ': ' + v.nodes.length)"
            )
            accessibility.extend(f"{name}: {v}" for v in result)

        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)

        page.goto(base + "/")
        expect(page).to_have_url(base + "/connexion")
        page.get_by_label("Identifiant").fill("alice")
        page.get_by_label("Mot de passe").fill(PASSWORD)
        page.screenshot(path=shots / "1-connexion.png")
        audit_accessibility("connexion")
        page.get_by_role("button", name="Se connecter").click()
        expect(page.get_by_role("heading", name="Assistants", exact=True)).to_be_visible()
        page.get_by_role("link", name="Assistant démo").click()
        audit_accessibility("assistant")

        box = page.get_by_label("Votre question")
        box.fill(QUESTION)
        box.press("Enter")  # Enter sends
        expect(box).to_have_value("")  # and the box empties
        answer = page.locator("#conversation article.answer").last
        expect(answer.locator(".citations li")).to_have_count(1, timeout=30_000)
        expect(page).to_have_url(re.compile(r"/a/demo/c/\d+$"))  # the page is now the conversation's
        conversation_url = page.url
        expect(answer.locator(".badge")).to_have_text("Généré par IA")
        expect(answer.locator(".footprint")).not_to_have_attribute("open", "")  # folded under the answer
        answer.locator(".footprint summary").click()
        expect(answer.locator(".footprint-figures")).to_contain_text("mWh")
        expect(answer.locator(".answer-text")).to_contain_text("[1]")
        page.screenshot(path=shots / "2-reponse.png", full_page=True)
        audit_accessibility("réponse")

        box.type("Et pour un agent")
        box.press("Shift+Enter")  # a new line, not a question
        expect(box).to_have_value("Et pour un agent\n")
        box.fill(FOLLOW_UP)
        box.press("Enter")
        expect(page.locator("#conversation article.answer")).to_have_count(2)
        follow = page.locator("#conversation article.answer").last  # the newest at the bottom
        expect(follow.locator(".question-echo")).to_contain_text(FOLLOW_UP)
        expect(follow.locator(".citations li")).not_to_have_count(0, timeout=30_000)
        expect(follow).not_to_have_class(re.compile("abstained"))  # the follow-up is answered
        expect(follow.locator(".citation-link").first).to_contain_text("Charte du télétravail")
        follow_id = follow.get_attribute("data-answer-id")
        marker = follow.locator("a.marker").first
        assert marker.get_attribute("href") == f"#source-{follow_id}-1"  # its own source, not the first answer's
        expect(page.locator(f"#source-{follow_id}-1")).to_have_count(1)

        # A citation opens beside the conversation, highlighted, with the way back.
        quote = answer.locator(".citations blockquote").first.inner_text()
        with page.expect_popup() as opened:
            answer.locator("a.citation-link").first.click()
        document = opened.value
        mark = document.locator("mark#citation").first
        expect(mark).to_be_visible()
        assert quote.split()[0] in " ".join(m.inner_text() for m in document.locator("mark").all())
        expect(mark).to_be_in_viewport()
        document.screenshot(path=shots / "3-citation.png")
        audit_accessibility("document", document)
        back_link = document.get_by_role("link", name=re.compile("Revenir à la conversation"))
        assert back_link.get_attribute("href") == conversation_url.removeprefix(base)
        back_link.click()
        expect(document.locator("#conversation article.answer")).to_have_count(2)
        document.close()

        # The same citation opened in this tab, then Back: the conversation is still there.
        page.goto(base + str(answer.locator("a.citation-link").first.get_attribute("href")))
        expect(page.locator("mark#citation").first).to_be_visible()
        page.go_back()
        expect(page).to_have_url(conversation_url)
        expect(page.locator("#conversation article.answer")).to_have_count(2)

        # A reload, and Back from another page, show the same conversation.
        page.reload()
        expect(page.locator("#conversation article.answer")).to_have_count(2)
        page.get_by_role("link", name="Fiche de transparence").click()
        expect(page).to_have_url(re.compile("/fiche$"))
        page.go_back()
        expect(page).to_have_url(conversation_url)
        expect(page.locator("#conversation article.answer")).to_have_count(2)
        expect(page.locator(".conversations a[aria-current=page]")).to_contain_text(QUESTION[:40])

        answer = page.locator("#conversation article.answer").first
        answer.get_by_label("Pas utile").check()
        answer.get_by_text("Ajouter un commentaire ou une correction").click()
        answer.get_by_label("Commentaire").fill("Il manque le cas du temps partiel.")
        answer.get_by_role("button", name="Envoyer mon avis").click()
        expect(answer.locator(".rate-status")).to_have_text("Merci, votre avis a été enregistré.")
        page.screenshot(path=shots / "4-avis.png", full_page=True)
        audit_accessibility("avis")

        # On a phone: nothing wider than the screen, the new answer brought into view.
        phone = browser.new_page(viewport={"width": 390, "height": 844}, locale="fr-FR", bypass_csp=True)
        phone.context.add_cookies(page.context.cookies())
        cited = answer.locator("a.citation-link").first.get_attribute("href")  # the document page, its table
        for path in ("/", conversation_url.removeprefix(base), "/collections/demo", str(cited)):
            phone.goto(base + path)
            assert phone.evaluate("document.documentElement.scrollWidth") <= 390, path
        phone.goto(conversation_url)
        phone.get_by_label("Votre question").fill(QUESTION)
        phone.get_by_role("button", name="Demander").click()
        newest = phone.locator("#conversation article.answer").last
        expect(newest.locator(".citations li")).to_have_count(1, timeout=30_000)
        expect(newest.locator(".question-echo")).to_be_in_viewport()
        assert phone.evaluate("document.documentElement.scrollWidth") <= 390
        phone.screenshot(path=shots / "5-mobile.png")
        audit_accessibility("mobile", phone)
        browser.close()

    assert not errors, errors
    assert not accessibility, accessibility
    feedback = env.service.store.feedback()
    assert [(f["username"], f["rating"], f["comment"]) for f in feedback] == [
        ("alice", -1, "Il manque le cas du temps partiel.")
    ]
    asked = [r for r in env.service.store.audit_entries() if r["action"] == "ask"]
    assert len(asked) == 3 and all(r["username"] == "alice" for r in asked)


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium absent : apt-get install chromium (scripts/test l'installe)")
def test_chatmd_chatbot_in_the_browser(tmp_path: Path, demo_store, embedder, shots: Path) -> None:  # type: ignore[no-untyped-def]
    """Import a teacher's ChatMD file from the web form, open it, click a button, type a question."""
    from playwright.sync_api import expect, sync_playwright

    chatbot_file = Path(__file__).resolve().parents[1] / "data" / "chatmd" / "college_vie_scolaire.md"
    env = make_env(tmp_path, demo_store, embedder)
    with running_server(env.app) as base, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1100, "height": 900}, locale="fr-FR")
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(base + "/connexion")
        page.get_by_label("Identifiant").fill("admin")
        page.get_by_label("Mot de passe").fill(PASSWORD)
        page.get_by_role("button", name="Se connecter").click()
        page.get_by_role("link", name="Nouvel assistant").click()
        page.get_by_label("Ou un chatbot ChatMD existant (fichier .md)").set_input_files(str(chatbot_file))
        page.get_by_role("button", name="Créer l'assistant").click()
        expect(page.get_by_role("heading", name="Vie scolaire du collège Jean Moulin")).to_be_visible(timeout=180_000)
        expect(page.locator(".notices")).to_contain_text("Chatbot importé")
        expect(page.locator(".chatbot-intro")).to_contain_text("Bonjour")
        page.screenshot(path=shots / "chatmd-1-accueil.png", full_page=True)

        page.locator(".chatbot-intro").get_by_role("button", name="Cantine et demi-pension").click()
        answer = page.locator("#conversation article.answer").last
        expect(answer.locator(".answer-text")).to_contain_text("demi-pension", timeout=120_000)
        expect(answer.locator(".ai-mark")).to_be_hidden()  # the teacher's text, not an AI answer
        expect(answer.locator(".answer-choices button.choice").first).to_be_visible()
        page.screenshot(path=shots / "chatmd-2-choix.png", full_page=True)

        page.get_by_label("Votre question").fill(
            "Mon fils a de la fièvre ce matin et ne pourra pas venir en cours, que dois-je faire ?"
        )
        page.get_by_role("button", name="Demander").click()
        answer = page.locator("#conversation article.answer").last
        expect(answer.locator(".answer-text")).to_contain_text("billet d'absence", timeout=30_000)
        page.screenshot(path=shots / "chatmd-3-question.png", full_page=True)
        browser.close()
    assert not errors, errors
