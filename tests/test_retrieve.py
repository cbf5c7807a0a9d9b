"""Hybrid retrieval on the real demo corpus with the real embedding model."""

from __future__ import annotations

import pytest

from socle.errors import SocleError
from socle.retrieve import Retriever

QUESTIONS = [
    # (question, expected document file, words the chosen passage must contain)
    (
        "Combien de jours de télétravail par semaine pour un agent à temps complet ?",
        "charte-teletravail.docx",
        "2 jours",
    ),
    ("Quel est le délai pour demander des congés de plus de trois jours ?", "conges-annuels-agents.md", "15 jours"),
    ("Combien de livres peut-on emprunter à la médiathèque ?", "mediatheque-horaires-pret.html", "emprunt"),
    ("Comment obtenir une copie d'acte de naissance ?", "faq-etat-civil.txt", "acte de naissance"),
    ("Quelle est la date limite d'inscription à la cantine ?", "cantine-scolaire-inscription.odt", "inscription"),
    ("Peut-on prendre des photos dans les salles du musée ?", "musee-reglement-visite.pdf", "photo"),
]


@pytest.mark.parametrize(("question", "expected", "must_contain"), QUESTIONS)
def test_hybrid_finds_the_right_document_and_passage(demo_store, embedder, question, expected, must_contain) -> None:  # type: ignore[no-untyped-def]
    passages = Retriever(demo_store, embedder).search("demo", question, k=3)
    assert passages[0].source.endswith(expected), [p.source for p in passages]
    assert must_contain.lower() in passages[0].text.lower()
    top = passages[0]
    doc_text = demo_store.document_text("demo", top.document_key)["text"]
    assert doc_text[top.start : top.end] == top.text  # offsets locate the passage for highlighting


def test_results_are_one_per_document_and_sorted(demo_store, embedder) -> None:  # type: ignore[no-untyped-def]
    passages = Retriever(demo_store, embedder).search("demo", "horaires d'ouverture", k=6)
    keys = [p.document_key for p in passages]
    assert len(keys) == len(set(keys)) == 6
    scores = [p.score for p in passages]
    assert scores == sorted(scores, reverse=True)


def test_lexical_only_still_answers(demo_store) -> None:  # type: ignore[no-untyped-def]
    passages = Retriever(demo_store, None).search("demo", "télétravail jours flottants", k=2)
    assert passages[0].source.endswith("charte-teletravail.docx")


def test_dense_finds_paraphrase_without_shared_words(demo_store, embedder) -> None:  # type: ignore[no-untyped-def]
    # No content word in common with the passage ("télétravail", "jours"): only the dense side can match.
    question = "Travailler depuis la maison : quelle limite hebdomadaire ?"
    assert Retriever(demo_store, embedder).search("demo", question, k=1)[0].source.endswith("charte-teletravail.docx")


def test_bad_queries_give_clear_errors(demo_store, embedder) -> None:  # type: ignore[no-untyped-def]
    retriever = Retriever(demo_store, embedder)
    with pytest.raises(SocleError, match="vide"):
        retriever.search("demo", "   ")
    with pytest.raises(SocleError, match="n'existe pas"):
        retriever.search("inconnue", "congés")
    # Only stop words and punctuation: no lexical term, still a dense answer and no crash.
    assert retriever.search("demo", "le la les ?!", k=2)


def test_index_cache_follows_writes(tmp_path, embedder) -> None:  # type: ignore[no-untyped-def]
    from socle.ingest import ingest
    from socle.store import open_store

    store = open_store(tmp_path / "s.db")
    doc = tmp_path / "a.md"
    doc.write_text("# Piscine\n\nLa piscine municipale ouvre à 7 h.\n", encoding="utf-8")
    ingest(store, embedder, "c", [doc])
    retriever = Retriever(store, embedder)
    assert retriever.search("c", "piscine", k=5)[0].source.endswith("a.md")
    other = tmp_path / "b.md"
    other.write_text("# Patinoire\n\nLa patinoire ouvre en décembre.\n", encoding="utf-8")
    ingest(store, embedder, "c", [other])
    assert retriever.search("c", "patinoire", k=1)[0].source.endswith("b.md")
