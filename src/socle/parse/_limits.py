"""Limits that keep one hostile file from holding the ingestion worker (audit, issue 15).

Word (.docx) and OpenDocument (.odt) files are zip archives: 48 KB can hold megabytes of
XML, and every megabyte of XML costs the parsers seconds and tens of megabytes of memory
(a decompression bomb). :func:`check_archive` reads the zip's directory, sizes as
declared, without decompressing anything, and refuses an archive that has too many
entries, is too large once decompressed, or has an entry compressed too well to be
honest. The declared sizes are a real bound: :mod:`zipfile`, which python-docx and odfpy
read through, never returns more than an entry's declared size (it stops and fails the
CRC check).

:func:`call_with_time_limit` bounds the time of one file's parse, whatever its format.

Every limit is read from the environment when a file is parsed (0 turns it off):

SOCLE_ZIP_MAX_MB       total size of an archive's entries once decompressed, MB (50)
SOCLE_ZIP_MAX_RATIO    decompressed / compressed size of an entry above 1 MB (100)
SOCLE_ZIP_MAX_ENTRIES  entries of an archive (10000)
SOCLE_PARSE_TIMEOUT    seconds to parse one file (60)
"""

from __future__ import annotations

import ctypes
import os
import struct
import threading
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, TypeVar

from socle.errors import ConfigError, ParseError

T = TypeVar("T")

ZIP_MAX_MB = 50
ZIP_MAX_RATIO = 100
ZIP_MAX_ENTRIES = 10_000
PARSE_TIMEOUT_S = 60.0
# Small entries may compress very well (a few kilobytes of repeated style XML): the ratio
# is only held against entries that decompress to more than this.
RATIO_GRACE_BYTES = 1_000_000
# Bytes of zip directory allowed per entry: a directory far larger than its entry count
# announces is itself an attack (zipfile reads the whole directory, whatever the count says).
_DIRECTORY_BYTES_PER_ENTRY = 256


@dataclass(frozen=True)
class ArchiveLimits:
    max_bytes: int = ZIP_MAX_MB * 1_000_000
    max_ratio: float = ZIP_MAX_RATIO
    max_entries: int = ZIP_MAX_ENTRIES

    @classmethod
    def from_env(cls) -> ArchiveLimits:
        return cls(
            max_bytes=int(_env_number("SOCLE_ZIP_MAX_MB", ZIP_MAX_MB) * 1_000_000),
            max_ratio=_env_number("SOCLE_ZIP_MAX_RATIO", ZIP_MAX_RATIO),
            max_entries=int(_env_number("SOCLE_ZIP_MAX_ENTRIES", ZIP_MAX_ENTRIES)),
        )


def parse_timeout() -> float:
    """Seconds allowed to parse one file (SOCLE_PARSE_TIMEOUT), 0 for no limit."""
    return _env_number("SOCLE_PARSE_TIMEOUT", PARSE_TIMEOUT_S)


