"""`layerlab runs`: list, show, stop, continue and export a server's runs, and save a
GAN's samples."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from app.cli.common import (
    DEFAULT_SERVER,
    AsJson,
    Server,
    Token,
    connected,
    console,
    load_spec,
    show,
)
from app.cli.progress import origin_text, run_table, runs_table, status_text

runs_cli = typer.Typer(help="List, show, stop and export a server's runs.",
                       no_args_is_help=True)
RunId = Annotated[str, typer.Argument(help="The run's id.")]


@runs_cli.command("list")
def runs_list(
    status: Annotated[str | None, typer.Option(help="Only runs with this status.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many.")] = 50,
    search: Annotated[str, typer.Option(
        "--search", "-q", help="Words each found in a run's name, description, network, "
                               "dataset or tags.")] = "",
    dataset: Annotated[str | None, typer.Option(help="Only runs on this dataset.")] = None,
    sort: Annotated[str, typer.Option(help="created, name, status, network, dataset, task, "
                                           "epochs, score, test, duration or tags.")] = "created",
    order: Annotated[str | None, typer.Option(help="asc or desc (default: desc for created, "
                                                   "asc for the others).")] = None,
    server: Server = DEFAULT_SERVER, token: Token = None,
) -> None:
    """The server's runs, newest first unless sorted otherwise, and how many match."""
    with connected(server, token) as lab:
        runs, total = lab.runs_found(status, limit, search=search, dataset=dataset, sort=sort,
                                     order=order)
        console.print(runs_table(runs))
        if total > len(runs):
            console.print(f"{len(runs)} of {total} runs shown: --limit for more")


@runs_cli.command("show")
def runs_show(
    run_id: RunId,
    as_json: AsJson = False,
    server: Server = DEFAULT_SERVER, token: Token = None,
) -> None:
    """One run: status, progress, timings, error and metrics."""
    with connected(server, token) as lab:
        info = lab.run(run_id).data
    show(info, as_json, run_table)


@runs_cli.command("stop")
def runs_stop(run_id: RunId,
              server: Server = DEFAULT_SERVER, token: Token = None) -> None:
    """Stop a queued, running or paused run."""
    with connected(server, token) as lab:
        info = lab.run(run_id).stop()
    console.print(f"run {run_id}: {status_text(info['status'])}", highlight=False)


@runs_cli.command("continue")
def runs_continue(
    run_id: Annotated[str, typer.Argument(help="A paused or ended run's id.")],
    spec_file: Annotated[Path | None, typer.Option(
        "--spec", help="The edited network (JSON); default: the run's own.")] = None,
    epochs: Annotated[int | None, typer.Option(help="Train up to this many epochs.")] = None,
    lr: Annotated[float | None, typer.Option(help="A new learning rate.")] = None,
    server: Server = DEFAULT_SERVER, token: Token = None,
) -> None:
    """Go on from a paused or ended run after an edit, as a new linked run: layers whose
    id and shapes still match keep their weights; steps and epochs count on."""
    spec = load_spec(spec_file) if spec_file is not None else None
    with connected(server, token) as lab:
        parent = lab.run(run_id)
        training = None
        if epochs is not None or lr is not None:
            training = dict(parent.data["training"])
            if epochs is not None:
                training["epochs"] = epochs
            if lr is not None:
                training["optimizer"] = {**training["optimizer"], "lr": lr}
        child = parent.continue_with(spec, training)
    console.print(f"run {child.id}: {origin_text(child.data['origin'])}", highlight=False)


@runs_cli.command("samples")
def runs_samples(
    run_id: Annotated[str, typer.Argument(help="A GAN run's id.")],
    output: Annotated[Path, typer.Option("-o", "--output", help=(
        "A .png for image samples (tiled in a grid), a .csv for points."))],
    step: Annotated[int | None, typer.Option(help="The grid drawn at this step "
                                                  "(default: the latest).")] = None,
    server: Server = DEFAULT_SERVER, token: Token = None,
) -> None:
    """Save what a GAN's generator made of its fixed noise at one step."""
    from app.cli.samples import write_samples

    with connected(server, token) as lab:
        grid = lab.run(run_id).samples(step)
    try:
        write_samples(grid["samples"], output)
    except ValueError as exc:
        console.print(f"[red]error:[/red] {exc}", highlight=False)
        raise typer.Exit(2) from None
    console.print(f"wrote {output}: {len(grid['samples'])} samples of step {grid['step']} "
                  f"(epoch {grid['epoch']}; {len(grid['steps'])} steps kept, "
                  f"{grid['steps'][0]} to {grid['steps'][-1]})", highlight=False)


@runs_cli.command("export")
def runs_export(
    run_id: RunId,
    fmt: Annotated[str, typer.Argument(metavar="FORMAT", help="The export format.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="A file or a folder.")],
    server: Server = DEFAULT_SERVER, token: Token = None,
) -> None:
    """Download a run in one of the server's export formats."""
    with connected(server, token) as lab:
        written = lab.run(run_id).export(fmt, output)
    console.print(f"wrote {written}", highlight=False)
