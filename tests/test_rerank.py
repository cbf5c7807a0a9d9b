"""The reranker slot: a tiny cross-encoder built here (its score counts one chosen word in the
pair), run by ONNX Runtime on a real tokenizer, then behind the Retriever over a real SQLite
store, the ChatMD matcher and ``socle eval``."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner

from socle.chatmd import ChatmdMatcher, parse_chatmd
from socle.errors import ConfigError, SocleError
from socle.ingest import ingest
from socle.privacy.policy import set_collection_mode
from socle.rerank import OnnxCrossEncoder, get_reranker, parse_reranker_spec
from socle.retrieve import Retriever
from socle.store import open_store

onnx = pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")
pytest.importorskip("tokenizers")

REPO = Path(__file__).resolve().parent.parent
DEMO = REPO / "demo"
CHATMD = Path(__file__).parent / "data" / "chatmd"
SENTENCES = [
    "Une absence de plus de trois jours se demande quinze jours avant.",
    "Le musée est ouvert du mercredi au dimanche, la médiathèque le mardi.",
    "La sonnerie du collège retentit à huit heures ; le bonnet est obligatoire à la piscine.",
    "Quels sont les horaires d'ouverture ?",
]


# -- a tiny cross-encoder: logit = occurrences of one word in the pair ---------------------------
def _tokenizer(folder: Path) -> Any:
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors, trainers

    tok = Tokenizer(models.WordLevel(unk_token="[UNK]"))
    tok.normalizer = normalizers.Lowercase()
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]"]
    tok.train_from_iterator(SENTENCES, trainers.WordLevelTrainer(special_tokens=specials))
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B:1 [SEP]:1",  # the passage is segment 1, as BERT cross-encoders
        special_tokens=[(t, tok.token_to_id(t)) for t in ("[CLS]", "[SEP]")],
    )
    tok.save(str(folder / "tokenizer.json"))
    return tok


def _model(folder: Path, vocab: int, word_id: int, *, classes: int = 1, types: bool = False) -> None:
    """``model.onnx``: Gather a (vocab, classes) table that is 1 for ``word_id`` (column 0 is
    -1 with two classes), sum over the sequence -> logits (batch, classes). With ``types``,
    the model declares token_type_ids and counts the passage side (segment 1) only."""
    from onnx import TensorProto, helper, numpy_helper

    table = np.zeros((vocab, classes), dtype=np.float32)
    table[word_id, -1] = 1.0
    if classes == 2:
        table[word_id, 0] = -1.0
    inputs = ["input_ids", "attention_mask", *(["token_type_ids"] if types else [])]
    nodes = [helper.make_node("Gather", ["E", "input_ids"], ["emb"])]
    counted = "emb"
    if types:
        nodes += [
            helper.make_node("Cast", ["token_type_ids"], ["types_f"], to=TensorProto.FLOAT),
            helper.make_node("Unsqueeze", ["types_f", "last"], ["types_3d"]),
            helper.make_node("Mul", ["emb", "types_3d"], ["passage_emb"]),
        ]
        counted = "passage_emb"
    nodes.append(helper.make_node("ReduceSum", [counted, "seq_axis"], ["logits"], keepdims=0))
    graph = helper.make_graph(
        nodes,
        "tiny-cross-encoder",
        [helper.make_tensor_value_info(name, TensorProto.INT64, ["batch", "seq"]) for name in inputs],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", classes])],
        initializer=[
            numpy_helper.from_array(table, "E"),
            numpy_helper.from_array(np.array([1], dtype=np.int64), "seq_axis"),
            numpy_helper.from_array(np.array([2], dtype=np.int64), "last"),
        ],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, str(folder / "model.onnx"))


def _config(folder: Path, **values: Any) -> None:
    (folder / "socle-reranker.json").write_text(json.dumps({"name": "test/tiny-reranker", **values}), encoding="utf-8")


def make_reranker(folder: Path, word: str, *, classes: int = 1, types: bool = False, **config: Any) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    tok = _tokenizer(folder)
    word_id = tok.token_to_id(word)
    assert word_id is not None, word
    _model(folder, tok.get_vocab_size(), word_id, classes=classes, types=types)
    _config(folder, **config)
    return folder


@pytest.fixture
def absence(tmp_path: Path) -> Path:
    return make_reranker(tmp_path / "absence", "absence")


def test_scores_rank_passages_with_the_word_first(absence: Path) -> None:
    reranker = OnnxCrossEncoder(absence)
    assert reranker.name == "test/tiny-reranker"
    passages = ["Le musée est fermé le lundi.", "Une absence se justifie.", "Absence, absence !", ""]
    scores = reranker.score("Quels sont les horaires ?", passages)
    assert scores.dtype == np.float32 and scores.shape == (4,)
    np.testing.assert_array_equal(scores, [0.0, 1.0, 2.0, 0.0])
    assert list(np.argsort(-scores, kind="stable")) == [2, 1, 0, 3]
    # The question is read too: the word there adds the same to every passage.
    np.testing.assert_array_equal(reranker.score("Une absence ?", passages), [1.0, 2.0, 3.0, 1.0])
    assert reranker.score("question", []).shape == (0,)


def test_token_types_are_fed_when_declared_and_passages_are_cut(tmp_path: Path) -> None:
    folder = make_reranker(tmp_path / "typed", "absence", types=True, max_length=12, batch_size=2)
    reranker = OnnxCrossEncoder(folder)
    # Only the passage side (segment 1) counts: the question's own "absence" does not.
    long = " ".join(["mot"] * 20) + " absence"  # the word falls beyond max_length: cut
    passages = ["absence", "rien", "absence absence", long, "absence " + " ".join(["mot"] * 20)]
    scores = reranker.score("Une absence ?", passages)  # three batches of two, sorted by length
    np.testing.assert_array_equal(scores, [1.0, 0.0, 2.0, 0.0, 1.0])
    # A question longer than max_length alone: both sides are cut instead of failing.
    assert reranker.score(" ".join(["absence"] * 30), ["absence"]).shape == (1,)


def test_two_class_head_reads_logit_index(tmp_path: Path) -> None:
    folder = make_reranker(tmp_path / "two", "absence", classes=2)
    passages = ["rien ici", "une absence"]
    np.testing.assert_array_equal(OnnxCrossEncoder(folder).score("q", passages), [0.0, 1.0])  # last column
    _config(folder, logit_index=0)
    np.testing.assert_array_equal(OnnxCrossEncoder(folder).score("q", passages), [0.0, -1.0])
    _config(folder, logit_index=2)
    with pytest.raises(ConfigError, match="« logit_index » vaut 2, mais la sortie a 2 colonnes"):
        OnnxCrossEncoder(folder)


def test_errors_are_french_and_the_setting_is_parsed(tmp_path: Path, absence: Path) -> None:
    with pytest.raises(ConfigError, match="Dossier du reranker introuvable"):
        OnnxCrossEncoder(tmp_path / "absent")

    def fails(match: str, config: Any) -> None:
        (absence / "socle-reranker.json").write_text(json.dumps(config), encoding="utf-8")
        with pytest.raises(ConfigError, match=match):
            OnnxCrossEncoder(absence)

    fails("« name »", {"max_length": 256})
    fails("clés inconnues pooling", {"name": "x", "pooling": "cls"})
    fails("« logit_index » doit être un entier", {"name": "x", "logit_index": "1"})
    fails("sortie « scores » absente .*logits", {"name": "x", "output": "scores"})
    fails("Fichier du modèle introuvable", {"name": "x", "file": "onnx/model.onnx"})
    (absence / "socle-reranker.json").unlink()
    with pytest.raises(ConfigError, match=r"socle-reranker\.json » absent"):
        OnnxCrossEncoder(absence)
    _config(absence)
    (absence / "tokenizer.json").unlink()
    with pytest.raises(ConfigError, match=r"tokenizer\.json » absent"):
        OnnxCrossEncoder(absence)

    assert get_reranker("") is None and get_reranker("  ") is None and parse_reranker_spec("") is None
    for bad, message in (("bge:/srv/x", "Reranker inconnu"), ("onnx:", "attend un dossier")):
        with pytest.raises(ConfigError, match=message):
            get_reranker(bad)
    with pytest.raises(ConfigError, match="Dossier du reranker introuvable"):
        get_reranker(f"onnx:{tmp_path / 'absent'}")


def test_one_instance_per_spec(tmp_path: Path) -> None:
    folder = make_reranker(tmp_path / "shared", "absence")
    first = get_reranker(f"onnx:{folder}")
    assert isinstance(first, OnnxCrossEncoder)
    assert get_reranker(f" onnx:{folder} ") is first


# -- behind the Retriever, over a real store ------------------------------------------------------
FILES = [
    "conges-annuels-agents.md",
    "faq-etat-civil.txt",
    "mediatheque-horaires-pret.html",
    "musee-reglement-visite.pdf",
]
QUESTION = "Quels sont les horaires d'ouverture ?"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory, embedder: Any) -> Iterator[Any]:
    """Four demo documents in "demo", one in "autre" (personal data protection off: not what
    is tested; the data folder is a temporary one)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SOCLE_HOME", str(tmp_path_factory.mktemp("home")))
        db = open_store(tmp_path_factory.mktemp("rerank") / "socle.db")
        for collection, files in (("demo", FILES), ("autre", ["cantine-scolaire-inscription.odt"])):
            set_collection_mode(db, collection, "off")
            report = ingest(db, embedder, collection, [DEMO / f for f in files])
            assert not report.failed, report.failed
    yield db
    db.close()


