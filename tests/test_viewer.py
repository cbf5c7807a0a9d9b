"""The document page (socle.service.viewer): real files parsed and stored, their text shown
with headings, tables and lists, the cited span marked exactly, nothing from a file let
through as HTML, and the way back to the conversation only to this site."""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

import pytest

from socle.ingest import ingest
from socle.models import Document
from socle.parse import parse_path
from socle.service.viewer import render_document, safe_return
from socle.store import open_store
from socle.store.corpus import blocks_layout

DEMO = Path(__file__).resolve().parent.parent / "demo"
MARK = re.compile(r"<mark\b[^>]*>(.*?)</mark>", re.DOTALL)


def stored(document: Document) -> dict[str, Any]:
    """What the store keeps of a document: its text, its block layout, its title."""
    return {"text": document.text, "blocks": blocks_layout(document), "title": document.title}


def parsed(name: str) -> Document:
    return parse_path(DEMO / name)[0]


def body(doc: dict[str, Any], debut: int | None = None, fin: int | None = None) -> str:
    return str(render_document(doc, debut, fin)["body"])


def marks(page: str) -> list[str]:
    return [html.unescape(m) for m in MARK.findall(page)]


@pytest.fixture(scope="module")
def store_docs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """The demo files ingested into a real SQLite store, read back from it (text and layout)."""
    store = open_store(tmp_path_factory.mktemp("viewer") / "socle.db")
    report = ingest(store, None, "demo", [DEMO])
    assert not report.failed, report.failed
    docs = {Path(s.document.source).name: stored(s.document) for s in store.stored_documents("demo")}
    assert all(s.structured for s in store.stored_documents("demo"))
    store.close()
    return docs


@pytest.mark.parametrize(
    ("name", "headings", "table"),
    [
        (
            "conges-annuels-agents.md",
            ["<h2>1. Durée des congés annuels</h2>", "<h3>Jours de fractionnement</h3>"],
            "Situation",
        ),
        (
            "charte-teletravail.docx",
            ["<h2>1. Agents concernés</h2>", "<h2>6. Santé et sécurité</h2>"],
            "Quotité de travail",
        ),
        (
            "cantine-scolaire-inscription.odt",
            ["<h2>Pièces à fournir</h2>", "<h3>Facturation et paiement</h3>"],
            "Quotient familial",
        ),
        (
            "mediatheque-horaires-pret.html",
            ["<h2>Horaires d&#39;ouverture</h2>", "<h2>Règles de prêt</h2>"],
            "Type de document",
        ),
        (
            "musee-reglement-visite.pdf",
            ["<h2>Article 1 – Horaires d&#39;ouverture</h2>", "<h2>Article 9 – Réclamations</h2>"],
            None,
        ),
    ],
)
def test_headings_and_tables_of_every_format(
    store_docs: dict[str, dict[str, Any]], name: str, headings: list[str], table: str | None
) -> None:
    page = body(store_docs[name])
    for heading in headings:
        assert heading in page
    assert "<h1>" not in page  # the page's own <h1> is the title, not repeated below it
    assert not page.startswith(f"<h2>{html.escape(store_docs[name]['title'], quote=True)}")
    if table:
        assert page.count("<table>") == 1
        assert f'<thead><tr><th scope="col">{table}</th>' in page
        assert " | " not in page  # cells are cells, not text joined by bars
    else:
        assert "<table>" not in page
    assert "<p>" in page


def test_table_rows_are_whole_and_padded() -> None:
    page = body(stored(parsed("mediatheque-horaires-pret.html")))
    table = page[page.index("<table>") : page.index("</table>")]
    assert table.count("<tr>") == 5 and table.count("<th ") == 3 and table.count("<td>") == 12
    assert "<tr><td>DVD</td><td>3</td><td>1 semaine</td></tr>" in table


def test_a_cited_sentence_is_marked_exactly(store_docs: dict[str, dict[str, Any]]) -> None:
    doc = store_docs["charte-teletravail.docx"]
    sentence = "Un agent à temps complet peut télétravailler au maximum 2 jours par semaine."
    start = doc["text"].index(sentence)
    context = render_document(doc, start, start + len(sentence))
    page = str(context["body"])
    assert context["cited"] is True
    assert page.count('<mark id="citation" tabindex="-1">') == 1 and page.count("<mark") == 1
    assert marks(page) == [sentence]
    assert f'<p><mark id="citation" tabindex="-1">{sentence}</mark> La présence' in page


def test_a_mark_across_blocks_is_split_per_block(store_docs: dict[str, dict[str, Any]]) -> None:
    doc = store_docs["conges-annuels-agents.md"]
    text = doc["text"]
    start = text.index("fractionnement")  # inside the heading « Jours de fractionnement »
    end = text.index("Un jour de congé supplémentaire est accordé") + len("Un jour de congé")
    page = body(doc, start, end)
    assert '<h3>Jours de <mark id="citation" tabindex="-1">fractionnement</mark></h3>' in page
    assert "<p><mark>Un jour de congé</mark> supplémentaire" in page
    assert "".join(marks(page)) == text[start:end].replace("\n\n", "")
    assert page.count('id="citation"') == 1


def test_a_cited_table_row_is_marked_cell_by_cell(store_docs: dict[str, dict[str, Any]]) -> None:
    doc = store_docs["conges-annuels-agents.md"]
    row = "Absence consécutive maximale | 31 jours"
    start = doc["text"].index(row)
    page = body(doc, start, start + len(row))
    assert marks(page) == ["Absence consécutive maximale", "31 jours"]
    assert (
        '<tr><td><mark id="citation" tabindex="-1">Absence consécutive maximale</mark></td><td><mark>31 jours</mark></td></tr>'
        in page
    )


