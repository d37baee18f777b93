"""The Ray executor on a cluster it joins by address, of two nodes (both on this
machine, loopback only): runs that each fill a node train at the same time, one per
node."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


def test_runs_spread_over_the_nodes_of_a_cluster_joined_by_address() -> None:
    pytest.importorskip("ray")
    from app.runs.ray_actor import LOCAL_ONLY

    # the nodes listen on the loopback address, and a driver takes the node address of
    # its own machine: with Ray's cluster mode off (as LayerLab's local Ray has it),
    # that is the loopback one too
    env = {**os.environ, LOCAL_ONLY: "0"}
    driver = subprocess.Popen([sys.executable, "-m", "tests.runs.ray_two_nodes"], cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              env=env, start_new_session=True)
    try:
        out, err = driver.communicate(timeout=420)
    except subprocess.TimeoutExpired:
        os.killpg(driver.pid, signal.SIGKILL)  # the driver and the cluster it started
        out, err = driver.communicate()
        raise AssertionError(f"the two-node driver hung: {err[-4000:]}") from None
    assert driver.returncode == 0, out[-2000:] + err[-4000:]
    found = json.loads(out.strip().splitlines()[-1])
    assert found == {"nodes": 2, "statuses": ["stopped", "stopped"], "together": True}
