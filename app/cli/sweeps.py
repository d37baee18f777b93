"""`layerlab sweeps`: start a sweep from a JSON file, follow it, and list, show, stop,
resume and delete a server's sweeps."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from app.cli.common import DEFAULT_SERVER, AsJson, Server, Token, connected, console, show
from app.cli.progress import fmt, status_text
from app.client.sweeps import Sweep, ranked
from app.spec.sweep import SweepSpec

sweeps_cli = typer.Typer(help="Start, follow, list, stop and delete sweeps.",
                         no_args_is_help=True)
SweepFile = Annotated[Path, typer.Argument(
    exists=True, dir_okay=False, readable=True,
    help="The sweep as JSON: {name?, model: spec or {preset}, training, sweep: {method, "
         "parameters, trials?, seed?, metric?, mode?}}.")]
ENDED = ("completed", "stopped", "failed", "diverged", "deleted")
SweepId = Annotated[str, typer.Argument(help="The sweep's id.")]


@sweeps_cli.command("start")
def sweeps_start(
    sweep_file: SweepFile,
    wait: Annotated[bool, typer.Option("--wait", help="Follow the trials until none is "
                                                      "queued or running, then show them.")]
    = False,
    server: Server = DEFAULT_SERVER, token: Token = None,
) -> None:
    """Queue a run per trial of the sweep in the file."""
    try:
        body = json.loads(sweep_file.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        console.print(f"[red]error:[/red] {sweep_file} is not valid JSON: {exc}")
        raise typer.Exit(1) from None
    with connected(server, token) as lab:
        data = lab.request("POST", "/sweeps", json=body).json()
        sweep = Sweep(lab, data["id"], data)
        console.print(f"sweep {sweep.id}: {len(data['trials'])} trial(s) queued",
                      highlight=False)
        if wait:
            _follow(sweep)
            console.print(sweep_table(sweep.data))


def _follow(sweep: Sweep, poll: float = 1.0) -> None:
    """A bar over the trials that have ended, until the sweep is finished or stopped."""
    spec = SweepSpec.model_validate(sweep.data["sweep"])
    total = spec.configurations * spec.repeats
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TextColumn("{task.fields[best]}"), TimeElapsedColumn(),
                  console=console) as progress:
        task = progress.add_task(sweep.data["name"], total=total, best="")
        while True:
            info = sweep.info()
            ended = sum(n for status, n in info["counts"].items() if status in ENDED)
            best = ("" if info["best_score"] is None
                    else f"best {info['metric']} {fmt(info['best_score'])}")
            progress.update(task, completed=ended, best=best)
            if info["status"] in ("finished", "stopped"):
                return
            time.sleep(poll)


@sweeps_cli.command("list")
def sweeps_list(limit: Annotated[int, typer.Option(help="At most this many.")] = 50,
                server: Server = DEFAULT_SERVER, token: Token = None) -> None:
    """The server's sweeps, newest first."""
    with connected(server, token) as lab:
        sweeps = lab.sweeps(limit=limit)
    table = Table(title=f"{len(sweeps)} sweep(s), newest first")
    table.add_column("id", no_wrap=True, min_width=32)
    for column in ("name", "method", "status", "trials", "best", "created"):
        table.add_column(column)
    for sweep in sweeps:
        counts = ", ".join(f"{n} {status}" for status, n in sorted(sweep["counts"].items()))
        best = ("" if sweep["best_score"] is None
                else f"{sweep['metric']} {fmt(sweep['best_score'])}")
        table.add_row(sweep["id"], sweep["name"], sweep["method"], sweep["status"], counts,
                      best, sweep["created_at"][:19].replace("T", " "))
    console.print(table)


@sweeps_cli.command("show")
def sweeps_show(
    sweep_id: SweepId,
    as_json: AsJson = False,
    server: Server = DEFAULT_SERVER, token: Token = None,
) -> None:
    """One sweep: each trial's values, status and score, best first."""
    with connected(server, token) as lab:
        info = lab.sweep(sweep_id).data
    show(info, as_json, sweep_table)


@sweeps_cli.command("importances")
def sweeps_importances(sweep_id: SweepId, server: Server = DEFAULT_SERVER,
                       token: Token = None) -> None:
    """Which parameters mattered to the scores (Optuna's fANOVA), most important first."""
    with connected(server, token) as lab:
        found = lab.sweep(sweep_id).importances()
    if found is None:
        console.print("not yet: fewer than two configurations have a score, or none of "
                      "their values vary")
        return
    table = Table(title=f"what mattered in sweep {sweep_id}")
    for column in ("parameter", "importance", ""):
        table.add_column(column, justify="right" if column == "importance" else "left")
    for path, share in found.items():
        table.add_row(path, f"{share:.0%}", "█" * max(1, round(share * 30)))
    console.print(table)


@sweeps_cli.command("stop")
def sweeps_stop(sweep_id: SweepId,
                server: Server = DEFAULT_SERVER, token: Token = None) -> None:
    """Stop every trial that has not ended."""
    with connected(server, token) as lab:
        info = lab.sweep(sweep_id).stop()
    console.print(f"sweep {sweep_id}: stopping {info['counts']}", highlight=False)


@sweeps_cli.command("resume")
def sweeps_resume(sweep_id: SweepId,
                  server: Server = DEFAULT_SERVER, token: Token = None) -> None:
    """Resume every paused or interrupted trial (after a server restart, say)."""
    with connected(server, token) as lab:
        info = lab.sweep(sweep_id).resume()
    console.print(f"sweep {sweep_id}: {info['counts']}", highlight=False)


@sweeps_cli.command("delete")
def sweeps_delete(sweep_id: SweepId,
                  server: Server = DEFAULT_SERVER, token: Token = None) -> None:
    """Delete a sweep that has no queued or running trial, with its runs."""
    with connected(server, token) as lab:
        lab.sweep(sweep_id).delete()
    console.print(f"sweep {sweep_id} deleted", highlight=False)


def sweep_table(info: dict[str, Any]) -> Table:
    """The trials best first, the best run starred; each parameter a column."""
    paths = list(info["sweep"]["parameters"])
    table = Table(title=f"{info['name']}: {info['sweep']['method']} over "
                        f"{', '.join(paths)}, by {info['metric']}")
    table.add_column("#", justify="right")
    for path in paths:
        table.add_column(path, justify="right")
    for column in ("status", info["metric"], "run"):
        table.add_column(column, justify="right" if column == info["metric"] else "left",
                         no_wrap=column == "run")
    for row in ranked(info):
        star = " ★" if row["run_id"] == info["best_run_id"] else ""
        status = status_text(row["status"])
        if row.get("pruned_at") is not None:
            status += f" (pruned at epoch {row['pruned_at']})"
        table.add_row(str(row["number"]), *(_value(row[path]) for path in paths), status,
                      "" if row["score"] is None else fmt(row["score"]) + star, row["run_id"])
    if info["sweep"].get("repeats", 1) > 1:
        table.caption = "configurations, mean ± std over their seeds: " + "; ".join(
            f"#{c['config'] + 1} {fmt(c['mean'])} ± {fmt(c['std'])}"
            for c in info["configs"] if c["mean"] is not None)
    return table


def _value(value: Any) -> str:
    return fmt(value) if isinstance(value, float) else json.dumps(value)