def _names(passages: list[Any]) -> list[str]:
    return [Path(p.document_key).name for p in passages]


def test_retriever_without_reranker_is_unchanged(store: Any, embedder: Any) -> None:
    plain = Retriever(store, embedder)
    assert plain.reranker is None
    explicit = Retriever(store, embedder, reranker=None, rerank_candidates=1)
    for k, per_document in ((1, 1), (4, 2)):
        assert explicit.search("demo", QUESTION, k, per_document) == plain.search("demo", QUESTION, k, per_document)
    both = ["demo", "autre"]
    assert explicit.search_many(both, QUESTION, k=3) == plain.search_many(both, QUESTION, k=3)


def test_reranker_puts_first_the_document_whose_best_passage_has_the_word(
    store: Any, embedder: Any, tmp_path: Path
) -> None:
    fusion = Retriever(store, embedder).search("demo", QUESTION, k=4, per_document=2)
    order = list(dict.fromkeys(_names(fusion)))
    # The fusion ranks the leave rules third; their best passage alone says "absence".
    assert order == ["mediatheque-horaires-pret.html", "musee-reglement-visite.pdf", *order[2:]]
    best = {Path(p.document_key).name: p for p in reversed(fusion)}  # first passage of each document
    with_word = [name for name, p in best.items() if re.search(r"\babsence\b", p.text, re.IGNORECASE)]
    assert with_word == ["conges-annuels-agents.md"] and order.index(with_word[0]) >= 2

    reranker = OnnxCrossEncoder(make_reranker(tmp_path / "absence", "absence"))
    reranked = Retriever(store, embedder, reranker=reranker, rerank_candidates=4)
    found = reranked.search("demo", QUESTION, k=4, per_document=2)
    new_order = list(dict.fromkeys(_names(found)))
    assert new_order == ["conges-annuels-agents.md", *[n for n in order if n != "conges-annuels-agents.md"]]
    assert sorted(found, key=lambda p: p.chunk_id) == sorted(fusion, key=lambda p: p.chunk_id)  # same Passages
    # k=1 still reads the candidates (max(k, rerank_candidates)), and returns one document.
    assert _names(reranked.search("demo", QUESTION, k=1)) == ["conges-annuels-agents.md"]
    # Too few candidates: the document is not among them, the fusion's order stays.
    assert _names(Retriever(store, embedder, reranker=reranker, rerank_candidates=2).search("demo", QUESTION, k=2)) == [
        *order[:2]
    ]
    # Several collections: their best candidates together, reranked once.
    many = reranked.search_many(["autre", "demo"], QUESTION, k=2)
    assert _names(many)[0] == "conges-annuels-agents.md" and len(many) == 2
    with pytest.raises(SocleError, match="au moins 1"):
        reranked.search("demo", QUESTION, k=0)


