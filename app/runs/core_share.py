"""Threads follow the runs that train: a lone run gets every core of the machine, and when
a second run starts both take half at their next report.

Each worker process leaves a marker (a file named by its process id) in one folder of
the machine for as long as it trains. At each report, at most every CHECK_EVERY
seconds, a run counts the markers of live processes and sets PyTorch's threads to its
share of the cores. Files, not a counter in the server: the worker processes of any
executor on one machine (local processes, the actors Ray starts there) see each other
with nothing between them, and a worker that dies leaves a marker that the next count
clears (its process is gone). A run that cannot leave a marker (no writable temporary
folder) trains on the threads it started with."""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from pathlib import Path
from types import TracebackType

import torch

CHECK_EVERY = 0.5  # seconds between two counts of the runs training


def markers_folder() -> Path:
    """Where this machine's training runs leave their markers (one folder per user)."""
    return Path(tempfile.gettempdir()) / f"layerlab-training-{os.getuid()}"


def usable_cores() -> int:
    """The cores this process may run on (its affinity, where the platform tells)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: alive
        return True
    return True


class CoreShare:
    """This process's share of the cores while it trains (a context manager): `adjust`
    sets PyTorch's threads to the cores divided among the runs training now."""

    def __init__(self, cores: int | None = None, folder: Path | None = None) -> None:
        self.cores = cores or usable_cores()
        self.folder = folder or markers_folder()
        self.marker = self.folder / str(os.getpid())
        self._checked = -float("inf")
        self._shared = False  # the marker is down: the run counts among the others

    def __enter__(self) -> CoreShare:
        try:
            self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            self.marker.touch()
        except OSError:  # no room for markers (a read-only temp folder): threads as set
            return self
        self._shared = True
        self.adjust(now=True)
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        if self._shared:
            with contextlib.suppress(OSError):
                self.marker.unlink(missing_ok=True)

    def training(self) -> int:
        """The runs training on this machine now, this one included; the markers of
        processes that died are cleared."""
        count = 0
        for entry in os.scandir(self.folder):
            if not entry.name.isdigit():
                continue
            if _alive(int(entry.name)):
                count += 1
            else:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(entry.path)
        return max(1, count)

    def threads(self) -> int:
        """This run's share of the cores: at least one."""
        return max(1, self.cores // self.training())

    def adjust(self, now: bool = False) -> None:
        """Take this run's share of the cores, if it changed (at most every CHECK_EVERY
        seconds unless `now`)."""
        clock = time.monotonic()
        if not self._shared or (not now and clock - self._checked < CHECK_EVERY):
            return
        self._checked = clock
        try:
            threads = self.threads()
        except OSError:  # the folder went away: keep the threads as they are
            return
        if threads != torch.get_num_threads():
            torch.set_num_threads(threads)
