"""Parsers, on real files written with the real libraries (reportlab, python-docx, odfpy)."""

from __future__ import annotations

import json
import unicodedata
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from socle.errors import ParseError
from socle.models import Document
from socle.parse import SUPPORTED_SUFFIXES, parse_path

DEMO_DIR = Path(__file__).resolve().parent.parent / "demo"

LONG_PARAGRAPH = (
    "Le musée municipal est ouvert du mercredi au dimanche de 10 h à 18 h. La dernière entrée a lieu "
    "45 minutes avant la fermeture. L'évacuation des salles commence un quart d'heure avant la "
    "fermeture, et les œuvres exposées ne doivent jamais être touchées par les visiteurs, même âgés."
)
SECOND_PARAGRAPH = "Le tarif réduit, de 3 euros, s'applique aux étudiants sur justificatif."
PAGE_TWO_PARAGRAPH = "Les groupes de plus de 10 personnes réservent au moins 3 semaines à l'avance."


def one(docs: list[Document]) -> Document:
    assert len(docs) == 1
    return docs[0]


def texts(doc: Document, kind: str | None = None) -> list[str]:
    return [b.text for b in doc.blocks if kind is None or b.kind == kind]


def headings(doc: Document) -> list[tuple[str, int]]:
    return [(b.text, b.level) for b in doc.blocks if b.kind == "heading"]


# --------------------------------------------------------------------------- builders


