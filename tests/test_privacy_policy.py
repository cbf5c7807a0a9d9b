"""Privacy administration (issue 19): the per-collection allow-list, the cultural option, key
rotation with no downtime, and what the admin is told was masked (CLI)."""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from socle.cli import cli
from socle.errors import ConfigError, SocleError
from socle.ingest import ingest
from socle.privacy import analyzer
from socle.privacy.analyzer import Detector, get_detector
from socle.privacy.labels import masked_line, masked_summary
from socle.privacy.policy import (
    DocumentPrivacy,
    add_allowed,
    allow_list,
    privacy_report,
    remove_allowed,
    reveal_mapping,
    rotate_key,
    set_collection_mode,
    set_public_figures,
)
from socle.privacy.pseudonymise import AllowList
from socle.privacy.vault import KeyMismatchError, new_key, opens
from socle.store import open_store

# The contact of the disability officer is one the collection chooses to publish (a
# person-like mailbox and a mobile number: the detector alone masks them).
NOTE = (
    "Note de service\n\n"
    "La mission handicap répond à jeanne.dupuis@ville-exemple.fr ou au +33 6 99 00 12 34. "
    "Le dossier de Mme Fatou Diallo, joignable au 06 12 34 56 78, est suivi par M. Karim Benali.\n"
)
LETTERS = {
    "a.txt": "Je soussigné Jean Dupont, demeurant 3 rue des Lilas, 31000 Toulouse, demande un rendez-vous.\n",
    "b.txt": "Mme Sophie Martin a écrit depuis sophie.martin@orange.fr pour son dossier.\n",
    "c.txt": "M. Paul Lefèvre, né le 12 mars 1961, joignable au 06 98 76 54 32, est convoqué.\n",
}
RAW = ("Jean Dupont", "Sophie Martin", "sophie.martin@orange.fr", "06 98 76 54 32", "Lefèvre", "rue des Lilas")


@pytest.fixture(scope="module")
def detector() -> Iterator[Detector]:
    """The shared detector, built with the network cut."""

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("network access attempted while loading the privacy detector")

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(socket.socket, "connect", refuse)
        mp.setattr(socket, "create_connection", refuse)
        d = get_detector()
        d.detect("M. Dupont écrit à jean.dupont@example.fr.")
        yield d


