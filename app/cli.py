"""The `layerlab` command: serve the playground, check and export specs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from app.settings import Settings

if TYPE_CHECKING:
    from app.spec import NetworkSpec

cli = typer.Typer(help="LayerLab: build, train and look inside neural networks.",
                  no_args_is_help=True, add_completion=False)
console = Console()
SpecFile = Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True,
                                          help="A network spec as JSON.")]


@cli.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to bind (default 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default 8000).")] = None,
) -> None:
    """Start the playground server."""
    import uvicorn

    from app.api import create_app

    overrides: dict[str, Any] = {"host": host, "port": port}
    try:
        settings = Settings(**{k: v for k, v in overrides.items() if v is not None})
        settings.check_exposure()
    except ValueError as exc:  # pydantic's ValidationError is a ValueError too
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    console.print(f"LayerLab on http://{settings.host}:{settings.port}")
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level="info")


def _load(path: Path) -> NetworkSpec:
    from app.spec import SpecError, parse_network

    try:
        return parse_network(json.loads(path.read_text(encoding="utf-8")))
    except json.JSONDecodeError as exc:
        console.print(f"[red]error:[/red] {path} is not valid JSON: {exc}")
        raise typer.Exit(1) from None
    except SpecError as exc:
        _print_issues(exc)
        raise typer.Exit(1) from None


def _print_issues(exc: Exception) -> None:
    for issue in getattr(exc, "issues", [exc]):
        console.print(f"[red]error:[/red] {issue}", highlight=False)


@cli.command()
def validate(spec_file: SpecFile) -> None:
    """Check a spec: a table of layers, output shapes and parameters."""
    from app.nn import analyze
    from app.spec import SpecError

    spec = _load(spec_file)
    try:
        summary = analyze(spec, Settings().limits)
    except SpecError as exc:
        _print_issues(exc)
        raise typer.Exit(1) from None
    table = Table(title=f"{spec.name}: input {tuple(summary.input_shape)}")
    for column in ("layer", "type", "output shape", "params", "FLOPs"):
        table.add_column(column, justify="right" if column in ("params", "FLOPs") else "left")
    for layer in summary.layers:
        table.add_row(layer.id, layer.type, str(layer.output_shape), f"{layer.params:,}",
                      f"{layer.flops:,}")
    console.print(table)
    console.print(f"total params: {summary.total_params:,} "
                  f"(trainable {summary.trainable_params:,}), FLOPs per sample: "
                  f"{summary.total_flops:,}, activations ≈ {summary.activation_mb:.2f} MiB")
    for warning in summary.warnings:
        console.print(f"[yellow]warning:[/yellow] {warning}", highlight=False)


@cli.command()
def export(
    spec_file: SpecFile,
    output: Annotated[Path | None, typer.Option("-o", "--output",
                                                help="Write here instead of stdout.")] = None,
) -> None:
    """Export a spec as a standalone PyTorch module."""
    from app.nn.codegen import to_python
    from app.spec import SpecError

    spec = _load(spec_file)
    try:
        source = to_python(spec, Settings().limits)
    except SpecError as exc:
        _print_issues(exc)
        raise typer.Exit(1) from None
    if output is None:
        typer.echo(source, nl=False)
    else:
        output.write_text(source, encoding="utf-8")
        console.print(f"wrote {output}")


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
