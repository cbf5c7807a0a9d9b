"""French OCR of scanned pages, with Tesseract (Debian's ``tesseract-ocr`` + ``tesseract-ocr-fra``).

Tesseract is run as a program, one process per page, reading the page as a PGM image on
its standard input and writing hOCR (blocks, paragraphs, lines with their letter size,
words with a confidence) on its standard output. A process per page costs ~0.05 s against 1-3 s of recognition
(docs/ocr.md), and buys what a binding in the same process cannot give: a page that
takes too long is killed at its time limit, a crash of the engine on a hostile image is
one page's error, and no Python package is needed (the Debian binary is the dependency).

One page goes through:

1. grayscale, size checked against the pixel limit (decompression bombs);
2. a light deskew (projection profile over a few angles, numpy), for pages scanned a few
   degrees off: Tesseract's recognition degrades on slanted lines (measured, docs/ocr.md);
3. recognition (``-l fra``, page segmentation ``--psm 3``); when the result is poor
   (low confidence or few words), orientation detection (``--psm 0``, Tesseract's OSD)
   and, if the page is sideways or upside down, recognition again on the turned page;
4. paragraphs from the hOCR, lines joined and hyphenated words repaired; the mean word
   confidence of the page (0-100).

Settings, read from the environment when a page is read (like the parse limits):

SOCLE_OCR                 ``auto`` (default: OCR when Tesseract is installed) or ``off``
SOCLE_OCR_LANG            Tesseract languages (``fra``; ``fra+eng`` for mixed documents)
SOCLE_OCR_DPI             resolution PDF pages are rendered at for OCR (300)
SOCLE_OCR_MIN_CONFIDENCE  pages under this mean word confidence are flagged (70)
SOCLE_OCR_PAGE_TIMEOUT    seconds for one page, beyond which it is abandoned (120)
SOCLE_OCR_MAX_PAGES       pages OCR'd per file at most (500)
SOCLE_OCR_MAX_PIXELS      pixels of one image or rendered page at most (100 million)
SOCLE_OCR_DESKEW          ``on`` (default) or ``off``: the deskew of step 2
"""

from __future__ import annotations

import math
import os
import re
import shutil
import subprocess
import time
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np

from socle.errors import ConfigError, ParseError
from socle.parse._limits import _env_number

if TYPE_CHECKING:
    from PIL.Image import Image

DEFAULT_LANG = "fra"
DEFAULT_DPI = 300
MIN_CONFIDENCE = 70.0
PAGE_TIMEOUT_S = 120.0
MAX_PAGES = 500
MAX_PIXELS = 100_000_000
INSTALL_HINT = "sudo apt install tesseract-ocr tesseract-ocr-fra"
OCR_NOTICE = "texte issu d'une reconnaissance de caractères (OCR)"

# A text layer is kept when it has at least this many visible characters and looks like
# words; below, a page whose images cover enough of it is read by OCR instead.
MIN_TEXT_CHARS = 200
MIN_IMAGE_COVER = 0.3
_DESKEW_MAX_DEG = 5.0
_DESKEW_MIN_DEG = 0.3  # below, rotating costs more than it brings

_VOWELS = set("aeiouyàâäéèêëîïôöùûüÿœæ")
_WORD_RE = re.compile(r"[^\W\d_]+", re.UNICODE)


# --------------------------------------------------------------------------- settings


