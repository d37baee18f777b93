"""The `layerlab` command: serve the playground, check and export specs, train networks
here or on a server, and look after a server's runs."""

from __future__ import annotations

import json
import signal
from contextlib import suppress
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from pydantic import ValidationError
from rich.table import Table

from app.cli.common import (
    SpecFile,
    Token,
    checked,
    console,
    load_spec,
    server_errors,
)
from app.cli.db import db_cli
from app.cli.export import export
from app.cli.imports import import_model
from app.cli.progress import TrainingProgress, metrics_table, origin_text, status_text
from app.cli.runs import runs_cli
from app.cli.sweeps import sweeps_cli
from app.cli.users import accounts_exist, users_cli
from app.client.lab import LayerLab
from app.settings import LOOPBACK_HOSTS, Settings
from app.spec.errors import issues_from_validation

if TYPE_CHECKING:
    from app.spec import NetworkSpec
    from app.spec.training import TrainingSpec

cli = typer.Typer(help="LayerLab: build, train and look inside neural networks.",
                  no_args_is_help=True, add_completion=False)
cli.add_typer(runs_cli, name="runs")
cli.add_typer(sweeps_cli, name="sweeps")
cli.add_typer(db_cli, name="db")
cli.add_typer(users_cli, name="users")
cli.command()(export)
cli.command("import")(import_model)


@cli.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to bind (default 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default 8000).")] = None,
) -> None:
    """Start the playground server."""
    overrides: dict[str, Any] = {"host": host, "port": port}
    given = {k: v for k, v in overrides.items() if v is not None}
    try:
        settings = Settings(**given)
        settings.check_exposure(accounts=settings.host not in LOOPBACK_HOSTS
                                and accounts_exist(settings))
    except ValidationError as exc:  # a LAYERLAB_* setting or an option
        for issue in issues_from_validation(exc, given):
            console.print(f"[red]error:[/red] {issue}", highlight=False)
        raise typer.Exit(2) from None
    except ValueError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    import uvicorn  # PyTorch comes with the app: only once the settings are known good

    from app.api import create_app
    console.print(f"LayerLab on http://{settings.host}:{settings.port}")
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level="info")


@cli.command()
def validate(spec_file: SpecFile) -> None:
    """Check a spec: a table of layers, output shapes and parameters, and whether it is
    small enough to train here."""
    from app.nn import analyze

    spec = load_spec(spec_file)
    summary = checked(lambda: analyze(spec, Settings().limits, enforce=False))
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
    for issue in summary.over_limits:
        console.print(f"[yellow]not trainable here:[/yellow] {issue}", highlight=False)


@cli.command()
def openapi(
    output: Annotated[Path | None, typer.Option("-o", "--output",
                                                help="Write here instead of stdout.")] = None,
) -> None:
    """Print the server's OpenAPI schema (the browser UI's API types are made from it)."""
    from app.api import create_app

    _write(json.dumps(create_app().openapi(), indent=1, sort_keys=True) + "\n", output)


def _write(text: str, output: Path | None) -> None:
    """`text` to the file named by -o, or to stdout."""
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        console.print(f"wrote {output}")


