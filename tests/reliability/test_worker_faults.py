"""Faults of a worker that does not die: a worker process frozen by `kill -STOP` fails its
run once it has been silent past LAYERLAB_WORKER_TIMEOUT, and is killed and replaced so
the queued run behind it trains; a disk that fills mid-run (writes to /dev/full: a real
ENOSPC) fails the run at its first refused write, and the run resumes from its last
checkpoint to the end once there is room again. Real servers, real workers."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import time
from pathlib import Path
from typing import Any

import pytest

from app.client import LayerLabError
from tests.reliability.servers import ServerProcess, alive, wait_until

pytestmark = pytest.mark.slow

TOY: dict[str, Any] = {"name": "toy", "input": {"shape": [2]}, "layers": [
    {"id": "h", "type": "dense", "units": 16, "activation": "tanh"},
    {"id": "out", "type": "dense", "units": 2},
]}
TIMEOUT = 3  # LAYERLAB_WORKER_TIMEOUT of these servers, in seconds


def toy_training(samples: int, epochs: int) -> dict[str, Any]:
    return {"dataset": {"name": "circle", "options": {"n_samples": samples}},
            "epochs": epochs, "batch_size": 32, "optimizer": {"lr": 0.02}, "device": "cpu"}


def test_a_stopped_worker_fails_its_run_and_the_next_run_trains(
        tmp_path: Path, record_property: Any) -> None:
    """kill -STOP freezes every thread of the worker: no heartbeat comes, the run fails
    'the worker stopped responding' (and may resume: its worker, not its network,
    failed), the frozen process is killed, and the run queued behind it trains."""
    with ServerProcess(tmp_path / "home", LAYERLAB_WORKER_TIMEOUT=str(TIMEOUT),
                       LAYERLAB_MAX_CONCURRENT_RUNS="1") as server, server.client() as lab:
        victim = lab.submit(TOY, toy_training(4000, epochs=400))
        wait_until(lambda: victim.info()["step"] > 0, what="the first steps")
        (pid,) = server.workers()
        queued = lab.submit(TOY, toy_training(400, epochs=3))  # waits: one run at a time
        os.kill(pid, signal.SIGSTOP)
        frozen = time.monotonic()
        try:
            failed = victim.wait(60, poll=0.1)
            detected = time.monotonic() - frozen
        finally:
            if alive(pid):
                os.kill(pid, signal.SIGCONT)
        assert failed["status"] == "failed"
        assert failed["error"].startswith("the worker stopped responding (")
        assert failed["failure"] == "worker"
        wait_until(lambda: not alive(pid), timeout=10, what="the frozen worker's end")
        assert queued.wait(120)["status"] == "completed"
        assert victim.resume()["status"] in ("queued", "running")
        victim.stop()
    record_property("detail", f"failed {detected:.1f} s after SIGSTOP (timeout {TIMEOUT} s); "
                              "next run completed")


def test_a_sweep_resumes_the_trial_its_frozen_worker_failed(
        tmp_path: Path, record_property: Any) -> None:
    """A sweep's trial whose worker froze fails because of its worker; resuming the
    sweep resumes that trial, and leaves the one that was stopped as it is."""
    with ServerProcess(tmp_path / "home", LAYERLAB_WORKER_TIMEOUT=str(TIMEOUT),
                       LAYERLAB_MAX_CONCURRENT_RUNS="1") as server, server.client() as lab:
        sweep = lab.submit_sweep(TOY, toy_training(4000, epochs=400), {"seed": [1, 2]})
        first, second = sweep.runs()
        wait_until(lambda: first.info()["step"] > 0, what="the first trial's steps")
        (pid,) = server.workers()
        os.kill(pid, signal.SIGSTOP)
        try:
            failed = first.wait(60, poll=0.1)
        finally:
            if alive(pid):
                os.kill(pid, signal.SIGCONT)
        assert failed["status"] == "failed" and failed["failure"] == "worker"
        wait_until(lambda: second.info()["step"] > 0, what="the second trial's steps")
        second.stop()
        assert second.wait(30)["status"] == "stopped"
        trials = {t["run_id"]: t["status"] for t in sweep.resume()["trials"]}
        assert trials[first.id] in ("queued", "running") and trials[second.id] == "stopped"
        sweep.stop()
    record_property("detail", "the failed trial resumed, the stopped one stayed stopped")


def fill(path: Path) -> Path:
    """Make the next write of `path` (opened, written, renamed) hit a full disk; one the
    worker is writing now is left to it (the next one fails)."""
    with contextlib.suppress(FileExistsError):
        path.symlink_to("/dev/full")
    return path


def test_a_full_disk_fails_the_run_at_its_first_write_and_it_resumes_after(
        tmp_path: Path, record_property: Any) -> None:
    """The disk fills while a run trains (its next epochs' weight files are written to
    /dev/full): the run fails at the first of those writes, naming the disk, without
    training another step; a resume once the space is back ends completed."""
    home, epochs = tmp_path / "home", 40
    with ServerProcess(home, LAYERLAB_WORKER_TIMEOUT=str(TIMEOUT)) as server, \
            server.client() as lab:
        run = lab.submit(TOY, toy_training(2000, epochs))
        now = wait_until(lambda: run.info()["epoch"], what="the first epoch's end")
        folder = home / "runs" / run.id / "epochs"
        folder.mkdir(parents=True, exist_ok=True)
        planted = [fill(folder / f"epoch-{n:05d}.tmp") for n in range(now + 2, epochs)]
        failed = run.wait(120)
        assert failed["status"] == "failed", failed
        assert failed["failure"] == "disk"
        match = re.match(r"no space left on device writing the weights of epoch (\d+): "
                         r"its last checkpoint stays valid; free some space and resume",
                         failed["error"])
        assert match, failed["error"]
        epoch = int(match.group(1))
        assert epoch >= now + 2
        assert max(run.metrics("train_loss")["epoch"]) == epoch  # no step after it

        for path in planted:  # space is back
            path.unlink(missing_ok=True)
        assert run.resume()["status"] in ("queued", "running")
        done = run.wait(120)
        assert done["status"] == "completed", done
        assert done["epoch"] == epochs and done["failure"] is None
    record_property("detail", f"{failed['error'][:70]}; resumed to completed")


def test_a_run_whose_network_failed_refuses_to_resume(
        tmp_path: Path, record_property: Any) -> None:
    """Out of memory in a capped worker is the network's fault: the run is failed with
    the cause 'network', and resuming it is a 409 that says why."""
    wide = {"name": "wide", "input": {"shape": [2]}, "layers": [
        {"id": "h", "type": "dense", "units": 65536, "activation": "relu"},
        {"id": "out", "type": "dense", "units": 2}]}
    # the batch estimate lifted: the worker's memory cap is what this run meets
    with ServerProcess(tmp_path / "home", LAYERLAB_WORKER_MEMORY_MB="1024",
                       LAYERLAB_LIMITS__MAX_BATCH_ACTIVATION_MB="1000000") as server, \
            server.client() as lab:
        run = lab.submit(wide, toy_training(5000, 1) | {"batch_size": 4096})
        failed = run.wait(120)
        assert failed["status"] == "failed" and failed["failure"] == "network"
        with pytest.raises(LayerLabError) as refused:
            run.resume()
        assert refused.value.status == 409
        assert "cannot resume: its network or settings failed (out of memory" in (
            refused.value.detail)
        assert run.info()["status"] == "failed"
    record_property("detail", refused.value.detail[:100])
