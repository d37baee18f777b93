"""The GPU check (`make gpu-check`): every CUDA path of LayerLab on a GPU machine, in one
command, offline, in a few minutes; it writes gpu-check.json and gpu-check.md.

A GPU machine typically has Python and a CUDA build of PyTorch and nothing of ours.
The check uses that PyTorch and installs the rest from the wheels `make gpu-wheels`
prepared (`pip install --no-index`, in a virtual environment that sees the machine's
own packages) where the interpreter lacks them. Then, with a time limit each:

1. the CUDA-marked tests (tests/cuda: placement, fp16 with its scaler and fused
   optimizer, bf16, torch.compile with Triton, peak memory, a worker after a CUDA
   error), read back from their JUnit report;
2. the MLP of benchmarks/train_throughput.py: LayerLab's trainer vs a plain loop with a
   DataLoader and vs one written for speed (data on the device, no host sync; target
   >= 0.95x of it);
3. the Keras CNN preset to 97% on mnist-10k (benchmarks/time_to_accuracy.py; target
   < 5 s), LayerLab vs a plain loop.

Without CUDA it still runs: the tests are skipped, the benchmarks are not run, and the
table says so (the test suite runs it this way).

    python3 benchmarks/gpu_check.py [--wheels .gpu-wheels] [--out build/gpu-check]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import subprocess
import sys
import time
import venv
import xml.etree.ElementTree as ElementTree
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS = ROOT / "benchmarks"
REQUIREMENTS = BENCHMARKS / "gpu-requirements.txt"
NEEDED = ("fastapi", "sqlalchemy", "safetensors", "pytest", "httpx2", "torch")
TEST_LIMIT, BENCH_LIMIT = 240, 150  # seconds: the whole check stays under 8 minutes
TARGETS = {"resident": 0.95, "cnn_seconds": 5.0}


def missing_modules() -> list[str]:
    return [name for name in NEEDED if importlib.util.find_spec(name) is None]


def prepared_python(wheels: Path) -> str:
    """An interpreter that has everything: this one, or a virtual environment beside the
    machine's own packages (its PyTorch) with the rest installed offline from `wheels`."""
    missing = missing_modules()
    if not missing:
        return sys.executable
    if "torch" in missing:
        raise SystemExit("this Python has no PyTorch: the GPU check uses the machine's own")
    if not wheels.is_dir():
        raise SystemExit(f"{', '.join(missing)} missing and no wheels in {wheels}: run "
                         "`make gpu-wheels` on a machine with the package registry first")
    folder = ROOT / ".gpu-venv"
    venv.create(folder, system_site_packages=True, with_pip=True)
    python = str(folder / "bin" / "python")
    subprocess.run([python, "-m", "pip", "install", "--quiet", "--no-index", "--find-links",
                    str(wheels), "-r", str(REQUIREMENTS)], check=True)
    return python


def probe(python: str) -> dict[str, Any]:
    """What the machine is: its GPU, PyTorch and CUDA."""
    code = ("import json, torch; c = torch.cuda.is_available(); print(json.dumps({"
            "'torch': torch.__version__, 'cuda': torch.version.cuda if c else None, "
            "'gpu': torch.cuda.get_device_name(0) if c else None, "
            "'bf16': bool(c and torch.cuda.is_bf16_supported())}))")
    done = subprocess.run([python, "-c", code], capture_output=True, text=True, check=True)
    machine: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return machine | {"python": platform.python_version(), "host": platform.node()}


def run_tests(python: str, out: Path) -> dict[str, Any]:
    """The CUDA-marked tests, counted from their JUnit report."""
    report = out / "cuda-tests.xml"
    started = time.perf_counter()
    try:
        done = subprocess.run(
            [python, "-m", "pytest", "tests/cuda", "-m", "cuda", "-q", "-p", "no:cacheprovider",
             f"--junitxml={report}"], cwd=ROOT, capture_output=True, text=True,
            timeout=TEST_LIMIT, env=_environment())
    except subprocess.TimeoutExpired:
        return {"error": f"the CUDA tests took more than {TEST_LIMIT} s"}
    (out / "cuda-tests.log").write_text(done.stdout + done.stderr)
    if not report.exists():
        return {"error": f"pytest wrote no report (exit {done.returncode})"}
    counts = {"passed": 0, "failed": 0, "skipped": 0}
    failures = []
    for case in ElementTree.parse(report).iter("testcase"):
        outcome = next((c.tag for c in case if c.tag in ("failure", "error", "skipped")), None)
        if outcome in ("failure", "error"):
            counts["failed"] += 1
            failures.append(case.get("name", "?"))
        elif outcome == "skipped":
            counts["skipped"] += 1
        else:
            counts["passed"] += 1
    return counts | {"failures": failures, "seconds": round(time.perf_counter() - started, 1)}


