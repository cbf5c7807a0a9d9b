"""Transparency: an assistant's card and the footprint totals, built only from data Socle
holds (settings, store, recorded answers and evaluations) — never typed by hand.

The card says what the assistant is for, which model and runtime produce its answers,
what it reads (collections, licences, document counts, privacy mode), how well it did in
its last evaluations, what it has cost, and its known limits. It is dated, and its version
is a hash of its content: two cards with the same version say the same thing.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from datetime import UTC, datetime
from html import escape
from typing import Any

from socle.answer import EXTRACTIVE_MODEL
from socle.config import Settings
from socle.errors import NotFoundError
from socle.service.french import nombre
from socle.store import Store

CARD_SCHEMA = "socle-card/1"
GROUP_LABELS = {"assistant": "assistant", "collection": "collection", "day": "jour"}  # footprint groups, as shown


def _runtime(settings: Settings) -> dict[str, str]:
    if settings.llm_backend == "llamacpp":
        return {
            "answers": f"modèle de langue local {settings.llm_model or '(non précisé)'}",
            "runtime": "llama.cpp (CPU)",
        }
    if settings.llm_backend == "openai":
        return {
            "answers": f"modèle de langue {settings.llm_model or '(non précisé)'}",
            "runtime": "serveur compatible OpenAI (adresse définie par l'administrateur)",
        }
    return {"answers": EXTRACTIVE_MODEL, "runtime": "aucun modèle génératif : citation des phrases des documents"}


def footprint_totals(store: Store, group: str = "assistant") -> list[dict[str, Any]]:
    """Energy, carbon, requests and tokens per ``assistant``, ``collection`` or ``day``."""
    if group not in ("assistant", "collection", "day"):
        raise ValueError(group)
    totals: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for row in store.answer_footprints():
        f = row["footprint"]
        keys = {
            "assistant": [row["assistant"] or "(ligne de commande)"],
            "collection": row["collection"].split(","),
            "day": [row["created_at"][:10]],
        }[group]
        for key in keys:
            t = totals[key]
            t["requests"] += 1
            t["abstentions"] += int(row["abstained"])
            t["energy_wh"] += f.get("energy_wh", 0.0)
            t["carbon_g"] += f.get("carbon_g", 0.0)
            t["cpu_s"] += f.get("cpu_s", 0.0)
            t["wall_s"] += f.get("wall_s", 0.0)
            t["tokens_in"] += f.get("tokens_in", 0)
            t["tokens_out"] += f.get("tokens_out", 0)
    out = []
    for key in sorted(totals):
        t = totals[key]
        n = t["requests"]
        out.append(
            {
                group: key,
                "requests": int(n),
                "abstentions": int(t["abstentions"]),
                "energy_wh": round(t["energy_wh"], 6),
                "carbon_g": round(t["carbon_g"], 6),
                "tokens_in": int(t["tokens_in"]),
                "tokens_out": int(t["tokens_out"]),
                "energy_wh_per_answer": round(t["energy_wh"] / n, 6),
                "wall_s_per_answer": round(t["wall_s"] / n, 3),
            }
        )
    return out


def footprint_svg(rows: list[dict[str, Any]], key: str, value: str = "energy_wh", unit: str = "Wh") -> str:
    """A bar chart of ``rows`` as standalone SVG (no script, no external resource), with a
    title and description for screen readers; the page shows the same data as a table."""
    width, bar_h, gap, left = 640, 22, 8, 180
    height = max(60, len(rows) * (bar_h + gap) + 40)
    top = max((r[value] for r in rows), default=0) or 1
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}"'
        f' role="img" aria-labelledby="t d"><title id="t">Énergie par {escape(GROUP_LABELS.get(key, key))}</title>'
        f'<desc id="d">{escape(" ; ".join(f"{r[key]} : {nombre(r[value], 4)} {unit}" for r in rows))}</desc>',
        "<style>text{font:13px system-ui,sans-serif;fill:#1e1e1e}</style>",
    ]
    for i, r in enumerate(rows):
        y = 20 + i * (bar_h + gap)
        w = max(1.0, (width - left - 110) * r[value] / top)
        label = escape(str(r[key]))[:28]
        parts.append(f'<text x="{left - 8}" y="{y + 16}" text-anchor="end">{label}</text>')
        parts.append(f'<rect x="{left}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="#000091"/>')
        parts.append(f'<text x="{left + w + 6:.1f}" y="{y + 16}">{escape(nombre(r[value], 4))} {unit}</text>')
    parts.append("</svg>")
    return "".join(parts)


def assistant_card(store: Store, settings: Settings, name: str, contact: str = "") -> dict[str, Any]:
    assistant = store.get_assistant(name)
    if assistant is None:
        raise NotFoundError(f"L'assistant « {name} » n'existe pas.")
    infos = {c.name: c for c in store.collections()}
    collections = []
    for c in assistant.collections:
        info = infos.get(c)
        coll_settings = store.collection_settings(c) if info else {}
        collections.append(
            {
                "name": c,
                "documents": info.documents if info else 0,
                "chunks": info.chunks if info else 0,
                "licence": coll_settings.get("licence", "non précisée"),
                "privacy_mode": coll_settings.get("privacy_mode", "non renseigné"),
                "embedder": info.embedder if info else None,
            }
        )
    evaluations: dict[str, dict[str, Any]] = {}
    for e in store.evaluations():
        if e["collection"] in assistant.collections:
            evaluations[f"{e['collection']}/{e['kind']}"] = {
                "date": e["at"],
                "questions": e["questions"],
                "metrics": e["metrics"],
            }
    usage = next((r for r in footprint_totals(store, "assistant") if r["assistant"] == name), None)
    threshold = float(assistant.settings.get("threshold", settings.answer_threshold))
    possible = min(threshold, float(assistant.settings.get("possible_threshold", settings.possible_threshold)))
    runtime = _runtime(settings)
    limits = [
        "Répond uniquement à partir des documents des collections listées ; ne connaît rien d'autre.",
        f"Répond quand la confiance de la recherche atteint {nombre(threshold, 2)} ; entre {nombre(possible, 2)} et "
        f"{nombre(threshold, 2)}, donne le passage le plus proche comme « réponse possible, à vérifier » ; "
        f"en dessous de {nombre(possible, 2)}, dit qu'il ne trouve pas la réponse.",
        "Chaque réponse cite ses sources : vérifiez-les avant toute décision.",
    ]
    if settings.llm_backend == "extractive":
        limits.append(
            "Sans modèle génératif, la réponse est une citation : elle ne reformule ni ne combine les documents."
        )
    else:
        limits.append(
            "Les phrases rédigées par le modèle sont vérifiées contre les sources ; celles qui ne sont pas étayées "
            "sont retirées, ce qui peut rendre la réponse incomplète."
        )
    card: dict[str, Any] = {
        "schema": CARD_SCHEMA,
        "assistant": {"name": assistant.name, "title": assistant.title},
        # What it is for, as its owner wrote it for users; else the first paragraph of its instructions.
        "purpose": str(assistant.settings.get("purpose") or "").strip()
        or assistant.instructions.split("\n\n")[0].strip()
        or assistant.title,
        "model": {
            "answers": runtime["answers"],
            "runtime": runtime["runtime"],
            "embedder": settings.embedder,
            "retrieval": f"hybride BM25 français + embeddings, poids dense {nombre(settings.dense_weight, 2)}",
            "ai_generated_mark": True,
        },
        "collections": collections,
        "evaluations": evaluations,
        "footprint": usage
        or {"requests": 0, "energy_wh": 0.0, "carbon_g": 0.0, "energy_wh_per_answer": 0.0, "wall_s_per_answer": 0.0},
        "footprint_model": {
            "method": "Green Algorithms (temps CPU × puissance par cœur + mémoire, × PUE)",
            "power_per_core_w": settings.power_per_core_w,
            "pue": settings.pue,
            "carbon_g_per_kwh": settings.carbon_g_per_kwh,
        },
        "limits": limits,
        "contact": contact or assistant.settings.get("contact") or assistant.created_by or "non renseigné",
        "assistant_updated_at": assistant.updated_at,
    }
    digest = hashlib.sha256(json.dumps(card, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:12]
    card["version"] = digest
    card["generated_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    return card


def _metric_lines(evaluations: dict[str, dict[str, Any]]) -> list[str]:
    labels = {
        "recall@1": "rappel@1",
        "recall@5": "rappel@5",
        "mrr@10": "MRR@10",
        "citation_correctness": "citations correctes",
        "answer_rate": "taux de réponse",
        "abstention_rate": "taux d'abstention hors sujet",
        "latency_s_p50": "latence p50 (s)",
    }
    lines = []
    for key, e in sorted(evaluations.items()):
        shown = ", ".join(
            f"{label} {e['metrics'][m]}" for m, label in labels.items() if e["metrics"].get(m) is not None
        )
        lines.append(f"{key} ({e['questions']}, {e['date'][:10]}) : {shown}")
    return lines


def card_markdown(card: dict[str, Any]) -> str:
    f = card["footprint"]
    out = [
        f"# Fiche de transparence — {card['assistant']['title']}",
        "",
        f"Version {card['version']}, générée le {card['generated_at'][:10]} à partir des données de Socle.",
        "",
        "## Finalité",
        card["purpose"],
        "",
        "## Modèle et fonctionnement",
        f"- Réponses : {card['model']['answers']} — {card['model']['runtime']}",
        f"- Recherche : {card['model']['retrieval']} ({card['model']['embedder']})",
        "- Chaque réponse est marquée « Générée par IA » et cite ses sources.",
        "",
        "## Documents",
    ]
    for c in card["collections"]:
        out.append(
            f"- {c['name']} : {c['documents']} documents, {c['chunks']} passages ; licence : {c['licence']} ; "
            f"protection des données personnelles : {c['privacy_mode']}"
        )
    out += ["", "## Dernières évaluations"]
    out += [f"- {line}" for line in _metric_lines(card["evaluations"])] or ["- aucune évaluation enregistrée"]
    out += [
        "",
        "## Empreinte",
        f"- {nombre(f['requests'])} réponses, {nombre(f['energy_wh'], 4)} Wh, {nombre(f.get('carbon_g', 0), 4)} gCO2e"
        f" au total ; {nombre(f['energy_wh_per_answer'] * 1000, 3)} mWh par réponse en moyenne",
        f"- Méthode : {card['footprint_model']['method']}, {card['footprint_model']['carbon_g_per_kwh']} gCO2e/kWh",
        "",
        "## Limites connues",
        *[f"- {limit}" for limit in card["limits"]],
        "",
        "## Contact",
        str(card["contact"]),
        "",
    ]
    return "\n".join(out)


def card_html(card: dict[str, Any]) -> str:
    """A standalone HTML page (for publication next to the service)."""
    from markdown_it import MarkdownIt

    body = MarkdownIt("commonmark", {"html": False}).render(card_markdown(card))
    title = escape(card["assistant"]["title"])
    return (
        f'<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>Fiche de transparence — {title}</title>'
        f"</head><body>{body}</body></html>\n"
    )
