"""Any server speaking the OpenAI chat completions API (vLLM, Albert, Ollama, llama.cpp server).

Streams with server-sent events. The API key is sent as a bearer token and never logged
or shown in error messages.
"""

from __future__ import annotations

import json
import threading
import time

import httpx

from socle.errors import ConfigError, SocleError
from socle.llm.base import Completion, Message, OnToken


class OpenAIGenerator:
    def __init__(self, base_url: str, model: str, api_key: str = "", timeout: float = 120.0) -> None:
        if not base_url:
            raise ConfigError(
                "Indiquez l'adresse du serveur de modèle (SOCLE_LLM_BASE_URL, ex. http://127.0.0.1:8080/v1)."
            )
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.name = f"openai:{model or 'default'}@{httpx.URL(self.base_url).host}"
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.Client(
            base_url=self.base_url, headers=headers, timeout=httpx.Timeout(timeout, connect=5.0)
        )

    def chat(
        self,
        messages: list[Message],
        *,
        max_tokens: int = 400,
        temperature: float = 0.1,
        on_token: OnToken | None = None,
    ) -> Completion:
        body = {
            "model": self.model or "default",
            "messages": list(messages),
            "max_tokens": max_tokens,
            "temperature": temperature,
            "stream": True,
            "stream_options": {"include_usage": True},
        }
        pieces: list[str] = []
        usage: dict[str, int] = {}
        try:
            with self._client.stream("POST", "/chat/completions", json=body) as response:
                if response.status_code >= 400:
                    response.read()
                    raise SocleError(f"Le serveur de modèle a répondu {response.status_code} : {response.text[:200]}")
                for line in response.iter_lines():
                    if not line.startswith("data:"):
                        continue
                    data = line[5:].strip()
                    if data == "[DONE]":
                        break
                    event = json.loads(data)
                    if event.get("usage"):
                        usage = event["usage"]
                    for choice in event.get("choices") or []:
                        delta = (choice.get("delta") or {}).get("content")
                        if delta:
                            pieces.append(delta)
                            if on_token:
                                on_token(delta)
        except httpx.HTTPError as exc:
            raise SocleError(f"Serveur de modèle injoignable ({self.base_url}) : {type(exc).__name__}") from exc
        except json.JSONDecodeError as exc:
            raise SocleError("Réponse illisible du serveur de modèle (flux SSE invalide).") from exc
        text = "".join(pieces)
        prompt_chars = sum(len(m["content"]) for m in messages)
        return Completion(
            text=text,
            # Servers that do not report usage: ~4 characters per token, a documented estimate.
            tokens_in=int(usage.get("prompt_tokens", prompt_chars // 4)),
            tokens_out=int(usage.get("completion_tokens", len(pieces))),
            model=self.name,
        )


class FailoverGenerator:
    """Several OpenAI-compatible servers, tried in order: a server that fails (refused
    connection, timeout, 5xx) is skipped for :attr:`cooldown` seconds, and the answer comes
    from the next one, with a notice telling the user which server answered."""

    def __init__(self, servers: list[OpenAIGenerator], cooldown: float = 30.0) -> None:
        if not servers:
            raise ConfigError("Aucun serveur de modèle configuré.")
        self.servers = servers
        self.cooldown = cooldown
        self.name = servers[0].name
        self._down_until: dict[str, float] = {}
        self._lock = threading.Lock()

    def _order(self) -> list[OpenAIGenerator]:
        now = time.monotonic()
        with self._lock:
            up = [s for s in self.servers if self._down_until.get(s.base_url, 0.0) <= now]
            down = [s for s in self.servers if s not in up]
        return up + down  # servers in cooldown are tried last, never dropped

    def chat(
        self,
        messages: list[Message],
        *,
        max_tokens: int = 400,
        temperature: float = 0.1,
        on_token: OnToken | None = None,
    ) -> Completion:
        failures: list[str] = []
        for server in self._order():
            try:
                completion = server.chat(messages, max_tokens=max_tokens, temperature=temperature, on_token=on_token)
            except SocleError as exc:
                with self._lock:
                    self._down_until[server.base_url] = time.monotonic() + self.cooldown
                failures.append(str(exc))
                continue
            if server is not self.servers[0]:
                host = httpx.URL(server.base_url).host
                completion = Completion(
                    completion.text,
                    completion.tokens_in,
                    completion.tokens_out,
                    completion.model,
                    notice=f"Serveur de modèle principal indisponible : réponse produite par le serveur de secours ({host}).",
                )
            return completion
        raise SocleError("Aucun serveur de modèle n'a répondu : " + " ; ".join(failures))
