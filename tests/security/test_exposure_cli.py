"""`layerlab serve` on a public address without a token refuses to start (the real CLI)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

LAYERLAB = Path(sys.executable).parent / "layerlab"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.parametrize("host, token", [("0.0.0.0", None), ("::", "")],
                         ids=["ipv4-any-no-token", "ipv6-any-empty-token"])
def test_public_bind_without_a_token_refuses_to_start(
        tmp_path: Path, host: str, token: str | None,
        record_property: pytest.RecordProperty) -> None:
    """Exits non-zero within seconds, names LAYERLAB_TOKEN, and nothing listens on the port."""
    assert LAYERLAB.is_file(), f"{LAYERLAB} is not installed"
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAYERLAB_")}
    env |= {"LAYERLAB_HOME": str(tmp_path / "home"), "NO_COLOR": "1", "COLUMNS": "200"}
    if token is not None:
        env["LAYERLAB_TOKEN"] = token
    started = time.monotonic()
    done = subprocess.run([str(LAYERLAB), "serve", "--host", host, "--port", str(port)],
                          env=env, capture_output=True, text=True, timeout=60)
    took = time.monotonic() - started
    output = done.stdout + done.stderr
    assert done.returncode != 0, output
    assert "LAYERLAB_TOKEN" in output, output
    # The refusal waits for `import app.api` (PyTorch), which cli.serve does first: ~5 s.
    assert took < 20, f"took {took:.1f} s to refuse"
    assert not _listening(port)
    assert not (tmp_path / "home" / "layerlab.db").exists()  # it stopped before any set-up
    record_property("detail", f"exit {done.returncode} in {took:.1f} s")
