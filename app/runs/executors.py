"""Executors by name (LAYERLAB_EXECUTOR), each module imported only when it is chosen, as
store backends are by URL scheme: a server that trains locally never imports Ray.

A new executor (see app.runs.executor_core) is one more entry in EXECUTORS and one more
value of the `executor` setting; a test holds the two lists equal."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from app.runs.executor import Executor


@dataclass(frozen=True)
class ExecutorOptions:
    """What the server's settings say about placing runs; each executor reads its part."""

    max_concurrent: int = 2
    per_user: int | None = None  # runs of one user placed at once (None: no limit)
    stop_timeout: float = 10.0
    worker_timeout: float = 120.0
    memory_mb: int | None = None
    ray_address: str | None = None
    ray_cpus_per_run: float = 1.0
    ray_gpus_per_run: float = 0.0
    ray_spares: int = 1


def _processes(options: ExecutorOptions) -> Executor:
    from app.runs.process_executor import ProcessExecutor

    return ProcessExecutor(options.max_concurrent, options.stop_timeout,
                           memory_mb=options.memory_mb, worker_timeout=options.worker_timeout,
                           per_user=options.per_user)


def _ray(options: ExecutorOptions) -> Executor:
    try:
        from app.runs.ray_executor import RayExecutor
    except ImportError as exc:
        raise RuntimeError(f"LAYERLAB_EXECUTOR=ray needs Ray ({exc}): pip install "
                           "'layerlab[ray]' (make install-dev installs it)") from None
    return RayExecutor(options.ray_address, options.ray_cpus_per_run,
                       options.ray_gpus_per_run, options.stop_timeout, options.ray_spares,
                       memory_mb=options.memory_mb, worker_timeout=options.worker_timeout,
                       per_user=options.per_user)


EXECUTORS: dict[str, Callable[[ExecutorOptions], Executor]] = {
    "local": _processes,
    "ray": _ray,
}


def make_executor(name: str, options: ExecutorOptions) -> Executor:
    """The executor registered as `name`, built with `options`."""
    try:
        factory = EXECUTORS[name]
    except KeyError:
        raise ValueError(f"unknown executor {name!r}; known: {', '.join(EXECUTORS)}") from None
    return factory(options)