def make_pdf(path: Path, *, title: str | None = "Règlement intérieur du musée") -> Path:
    """Two pages: title, heading and two paragraphs, then a heading and a paragraph; a
    running footer with the page number on both pages."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.pdfgen.canvas import Canvas
    from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate

    styles = getSampleStyleSheet()

    def footer(canvas: Canvas, template: SimpleDocTemplate) -> None:
        canvas.setFont("Helvetica", 8)
        canvas.drawString(72, 30, f"Mairie de Saint-Exemple – document interne – page {template.page}/2")

    story = [
        Paragraph("Règlement de visite", styles["Title"]),
        Paragraph("Article 1 – Horaires d'ouverture", styles["Heading2"]),
        Paragraph(LONG_PARAGRAPH, styles["BodyText"]),
        Paragraph(SECOND_PARAGRAPH, styles["BodyText"]),
        PageBreak(),
        Paragraph("Article 2 – Groupes", styles["Heading2"]),
        Paragraph(PAGE_TWO_PARAGRAPH, styles["BodyText"]),
    ]
    kwargs = {"title": title} if title is not None else {}
    SimpleDocTemplate(str(path), pagesize=A4, **kwargs).build(story, onFirstPage=footer, onLaterPages=footer)
    return path


def draw_pdf_lines(path: Path, lines: list[str], **canvas_kwargs: object) -> Path:
    """One page, one string per line as given (an empty string leaves an empty line)."""
    from reportlab.pdfgen.canvas import Canvas

    canvas = Canvas(str(path), **canvas_kwargs)
    y = 760
    for line in lines:
        if line:
            canvas.drawString(72, y, line)
        y -= 14
    canvas.showPage()
    canvas.save()
    return path


def make_docx(path: Path, *, title: str = "Charte du télétravail") -> Path:
    import docx
    from docx.enum.style import WD_STYLE_TYPE

    document = docx.Document()
    document.core_properties.title = title
    french_heading = document.styles.add_style("Titre 2", WD_STYLE_TYPE.PARAGRAPH)
    french_heading.base_style = document.styles["Normal"]
    document.add_heading("Principes généraux", level=1)
    document.add_paragraph("Le télétravail   repose sur le\tvolontariat de l'agent.")
    document.add_heading("Jours autorisés", level=2)
    document.add_paragraph("Deux jours par semaine au maximum.", style="List Bullet")
    document.add_paragraph("Modalités pratiques", style="Titre 2")
    document.add_paragraph("")  # empty paragraphs are dropped
    table = document.add_table(rows=3, cols=3)
    table.cell(0, 0).text = "Quotité"
    table.cell(0, 1).merge(table.cell(0, 2)).text = "Jours de télétravail"
    for row, values in ((1, ("Temps complet", "2 jours", "fixes")), (2, ("80 %", "1 jour", "fixe"))):
        for col, value in enumerate(values):
            table.cell(row, col).text = value
    document.add_paragraph("Fin de la charte.")
    document.save(str(path))
    return path


def make_odt(path: Path, *, title: str | None = "Inscription à la cantine") -> Path:
    from odf import dc
    from odf.office import Annotation
    from odf.opendocument import OpenDocumentText
    from odf.table import Table, TableCell, TableColumn, TableRow
    from odf.text import H, List, ListItem, P, S

    document = OpenDocumentText()
    if title is not None:
        document.meta.addElement(dc.Title(text=title))
    document.text.addElement(H(outlinelevel=1, text="Conditions d'inscription"))
    paragraph = P(text="Les familles inscrivent")
    paragraph.addElement(S(c=4))
    paragraph.addText("leurs enfants avant le 30 juin.")
    comment = Annotation()
    comment.addElement(P(text="COMMENTAIRE INTERNE À NE PAS INDEXER"))
    paragraph.addElement(comment)
    document.text.addElement(paragraph)
    document.text.addElement(H(outlinelevel=2, text="Pièces à fournir"))
    items = List()
    for text in ("Justificatif de domicile", "Attestation de quotient familial"):
        item = ListItem()
        item.addElement(P(text=text))
        items.addElement(item)
    document.text.addElement(items)
    table = Table(name="Tarifs")
    table.addElement(TableColumn(numbercolumnsrepeated=2))
    for cells in (("Quotient familial", "Prix du repas"), ("Moins de 500 €", "1,00 €")):
        row = TableRow()
        for text in cells:
            cell = TableCell()
            cell.addElement(P(text=text))
            row.addElement(cell)
        table.addElement(row)
    document.text.addElement(table)
    document.text.addElement(P(text="Le paiement est mensuel."))
    document.save(str(path))
    return path


HTML_PAGE = """<!DOCTYPE html>
<html lang="fr"><head><meta charset="{charset}"><title>Médiathèque – Mairie de Saint-Exemple</title></head>
<body>
<header><a href="/">Portail de la ville</a> <form><input name="q" placeholder="Rechercher"></form></header>
<nav><ul><li><a href="/">Accueil</a></li><li><a href="/demarches">Démarches en ligne</a></li>
<li><a href="/agenda">Agenda culturel</a></li></ul></nav>
<main><article>
<h1>Horaires et règles de prêt</h1>
<p>La médiathèque municipale est ouverte à tous, sans condition de résidence. L'inscription est
gratuite pour les habitants de la commune et coûte 12 € par an pour les autres lecteurs.</p>
<h2>Horaires d'ouverture</h2>
<ul><li>Mardi : 14 h – 19 h</li><li>Samedi : 10 h – 17 h sans interruption</li></ul>
<h3>Été</h3>
<p>Du 8 juillet au 31 août, la médiathèque ouvre du mardi au samedi de 10 h à 13 h, et ferme
une semaine entre Noël et le jour de l'An.</p>
<table><tr><th>Document</th><th>Nombre</th><th>Durée</th></tr>
<tr><td>Livres</td><td>10</td><td>3 semaines</td></tr></table>
</article>
<aside><h2>À la une</h2><p>Concert de la chorale samedi</p></aside>
</main>
<footer><p>Mentions légales · Plan du site · © 2024 Mairie de Saint-Exemple</p></footer>
<script>var menu = "ouvrir";</script>
</body></html>
"""


def write_html(path: Path, encoding: str = "utf-8", charset: str = "utf-8") -> Path:
    path.write_bytes(HTML_PAGE.format(charset=charset).encode(encoding))
    return path


MARKDOWN = """---
title: "Congés annuels des agents"
service: Direction des ressources humaines
---

## Préambule

Texte d'introduction.

# Règlement des congés

