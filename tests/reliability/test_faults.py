"""Fault injection: each fault ends its run in a clear state with a reason, the server
and other runs go on, and nothing already acknowledged is lost.

The crashes are real: `kill -9` of a worker and of a `layerlab serve` process, a worker
that runs out of its memory cap, a loss that overflows, checkpoint files damaged on
disk, a SQLite database locked by another process and a PostgreSQL server stopped
mid-run, and a file-size limit that makes a checkpoint write fail like a full disk.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import torch

from app.client import LayerLab
from app.runs.in_process import run_local
from app.runs.process_executor import ProcessExecutor
from app.runs.service import RunService, RunStateError
from app.spec import parse_network
from app.spec.events import FinishedEvent, MetricsEvent, StartedEvent, TrainingEvent
from app.spec.training import TrainingSpec
from app.store import get_store
from app.train import CHECKPOINT_NAME
from app.train.checkpoint import load_checkpoint, previous_path, read_meta
from tests.postgres import postgres
from tests.reliability.servers import ServerProcess, alive, wait_until

pytestmark = pytest.mark.slow

TOY: dict[str, Any] = {"name": "toy", "input": {"shape": [2]}, "layers": [
    {"id": "h", "type": "dense", "units": 16, "activation": "tanh"},
    {"id": "out", "type": "dense", "units": 2},
]}
UNBOUNDED_BATCH_MB = "1000000"
FINAL = ("completed", "stopped", "failed", "diverged", "paused", "interrupted")


def toy_training(samples: int = 400, **overrides: Any) -> dict[str, Any]:
    return {"dataset": {"name": "circle", "options": {"n_samples": samples}}, "epochs": 3,
            "batch_size": 32, "optimizer": {"lr": 0.02}, "device": "cpu"} | overrides


def same_weights(a: Path, b: Path) -> bool:
    first, second = load_checkpoint(a).model, load_checkpoint(b).model
    return first.keys() == second.keys() and all(torch.equal(first[k], second[k])
                                                 for k in first)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """One server for the faults that leave it running; workers capped at 1 GiB, and the
    batch estimate lifted (its default, half the cap, would refuse the network that
    runs out of memory before it trains: the cap is what these faults exercise)."""
    with ServerProcess(tmp_path_factory.mktemp("faults-home"), LAYERLAB_WORKER_MEMORY_MB="1024",
                       LAYERLAB_LIMITS__MAX_BATCH_ACTIVATION_MB=UNBOUNDED_BATCH_MB,
                       LAYERLAB_STOP_TIMEOUT="3") as running:
        yield running


@pytest.fixture
def lab(server: ServerProcess) -> Iterator[LayerLab]:
    with server.client() as client:
        yield client


def test_kill_9_of_a_worker_fails_its_run_and_nothing_else(
        server: ServerProcess, lab: LayerLab, record_property: Any) -> None:
    """A worker killed mid-epoch: its run fails naming the signal; the run beside it and
    the server go on; the steps it had reported stay stored."""
    victim = lab.submit(TOY, toy_training(4000, epochs=400))
    wait_until(lambda: victim.info()["step"] > 0, what="the first steps")
    (pid,) = server.workers()  # the spare took the job; none is started while it runs
    # long enough to be seen running, and to be running still when its neighbour dies (a
    # 3-epoch toy run can go from queued to completed between two looks)
    other = lab.submit(TOY, toy_training(4000, epochs=12))
    wait_until(lambda: other.info()["status"] == "running", what="the second run")
    stored = len(victim.metrics("train_loss")["step"])
    os.kill(pid, signal.SIGKILL)

    failed = victim.wait(30)
    assert failed["status"] == "failed"
    assert "signal 9 (SIGKILL)" in failed["error"]
    assert 0 < failed["step"] < 400 * 100  # it died mid-run
    assert len(victim.metrics("train_loss")["step"]) >= stored
    assert other.wait(60)["status"] == "completed"
    assert lab.health()["status"] == "ok"
    record_property("detail", f"failed: {failed['error']}")


def test_kill_9_of_the_server_interrupts_and_resume_ends_with_the_same_weights(
        tmp_path: Path, record_property: Any) -> None:
    """The server dies mid-run: its worker goes with it (no orphan writes the run's
    files), the next server marks the run interrupted and keeps what was stored, and
    resuming it ends with the weights of a run that was never interrupted."""
    home = tmp_path / "home"
    training = toy_training(3000, epochs=6)
    first = ServerProcess(home).start()
    try:
        with first.client() as lab:
            run = lab.submit(TOY, training)
            wait_until(lambda: run.info()["epoch"] >= 2, what="two epochs")
            acknowledged = set(run.metrics("train_loss")["step"])
            workers = first.workers()
            assert workers, "no worker process found"
    finally:
        first.kill()
    wait_until(lambda: not any(alive(pid) for pid in workers), timeout=10,
               what="the orphaned worker's exit")
    checkpoint = home / "runs" / run.id / CHECKPOINT_NAME
    at_step = read_meta(checkpoint)["position"]["step"]

    with ServerProcess(home) as second, second.client() as lab:
        interrupted = lab.run(run.id).info()
        assert interrupted["status"] == "interrupted"
        assert "server stopped" in interrupted["error"]
        assert acknowledged <= set(lab.run(run.id).metrics("train_loss")["step"])
        resumed = lab.run(run.id)
        resumed.resume()
        reference = lab.submit(TOY, training)
        for each in (resumed, reference):
            assert each.wait(120)["status"] == "completed"
        steps = resumed.metrics("train_loss")["step"]
        assert steps == reference.metrics("train_loss")["step"]
    assert steps == sorted(set(steps))
    assert same_weights(checkpoint, home / "runs" / reference.id / CHECKPOINT_NAME)
    record_property("detail", f"resumed from step {at_step}; same final weights")


def test_a_network_too_big_for_the_memory_cap_fails_with_out_of_memory(
        server: ServerProcess, lab: LayerLab, record_property: Any) -> None:
    """Activations of 4096 x 65,536 floats (1 GiB a layer) in a worker capped at 1 GiB:
    the run fails 'out of memory', its worker is gone, the next run trains."""
    wide = {"name": "wide", "input": {"shape": [2]}, "layers": [
        {"id": "h", "type": "dense", "units": 65536, "activation": "relu"},
        {"id": "out", "type": "dense", "units": 2}]}
    spare = server.workers()
    run = lab.submit(wide, toy_training(5000, batch_size=4096, epochs=1))
    failed = run.wait(120)
    assert failed["status"] == "failed"
    assert failed["error"].startswith("out of memory")
    wait_until(lambda: not any(alive(pid) for pid in spare), timeout=10,
               what="the worker's exit")
    assert lab.submit(TOY, toy_training()).wait(60)["status"] == "completed"
    record_property("detail", failed["error"])


DEEP = {"name": "deep", "input": {"shape": [1]}, "layers": [
    {"id": "h1", "type": "dense", "units": 64, "activation": "relu"},
    {"id": "h2", "type": "dense", "units": 64, "activation": "relu"},
    {"id": "out", "type": "dense", "units": 1}]}
EXPLODING = {"dataset": {"name": "sine", "options": {"n_samples": 2000}}, "epochs": 5,
             "batch_size": 16, "optimizer": {"name": "sgd", "lr": 1.0}, "loss": "mse",
             "report_every": 7, "device": "cpu"}


def test_a_loss_that_overflows_ends_diverged_at_its_step(
        lab: LayerLab, record_property: Any) -> None:
    """SGD at lr 1 blows a ReLU net's MSE up within a report block of 7 steps: the run is
    diverged at the first non-finite step (as the same run in-process shows), not at
    the block's end, and no step after that block is trained."""
    replay: list[TrainingEvent] = []
    run_local(parse_network(DEEP), TrainingSpec.model_validate(EXPLODING), replay.append)
    losses = [v for e in replay if isinstance(e, MetricsEvent) for v in e.values["train_loss"]]
    first_bad = next(i for i, v in enumerate(losses) if not torch.isfinite(torch.tensor(v))) + 1
    assert first_bad % 7 != 0, "the overflow should fall inside a report block"

    info = lab.submit(DEEP, EXPLODING).wait(60)
    assert info["status"] == "diverged"
    assert info["step"] == first_bad
    assert f"at step {first_bad}" in info["error"]
    stored = lab.run(info["id"]).metrics("train_loss")["step"]
    assert stored == list(range(1, len(losses) + 1))  # the block it was found in, no more
    record_property("detail", info["error"])


