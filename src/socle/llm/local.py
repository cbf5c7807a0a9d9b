"""A GGUF model run in process by llama.cpp (``pip install 'socle[llm]'``)."""

from __future__ import annotations

import atexit
import os
import threading
from pathlib import Path
from typing import Any

from socle.errors import ConfigError, SocleError
from socle.llm.base import Completion, Message, OnToken

_models: dict[str, Any] = {}
_models_lock = threading.Lock()


@atexit.register
def _close_models() -> None:
    # Free llama.cpp contexts while the library is still loaded (its __del__ at interpreter
    # shutdown otherwise fails noisily).
    for model in _models.values():
        model.close()
    _models.clear()


def _load(path: Path, n_ctx: int) -> Any:
    try:
        from llama_cpp import Llama
    except ImportError as exc:
        raise ConfigError(
            "Le moteur llama.cpp n'est pas installé : pip install 'socle[llm]' (compilation d'environ 6 minutes)."
        ) from exc
    key = f"{path.resolve()}:{n_ctx}"
    with _models_lock:
        if key not in _models:
            try:
                _models[key] = Llama(
                    model_path=str(path), n_ctx=n_ctx, n_threads=os.cpu_count() or 2, verbose=False, seed=0
                )
            except (ValueError, RuntimeError) as exc:
                raise ConfigError(f"{path} : modèle GGUF illisible ({exc})") from exc
        return _models[key]


class LlamaCppGenerator:
    def __init__(self, model_path: str, n_ctx: int = 4096) -> None:
        if not model_path:
            raise ConfigError("Indiquez le fichier du modèle GGUF (--model CHEMIN ou SOCLE_LLM_MODEL).")
        path = Path(model_path).expanduser()
        if not path.is_file():
            raise ConfigError(f"Modèle introuvable : {path}")
        self.name = f"llama.cpp/{path.name}"
        self._llama = _load(path, n_ctx)
        # One generation at a time per model: llama.cpp contexts are not re-entrant.
        self._lock = threading.Lock()

    def chat(
        self,
        messages: list[Message],
        *,
        max_tokens: int = 400,
        temperature: float = 0.1,
        on_token: OnToken | None = None,
    ) -> Completion:
        with self._lock:
            try:
                stream = self._llama.create_chat_completion(
                    messages=list(messages), max_tokens=max_tokens, temperature=temperature, stream=True, seed=0
                )
                pieces: list[str] = []
                for chunk in stream:
                    delta = chunk["choices"][0].get("delta", {}).get("content")
                    if delta:
                        pieces.append(delta)
                        if on_token:
                            on_token(delta)
            except ValueError as exc:  # e.g. prompt longer than the context window
                raise SocleError(f"Le modèle n'a pas pu répondre : {exc}") from exc
            text = "".join(pieces)
            prompt = "\n".join(m["content"] for m in messages)
            tokens_in = len(self._llama.tokenize(prompt.encode("utf-8"), add_bos=True))
            tokens_out = len(self._llama.tokenize(text.encode("utf-8"), add_bos=False)) if text else 0
        return Completion(text=text, tokens_in=tokens_in, tokens_out=tokens_out, model=self.name)
