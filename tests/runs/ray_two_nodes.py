"""A driver for the two-node test (run as its own process: Ray connects once per
process, and the test session's own local Ray is another cluster). Starts a Ray
cluster of two nodes on this machine, one CPU each, with Ray's own test utility; a
RayExecutor joins it by address, as LAYERLAB_RAY_ADDRESS does, and trains two runs
that each ask for one CPU, so they can only run at once on different nodes. Prints
one JSON line: the nodes the executor saw, the runs' statuses, and whether both had
started before either ended."""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

from ray.cluster_utils import Cluster

from app.runs.ray_executor import RayExecutor
from tests.runs.test_executor_contract import LONG, Events, job

LOOPBACK = {"node_ip_address": "127.0.0.1", "num_cpus": 1, "include_dashboard": False}


def main() -> dict[str, object]:
    cluster = Cluster(initialize_head=True, head_node_args=dict(LOOPBACK))
    try:
        cluster.add_node(**{k: v for k, v in LOOPBACK.items() if k != "include_dashboard"})
        cluster.wait_for_nodes()
        executor = RayExecutor(address=cluster.address, cpus=1.0, spares=0, stop_timeout=5)
        events = Events()
        with tempfile.TemporaryDirectory() as folder:
            runs = [job(Path(folder), name, **LONG) for name in "ab"]
            for run in runs:
                executor.submit(run, events)
            for run in runs:
                events.wait(run.run_id, "metrics", timeout=240)
            together = all("finished" not in events.kinds(run.run_id) for run in runs)
            for run in runs:
                executor.stop(run.run_id)
            statuses = [events.final(run.run_id).status for run in runs]
            nodes = executor._nodes
            executor.shutdown()
        return {"nodes": nodes, "statuses": statuses, "together": together}
    finally:
        import ray

        ray.shutdown()
        cluster.shutdown()


if __name__ == "__main__":
    print(json.dumps(main()))
    sys.stdout.flush()