# ---- faults below the API: a service on a real SQLite file and real workers ----

def settle(service: RunService, run_id: str, timeout: float = 120.0) -> Any:
    def done() -> Any:
        run = service.snapshot(run_id).run  # every event so far stored
        return run if run.status in FINAL else None

    return wait_until(done, timeout, what=f"the end of run {run_id}")


def events_of(service: RunService, run_id: str) -> list[TrainingEvent]:
    seen: list[TrainingEvent] = []
    service.subscribe(run_id, lambda _, event: seen.append(event))
    return seen


def test_a_damaged_checkpoint_is_refused_and_the_one_before_used(
        service: RunService, record_property: Any) -> None:
    """Bytes flipped inside the latest checkpoint's tensors: resuming refuses it (the
    digest does not match), says so, continues from the checkpoint before it and still
    ends with an uninterrupted run's weights."""
    training = TrainingSpec.model_validate(toy_training(3000, epochs=6))
    spec = parse_network(TOY)
    run = service.create(spec, training)
    wait_until(lambda: service.get(run.id).epoch >= 2, what="two epochs")
    service.pause(run.id)
    assert settle(service, run.id).status == "paused"
    latest = service.run_dir(run.id) / CHECKPOINT_NAME
    before = read_meta(previous_path(latest))["position"]["step"]
    assert before < read_meta(latest)["position"]["step"]
    data = bytearray(latest.read_bytes())
    for i in range(len(data) - 64, len(data) - 32):  # inside the tensors: the header parses
        data[i] ^= 0xFF
    latest.write_bytes(bytes(data))

    seen = events_of(service, run.id)
    service.resume(run.id)
    reference = service.create(spec, training)
    for run_id in (run.id, reference.id):
        assert settle(service, run_id).status == "completed"
    started = next(e for e in seen if isinstance(e, StartedEvent))
    assert started.notice is not None and "damaged" in started.notice
    assert f"step {before}" in started.notice
    assert latest.with_suffix(".damaged").exists()  # set aside, not rotated in
    assert same_weights(latest, service.run_dir(reference.id) / CHECKPOINT_NAME)
    record_property("detail", started.notice)


