"""Images of scanned pages (PNG, JPEG, TIFF including multi-page TIFF), read by OCR.

Every frame of the file is a page, numbered from 1 (a multi-page TIFF is a scanned
document). The image's size is checked from its header before any pixel is decoded
(SOCLE_OCR_MAX_PIXELS: decompression bombs), then each page goes through
:func:`socle.ocr.ocr_image`. Without Tesseract the file is refused with a French message
that says how to install it.
"""

from __future__ import annotations

import warnings
from pathlib import Path

from socle import ocr
from socle.errors import ParseError
from socle.models import Block, BlockKind, Document
from socle.parse._common import check_file, file_document, make_block, pick_title

SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff")


def parse(path: Path) -> list[Document]:
    from PIL import Image, UnidentifiedImageError

    from socle.parse._limits import extend_time_limit

    check_file(path)
    settings = ocr.OcrSettings.from_env()
    try:  # the header only: no pixel is decoded before the size is checked
        with warnings.catch_warnings():
            # Sizes are checked against SOCLE_OCR_MAX_PIXELS just below, not Pillow's default.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(path)
    except Image.DecompressionBombError as exc:
        raise ParseError(f"{path} : image refusée, dimensions démesurées (bombe de décompression ?)") from exc
    except (UnidentifiedImageError, OSError) as exc:
        raise ParseError(f"{path} : image illisible ou corrompue ({type(exc).__name__})") from exc
    try:
        ocr.check_pixels(image.width, image.height, settings, str(path))
        reason = ocr.unavailable_reason(settings)
        if reason is not None:
            raise ParseError(f"{path} : image numérisée, illisible sans OCR — {reason}")
    except ParseError:
        image.close()
        raise
    blocks: list[Block] = []
    confidence: dict[str, float] = {}
    missing: list[int] = []
    failure = ""
    mime = Image.MIME.get(str(image.format), "image/" + str(image.format).lower())
    with image:
        frames = getattr(image, "n_frames", 1)
        if settings.max_pages and frames > settings.max_pages:
            missing = list(range(settings.max_pages + 1, frames + 1))
            failure = f"au-delà de {settings.max_pages} pages lues par OCR (réglage SOCLE_OCR_MAX_PAGES)"
            frames = settings.max_pages
        for index in range(frames):
            number = index + 1
            what = f"{path}, p. {number}" if frames > 1 else str(path)
            extend_time_limit(3 * settings.page_timeout + 10 if settings.page_timeout else 0)
            try:
                image.seek(index)
                ocr.check_pixels(image.width, image.height, settings, what)
                image.load()
                page = ocr.ocr_image(image, settings, what=what)
            except ParseError as exc:
                if frames == 1:
                    raise
                missing.append(number)
                failure = str(exc).removeprefix(f"{what} : ")
                continue
            except (OSError, ValueError, EOFError, SyntaxError) as exc:  # a truncated or corrupt frame
                if frames == 1:
                    raise ParseError(f"{path} : image illisible ou corrompue ({type(exc).__name__})") from exc
                missing.append(number)
                failure = f"page illisible ou corrompue ({type(exc).__name__})"
                continue
            for para in page.paragraphs:
                kind: BlockKind = "heading" if para.heading else "paragraph"
                block = make_block(para.text, kind, 1 if para.heading else 0, number)
                if block is not None:
                    blocks.append(block)
            confidence[str(number)] = page.confidence
            ocr.report_page(number, frames)
    if not blocks:
        detail = f" ({failure})" if failure else ""
        raise ParseError(f"{path} : aucun texte reconnu par l'OCR dans l'image{detail}")
    docs = file_document(path, pick_title(blocks[0].text, path=path), blocks, mime)
    docs[0].metadata = {"pages": len(confidence) + len(missing), "ocr": True, "ocr_confidence": confidence}
    if missing:
        docs[0].metadata |= {"ocr_missing": sorted(missing), "ocr_missing_reason": failure}
    return docs
