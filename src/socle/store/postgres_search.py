"""Server-side candidates for :meth:`socle.store.store.Store.search_candidates`.

Three statements in one transaction:

1. lexical: the ``limit`` chunks of the collection with the best lexical score for the
   question's lexemes (French stems over accent-folded text, ``socle_french``), found
   through the GIN index on ``chunks.tsv``;
2. dense: the ``limit`` nearest chunks by cosine distance, through the collection's
   partial HNSW index (``hnsw.ef_search`` raised to at least ``limit``: an HNSW scan
   returns at most ``ef_search`` rows);
3. every chunk of the documents found by either, with both signals computed exactly.

Lexical score. ``ts_rank_cd`` weighs every query word alike, so "conditions" counts as much
as "allocation"; BM25 (the in-memory search) weighs words by their rarity. Here each
lexeme gets an inverse document frequency from the statistics PostgreSQL keeps for the
``tsv`` column (``pg_stats.most_common_elems``, refreshed by ``ANALYZE``/autovacuum; a
lexeme absent from them is rarer than all of them); a chunk scores the sum of the IDF of
the lexemes it contains, plus its ``ts_rank_cd`` as a tie-breaker (how close together
and how often they occur). Only the rarest lexemes select lexical candidates, as many as
keep the expected number of matching chunks within :data:`ROW_BUDGET`: PostgreSQL has no
top-k pruning of OR queries, so matching a common lexeme would score a large part of the
table row by row, for little information, and the cost would grow with the collection.
Common lexemes still count in the score, and dense candidates cover questions made only
of common words.

The collection id and the vector dimension are written into the SQL as literals, not
passed as parameters: the planner can only use a partial index (``WHERE collection_id =
N``, on ``embedding::vector(dim)``) when it sees the constant, including once psycopg has
turned the statement into a prepared one.
"""

from __future__ import annotations

import math
import threading
import time
from typing import Any

import numpy as np
import psycopg
from psycopg import sql

from socle.store.records import Candidates

MAX_EF_SEARCH = 1000  # pgvector's upper bound for hnsw.ef_search
ROW_BUDGET = 5000  # chunks the lexical step may score, whatever the collection's size
STATS_TTL = 300.0  # seconds between two reads of pg_stats
_stats_lock = threading.Lock()
# database -> (read at, lexeme frequencies, frequency of the others, rows of the table)
_stats: dict[str, tuple[float, dict[str, float], float, float]] = {}


def lexeme_frequencies(conn: psycopg.Connection[Any]) -> tuple[dict[str, float], float, float]:
    """Fraction of chunks containing each common lexeme, the frequency assumed for the
    others (half the rarest common one), and the number of chunks, from PostgreSQL's
    statistics (all collections together)."""
    key = str(conn.info.dbname) + "@" + str(conn.info.host) + ":" + str(conn.info.port)
    with _stats_lock:
        cached = _stats.get(key)
    if cached is not None and time.monotonic() - cached[0] < STATS_TTL:
        return cached[1], cached[2], cached[3]
    row = conn.execute(
        "SELECT most_common_elems::text::text[], most_common_elem_freqs FROM pg_stats"
        " WHERE schemaname = current_schema() AND tablename = 'chunks' AND attname = 'tsv'"
    ).fetchone()
    size = conn.execute("SELECT reltuples FROM pg_class WHERE oid = 'chunks'::regclass").fetchone()
    freqs: dict[str, float] = {}
    floor = 1e-4
    if row and row[0] and row[1]:
        # The frequencies array ends with the minimum, maximum and null frequency.
        freqs = {str(e): float(f) for e, f in zip(row[0], row[1][: len(row[0])], strict=True)}
        floor = max(min(freqs.values()) / 2, 1e-7)
    rows = max(float(size[0]) if size else 0.0, 0.0)  # -1 before the first ANALYZE
    with _stats_lock:
        _stats[key] = (time.monotonic(), freqs, floor, rows)
    return freqs, floor, rows


def _any(lexemes: list[str]) -> str:
    """A tsquery matching any of ``lexemes``, quoted."""
    return " | ".join("'" + lex.replace("\\", "\\\\").replace("'", "''") + "'" for lex in lexemes)


def query_lexemes(conn: psycopg.Connection[Any], query: str) -> list[tuple[str, float]]:
    """The question's lexemes with their IDF, rarest first."""
    row = conn.execute("SELECT tsvector_to_array(to_tsvector('socle_french', socle_unaccent(%s)))", (query,)).fetchone()
    lexemes = [str(x) for x in (row[0] if row and row[0] else [])]
    freqs, floor, _ = lexeme_frequencies(conn)
    weighted = [(lex, math.log(1.0 / min(max(freqs.get(lex, floor), 1e-9), 0.999)) + 0.1) for lex in lexemes]
    return sorted(weighted, key=lambda x: -x[1])


