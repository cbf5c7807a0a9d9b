"""Rerankers: a second, slower look at the best candidates of retrieval.

A *cross-encoder* reads the question and one passage together (one transformer pass over
the pair) and gives a relevance score. It sees how the words of both relate, which the
fusion of BM25 and embeddings (each computed on one side alone) cannot; it is also far too
slow to run over a whole collection. So :class:`socle.retrieve.Retriever` runs it on the
best ``rerank_candidates`` documents of the fusion only, and orders them by its score.

The ``reranker`` setting names it (docs/embeddings.md, section « Reranker »):

- ``""`` (default): no reranker, the fusion's order is kept;
- ``onnx:DIR``: a cross-encoder exported to ONNX, in a folder the operator brings, run in
  process by ONNX Runtime (:class:`OnnxCrossEncoder`). Nothing is downloaded.

The folder holds ``model.onnx`` (or the file named by ``"file"``), ``tokenizer.json`` and
``socle-reranker.json``::

    {"name": "BAAI/bge-reranker-v2-m3", "max_length": 512}

``onnxruntime`` and ``tokenizers`` come with the ``onnx`` extra: ``pip install 'socle[onnx]'``.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from socle.embed.onnx_backend import INSTALL_HINT, TOKENIZER_FILE, find_model_file, open_session
from socle.errors import ConfigError, EmbedderError

__all__ = ["CONFIG_FILE", "OnnxCrossEncoder", "Reranker", "RerankerConfig", "get_reranker", "parse_reranker_spec"]

CONFIG_FILE = "socle-reranker.json"
_INT_KEYS = ("max_length", "logit_index", "batch_size")


class Reranker(Protocol):
    @property
    def name(self) -> str:
        """The model's identity (shown in evaluations)."""
        ...

    def score(self, query: str, passages: Sequence[str]) -> np.ndarray:
        """(n,) float32, one score per passage, in order: higher is more relevant. Scores
        compare between the passages of one question only."""
        ...


@dataclass(frozen=True)
class RerankerConfig:
    """The contents of ``socle-reranker.json``."""

    name: str
    file: str = ""  # model file inside the folder; default model.onnx, else model_quantized.onnx
    max_length: int = 512  # tokens of a (question, passage) pair; the passage side is cut
    output: str = ""  # model output to read; default: the first one
    logit_index: int = -1  # column of a (batch, classes) output: -1 = the last ("relevant") class
    batch_size: int = 16

    @classmethod
    def read(cls, folder: Path) -> RerankerConfig:
        path = folder / CONFIG_FILE
        if not path.is_file():
            raise ConfigError(
                f"Fichier « {CONFIG_FILE} » absent de {folder} : il donne au moins le nom du modèle, "
                'par exemple {"name": "BAAI/bge-reranker-v2-m3"} (docs/embeddings.md, section « Reranker »).'
            )
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ConfigError(f"{path} : JSON invalide ({exc}).") from exc
        if not isinstance(raw, dict):
            raise ConfigError(f'{path} : un objet JSON est attendu ({{"name": ...}}).')
        known = [f.name for f in fields(cls)]
        unknown = sorted(set(raw) - set(known))
        if unknown:
            raise ConfigError(f"{path} : clés inconnues {', '.join(unknown)} (connues : {', '.join(known)}).")
        for key, value in raw.items():
            expected = int if key in _INT_KEYS else str
            # bool is a subclass of int: true is not a length.
            if not isinstance(value, expected) or isinstance(value, bool):
                kind = "un entier" if expected is int else "une chaîne"
                raise ConfigError(f"{path} : « {key} » doit être {kind} (reçu {value!r}).")
        if not str(raw.get("name", "")).strip():
            raise ConfigError(f"{path} : « name » (l'identité du modèle, ex. BAAI/bge-reranker-v2-m3) manque.")
        config = cls(**raw)
        if not 8 <= config.max_length <= 32768:
            raise ConfigError(f"{path} : « max_length » doit être compris entre 8 et 32768.")
        if config.batch_size < 1:
            raise ConfigError(f"{path} : « batch_size » doit être un entier positif.")
        return config


