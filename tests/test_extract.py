"""What an extractive answer can quote (units) and which one it quotes (the ranker), on
real parsed documents: table rows read with their header, headings and FAQ questions
never quoted, list items with their lead-in, the question's type."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from socle.chunk import chunk_document
from socle.extract import question_type, select, units
from socle.models import Passage
from socle.parse import parse_path

DEMO = Path(__file__).resolve().parents[1] / "demo"


def passages_of(name: str, **overrides: object) -> list[Passage]:
    """Every chunk of a demo document as a passage (what retrieval returns)."""
    doc = parse_path(DEMO / name)[0]
    out = []
    for c in chunk_document(doc):
        out.append(
            Passage(
                chunk_id=c.ordinal + 1,
                document_key=str(DEMO / name),
                document_title=doc.title,
                collection="demo",
                text=c.text,
                start=c.start,
                end=c.end,
                headings=c.headings,
                page=c.page,
                source=str(DEMO / name),
                url=None,
                score=1.0,
            )
        )
    return out


def test_table_rows_are_read_with_their_header() -> None:
    found = units(passages_of("mediatheque-horaires-pret.html"))
    rows = [u for u in found if u.kind == "row"]
    dvd = next(u for u in rows if u.text.startswith("DVD"))
    assert dvd.text == "DVD | 3 | 1 semaine"  # the exact span of the document, for the citation
    assert dvd.reading == "DVD — Nombre maximal : 3 ; Durée du prêt : 1 semaine"
    assert not any(u.text.startswith("Type de document") for u in found)  # the header row is no answer


def test_headings_and_faq_questions_are_context_not_answers() -> None:
    conges = units(passages_of("conges-annuels-agents.md"))
    texts = {u.text for u in conges}
    assert "1. Durée des congés annuels" not in texts and "2. Demande et validation" not in texts
    faq = units(passages_of("faq-etat-civil.txt"))
    assert not any(u.text.endswith("?") for u in faq)
    answer = next(u for u in faq if u.text.startswith("Le décès doit être déclaré"))
    assert "décès" in answer.context.lower()  # the FAQ question it answers


def test_a_list_is_quoted_whole_for_a_procedure_question() -> None:
    found = units(passages_of("cantine-scolaire-inscription.odt"))
    items = [i for i, u in enumerate(found) if u.kind == "item"]
    assert len(items) == 4 and all("Pièces à fournir" in found[i].context for i in items)
    dense = np.zeros(len(found))
    dense[items[1]] = 1.0  # one item is the closest unit by far
    chosen = select("Quelles pièces fournir pour inscrire un enfant à la cantine ?", found, dense)
    assert chosen is not None
    assert [u.text for u in chosen.spans[0]] == [found[i].text for i in items]


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("Combien coûte l'abonnement annuel à la médiathèque ?", "quantity"),
        ("tarifs cantine", "quantity"),
        ("Quand faut-il déposer la demande ?", "time"),
        ("combien de temps à l'avance poser ses congés", "time"),
        ("horaires du musée le dimanche", "time"),
        ("Où se trouve la médiathèque ?", "place"),
        ("Qui peut demander une copie intégrale d'un acte ?", "person"),
        ("Comment inscrire mon enfant à la cantine ?", "procedure"),
        ("je suis malade pendant mes congés, je fais quoi ?", "procedure"),
        ("Peut-on photographier les œuvres ?", "yesno"),
        ("Malade pendant mes vacances ?", "other"),
    ],
)
def test_question_types(question: str, kind: str) -> None:
    assert question_type(question) == kind


def test_a_lead_in_and_the_row_that_answers_are_cited_apart() -> None:
    found = units(passages_of("mediatheque-horaires-pret.html"))
    lead = next(i for i, u in enumerate(found) if u.kind == "lead_in")
    dvd = next(i for i, u in enumerate(found) if u.text.startswith("DVD"))
    dense = np.zeros(len(found))
    dense[lead] = 1.0
    chosen = select("Combien de DVD peut-on emprunter ?", found, dense)
    assert chosen is not None
    quoted = [[u.text for u in span] for span in chosen.spans]
    # The lead-in brings the row that answers, each its own span: no rows in between.
    assert [found[lead].text] in quoted and [found[dvd].text] in quoted


def test_a_sentence_that_points_back_comes_with_the_one_before() -> None:
    found = units(passages_of("conges-annuels-agents.md"))
    i = next(k for k, u in enumerate(found) if u.text.startswith("Sans réponse dans ce délai"))
    dense = np.zeros(len(found))
    dense[i] = 1.0
    chosen = select("Si mon chef ne répond pas à ma demande de congés, est-elle acceptée ?", found, dense)
    assert chosen is not None
    assert [u.text for u in chosen.spans[0]] == [found[i - 1].text, found[i].text]
    assert "8 jours" in chosen.spans[0][0].text  # the delay « ce délai » refers to
