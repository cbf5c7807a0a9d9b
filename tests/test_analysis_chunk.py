"""French analysis and structure-aware chunking."""

from __future__ import annotations

import re

from socle.analysis import analyse
from socle.chunk import chunk_document, index_text, split_sentences
from socle.models import Block, Document


def test_analyse_stems_folds_accents_and_drops_stop_words() -> None:
    terms = analyse("L'employeur délivre les règlements ; le Règlement des congés.")
    assert "employeur" in terms
    assert "le" not in terms and "l" not in terms and "des" not in terms
    # Inflections and accents meet on one term.
    assert analyse("règlements") == analyse("Règlement") == analyse("reglement")
    assert analyse("congés") == analyse("conge")


def test_analyse_keeps_numbers() -> None:
    assert "2024" in analyse("Circulaire du 3 mars 2024")


def test_sentences_do_not_split_on_french_abbreviations() -> None:
    text = "Voir l'art. L. 123-4 du Code. M. Martin est arrivé le 3 janv. 2024 ! Est-ce clair ? Oui."
    sentences = [text[s:e] for s, e in split_sentences(text)]
    assert sentences == [
        "Voir l'art. L. 123-4 du Code.",
        "M. Martin est arrivé le 3 janv. 2024 !",
        "Est-ce clair ?",
        "Oui.",
    ]


def _doc() -> Document:
    long_para = " ".join(f"Phrase numéro {i} du long paragraphe, qui parle de congés annuels." for i in range(40))
    return Document(
        key="k",
        title="Guide des congés",
        blocks=[
            Block("Guide des congés", "heading", 1),
            Block("Introduction courte au guide."),
            Block("Congés annuels", "heading", 2),
            Block("Chaque agent a droit à 25 jours ouvrés par an."),
            Block(long_para),
            Block("Report", "heading", 3),
            Block("Le report est possible jusqu'au 31 mars de l'année suivante."),
            Block("Télétravail", "heading", 2),
            Block("Deux jours par semaine au plus.", page=2),
        ],
    )


def test_chunks_are_exact_spans_and_never_cut_words() -> None:
    doc = _doc()
    chunks = chunk_document(doc, max_words=60)
    text = doc.text
    for c in chunks:
        assert text[c.start : c.end] == c.text
        assert len(c.text.split()) <= 60 + 5  # a heading may ride along with its first paragraph
        # boundaries fall between words
        assert c.start == 0 or not (text[c.start - 1].isalnum() and text[c.start].isalnum())
        assert c.end == len(text) or not (text[c.end - 1].isalnum() and text[c.end].isalnum())
    assert [c.ordinal for c in chunks] == list(range(len(chunks)))
    # Long paragraph split on sentence ends.
    long_chunks = [c for c in chunks if "Phrase numéro" in c.text]
    assert len(long_chunks) >= 3
    assert all(re.search(r"annuels\.$", c.text) for c in long_chunks)


def test_chunks_follow_headings() -> None:
    chunks = chunk_document(_doc(), max_words=60)
    report = next(c for c in chunks if "31 mars" in c.text)
    assert report.headings == ("Guide des congés", "Congés annuels", "Report")
    assert report.text.startswith("Report")  # the heading starts its section's chunk
    tele = next(c for c in chunks if "Deux jours" in c.text)
    assert tele.headings == ("Guide des congés", "Télétravail")
    assert "31 mars" not in tele.text  # a new heading starts a new chunk
    assert tele.page is None or tele.page in (1, 2)


def test_index_text_adds_context_once() -> None:
    chunks = chunk_document(_doc(), max_words=60)
    report = next(c for c in chunks if "31 mars" in c.text)
    ctx = index_text("Guide des congés", report)
    assert ctx.startswith("Guide des congés\nCongés annuels\n")
    assert ctx.count("Guide des congés") == 1
