"""``onnx:DIR`` — a sentence-embedding model the operator brings, run in process by ONNX Runtime.

The folder holds three files (docs/embeddings.md):

- ``model.onnx`` — the exported transformer (or another file named by ``"file"``);
- ``tokenizer.json`` — its HuggingFace *fast* tokenizer (read by the ``tokenizers`` package);
- ``socle-embedder.json`` — what the model needs that the two files do not say::

      {"name": "intfloat/multilingual-e5-base", "query_prefix": "query: ",
       "passage_prefix": "passage: ", "pooling": "mean", "normalize": true, "max_length": 512}

The vectors' length is read from the model. Texts are sorted by token count and padded per
batch, so a batch of short passages does not pay for the longest one. :func:`quantize`
writes an int8 copy (``model_quantized.onnx``), about 4 times smaller and often faster.

``onnxruntime`` and ``tokenizers`` come with the ``onnx`` extra: ``pip install 'socle[onnx]'``.
"""

from __future__ import annotations

import functools
import json
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np

from socle.errors import ConfigError, EmbedderError

CONFIG_FILE = "socle-embedder.json"
TOKENIZER_FILE = "tokenizer.json"
MODEL_FILE = "model.onnx"
QUANTIZED_FILE = "model_quantized.onnx"
POOLINGS = ("mean", "cls", "last")
QUERY_CACHE_SIZE = 512
INSTALL_HINT = "pip install 'socle[onnx]' (onnxruntime et tokenizers)"
# Inputs Socle knows how to fill; a model asking for anything else (a decoder's past
# key/values, pixel values...) is not a sentence encoder this backend can drive.
KNOWN_INPUTS = ("input_ids", "attention_mask", "token_type_ids", "position_ids")
_INPUT_TYPES: dict[str, type[np.signedinteger[Any]]] = {"tensor(int64)": np.int64, "tensor(int32)": np.int32}


