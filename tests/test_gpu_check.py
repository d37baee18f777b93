"""The GPU check (`make gpu-check`) as it runs on a machine without CUDA: the CUDA tests
are found and skipped, no benchmark runs, and its table says it has not come from a
GPU."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


def test_without_cuda_the_check_skips_its_cuda_parts_and_says_so(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "gpu_check.py"),
                           "--out", str(tmp_path), "--wheels", str(tmp_path / "none")],
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads((tmp_path / "gpu-check.json").read_text())
    assert report["machine"]["cuda"] is None and report["machine"]["torch"]
    tests = report["tests"]
    assert tests["passed"] == tests["failed"] == 0 and tests["skipped"] >= 5
    assert "benchmarks" not in report
    table = (tmp_path / "gpu-check.md").read_text()
    assert "no CUDA device" in table and "has not yet come from a GPU" in table