def test_the_answer_reads_the_document_the_reranker_put_first(store: Any, embedder: Any, tmp_path: Path) -> None:
    from socle.answer import Answerer

    reranker = OnnxCrossEncoder(make_reranker(tmp_path / "absence", "absence"))
    plain = Answerer(Retriever(store, embedder), embedder, None, threshold=0.0, possible_threshold=0.0)
    reranked = Answerer(
        Retriever(store, embedder, reranker=reranker, rerank_candidates=4),
        embedder,
        None,
        threshold=0.0,
        possible_threshold=0.0,
    )
    before = plain.answer(["demo"], QUESTION)
    after = reranked.answer(["demo"], QUESTION)
    assert before.citations and Path(before.citations[0].document_key).name != "conges-annuels-agents.md"
    assert after.citations and Path(after.citations[0].document_key).name == "conges-annuels-agents.md"


# -- the ChatMD matcher ---------------------------------------------------------------------------
def test_chatmd_matcher_with_a_reranker_picks_the_response_with_the_word(tmp_path: Path) -> None:
    bot = parse_chatmd((CHATMD / "college_vie_scolaire.md").read_text(encoding="utf-8"))
    question = "Comment contacter le collège ?"
    plain = ChatmdMatcher(bot)
    ranked = [m.response.title for m in plain.rank(question)]
    assert ranked[:2] == ["Contacter la vie scolaire", "Horaires"]  # "sonnerie" is in « Horaires » only
    reranker = OnnxCrossEncoder(make_reranker(tmp_path / "sonnerie", "sonnerie"))
    matcher = ChatmdMatcher(bot, reranker=reranker)
    reranked = matcher.rank(question)
    assert [m.response.title for m in reranked][:2] == ["Horaires", "Contacter la vie scolaire"]
    assert reranked[0].signals["rerank"] == 1.0 and "rerank" not in reranked[-1].signals
    found = matcher.match(question)
    assert found is not None and found.response.title == "Horaires"
    assert ChatmdMatcher(bot, reranker=None).rank(question)[0].response.title == ranked[0]