def run_contender(python: str, script: str, contender: str) -> dict[str, Any]:
    """One benchmark contender on CUDA in a fresh process (its JSON line)."""
    try:
        done = subprocess.run([python, script, "--only", contender, "--device", "cuda"],
                              cwd=BENCHMARKS, capture_output=True, text=True,
                              timeout=BENCH_LIMIT, env=_environment())
    except subprocess.TimeoutExpired:
        return {"error": f"more than {BENCH_LIMIT} s"}
    if done.returncode != 0:
        return {"error": (done.stderr.strip().splitlines() or ["failed"])[-1][:300]}
    answer: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return answer


def run_benchmarks(python: str) -> dict[str, Any]:
    mlp = {name: run_contender(python, "train_throughput.py", name)
           for name in ("layerlab", "plain", "resident")}
    cnn = {name: run_contender(python, "time_to_accuracy.py", name)
           for name in ("layerlab", "tuned", "plain")}
    return {"mlp": mlp, "cnn": cnn}


def _environment() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT)}


def table(report: dict[str, Any]) -> str:
    """The check as the docs show it (Markdown)."""
    machine = report["machine"]
    lines = [f"GPU check of {report['when']}: {machine['gpu'] or 'no CUDA device'}, "
             f"torch {machine['torch']} (CUDA {machine['cuda'] or '-'}), Python "
             f"{machine['python']}", ""]
    tests = report["tests"]
    if "error" in tests:
        lines.append(f"CUDA tests: {tests['error']}")
    else:
        lines.append(f"CUDA tests: {tests['passed']} passed, {tests['failed']} failed, "
                     f"{tests['skipped']} skipped"
                     + (f" ({', '.join(tests['failures'])})" if tests["failures"] else ""))
    bench = report.get("benchmarks")
    if bench is None:
        lines += ["", "Benchmarks: not run (no CUDA device). This table has not yet come "
                  "from a GPU."]
        return "\n".join(lines) + "\n"
    lines += ["", "| benchmark | contender | seconds | LayerLab is | target |",
              "|---|---|---|---|---|"]
    mlp = bench["mlp"]
    ours = mlp["layerlab"].get("seconds")
    for name, result in mlp.items():
        seconds = result.get("seconds")
        ratio = f"{seconds / ours:.2f}x" if seconds and ours and name != "layerlab" else ""
        target = TARGETS.get(name)
        verdict = "" if target is None or not ratio else (
            f">= {target}x {'ok' if seconds / ours >= target else 'MISS'}")
        shown = f"{seconds:.2f}" if seconds else result.get("error", "-")
        lines.append(f"| MLP, 5 epochs | {name} | {shown} | {ratio} | {verdict} |")
    for name, result in bench["cnn"].items():
        seconds = result.get("seconds")
        verdict = ""
        if name == "layerlab" and seconds:
            goal = TARGETS["cnn_seconds"]
            verdict = f"< {goal} s {'ok' if seconds < goal else 'MISS'}"
        shown = f"{seconds:.2f}" if seconds else result.get("error", "-")
        lines.append(f"| Keras CNN to 97% | {name} | {shown} | | {verdict} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheels", type=Path, default=ROOT / ".gpu-wheels")
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "gpu-check")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    python = prepared_python(args.wheels)
    machine = probe(python)
    print(f"GPU check: {machine['gpu'] or 'no CUDA device'}, torch {machine['torch']}",
          flush=True)
    report: dict[str, Any] = {"when": time.strftime("%Y-%m-%d"), "machine": machine}
    report["tests"] = run_tests(python, args.out)
    print(f"CUDA tests: {report['tests']}", flush=True)
    if machine["cuda"]:
        report["benchmarks"] = run_benchmarks(python)
    (args.out / "gpu-check.json").write_text(json.dumps(report, indent=2) + "\n")
    text = table(report)
    (args.out / "gpu-check.md").write_text(text)
    print(text)
    tests = report["tests"]
    if "error" in tests or tests["failed"]:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