def open_session(
    ort: Any, model_path: Path, threads: int | None, output: str, export_hint: str
) -> tuple[Any, dict[str, type[np.signedinteger[Any]]], str]:
    """An ONNX Runtime session on the CPU, the integer inputs the model declares (only those
    are fed) and the output to read (``output``, else the first): what the embedder and the
    reranker (:mod:`socle.rerank`) both need, with French errors for a model that does not fit."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads or os.cpu_count() or 1
    options.inter_op_num_threads = 1
    options.log_severity_level = 3  # errors only: warnings about unused initialisers are noise
    try:
        session = ort.InferenceSession(str(model_path), options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own untyped errors
        raise ConfigError(f"{model_path} : modèle ONNX illisible ({str(exc)[:300]}).") from exc
    inputs: dict[str, type[np.signedinteger[Any]]] = {}
    for node in session.get_inputs():
        if node.name not in KNOWN_INPUTS:
            raise ConfigError(
                f"{model_path} : entrée « {node.name} » inconnue (acceptées : {', '.join(KNOWN_INPUTS)}). {export_hint}"
            )
        kind = _INPUT_TYPES.get(node.type)
        if kind is None:
            raise ConfigError(f"{model_path} : entrée « {node.name} » de type {node.type} (entiers attendus).")
        inputs[node.name] = kind
    if "input_ids" not in inputs:
        raise ConfigError(f"{model_path} : le modèle n'a pas d'entrée « input_ids ».")
    outputs = [o.name for o in session.get_outputs()]
    chosen = output or outputs[0]
    if chosen not in outputs:
        raise ConfigError(f"{model_path} : sortie « {chosen} » absente (sorties du modèle : {', '.join(outputs)}).")
    return session, inputs, chosen


@dataclass(frozen=True)
class OnnxConfig:
    """The contents of ``socle-embedder.json``."""

    name: str
    file: str = ""  # model file inside the folder; default model.onnx, else model_quantized.onnx
    query_prefix: str = ""
    passage_prefix: str = ""
    pooling: str = "mean"
    normalize: bool = True
    max_length: int = 512
    output: str = ""  # model output to read; default: the first one
    batch_size: int = 16

    @classmethod
    def read(cls, folder: Path) -> OnnxConfig:
        path = folder / CONFIG_FILE
        if not path.is_file():
            raise ConfigError(
                f"Fichier « {CONFIG_FILE} » absent de {folder} : il donne au moins le nom du modèle, "
                'par exemple {"name": "intfloat/multilingual-e5-base", "pooling": "mean"} (docs/embeddings.md).'
            )
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ConfigError(f"{path} : JSON invalide ({exc}).") from exc
        if not isinstance(raw, dict):
            raise ConfigError(f'{path} : un objet JSON est attendu ({{"name": ...}}).')
        known = {f.name: f for f in fields(cls)}
        unknown = sorted(set(raw) - set(known))
        if unknown:
            raise ConfigError(f"{path} : clés inconnues {', '.join(unknown)} (connues : {', '.join(known)}).")
        values: dict[str, Any] = {}
        for key, value in raw.items():
            expected = {"normalize": bool, "max_length": int, "batch_size": int}.get(key, str)
            # bool is a subclass of int: true is not a length.
            if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
                kind = {bool: "true ou false", int: "un entier", str: "une chaîne"}[expected]
                raise ConfigError(f"{path} : « {key} » doit être {kind} (reçu {value!r}).")
            values[key] = value
        if not str(values.get("name", "")).strip():
            raise ConfigError(f"{path} : « name » (l'identité du modèle, ex. intfloat/multilingual-e5-base) manque.")
        config = cls(**values)
        if config.pooling not in POOLINGS:
            raise ConfigError(f"{path} : « pooling » vaut mean, cls ou last (reçu « {config.pooling} »).")
        if not 1 <= config.max_length <= 32768:
            raise ConfigError(f"{path} : « max_length » doit être compris entre 1 et 32768.")
        if config.batch_size < 1:
            raise ConfigError(f"{path} : « batch_size » doit être un entier positif.")
        return config


def find_model_file(folder: Path, file: str, config_file: str = CONFIG_FILE) -> Path:
    """The model file of an operator's folder: ``file`` from its config (``config_file``),
    else model.onnx, else model_quantized.onnx (the reranker's folders follow the same rule)."""
    if file:
        path = folder / file
        if not path.is_file():
            raise ConfigError(f"Fichier du modèle introuvable : {path} (clé « file » de {config_file}).")
        return path
    for name in (MODEL_FILE, QUANTIZED_FILE):
        if (folder / name).is_file():
            return folder / name
    raise ConfigError(f"Aucun modèle dans {folder} : « {MODEL_FILE} » (ou « {QUANTIZED_FILE} ») est attendu.")


def _check_folder(directory: str | Path) -> Path:
    folder = Path(directory).expanduser()
    if not folder.is_dir():
        raise ConfigError(f"Dossier du modèle d'embeddings introuvable : {folder}")
    return folder


def _pool(hidden: np.ndarray, mask: np.ndarray, pooling: str) -> np.ndarray:
    """(batch, seq, dim) token states -> (batch, dim), padding excluded (right-padded batches)."""
    pooled: np.ndarray
    if pooling == "cls":
        pooled = hidden[:, 0]
        return pooled
    lengths = mask.sum(axis=1)
    if pooling == "last":
        pooled = hidden[np.arange(len(hidden)), np.maximum(lengths - 1, 0)]
        return pooled
    weights = mask[..., None].astype(hidden.dtype)
    pooled = (hidden * weights).sum(axis=1) / np.maximum(lengths, 1)[:, None].astype(hidden.dtype)
    return pooled


def _normalise(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms > 0, norms, 1.0)


class OnnxEmbedder:
    """A transformer exported to ONNX, with its ``tokenizer.json``, in process."""

    def __init__(self, directory: str | Path, threads: int | None = None) -> None:
        folder = _check_folder(directory)
        self.config = OnnxConfig.read(folder)
        model_path = find_model_file(folder, self.config.file)
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
            self._tokenizer = Tokenizer.from_file(str(folder / TOKENIZER_FILE))
        except Exception as exc:  # the Rust tokenizer raises a bare Exception
            raise ConfigError(f"{folder / TOKENIZER_FILE} : tokeniseur illisible ({exc}).") from exc
        padding = self._tokenizer.padding
        self._pad_id = int(padding["pad_id"]) if padding else self._guess_pad_id()
        self._tokenizer.no_padding()  # padded here, per batch of similar lengths
        self._tokenizer.enable_truncation(self.config.max_length)

        self._session, self._inputs, self._output = open_session(
            ort,
            model_path,
            threads,
            self.config.output,
            "Exportez le modèle comme encodeur de phrases (tâche feature-extraction, sans cache).",
        )
        # Serialised runs: ONNX Runtime already uses every thread it was given for one run.
        self._lock = threading.Lock()
        self._pooled = False
        self.dim = self._probe()
        self._cached_query = functools.lru_cache(maxsize=QUERY_CACHE_SIZE)(self._embed_query)

    def __repr__(self) -> str:
        return f"OnnxEmbedder(name={self.name!r}, model={str(self.model_path)!r}, dim={self.dim})"

    def _guess_pad_id(self) -> int:
        for token in ("<pad>", "[PAD]", "<|endoftext|>"):
            found = self._tokenizer.token_to_id(token)
            if found is not None:
                return int(found)
        return 0  # any id will do: padded positions are masked out

    def _probe(self) -> int:
        """Run the model once: its output must be (batch, seq, dim) token states or
        (batch, dim) sentence vectors; ``dim`` is read from it."""
        ids = np.array([[self._pad_id, self._pad_id]], dtype=np.int64)
        try:
            out = self._run(ids, np.ones_like(ids))
        except EmbedderError as exc:
            raise ConfigError(f"{self.model_path} : le modèle ne s'exécute pas ({exc}).") from exc
        if out.ndim == 2:
            self._pooled = True  # already one vector per text (e.g. sentence_embedding)
        elif out.ndim != 3 or out.shape[:2] != ids.shape:
            raise ConfigError(
                f"{self.model_path} : la sortie « {self._output} » a la forme {out.shape} ; "
                "(lot, jetons, dimension) ou (lot, dimension) est attendue. Choisissez-en une autre avec « output »."
            )
        if out.shape[0] != 1 or out.shape[-1] < 1:
            raise ConfigError(f"{self.model_path} : la sortie « {self._output} » a la forme {out.shape}.")
        return int(out.shape[-1])

    def _run(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        feeds: dict[str, np.ndarray] = {}
        for name, kind in self._inputs.items():
            if name == "input_ids":
                value = ids
            elif name == "attention_mask":
                value = mask
            elif name == "token_type_ids":
                value = np.zeros_like(ids)
            else:  # position_ids
                value = np.broadcast_to(np.arange(ids.shape[1]), ids.shape)
            feeds[name] = np.ascontiguousarray(value, dtype=kind)
        try:
            with self._lock:
                (out,) = self._session.run([self._output], feeds)
        except Exception as exc:  # onnxruntime's errors carry no useful type
            raise EmbedderError(f"Échec du modèle ONNX {self.name} : {str(exc)[:300]}") from exc
        return np.asarray(out, dtype=np.float32)

    def _embed(self, texts: Sequence[str], prefix: str) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        encodings = self._tokenizer.encode_batch([prefix + t for t in texts])
        # An empty text (and no special tokens) would give an empty sequence: one pad token
        # keeps the shapes valid; its vector is meaningless but finite.
        tokens = [e.ids or [self._pad_id] for e in encodings]
        order = sorted(range(len(tokens)), key=lambda i: len(tokens[i]), reverse=True)
        result = np.empty((len(texts), self.dim), dtype=np.float32)
        step = self.config.batch_size
        for start in range(0, len(order), step):
            rows = order[start : start + step]
            width = len(tokens[rows[0]])  # sorted longest first
            ids = np.full((len(rows), width), self._pad_id, dtype=np.int64)
            mask = np.zeros((len(rows), width), dtype=np.int64)
            for r, i in enumerate(rows):
                ids[r, : len(tokens[i])] = tokens[i]
                mask[r, : len(tokens[i])] = 1
            out = self._run(ids, mask)
            vectors = out if self._pooled else _pool(out, mask, self.config.pooling)
            if vectors.shape != (len(rows), self.dim):
                raise EmbedderError(f"Le modèle ONNX {self.name} a rendu des vecteurs de forme {vectors.shape}.")
            result[rows] = vectors
        if self.config.normalize:
            result = _normalise(result)
        if not np.isfinite(result).all():
            raise EmbedderError(f"Le modèle ONNX {self.name} a rendu des valeurs non finies (NaN ou infini).")
        return result.astype(np.float32, copy=False)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._embed(texts, self.config.passage_prefix)

    def _embed_query(self, text: str) -> np.ndarray:
        out: np.ndarray = self._embed([text], self.config.query_prefix)[0]
        out.setflags(write=False)
        return out

    def embed_query(self, text: str) -> np.ndarray:
        # Retrieval, the extractive answerer and the correction lookup embed the same question.
        return self._cached_query(text)


def quantize(directory: str | Path, *, per_channel: bool = False, reduce_range: bool = False) -> Path:
    """Write ``model_quantized.onnx`` beside the folder's float model: weights in int8
    (dynamic quantisation, activations quantised at run time). Returns its path.

    ``reduce_range`` (7-bit weights) avoids an overflow of some older x86 CPUs without
    VNNI instructions; use it if the quantised vectors drift from the float ones there."""
    folder = _check_folder(directory)
    config = OnnxConfig.read(folder)
    source = folder / (config.file or MODEL_FILE)
    if not source.is_file():
        raise ConfigError(f"Modèle à quantifier introuvable : {source}")
    target = folder / QUANTIZED_FILE
    if source.resolve() == target.resolve():
        raise ConfigError(f"{source} est déjà le modèle quantifié : indiquez le modèle en flottants dans « file ».")
    try:
        import onnx  # noqa: F401  (onnxruntime.quantization needs it)
        from onnxruntime.quantization import QuantType, quantize_dynamic
    except ImportError as exc:
        raise EmbedderError(
            f"La quantification demande onnx et onnxruntime : pip install onnx ; {INSTALL_HINT}"
        ) from exc
    partial = target.with_name(target.name + ".partial")
    try:
        quantize_dynamic(
            source,
            partial,
            weight_type=QuantType.QInt8,
            per_channel=per_channel,
            reduce_range=reduce_range,
        )
        partial.replace(target)  # never leave a half-written model under the name that gets loaded
    except Exception as exc:
        partial.unlink(missing_ok=True)
        raise EmbedderError(f"Échec de la quantification de {source} : {str(exc)[:300]}") from exc
    return target