def _write(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def _text(store: Any, collection: str, path: Path) -> str:
    return str(store.document_text(collection, str(path.resolve()))["text"])


# -- allow-list: matching ----------------------------------------------------------------------
def test_allow_list_matches_whatever_the_case_accents_spacing_and_format() -> None:
    allow = AllowList(["DRH@Ville-Exemple.fr", "01 99 00 12 34", "Médiathèque, 4 rue des Écoles", "Jean Moulin"])
    assert allow.allows("EMAIL", "drh@ville-exemple.fr")
    assert allow.allows("TELEPHONE", "+33 1 99 00 12 34") and allow.allows("TELEPHONE", "01.99.00.12.34")
    assert allow.allows("TELEPHONE", "0199001234") and not allow.allows("TELEPHONE", "01 99 00 12 35")
    assert allow.allows("PERSONNE", "MOULIN Jean") and allow.allows("PERSONNE", "jean  moulin")
    # An address: the detector may have taken in more, or less, than the entry.
    assert allow.allows("ADRESSE", "4 rue des ecoles") and allow.allows(
        "ADRESSE", "Médiathèque, 4 Rue des Écoles, 75001 Paris"
    )
    assert not allow.allows("ADRESSE", "14 rue des Lilas")
    assert not allow.allows("EMAIL", "autre@ville-exemple.fr") and not allow.allows("PERSONNE", "Jean")
    # A city alone does not unmask every address of that city.
    assert not AllowList(["Paris"]).allows("ADRESSE", "12 rue de la Paix, 75002 Paris")
    assert AllowList(["a b"]).digest() == AllowList(["A  B"]).digest() != AllowList().digest()


def test_allow_list_settings_add_remove_and_limits(tmp_path: Path) -> None:
    store = open_store(tmp_path / "socle.db")
    assert add_allowed(store, "rh", "  drh@ville-exemple.fr ")
    assert not add_allowed(store, "rh", "DRH@VILLE-EXEMPLE.FR")  # the same entry, compared loosely
    assert add_allowed(store, "rh", "01 99 00 12 34")
    assert allow_list(store, "rh") == ["drh@ville-exemple.fr", "01 99 00 12 34"]
    for bad in ("", "   ", "—", "x" * 301):
        with pytest.raises(SocleError, match=r"texte|lettre|caractères"):
            add_allowed(store, "rh", bad)
    assert remove_allowed(store, "rh", "01.99.00.12.34") == ["01 99 00 12 34"]
    assert remove_allowed(store, "rh", "inconnu") == []
    assert allow_list(store, "rh") == ["drh@ville-exemple.fr"]


def test_hash_changes_with_allow_list_and_culture_only_when_set(tmp_path: Path) -> None:
    from socle.models import Block, Document

    store = open_store(tmp_path / "socle.db")
    doc = Document(key="k", title="t", blocks=[Block("Bonjour.")], source="k")
    plain = DocumentPrivacy(store, "c", "anonymise").content_hash(doc)
    allowed = DocumentPrivacy(store, "c", "anonymise", allow=["drh@x.fr"]).content_hash(doc)
    other = DocumentPrivacy(store, "c", "anonymise", allow=["drh@y.fr"]).content_hash(doc)
    culture = DocumentPrivacy(store, "c", "anonymise", keep_public_figures=True).content_hash(doc)
    assert len({plain, allowed, other, culture}) == 4
    assert DocumentPrivacy(store, "c", "anonymise", allow=[]).content_hash(doc) == plain  # unchanged collections


# -- allow-list and culture at ingestion ---------------------------------------------------------
def test_allowed_contacts_stay_in_clear_and_reingestion_reprocesses(detector: Detector, tmp_path: Path) -> None:
    note = _write(tmp_path / "docs", {"note.txt": NOTE}) / "note.txt"
    store = open_store(tmp_path / "socle.db")
    first = ingest(store, None, "rh", [note])
    text = _text(store, "rh", note)
    assert "jeanne.dupuis@ville-exemple.fr" not in text and "+33 6 99 00 12 34" not in text
    assert first.masked["EMAIL"] == 1 and first.masked["TELEPHONE"] == 2 and first.masked["PERSONNE"] == 2
    add_allowed(store, "rh", "Jeanne.Dupuis@ville-exemple.fr")
    add_allowed(store, "rh", "06 99 00 12 34")  # written +33 6 99 00 12 34 in the note
    again = ingest(store, None, "rh", [note])
    assert again.updated == 1  # same file, new allow-list: processed again
    text = _text(store, "rh", note)
    assert "jeanne.dupuis@ville-exemple.fr" in text and "+33 6 99 00 12 34" in text
    assert "Diallo" not in text and "06 12 34 56 78" not in text and "Benali" not in text  # still personal
    assert dict(again.masked) == {"PERSONNE": 2, "TELEPHONE": 1}
    assert ingest(store, None, "rh", [note]).unchanged == 1
    assert privacy_report(store, "rh")["totals"]["TELEPHONE"]["occurrences"] == 1


class _Spy:
    """The real detector, recording the cultural option it is given."""

    def __init__(self, inner: Detector) -> None:
        self.inner = inner
        self.calls: list[bool] = []

    def detect_many(self, texts: Any, *, keep_public_figures: bool = False) -> Any:
        self.calls.append(keep_public_figures)
        return self.inner.detect_many(texts, keep_public_figures=keep_public_figures)


def test_cultural_option_reaches_the_detector_and_reprocesses(
    detector: Detector, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    doc = _write(tmp_path / "docs", {"expo.txt": "L'exposition présente des toiles de Paul Cézanne.\n"}) / "expo.txt"
    store = open_store(tmp_path / "socle.db")
    spy = _Spy(detector)
    monkeypatch.setattr(analyzer, "_default", spy)
    ingest(store, None, "musee", [doc])
    set_public_figures(store, "musee", True)
    assert ingest(store, None, "musee", [doc]).updated == 1
    assert spy.calls == [False, True]
    assert privacy_report(store, "musee")["public_figures"] is True


def test_cultural_option_keeps_public_figures(detector: Detector, tmp_path: Path) -> None:
    pytest.importorskip("socle.privacy._public_figures")  # the detector's list (issue 19, detector side)
    doc = _write(tmp_path / "docs", {"expo.txt": "L'exposition présente des toiles de Paul Cézanne.\n"}) / "expo.txt"
    store = open_store(tmp_path / "socle.db")
    ingest(store, None, "musee", [doc])
    assert "Cézanne" not in _text(store, "musee", doc)
    set_public_figures(store, "musee", True)
    ingest(store, None, "musee", [doc])
    assert "Paul Cézanne" in _text(store, "musee", doc)


def test_allow_and_culture_commands(detector: Detector, tmp_path: Path) -> None:
    runner = CliRunner()
    db = str(tmp_path / "socle.db")

    def run(*args: str) -> Any:
        return runner.invoke(cli, ["--db", db, "privacy", *args])

    assert "est vide" in run("allow", "-c", "rh").output
    added = run("allow", "-c", "rh", "drh@ville-exemple.fr")
    assert added.exit_code == 0 and "conservé en clair" in added.output
    assert "déjà dans la liste" in run("allow", "-c", "rh", "DRH@ville-exemple.fr").output
    assert run("allow", "-c", "rh", "01 99 00 12 34").exit_code == 0
    assert run("allow", "-c", "rh").output.splitlines() == ["drh@ville-exemple.fr", "01 99 00 12 34"]
    assert run("culture", "-c", "rh").output.strip() == "non"
    assert "conservées en clair" in run("culture", "-c", "rh", "oui").output
    report = run("report", "-c", "rh")
    assert report.exit_code == 0, report.output
    assert "Liste autorisée (conservé en clair) : 2 entrée(s)" in report.output
    assert "  - drh@ville-exemple.fr" in report.output
    assert "Personnalités publiques (option culturelle) : conservées en clair" in report.output
    letter = _write(tmp_path / "docs", {"note.txt": NOTE}) / "note.txt"
    scanned = runner.invoke(cli, ["--db", db, "privacy", "scan", str(letter), "--json"])
    assert scanned.exit_code == 0 and '"EMAIL": 1' in scanned.output
    assert run("allow", "-c", "rh", "jeanne.dupuis@ville-exemple.fr").exit_code == 0
    scanned = runner.invoke(cli, ["--db", db, "privacy", "scan", str(letter), "-c", "rh", "--json"])
    assert scanned.exit_code == 0 and '"EMAIL"' not in scanned.output  # the collection's allow-list applied
    removed = run("allow", "-c", "rh", "--remove", "0199001234")
    assert removed.exit_code == 0 and "01 99 00 12 34" in removed.output
    missing = run("allow", "-c", "rh", "--remove", "inconnu")
    assert missing.exit_code == 1 and "n'est pas dans la liste" in missing.output
    store = open_store(db)
    actions = [(r["action"], r["collections"]) for r in store.audit_entries()]
    assert ("privacy_allow", ["rh"]) in actions and ("privacy_allow_remove", ["rh"]) in actions
    assert ("privacy_culture", ["rh"]) in actions


# -- key rotation --------------------------------------------------------------------------------
@pytest.fixture
def sealed(detector: Detector, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, Path, str]:
    """A pseudonymise collection of three letters sealed with an old key (in SOCLE_PRIVACY_KEY)."""
    old = new_key()
    monkeypatch.setenv("SOCLE_PRIVACY_KEY", old)
    db = tmp_path / "socle.db"
    store = open_store(db)
    set_collection_mode(store, "rh", "pseudonymise")
    folder = _write(tmp_path / "lettres", LETTERS)
    assert ingest(store, None, "rh", [folder]).added == 3
    return store, folder, old


def test_rotate_command_reseals_and_retires_the_old_key(
    sealed: tuple[Any, Path, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    store, folder, old = sealed
    fresh = new_key()
    key_file = tmp_path / "nouvelle.key"
    key_file.write_text(fresh + "\n", encoding="ascii")
    runner = CliRunner()
    db = str(store.path)
    missing = runner.invoke(cli, ["--db", db, "privacy", "key", "rotate", "-c", "rh"])
    assert missing.exit_code == 1 and "--new-key-file" in missing.output and "SOCLE_PRIVACY_NEW_KEY" in missing.output
    with caplog.at_level(logging.DEBUG):
        done = runner.invoke(cli, ["--db", db, "privacy", "key", "rotate", "--new-key-file", str(key_file)])
    assert done.exit_code == 0, done.output
    assert "3 correspondance(s) rechiffrée(s)" in done.output and "l'ancienne clé est désormais refusée" in done.output
    letter = str((folder / "b.txt").resolve())
    assert reveal_mapping(store, "rh", letter, fresh)["[EMAIL_1]"] == "sophie.martin@orange.fr"
    with pytest.raises(ConfigError, match="a été remplacée"):
        reveal_mapping(store, "rh", letter, old)
    with pytest.raises(ConfigError, match="a été remplacée"):
        ingest(store, None, "rh", [folder])  # SOCLE_PRIVACY_KEY is still the old key
    monkeypatch.setenv("SOCLE_PRIVACY_KEY", fresh)
    (folder / "d.txt").write_text("Mme Claire Petit habite 8 avenue Foch, 69006 Lyon.\n", encoding="utf-8")
    assert ingest(store, None, "rh", [folder]).added == 1  # the new key works
    shown = runner.invoke(cli, ["--db", db, "privacy", "reveal", "-c", "rh", str(folder / "c.txt")])
    assert shown.exit_code == 0 and "Lefèvre" in shown.output
    # Nothing decrypted, nor any key, in the rotation's output, logs or audit.
    audit = str([r for r in store.audit_entries() if r["action"] == "privacy_key_rotate"])
    assert "resealed" in audit
    for text in (done.output, caplog.text, audit):
        for secret in (*RAW, old, fresh):
            assert secret not in text, secret
    again = runner.invoke(cli, ["--db", db, "privacy", "key", "rotate", "-c", "rh", "--new-key-file", str(key_file)])
    assert again.exit_code == 1 and "identique" in again.output


def test_interrupted_rotation_accepts_both_keys_then_resumes(
    sealed: tuple[Any, Path, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    store, folder, old = sealed
    fresh = new_key()

    class Interrupted(Exception):
        pass

    def stop_after_first(rotation: Any) -> None:
        if rotation.resealed >= 1:
            raise Interrupted

    with pytest.raises(Interrupted):
        rotate_key(store, "rh", old, fresh, batch=1, on_batch=stop_after_first)
    tokens = dict(store.privacy_mappings("rh"))
    assert sorted(opens(t, fresh) for t in tokens.values()) == [False, False, True]
    first = str((folder / "a.txt").resolve())  # keys are re-sealed in order: a.txt went first
    last = str((folder / "c.txt").resolve())
    # During the rotation: both keys are accepted; each opens what it sealed.
    assert reveal_mapping(store, "rh", first, fresh)["[PERSONNE_1]"] == "Jean Dupont"
    assert "Lefèvre" in reveal_mapping(store, "rh", last, old)["[PERSONNE_1]"]
    with pytest.raises(KeyMismatchError, match="Rotation de clé en cours"):
        reveal_mapping(store, "rh", first, old)
    assert privacy_report(store, "rh")["key_rotation_in_progress"]
    # A process still holding the old key goes on ingesting.
    (folder / "d.txt").write_text("Mme Claire Petit habite 8 avenue Foch, 69006 Lyon.\n", encoding="utf-8")
    assert ingest(store, None, "rh", [folder]).added == 1
    resumed = rotate_key(store, "rh", old, fresh, batch=2)
    assert (resumed.resealed, resumed.already, resumed.finished) == (3, 1, True)
    assert all(opens(t, fresh) for _, t in store.privacy_mappings("rh"))
    assert reveal_mapping(store, "rh", str((folder / "d.txt").resolve()), fresh)["[PERSONNE_1]"] == "Claire Petit"
    with pytest.raises(ConfigError, match="a été remplacée"):
        reveal_mapping(store, "rh", last, old)
    assert not privacy_report(store, "rh")["key_rotation_in_progress"]


def test_rotation_run_again_catches_a_late_old_key_mapping(sealed: tuple[Any, Path, str]) -> None:
    from socle.privacy.vault import seal

    store, _, old = sealed
    fresh = new_key()
    assert rotate_key(store, "rh", old, fresh).finished
    # A process that checked the old key just before the end wrote one more mapping with it.
    store.put_privacy_record("rh", "tardif", "pseudonymise", {}, seal({"[PERSONNE_1]": "Léa Roux"}, old))
    again = rotate_key(store, "rh", old, fresh)
    assert (again.resealed, again.already, again.finished) == (1, 3, True)
    assert all(opens(t, fresh) for _, t in store.privacy_mappings("rh"))
    with pytest.raises(ConfigError, match="n'est pas celle"):
        rotate_key(store, "rh", new_key(), fresh)  # an unknown key is not taken for the retired one


def test_rotation_refuses_a_wrong_current_key(sealed: tuple[Any, Path, str]) -> None:
    store, _, _ = sealed
    with pytest.raises(ConfigError, match="n'est pas celle de la collection"):
        rotate_key(store, "rh", new_key(), new_key())


def test_key_alone_and_key_new_still_make_a_key() -> None:
    runner = CliRunner()
    for args in (["privacy", "key"], ["privacy", "key", "new"]):
        result = runner.invoke(cli, args)
        assert result.exit_code == 0 and len(result.output.splitlines()[0]) == 44


# -- what the admin is told ------------------------------------------------------------------
def test_masked_labels_are_french_and_singular_or_plural() -> None:
    counts = {"PERSONNE": {"occurrences": 3, "values": 2}, "EMAIL": {"occurrences": 1, "values": 1}}
    assert masked_summary(counts) == ["3 noms de personnes", "1 adresse électronique"]
    assert masked_summary({"TELEPHONE": 1, "IP": 0}) == ["1 numéro de téléphone"]
    assert masked_line({"TELEPHONE": 2}, "rh") == (
        "Données personnelles masquées : 2 numéros de téléphone — détail : socle privacy report --collection rh"
    )


def test_ingest_command_ends_with_what_it_masked(detector: Detector, tmp_path: Path) -> None:
    folder = _write(tmp_path / "lettres", LETTERS)
    runner = CliRunner()
    db = str(tmp_path / "socle.db")
    result = runner.invoke(cli, ["--db", db, "ingest", str(folder), "-c", "rh"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    line = next(x for x in result.output.splitlines() if x.startswith("Données personnelles masquées"))
    assert "3 noms de personnes" in line and "1 adresse électronique" in line and "1 numéro de téléphone" in line
    assert line.endswith("détail : socle privacy report --collection rh")
    again = runner.invoke(cli, ["--db", db, "ingest", str(folder), "-c", "rh"], catch_exceptions=False)
    assert "Données personnelles masquées" not in again.output  # nothing processed this time


# -- the web pages: what an upload masked, the review page, the allow-list form -----------------
HR_NOTE = (
    "Note aux agents\n\n"
    "La mission handicap répond à jeanne.dupuis@ville-exemple.fr. "
    "Le dossier de Mme Fatou Diallo est suivi par M. Karim Benali.\n"
)


@pytest.fixture
def web(tmp_path: Path, demo_store: Any, embedder: Any) -> Any:
    from tests.service_helpers import make_env

    return make_env(tmp_path, demo_store, embedder)


def _job(env: Any, job: int) -> dict[str, Any]:
    import time

    for _ in range(600):
        found = env.service.store.job(job)
        if found and found["status"] in ("done", "failed"):
            break
        time.sleep(0.1)
    env.service._ingestion.submit(lambda: None).result(timeout=60)
    return dict(env.service.store.job(job) or {})


def _client(env: Any, username: str) -> tuple[Any, str]:
    from fastapi.testclient import TestClient
    from tests.service_helpers import login

    client = TestClient(env.app)
    return client, login(client, username)


def test_upload_report_review_and_allow_then_reprocess(web: Any) -> None:
    store = web.service.store
    bob, token = _client(web, "bob")  # editor of demo
    sent = bob.post(
        "/collections/demo/televerser",
        data={"csrf": token},
        files={"fichiers": ("note-rh.txt", HR_NOTE.encode(), "text/plain")},
        follow_redirects=False,
    )
    job = _job(web, int(sent.headers["location"].split("tache=")[1]))
    assert job["status"] == "done" and job["report"]["privacy"] == {"EMAIL": 1, "PERSONNE": 2}
    page = bob.get(sent.headers["location"])
    assert "Données personnelles masquées : 2 noms de personnes, 1 adresse électronique." in page.text
    assert 'href="/collections/demo/donnees-personnelles"' in page.text
    ids = store.document_ids("demo")
    review = bob.get(f"/collections/demo/donnees-personnelles?document={ids['note-rh.txt']}")
    assert review.status_code == 200
    assert "<mark>[EMAIL_1]</mark>" in review.text and "<mark>[PERSONNE_1]</mark>" in review.text
    assert "jeanne.dupuis@ville-exemple.fr" not in review.text and "Diallo" not in review.text  # anonymise: gone
    assert "la valeur d'origine n'est conservée nulle part" in review.text
    assert "Ce n'est pas une donnée personnelle : ajouter à la liste autorisée" in review.text
    documents = bob.get("/collections/demo/documents")
    assert f"/collections/demo/donnees-personnelles?document={ids['note-rh.txt']}" in documents.text

    # Readers may not review nor change the allow-list; a post needs the CSRF token.
    alice, alice_token = _client(web, "alice")
    assert alice.get("/collections/demo/donnees-personnelles").status_code == 403
    url = "/collections/demo/donnees-personnelles/autoriser"
    assert alice.post(url, data={"texte": "x@y.fr", "csrf": alice_token}).status_code == 403
    assert bob.post(url, data={"texte": "jeanne.dupuis@ville-exemple.fr"}).status_code == 403
    assert allow_list(store, "demo") == []

    form = {"texte": " Jeanne.Dupuis@ville-exemple.fr ", "csrf": token, "document": str(ids["note-rh.txt"])}
    added = bob.post(url, data=form)
    assert added.status_code == 200  # after the redirect
    assert "« Jeanne.Dupuis@ville-exemple.fr » est ajouté à la liste autorisée" in added.text
    assert "ne changent qu&#39;une fois traités à nouveau" in added.text
    assert "Traiter à nouveau les documents téléversés (1)" in added.text
    assert allow_list(store, "demo") == ["Jeanne.Dupuis@ville-exemple.fr"]
    audit = [r for r in store.audit_entries() if r["action"] == "privacy_allow"]
    assert [(r["username"], r["collections"], r["detail"]["entry"]) for r in audit] == [
        ("bob", ["demo"], "Jeanne.Dupuis@ville-exemple.fr")
    ]
    empty = bob.post(url, data={"texte": "  ", "csrf": token})
    assert empty.status_code == 400 and "Indiquez le texte" in empty.text

    redo = bob.post("/collections/demo/donnees-personnelles/retraiter", data={"csrf": token}, follow_redirects=False)
    assert redo.status_code == 303
    again = _job(web, int(redo.headers["location"].split("tache=")[1]))
    assert again["status"] == "done" and again["report"]["updated"] == 1
    assert again["report"]["privacy"] == {"PERSONNE": 2}
    text = store.document_text("demo", "note-rh.txt")["text"]
    assert "jeanne.dupuis@ville-exemple.fr" in text and "Diallo" not in text
    assert [r["detail"]["files"] for r in store.audit_entries() if r["action"] == "privacy_reprocess"] == [1]


def test_pseudonymise_values_are_shown_to_administrators_only(
    tmp_path: Path, demo_store: Any, embedder: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.service_helpers import make_env

    key = new_key()
    monkeypatch.setenv("SOCLE_PRIVACY_KEY", key)
    env = make_env(tmp_path, demo_store, embedder)
    store = env.service.store
    set_collection_mode(store, "rh", "pseudonymise")
    note = _write(tmp_path / "rh", {"note.txt": HR_NOTE}) / "note.txt"
    assert ingest(store, embedder, "rh", [note]).added == 1
    admin, _ = _client(env, "admin")
    page = admin.get("/collections/rh/donnees-personnelles")
    assert page.status_code == 200
    assert "(valeur : jeanne.dupuis@ville-exemple.fr)" in page.text and 'value="Fatou Diallo"' in page.text
    assert str(tmp_path) not in page.text  # a document ingested from the CLI: its file name only
    assert "Remplacer ce document" in page.text  # its file is not kept by the service
    reveals = [r for r in store.audit_entries() if r["action"] == "privacy_reveal"]
    assert len(reveals) == 1 and "Diallo" not in str(reveals)
    store.set_grant(store.get_user("bob").id, "rh", "editor")  # type: ignore[union-attr]
    bob, _ = _client(env, "bob")
    seen = bob.get("/collections/rh/donnees-personnelles")
    assert seen.status_code == 200 and "<mark>[EMAIL_1]</mark>" in seen.text
    assert "jeanne.dupuis@ville-exemple.fr" not in seen.text and "Seuls les administrateurs" in seen.text


# -- the demo corpus (issue 19 target): institutional contacts survive, the HR e-mail is answered -----
# An e-mail address answers « mail », « courriel », « adresse électronique » without writing
# those words (socle.extract.contact_words): both phrasings are answered with the address.
HR_QUESTIONS = ["Quel est le mail des RH ?", "Quelle est l'adresse e-mail des ressources humaines ?"]


@pytest.mark.e2e
def test_demo_keeps_institutional_contacts(demo_store: Any) -> None:
    """`./scripts/demo` ingests demo/ into « demo » in the default mode, anonymise (as the
    demo_store fixture does): the library's public address and the HR service's functional
    e-mail are the institution's, not personal data, and stay."""
    assert privacy_report(demo_store, "demo")["mode"] == "anonymise"
    texts = {Path(d.key).name: demo_store.document_text("demo", d.key)["text"] for d in demo_store.documents("demo")}
    assert "rh@saint-exemple.example" in texts["conges-annuels-agents.md"]
    assert "4 rue des Écoles" in texts["mediatheque-horaires-pret.html"]
    assert "1 place de la République" in texts["faq-etat-civil.txt"]


@pytest.mark.e2e
@pytest.mark.parametrize("asked", HR_QUESTIONS)
def test_demo_answers_the_hr_email(demo_store: Any, embedder: Any, asked: str) -> None:
    from socle.answer import Answerer
    from socle.privacy.pseudonymise import pseudonymise_question
    from socle.retrieve import Retriever

    question, found = pseudonymise_question(asked)  # as the service does before answering
    assert not found
    answer = Answerer(Retriever(demo_store, embedder), embedder).answer(["demo"], question)
    assert not answer.abstained, answer.text
    assert "rh@saint-exemple.example" in answer.text, answer.text