def lexical_score(lexemes: list[tuple[str, float]]) -> tuple[sql.Composable, list[Any]]:
    """SQL scoring a chunk's ``tsv``: sum of the IDF of the lexemes it contains, plus
    ``ts_rank_cd`` (at most 1) to break ties; with its parameters."""
    parts: list[sql.Composable] = []
    params: list[Any] = []
    for lexeme, idf in lexemes:
        parts.append(sql.SQL("(CASE WHEN tsv @@ %s::tsquery THEN {} ELSE 0 END)").format(sql.Literal(round(idf, 4))))
        params.append(_any([lexeme]))
    parts.append(sql.SQL("ts_rank_cd(tsv, %s::tsquery, 1)"))
    params.append(_any([lex for lex, _ in lexemes]))
    return sql.SQL(" + ").join(parts), params


def search_candidates(
    conn: psycopg.Connection[Any], cid: int, query: str, query_vector: np.ndarray | None, limit: int, ef_search: int
) -> Candidates:
    lexemes = query_lexemes(conn, query)
    documents: set[int] = set()
    selecting: list[str] = []
    if lexemes:
        freqs, floor, rows_in_table = lexeme_frequencies(conn)
        expected = 0.0
        for lexeme, _ in lexemes:  # rarest first, while the rows they match fit the budget
            expected += freqs.get(lexeme, floor) * rows_in_table
            if expected > ROW_BUDGET:
                break
            selecting.append(lexeme)
    score, score_params = lexical_score(lexemes) if lexemes else (sql.SQL("0"), [])
    if selecting:
        rows = conn.execute(
            sql.SQL(
                "SELECT document_id FROM chunks WHERE collection_id = {} AND tsv @@ %s::tsquery ORDER BY {} DESC LIMIT {}"
            ).format(sql.Literal(cid), score, sql.Literal(limit)),
            [_any(selecting), *score_params],
        ).fetchall()
        documents.update(int(r[0]) for r in rows)
    vector = None if query_vector is None else np.ascontiguousarray(query_vector, dtype=np.float32)
    if vector is not None:
        conn.execute("SELECT set_config('hnsw.ef_search', %s, true)", (str(min(max(ef_search, limit), MAX_EF_SEARCH)),))
        rows = conn.execute(
            sql.SQL(
                "SELECT document_id FROM chunks WHERE collection_id = {} AND embedding IS NOT NULL"
                " ORDER BY embedding::vector({}) <=> %s LIMIT {}"
            ).format(sql.Literal(cid), sql.Literal(len(vector)), sql.Literal(limit)),
            (vector,),
        ).fetchall()
        documents.update(int(r[0]) for r in rows)
    if not documents:
        return Candidates(
            np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0), None if vector is None else np.zeros(0)
        )
    doc_list = sorted(documents)
    params: list[Any] = []
    lexical: sql.Composable = sql.SQL("0")
    if lexemes:
        lexical = sql.SQL("CASE WHEN tsv @@ %s::tsquery THEN {} ELSE 0 END").format(score)
        params += [_any([lex for lex, _ in lexemes]), *score_params]
    dense: sql.Composable = sql.SQL("0")
    if vector is not None:
        dense = sql.SQL("coalesce(1 - (embedding <=> %s), 0)")
        params.append(vector)
    params.append(doc_list)
    rows = conn.execute(
        sql.SQL(
            "SELECT id, document_id, {}, {} FROM chunks WHERE document_id = ANY(%s::bigint[]) ORDER BY document_id, ordinal"
        ).format(lexical, dense),
        params,
    ).fetchall()
    metadata = {
        int(r[0]): dict(r[1])
        for r in conn.execute("SELECT id, metadata FROM documents WHERE id = ANY(%s::bigint[])", (doc_list,))
    }
    n = len(rows)
    return Candidates(
        chunk_ids=np.fromiter((r[0] for r in rows), dtype=np.int64, count=n),
        document_ids=np.fromiter((r[1] for r in rows), dtype=np.int64, count=n),
        lexical=np.fromiter((r[2] for r in rows), dtype=np.float64, count=n),
        dense=None if vector is None else np.fromiter((r[3] for r in rows), dtype=np.float64, count=n),
        metadata=metadata,
    )


__all__ = ["ROW_BUDGET", "lexeme_frequencies", "lexical_score", "query_lexemes", "search_candidates"]
