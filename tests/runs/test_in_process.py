"""run_local: the in-process entry scripts use. Bad input ends the run as failed with
the cause named; nothing raises."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path
from typing import Any

import pytest

from app.datasets import save_upload
from app.runs import run_local
from app.spec import parse_network
from app.spec.events import FinishedEvent, MetricsEvent, TrainingEvent
from tests.runs.conftest import TOY_NET, toy_training

SHARED_MNIST = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "mnist"


def _run(spec: Any = TOY_NET, **training: Any) -> tuple[FinishedEvent, list[TrainingEvent]]:
    events: list[TrainingEvent] = []
    final = run_local(spec, toy_training(**training), events.append)
    return final, events


def test_same_seed_same_metrics_on_cpu() -> None:
    a = [e for e in _run()[1] if isinstance(e, MetricsEvent)]
    b = [e for e in _run()[1] if isinstance(e, MetricsEvent)]
    assert a and len(a) == len(b)
    assert all(x.same_values(y) for x, y in zip(a, b, strict=True))


@pytest.mark.parametrize(("spec", "training", "words"), [
    (TOY_NET, {"task": "reconstruction"}, "supports classification, gan, not reconstruction"),
    (TOY_NET.model_copy(update={"layers": TOY_NET.layers[:1]}), {}, "has 2 classes"),
    (TOY_NET, {"dataset": {"name": "digits"}}, "set input.shape to [64]"),
    (TOY_NET, {"loss": "bce"}, "bce needs 2 classes and 1 output unit"),
    (TOY_NET, {"dataset": {"name": "circle", "options": {"noise": "lots"}}}, "noise"),
    (TOY_NET, {"dataset": {"name": "imagenet"}}, "unknown dataset 'imagenet'"),
])
def test_mismatches_fail_with_the_cause(spec: Any, training: dict[str, Any], words: str) -> None:
    final, events = _run(spec, **training)
    assert final.status == "failed"
    assert words in (final.reason or "")
    assert events == [final]  # nothing trained


def test_autoencoder_needs_the_input_shape_back() -> None:
    net = parse_network({"input": {"shape": [64]}, "layers": [
        {"id": "code", "type": "dense", "units": 8},
        {"id": "out", "type": "dense", "units": 63}]})
    final, _ = _run(net, dataset={"name": "digits"}, task="reconstruction")
    assert final.status == "failed" and "needs the input shape (64,)" in (final.reason or "")


def test_an_autoencoder_trains_on_digits() -> None:
    net = parse_network({"input": {"shape": [64]}, "layers": [
        {"id": "code", "type": "dense", "units": 16, "activation": "relu"},
        {"id": "out", "type": "dense", "units": 64, "activation": "sigmoid"}]})
    final, _ = _run(net, dataset={"name": "digits"}, task="reconstruction", epochs=5,
                    optimizer={"lr": 0.01})
    assert final.status == "completed"
    assert final.metrics["test_loss"] < 0.1


def test_corrupt_idx_file_fails_the_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if not SHARED_MNIST.is_dir():
        pytest.skip(f"the real MNIST files are not in {SHARED_MNIST}")
    for name in ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
        shutil.copy(SHARED_MNIST / name, tmp_path / name)
    images = tmp_path / "t10k-images-idx3-ubyte.gz"
    images.write_bytes(gzip.compress(gzip.decompress(images.read_bytes())[:5000]))
    monkeypatch.setenv("LAYERLAB_MNIST_DIR", str(tmp_path))
    net = parse_network({"input": {"shape": [1, 28, 28]}, "layers": [
        {"id": "flat", "type": "flatten"}, {"id": "out", "type": "dense", "units": 10}]})
    final, _ = _run(net, dataset={"name": "mnist-10k"})
    assert final.status == "failed"
    assert "t10k-images-idx3-ubyte.gz" in (final.reason or "")


def test_csv_without_rows_fails_the_run(tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAYERLAB_HOME", str(tmp_path))
    monkeypatch.setattr("app.datasets.uploads._process_folder", None)
    upload = save_upload(b"a,b,label\n")
    options = {"upload_id": upload, "target": "label", "task": "classification"}
    final, _ = _run(dataset={"name": "csv", "options": options})
    assert final.status == "failed"
    assert "no data rows" in (final.reason or "")


PRESET_RUNS = {
    "perceptron": {"dataset": {"name": "circle"}, "loss": "bce"},
    "toy-mlp": {"dataset": {"name": "xor"}},
    "digits-mlp": {"dataset": {"name": "digits"}},
    "lstm-sequence": {"dataset": {"name": "sine-forecast"}},
    "gru-sequence": {"dataset": {"name": "chars"}},
    "char-transformer": {"dataset": {"name": "chars",
                                     "options": {"seq_len": 64, "target": "shifted",
                                                 "stride": 16}}},
    "char-lstm": {"dataset": {"name": "chars", "options": {"seq_len": 64, "stride": 32}}},
    "translation-transformer": {"dataset": {"name": "number-words",
                                            "options": {"train_size": 500}}},
}


@pytest.mark.parametrize("preset", sorted(PRESET_RUNS))
def test_presets_train_on_their_datasets(preset: str, presets: dict[str, Any]) -> None:
    final, events = _run(presets[preset], epochs=1, **PRESET_RUNS[preset])
    assert final.status == "completed", final.reason
    losses = [v for e in events if isinstance(e, MetricsEvent) for v in e.values["train_loss"]]
    assert losses and all(v == v for v in losses)  # reported, and never NaN


@pytest.mark.parametrize(("training", "words"), [
    ({"early_stopping": {"enabled": True}, "validation_split": 0.0}, "validation_split"),
])
def test_config_mistakes_are_named_before_training(training: dict[str, Any], words: str) -> None:
    final, events = _run(**training)
    assert final.status == "failed" and words in (final.reason or "")
    assert events == [final]


def test_sequence_with_bce_is_refused(presets: dict[str, Any]) -> None:
    final, _ = _run(presets["gru-sequence"], dataset={"name": "chars"}, loss="bce")
    assert final.status == "failed" and "cross_entropy" in (final.reason or "")
