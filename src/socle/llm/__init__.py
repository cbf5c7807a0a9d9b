"""Text generation backends behind one interface.

- ``llamacpp``: a GGUF model file run in process by llama.cpp (``llama-cpp-python``),
  the CPU runtime of reference; the operator gives the file's path.
- ``openai``: any server speaking the OpenAI chat API (vLLM, the Albert API, Ollama,
  llama.cpp server), with base URL and key from the settings.

No backend is the default: without a model, Socle answers extractively (quoted sentences
with their sources), which is also the fallback when a generated answer fails
verification. See docs/models.md for recommended models.
"""

from __future__ import annotations

from socle.errors import ConfigError
from socle.llm.base import Completion, Generator, Message, OnToken


def get_generator(backend: str, model: str = "", base_url: str = "", api_key: str = "") -> Generator | None:
    """The generator for the settings, or None for the extractive answerer."""
    if backend in ("", "extractive", "none"):
        return None
    if backend == "llamacpp":
        from socle.llm.local import LlamaCppGenerator

        return LlamaCppGenerator(model)
    if backend == "openai":
        from socle.llm.openai import FailoverGenerator, OpenAIGenerator

        urls = [u.strip() for u in base_url.split(",") if u.strip()]
        if len(urls) > 1:  # several servers: the first that answers, in order
            return FailoverGenerator([OpenAIGenerator(base_url=u, model=model, api_key=api_key) for u in urls])
        return OpenAIGenerator(base_url=base_url, model=model, api_key=api_key)
    raise ConfigError(f"Moteur de génération inconnu : « {backend} » (extractive, llamacpp ou openai)")


__all__ = ["Completion", "Generator", "Message", "OnToken", "get_generator"]
