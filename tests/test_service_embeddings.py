"""Socle's own POST /v1/embeddings (issue 18, item 7): OpenAI-compatible, for accounts with
access to a collection, heavy requests counted against the rate limit, texts not kept."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import numpy as np
from fastapi.testclient import TestClient
from tests.service_helpers import Env, auth, make_env

from socle.service.auth import hash_password, new_api_key

TEXTS = ["Le télétravail est limité à deux jours par semaine.", "La médiathèque ouvre à 10 h."]


def inner(embedder: Any) -> Any:
    return getattr(embedder, "inner", embedder)


def test_the_openai_client_gets_socles_vectors(env: Env, server: str, embedder: Any) -> None:
    from openai import OpenAI

    ai = OpenAI(base_url=f"{server}/v1", api_key=env.keys["alice"])
    cache = getattr(embedder, "cache", None)
    before = cache.stats()["vectors"] if cache is not None else 0
    response = ai.embeddings.create(model="socle", input=TEXTS)
    got = np.array([d.embedding for d in response.data], dtype=np.float32)
    expected = inner(embedder).embed_passages(TEXTS)
    assert got.shape == expected.shape and np.min(np.sum(got * expected, axis=1)) > 0.999
    assert response.model == embedder.name and response.usage.prompt_tokens > 0
    if cache is not None:
        assert cache.stats()["vectors"] == before  # other tools' texts are not written to disk

    # base64 (what the openai client asks for by default with numpy) and questions.
    client = TestClient(env.app)
    body = {"model": embedder.name, "input": TEXTS[0], "encoding_format": "base64", "input_type": "query"}
    data = client.post("/v1/embeddings", json=body, headers=auth(env.keys["bob"])).json()["data"]
    vector = np.frombuffer(base64.b64decode(data[0]["embedding"]), dtype="<f4")
    assert np.dot(vector, inner(embedder).embed_query(TEXTS[0])) > 0.999


def test_embeddings_need_access_and_sane_requests(env: Env) -> None:
    client = TestClient(env.app)
    store = env.service.store
    nobody = store.create_user("nobody", hash_password("mot-de-passe-solide"))
    key, prefix, digest = new_api_key()
    store.add_api_key(nobody.id, "tests", prefix, digest)
    ok = {"model": "socle", "input": TEXTS}
    assert client.post("/v1/embeddings", json=ok).status_code == 401
    assert client.post("/v1/embeddings", json=ok, headers=auth(key)).status_code == 403  # no collection at all
    alice = auth(env.keys["alice"])
    assert client.post("/v1/embeddings", json=ok | {"model": "gpt-4"}, headers=alice).status_code == 404
    too_many = client.post("/v1/embeddings", json=ok | {"input": ["x"] * 257}, headers=alice)
    assert too_many.status_code == 400 and "256" in too_many.json()["error"]["message"]
    assert client.post("/v1/embeddings", json=ok | {"input": ["  "]}, headers=alice).status_code == 400


def test_heavy_requests_count_more_against_the_rate_limit(tmp_path: Path, demo_store: Any, embedder: Any) -> None:
    env = make_env(tmp_path, demo_store, embedder, rate_limit_per_minute=20)  # bursts of 5 requests
    client = TestClient(env.app)
    heavy = {"model": "socle", "input": ["Horaires ?"] * 96}  # counts as 1 + 3 requests
    codes = [client.post("/v1/embeddings", json=heavy, headers=auth(env.keys["alice"])).status_code for _ in range(2)]
    assert codes == [200, 429]
    light = {"model": "socle", "input": "Horaires ?"}
    assert client.post("/v1/embeddings", json=light, headers=auth(env.keys["bob"])).status_code == 200  # per caller
