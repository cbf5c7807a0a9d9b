"""Automatic indexing: keyphrases, vocabularies (CSV, SKOS), classification, search filters."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from socle.analysis import analyse
from socle.errors import ParseError
from socle.indexing import (
    AUTO_KEYWORDS,
    CATEGORIES,
    collection_vocabulary,
    facets,
    keyphrases,
    load_vocabulary,
    matches,
    set_vocabulary,
)
from socle.indexing.classify import Classifier, softmax
from socle.indexing.vocabulary import Category, Vocabulary
from socle.ingest import ingest
from socle.parse import parse_path
from socle.retrieve import Retriever
from socle.store import open_store

DEMO = Path(__file__).resolve().parent.parent / "demo"
CNIL = Path(__file__).resolve().parent.parent.parent / "shared" / "eval" / "cnil" / "corpus.jsonl"

VOCABULARY_CSV = """libellé;synonymes;définition
Ressources humaines;congés|télétravail|agents;Gestion du personnel de la mairie : congés, temps de travail
Enfance et scolarité;cantine|école;Écoles, restauration scolaire, activités périscolaires
Culture;médiathèque|musée|bibliothèque;Équipements culturels, prêts, visites, expositions
État civil;naissance|mariage|décès;Actes d'état civil et formalités
"""
EXPECTED = {
    "conges-annuels-agents.md": "Ressources humaines",
    "charte-teletravail.docx": "Ressources humaines",
    "cantine-scolaire-inscription.odt": "Enfance et scolarité",
    "mediatheque-horaires-pret.html": "Culture",
    "musee-reglement-visite.pdf": "Culture",
    "faq-etat-civil.txt": "État civil",
}


def copy_store(store, tmp_path: Path):  # type: ignore[no-untyped-def]
    """A private copy of a (session-shared) store, safe to modify."""
    target = tmp_path / "copy.db"
    with sqlite3.connect(store.path) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    return open_store(target)


@pytest.fixture
def vocabulary_file(tmp_path: Path) -> Path:
    path = tmp_path / "thèmes.csv"
    path.write_text(VOCABULARY_CSV, encoding="utf-8")
    return path


# -- keyphrases --------------------------------------------------------------------------------


def test_keyphrases_of_a_real_document_are_its_subject() -> None:
    doc = parse_path(DEMO / "conges-annuels-agents.md")[0]
    found = keyphrases(doc.text, doc.title, n=8)
    phrases = [p for p, _ in found]
    assert 1 <= len(found) <= 8
    assert "congés annuels" in phrases
    assert found[0][1] == 1.0 and all(0 < s <= 1 for _, s in found)
    assert [s for _, s in found] == sorted((s for _, s in found), reverse=True)
    stems = [frozenset(analyse(p)) for p in phrases]
    assert len(set(stems)) == len(stems), "same stems twice"
    assert not any(stems[j] <= stems[i] for i in range(len(stems)) for j in range(i + 1, len(stems))), (
        "a phrase inside a better one"
    )


def test_keyphrases_keep_elisions_and_skip_filler() -> None:
    doc = parse_path(DEMO / "faq-etat-civil.txt")[0]
    phrases = [p for p, _ in keyphrases(doc.text, doc.title, n=10)]
    assert "état civil" in phrases or "l'état civil" in phrases
    assert any("'" in p for p in phrases)  # "pièce d'identité", not "pièce identité"
    assert not {"vous", "cas", "article"} & {p.lower() for p in phrases}


def test_keyphrases_of_nothing() -> None:
    assert keyphrases("", "") == []
    assert keyphrases("Un texte.", "Titre", n=0) == []


def test_ingestion_adds_keywords_outside_the_content_hash(demo_store, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    store = copy_store(demo_store, tmp_path)
    metadata = store.document_metadata("demo")
    assert all(m.get(AUTO_KEYWORDS) for m in metadata.values())
    # Unchanged files are still skipped: the keywords are not part of what the hash covers.
    report = ingest(store, None, "demo", [DEMO])
    assert (report.added, report.updated, report.unchanged) == (0, 0, 6)


def test_keywords_given_with_a_document_are_kept(tmp_path: Path) -> None:
    corpus = tmp_path / "c.jsonl"
    corpus.write_text(
        json.dumps({"id": "a", "text": "Le compte épargne-temps des agents.", "auto_keywords": ["CET"]}) + "\n",
        encoding="utf-8",
    )
    store = open_store(tmp_path / "s.db")
    ingest(store, None, "c", [corpus])
    assert next(iter(store.document_metadata("c").values()))[AUTO_KEYWORDS] == ["CET"]
    assert store.collection_settings("c")["chunk_words"] == 120


# -- vocabularies ------------------------------------------------------------------------------


def test_csv_vocabulary_with_french_headers(vocabulary_file: Path) -> None:
    vocab = load_vocabulary(vocabulary_file)
    assert vocab.name == "thèmes" and len(vocab.categories) == 4
    rh = vocab.categories[0]
    assert (rh.id, rh.label) == ("Ressources humaines", "Ressources humaines")
    assert rh.alt_labels == ("congés", "télétravail", "agents")
    assert rh.description.startswith("Gestion du personnel")
    assert "congés" in rh.text and "Gestion" in rh.text
    assert Vocabulary.from_dict(vocab.to_dict()) == vocab


def test_csv_vocabulary_comma_separated_with_ids(tmp_path: Path) -> None:
    path = tmp_path / "v.csv"
    path.write_text('id,label,altLabels\nrh,Ressources humaines,"congés;paie"\nculture,Culture,\n', encoding="utf-8")
    vocab = load_vocabulary(path)
    assert [(c.id, c.label, c.alt_labels) for c in vocab.categories] == [
        ("rh", "Ressources humaines", ("congés", "paie")),
        ("culture", "Culture", ()),
    ]
    assert vocab.label_of("rh") == "Ressources humaines"


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("v.csv", "nom;x\n", "deux catégories"),
        ("v.csv", "titre,description\na,b\n", "colonne « label »"),
        ("v.csv", "label\nA\nA\n", "en double"),
        ("v.xlsx", "x", "non pris en charge"),
    ],
)
def test_unusable_vocabularies_are_explained(tmp_path: Path, name: str, content: str, message: str) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ParseError, match=message):
        load_vocabulary(path)


def test_skos_vocabulary(tmp_path: Path) -> None:
    pytest.importorskip("rdflib", reason="rdflib (installé avec mlcroissant) manque : SKOS non testé")
    path = tmp_path / "thesaurus.ttl"
    path.write_text(
        """@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix ex: <http://example.org/th/> .
