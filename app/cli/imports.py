"""`layerlab import`: an ONNX file as a network spec (and its weights), without a server.

The spec opens in the editor (Open file) or trains with `layerlab train`; the server's
import (`POST /api/v1/imports/onnx`, the editor's "Import ONNX") also keeps the weights
for runs to start from."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

notes = Console(stderr=True)  # stdout may carry the spec

Source = Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True,
                                        show_default=False, help="An .onnx file.")]
Output = Annotated[Path | None, typer.Option(
    "-o", "--output", show_default=False,
    help="Where to write the spec (JSON); default: stdout.")]
Weights = Annotated[Path | None, typer.Option(
    "--weights", show_default=False,
    help="Also write the weights here (.safetensors, keys as the network's state dict).")]


def import_model(source: Source, output: Output = None, weights: Weights = None) -> None:
    """Convert an ONNX file into a LayerLab network spec, checked against the file."""
    from safetensors.torch import save_file

    from app.nn.onnx_import import (
        OnnxImportError,
        OnnxReadError,
        UnsupportedModel,
        import_onnx,
    )
    from app.settings import Settings

    try:
        imported = import_onnx(source.read_bytes(), source.stem, Settings().limits)
    except UnsupportedModel as exc:
        notes.print(f"[red]error:[/red] {len(exc.problems)} node(s) have no LayerLab layer:",
                      highlight=False)
        for problem in exc.problems:
            notes.print(f"  {problem}", highlight=False, markup=False)
        raise typer.Exit(1) from None
    except (OnnxReadError, OnnxImportError) as exc:
        notes.print(f"[red]error:[/red] {exc}", highlight=False)
        raise typer.Exit(1) from None
    text = imported.spec.model_dump_json(indent=2) + "\n"
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
    if weights is not None:
        save_file({k: v.contiguous() for k, v in imported.state.items()}, weights)
    how = "its own LayerLab spec" if imported.carried else "converted operator by operator"
    fresh = f"; no weights in the file for {', '.join(imported.fresh)}" if imported.fresh else ""
    notes.print(f"{len(imported.spec.layers)} layers, {how}; outputs within "
                  f"{imported.max_error:.1e} of the file's{fresh}", highlight=False)
