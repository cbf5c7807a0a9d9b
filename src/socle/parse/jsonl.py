"""JSON Lines files (.jsonl): one document per line, as in evaluation corpora.

Each line is an object with a required ``id`` (the document key) and ``text``, an optional
``title`` and ``url``; every other field is kept in the document's metadata. Paragraphs
of ``text`` are separated by newlines. Blank lines are skipped, and so are records whose
text is blank. A malformed line rejects the whole file, with its line number. Records of a
``socle export`` (with ``blocks`` and ``content_hash``) are rebuilt exactly as exported,
see :mod:`socle.parse.socle_export`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from socle.errors import ParseError
from socle.models import Block, Document
from socle.parse._common import decode_bytes, make_block, pick_title, read_bytes
from socle.parse.socle_export import export_record_document, is_export_record

MIME = "application/x-ndjson"

_RESERVED = ("id", "text", "title", "url")


def parse(path: Path) -> list[Document]:
    content = decode_bytes(read_bytes(path), path)
    documents: list[Document] = []
    seen: dict[str, int] = {}
    for number, line in enumerate(content.splitlines(), start=1):
        if not line.strip():
            continue
        record = _load_line(line, path, number)
        key = _required_str(record, "id", path, number, allow_int=True)
        if key in seen:
            raise ParseError(f"{path}, ligne {number} : identifiant « {key} » déjà utilisé ligne {seen[key]}")
        seen[key] = number
        if is_export_record(record):  # a `socle export` file: blocks and metadata as exported
            documents.append(export_record_document(record, f"{path}, ligne {number}"))
            continue
        text = _required_str(record, "text", path, number, allow_empty=True)
        blocks = _text_blocks(text)
        if not blocks:
            continue
        title = record.get("title")
        url = record.get("url")
        documents.append(
            Document(
                key=key,
                title=pick_title(title if isinstance(title, str) else None, blocks[0].text, path=path),
                blocks=blocks,
                source=f"{path}#{key}",
                url=url if isinstance(url, str) and url.strip() else None,
                mime=MIME,
                metadata={k: v for k, v in record.items() if k not in _RESERVED},
            )
        )
    return documents


def _load_line(line: str, path: Path, number: int) -> dict[str, Any]:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ParseError(f"{path}, ligne {number} : JSON invalide ({exc.msg}, colonne {exc.colno})") from exc
    if not isinstance(record, dict):
        raise ParseError(f"{path}, ligne {number} : un objet JSON {{...}} est attendu")
    return record


def _required_str(
    record: dict[str, Any],
    field: str,
    path: Path,
    number: int,
    *,
    allow_int: bool = False,
    allow_empty: bool = False,
) -> str:
    value = record.get(field)
    if value is None:
        raise ParseError(f"{path}, ligne {number} : champ « {field} » manquant")
    if allow_int and isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise ParseError(f"{path}, ligne {number} : le champ « {field} » doit être une chaîne de caractères")
    if not allow_empty and not value.strip():
        raise ParseError(f"{path}, ligne {number} : champ « {field} » vide")
    return value.strip() if field == "id" else value


def _text_blocks(text: str) -> list[Block]:
    blocks: list[Block] = []
    for line in text.split("\n"):
        block = make_block(line)
        if block is not None:
            blocks.append(block)
    return blocks