ex:rh a skos:Concept ; skos:prefLabel "Human resources"@en, "Ressources humaines"@fr ;
    skos:altLabel "personnel"@fr ; skos:definition "Gestion des agents."@fr .
ex:conges a skos:Concept ; skos:prefLabel "Congés"@fr ; skos:broader ex:rh .
ex:culture a skos:Concept ; skos:prefLabel "Culture" .
""",
        encoding="utf-8",
    )
    vocab = load_vocabulary(path)
    by_id = {c.id: c for c in vocab.categories}
    rh = by_id["http://example.org/th/rh"]
    assert (rh.label, rh.alt_labels, rh.description) == ("Ressources humaines", ("personnel",), "Gestion des agents.")
    assert by_id["http://example.org/th/conges"].broader == "http://example.org/th/rh"
    assert by_id["http://example.org/th/culture"].label == "Culture"


# -- classification ----------------------------------------------------------------------------


def test_softmax_confidence() -> None:
    p = softmax(np.array([[0.80, 0.78, 0.70]]), 0.01)
    assert p.sum() == pytest.approx(1.0) and p[0, 0] > p[0, 1] > p[0, 2]


def test_vocabulary_classifies_stored_documents(demo_store, embedder, vocabulary_file: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    store = copy_store(demo_store, tmp_path)
    updated = set_vocabulary(store, "demo", load_vocabulary(vocabulary_file), embedder)
    assert updated == 6
    assert collection_vocabulary(store, "demo") is not None
    ids = store.document_ids("demo")
    metadata = store.document_metadata("demo")
    for key, doc_id in ids.items():
        categories = metadata[doc_id][CATEGORIES]
        assert categories[0]["label"] == EXPECTED[Path(key).name], (key, categories)
        assert 0 < categories[-1]["confidence"] <= categories[0]["confidence"] <= 1
        assert AUTO_KEYWORDS in metadata[doc_id]  # other metadata kept
    assert dict(facets(store, "demo")["category"])["Culture"] == 2

    # Search filters, by category and by keyword; scores are those of the whole collection.
    retriever = Retriever(store, embedder)
    culture = retriever.search("demo", "horaires d'ouverture", k=5, filters={"category": "culture"})
    assert {Path(p.document_key).name for p in culture} == {
        "mediatheque-horaires-pret.html",
        "musee-reglement-visite.pdf",
    }
    unfiltered = {p.document_key: p.score for p in retriever.search("demo", "horaires d'ouverture", k=6)}
    assert all(p.score == pytest.approx(unfiltered[p.document_key]) for p in culture)
    assert retriever.search("demo", "horaires", filters={"category": ["Inconnue"]}) == []
    keyword = metadata[ids[str((DEMO / "faq-etat-civil.txt").resolve())]][AUTO_KEYWORDS][0]
    found = retriever.search("demo", "copie intégrale", k=5, filters={"keyword": keyword.upper()})
    assert "faq-etat-civil.txt" in {Path(p.document_key).name for p in found}
    assert all(keyword in metadata[ids[p.document_key]][AUTO_KEYWORDS] for p in found)

    # Removing the vocabulary removes the categories.
    assert set_vocabulary(store, "demo", None, None) == 6
    assert not any(CATEGORIES in m for m in store.document_metadata("demo").values())
    assert retriever.search("demo", "horaires", filters={"category": "Culture"}) == []


def test_documents_are_classified_at_ingestion(embedder, vocabulary_file: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    store = open_store(tmp_path / "s.db")
    store.ensure_collection("mairie", embedder.name)
    set_vocabulary(store, "mairie", load_vocabulary(vocabulary_file), embedder)
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "cantine.md").write_text(
        "# Cantine scolaire\n\nL'inscription à la restauration scolaire se fait avant le 30 juin.\n", encoding="utf-8"
    )
    ingest(store, embedder, "mairie", [folder])
    (metadata,) = store.document_metadata("mairie").values()
    assert metadata[CATEGORIES][0]["label"] == "Enfance et scolarité"


def test_few_shot_examples_move_the_prototypes(embedder) -> None:  # type: ignore[no-untyped-def]
    vocab = Vocabulary("v", (Category("a", "Alpha"), Category("b", "Bêta")))
    zero = Classifier(vocab, embedder)
    vectors = np.eye(2, zero.labels.shape[1], dtype=np.float32)
    few = Classifier(vocab, embedder, label_weight=0.0).fit(vectors, ["a", "b"])
    assert few.few_shot and not zero.few_shot
    assert few.classify(vectors[:1])[0][0] == "a" and few.classify(vectors[1:])[0][0] == "b"


def test_filters_match_metadata_fields() -> None:
    meta = {
        "theme": "Internet",
        "keywords": "Badoo, site de rencontre",
        AUTO_KEYWORDS: ["compte Badoo"],
        CATEGORIES: [{"id": "x", "label": "Réseaux sociaux", "confidence": 0.7}],
    }
    assert matches(meta, {"theme": "internet"})
    assert matches(meta, {"keyword": "site de rencontre"}) and matches(meta, {"keyword": "Compte badoo"})
    assert matches(meta, {"category": "reseaux sociaux", "theme": ["Travail", "Internet"]})
    assert not matches(meta, {"category": "Travail"})
    assert not matches({}, {"keyword": "x"})


def test_keyphrases_agree_with_cnil_keywords() -> None:
    if not CNIL.exists():
        pytest.skip(f"{CNIL} absent : corpus d'évaluation cnil non disponible")
    rows = [json.loads(line) for line in CNIL.read_text(encoding="utf-8").splitlines()[:40]]
    hits = []
    for r in rows:
        human = [frozenset(analyse(k)) for k in str(r.get("keywords") or "").split(",") if analyse(k)]
        if human:
            auto = [frozenset(analyse(p)) for p, _ in keyphrases(r["text"], "", 8)]
            hits.append(any(a <= h or h <= a for a in auto for h in human))
    assert np.mean(hits) > 0.5  # most documents share at least one keyword with their human ones


def test_labelled_documents_become_examples(demo_store, embedder, vocabulary_file: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    store = copy_store(demo_store, tmp_path)
    for key in store.document_ids("demo"):
        if Path(key).name in ("musee-reglement-visite.pdf", "conges-annuels-agents.md"):
            meta = next(s.document.metadata for s in store.stored_documents("demo") if s.document.key == key)
            store.update_document_metadata("demo", key, {**meta, "theme": EXPECTED[Path(key).name].upper()})
    set_vocabulary(store, "demo", load_vocabulary(vocabulary_file), embedder, examples_field="theme")
    vocab = collection_vocabulary(store, "demo")
    assert vocab is not None and sorted(vocab.examples) == ["Culture", "Ressources humaines"]
    assert Classifier(vocab, embedder).few_shot
    assert {Path(k).name: m[CATEGORIES][0]["label"] for k, m in _by_key(store).items()} == EXPECTED


def _by_key(store):  # type: ignore[no-untyped-def]
    metadata = store.document_metadata("demo")
    return {key: metadata[i] for key, i in store.document_ids("demo").items()}