def test_a_citation_that_starts_with_the_repeated_title_keeps_it(store_docs: dict[str, dict[str, Any]]) -> None:
    doc = store_docs["conges-annuels-agents.md"]
    page = body(doc, 0, len(doc["title"]) + 10)
    assert page.startswith('<h2><mark id="citation" tabindex="-1">Règlement des congés annuels des agents</mark></h2>')
    assert "<h3>1. Durée des congés annuels</h3>" in page  # one level below the shown title


@pytest.mark.parametrize(("debut", "fin"), [(None, None), (5, 5), (9, 3), (-1, 4), (0, 10**9)])
def test_no_mark_without_a_valid_span(
    store_docs: dict[str, dict[str, Any]], debut: int | None, fin: int | None
) -> None:
    context = render_document(store_docs["faq-etat-civil.txt"], debut, fin)
    assert context["cited"] is False and "<mark" not in str(context["body"])


def test_what_a_file_says_is_text_never_markup(tmp_path: Path) -> None:
    md = tmp_path / "piege.md"
    md.write_text(
        "# Note `<script>alert('titre')</script>`\n\n"
        "Un paragraphe avec `<img src=x onerror=alert(1)>` et `</p><p>` dedans.\n\n"
        '| Colonne `<b>` | B |\n|---|---|\n| `<script>x</script>` | `<a href="javascript:alert(1)">lien</a>` |\n'
        "| deux | `&lt;déjà échappé&gt;` |\n",
        encoding="utf-8",
    )
    txt = tmp_path / "piege.txt"
    txt.write_text('Titre\n\n<script>alert("x")</script>\n\n<iframe src=//evil.example>\n', encoding="utf-8")
    for path in (md, txt):
        document = parse_path(path)[0]
        assert "<script>" in document.text or "<img" in document.text or "<iframe" in document.text
        start = document.text.index("<")
        page = body(stored(document), start, start + 8)
        tags = set(re.findall(r"</?([a-zA-Z0-9]+)", page))
        assert tags <= {"h2", "h3", "p", "pre", "ol", "li", "div", "table", "thead", "tbody", "tr", "th", "td", "mark"}
        assert "&lt;script&gt;" in page or "&lt;iframe" in page
        assert "&amp;lt;déjà échappé&amp;gt;" in page or path.suffix == ".txt"  # escaped once more, shown as written
        assert "".join(marks(page)) == document.text[start : start + 8]


def test_numbered_paragraphs_become_a_list(tmp_path: Path) -> None:
    md = tmp_path / "etapes.md"
    md.write_text(
        "# Étapes\n\nAvant tout :\n\n1. remplir le formulaire ;\n2. le signer ;\n3. le déposer.\n", encoding="utf-8"
    )
    document = parse_path(md)[0]
    item = "le signer ;"
    start = document.text.index(item)
    page = body(stored(document), start, start + len(item))
    assert '<ol><li>remplir le formulaire ;</li><li><mark id="citation" tabindex="-1">le signer ;</mark></li>' in page
    assert "<p>Avant tout :</p>" in page


def test_a_document_without_layout_keeps_its_tables(store_docs: dict[str, dict[str, Any]]) -> None:
    """Documents stored before block layouts were kept (or a layout that does not fit the
    text): paragraphs and tables, no headings, the mark still exact."""
    doc = store_docs["mediatheque-horaires-pret.html"]
    for layout in (None, '[["heading", 1, null, 3]]', "pas du JSON"):
        old = {"text": doc["text"], "title": doc["title"], "blocks": layout}
        sentence = "La carte est valable un an à compter de la date d'inscription."
        start = doc["text"].index(sentence)
        page = body(old, start, start + len(sentence))
        assert "<h2>" not in page and "<table>" in page
        assert marks(page) == [sentence]


def test_the_page_from_the_store(tmp_path: Path) -> None:
    """What the web route renders: the store's document_text, through document.html."""
    from socle.service.web import templates

    store = open_store(tmp_path / "socle.db")
    ingest(store, None, "demo", [DEMO / "mediatheque-horaires-pret.html"])
    key = store.documents("demo")[0].key
    doc = store.document_text("demo", key)
    assert doc is not None
    row = "DVD | 3 | 1 semaine"
    start = doc["text"].index(row)
    context = render_document(doc, start, start + len(row), "/a/demo/c/12")
    page = templates.get_template("document.html").render(user=None, csrf="", doc=doc, url=None, **context)
    assert '<a href="/a/demo/c/12">← Revenir à la conversation</a>' in page
    assert '<a href="#citation">Aller au passage cité</a>' in page
    assert marks(page) == ["DVD", "3", "1 semaine"]
    assert "<table>" in page and '<div class="document-body">' in page
    for bad in ("//evil.example/a", "https://evil.example", "javascript:alert(1)"):
        refused = templates.get_template("document.html").render(
            user=None, csrf="", doc=doc, url=None, **render_document(doc, None, None, bad)
        )
        assert "Revenir à la conversation" not in refused and "evil" not in refused and "javascript" not in refused
    store.close()


@pytest.mark.parametrize(
    "bad",
    [
        None,
        "",
        "a/demo/c/12",
        "//evil.example/a",
        "/\\evil.example",
        "/\t/evil.example",
        "/\n/evil.example",
        " /a/demo",
        "https://evil.example/",
        "javascript:alert(1)",
        "/a/demo\x00",
        "/" + "a" * 600,
        12,
    ],
)
def test_a_return_link_elsewhere_is_ignored(bad: object) -> None:
    assert safe_return(bad) is None


@pytest.mark.parametrize("good", ["/a/demo/c/12", "/a/demo", "/", "/a/d%C3%A9mo/c/3?page=2#fin"])
def test_a_return_link_on_this_site_is_kept(good: str) -> None:
    assert safe_return(good) == good