@dataclass(frozen=True)
class OcrSettings:
    enabled: bool = True
    lang: str = DEFAULT_LANG
    dpi: int = DEFAULT_DPI
    min_confidence: float = MIN_CONFIDENCE
    page_timeout: float = PAGE_TIMEOUT_S
    max_pages: int = MAX_PAGES
    max_pixels: int = MAX_PIXELS
    deskew: bool = True

    @classmethod
    def from_env(cls) -> OcrSettings:
        mode = os.environ.get("SOCLE_OCR", "auto").strip().lower() or "auto"
        if mode not in ("auto", "off", "on", "0", "1", "false", "true"):
            raise ConfigError(f"Valeur invalide pour SOCLE_OCR : {mode!r} (auto ou off)")
        lang = os.environ.get("SOCLE_OCR_LANG", "").strip() or DEFAULT_LANG
        if not re.fullmatch(r"[A-Za-z_]+(\+[A-Za-z_]+)*", lang):
            raise ConfigError(f"Valeur invalide pour SOCLE_OCR_LANG : {lang!r} (par exemple fra ou fra+eng)")
        dpi = int(_env_number("SOCLE_OCR_DPI", DEFAULT_DPI))
        if not 70 <= dpi <= 600:
            raise ConfigError(f"Valeur invalide pour SOCLE_OCR_DPI : {dpi} (entre 70 et 600)")
        return cls(
            enabled=mode not in ("off", "0", "false"),
            lang=lang,
            dpi=dpi,
            min_confidence=_env_number("SOCLE_OCR_MIN_CONFIDENCE", MIN_CONFIDENCE),
            page_timeout=_env_number("SOCLE_OCR_PAGE_TIMEOUT", PAGE_TIMEOUT_S),
            max_pages=int(_env_number("SOCLE_OCR_MAX_PAGES", MAX_PAGES)),
            max_pixels=int(_env_number("SOCLE_OCR_MAX_PIXELS", MAX_PIXELS)),
            deskew=os.environ.get("SOCLE_OCR_DESKEW", "on").strip().lower() not in ("off", "0", "false"),
        )


# --------------------------------------------------------------------------- engine


@lru_cache(maxsize=8)
def _languages(binary: str) -> frozenset[str]:
    try:
        out = subprocess.run([binary, "--list-langs"], capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.SubprocessError):
        return frozenset()
    return frozenset(line.strip() for line in out.stdout.splitlines()[1:] if line.strip())


def tesseract_binary() -> str | None:
    """The tesseract program on PATH (or SOCLE_TESSERACT), or None."""
    return shutil.which(os.environ.get("SOCLE_TESSERACT", "").strip() or "tesseract")


def unavailable_reason(settings: OcrSettings | None = None) -> str | None:
    """Why OCR cannot run here (French, with how to install it), or None when it can."""
    settings = settings or OcrSettings.from_env()
    if not settings.enabled:
        return "OCR désactivé (réglage SOCLE_OCR=off)"
    binary = tesseract_binary()
    if binary is None:
        return f"OCR non installé : pour lire les pages numérisées, installez Tesseract ({INSTALL_HINT})"
    missing = [lang for lang in settings.lang.split("+") if lang not in _languages(binary)]
    if missing:
        packages = " ".join(f"tesseract-ocr-{lang.lower()}" for lang in missing)
        return f"OCR : langue {'+'.join(missing)} non installée pour Tesseract (sudo apt install {packages})"
    return None


def available(settings: OcrSettings | None = None) -> bool:
    return unavailable_reason(settings) is None


# Called after every OCR'd page with (pages done, pages to do) of the file being parsed: the
# service turns it into job progress. A context variable, so that the parsers keep their
# one-argument signature and concurrent ingestions (threads) do not mix their callbacks.
_on_page: ContextVar[Callable[[int, int], None] | None] = ContextVar("socle_ocr_on_page", default=None)


@contextmanager
def page_progress(callback: Callable[[int, int], None] | None) -> Iterator[None]:
    token = _on_page.set(callback)
    try:
        yield
    finally:
        _on_page.reset(token)


def report_page(done: int, total: int) -> None:
    callback = _on_page.get()
    if callback is not None:
        callback(done, total)


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class OcrParagraph:
    text: str
    heading: bool = False


@dataclass
class OcrPage:
    """What OCR read on one page."""

    paragraphs: list[OcrParagraph]
    confidence: float  # mean word confidence, 0-100 (0 when no word was read)
    words: int
    rotation: int = 0  # degrees the page was turned (clockwise) before reading
    skew: float = 0.0  # degrees of deskew applied
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return "\n\n".join(p.text for p in self.paragraphs)


# --------------------------------------------------------------------------- text layer quality


@dataclass(frozen=True)
class TextQuality:
    chars: int  # visible characters
    letters: float  # share of letters among them
    words: float  # share of letters that are in plausible words (2+ letters with a vowel)
    garbage: float  # share of replacement, private-use and control characters


