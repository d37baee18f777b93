"""`layerlab train`, `layerlab runs` and `layerlab sweeps`, run as real subprocesses; the
runs and sweeps commands and the client's websocket path against a real `layerlab serve`
with an access token."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest
from PIL import Image

from app.client import LayerLab, LayerLabError, Run
from tests.test_client import _export_format
from tests.train.test_gan import TINY_GAN

TOKEN = "cli-test-token-0123456789-abcdefgh"
pytestmark = pytest.mark.slow
SMALL = ("--dataset", "circle", "-O", "n_samples=200", "--device", "cpu")


def _layerlab(*args: str, env: dict[str, str] | None = None,
              timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "160", "LAYERLAB_TOKEN": "", **(env or {})}
    return subprocess.run([sys.executable, "-m", "app.cli", *args], capture_output=True,
                          text=True, timeout=timeout, env=env)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`layerlab serve` on a free port with its own home and a token; always terminated."""
    home = tmp_path_factory.mktemp("layerlab-serve")
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "LAYERLAB_HOME": str(home), "LAYERLAB_TOKEN": TOKEN,
           "LAYERLAB_STOP_TIMEOUT": "3"}
    with (home / "serve.log").open("w") as log:
        process = subprocess.Popen([sys.executable, "-m", "app.cli", "serve", "--port",
                                    str(port)], stdout=log, stderr=subprocess.STDOUT, env=env)
        try:
            deadline = time.monotonic() + 90
            while True:
                try:
                    if httpx2.get(f"{url}/api/v1/health", timeout=2).status_code == 200:
                        break
                except httpx2.TransportError:
                    pass
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("layerlab serve did not start:\n"
                                       + (home / "serve.log").read_text())
                time.sleep(0.2)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def test_train_in_process_prints_test_metrics() -> None:
    result = _layerlab("train", "--preset", "toy-mlp", "--epochs", "2", *SMALL)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "epoch 2/2" in result.stdout and "val_loss" in result.stdout
    assert " MB peak)" in result.stdout  # each epoch's line ends with the run's peak memory
    # the gradient reaches the first layer: one ratio per epoch, not a norm per layer
    assert "grad_norm_ratio" in result.stdout and "grad_norm/" not in result.stdout
    assert "test_accuracy" in result.stdout and "run completed" in result.stdout


def test_train_a_bad_combination_exits_1_with_the_reason() -> None:
    result = _layerlab("train", "--preset", "toy-mlp", "--dataset", "digits", "--epochs", "2")
    assert result.returncode == 1
    assert "run failed" in result.stdout and "set input.shape to [64]" in result.stdout


def test_train_needs_one_network() -> None:
    result = _layerlab("train", "--dataset", "circle")
    assert result.returncode == 2 and "--preset" in result.stdout


def test_train_on_a_server_then_list_and_show(server: str) -> None:
    auth = {"LAYERLAB_TOKEN": TOKEN}
    trained = _layerlab("train", "--preset", "toy-mlp", "--epochs", "2", *SMALL,
                        "--server", server, "--name", "cli server run", env=auth)
    assert trained.returncode == 0, trained.stdout + trained.stderr
    assert "test_accuracy" in trained.stdout and "run completed" in trained.stdout
    found = re.search(r"run ([0-9a-f]{32}) on ", trained.stdout)
    assert found, trained.stdout
    run_id = found.group(1)

    listed = _layerlab("runs", "list", "--server", server, env=auth)
    assert listed.returncode == 0, listed.stdout + listed.stderr
    assert run_id in listed.stdout and "completed" in listed.stdout
    searched = _layerlab("runs", "list", "-q", "cli server", "--sort", "name", "--server",
                         server, env=auth)
    assert searched.returncode == 0 and run_id in searched.stdout, searched.stdout
    missed = _layerlab("runs", "list", "-q", "no such words", "--server", server, env=auth)
    assert missed.returncode == 0 and run_id not in missed.stdout, missed.stdout

    shown = _layerlab("runs", "show", run_id, "--server", server, env=auth)
    assert shown.returncode == 0, shown.stdout + shown.stderr
    assert "cli server run" in shown.stdout and "test_accuracy" in shown.stdout

    stopped = _layerlab("runs", "stop", run_id, "--server", server, env=auth)
    assert stopped.returncode == 1 and "409" in stopped.stdout  # it is already over

    refused = _layerlab("runs", "list", "--server", server, "--token", "wrong" * 4)
    assert refused.returncode == 1 and "401" in refused.stdout


