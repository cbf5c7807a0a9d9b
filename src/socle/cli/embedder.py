"""`socle embedder ...`: embedding models brought by the operator (docs/embeddings.md).

Registered by :mod:`socle.cli`. Messages are in French.
"""

from __future__ import annotations

from pathlib import Path

import click

from socle.cli.common import reports_errors


@click.group()
def embedder() -> None:
    """Modèles d'embeddings apportés par l'exploitant (dossier ONNX, serveur /v1/embeddings)."""


@embedder.command()
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path), metavar="DOSSIER")
@click.option(
    "--per-channel", is_flag=True, help="Une échelle par colonne de poids : plus fidèle, un peu plus lent à produire."
)
@click.option(
    "--reduce-range", is_flag=True, help="Poids sur 7 bits : pour les processeurs x86 anciens, sans instructions VNNI."
)
@reports_errors
def quantize(folder: Path, per_channel: bool, reduce_range: bool) -> None:
    """Écrit model_quantized.onnx (poids en int8) à côté du modèle ONNX de DOSSIER."""
    from socle.embed.onnx_backend import quantize as quantize_model

    target = quantize_model(folder, per_channel=per_channel, reduce_range=reduce_range)
    click.echo(f"Modèle quantifié écrit : {target} ({target.stat().st_size / 1e6:.1f} Mo).")
    click.echo(
        'Pour l\'utiliser, ajoutez "file": "model_quantized.onnx" à socle-embedder.json '
        "(une collection déjà indexée garde ses vecteurs : réindexez-la pour des vecteurs homogènes)."
    )