class OnnxCrossEncoder:
    """A cross-encoder exported to ONNX (task text-classification), with its ``tokenizer.json``.

    Each (question, passage) pair is encoded as the model was trained on pairs (the
    tokenizer's pair template: ``[CLS] q [SEP] p [SEP]``, ``<s> q </s></s> p </s>``...), the
    passage cut to fit ``max_length``; pairs are sorted by length and padded per batch."""

    def __init__(self, directory: str | Path, threads: int | None = None) -> None:
        folder = Path(directory).expanduser()
        if not folder.is_dir():
            raise ConfigError(f"Dossier du reranker introuvable : {folder}")
        self.config = RerankerConfig.read(folder)
        model_path = find_model_file(folder, self.config.file, CONFIG_FILE)
        if not (folder / TOKENIZER_FILE).is_file():
            raise ConfigError(f"Fichier « {TOKENIZER_FILE} » absent de {folder} (le tokeniseur du modèle).")
        try:
            import onnxruntime as ort
            from tokenizers import Tokenizer
        except ImportError as exc:
            raise EmbedderError(f"Le moteur ONNX n'est pas installé : {INSTALL_HINT}") from exc

        self.name = self.config.name.strip()
        self.folder = folder
        self.model_path = model_path
        try:
            # Two copies: the passage side is cut first; a question too long for that (it
            # alone fills max_length) falls back to cutting the longer side of the pair.
            self._tokenizer = Tokenizer.from_file(str(folder / TOKENIZER_FILE))
            self._fallback = Tokenizer.from_file(str(folder / TOKENIZER_FILE))
        except Exception as exc:  # the Rust tokenizer raises a bare Exception
            raise ConfigError(f"{folder / TOKENIZER_FILE} : tokeniseur illisible ({exc}).") from exc
        padding = self._tokenizer.padding
        self._pad_id = int(padding["pad_id"]) if padding else self._guess_pad_id()
        for tokenizer, strategy in ((self._tokenizer, "only_second"), (self._fallback, "longest_first")):
            tokenizer.no_padding()  # padded here, per batch of similar lengths
            tokenizer.enable_truncation(self.config.max_length, strategy=strategy)

        self._session, self._inputs, self._output = open_session(
            ort,
            model_path,
            threads,
            self.config.output,
            "Exportez le modèle en classification de textes (tâche text-classification).",
        )
        self._lock = threading.Lock()  # one run at a time: ONNX Runtime already uses every thread
        self._column = self._probe()

    def __repr__(self) -> str:
        return f"OnnxCrossEncoder(name={self.name!r}, model={str(self.model_path)!r})"

    def _guess_pad_id(self) -> int:
        for token in ("<pad>", "[PAD]", "<|endoftext|>"):
            found = self._tokenizer.token_to_id(token)
            if found is not None:
                return int(found)
        return 0  # any id will do: padded positions are masked out

    def _probe(self) -> int | None:
        """Run the model once and choose the column read: None for a (batch,) output, 0 for a
        single logit (batch, 1), ``logit_index`` for (batch, classes)."""
        ids = np.array([[self._pad_id, self._pad_id]], dtype=np.int64)
        try:
            out = self._run(ids, np.ones_like(ids), np.zeros_like(ids))
        except EmbedderError as exc:
            raise ConfigError(f"{self.model_path} : le modèle ne s'exécute pas ({exc}).") from exc
        if out.ndim == 1 and out.shape == (1,):
            return None
        if out.ndim != 2 or out.shape[0] != 1 or out.shape[1] < 1:
            raise ConfigError(
                f"{self.model_path} : la sortie « {self._output} » a la forme {out.shape} ; (lot, classes) est "
                "attendue (un cross-encoder exporté avec la tâche text-classification). Choisissez-en une autre "
                "avec « output »."
            )
        classes = int(out.shape[1])
        if classes == 1:
            if self.config.logit_index not in (-1, 0):
                raise ConfigError(f"{self.model_path} : un seul score en sortie, « logit_index » doit valoir 0.")
            return 0
        if not -classes <= self.config.logit_index < classes:
            raise ConfigError(
                f"{self.model_path} : « logit_index » vaut {self.config.logit_index}, "
                f"mais la sortie a {classes} colonnes."
            )
        return self.config.logit_index % classes

    def _run(self, ids: np.ndarray, mask: np.ndarray, types: np.ndarray) -> np.ndarray:
        feeds: dict[str, np.ndarray] = {}
        for name, kind in self._inputs.items():
            if name == "input_ids":
                value = ids
            elif name == "attention_mask":
                value = mask
            elif name == "token_type_ids":  # fed only to models that declare it (BERT-like)
                value = types
            else:  # position_ids
                value = np.broadcast_to(np.arange(ids.shape[1]), ids.shape)
            feeds[name] = np.ascontiguousarray(value, dtype=kind)
        try:
            with self._lock:
                (out,) = self._session.run([self._output], feeds)
        except Exception as exc:  # onnxruntime's errors carry no useful type
            raise EmbedderError(f"Échec du reranker ONNX {self.name} : {str(exc)[:300]}") from exc
        return np.asarray(out, dtype=np.float32)

    def _encode(self, query: str, passages: Sequence[str]) -> list[Any]:
        pairs = [(query, p) for p in passages]
        try:
            return list(self._tokenizer.encode_batch(pairs))
        except Exception:  # the question alone is longer than max_length: cut both sides
            try:
                return list(self._fallback.encode_batch(pairs))
            except Exception as exc:
                raise EmbedderError(f"Reranker {self.name} : texte impossible à découper ({exc}).") from exc

    def score(self, query: str, passages: Sequence[str]) -> np.ndarray:
        if not passages:
            return np.zeros(0, dtype=np.float32)
        encodings = self._encode(query, passages)
        tokens = [(e.ids, e.type_ids) if e.ids else ([self._pad_id], [0]) for e in encodings]
        order = sorted(range(len(tokens)), key=lambda i: len(tokens[i][0]), reverse=True)
        result = np.empty(len(passages), dtype=np.float32)
        step = self.config.batch_size
        for start in range(0, len(order), step):
            rows = order[start : start + step]
            width = len(tokens[rows[0]][0])  # sorted longest first
            ids = np.full((len(rows), width), self._pad_id, dtype=np.int64)
            mask = np.zeros((len(rows), width), dtype=np.int64)
            types = np.zeros((len(rows), width), dtype=np.int64)
            for r, i in enumerate(rows):
                row_ids, row_types = tokens[i]
                ids[r, : len(row_ids)] = row_ids
                mask[r, : len(row_ids)] = 1
                types[r, : len(row_types)] = row_types
            out = self._run(ids, mask, types)
            scores = out if self._column is None else out[:, self._column]
            if scores.shape != (len(rows),):
                raise EmbedderError(f"Le reranker {self.name} a rendu des scores de forme {out.shape}.")
            result[rows] = scores
        if not np.isfinite(result).all():
            raise EmbedderError(f"Le reranker {self.name} a rendu des valeurs non finies (NaN ou infini).")
        return result


# -- the ``reranker`` setting -------------------------------------------------------------------
_instances: dict[str, Reranker] = {}
_instances_lock = threading.Lock()


def parse_reranker_spec(spec: str) -> tuple[str, str] | None:
    """``"onnx:/srv/rerank"`` -> ``("onnx", "/srv/rerank")``; ``""`` -> None (no reranker)."""
    if not spec.strip():
        return None
    kind, _, argument = spec.strip().partition(":")
    kind = kind.strip().lower()
    if kind != "onnx":
        raise ConfigError(f"Reranker inconnu : « {spec} » (forme acceptée : onnx:DOSSIER, ou vide pour aucun).")
    if not argument.strip():
        raise ConfigError("« onnx: » attend un dossier, par exemple « onnx:/srv/socle/modeles/bge-reranker ».")
    return kind, argument.strip()


def get_reranker(spec: str) -> Reranker | None:
    """The process-wide reranker for the ``reranker`` setting (loaded once per ``spec``), or
    None when it is empty."""
    parsed = parse_reranker_spec(spec)
    if parsed is None:
        return None
    key = ":".join(parsed)
    with _instances_lock:
        if key not in _instances:
            _instances[key] = OnnxCrossEncoder(parsed[1])
        return _instances[key]