def text_quality(text: str) -> TextQuality:
    visible = [c for c in text if not c.isspace()]
    if not visible:
        return TextQuality(0, 0.0, 0.0, 0.0)
    letters = sum(c.isalpha() for c in visible)
    garbage = sum(c == "\ufffd" or unicodedata.category(c) in ("Co", "Cc", "Cn", "Cs") for c in visible)
    plausible = sum(
        len(w) for w in _WORD_RE.findall(text) if len(w) >= 2 and any(c in _VOWELS for c in w.lower())
    ) + sum(1 for w in _WORD_RE.findall(text) if len(w) == 1)  # « à », « a », « y », « l' »
    return TextQuality(len(visible), letters / len(visible), plausible / max(letters, 1), garbage / len(visible))


def needs_ocr(text: str, image_cover: float) -> bool:
    """Whether a PDF page must be read by OCR: its images cover a good part of it and its
    text layer is short or does not look like text (a broken font encoding, an old OCR
    layer of poor quality). A page without images keeps its text, however short."""
    if image_cover < MIN_IMAGE_COVER:
        return False
    q = text_quality(text)
    if q.chars < MIN_TEXT_CHARS:
        return True
    return q.letters < 0.6 or q.words < 0.7 or q.garbage > 0.05


# --------------------------------------------------------------------------- images


def check_pixels(width: int, height: int, settings: OcrSettings, what: str) -> None:
    if settings.max_pixels and width * height > settings.max_pixels:
        raise ParseError(
            f"{what} : image de {width} × {height} pixels, au-delà de la limite de "
            f"{settings.max_pixels // 1_000_000} millions de pixels (réglage SOCLE_OCR_MAX_PIXELS)"
        )


def _pgm(gray: np.ndarray) -> bytes:
    height, width = gray.shape
    return b"P5\n%d %d\n255\n" % (width, height) + np.ascontiguousarray(gray, dtype=np.uint8).tobytes()


def _gray_array(image: Image) -> np.ndarray:
    if image.mode not in ("L", "1"):
        if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
            from PIL import Image as PILImage

            rgba = image.convert("RGBA")
            background = PILImage.new("RGBA", rgba.size, (255, 255, 255, 255))
            image = PILImage.alpha_composite(background, rgba)
        image = image.convert("L")
    elif image.mode == "1":
        image = image.convert("L")
    return np.asarray(image, dtype=np.uint8)