@cli.command()
def train(
    dataset: Annotated[str | None, typer.Option(
        "--dataset", "-d", show_default=False,
        help="A dataset, e.g. mnist-10k or circle (with --preset, default: the one it was "
             "made for).")] = None,
    spec_file: Annotated[Path | None, typer.Argument(
        exists=True, dir_okay=False, readable=True, show_default=False,
        help="A network spec as JSON (or use --preset).")] = None,
    preset: Annotated[str | None, typer.Option(help="A preset network, e.g. toy-mlp.")] = None,
    option: Annotated[list[str] | None, typer.Option(
        "--option", "-O", help="A dataset option KEY=VALUE (JSON value), repeatable.")] = None,
    epochs: Annotated[int | None, typer.Option(
        help="Epochs (default: the preset's, else 5).", show_default=False)] = None,
    task: Annotated[str | None, typer.Option(help=(
        "classification, regression, reconstruction, sequence, vae or gan "
        "(default: the dataset's first)."))] = None,
    loss: Annotated[str | None, typer.Option(help="The loss (default: the task's).")] = None,
    setting: Annotated[list[str] | None, typer.Option(
        "--set", help="Any training setting KEY=VALUE (JSON value, dotted keys for nested "
                      "ones), repeatable: e.g. --set gan.d_steps=2 --set l2=1e-4.")] = None,
    batch_size: Annotated[int | None, typer.Option(help="Batch size (default 64).")] = None,
    lr: Annotated[float | None, typer.Option(help="Learning rate (default 0.001).")] = None,
    optimizer: Annotated[str | None, typer.Option(help="sgd, adagrad, rmsprop, adam, adamw.")
                         ] = None,
    device: Annotated[str | None, typer.Option(help="auto, cpu, cuda or mps.")] = None,
    seed: Annotated[int | None, typer.Option(help="Random seed (default 0).")] = None,
    name: Annotated[str | None, typer.Option(help="Run name (with --server).")] = None,
    init_from: Annotated[str | None, typer.Option(
        help="Start from this run's weights, layers matched by id and shape (with --server)."
    )] = None,
    server: Annotated[str | None, typer.Option(
        help="Train on this server instead of in this process.")] = None,
    token: Token = None,
) -> None:
    """Train a network with live progress, then print its test metrics.

    A preset trains with the settings it was made for; the options given change those.
    In this process by default, or on --server. Exits 1 unless the run completes."""
    if (spec_file is None) == (preset is None):
        console.print("[red]error:[/red] give a spec file or --preset NAME (one of them)")
        raise typer.Exit(2)
    given = _settings(dataset, option or [], setting or [], epochs=epochs, task=task,
                      loss=loss, batch_size=batch_size, optimizer=optimizer, lr=lr,
                      device=device, seed=seed)
    if preset is not None:
        spec, config = _preset(preset, given)
    else:
        assert spec_file is not None
        spec, config = load_spec(spec_file), _training(given)
    if server is None:
        if init_from is not None:
            console.print("[red]error:[/red] --init-from needs --server (runs live there)")
            raise typer.Exit(2)
        final = _train_here(spec, config)
    else:
        final = _train_on(LayerLab(server, token=token or None), preset or spec, config, name,
                          init_from)
    status, reason = final["status"], final.get("reason")
    if final.get("metrics"):
        console.print(metrics_table("test metrics", final["metrics"]))
    console.print(f"run {status_text(status)}" + (f": {reason}" if reason else ""),
                  highlight=False)
    raise typer.Exit(0 if status == "completed" else 1)


def _key_values(items: list[str], flag: str) -> dict[str, Any]:
    """KEY=VALUE pairs, each value read as JSON when it is JSON (else a string)."""
    parsed: dict[str, Any] = {}
    for key, sep, raw in (item.partition("=") for item in items):
        if not sep or not key:
            console.print(f"[red]error:[/red] {flag} wants KEY=VALUE, not {key + sep + raw!r}")
            raise typer.Exit(2)
        with suppress(json.JSONDecodeError):
            raw = json.loads(raw)
        parsed[key] = raw
    return parsed


def _settings(dataset: str | None, options: list[str], settings: list[str],
              **given: Any) -> dict[str, Any]:
    """The training settings the options give, and only those (a preset's fill the rest)."""
    optimizer = {k: v for k in ("optimizer", "lr") if (v := given.pop(k)) is not None}
    if "optimizer" in optimizer:
        optimizer["name"] = optimizer.pop("optimizer")
    body: dict[str, Any] = {k: v for k, v in given.items() if v is not None}
    if optimizer:
        body["optimizer"] = optimizer
    if dataset is not None:
        body["dataset"] = {"name": dataset, "options": _key_values(options, "--option")}
    elif options:
        console.print("[red]error:[/red] --option sets an option of --dataset: name it")
        raise typer.Exit(2)
    for dotted, value in _key_values(settings, "--set").items():
        *parents, last = dotted.split(".")
        place = body
        for depth, part in enumerate(parents):
            place = place.setdefault(part, {})
            if not isinstance(place, dict) or (depth == 0 and not _is_group(part)):
                console.print(f"[red]error:[/red] --set {dotted}: {part} is not a group of "
                              "settings")
                raise typer.Exit(2)
        place[last] = value
    return body


