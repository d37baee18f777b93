"""Sweeps through the Python client: one network and settings trained many times, the
server queuing a run per trial and ranking them.

    sweep = lab.submit_sweep("toy-mlp", {"dataset": {"name": "xor"}, "epochs": 5},
                             {"optimizer.lr": [0.1, 0.01], "layers.hidden1.units": [4, 16]})
    sweep.wait()
    print(sweep.table())          # a row per trial: its values, status and score
    best = sweep.best()           # the best completed trial's Run, or None
    sweep.importances()           # {"optimizer.lr": 0.93, ...}: what mattered

A search that learns: sweep={"method": "tpe", "trials": 20, "early_stopping": "median",
"parameters": {"optimizer.lr": {"low": 1e-4, "high": 0.1, "log": True}}}.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from app.client.wait import wait_until
from app.spec.sweep import SweepSpec

if TYPE_CHECKING:
    from app.client.lab import LayerLab, Run


class Sweep:
    """One sweep on the server. `data` is the last answer about it (see `info()`)."""

    def __init__(self, lab: LayerLab, sweep_id: str, data: dict[str, Any] | None = None) -> None:
        self.lab, self.id, self.data = lab, sweep_id, data or {}

    def __repr__(self) -> str:
        return f"Sweep({self.id!r}, status={self.data.get('status')!r})"

    def info(self) -> dict[str, Any]:
        """The sweep now: its settings, each trial's values, status and score, the best."""
        self.data = self.lab._json("GET", f"/sweeps/{self.id}")
        return self.data

    @property
    def status(self) -> str:
        """running while a trial is queued or running (or a search has more to ask for),
        then finished; stopped when it was stopped before every configuration was tried."""
        status: str = self.info()["status"]
        return status

    def wait(self, timeout: float | None = None, poll: float = 1.0) -> dict[str, Any]:
        """Poll until the sweep is finished or stopped; return its info."""
        return wait_until(self.info, lambda info: info["status"] in ("finished", "stopped"),
                          timeout, poll, lambda info: f"sweep {self.id} still has trials "
                                                      f"running ({info['counts']})")

    def configurations(self) -> list[dict[str, Any]]:
        """Each configuration tried: its values, its runs, their mean score and spread
        (several runs with repeats)."""
        configs: list[dict[str, Any]] = self.info()["configs"]
        return configs

    def importances(self) -> dict[str, float] | None:
        """How much each parameter mattered to the scores, summing to 1, most important
        first (Optuna's fANOVA); None while fewer than two configurations have a score."""
        found: dict[str, float] | None = self.lab._json(
            "GET", f"/sweeps/{self.id}/importances")["importances"]
        return found

    def table(self) -> list[dict[str, Any]]:
        """A row per trial, best first: see `ranked`."""
        return ranked(self.data or self.info())

    def best(self) -> Run | None:
        """The completed trial with the best score, as a Run; None before one completes."""
        run_id = self.info()["best_run_id"]
        return None if run_id is None else self.lab.run(run_id)

    def runs(self) -> list[Run]:
        """Every trial's run, in trial order (a deleted run is left out)."""
        from app.client.lab import Run

        return [Run(self.lab, t["run_id"]) for t in self.info()["trials"]
                if t["status"] != "deleted"]

    def stop(self) -> dict[str, Any]:
        """Stop every trial that has not ended."""
        self.data = self.lab._json("POST", f"/sweeps/{self.id}/stop")
        return self.data

    def resume(self) -> dict[str, Any]:
        """Resume every paused or interrupted trial, and every one that failed because of
        the disk or its worker, from its last checkpoint."""
        self.data = self.lab._json("POST", f"/sweeps/{self.id}/resume")
        return self.data

    def delete(self) -> None:
        """Delete the sweep and its trials' runs (stop it first)."""
        self.lab.request("DELETE", f"/sweeps/{self.id}")


def ranked(info: dict[str, Any]) -> list[dict[str, Any]]:
    """A sweep's trials (its info, as the server gives it) as rows, best first, trials
    without a score last in their order: number, run_id, status, score, then each
    parameter's value by its path."""
    rows = [{"number": t["number"], "run_id": t["run_id"], "status": t["status"],
             "score": t["score"], "pruned_at": t.get("pruned_at"), **t["params"]}
            for t in info["trials"]]
    sign = -1 if SweepSpec.model_validate(info["sweep"]).maximize else 1
    return sorted(rows, key=lambda r: (r["score"] is None,
                                       0 if r["score"] is None else sign * r["score"],
                                       r["number"]))