def estimate_skew(gray: np.ndarray, max_deg: float = _DESKEW_MAX_DEG) -> float:
    """The angle (degrees, counter-clockwise positive) that makes text lines horizontal:
    the one whose horizontal projection of dark pixels is the most contrasted (lines and
    gaps sharply apart). Computed on a reduced image, a few milliseconds per page."""
    step = max(1, min(gray.shape) // 700)
    small = gray[::step, ::step]
    ys, xs = np.nonzero(small < 128)
    if len(ys) < 200:
        return 0.0
    if len(ys) > 200_000:
        keep = np.random.default_rng(0).choice(len(ys), 200_000, replace=False)
        ys, xs = ys[keep], xs[keep]
    ys = ys.astype(np.float64)
    xs = xs.astype(np.float64) - small.shape[1] / 2
    bins = small.shape[0] + 2 * int(small.shape[1] * math.tan(math.radians(max_deg))) + 2

    def score(deg: float) -> float:
        t = math.tan(math.radians(deg))
        rows = np.round(ys + xs * t).astype(np.int64)
        hist = np.bincount(rows - rows.min(), minlength=1)
        value: float = float(np.sum(np.diff(hist.astype(np.float64)) ** 2)) / bins
        return value

    coarse = [float(a) for a in np.arange(-max_deg, max_deg + 1e-9, 0.5)]
    best = max(coarse, key=score)
    fine = [float(a) for a in np.arange(best - 0.5, best + 0.5 + 1e-9, 0.1)]
    chosen: float = max(fine, key=score)
    return round(chosen, 2)


def _rotate(gray: np.ndarray, degrees: float) -> np.ndarray:
    """The image turned ``degrees`` counter-clockwise (Pillow's convention)."""
    from PIL import Image as PILImage

    if degrees % 90 == 0:
        return np.ascontiguousarray(np.rot90(gray, k=int(degrees // 90) % 4))
    turned = PILImage.fromarray(gray).rotate(degrees, resample=PILImage.Resampling.BILINEAR, expand=True, fillcolor=255)
    return np.asarray(turned, dtype=np.uint8)


# --------------------------------------------------------------------------- tesseract runs


def _run(args: Sequence[str], data: bytes, timeout: float, what: str) -> str:
    binary = tesseract_binary()
    if binary is None:
        raise ParseError(f"{what} : OCR non installé ({INSTALL_HINT})")
    env = dict(os.environ)
    # One thread per page: on a shared machine, pages run side by side (one process each)
    # rather than each page fighting for every core (measured in docs/ocr.md).
    env.setdefault("OMP_THREAD_LIMIT", "1")
    try:
        done = subprocess.run(
            [binary, "stdin", "stdout", *args],
            input=data,
            capture_output=True,
            timeout=timeout or None,
            env=env,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise ParseError(
            f"{what} : OCR interrompu au bout de {timeout:g} s (limite par page, réglage SOCLE_OCR_PAGE_TIMEOUT)"
        ) from None
    except OSError as exc:
        raise ParseError(f"{what} : OCR impossible ({exc})") from exc
    if done.returncode != 0:
        err = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise ParseError(f"{what} : l'OCR a échoué ({err[-1] if err else f'code {done.returncode}'})")
    return done.stdout.decode("utf-8", "replace")


def detect_orientation(gray: np.ndarray, timeout: float, what: str) -> tuple[int, float]:
    """(degrees to turn the page clockwise so that it reads upright, confidence), from
    Tesseract's OSD; (0, 0.0) when it cannot tell (too little text)."""
    try:
        out = _run(["--psm", "0", "-l", "osd", "--dpi", "300"], _pgm(gray), timeout, what)
    except ParseError:
        return 0, 0.0
    rotate = re.search(r"Rotate:\s*(\d+)", out)
    confidence = re.search(r"Orientation confidence:\s*([\d.]+)", out)
    if not rotate:
        return 0, 0.0
    return int(rotate.group(1)) % 360, float(confidence.group(1)) if confidence else 0.0


def _recognise(gray: np.ndarray, settings: OcrSettings, dpi: int, what: str) -> OcrPage:
    args = ["-l", settings.lang, "--psm", "3", "--dpi", str(dpi), "-c", "tessedit_do_invert=0", "hocr"]
    return parse_hocr(_run(args, _pgm(gray), settings.page_timeout, what))


_XHTML = "{http://www.w3.org/1999/xhtml}"
_TITLE_NUMBER = {name: re.compile(rf"\b{name}\s+(-?[\d.]+)") for name in ("x_size", "x_wconf")}
_BBOX = re.compile(r"\bbbox\s+(-?\d+)\s+(-?\d+)\s+(-?\d+)\s+(-?\d+)")


def _title_number(title: str, name: str) -> float | None:
    match = _TITLE_NUMBER[name].search(title)
    return float(match.group(1)) if match else None


def parse_hocr(hocr: str) -> OcrPage:
    """Paragraphs and mean word confidence from Tesseract's hOCR output.

    Tesseract's paragraphs are kept, split where the letter size (a line's ``x_size``)
    changes: a title set above its first paragraph often gets the same paragraph. A short
    paragraph in letters clearly larger than the page's body text becomes a heading."""
    import xml.etree.ElementTree as ET

    from socle.parse._common import join_lines

    try:
        root = ET.fromstring(hocr.encode("utf-8"))
    except ET.ParseError as exc:
        raise ParseError(f"sortie de l'OCR illisible ({exc})") from exc
    confidences: list[float] = []
    groups: list[tuple[list[str], list[float]]] = []
    for par in root.iter(f"{_XHTML}p"):
        first = True
        for line in par.iter(f"{_XHTML}span"):
            if "ocrx_word" in (line.get("class") or ""):
                continue
            words = []
            for word in line.iter(f"{_XHTML}span"):
                if "ocrx_word" not in (word.get("class") or ""):
                    continue
                text = "".join(word.itertext()).strip()
                if not text:
                    continue
                words.append(text)
                conf = _title_number(word.get("title") or "", "x_wconf")
                if conf is not None and conf >= 0:
                    confidences.append(conf)
            if not words:
                continue
            title = line.get("title") or ""
            size = _title_number(title, "x_size")
            if size is None:
                box = _BBOX.search(title)
                size = float(int(box.group(4)) - int(box.group(2))) if box else 0.0
            last = groups[-1][1] if groups and not first else []
            same_size = bool(last) and 1 / 1.25 < size / max(float(np.median(last)), 1.0) < 1.25
            if not same_size:
                groups.append(([], []))
            groups[-1][0].append(" ".join(words))
            groups[-1][1].append(size)
            first = False
    # The body's letter size: the median over characters, so that long lines count more
    # than the few lines of the titles.
    by_size = sorted((size, len(line)) for lines, sizes in groups for line, size in zip(lines, sizes, strict=True))
    body, seen, half = 0.0, 0, sum(n for _, n in by_size) / 2
    for size, n in by_size:
        seen += n
        if seen >= half:
            body = size
            break
    out: list[OcrParagraph] = []
    for para_lines, sizes in groups:
        text = join_lines(para_lines)
        if not text.strip():
            continue
        large = body > 0 and float(np.median(sizes)) > 1.25 * body
        heading = large and len(para_lines) <= 2 and len(text) <= 150 and not text.rstrip().endswith((".", ",", ";"))
        out.append(OcrParagraph(text, heading))
    confidence = float(np.mean(confidences)) if confidences else 0.0
    return OcrPage(out, round(confidence, 1), len(confidences))


def _deskewed(gray: np.ndarray, settings: OcrSettings) -> tuple[np.ndarray, float]:
    """The page straightened, and the angle it was turned by (0 when left as it was)."""
    skew = estimate_skew(gray) if settings.deskew else 0.0
    if abs(skew) < _DESKEW_MIN_DEG:
        return gray, 0.0
    return _rotate(gray, -skew), skew


def _poor(page: OcrPage) -> bool:
    return page.confidence < 60 or page.words < 10


def ocr_image(image: Image, settings: OcrSettings | None = None, *, dpi: int | None = None, what: str = "") -> OcrPage:
    """Read one page image (any Pillow mode) with Tesseract: deskewed, turned upright."""
    settings = settings or OcrSettings.from_env()
    check_pixels(image.width, image.height, settings, what)
    dpi = dpi or int(image.info.get("dpi", (settings.dpi, settings.dpi))[0] or settings.dpi)
    dpi = dpi if 70 <= dpi <= 1200 else settings.dpi
    started = time.perf_counter()
    timings: dict[str, float] = {}
    original = _gray_array(image)
    t = time.perf_counter()
    gray, skew = _deskewed(original, settings)
    timings["deskew"] = time.perf_counter() - t
    t = time.perf_counter()
    page = _recognise(gray, settings, dpi, what)
    rotation = 0
    if _poor(page):
        # Sideways or upside down? Tesseract's orientation detection, then read again (the
        # skew measured on a sideways page means nothing: measured again once turned).
        angle, confidence = detect_orientation(gray, settings.page_timeout, what)
        if angle and confidence >= 1.0:
            upright, upright_skew = _deskewed(_rotate(original, -angle), settings)  # OSD: clockwise
            turned = _recognise(upright, settings, dpi, what)
            if turned.confidence * max(turned.words, 1) > page.confidence * max(page.words, 1):
                page, rotation, skew = turned, angle, upright_skew
    timings["ocr"] = time.perf_counter() - t
    page.rotation, page.skew = rotation, skew
    page.seconds = time.perf_counter() - started
    page.timings = timings
    return page


# --------------------------------------------------------------------------- documents


def page_confidences(metadata: dict[str, Any]) -> dict[int, float]:
    """Page number -> OCR confidence (%) recorded in a document's metadata."""
    raw = metadata.get("ocr_confidence")
    if not isinstance(raw, dict):
        return {}
    out: dict[int, float] = {}
    for page, value in raw.items():
        try:
            out[int(page)] = float(value)
        except (TypeError, ValueError):
            continue
    return out


def low_confidence_pages(metadata: dict[str, Any], threshold: float | None = None) -> list[tuple[int, float]]:
    if threshold is None:
        try:
            threshold = OcrSettings.from_env().min_confidence
        except ConfigError:
            threshold = MIN_CONFIDENCE
    return [(p, c) for p, c in sorted(page_confidences(metadata).items()) if c < threshold]


def _percent(value: float) -> str:
    return f"{value:.0f} %"


def pages_label(pages: Sequence[int]) -> str:
    return ("p. " if len(pages) == 1 else "pp. ") + ", ".join(str(p) for p in pages)


def low_confidence_message(metadata: dict[str, Any], threshold: float | None = None) -> str | None:
    """« OCR peu fiable : p. 3 (61 %) », or None when every OCR'd page reads well."""
    low = low_confidence_pages(metadata, threshold)
    if not low:
        return None
    return "OCR peu fiable : " + ", ".join(f"p. {p} ({_percent(c)})" for p, c in low)


def report_messages(metadata: dict[str, Any]) -> list[str]:
    """What the ingestion report says of a document's OCR: pages read poorly, scanned pages
    left unread (no Tesseract), pages beyond the page limit."""
    messages = []
    low = low_confidence_message(metadata)
    if low:
        messages.append(low)
    missing = metadata.get("ocr_missing")
    if isinstance(missing, list) and missing:
        reason = metadata.get("ocr_missing_reason") or f"OCR non installé ({INSTALL_HINT})"
        messages.append(f"{pages_label(missing)} numérisée(s) non lue(s) : {reason}")
    return messages


def document_summary(metadata: object) -> dict[str, str] | None:
    """What the document page says of OCR: which pages were read by it, those read poorly,
    those left unread; None for a document without scanned pages."""
    if not isinstance(metadata, dict):
        return None
    pages = sorted(page_confidences(metadata))
    missing = metadata.get("ocr_missing") if isinstance(metadata.get("ocr_missing"), list) else []
    if not pages and not missing:
        return None
    messages = report_messages(metadata)
    low = low_confidence_message(metadata)
    return {
        "pages": pages_label(pages) if pages else "",
        "low": low or "",
        "missing": next((m for m in messages if m != low), ""),
    }


def quoted_pages(document: dict[str, Any], start: int, end: int) -> set[int]:
    """Pages of a stored document (``Store.document_text``) that the span [start, end) covers."""
    from socle.store.corpus import blocks_from_layout

    try:
        blocks = blocks_from_layout(document["text"], document.get("blocks"))
    except Exception:  # a layout that does not fit the text: no page known
        return set()
    pages, pos = set(), 0
    for block in blocks:
        block_end = pos + len(block.text)
        if block.page is not None and pos < end and start < block_end:
            pages.add(block.page)
        pos = block_end + 2
    return pages


def quoted_ocr_notice(store: Any, citations: Sequence[Any]) -> str | None:
    """The note an answer carries when it quotes text read by OCR: which document and
    pages, to be checked against the original (OCR may misread a figure or a name)."""
    quoted: dict[tuple[str, str], set[int]] = {}
    titles: dict[tuple[str, str], str] = {}
    documents: dict[tuple[str, str], dict[str, Any] | None] = {}
    for c in citations:
        key = (c.collection, c.document_key)
        if key not in documents:
            try:
                documents[key] = store.document_text(c.collection, c.document_key)
            except Exception:  # a store without this document (removed meanwhile): no note
                documents[key] = None
        doc = documents[key]
        if not doc or not page_confidences(doc.get("metadata") or {}):
            continue
        ocr_pages = set(page_confidences(doc["metadata"]))
        pages = quoted_pages(doc, c.start, c.end) & ocr_pages
        if pages:
            quoted.setdefault(key, set()).update(pages)
            titles[key] = str(doc.get("title") or c.document_title)
    if not quoted:
        return None
    where = " ; ".join(f"« {titles[k]} », {pages_label(sorted(p))}" for k, p in quoted.items())
    return f"Passage cité : {OCR_NOTICE}, à vérifier sur l'original ({where})."


__all__ = [
    "DEFAULT_DPI",
    "DEFAULT_LANG",
    "INSTALL_HINT",
    "MAX_PAGES",
    "MAX_PIXELS",
    "MIN_CONFIDENCE",
    "OCR_NOTICE",
    "PAGE_TIMEOUT_S",
    "OcrPage",
    "OcrParagraph",
    "OcrSettings",
    "TextQuality",
    "available",
    "check_pixels",
    "detect_orientation",
    "document_summary",
    "estimate_skew",
    "low_confidence_message",
    "low_confidence_pages",
    "needs_ocr",
    "ocr_image",
    "page_confidences",
    "page_progress",
    "parse_hocr",
    "quoted_ocr_notice",
    "quoted_pages",
    "report_messages",
    "report_page",
    "tesseract_binary",
    "text_quality",
    "unavailable_reason",
]