def _is_group(name: str) -> bool:
    """Whether a training setting holds others (optimizer, dataset, gan...); an unknown
    name is left to the settings' own check."""
    from pydantic import BaseModel

    from app.spec.training import TrainingSpec

    field = TrainingSpec.model_fields.get(name)
    kind = None if field is None else field.annotation
    return field is None or (isinstance(kind, type) and issubclass(kind, BaseModel)) or \
        getattr(kind, "__origin__", None) is dict


def _training(given: dict[str, Any]) -> TrainingSpec:
    """A spec file's settings: the dataset is needed, epochs default to 5."""
    from app.spec.training import TrainingSpec

    if "dataset" not in given:
        console.print("[red]error:[/red] a spec file needs --dataset NAME")
        raise typer.Exit(2)
    body = {"epochs": 5, **given}
    try:
        return TrainingSpec.model_validate(body)
    except ValidationError as exc:
        for issue in issues_from_validation(exc, body):
            console.print(f"[red]error:[/red] {issue}", highlight=False)
        raise typer.Exit(1) from None


def _preset(name: str, given: dict[str, Any]) -> tuple[NetworkSpec, TrainingSpec]:
    """A preset's network, and its own settings with the given ones laid over them."""
    from app.spec.presets import PresetTrainingError, preset_settings, read_presets

    presets = read_presets(Settings().presets_dir)
    if name not in presets:
        console.print(f"[red]error:[/red] no preset named {name!r}; known: {', '.join(presets)}")
        raise typer.Exit(1)
    try:
        training = preset_settings(name, presets[name].training, given or None)
    except PresetTrainingError as exc:
        console.print(f"[red]error:[/red] {exc}", highlight=False)
        raise typer.Exit(1) from None
    return presets[name].network, training


def _train_here(spec: NetworkSpec, config: TrainingSpec) -> dict[str, Any]:
    from app.runs.in_process import run_local
    from app.train import Control

    class CtrlC(Control):
        """The first Ctrl-C asks the run to stop at its next report; a second aborts."""

        asked = False

        def requested(self) -> Any:
            return "stop" if self.asked else None

        def __call__(self, signum: int, frame: object) -> None:
            if self.asked:
                raise KeyboardInterrupt
            self.asked = True
            console.print("[yellow]stopping at the next report (Ctrl-C again aborts)[/yellow]")

    control = CtrlC()
    previous = signal.signal(signal.SIGINT, control)
    try:
        with TrainingProgress(console, spec.name, config.epochs) as progress:
            final = run_local(spec, config, lambda e: progress.update(e.model_dump(mode="json")),
                              control=control)
    finally:
        signal.signal(signal.SIGINT, previous)
    return final.model_dump(mode="json")


def _train_on(lab: LayerLab, spec: NetworkSpec | str, config: TrainingSpec,
              name: str | None, init_from: str | None = None) -> dict[str, Any]:
    with server_errors(lab.url):
        run = lab.submit(spec, config, name=name, init_from=init_from)
        console.print(f"run {run.id} on {lab.url}", highlight=False)
        if run.data.get("origin"):
            console.print(origin_text(run.data["origin"]), highlight=False)
        try:
            with TrainingProgress(console, run.data["name"], config.epochs) as progress:
                for message in run.stream():
                    progress.update(message)
            info = run.wait()  # at once, unless the stream broke off
        except KeyboardInterrupt:
            console.print(f"left run {run.id} running on the server; stop it with "
                          f"`layerlab runs stop {run.id}`", highlight=False)
            raise typer.Exit(130) from None
    return {"status": info["status"], "reason": info.get("error"),
            "metrics": info.get("test_metrics")}


def main() -> None:
    cli()

