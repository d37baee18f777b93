"""`layerlab export`: a spec as PyTorch code, or a checkpoint as a trained model file.

A checkpoint carries the network and settings it was trained with, so exporting one
needs neither a server nor its database."""

from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import Annotated

import typer

from app.cli.common import checked, console, load_spec
from app.settings import Settings

CHECKPOINT_SUFFIX = ".safetensors"
Source = Annotated[Path, typer.Argument(
    exists=True, dir_okay=False, readable=True, show_default=False,
    help="A network spec (.json), or a run's checkpoint (.safetensors, e.g. "
         "RUNS_DIR/<run id>/checkpoint.safetensors).")]
Format = Annotated[str | None, typer.Option(
    "--format", "-f", show_default=False,
    help="A checkpoint's format: pytorch (a zip of code, weights and spec), safetensors, "
         "onnx or torchscript; default pytorch. A spec is written as PyTorch code.")]
Output = Annotated[Path | None, typer.Option(
    "-o", "--output", show_default=False,
    help="Where to write: a spec's code goes to stdout without it; a checkpoint's export "
         "to this file or folder, or by its network's name in this folder.")]


def export(source: Source, fmt: Format = None, output: Output = None) -> None:
    """Export a spec as a standalone PyTorch module, or a checkpoint as a trained model."""
    if source.suffix == CHECKPOINT_SUFFIX:
        written = export_checkpoint(source, fmt or "pytorch", output)
        console.print(f"wrote {written}", highlight=False)
        return
    if fmt is not None:
        console.print("[red]error:[/red] --format needs a checkpoint (.safetensors): a spec "
                      "has no trained weights, it is written as PyTorch code")
        raise typer.Exit(2)
    from app.nn.codegen import to_python

    spec = load_spec(source)
    code = checked(lambda: to_python(spec, Settings().limits))
    if output is None:
        typer.echo(code, nl=False)
    else:
        output.write_text(code, encoding="utf-8")
        console.print(f"wrote {output}")


def export_checkpoint(path: Path, fmt: str, output: Path | None) -> Path:
    """Rebuild the model a checkpoint holds from the spec inside it and write it as `fmt`;
    returns the file written. A checkpoint that cannot be exported exits with 1."""
    from app.nn.export import export_model
    from app.train.checkpoint import CheckpointError, load_checkpoint, trained_with
    from app.train.session import training_note

    try:
        if output is not None and not output.is_dir() and not output.parent.is_dir():
            # said before the export, which may take seconds, not after it
            raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), str(output.parent))
        checkpoint = load_checkpoint(path)
        trained = trained_with(checkpoint.meta, path.name)
        network, limits = trained.network, Settings().limits
        exported = export_model(network, checkpoint.model, fmt, name=network.name,
                                limits=limits, training_note=training_note(
                                    network, trained.training, limits))
        target = output or Path(exported.filename)
        if target.is_dir():
            target = target / exported.filename
        target.write_bytes(exported.data)  # a missing folder, say: an error, not a traceback
    except (CheckpointError, OSError, ValueError) as exc:  # SpecError, FormatError too
        console.print(f"[red]error:[/red] {path}: {exc}", highlight=False)
        raise typer.Exit(1) from None
    return target