def test_train_on_a_server_refuses_a_bad_combination(server: str) -> None:
    result = _layerlab("train", "--preset", "toy-mlp", "--dataset", "digits", "--server",
                       server, env={"LAYERLAB_TOKEN": TOKEN})
    assert result.returncode == 1
    assert "422" in result.stdout and "set input.shape to [64]" in result.stdout


def test_runs_commands_need_a_server() -> None:
    result = _layerlab("runs", "show", "abc", "--server", f"http://127.0.0.1:{_free_port()}")
    assert result.returncode == 1 and "cannot reach" in result.stdout


def test_client_streams_over_a_real_websocket(server: str) -> None:
    with LayerLab(server, token=TOKEN) as lab:
        run = lab.submit("toy-mlp", {"dataset": {"name": "circle",
                                                 "options": {"n_samples": 200}},
                                     "epochs": 1, "device": "cpu"})
        messages = list(run.stream())
        assert messages[0]["kind"] == "snapshot"
        assert messages[-1]["kind"] == "finished" and messages[-1]["status"] == "completed"
        assert [m["kind"] for m in run.stream()] == ["snapshot"]  # over: the snapshot alone
        with pytest.raises(LayerLabError) as missing:
            list(Run(lab, "0" * 32).stream())
        assert missing.value.status == 404
    with LayerLab(server) as anonymous, pytest.raises(LayerLabError) as refused:
        list(Run(anonymous, run.id).stream())
    assert refused.value.status == 401


def test_runs_export(server: str, tmp_path: Path) -> None:
    schema = httpx2.get(f"{server}/openapi.json", headers={"Authorization": f"Bearer {TOKEN}"})
    fmt = _export_format(schema.json()["paths"])
    with LayerLab(server, token=TOKEN) as lab:
        run = lab.submit("toy-mlp", {"dataset": {"name": "circle",
                                                 "options": {"n_samples": 200}},
                                     "epochs": 1, "device": "cpu"})
        assert run.wait(timeout=120)["status"] == "completed"
    target = tmp_path / f"export.{fmt}"
    result = _layerlab("runs", "export", run.id, fmt, "-o", str(target), "--server", server,
                       env={"LAYERLAB_TOKEN": TOKEN})
    assert result.returncode == 0, result.stdout + result.stderr
    assert target.stat().st_size > 0 and "wrote" in result.stdout


def test_train_from_another_run_then_continue_it(server: str) -> None:
    """--init-from takes a run's weights; `runs continue` goes on from a run with more
    epochs and a new learning rate; both print which layers were taken."""
    auth = {"LAYERLAB_TOKEN": TOKEN}
    first = _layerlab("train", "--preset", "toy-mlp", "--epochs", "1", *SMALL,
                      "--server", server, env=auth)
    assert first.returncode == 0, first.stdout + first.stderr
    found = re.search(r"run ([0-9a-f]{32}) on ", first.stdout)
    assert found, first.stdout
    source = found.group(1)
    second = _layerlab("train", "--preset", "toy-mlp", "--epochs", "1", *SMALL,
                       "--server", server, "--init-from", source, env=auth)
    assert second.returncode == 0, second.stdout + second.stderr
    assert f"weights of run {source}; took hidden1, hidden2, out" in second.stdout

    more = _layerlab("runs", "continue", source, "--epochs", "3", "--lr", "0.0005",
                     "--server", server, env=auth)
    assert more.returncode == 0, more.stdout + more.stderr
    assert f"continues run {source} from step" in more.stdout
    child = re.search(r"run ([0-9a-f]{32}): continues", more.stdout)
    assert child, more.stdout
    shown = _layerlab("runs", "show", child.group(1), "--server", server, env=auth)
    assert "lr 0.0005" in shown.stdout and f"continues run {source}" in shown.stdout

    alone = _layerlab("train", "--preset", "toy-mlp", *SMALL, "--init-from", source)
    assert alone.returncode == 2 and "needs --server" in alone.stdout


