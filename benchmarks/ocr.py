"""OCR benchmark: character error rate, speed, and retrieval on an OCR'd copy of a corpus.

Everything is generated from real French text (the ``spf`` and ``cnil`` evaluation corpora):
a document's text is typeset on A4 pages with reportlab (Times 11 pt, or Helvetica), each
page rendered to an image with pypdfium2 (the ingestion's renderer), optionally degraded
(skew, noise, blur, JPEG artefacts), then read by :func:`socle.ocr.ocr_image` (the
ingestion's OCR). The OCR text is compared with the page's known text after whitespace
normalisation: character error rate = edit distance / reference length.

Run from the repository root (outputs in /tmp)::

    nice -n 10 .venv/bin/python benchmarks/ocr.py                 # CER + speed tables (~5 min)
    nice -n 10 .venv/bin/python benchmarks/ocr.py --pages 6 --no-speed   # quick
    # retrieval: OCR'd copy of spf (530 documents: ~1 h on one core), then `socle eval` on both
    nice -n 10 .venv/bin/python benchmarks/ocr.py --no-cer --no-speed --retrieval --limit 530

With ``--limit N`` the retrieval part covers the first N documents of spf and the
questions whose relevant document is among them (both corpora restricted alike).

The evaluation data is looked up in ``../shared/eval`` (relative to the current directory,
then to the repository root); when it is absent the benchmark says so and exits with 0.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from socle.ocr import OcrSettings, ocr_image, unavailable_reason  # noqa: E402

A4 = (595.27, 841.89)
MARGIN = 56.7  # 2 cm


# --------------------------------------------------------------------------- data


def eval_dir(given: str) -> Path | None:
    for base in (Path.cwd(), ROOT):
        path = (base / given).resolve()
        if path.is_dir():
            return path
    return None


def read_jsonl(path: Path) -> list[dict[str, object]]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def printable(text: str) -> str:
    """The text as the standard PDF fonts can show it (WinAnsi): other characters become
    their closest equivalent or a space, so that the reference is what is on the page."""
    table = {"\u2011": "-", "\u2009": " ", "\u202f": " ", "\u00a0": " ", "\u2212": "-", "\u200b": ""}
    text = text.translate(str.maketrans(table))
    return "".join(c if c.encode("cp1252", "ignore") else " " for c in text)


# --------------------------------------------------------------------------- pages


def typeset(text: str, font: str = "Times-Roman", size: float = 11.0) -> tuple[bytes, list[str]]:
    """A PDF of ``text`` on A4 pages and, for each page, the text it shows."""
    from reportlab.lib.utils import simpleSplit
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    width = A4[0] - 2 * MARGIN
    leading = size * 1.3
    y = A4[1] - MARGIN
    pages: list[list[str]] = [[]]
    for paragraph in printable(text).split("\n"):
        paragraph = " ".join(paragraph.split())
        if not paragraph:
            continue
        for line in simpleSplit(paragraph, font, size, width):
            if y < MARGIN + leading:
                pdf.showPage()
                pages.append([])
                y = A4[1] - MARGIN
            pdf.setFont(font, size)
            pdf.drawString(MARGIN, y - size, line)
            pages[-1].append(line)
            y -= leading
        y -= leading * 0.6
    pdf.showPage()
    pdf.save()
    return buffer.getvalue(), [" ".join(lines) for lines in pages if lines]


def render(pdf_bytes: bytes, dpi: int) -> list[object]:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(pdf_bytes)
    try:
        images = []
        for i in range(len(pdf)):
            page = pdf[i]
            images.append(page.render(scale=dpi / 72, grayscale=True).to_pil())
            page.close()
        return images
    finally:
        pdf.close()


def degrade(image: object, rng: random.Random, dpi: int) -> object:
    """A photocopy-like page: a small skew, a slight blur, noise and JPEG artefacts."""
    from PIL import Image, ImageFilter

    assert isinstance(image, Image.Image)
    angle = rng.choice([-1, 1]) * rng.uniform(1.0, 3.0)
    image = image.convert("L").rotate(angle, resample=Image.Resampling.BILINEAR, expand=True, fillcolor=255)
    image = image.filter(ImageFilter.GaussianBlur(0.6 * dpi / 300))
    pixels = np.asarray(image, dtype=np.float32)
    noise = np.random.default_rng(rng.randrange(1 << 30)).normal(0, 18, pixels.shape)
    image = Image.fromarray(np.clip(pixels + noise, 0, 255).astype(np.uint8))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=rng.randint(25, 45))
    image = Image.open(io.BytesIO(out.getvalue()))
    image.load()
    image.info["dpi"] = (dpi, dpi)
    return image


# --------------------------------------------------------------------------- metrics


def normalise(text: str) -> str:
    return " ".join(text.split())


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance, one numpy row at a time (rapidfuzz if installed)."""
    try:
        from rapidfuzz.distance import Levenshtein

        return int(Levenshtein.distance(a, b))
    except ImportError:
        pass
    if not a:
        return len(b)
    if not b:
        return len(a)
    bs = np.frombuffer(b.encode("utf-32-le"), dtype=np.uint32)
    ramp = np.arange(len(b) + 1)
    prev = ramp.copy()
    for i, code in enumerate(np.frombuffer(a.encode("utf-32-le"), dtype=np.uint32), 1):
        cur = np.empty_like(prev)
        cur[0] = i
        cur[1:] = np.minimum(prev[1:] + 1, prev[:-1] + (bs != code))
        # insertions along the row: cur[j] = min_k<=j cur[k] + (j - k)
        cur = np.minimum.accumulate(cur - ramp) + ramp
        prev = cur
    return int(prev[-1])