Chaque agent bénéficie de **25 jours ouvrés**
de congés par an, voir [le guide](https://intranet.example/guide).

1. Remplir le formulaire
2. Le transmettre au *responsable*

- Délai de `15 jours`
- Report jusqu'au 30 avril

> Le planning d'été est arrêté le 31 mars.

| Situation | Règle |
|---|---|
| Temps complet | 25 jours |

```
code   ligne 1
ligne 2
```
"""

TEXT_CP1252 = (
    "Foire aux questions état civil\n"
    "\n"
    "Où déclarer une naissance ?\n"
    "La déclaration se fait à la mairie du lieu de naissance dans les cinq jours qui\n"
    "suivent l'accouchement. Le service de l'adminis-\n"
    "tration communale délivre l'acte gratuitement ; coût réel : 0 €.\n"
    "\n"
    "Délais\n"
    "Les copies d’actes sont envoyées sous huit jours ouvrés, même à Noël, sœur comprise.\n"
    "- première pièce : livret de famille\n"
    "- seconde pièce : pièce d'identité\n"
)


# --------------------------------------------------------------------------- PDF


def test_pdf_pages_headings_and_paragraphs(tmp_path: Path) -> None:
    doc = one(parse_path(make_pdf(tmp_path / "reglement.pdf")))

    assert doc.title == "Règlement intérieur du musée"  # from the PDF metadata
    assert doc.mime == "application/pdf"
    by_text = {b.text: b for b in doc.blocks}
    # hard-wrapped lines are joined into one block per paragraph
    assert by_text[LONG_PARAGRAPH].page == 1
    assert by_text[SECOND_PARAGRAPH].page == 1
    assert by_text[PAGE_TWO_PARAGRAPH].page == 2
    assert all(b.page in (1, 2) for b in doc.blocks)
    # larger fonts become headings, ranked by size
    assert headings(doc) == [
        ("Règlement de visite", 1),
        ("Article 1 – Horaires d'ouverture", 2),
        ("Article 2 – Groupes", 2),
    ]
    assert by_text["Article 2 – Groupes"].page == 2
    # the running footer and its page numbers are dropped
    assert "document interne" not in doc.text
    assert doc.metadata["pages"] == 2


def test_pdf_title_from_first_line_and_hyphenated_breaks(tmp_path: Path) -> None:
    path = draw_pdf_lines(
        tmp_path / "note.pdf",
        [
            "Note de service",
            "",
            "Le service de l'adminis-",
            "tration communale de Saint-",
            "Exemple est ouvert le lundi.",
            "Un nouveau paragraphe commence ici.",
        ],
    )
    doc = one(parse_path(path))
    assert doc.title == "Note de service"  # reportlab's "untitled" metadata is ignored
    assert texts(doc) == [
        "Note de service",
        "Le service de l'administration communale de Saint-Exemple est ouvert le lundi.",
        "Un nouveau paragraphe commence ici.",
    ]
    assert all(b.page == 1 for b in doc.blocks)


def test_pdf_title_falls_back_to_first_line_without_metadata(tmp_path: Path) -> None:
    doc = one(parse_path(make_pdf(tmp_path / "sans-titre.pdf", title=None)))
    assert doc.title == "Règlement de visite"


def test_pdf_encrypted(tmp_path: Path) -> None:
    from reportlab.lib.pdfencrypt import StandardEncryption

    path = draw_pdf_lines(
        tmp_path / "secret.pdf", ["Confidentiel"], encrypt=StandardEncryption("motdepasse", ownerPassword="x")
    )
    with pytest.raises(ParseError, match="mot de passe") as info:
        parse_path(path)
    assert str(path) in str(info.value)


@pytest.mark.parametrize("damage", ["truncated", "garbage"])
def test_pdf_corrupt(tmp_path: Path, damage: str) -> None:
    good = make_pdf(tmp_path / "bon.pdf").read_bytes()
    path = tmp_path / "abime.pdf"
    if damage == "truncated":
        path.write_bytes(good[: len(good) // 2])
    else:
        path.write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 8)
    with pytest.raises(ParseError, match="corrompu") as info:
        parse_path(path)
    assert str(path) in str(info.value)


def test_pdf_without_text_layer(tmp_path: Path) -> None:
    path = draw_pdf_lines(tmp_path / "scan.pdf", [])
    with pytest.raises(ParseError, match="aucun texte"):
        parse_path(path)


# --------------------------------------------------------------------------- DOCX


def test_docx_headings_lists_and_tables(tmp_path: Path) -> None:
    doc = one(parse_path(make_docx(tmp_path / "charte.docx")))

    assert doc.title == "Charte du télétravail"
    assert doc.mime.endswith("wordprocessingml.document")
    assert [(b.kind, b.level, b.text) for b in doc.blocks] == [
        ("heading", 1, "Principes généraux"),
        ("paragraph", 0, "Le télétravail repose sur le volontariat de l'agent."),
        ("heading", 2, "Jours autorisés"),
        ("paragraph", 0, "Deux jours par semaine au maximum."),
        ("heading", 2, "Modalités pratiques"),  # French style name "Titre 2"
        ("paragraph", 0, "Quotité | Jours de télétravail"),  # merged cell counted once
        ("paragraph", 0, "Temps complet | 2 jours | fixes"),
        ("paragraph", 0, "80 % | 1 jour | fixe"),
        ("paragraph", 0, "Fin de la charte."),
    ]


def test_docx_title_falls_back_to_first_heading(tmp_path: Path) -> None:
    doc = one(parse_path(make_docx(tmp_path / "charte.docx", title="")))
    assert doc.title == "Principes généraux"


def test_docx_not_a_zip(tmp_path: Path) -> None:
    path = tmp_path / "ancien.docx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512)  # an old binary .doc
    with pytest.raises(ParseError, match="docx") as info:
        parse_path(path)
    assert str(path) in str(info.value)


def test_docx_zip_without_document(tmp_path: Path) -> None:
    path = tmp_path / "archive.docx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("notes.txt", "pas un document Word")
    with pytest.raises(ParseError) as info:
        parse_path(path)
    assert str(path) in str(info.value)


# --------------------------------------------------------------------------- ODT


def test_odt_document_order_headings_lists_tables(tmp_path: Path) -> None:
    doc = one(parse_path(make_odt(tmp_path / "cantine.odt")))

    assert doc.title == "Inscription à la cantine"
    assert doc.mime == "application/vnd.oasis.opendocument.text"
    assert [(b.kind, b.level, b.text) for b in doc.blocks] == [
        ("heading", 1, "Conditions d'inscription"),
        ("paragraph", 0, "Les familles inscrivent leurs enfants avant le 30 juin."),
        ("heading", 2, "Pièces à fournir"),
        ("paragraph", 0, "Justificatif de domicile"),
        ("paragraph", 0, "Attestation de quotient familial"),
        ("paragraph", 0, "Quotient familial | Prix du repas"),
        ("paragraph", 0, "Moins de 500 € | 1,00 €"),
        ("paragraph", 0, "Le paiement est mensuel."),
    ]
    assert "COMMENTAIRE" not in doc.text


def test_odt_title_falls_back_to_first_heading(tmp_path: Path) -> None:
    doc = one(parse_path(make_odt(tmp_path / "cantine.odt", title=None)))
    assert doc.title == "Conditions d'inscription"


def test_odt_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "casse.odt"
    path.write_bytes(make_odt(tmp_path / "bon.odt").read_bytes()[:300])
    with pytest.raises(ParseError) as info:
        parse_path(path)
    assert str(path) in str(info.value)


# --------------------------------------------------------------------------- HTML


def test_html_main_content_without_boilerplate(tmp_path: Path) -> None:
    doc = one(parse_path(write_html(tmp_path / "mediatheque.html")))

    assert doc.title == "Horaires et règles de prêt"
    assert doc.mime == "text/html"
    assert headings(doc) == [("Horaires et règles de prêt", 1), ("Horaires d'ouverture", 2), ("Été", 3)]
    paragraphs = texts(doc, "paragraph")
    assert "Mardi : 14 h – 19 h" in paragraphs  # list items are their own blocks
    assert "Samedi : 10 h – 17 h sans interruption" in paragraphs
    assert "Document | Nombre | Durée" in paragraphs
    assert "Livres | 10 | 3 semaines" in paragraphs
    assert any(p.startswith("Du 8 juillet au 31 août") for p in paragraphs)
    for boilerplate in ("Portail de la ville", "Démarches en ligne", "Agenda culturel", "Mentions légales"):
        assert boilerplate not in doc.text
    assert "menu" not in doc.text
    assert "**" not in doc.text and "#" not in doc.text


def test_html_legacy_encoding(tmp_path: Path) -> None:
    path = write_html(tmp_path / "ancien.htm", encoding="cp1252", charset="windows-1252")
    doc = one(parse_path(path))
    assert doc.title == "Horaires et règles de prêt"
    assert "Été" in doc.text and "12 €" in doc.text and "Noël" in doc.text


def test_html_short_page_falls_back_to_body(tmp_path: Path) -> None:
    path = tmp_path / "avis.html"
    path.write_text(
        "<html><head><title>Avis</title></head><body>"
        "<nav><a href='/'>Accueil</a> <a href='/contact'>Contact</a></nav>"
        "<h1>Fermeture exceptionnelle</h1><p>La mairie sera fermée le 15 août.</p>"
        "<footer>Mentions légales</footer></body></html>",
        encoding="utf-8",
    )
    doc = one(parse_path(path))
    assert [(b.kind, b.text) for b in doc.blocks] == [
        ("heading", "Fermeture exceptionnelle"),
        ("paragraph", "La mairie sera fermée le 15 août."),
    ]


def test_html_preformatted_lines_are_separate_blocks(tmp_path: Path) -> None:
    path = tmp_path / "permanences.html"
    path.write_text(
        "<html><body><nav><a href='/'>Accueil</a></nav><article><h1>Permanences</h1><pre>"
        "Lundi : conciliateur de justice de 9 h à 12 h, sur rendez-vous.\n"
        "Mardi : assistante sociale de 14 h à 17 h, sans rendez-vous.\n"
        "Jeudi : mission locale pour les 16-25 ans, de 9 h à 12 h.</pre>"
        "<p>Les permanences sont gratuites et ouvertes à tous les habitants de la commune.</p>"
        "</article></body></html>",
        encoding="utf-8",
    )
    assert texts(one(parse_path(path))) == [
        "Permanences",
        "Lundi : conciliateur de justice de 9 h à 12 h, sur rendez-vous.",
        "Mardi : assistante sociale de 14 h à 17 h, sans rendez-vous.",
        "Jeudi : mission locale pour les 16-25 ans, de 9 h à 12 h.",
        "Les permanences sont gratuites et ouvertes à tous les habitants de la commune.",
    ]


# --------------------------------------------------------------------------- Markdown


def test_markdown_front_matter_headings_lists(tmp_path: Path) -> None:
    path = tmp_path / "conges.md"
    path.write_text(MARKDOWN, encoding="utf-8")
    doc = one(parse_path(path))

    assert doc.title == "Congés annuels des agents"
    assert doc.mime == "text/markdown"
    assert [(b.kind, b.level, b.text) for b in doc.blocks] == [
        ("heading", 2, "Préambule"),
        ("paragraph", 0, "Texte d'introduction."),
        ("heading", 1, "Règlement des congés"),
        ("paragraph", 0, "Chaque agent bénéficie de 25 jours ouvrés de congés par an, voir le guide."),
        ("paragraph", 0, "1. Remplir le formulaire"),
        ("paragraph", 0, "2. Le transmettre au responsable"),
        ("paragraph", 0, "Délai de 15 jours"),
        ("paragraph", 0, "Report jusqu'au 30 avril"),
        ("paragraph", 0, "Le planning d'été est arrêté le 31 mars."),
        ("paragraph", 0, "Situation | Règle"),
        ("paragraph", 0, "Temps complet | 25 jours"),
        ("paragraph", 0, "code ligne 1\nligne 2"),
    ]
    assert "service:" not in doc.text and "Direction des ressources" not in doc.text


def test_markdown_title_fallbacks(tmp_path: Path) -> None:
    with_h1 = tmp_path / "a.md"
    with_h1.write_text("## Avant\n\ntexte\n\n# Le vrai titre\n\ntexte", encoding="utf-8")
    assert one(parse_path(with_h1)).title == "Le vrai titre"
    without_h1 = tmp_path / "notes-internes.markdown"
    without_h1.write_text("## Section\n\ntexte", encoding="utf-8")
    assert one(parse_path(without_h1)).title == "notes-internes"


def test_markdown_leading_rule_is_not_front_matter(tmp_path: Path) -> None:
    path = tmp_path / "regle.md"
    path.write_text("---\n\nPremier paragraphe.\n\n---\n\nSecond paragraphe.\n", encoding="utf-8")
    assert texts(one(parse_path(path))) == ["Premier paragraphe.", "Second paragraphe."]


def test_unicode_is_nfc(tmp_path: Path) -> None:
    path = tmp_path / "nfd.md"
    path.write_text(unicodedata.normalize("NFD", "# Écoles\n\nLa rentrée a lieu en été."), encoding="utf-8")
    doc = one(parse_path(path))
    assert texts(doc) == ["Écoles", "La rentrée a lieu en été."]
    assert doc.title == "Écoles"


# --------------------------------------------------------------------------- text


def test_text_cp1252_paragraphs(tmp_path: Path) -> None:
    path = tmp_path / "faq.txt"
    path.write_bytes(TEXT_CP1252.encode("cp1252"))
    doc = one(parse_path(path))

    assert doc.title == "Foire aux questions état civil"
    assert doc.mime == "text/plain"
    assert all(b.kind == "paragraph" for b in doc.blocks)  # no heading guessed in plain text
    assert texts(doc) == [
        "Foire aux questions état civil",
        "Où déclarer une naissance ?",
        "La déclaration se fait à la mairie du lieu de naissance dans les cinq jours qui suivent "
        "l'accouchement. Le service de l'administration communale délivre l'acte gratuitement ; "
        "coût réel : 0 €.",
        "Délais",
        "Les copies d’actes sont envoyées sous huit jours ouvrés, même à Noël, sœur comprise.",
        "première pièce : livret de famille",
        "seconde pièce : pièce d'identité",
    ]


def test_text_utf8_with_crlf(tmp_path: Path) -> None:
    path = tmp_path / "note.txt"
    path.write_bytes("Objet : réunion\r\n\r\nLa réunion a lieu à 14 h.\r\n".encode())
    doc = one(parse_path(path))
    assert texts(doc) == ["Objet : réunion", "La réunion a lieu à 14 h."]


def test_text_long_first_line_title_is_stem(tmp_path: Path) -> None:
    path = tmp_path / "compte-rendu.txt"
    path.write_text("mot " * 40 + "\n", encoding="utf-8")
    assert one(parse_path(path)).title == "compte-rendu"


# --------------------------------------------------------------------------- JSONL


def test_jsonl_one_document_per_line(tmp_path: Path) -> None:
    path = tmp_path / "corpus.jsonl"
    long_first_line = "Les horaires de la piscine municipale changent pendant les vacances " * 3
    records = [
        {
            "id": "doc-1",
            "title": "Piscine",
            "text": "Premier paragraphe.\nSecond paragraphe.",
            "url": "https://x.example/1",
        },
        {"id": 42, "text": long_first_line + "\nSuite.", "lang": "fr", "tags": ["sport"]},
    ]
    path.write_text("\n".join([json.dumps(records[0]), "", json.dumps(records[1], ensure_ascii=False)]) + "\n")
    docs = parse_path(path)

    assert [d.key for d in docs] == ["doc-1", "42"]
    first, second = docs
    assert first.title == "Piscine"
    assert first.url == "https://x.example/1"
    assert first.source == f"{path}#doc-1"
    assert texts(first) == ["Premier paragraphe.", "Second paragraphe."]
    assert first.metadata == {}
    assert second.url is None
    assert second.metadata == {"lang": "fr", "tags": ["sport"]}
    assert len(second.title) <= 120 and second.title.endswith("…")
    assert second.title.startswith("Les horaires de la piscine municipale")


def test_jsonl_malformed_line(tmp_path: Path) -> None:
    path = tmp_path / "corpus.jsonl"
    path.write_text('{"id": "a", "text": "ok"}\n{"id": "b", "text": \n', encoding="utf-8")
    with pytest.raises(ParseError, match="ligne 2") as info:
        parse_path(path)
    assert str(path) in str(info.value)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ('{"text": "sans identifiant"}', r"ligne 1 : champ « id » manquant"),
        ('{"id": "a"}', r"ligne 1 : champ « text » manquant"),
        ('["pas", "un", "objet"]', r"ligne 1 : un objet JSON"),
        ('{"id": "a", "text": "x"}\n{"id": "a", "text": "y"}', r"ligne 2 : identifiant « a » déjà utilisé"),
    ],
)
def test_jsonl_invalid_records(tmp_path: Path, content: str, expected: str) -> None:
    path = tmp_path / "corpus.jsonl"
    path.write_text(content + "\n", encoding="utf-8")
    with pytest.raises(ParseError, match=expected):
        parse_path(path)


# --------------------------------------------------------------------------- all formats


def _write_md(p: Path) -> Path:
    p.write_text(MARKDOWN, encoding="utf-8")
    return p


def _write_txt(p: Path) -> Path:
    p.write_bytes(TEXT_CP1252.encode("cp1252"))
    return p


def _write_jsonl(p: Path) -> Path:
    p.write_text(json.dumps({"id": "x", "text": "Un.\nDeux.\n\nTrois."}) + "\n", encoding="utf-8")
    return p


BUILDERS: dict[str, Callable[[Path], Path]] = {
    ".pdf": make_pdf,
    ".docx": make_docx,
    ".odt": make_odt,
    ".html": write_html,
    ".md": _write_md,
    ".txt": _write_txt,
    ".jsonl": _write_jsonl,
}


@pytest.mark.parametrize("suffix", sorted(BUILDERS))
def test_blocks_are_clean_and_offsets_slice_text(tmp_path: Path, suffix: str) -> None:
    path = BUILDERS[suffix](tmp_path / f"document{suffix}")
    docs = parse_path(path)
    for doc in docs:
        assert doc.blocks and doc.title
        spans = doc.block_offsets()
        assert len(spans) == len(doc.blocks)
        for block, (start, end) in zip(doc.blocks, spans, strict=True):
            assert doc.text[start:end] == block.text
            assert block.text == block.text.strip() and "\n\n" not in block.text and "  " not in block.text
            assert unicodedata.is_normalized("NFC", block.text)
            assert (block.kind == "heading") == (block.level > 0)
            assert (block.page is not None) == (suffix == ".pdf")
        if suffix != ".jsonl":
            assert doc.key == str(path.resolve())
            assert doc.source == str(path)


@pytest.mark.parametrize("suffix", SUPPORTED_SUFFIXES)
def test_empty_file(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"vide{suffix}"
    path.write_bytes(b"")
    with pytest.raises(ParseError, match="vide") as info:
        parse_path(path)
    assert str(path) in str(info.value)


def test_unsupported_extension(tmp_path: Path) -> None:
    path = tmp_path / "tableau.xlsx"
    path.write_bytes(b"PK\x03\x04")
    with pytest.raises(ParseError, match="non pris en charge"):
        parse_path(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ParseError, match="introuvable"):
        parse_path(tmp_path / "absent.md")


# --------------------------------------------------------------------------- demo corpus


def test_demo_corpus_parses() -> None:
    files = sorted(p for p in DEMO_DIR.iterdir() if p.suffix in SUPPORTED_SUFFIXES)
    assert {p.suffix for p in files} == {".md", ".docx", ".html", ".odt", ".pdf", ".txt"}
    for path in files:
        doc = one(parse_path(path))
        words = len(doc.text.split())
        assert 250 <= words <= 600, (path.name, words)
        assert doc.title != path.stem, path.name
        if path.suffix != ".txt":
            assert len(headings(doc)) >= 4, path.name
        if path.suffix == ".pdf":
            assert {b.page for b in doc.blocks} == {1, 2}
        if path.suffix == ".html":
            assert "Mentions légales" not in doc.text and "Concert de la chorale" not in doc.text


def test_docx_and_pdf_keywords_become_descriptive_metadata(tmp_path: Path) -> None:
    import docx
    from reportlab.pdfgen import canvas

    d = docx.Document()
    d.add_paragraph("Le télétravail est limité à deux jours par semaine.")
    d.core_properties.keywords = "télétravail, charte"
    d.core_properties.subject = "Ressources humaines"
    d.save(str(tmp_path / "charte.docx"))
    doc = one(parse_path(tmp_path / "charte.docx"))
    assert doc.metadata["keywords"] == "télétravail, charte"
    assert "Ressources humaines" in doc.descriptors

    c = canvas.Canvas(str(tmp_path / "note.pdf"))
    c.setKeywords("cantine, tarifs")
    c.setSubject("Restauration scolaire")
    c.drawString(72, 720, "Le repas coûte 3,20 euros.")
    c.save()
    pdf = one(parse_path(tmp_path / "note.pdf"))
    assert pdf.metadata["keywords"] == "cantine, tarifs"
    assert pdf.metadata["subject"] == "Restauration scolaire"
