"""A checkpoint alone rebuilds its model: `layerlab export CHECKPOINT --format ...` needs
no server and no database, and what it writes reproduces the trained network."""

from __future__ import annotations

import importlib.util
import json
import shutil
import sys
import zipfile
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest
import torch
from safetensors.torch import load_file

from app.nn import build
from app.nn.export import example_input
from app.spec import parse_network
from app.spec.events import TrainingEvent
from app.spec.training import TrainingSpec
from app.train import CHECKPOINT_NAME, train_network
from app.train.checkpoint import (
    CheckpointError,
    load_checkpoint,
    read_meta,
    save_checkpoint,
    trained_with,
)
from tests.nn.onnx_files import wave_model
from tests.test_cli import _layerlab

NETWORK = parse_network({"name": "Tiny net", "input": {"shape": [2]}, "layers": [
    {"id": "h", "type": "dense", "units": 8, "activation": "tanh"},
    {"id": "norm", "type": "batchnorm"},  # eval mode matters: running statistics
    {"id": "drop", "type": "dropout", "rate": 0.3},
    {"id": "out", "type": "dense", "units": 2},
]})
TRAINING = TrainingSpec.model_validate({
    "dataset": {"name": "circle"}, "epochs": 2, "batch_size": 32, "device": "cpu",
    "optimizer": {"lr": 0.01}})
# Settings that would fail any command that opened a database: export must not.
NO_DATABASE = {"LAYERLAB_DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/none"}


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A checkpoint of a tiny run trained in this process, moved away from its run."""
    run_dir = tmp_path_factory.mktemp("run")
    events: list[TrainingEvent] = []
    final = train_network(NETWORK, TRAINING, events.append, checkpoint_dir=run_dir)
    assert final.status == "completed", final.reason
    alone = tmp_path_factory.mktemp("alone") / "tiny.safetensors"
    shutil.copy(run_dir / CHECKPOINT_NAME, alone)
    return alone


def _trained(path: Path) -> torch.nn.Module:
    """The oracle: the network built from the spec, with the checkpoint's weights."""
    model = build(NETWORK, device="cpu")
    model.load_state_dict(load_checkpoint(path).model)
    return model.eval()


def test_the_checkpoint_carries_its_network_and_settings(checkpoint: Path) -> None:
    described = trained_with(read_meta(checkpoint), checkpoint.name)
    assert described.network == NETWORK
    assert described.training == TRAINING


def test_export_onnx_reproduces_the_trained_model(checkpoint: Path, tmp_path: Path) -> None:
    out = tmp_path / "tiny.onnx"
    result = _layerlab("export", str(checkpoint), "--format", "onnx", "-o", str(out),
                       env=NO_DATABASE)
    assert result.returncode == 0, result.stdout + result.stderr
    x = example_input(NETWORK, 5, seed=3)
    session = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    (got,) = session.run(None, {"input": x.numpy()})
    with torch.no_grad():
        expected = _trained(checkpoint)(x).numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)

    # ... and `layerlab import` reads it back: the same network and the same weights
    spec_file, weights_file = tmp_path / "tiny.json", tmp_path / "tiny.safetensors"
    back = _layerlab("import", str(out), "-o", str(spec_file), "--weights", str(weights_file),
                     env=NO_DATABASE)
    assert back.returncode == 0, back.stdout + back.stderr
    assert "its own LayerLab spec" in back.stderr
    assert parse_network(json.loads(spec_file.read_text())) == NETWORK
    state = load_file(weights_file)
    trained = _trained(checkpoint).state_dict()
    assert all(torch.equal(state[k], v) for k, v in trained.items()
               if not k.endswith("num_batches_tracked"))  # a count, not in an ONNX file


def test_import_names_each_operator_it_cannot_express(tmp_path: Path) -> None:
    path = tmp_path / "wave.onnx"
    path.write_bytes(wave_model())
    result = _layerlab("import", str(path), env=NO_DATABASE)
    assert result.returncode == 1 and result.stdout == ""
    assert "Sin (/wave/Sin): no layer does this" in result.stderr


def test_export_pytorch_into_a_folder(checkpoint: Path, tmp_path: Path) -> None:
    result = _layerlab("export", str(checkpoint), "-o", str(tmp_path), env=NO_DATABASE)
    assert result.returncode == 0, result.stdout + result.stderr
    archive = tmp_path / "Tiny_net.zip"  # the network's name; pytorch is the default
    with zipfile.ZipFile(archive) as zipped:
        zipped.extractall(tmp_path / "unzipped")
    spec = importlib.util.spec_from_file_location("exported_tiny", tmp_path / "unzipped" /
                                                  "model.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    sys.modules.pop("exported_tiny", None)
    model = module.TinyNet()
    model.load_state_dict(load_file(tmp_path / "unzipped" / "weights.safetensors"))
    x = example_input(NETWORK, 4, seed=4)
    with torch.no_grad():
        torch.testing.assert_close(model.eval()(x), _trained(checkpoint)(x))


def test_a_checkpoint_from_before_is_refused_by_name_and_still_resumes(
        checkpoint: Path, tmp_path: Path) -> None:
    old = load_checkpoint(checkpoint)
    for key in ("network", "training"):
        del old.meta[key]
    run_dir = tmp_path / "run"
    save_checkpoint(run_dir / CHECKPOINT_NAME, old)
    with pytest.raises(CheckpointError, match="before checkpoints carried their network"):
        trained_with(read_meta(run_dir / CHECKPOINT_NAME), CHECKPOINT_NAME)
    result = _layerlab("export", str(run_dir / CHECKPOINT_NAME), "--format", "onnx",
                       "-o", str(tmp_path / "x.onnx"), env=NO_DATABASE)
    assert result.returncode == 1
    assert "layerlab runs export" in result.stdout
    assert not (tmp_path / "x.onnx").exists()
    more = TRAINING.model_copy(update={"epochs": 3})
    final = train_network(NETWORK, more, lambda _: None, checkpoint_dir=run_dir,
                          resume=run_dir / CHECKPOINT_NAME)
    assert final.status == "completed" and final.epoch == 3


def test_a_network_this_version_cannot_read_is_named(checkpoint: Path) -> None:
    meta = read_meta(checkpoint)
    meta["network"]["layers"][0]["units"] = 0
    with pytest.raises(CheckpointError, match=r"holds a NetworkSpec this version cannot "
                                              r"read: h\.units: Input should be greater"):
        trained_with(meta, checkpoint.name)


def test_format_is_for_checkpoints_only(tmp_path: Path) -> None:
    spec = tmp_path / "net.json"
    spec.write_text(NETWORK.model_dump_json())
    result = _layerlab("export", str(spec), "--format", "onnx")
    assert result.returncode == 2
    assert "needs a checkpoint" in result.stdout


def test_an_output_folder_that_does_not_exist_is_an_error(checkpoint: Path,
                                                          tmp_path: Path) -> None:
    result = _layerlab("export", str(checkpoint), "--format", "onnx",
                       "-o", str(tmp_path / "nope" / "tiny.onnx"), env=NO_DATABASE)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "No such file or directory" in result.stdout and "Traceback" not in result.stderr
