"""The Python client against the session's app (real runs service, real worker processes)."""

from __future__ import annotations

import importlib.util
import io
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from fastapi.testclient import TestClient
from rich.console import Console

from app.client import LayerLab, LayerLabError, Run, decode_array
from app.spec import NetworkSpec
from app.spec.training import TrainingSpec

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
TRAINING: dict[str, Any] = {"dataset": {"name": "circle", "options": {"n_samples": 400}},
                            "epochs": 2, "batch_size": 32, "device": "cpu"}
BAD_SPEC = {"input": {"shape": [1, 28, 28]},
            "layers": [{"id": "fc1", "type": "dense", "units": 10}]}


@pytest.fixture
def lab(client: TestClient) -> Iterator[LayerLab]:
    with LayerLab(http=client) as lab:
        yield lab


def _load_example(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_health_and_presets(lab: LayerLab) -> None:
    assert lab.url == "http://testserver"
    assert lab.health()["status"] == "ok"
    names = {p["name"] for p in lab.presets()}
    assert {"toy-mlp", "lenet5"} <= names
    assert lab.preset("toy-mlp")["input"]["shape"] == [2]
    with pytest.raises(LayerLabError) as missing:
        lab.preset("nope")
    assert missing.value.status == 404 and "no preset named 'nope'" in missing.value.detail


def test_validate_accepts_dicts_and_models(lab: LayerLab,
                                          presets: dict[str, NetworkSpec]) -> None:
    answer = lab.validate(presets["mnist-keras-cnn"])
    assert answer["valid"] and answer["total_params"] == 203_434
    assert lab.validate(lab.preset("toy-mlp"))["output_shape"] == [2]


def test_validate_errors_name_the_layer(lab: LayerLab) -> None:
    with pytest.raises(LayerLabError) as bad:
        lab.validate(BAD_SPEC)
    error = bad.value
    assert error.status == 422 and error.detail == "the network spec is invalid"
    assert [issue["layer_id"] for issue in error.errors] == ["fc1"]
    assert "fc1" in str(error) and "flatten" in str(error)


@pytest.mark.slow
def test_submit_wait_metrics_and_stream(lab: LayerLab) -> None:
    # long enough (a second or two) that the stream joins before the run ends
    run = lab.submit("toy-mlp", {**TRAINING, "epochs": 30}, name="client test")
    assert run.data["name"] == "client test" and run.data["status"] == "queued"
    messages = list(run.stream())
    assert messages[0]["kind"] == "snapshot" and messages[0]["run"]["id"] == run.id
    assert messages[-1]["kind"] == "finished" and messages[-1]["status"] == "completed"
    kinds = {m["kind"] for m in messages}
    assert {"metrics", "epoch"} <= kinds
    # a run starts in milliseconds: its started event can come before this subscriber
    # joined, and then the snapshot already says it runs
    assert "started" in kinds or messages[0]["run"]["status"] == "running"
    info = run.wait(timeout=60)
    assert info["status"] == run.status == "completed"
    assert info["test_metrics"]["test_accuracy"] > 0.5
    columns = run.metrics(names=["train_loss", "val_loss"])
    assert set(columns) == {"step", "epoch", "train_loss", "val_loss"}
    assert columns["step"] == list(range(1, info["step"] + 1))
    later = run.metrics(names="val_loss", since_step=5)
    assert later["step"] and all(step > 5 for step in later["step"])
    # a finished run: the snapshot alone, with every metric in it
    replay = list(lab.run(run.id).stream())
    assert [m["kind"] for m in replay] == ["snapshot"]
    assert replay[0]["metrics"]["steps"]["step"] == columns["step"]
    assert run.id in {r["id"] for r in lab.runs(status="completed", limit=500)}
    found, total = lab.runs_found(search="CLIENT test", sort="score", order="desc")
    assert run.id in {r["id"] for r in found} and total >= 1
    # a look inside: a POST view of one input, a GET view with options
    probabilities = run.inspect("predict", sample=0)["probabilities"]
    assert len(probabilities) == 2 and sum(probabilities) == pytest.approx(1)
    grid = run.inspect("boundary", resolution=20)
    assert decode_array(grid["predicted"]).shape == (20, 20)
    with pytest.raises(LayerLabError, match="no layer 'nope'"):
        run.inspect("activations", sample=0, layers=["nope"])
    # the views come from the run's own listing: a 2-D MLP has no filters or latent space
    assert {"boundary", "predict", "activations"} <= {v["name"] for v in run.views()}
    with pytest.raises(LayerLabError, match="no view 'latent' applies to run"):
        run.inspect("latent")


@pytest.mark.slow
def test_every_row_comes_a_page_of_steps_at_a_time(
        lab: LayerLab, monkeypatch: pytest.MonkeyPatch) -> None:
    """A long run's rows at full resolution come in pages the server bounds; the client
    puts them end to end, the same rows as one answer gives a short run."""
    run = lab.submit("toy-mlp", {**TRAINING, "epochs": 3})
    run.wait(timeout=60)
    whole = run.metrics(points=0)
    monkeypatch.setattr("app.client.runs.METRIC_PAGE_STEPS", 7)
    assert run.metrics() == whole
    assert run.metrics(since_step=10, until_step=20) == run.metrics(since_step=10, until_step=20,
                                                                    points=0)
    thin = run.metrics(names="train_loss", points=3)
    assert len(thin["step"]) <= 3 + 2 and thin["step"][0] == 1


def test_submit_models_then_delete(lab: LayerLab, presets: dict[str, NetworkSpec]) -> None:
    run = lab.submit(presets["toy-mlp"], TrainingSpec.model_validate(TRAINING | {"epochs": 1}))
    assert run.data["name"].startswith(presets["toy-mlp"].name + " #")  # numbered by default
    assert run.wait(timeout=60)["status"] == "completed"
    with pytest.raises(LayerLabError) as conflict:
        run.pause()
    assert conflict.value.status == 409 and "completed" in conflict.value.detail
    run.delete()
    with pytest.raises(LayerLabError) as gone:
        run.info()
    assert gone.value.status == 404


@pytest.mark.slow
def test_stop_and_wait_timeout(lab: LayerLab) -> None:
    run = lab.submit("toy-mlp", TRAINING | {"epochs": 1000})
    with pytest.raises(TimeoutError, match="still"):
        run.wait(timeout=0.2, poll=0.05)
    assert run.stop()["status"] in ("queued", "running", "stopped")
    assert run.wait(timeout=60)["status"] == "stopped"


def test_unknown_runs_raise_404(lab: LayerLab) -> None:
    with pytest.raises(LayerLabError) as missing:
        lab.run("0" * 32)
    assert missing.value.status == 404 and "no run with id" in missing.value.detail
    ghost = Run(lab, "0" * 32)
    for action in (ghost.stop, ghost.metrics, lambda: list(ghost.stream())):
        with pytest.raises(LayerLabError) as error:
            action()
        assert error.value.status == 404


def test_bad_runs_are_refused_with_the_reason(lab: LayerLab) -> None:
    with pytest.raises(LayerLabError) as bad:
        lab.submit("toy-mlp", TRAINING | {"dataset": {"name": "digits"}})
    assert bad.value.status == 422 and "set input.shape to [64]" in str(bad.value)
    with pytest.raises(LayerLabError) as unknown:
        lab.submit("nope", TRAINING)
    assert "no preset named" in unknown.value.detail


def _export_format(paths: dict[str, Any]) -> str:
    """A format of GET /api/v1/runs/{id}/export/{fmt}; skips while the route is missing."""
    route = next((p for p in paths if p.startswith("/api/v1/runs/{") and "/export/" in p), None)
    if route is None:
        pytest.skip("GET /api/v1/runs/{id}/export/{fmt} does not exist on this server yet")
    schema = paths[route]["get"]["parameters"][-1].get("schema", {})
    formats: list[str] = schema.get("enum") or ["safetensors"]
    return "safetensors" if "safetensors" in formats else formats[0]


@pytest.mark.slow
def test_export_when_the_server_has_it(lab: LayerLab, client: TestClient,
                                       tmp_path: Path) -> None:
    fmt = _export_format(client.get("/openapi.json").json()["paths"])
    run = lab.submit("toy-mlp", TRAINING | {"epochs": 1})
    assert run.wait(timeout=60)["status"] == "completed"
    written = run.export(fmt, tmp_path / "run.bin")
    assert written == tmp_path / "run.bin" and written.stat().st_size > 0
    into_folder = run.export(fmt, tmp_path)  # a folder: the server's file name
    assert into_folder.parent == tmp_path and into_folder.name != f"{run.id}.{fmt}"
    assert into_folder.stat().st_size == written.stat().st_size
    with pytest.raises(LayerLabError) as unknown:
        run.export("no-such-format", tmp_path / "nope")
    assert unknown.value.status in (404, 422) and not (tmp_path / "nope").exists()


@pytest.mark.slow
def test_the_lr_sweep_example(lab: LayerLab) -> None:
    sweep = _load_example("lr_sweep")
    out = io.StringIO()
    rows = sweep.main(lab, epochs=1, n_samples=200, timeout=120,
                      console=Console(file=out, width=120))
    assert [row["lr"] for row in rows] == [0.3, 0.1, 0.03, 0.01]
    assert all(row["status"] == "completed" for row in rows)
    assert all(row["val_loss"] is not None and row["test_accuracy"] is not None for row in rows)
    assert all(row["seconds"] is not None and row["seconds"] >= 0 for row in rows)
    assert "learning-rate sweep" in out.getvalue() and "0.03" in out.getvalue()


@pytest.mark.slow
def test_a_sweep_through_the_client(lab: LayerLab) -> None:
    from app.spec.sweep import Range

    sweep = lab.submit_sweep("toy-mlp", TRAINING | {"epochs": 1},
                             {"optimizer.lr": Range(low=1e-3, high=0.1, log=True),
                              "layers.hidden1.units": [4, 8]},
                             method="random", trials=3, seed=2, metric="test_accuracy",
                             name="client sweep")
    assert repr(sweep).startswith(f"Sweep('{sweep.id}'")
    info = sweep.wait(timeout=120)
    assert info["status"] == "finished" and info["counts"] == {"completed": 3}
    rows = sweep.table()
    assert [r["score"] for r in rows] == sorted((r["score"] for r in rows), reverse=True)
    assert set(rows[0]) == {"number", "run_id", "status", "score", "pruned_at",
                            "optimizer.lr", "layers.hidden1.units"}
    assert [c["scored"] for c in sweep.configurations()] == [1, 1, 1]
    best = sweep.best()
    assert best is not None and best.id == rows[0]["run_id"] == info["best_run_id"]
    assert [run.id for run in sweep.runs()] == [t["run_id"] for t in info["trials"]]
    assert any(s["id"] == sweep.id for s in lab.sweeps())
    assert lab.sweep(sweep.id).data["name"] == "client sweep"
    assert sweep.stop()["counts"] == {"completed": 3}  # nothing left to stop
    sweep.delete()
    with pytest.raises(LayerLabError) as gone:
        lab.sweep(sweep.id)
    assert gone.value.status == 404 and "no sweep with id" in str(gone.value)
    with pytest.raises(LayerLabError) as refused:
        lab.submit_sweep("toy-mlp", TRAINING, {"optimizer.lr": Range(low=1e-3, high=0.1)})
    assert refused.value.status == 422 and "a grid needs listed values" in str(refused.value)