def _env_number(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return float(default)
    try:
        value = float(raw.replace(",", "."))
    except ValueError:
        raise ConfigError(f"Valeur invalide pour {name} : {raw!r} (un nombre positif est attendu)") from None
    if value < 0:
        raise ConfigError(f"Valeur invalide pour {name} : {raw!r} (un nombre positif est attendu)")
    return value


# --------------------------------------------------------------------------- archives


def check_archive(path: Path, limits: ArchiveLimits | None = None) -> None:
    """Refuse (ParseError) a zip archive that would cost too much to decompress, before any
    parser opens it. Only the directory is read."""
    limits = limits or ArchiveLimits.from_env()
    refused = f"{path} : document refusé"
    try:
        with path.open("rb") as fp:
            declared = _declared_directory(fp)
            if declared is not None and limits.max_entries:
                entries, directory_size = declared
                if entries > limits.max_entries or directory_size > limits.max_entries * _DIRECTORY_BYTES_PER_ENTRY:
                    raise ParseError(_too_many(refused, entries, limits.max_entries))
            with zipfile.ZipFile(fp) as archive:
                infos = archive.infolist()
    except (OSError, zipfile.BadZipFile, struct.error) as exc:
        raise ParseError(f"{path} : archive zip illisible ou corrompue ({exc})") from exc
    if limits.max_entries and len(infos) > limits.max_entries:
        raise ParseError(_too_many(refused, len(infos), limits.max_entries))
    total = sum(info.file_size for info in infos)
    if limits.max_bytes and total > limits.max_bytes:
        raise ParseError(
            f"{refused} : il occupe {_size(total)} une fois décompressé, au-delà de la limite de "
            f"{_size(limits.max_bytes)} (réglage SOCLE_ZIP_MAX_MB). Bombe de décompression ?"
        )
    if limits.max_ratio:
        for info in infos:
            if info.file_size <= RATIO_GRACE_BYTES:
                continue
            ratio = info.file_size / max(info.compress_size, 1)
            if ratio > limits.max_ratio:
                raise ParseError(
                    f"{refused} : « {info.filename} » se décompresse {ratio:.0f} fois sa taille "
                    f"({_size(info.compress_size)} → {_size(info.file_size)}), au-delà de la limite de "
                    f"{limits.max_ratio:g} (réglage SOCLE_ZIP_MAX_RATIO). Bombe de décompression ?"
                )


def _too_many(refused: str, entries: int, limit: int) -> str:
    return (
        f"{refused} : son archive compte {entries} fichiers internes, au-delà de la limite de {limit} "
        "(réglage SOCLE_ZIP_MAX_ENTRIES). Document piégé ?"
    )


def _size(size: int) -> str:
    """A size the French way: « 48 Ko », « 4,2 Mo »."""
    if size < 1_000_000:
        return f"{max(1, round(size / 1000))} Ko"
    return f"{size / 1_000_000:.1f}".replace(".", ",").removesuffix(",0") + " Mo"


_EOCD = b"PK\x05\x06"
_EOCD_SIZE = 22
_ZIP64_LOCATOR = b"PK\x06\x07"
_ZIP64_LOCATOR_SIZE = 20
_ZIP64_EOCD = b"PK\x06\x06"


def _declared_directory(fp: BinaryIO) -> tuple[int, int] | None:
    """(entries, directory size in bytes) as the end of the archive declares them, read
    without parsing the directory itself; None when the end record is not found (zipfile
    then says what is wrong)."""
    fp.seek(0, os.SEEK_END)
    size = fp.tell()
    tail_size = min(size, _EOCD_SIZE + 0xFFFF + _ZIP64_LOCATOR_SIZE)
    fp.seek(size - tail_size)
    tail = fp.read(tail_size)
    pos = tail.rfind(_EOCD)
    while pos >= 0:  # the end record whose comment runs exactly to the end of the file
        if pos + _EOCD_SIZE <= len(tail):
            (comment,) = struct.unpack("<H", tail[pos + 20 : pos + 22])
            if pos + _EOCD_SIZE + comment == len(tail):
                break
        pos = tail.rfind(_EOCD, 0, pos)
    if pos < 0:
        return None
    entries, directory_size = struct.unpack("<HI", tail[pos + 10 : pos + 16])
    locator = pos - _ZIP64_LOCATOR_SIZE
    if locator >= 0 and tail[locator : locator + 4] == _ZIP64_LOCATOR:  # zip64: 64-bit counts
        (offset,) = struct.unpack("<Q", tail[locator + 8 : locator + 16])
        fp.seek(offset)
        record = fp.read(56)
        if len(record) == 56 and record[:4] == _ZIP64_EOCD:
            entries, directory_size = struct.unpack("<QQ", record[32:48])
    return int(entries), int(directory_size)


# --------------------------------------------------------------------------- time


class _TimeUp(BaseException):
    """Raised inside the parsing thread when its time is up. A BaseException, like
    KeyboardInterrupt, so that a parser's ``except Exception`` does not swallow it."""


def _raise_in_thread(thread_id: int, exc: type[BaseException] | None) -> None:
    # CPython delivers it at the thread's next bytecode boundary; None withdraws a pending one.
    set_async_exc = ctypes.pythonapi.PyThreadState_SetAsyncExc
    set_async_exc(ctypes.c_ulong(thread_id), ctypes.py_object(exc) if exc is not None else None)


# Extra seconds granted to a thread's current time limit (thread id -> seconds), see
# extend_time_limit; read by the timer when it fires.
_extensions: dict[int, float] = {}
_extensions_lock = threading.Lock()


def extend_time_limit(seconds: float) -> None:
    """Give the file being parsed in this thread ``seconds`` more: OCR grants each page it
    reads its own allowance (SOCLE_OCR_PAGE_TIMEOUT), so that a long scan is bounded page by
    page rather than cut at the per-file limit. Nothing happens outside a time limit."""
    ident = threading.get_ident()
    with _extensions_lock:
        if ident in _extensions:
            _extensions[ident] += max(0.0, seconds)


def call_with_time_limit(parse: Callable[[], T], path: Path, seconds: float | None = None) -> T:
    """``parse()`` in the calling thread, interrupted (ParseError) after ``seconds``.

    The work stays in the caller's thread, so the service's ingestion thread and the CLI
    behave alike and nothing is forked. A timer thread raises an exception in the parsing
    thread when the time is up (plus what :func:`extend_time_limit` granted meanwhile); it
    lands at the next Python instruction, so a parser stuck in one long C call (lxml reading
    one huge XML part) is stopped when that call returns: :func:`check_archive` bounds what
    such a call can be given.
    """
    seconds = parse_timeout() if seconds is None else seconds
    if seconds <= 0:
        return parse()
    target = threading.get_ident()
    lock = threading.Lock()
    state: dict[str, Any] = {"running": True, "fired": False, "timer": None, "allowed": seconds}

    def expire() -> None:
        with lock:
            if not state["running"]:
                return
            with _extensions_lock:
                extra = _extensions.get(target, 0.0)
                _extensions[target] = 0.0
            if extra > 0:  # time granted since the timer was set: wait that much more
                state["allowed"] += extra
                start(extra)
                return
            state["fired"] = True
            _raise_in_thread(target, _TimeUp)

    def start(delay: float) -> None:
        timer = threading.Timer(delay, expire)
        timer.daemon = True
        state["timer"] = timer
        timer.start()

    with _extensions_lock:
        outer = _extensions.get(target)  # a limit inside a limit: the outer one's grants are kept
        _extensions[target] = 0.0
    start(seconds)
    try:
        try:
            result = parse()
        finally:
            with lock:  # from here on the timer cannot fire
                state["running"] = False
                state["timer"].cancel()
                if state["fired"]:
                    _raise_in_thread(target, None)  # fired but not delivered yet: withdrawn
            with _extensions_lock:
                if outer is None:
                    _extensions.pop(target, None)
                else:
                    _extensions[target] = outer
    except _TimeUp:
        raise ParseError(_expired(path, state["allowed"])) from None
    if state["fired"]:  # the parser caught the interruption and finished late
        raise ParseError(_expired(path, state["allowed"]))
    return result


def _expired(path: Path, seconds: float) -> str:
    return (
        f"{path} : analyse interrompue au bout de {seconds:g} s (limite par fichier, réglage "
        "SOCLE_PARSE_TIMEOUT) : fichier trop lourd ou piégé"
    )


__all__ = [
    "PARSE_TIMEOUT_S",
    "RATIO_GRACE_BYTES",
    "ZIP_MAX_ENTRIES",
    "ZIP_MAX_MB",
    "ZIP_MAX_RATIO",
    "ArchiveLimits",
    "call_with_time_limit",
    "check_archive",
    "extend_time_limit",
    "parse_timeout",
]
