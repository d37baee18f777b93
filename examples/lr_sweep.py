"""A learning-rate sweep through the LayerLab client.

The toy MLP preset on the `circle` dataset with plain SGD at four learning rates: one
sweep queues a run per rate (the server runs a few at a time), waited for, and compared
in one table. In 15 epochs the largest rate separates the two classes while the smallest
has barely started.

    layerlab serve &
    python examples/lr_sweep.py --server http://127.0.0.1:8000
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from rich.console import Console
from rich.table import Table

from app.client import LayerLab

LEARNING_RATES = (0.3, 0.1, 0.03, 0.01)


def training(lr: float, epochs: int, n_samples: int) -> dict[str, Any]:
    return {"dataset": {"name": "circle", "options": {"n_samples": n_samples}},
            "optimizer": {"name": "sgd", "lr": lr}, "epochs": epochs, "batch_size": 32,
            "device": "cpu", "seed": 0}


def _seconds(run: dict[str, Any]) -> float | None:
    if not (run.get("started_at") and run.get("finished_at")):
        return None
    started, finished = (datetime.fromisoformat(run[k]) for k in ("started_at", "finished_at"))
    return (finished - started).total_seconds()


def main(client: LayerLab | None = None, *, server: str = "http://127.0.0.1:8000",
         token: str | None = None, learning_rates: Sequence[float] = LEARNING_RATES,
         epochs: int = 15, n_samples: int = 1000, timeout: float = 600,
         console: Console | None = None) -> list[dict[str, Any]]:
    """Run the sweep; return one row per learning rate: lr, run id, status, final
    val_loss, test accuracy and seconds."""
    lab = client or LayerLab(server, token=token)
    console = console or Console()
    try:
        sweep = lab.submit_sweep("toy-mlp", training(learning_rates[0], epochs, n_samples),
                                 {"optimizer.lr": list(learning_rates)}, name="sgd lr",
                                 metric="test_accuracy")
        console.print(f"sweep {sweep.id}: {len(learning_rates)} runs queued on {lab.url}")
        sweep.wait(timeout=timeout)
        rows = []
        for trial, run in zip(sweep.data["trials"], sweep.runs(), strict=True):
            info = run.info()
            column = run.metrics(names=["val_loss"]).get("val_loss", [])
            val_loss = [v for v in column if v is not None]
            rows.append({"lr": trial["params"]["optimizer.lr"], "id": run.id,
                         "status": info["status"],
                         "val_loss": val_loss[-1] if val_loss else None,
                         "test_accuracy": info["test_metrics"].get("test_accuracy"),
                         "seconds": _seconds(info)})
    finally:
        if client is None:
            lab.close()
    console.print(results_table(rows))
    return rows


def results_table(rows: list[dict[str, Any]]) -> Table:
    table = Table(title="SGD learning-rate sweep: toy MLP on circle")
    for column in ("lr", "status", "final val_loss", "test accuracy", "seconds"):
        table.add_column(column, justify="left" if column == "status" else "right")
    best = max((r["test_accuracy"] or 0.0 for r in rows), default=None)
    for row in rows:
        accuracy = row["test_accuracy"]
        shown = "" if accuracy is None else f"{accuracy:.3f}"
        table.add_row(f"{row['lr']:g}", row["status"],
                      "" if row["val_loss"] is None else f"{row['val_loss']:.4f}",
                      f"[bold green]{shown}[/]" if accuracy is not None and accuracy == best
                      else shown,
                      "" if row["seconds"] is None else f"{row['seconds']:.1f}")
    return table


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", default="http://127.0.0.1:8000")
    parser.add_argument("--token", default=os.environ.get("LAYERLAB_TOKEN"),
                        help="Access token, if the server has one (default: $LAYERLAB_TOKEN).")
    parser.add_argument("--epochs", type=int, default=15)
    args = parser.parse_args()
    main(server=args.server, token=args.token, epochs=args.epochs)
