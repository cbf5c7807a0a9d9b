"""Options and helpers shared by the `socle` commands: settings, store, answerer, errors,
and the French frame of the help pages (:func:`speak_french`)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import IO, Any, TypeVar

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


class FrenchError(click.ClickException):
    """An error shown as « Erreur : … » (click writes « Error: »), exit code 1."""

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(f"Erreur : {self.format_message()}", file=file, err=file is None)


def reports_errors(fn: F) -> F:
    """Turn Socle's errors into a French message and exit code 1, never a traceback."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except SocleError as exc:
            raise FrenchError(str(exc)) from exc

    return wrapper  # type: ignore[return-value]


def _settings(ctx: click.Context, **overrides: Any) -> Settings:
    try:
        return load_settings(db=ctx.obj["db"], **overrides)
    except SocleError as exc:
        raise FrenchError(str(exc)) from exc


# -- help pages in French ----------------------------------------------------------------------
HELP_OPTION_HELP = "Affiche cette aide et quitte."
_SECTIONS = {"Options": "Options", "Commands": "Commandes", "Arguments": "Arguments"}
# What click appends to an option's help, between brackets: « [default: 5; required] ».
_EXTRA_RE = re.compile(r"\[([^\[\]]*)\]\Z")
_EXTRAS = (("env var: ", "variable d'environnement : "), ("default: ", "défaut : "), ("required", "obligatoire"))


class FrenchHelpFormatter(click.HelpFormatter):
    """Click's help layout with French headings (« Utilisation : », « Commandes »). Click
    marks these words for gettext but ships no catalogue, and a process-wide catalogue
    would depend on the operator's locale: this formatter does it for Socle's commands only."""

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        super().write_usage(prog, args, "Utilisation : " if prefix is None else prefix)

    def write_heading(self, heading: str) -> None:
        self.write(f"{'':>{self.current_indent}}{heading} :\n")  # French: a space before the colon

    @contextmanager
    def section(self, name: str) -> Iterator[None]:
        with super().section(_SECTIONS.get(name, name)):
            yield

    def write_dl(self, rows: Iterable[tuple[str, str]], col_max: int = 30, col_spacing: int = 2) -> None:
        super().write_dl([(term, _french_extras(text)) for term, text in rows], col_max, col_spacing)


def _french_extras(text: str) -> str:
    def translate(match: re.Match[str]) -> str:
        items = []
        for item in match.group(1).split("; "):
            for english, french in _EXTRAS:
                if item.startswith(english):
                    item = french + item[len(english) :]
                    break
            items.append(item)
        return "[" + "; ".join(items) + "]"

    return _EXTRA_RE.sub(translate, text)


class FrenchContext(click.Context):
    formatter_class = FrenchHelpFormatter


def speak_french(command: click.Command) -> None:
    """Give ``command`` and all its subcommands the French help layout, French names for
    the values options take (TEXTE, ENTIER, FICHIER…) and the French text of the automatic
    ``--help`` option. Arguments are named in French where they are declared."""
    for cmd in _walk(command):
        cmd.context_class = FrenchContext
        if isinstance(cmd, click.Group):
            cmd.subcommand_metavar = "COMMANDE [ARGUMENTS]..."
        for param in cmd.params:
            if isinstance(param, click.Option) and param.metavar is None and not param.is_flag and param.nargs == 1:
                param.metavar = _metavar(param.type)
        # The help option is built once per command and cached (click >= 8.1.8): its text
        # is set on that object; with an older click it simply stays in English.
        option = cmd.get_help_option(FrenchContext(cmd))
        if option is not None:
            option.help = HELP_OPTION_HELP


def _metavar(kind: click.ParamType[Any, Any]) -> str | None:
    if isinstance(kind, click.Path):
        return "FICHIER" if not kind.dir_okay else "DOSSIER" if not kind.file_okay else "CHEMIN"
    if isinstance(kind, click.File):
        return "FICHIER"
    names = {
        "integer": "ENTIER",
        "integer range": "ENTIER",
        "float": "NOMBRE",
        "float range": "NOMBRE",
        "text": "TEXTE",
    }
    return names.get(kind.name)


def _walk(command: click.Command) -> Iterator[click.Command]:
    yield command
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            yield from _walk(sub)


def _open(settings: Settings, need_embedder: bool = True) -> tuple[Any, Any]:
    from socle.embed.cache import load_embedder
    from socle.store import open_store

    store = open_store(settings.db)
    embedder = load_embedder(settings) if need_embedder else None
    return store, embedder


def _retriever(store: Any, embedder: Any, settings: Settings) -> Any:
    """The retriever the commands search with: the settings' fusion weight and reranker."""
    from socle.rerank import get_reranker
    from socle.retrieve import Retriever

    return Retriever(
        store,
        embedder,
        settings.dense_weight,
        reranker=get_reranker(settings.reranker),
        rerank_candidates=settings.rerank_candidates,
    )


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
