"""The service on a real uvicorn server on loopback: a slow model never blocks the other
requests, and the `socle` commands that manage users, assistants and the audit log."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx
from click.testing import CliRunner
from tests.service_helpers import auth, make_env, running_server

from socle.cli import cli
from socle.llm import Completion, Message, OnToken


class SlowModel:
    """A language model that takes its time (a loaded GPU server, a big CPU model)."""

    name = "modele-lent"

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.calls = 0

    def chat(
        self,
        messages: list[Message],
        *,
        max_tokens: int = 400,
        temperature: float = 0.1,
        on_token: OnToken | None = None,
    ) -> Completion:
        self.calls += 1
        time.sleep(self.seconds)
        return Completion("Je ne trouve pas la réponse dans les documents.", 10, 10, self.name)


def test_slow_model_does_not_block_other_requests(tmp_path: Path, demo_store, embedder) -> None:  # type: ignore[no-untyped-def]
    model = SlowModel(3.0)
    env = make_env(tmp_path, demo_store, embedder, generator=model, llm_backend="openai")
    body = {"model": "demo", "messages": [{"role": "user", "content": "Combien de jours de télétravail par semaine ?"}]}
    with running_server(env.app) as base, httpx.Client(base_url=base, timeout=30) as client:
        headers = auth(env.keys["alice"])
        durations: list[float] = []

        def chat() -> None:
            start = time.monotonic()
            assert client.post("/v1/chat/completions", json=body, headers=headers).status_code == 200
            durations.append(time.monotonic() - start)

        threads = [threading.Thread(target=chat) for _ in range(2)]
        for t in threads:
            t.start()
        time.sleep(0.5)
        start = time.monotonic()
        search = client.post(
            "/v1/search", json={"query": "horaires médiathèque", "collections": ["demo"]}, headers=headers
        )
        search_time = time.monotonic() - start
        assert search.status_code == 200 and client.get("/v1/models", headers=headers).status_code == 200
        for t in threads:
            t.join()
    assert model.calls == 2
    assert search_time < 2.0, search_time  # answered while both slow answers were being written
    assert max(durations) < 2 * 3.0, durations  # the two slow answers ran side by side


def test_users_assistant_and_audit_commands(tmp_path: Path) -> None:
    runner = CliRunner()
    db = str(tmp_path / "cli.db")

    def run(*args: str, input: str | None = None) -> str:
        result = runner.invoke(cli, ["--db", db, *args], input=input)
        assert result.exit_code == 0, result.output
        return result.output

    out = run("users", "add", "claire", "--generate")
    password = out.split("Mot de passe : ")[1].strip()
    assert len(password) >= 12
    # A right on a collection that does not exist opens nothing: refused, with the near name.
    unknown = runner.invoke(cli, ["--db", db, "users", "grant", "claire", "Ressources humaines", "reader"])
    assert unknown.exit_code == 1 and "aucune : ingérez d'abord des documents" in unknown.output
    from socle.store import open_store

    created = open_store(db)
    for name in ("rh", "ressources-humaines"):
        created.ensure_collection(name)
    created.close()
    unknown = runner.invoke(cli, ["--db", db, "users", "grant", "claire", "Ressources humaines", "reader"])
    assert unknown.exit_code == 1 and "Vouliez-vous dire « ressources-humaines » ?" in unknown.output
    typo = runner.invoke(cli, ["--db", db, "users", "grant", "claire", "ressources-humaine", "reader"])
    assert "Vouliez-vous dire « ressources-humaines » ?" in typo.output
    assert "aucun droit sur « ancienne »" in run(
        "users", "grant", "claire", "ancienne", "none"
    )  # revoking stays allowed
    run("users", "grant", "claire", "rh", "editor")
    key = run("users", "key", "claire", "--name", "script").strip()
    assert key.startswith("sk-socle-")
    assert "claire" in run("users", "list") and "rh (éditeur)" in run("users", "list")
    listed = run("users", "keys", "claire")
    assert "script" in listed and key not in listed  # only the prefix is ever shown again

    spec = tmp_path / "assistant-rh.md"
    spec.write_text(
        "---\ncollections: [rh]\nseuil: 0.5\n---\n# Assistant RH\n\nTu réponds aux agents du service RH.\n\n"
        "## Questions suggérées\n\n- Combien de jours de congés ?\n- Comment poser un RTT ?\n",
        encoding="utf-8",
    )
    assert "créé" in run("assistant", "create", str(spec))
    shown = run("assistant", "show", "assistant-rh")
    assert "seuil: 0.5" in shown and "- Comment poser un RTT ?" in shown
    (tmp_path / "copie.md").write_text(shown, encoding="utf-8")
    assert "mis à jour" in run("assistant", "create", str(tmp_path / "copie.md"))  # round trip

    bad = runner.invoke(cli, ["--db", db, "users", "grant", "personne", "rh", "reader"])
    assert bad.exit_code == 1 and "n'existe pas" in bad.output
    exported = run("audit", "export", "--format", "csv").splitlines()
    actions = [line.split(",")[3] for line in exported[1:]]
    assert actions == ["user_add", "grant", "grant", "key_add", "assistant", "assistant"]  # the revoke, then the grant
    assert password not in "\n".join(exported) and key not in "\n".join(exported)
    run("users", "disable", "claire")
    from socle.service.auth import authenticate_key

    assert authenticate_key(open_store(db), key) is None  # a disabled account's keys stop working
