"""Runs on a Ray cluster: each run is a Ray actor that holds its resource request (CPUs,
GPUs or a fraction of one) for as long as it trains, and Ray queues the runs that do
not fit. LayerLab writes no cluster code of its own: placement, queueing, process
start-up and failure detection are Ray's.

A run asking for the default resources waits for the first warm actor: a spare, one
freed by a run that ended cleanly (reused, so a burst such as a sweep does not pay
PyTorch's imports per run), or a fresh one started for it, whichever is ready first.
That queue and pool are the executor core's (app.runs.executor_core); Ray still places
every actor and queues the ones that do not fit.

The actor runs the same `worker_main` as a local worker process (app.runs.ray_actor);
app.runs.ray_worker brings its events back. A run's files go to its run_dir as on one
machine, so on a cluster of several nodes the runs folder must be on storage every node
mounts at the same path.
"""

from __future__ import annotations

import ray

from app.runs.executor_core import WORKER_TIMEOUT, ExecutorCore
from app.runs.ray_actor import RunActor, start_ray
from app.runs.ray_worker import ActorWorker
from app.runs.worker import Job


class RayExecutor(ExecutorCore):
    """Each run is an actor asking Ray for `cpus` CPUs and `gpus` GPUs (a fraction
    shares one); runs that ask for no GPU (training.device "cpu") get none, and one
    that insists on "cuda" gets at least one. Actors with the default request are warm
    and reused: `spares` of them are kept ahead while nothing runs, one freed by a run
    that ended cleanly goes to the next waiting run, and each holds its resources while
    it waits. Fresh ones start one per node at a time, so that on a small machine their
    imports do not starve the runs training there. Other requests get an actor of their
    own, ended with their run.

    `memory_mb` caps each actor's data size as it caps a local worker's, and is also
    asked of Ray (its `memory` resource), so Ray places no more runs on a node than
    the node's memory holds."""

    def __init__(self, address: str | None = None, cpus: float = 1.0, gpus: float = 0.0,
                 stop_timeout: float = 10.0, spares: int = 1,
                 memory_mb: int | None = None, worker_timeout: float = WORKER_TIMEOUT,
                 per_user: int | None = None) -> None:
        self.cpus, self.gpus, self.memory_mb = cpus, gpus, memory_mb
        self._owns_ray = start_ray(address)
        self._actor_class = ray.remote(RunActor)
        self._nodes = max(1, sum(1 for node in ray.nodes() if node.get("Alive")))
        super().__init__(None, stop_timeout, spares, fresh_at_once=self._nodes,
                         worker_timeout=worker_timeout, per_user=per_user)

    def resources(self, job: Job) -> tuple[float, float]:
        """(CPUs, GPUs) the run asks Ray for."""
        device = job.training.device
        gpus = 0.0 if device in ("cpu", "mps") else self.gpus
        if device == "cuda" and gpus == 0:
            gpus = 1.0
        return self.cpus, gpus

    def poolable(self, job: Job) -> bool:
        return self.resources(job) == (self.cpus, self.gpus)

    def start_worker(self, job: Job | None) -> ActorWorker:
        cpus, gpus = (self.cpus, self.gpus) if job is None else self.resources(job)
        # threads: `run` holds one for the whole run; drain, stop and pause use others
        memory = {"memory": self.memory_mb * 2**20} if self.memory_mb else {}
        return ActorWorker(self._actor_class.options(
            num_cpus=cpus, num_gpus=gpus, max_concurrency=4, max_restarts=0,
            **memory).remote(self.memory_mb))

    def refuse(self, job: Job) -> str | None:
        """Why the cluster can never place this request, or None (Ray queues the rest)."""
        total = ray.cluster_resources()
        for name, wanted in zip(("CPU", "GPU"), self.resources(job), strict=True):
            have = total.get(name, 0.0)
            if wanted > have:
                return (f"the Ray cluster has {have:g} {name}(s) in all and this run asks "
                        f"for {wanted:g}: set LAYERLAB_RAY_{name}S_PER_RUN lower or add nodes")
        if self.memory_mb and self.memory_mb * 2**20 > total.get("memory", 0.0):
            have = total.get("memory", 0.0) / 2**20
            return (f"the Ray cluster has {have:,.0f} MB of memory for tasks in all and each "
                    f"run asks for {self.memory_mb:,} MB: set LAYERLAB_WORKER_MEMORY_MB lower "
                    "or add nodes")
        return None

    def shutdown(self) -> set[str]:
        interrupted = super().shutdown()
        if self._owns_ray:
            ray.shutdown()
        return interrupted
