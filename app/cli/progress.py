"""What the `layerlab` command shows: live training progress and tables of runs.

Everything here reads plain dicts (events as JSON, the API's answers), so a run in
this process and a run on a server are drawn the same way."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from app.spec.gradients import GRAD_NORM_PREFIX

STATUS_STYLE = {"completed": "green", "running": "cyan", "queued": "blue", "paused": "yellow",
                "stopped": "yellow", "interrupted": "yellow", "failed": "red",
                "diverged": "red"}


def fmt(value: Any) -> str:
    """A metric for people: 4 significant digits; None (a NaN on the wire) as nan."""
    if value is None:
        return "nan"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def status_text(status: str) -> str:
    return f"[{STATUS_STYLE.get(status, 'white')}]{status}[/]"


def _last(column: list[Any] | None) -> Any:
    """The newest value of a metric column that has one."""
    return next((v for v in reversed(column or []) if v is not None), None)


class TrainingProgress:
    """A live bar over the run's steps with the epoch, loss and accuracy; a line per epoch
    with the validation metrics. Feed it every message (snapshot or event) as a dict."""

    def __init__(self, console: Console, title: str, epochs: int) -> None:
        self.console, self.epochs = console, epochs
        self.steps_per_epoch: int | None = None
        self.final: dict[str, Any] | None = None
        self.progress = Progress(TextColumn("[bold]{task.description}"), BarColumn(),
                                 MofNCompleteColumn(), TextColumn("{task.fields[stats]}"),
                                 TimeElapsedColumn(), console=console)
        self.task: TaskID = self.progress.add_task(title, total=None, stats="waiting")
        self.loss: Any = None
        self.accuracy: Any = None

    def __enter__(self) -> TrainingProgress:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def _stats(self, epoch: int) -> str:
        parts = [f"epoch {min(epoch + 1, self.epochs)}/{self.epochs}"]
        if self.loss is not None:
            parts.append(f"loss {fmt(self.loss)}")
        if self.accuracy is not None:
            parts.append(f"acc {fmt(self.accuracy)}")
        return "  ".join(parts)

    def update(self, message: dict[str, Any]) -> None:
        kind = message.get("kind")
        if kind == "snapshot":
            run, columns = message["run"], message["metrics"]["steps"]["values"]
            self.loss = _last(columns.get("train_loss"))
            self.accuracy = _last(columns.get("train_accuracy"))
            self.progress.update(self.task, completed=run["step"],
                                 stats=f"{run['status']}  {self._stats(run['epoch'])}")
        elif kind == "started":
            self.steps_per_epoch = message["steps_per_epoch"]
            self.progress.update(self.task, total=self.epochs * message["steps_per_epoch"],
                                 completed=message["start_epoch"] * message["steps_per_epoch"],
                                 stats=f"on {message['device']}, {message['params']:,} params")
        elif kind == "metrics" and message["step"]:
            values = message["values"]
            self.loss = _last([self.loss, *values.get("train_loss", [])])
            self.accuracy = _last([self.accuracy, *values.get("train_accuracy", [])])
            self.progress.update(self.task, completed=message["step"][-1],
                                 stats=self._stats(message["epoch"][-1]))
        elif kind == "epoch":
            self._epoch_line(message)
        elif kind == "finished":
            self.final = message
            self.progress.update(self.task, stats=status_text(message["status"]))

    def _epoch_line(self, message: dict[str, Any]) -> None:
        epoch, step, metrics = message["epoch"], message["step"], message["metrics"]
        if self.steps_per_epoch is None:  # joined late: no started event seen
            self.steps_per_epoch = max(1, step // (epoch + 1))
            self.progress.update(self.task, total=self.epochs * self.steps_per_epoch)
        # one layer's gradient norm each would crowd the line: their ratio stands for them
        shown = "  ".join(f"{name} {fmt(value)}" for name, value in metrics.items()
                          if name != "lr" and not name.startswith(GRAD_NORM_PREFIX))
        memory = message.get("memory_mb")  # the run's peak so far
        took = f"{message['seconds']:.1f} s" + (f", {memory:.0f} MB peak" if memory else "")
        self.progress.console.print(f"epoch {epoch + 1}/{self.epochs}  {shown}  ({took})",
                                    highlight=False)
        self.progress.update(self.task, completed=step, stats=self._stats(epoch))


def metrics_table(title: str, metrics: dict[str, Any]) -> Table:
    table = Table(title=title)
    table.add_column("metric")
    table.add_column("value", justify="right")
    for name, value in sorted(metrics.items()):
        table.add_row(name, fmt(value))
    return table


def runs_table(runs: list[dict[str, Any]]) -> Table:
    table = Table(title=f"{len(runs)} run(s), newest first")
    table.add_column("id", no_wrap=True, min_width=32)  # whole: other commands take it
    for column in ("name", "status", "dataset", "epoch", "loss", "accuracy", "created"):
        table.add_column(column, justify="right" if column in ("epoch", "loss", "accuracy")
                         else "left")
    for run in runs:
        latest = run.get("latest_metrics") or {}
        loss = latest.get("val_loss", latest.get("train_loss"))
        accuracy = latest.get("val_accuracy", latest.get("train_accuracy"))
        table.add_row(run["id"], run["name"], status_text(run["status"]), run["dataset"],
                      str(run["epoch"]), fmt(loss) if loss is not None else "",
                      fmt(accuracy) if accuracy is not None else "",
                      run["created_at"][:19].replace("T", " "))
    return table


def run_table(run: dict[str, Any]) -> Table:
    training = run["training"]
    table = Table(title=f"run {run['id']}", show_header=False)
    table.add_column(style="bold")
    table.add_column()
    rows = [("name", run["name"]), ("status", status_text(run["status"])),
            ("network", f"{run['spec']['name']}: {len(run['spec']['layers'])} layers"),
            ("dataset", training["dataset"]["name"]),
            ("optimizer", f"{training['optimizer']['name']}, lr {training['optimizer']['lr']}"),
            ("progress", f"epoch {run['epoch']}/{training['epochs']}, step {run['step']}"),
            ("device", run.get("device") or ""), ("created", run["created_at"]),
            ("started", run.get("started_at") or ""), ("finished", run.get("finished_at") or "")]
    if run.get("origin"):
        rows.append(("origin", origin_text(run["origin"])))
    if run.get("error"):
        rows.append(("error", f"[red]{run['error']}[/]"))
    for name, metrics in (("latest", run.get("latest_metrics")), ("best", run.get("best_metrics")),
                          ("test", run.get("test_metrics"))):
        if metrics:
            rows.append((name, ", ".join(f"{k} {fmt(v)}" for k, v in sorted(metrics.items()))))
    for key, value in rows:
        table.add_row(key, value)
    return table


def origin_text(origin: dict[str, Any]) -> str:
    """Where a run's first weights came from, and which layers it took."""
    if origin["kind"] == "edit":
        text = f"continues run {origin['run_id']} from step {origin['step']}"
    elif origin["kind"] == "import":
        text = f"weights of imported network {origin['run_id']}"
    else:
        epoch = "" if origin.get("epoch") is None else f" (epoch {origin['epoch']})"
        text = f"weights of run {origin['run_id']}{epoch}"
    text += f"; took {', '.join(origin['loaded'])}"
    skipped = [f"{s['layer']} ({s['reason']})" for s in origin.get("skipped", [])]
    return text + (f"; fresh: {', '.join(skipped)}" if skipped else "")