# -- socle eval: without and with the reranker ---------------------------------------------------
def test_eval_reports_the_figures_without_and_with_the_reranker(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from socle.cli import cli

    corpus, questions = tmp_path / "corpus.jsonl", tmp_path / "q.jsonl"
    docs = [
        {"id": "piscine", "text": "La piscine municipale ouvre à 7 h en semaine.\nLe bonnet est obligatoire."},
        {"id": "cantine", "text": "La cantine scolaire coûte 3,20 euros par repas.\nInscription en mai."},
        {"id": "etat-civil", "text": "Un acte de naissance se demande en ligne ou au guichet de la mairie."},
    ]
    asked = [
        {"id": "1", "question": "À quelle heure ouvre la piscine ?", "relevant": ["piscine"]},
        {"id": "2", "question": "Quel est le prix d'un repas à la cantine ?", "relevant": ["cantine"]},
        {"id": "3", "question": "Comment obtenir un acte de naissance ?", "relevant": ["etat-civil"]},
    ]
    corpus.write_text("\n".join(json.dumps(d, ensure_ascii=False) for d in docs), encoding="utf-8")
    questions.write_text("\n".join(json.dumps(q, ensure_ascii=False) for q in asked), encoding="utf-8")
    folder = make_reranker(tmp_path / "bonnet", "bonnet")  # always prefers the swimming pool
    monkeypatch.setenv("SOCLE_PRIVACY_MODE", "off")
    monkeypatch.setenv("SOCLE_RERANKER", f"onnx:{folder}")
    args = ["--db", str(tmp_path / "cli.db"), "eval", "--corpus", str(corpus), "--questions", str(questions)]
    result = CliRunner().invoke(cli, [*args, "-c", "ev", "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    data = json.loads(result.output[result.output.index("{") :])
    assert data["reranker"] == "test/tiny-reranker" and data["rerank_candidates"] == 20
    assert data["without_reranker"]["recall@1"] == 1.0
    assert data["recall@1"] == pytest.approx(1 / 3, abs=1e-3) and data["recall@5"] == 1.0
    table = CliRunner().invoke(cli, [*args, "-c", "ev"], catch_exceptions=False).output
    assert "Reranker : test/tiny-reranker" in table and "sans reranker   avec reranker" in table
    rows = {line.split()[0]: line.split()[1:] for line in table.splitlines() if line.startswith("  ") and line.strip()}
    assert rows["Rappel@1"] == ["1.000", "0.333"] and rows["Rappel@5"] == ["1.000", "1.000"]
