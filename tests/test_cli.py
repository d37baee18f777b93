"""The `layerlab` command line, run as a real subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import MODELS_DIR


def _layerlab(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "160", **(env or {})}
    return subprocess.run([sys.executable, "-m", "app.cli", *args], capture_output=True,
                          text=True, timeout=120, env=env)


def test_validate_prints_a_table_of_layers() -> None:
    result = _layerlab("validate", str(MODELS_DIR / "mnist-keras-cnn.json"))
    assert result.returncode == 0, result.stderr
    assert "(64, 26, 26)" in result.stdout
    assert "203,434" in result.stdout


def test_validate_shows_a_network_too_big_to_train_and_the_setting_to_raise() -> None:
    result = _layerlab("validate", str(MODELS_DIR / "vgg16.json"))
    assert result.returncode == 0, result.stderr
    assert "(512, 7, 7)" in result.stdout
    assert "total params: 138,357,544" in result.stdout
    assert "not trainable here" in result.stdout
    assert "LAYERLAB_LIMITS__MAX_PARAMS" in result.stdout
    raised = _layerlab("validate", str(MODELS_DIR / "vgg16.json"),
                       env={"LAYERLAB_LIMITS__MAX_PARAMS": "150000000"})
    assert raised.returncode == 0, raised.stderr
    assert "not trainable here" not in raised.stdout


def test_validate_reports_errors_with_layer_ids(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"input": {"shape": [1, 28, 28]},
                               "layers": [{"id": "fc1", "type": "dense", "units": 10}]}))
    result = _layerlab("validate", str(bad))
    assert result.returncode == 1
    assert "fc1" in result.stdout and "flatten" in result.stdout


def test_validate_rejects_malformed_json(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{nope")
    result = _layerlab("validate", str(bad))
    assert result.returncode == 1
    assert "not valid JSON" in result.stdout


def test_export_writes_a_runnable_module(tmp_path: Path) -> None:
    out = tmp_path / "net.py"
    result = _layerlab("export", str(MODELS_DIR / "lenet5.json"), "-o", str(out))
    assert result.returncode == 0, result.stderr
    run = subprocess.run([sys.executable, str(out)], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "torch.Size([2, 10])" in run.stdout


def test_serve_refuses_a_public_host_without_token() -> None:
    result = _layerlab("serve", "--host", "0.0.0.0", env={"LAYERLAB_TOKEN": ""})
    assert result.returncode == 2
    assert "LAYERLAB_TOKEN" in result.stdout