def test_steps_a_server_died_before_storing_come_back_when_the_run_resumes(
        service: RunService, tmp_path: Path, record_property: Any) -> None:
    """A busy server's recorder lags its worker: the worker trains to the end and writes
    its final checkpoint, then the server dies before storing the last steps. The store
    is left as such a server leaves it (steps past one point missing, the run running);
    the next server marks the run interrupted, and resuming it brings every step back
    from the journal beside the checkpoint, so it ends completed with the whole history
    (without the journal it ended completed at the lost point)."""
    run = service.create(parse_network(TOY), TrainingSpec.model_validate(
        toy_training(3000, epochs=4)))
    assert settle(service, run.id).status == "completed"
    whole = service.metrics(run.id).columns
    lost_after = whole["step"][len(whole["step"]) // 3]
    store = get_store(f"sqlite:///{tmp_path / 'runs.db'}")  # the next server's
    try:
        store.delete_metrics_after(run.id, lost_after)
        store.update_run(run.id, status="running", finished_at=None)
        after = RunService(store, ProcessExecutor(stop_timeout=3.0), tmp_path / "runs")
        try:
            assert after.recover() == [run.id]
            after.resume(run.id)
            assert settle(after, run.id).status == "completed"
            assert after.metrics(run.id).columns == whole
        finally:
            after.close()
    finally:
        store.close()
    record_property("detail", f"steps {lost_after + 1}-{whole['step'][-1]} restored")


def test_a_run_with_no_usable_checkpoint_refuses_to_resume_and_stays_intact(
        service: RunService, record_property: Any) -> None:
    """Both checkpoints cut short: resume is refused naming each, the run stays paused."""
    run = service.create(parse_network(TOY), TrainingSpec.model_validate(
        toy_training(3000, epochs=50)))
    wait_until(lambda: service.get(run.id).epoch >= 1, what="an epoch")
    service.pause(run.id)
    assert settle(service, run.id).status == "paused"
    latest = service.run_dir(run.id) / CHECKPOINT_NAME
    for path in (latest, previous_path(latest)):
        if path.exists():
            path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(RunStateError, match=r"cannot resume: checkpoint\.safetensors is "
                       r"damaged.*; checkpoint\.prev\.safetensors is damaged") as refused:
        service.resume(run.id)
    assert service.get(run.id).status == "paused"
    with pytest.raises(RunStateError, match="cannot be used"):
        service.weights(run.id)
    record_property("detail", str(refused.value)[:120])


def test_a_locked_database_is_waited_out_and_no_metric_is_lost(
        service: RunService, tmp_path: Path, caplog: pytest.LogCaptureFixture,
        record_property: Any) -> None:
    """Another process holds SQLite's write lock for 7 s (past its 5 s busy timeout)
    while a run reports: the recorder retries, and every step is stored."""
    caplog.set_level(logging.WARNING, logger="app.runs.recorder")
    run = service.create(parse_network(TOY), TrainingSpec.model_validate(
        toy_training(4000, epochs=8)))
    wait_until(lambda: service.get(run.id).step > 0, what="the first steps")
    with subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import sqlite3, time
        db = sqlite3.connect({str(tmp_path / 'runs.db')!r}, isolation_level=None)
        db.execute("BEGIN EXCLUSIVE")
        print("locked", flush=True)
        time.sleep(7)
        db.execute("COMMIT")
    """)], stdout=subprocess.PIPE, text=True) as locker:
        assert locker.stdout is not None and locker.stdout.readline().strip() == "locked"
        assert locker.wait(30) == 0
    done = settle(service, run.id)
    assert done.status == "completed", done.error
    steps = service.metrics(run.id, names=["train_loss"]).columns["step"]
    assert steps == list(range(1, done.step + 1))
    retried = [r.getMessage() for r in caplog.records if "retrying" in r.getMessage()]
    assert retried and "locked" in retried[0]
    record_property("detail", f"{done.step} steps stored; {retried[0][:60]}")


def test_postgres_restarting_mid_run_loses_no_metric(tmp_path: Path,
                                                     record_property: Any) -> None:
    """The PostgreSQL server stops for 3 s while a run reports: the recorder retries
    (a fresh pooled connection after it is back) and every step is stored."""
    with postgres() as pg:
        store = get_store(pg.url(pg.new_database()))
        runs = RunService(store, ProcessExecutor(stop_timeout=3.0), tmp_path / "runs")
        try:
            run = runs.create(parse_network(TOY), TrainingSpec.model_validate(
                toy_training(4000, epochs=8)))
            wait_until(lambda: runs.get(run.id).step > 0, what="the first steps")
            pg.stop()
            time.sleep(3)
            pg.launch()
            done = settle(runs, run.id)
            assert done.status == "completed", done.error
            steps = store.get_metrics(run.id, names=["train_loss"])["step"]
            assert steps == list(range(1, done.step + 1))
        finally:
            runs.close()
            store.close()
    record_property("detail", f"{done.step} steps stored across the restart")


DISK_FULL_WORKER = """
import json, resource, sys
from pathlib import Path
from app.runs.in_process import run_local
from app.spec import parse_network
from app.spec.training import TrainingSpec

folder, limit, spec, training = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY))
final = run_local(parse_network(json.loads(spec)),
                  TrainingSpec.model_validate(json.loads(training)), lambda event: None,
                  checkpoint_dir=folder, resume=folder / "checkpoint.safetensors")