def cer(reference: str, hypothesis: str) -> float:
    ref, hyp = normalise(reference), normalise(hypothesis)
    return edit_distance(ref, hyp) / max(len(ref), 1)


# --------------------------------------------------------------------------- CER and speed


@dataclass
class Sample:
    corpus: str
    doc_id: str
    reference: str
    image: object
    condition: str
    dpi: int


def samples(data: Path, n_pages: int, seed: int) -> list[Sample]:
    """The first page of ``n_pages`` documents per corpus, each rendered at 300 and 200 dpi,
    clean and degraded."""
    rng = random.Random(seed)
    out: list[Sample] = []
    for corpus in ("spf", "cnil"):
        docs = [d for d in read_jsonl(data / corpus / "corpus.jsonl") if len(str(d["text"])) > 1500]
        rng.shuffle(docs)
        for doc in docs[:n_pages]:
            font = rng.choice(["Times-Roman", "Helvetica"])
            pdf, refs = typeset(str(doc["text"]), font)
            for dpi in (300, 200):
                image = render(pdf, dpi)[0]
                out.append(Sample(corpus, str(doc["id"]), refs[0], image, "propre", dpi))
            for dpi in (300, 200):
                image = render(pdf, dpi)[0]
                out.append(Sample(corpus, str(doc["id"]), refs[0], degrade(image, rng, dpi), "dégradée", dpi))
    return out


def _ocr_sample(args: tuple[Sample, bool]) -> tuple[float, float, float, int, float]:
    sample, deskew = args
    os.environ["SOCLE_OCR_DESKEW"] = "on" if deskew else "off"
    page = ocr_image(sample.image, OcrSettings.from_env(), dpi=sample.dpi)  # type: ignore[arg-type]
    return cer(sample.reference, page.text), page.seconds, page.confidence, page.rotation, page.skew