def test_train_a_gan_on_a_server_then_save_its_samples(server: str, tmp_path: Path) -> None:
    auth = {"LAYERLAB_TOKEN": TOKEN}
    spec = tmp_path / "gan.json"
    spec.write_text(json.dumps(TINY_GAN))
    trained = _layerlab("train", str(spec), "--dataset", "digits", "-O", 'layout="image"',
                        "--task", "gan", "--epochs", "2", "--device", "cpu",
                        "--set", "gan.sample_every=5", "--set", "gan.samples=9",
                        "--server", server, env=auth)
    assert trained.returncode == 0, trained.stdout + trained.stderr
    assert "test_discriminator" in trained.stdout
    run_id = re.search(r"run ([0-9a-f]{32}) on ", trained.stdout).group(1)  # type: ignore[union-attr]

    saved = _layerlab("runs", "samples", run_id, "-o", str(tmp_path / "grid.png"),
                      "--step", "5", "--server", server, env=auth)
    assert saved.returncode == 0, saved.stdout + saved.stderr
    assert "9 samples of step 5 (epoch 0;" in saved.stdout
    with Image.open(tmp_path / "grid.png") as image:  # 3x3 tiles of 8+2 pixels, scaled 4x
        assert image.size == (120, 120) and image.mode == "L"

    wrong = _layerlab("runs", "samples", run_id, "-o", str(tmp_path / "grid.csv"),
                      "--server", server, env=auth)
    assert wrong.returncode == 2 and "written as .png" in wrong.stdout


def test_a_bad_setting_is_named() -> None:
    result = _layerlab("train", "--preset", "toy-mlp", *SMALL, "--set", "gan.d_steps=99")
    assert result.returncode == 1 and "gan.d_steps" in result.stdout
    result = _layerlab("train", "--preset", "toy-mlp", *SMALL, "--set", "epochs.x=1")
    assert result.returncode == 2 and "epochs is not a group" in result.stdout


def test_sweeps_start_follow_show_and_delete(server: str, tmp_path: Path) -> None:
    auth = {"LAYERLAB_TOKEN": TOKEN}
    body = {"name": "cli sweep", "model": {"preset": "toy-mlp"},
            "training": {"dataset": {"name": "circle", "options": {"n_samples": 200}},
                         "epochs": 1, "device": "cpu"},
            "sweep": {"parameters": {"optimizer.lr": [0.05, 0.001]}}}
    path = tmp_path / "sweep.json"
    path.write_text(json.dumps(body))
    started = _layerlab("sweeps", "start", str(path), "--wait", "--server", server, env=auth)
    assert started.returncode == 0, started.stdout + started.stderr
    found = re.search(r"sweep ([0-9a-f]{32}): 2 trial\(s\) queued", started.stdout)
    assert found, started.stdout
    sweep_id = found.group(1)
    assert "cli sweep: grid over optimizer.lr, by val_loss" in started.stdout
    assert started.stdout.count("completed") == 2 and "★" in started.stdout
    listed = _layerlab("sweeps", "list", "--server", server, env=auth)
    assert sweep_id in listed.stdout and "2 completed" in listed.stdout
    shown = _layerlab("sweeps", "show", sweep_id, "--json", "--server", server, env=auth)
    info = json.loads(shown.stdout)
    assert info["counts"] == {"completed": 2} and info["best_run_id"] in shown.stdout
    deleted = _layerlab("sweeps", "delete", sweep_id, "--server", server, env=auth)
    assert deleted.returncode == 0 and f"sweep {sweep_id} deleted" in deleted.stdout
    gone = _layerlab("sweeps", "show", sweep_id, "--server", server, env=auth)
    assert gone.returncode == 1 and "no sweep with id" in gone.stdout
    body["sweep"] = {"parameters": {"layers.nope.units": [4]}}
    path.write_text(json.dumps(body))
    refused = _layerlab("sweeps", "start", str(path), "--server", server, env=auth)
    assert refused.returncode == 1 and "with a layer of this network" in refused.stdout