print(final.model_dump_json())
"""


class PauseAfter:
    """A Control that pauses once `epochs` epochs are done."""

    def __init__(self, events: list[TrainingEvent], epochs: int) -> None:
        self.events, self.epochs = events, epochs

    def requested(self) -> Any:
        done = sum(1 for e in self.events if e.kind == "epoch")
        return "pause" if done >= self.epochs else None


def test_a_full_disk_while_checkpointing_keeps_the_previous_checkpoint(
        tmp_path: Path, record_property: Any) -> None:
    """The resumed worker may not write files past half a checkpoint's size (as on a
    full disk): the run fails saying which checkpoint stays valid, and it does."""
    training = toy_training(1000, epochs=4)
    seen: list[TrainingEvent] = []
    run_local(parse_network(TOY), TrainingSpec.model_validate(training), seen.append,
              checkpoint_dir=tmp_path, control=PauseAfter(seen, 2))
    latest = tmp_path / CHECKPOINT_NAME
    assert seen[-1].kind == "finished" and seen[-1].status == "paused"  # type: ignore[union-attr]
    paused = latest.read_bytes()
    worker = subprocess.run(
        [sys.executable, "-c", DISK_FULL_WORKER, str(tmp_path), str(len(paused) // 2),
         json.dumps(TOY), json.dumps(training)],
        capture_output=True, text=True, timeout=120, cwd=Path(__file__).parents[2])
    assert worker.returncode == 0, worker.stderr
    final = FinishedEvent.model_validate_json(worker.stdout.strip().splitlines()[-1])
    assert final.status == "failed"
    assert final.cause == "disk"
    assert (final.reason or "").startswith("file too large (a size limit of the disk or of the "
                                           "process) writing the checkpoint: ")
    step = read_meta(latest)["position"]["step"]
    assert f"the one taken at step {step} stays valid" in (final.reason or "")
    assert latest.read_bytes() == paused  # untouched, and still loads
    assert load_checkpoint(latest).meta["position"]["step"] == step
    assert not list(tmp_path.glob(".*.tmp"))  # the partial write was removed
    record_property("detail", final.reason)
