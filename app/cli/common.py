"""What the `layerlab` commands share: the console, the server and token options, reading
a spec file and turning a server's refusals into exits."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import httpx2
import typer
from rich.console import Console

from app.client.lab import LayerLab, LayerLabError

if TYPE_CHECKING:
    from app.spec import NetworkSpec

T = TypeVar("T")
console = Console()
SpecFile = Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True,
                                          help="A network spec as JSON.")]
DEFAULT_SERVER = "http://127.0.0.1:8000"
Server = Annotated[str, typer.Option(envvar="LAYERLAB_SERVER", help="The LayerLab server.")]
Token = Annotated[str | None, typer.Option(envvar="LAYERLAB_TOKEN", show_default=False,
                                           help="Access token (default: $LAYERLAB_TOKEN).")]
AsJson = Annotated[bool, typer.Option("--json", help="Print the answer as JSON.")]


def load_spec(path: Path) -> NetworkSpec:
    from app.spec import parse_network
    from app.spec.presets import network_part

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        console.print(f"[red]error:[/red] {path} is not valid JSON: {exc}")
        raise typer.Exit(1) from None
    return checked(lambda: parse_network(network_part(data)))


def checked(action: Callable[[], T]) -> T:
    """Run a spec operation; a SpecError prints each issue and exits with 1."""
    from app.spec import SpecError

    try:
        return action()
    except SpecError as exc:
        for issue in exc.issues:
            console.print(f"[red]error:[/red] {issue}", highlight=False)
        raise typer.Exit(1) from None


@contextmanager
def server_errors(url: str) -> Iterator[None]:
    """A refused request or an unreachable server ends the command with its reason."""
    try:
        yield
    except LayerLabError as exc:
        console.print(f"[red]error:[/red] {exc}", highlight=False)
        raise typer.Exit(1) from None
    except httpx2.TransportError as exc:
        console.print(f"[red]error:[/red] cannot reach {url}: {exc}", highlight=False)
        raise typer.Exit(1) from None


@contextmanager
def connected(server: str, token: str | None) -> Iterator[LayerLab]:
    """A client of `server`; its refusals and an unreachable server end the command."""
    with server_errors(server), LayerLab(server, token=token or None) as lab:
        yield lab


def show(info: dict[str, Any], as_json: bool, render: Callable[[dict[str, Any]], Any]) -> None:
    """Print a server's answer as JSON, or as `render` draws it."""
    if as_json:
        typer.echo(json.dumps(info, indent=2))
    else:
        console.print(render(info))