def run_cer(data: Path, n_pages: int, seed: int, jobs: int, compare_deskew: bool) -> dict[str, object]:
    t0 = time.perf_counter()
    todo = samples(data, n_pages, seed)
    print(f"{len(todo)} pages générées en {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    variants = [True, False] if compare_deskew else [True]
    rows: dict[tuple[str, int, bool], list[tuple[float, float, float]]] = {}
    with ProcessPoolExecutor(jobs) as pool:
        for deskew in variants:
            chosen = [s for s in todo if deskew or s.condition == "dégradée"]
            for s, result in zip(chosen, pool.map(_ocr_sample, [(s, deskew) for s in chosen]), strict=True):
                rows.setdefault((s.condition, s.dpi, deskew), []).append(result[:3])
    print("\n| pages | dpi | deskew | n | CER moyen | CER médian | CER max | confiance | s/page |")
    print("|---|---|---|---|---|---|---|---|---|")
    summary = {}
    for (condition, dpi, deskew), values in sorted(rows.items(), key=lambda kv: (kv[0][0] != "propre", -kv[0][1])):
        cers = [v[0] for v in values]
        line = {
            "n": len(values),
            "cer_mean": float(np.mean(cers)),
            "cer_median": float(np.median(cers)),
            "cer_max": float(np.max(cers)),
            "confidence": float(np.mean([v[2] for v in values])),
            "seconds": float(np.mean([v[1] for v in values])),
        }
        summary[f"{condition}-{dpi}-{'deskew' if deskew else 'raw'}"] = line
        print(
            f"| {condition} | {dpi} | {'oui' if deskew else 'non'} | {line['n']} | {line['cer_mean']:.2%} | "
            f"{line['cer_median']:.2%} | {line['cer_max']:.2%} | {line['confidence']:.1f} | {line['seconds']:.2f} |"
        )
    return summary


def run_speed(data: Path, n_pages: int, jobs: int) -> dict[str, float]:
    """Pages per second through the ingestion path of a scanned PDF (render + OCR), on
    ``jobs`` processes, with the time split between rendering and recognition."""
    docs = [d for d in read_jsonl(data / "spf" / "corpus.jsonl") if len(str(d["text"])) > 3000][:n_pages]
    pdfs = [typeset(str(d["text"]))[0] for d in docs]
    t0 = time.perf_counter()
    with ProcessPoolExecutor(jobs) as pool:
        results = list(pool.map(_render_and_read, pdfs))
    wall = time.perf_counter() - t0
    render_s = sum(r[0] for r in results)
    ocr_s = sum(r[1] for r in results)
    n = len(results)
    print("\n| pages | processus | pages/s | rendu s/page | OCR s/page | part du rendu |\n|---|---|---|---|---|---|")
    print(
        f"| {n} | {jobs} | {n / wall:.2f} | {render_s / n:.3f} | {ocr_s / n:.2f} | {render_s / (render_s + ocr_s):.1%} |"
    )
    return {"pages": n, "jobs": jobs, "pages_per_s": n / wall, "render_s": render_s / n, "ocr_s": ocr_s / n}


def _render_and_read(pdf: bytes) -> tuple[float, float]:
    t = time.perf_counter()
    image = render(pdf, 300)[0]
    rendered = time.perf_counter() - t
    page = ocr_image(image, OcrSettings.from_env(), dpi=300)  # type: ignore[arg-type]
    return rendered, page.seconds


# --------------------------------------------------------------------------- retrieval


def _ocr_document(doc: dict[str, object]) -> dict[str, object]:
    """A document of the corpus as if scanned: typeset, rendered at 300 dpi, read by OCR."""
    pdf, _ = typeset(str(doc["text"]))
    texts = [ocr_image(image, OcrSettings.from_env(), dpi=300).text for image in render(pdf, 300)]  # type: ignore[arg-type]
    return {**doc, "text": "\n\n".join(texts)}


def build_ocr_corpus(data: Path, limit: int, out: Path, jobs: int) -> tuple[Path, Path]:
    docs = read_jsonl(data / "spf" / "corpus.jsonl")[:limit]
    ids = {str(d["id"]) for d in docs}
    questions = [q for q in read_jsonl(data / "spf" / "questions.dev.jsonl") if set(q["relevant"]) & ids]  # type: ignore[call-overload]
    out.mkdir(parents=True, exist_ok=True)
    born, scanned, qpath = out / "born_digital.jsonl", out / "ocr.jsonl", out / "questions.jsonl"
    done: dict[str, dict[str, object]] = {}
    if scanned.exists():  # resume an interrupted run
        done = {str(d["id"]): d for d in read_jsonl(scanned)}
    todo = [d for d in docs if str(d["id"]) not in done]
    t0 = time.perf_counter()
    with scanned.open("a", encoding="utf-8") as f, ProcessPoolExecutor(jobs) as pool:
        for n, record in enumerate(pool.map(_ocr_document, todo), 1):
            f.write(json.dumps(record, ensure_ascii=False) + "\n")
            f.flush()
            if n % 10 == 0:
                print(f"  {n}/{len(todo)} documents OCR en {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    with born.open("w", encoding="utf-8") as f:
        f.writelines(json.dumps(d, ensure_ascii=False) + "\n" for d in docs)
    with qpath.open("w", encoding="utf-8") as f:
        f.writelines(json.dumps(q, ensure_ascii=False) + "\n" for q in questions)
    return born, scanned


def bm25_eval(corpus: Path, questions: Path, db: Path) -> dict[str, float]:
    """Recall and MRR with BM25 only (no embedding: minutes instead of an hour on 2 cores),
    through the same ingestion and evaluation code as `socle eval`."""
    from socle.evaluate import evaluate_retrieval, load_questions
    from socle.ingest import ingest
    from socle.retrieve import Retriever
    from socle.store import open_store

    db.unlink(missing_ok=True)
    store = open_store(db)
    try:
        ingest(store, None, "bench", [corpus])
        return evaluate_retrieval(Retriever(store, None), "bench", load_questions(questions)).as_dict()
    finally:
        store.close()


def socle_eval(corpus: Path, questions: Path, db: Path) -> dict[str, float]:
    """`socle eval` as documented in docs/retrieval.md (hybrid: embeds the corpus, slow)."""
    db.unlink(missing_ok=True)
    cmd = [str(ROOT / ".venv/bin/socle"), "--db", str(db), "eval", "--corpus", str(corpus)]
    cmd += ["--questions", str(questions), "-c", "bench", "--json"]
    done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def run_retrieval(data: Path, limit: int, out: Path, jobs: int, hybrid: bool) -> dict[str, object]:
    born, scanned = build_ocr_corpus(data, limit, out, jobs)
    questions = out / "questions.jsonl"
    results: dict[str, dict[str, float]] = {}
    for name, path in (("natif", born), ("ocr", scanned)):
        results[f"{name} BM25"] = bm25_eval(path, questions, out / f"{name}-bm25.db")
        if hybrid:
            results[f"{name} hybride"] = socle_eval(path, questions, out / f"{name}-hybrid.db")
    keys = ["recall@1", "recall@5", "recall@10", "mrr@10"]
    n_questions = len(read_jsonl(questions))
    print(f"\n| spf, {limit} documents, {n_questions} questions | " + " | ".join(keys) + " |")
    print("|---|" + "---|" * len(keys))
    for name, metrics in results.items():
        print(f"| {name} | " + " | ".join(f"{float(metrics[k]):.3f}" for k in keys) + " |")
    return dict(results)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--eval-dir", default="../shared/eval")
    parser.add_argument("--pages", type=int, default=10, help="documents per corpus for the CER (4 pages each)")
    parser.add_argument("--speed-pages", type=int, default=12)
    parser.add_argument("--jobs", type=int, default=2, help="processes (default 2: two cores)")
    parser.add_argument("--seed", type=int, default=20)
    parser.add_argument("--no-cer", action="store_true")
    parser.add_argument("--no-speed", action="store_true")
    parser.add_argument("--compare-deskew", action="store_true", help="also degraded pages without deskew")
    parser.add_argument("--retrieval", action="store_true", help="OCR'd copy of spf and `socle eval` on both")
    parser.add_argument("--hybrid", action="store_true", help="also `socle eval` with the embedder (slow)")
    parser.add_argument("--limit", type=int, default=530, help="documents of spf for --retrieval")
    parser.add_argument("--out", default="/tmp/socle-ocr-bench", help="where the OCR'd corpus and databases go")
    parser.add_argument("--json-out")
    args = parser.parse_args()
    data = eval_dir(args.eval_dir)
    if data is None:
        print(f"{args.eval_dir} introuvable : benchmark ignoré")
        return 0
    reason = unavailable_reason()
    if reason:
        print(f"{reason} : benchmark ignoré")
        return 0
    results: dict[str, object] = {}
    if not args.no_cer:
        results["cer"] = run_cer(data, args.pages, args.seed, args.jobs, args.compare_deskew)
    if not args.no_speed:
        results["speed"] = run_speed(data, args.speed_pages, args.jobs)
    if args.retrieval:
        results["retrieval"] = run_retrieval(data, args.limit, Path(args.out), args.jobs, args.hybrid)
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(results, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
