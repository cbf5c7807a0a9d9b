"""Options and helpers shared by the `socle` commands: settings, store, answerer, errors."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

import click

from socle.config import Settings, load_settings
from socle.errors import SocleError

F = TypeVar("F", bound=Callable[..., Any])
DEFAULT_COLLECTION = "defaut"


def collection_option(fn: F) -> F:
    return click.option(
        "--collection",
        "-c",
        default=DEFAULT_COLLECTION,
        show_default=True,
        envvar="SOCLE_COLLECTION",
        help="Nom de la collection.",
    )(fn)


def json_option(fn: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="Sortie JSON (pour les programmes).")(fn)


def reports_errors(fn: F) -> F:
    """Turn Socle's errors into a French message and exit code 1, never a traceback."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except SocleError as exc:
            raise click.ClickException(str(exc)) from exc

    return wrapper  # type: ignore[return-value]


def _settings(ctx: click.Context, **overrides: Any) -> Settings:
    try:
        return load_settings(db=ctx.obj["db"], **overrides)
    except SocleError as exc:
        raise click.ClickException(str(exc)) from exc


def _open(settings: Settings, need_embedder: bool = True) -> tuple[Any, Any]:
    from socle.embed import get_embedder
    from socle.store import open_store

    store = open_store(settings.db)
    embedder = get_embedder(settings.embedder) if need_embedder else None
    return store, embedder


def model_options(fn: F) -> F:
    fn = click.option(
        "--model", "model", type=click.Path(dir_okay=False), help="Fichier GGUF d'un modèle de langue (llama.cpp)."
    )(fn)
    return click.option(
        "--backend",
        type=click.Choice(["extractive", "llamacpp", "openai"]),
        help="Moteur de réponse (défaut : SOCLE_LLM_BACKEND, sinon extractif).",
    )(fn)


def _answerer(settings: Settings, retriever: Any, embedder: Any, model: str | None, backend: str | None) -> Any:
    from socle.answer import Answerer
    from socle.footprint import FootprintModel
    from socle.llm import get_generator

    chosen = backend or ("llamacpp" if model else settings.llm_backend)
    generator = get_generator(chosen, model or settings.llm_model, settings.llm_base_url, settings.llm_api_key)
    return Answerer(
        retriever,
        embedder,
        generator,
        threshold=settings.answer_threshold,
        possible_threshold=settings.possible_threshold,
        footprint_model=FootprintModel(
            power_per_core_w=settings.power_per_core_w, pue=settings.pue, carbon_g_per_kwh=settings.carbon_g_per_kwh
        ),
    )
