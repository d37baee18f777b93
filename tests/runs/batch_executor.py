"""A third executor, written as a batch scheduler's would be, to hold the executor core
to its promise: it writes only the two parts the core asks for (placing and watching).

Each run is a batch job of its own: a fresh Python process here, where a scheduler
would `sbatch` a script. It reads its Job from a file in its job folder, writes its
events to standard output as JSON lines (the same typed events that cross the process
queue and the Ray boundary), and looks for `stop` and `pause` files in its job folder,
as a job on a cluster's shared file system would. Run as `python -m
tests.runs.batch_executor FOLDER`, it is the job itself."""

from __future__ import annotations

import contextlib
import os
import pickle
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import IO, Any

from pydantic import TypeAdapter

from app.runs.executor_core import ExecutorCore
from app.runs.placement import Request, Worker, WorkerLost
from app.runs.worker import Job, worker_main
from app.spec.events import TrainingEvent

EVENTS: TypeAdapter[TrainingEvent] = TypeAdapter(TrainingEvent)
ROOT = Path(__file__).resolve().parents[2]


class BatchExecutor(ExecutorCore):
    """Every job gets a batch job of its own (no pool): at most `max_concurrent` at once."""

    def __init__(self, max_concurrent: int = 2, stop_timeout: float = 10.0) -> None:
        super().__init__(max_concurrent, stop_timeout)

    def poolable(self, job: Job) -> bool:
        return False

    def start_worker(self, job: Job | None) -> BatchJob:
        return BatchJob(Path(tempfile.mkdtemp(prefix="layerlab-batch-")))


class BatchJob(Worker):
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.process: subprocess.Popen[str] | None = None
        self.lines: queue.Queue[str | None] = queue.Queue()  # None: its output ended

    def begin(self, job: Job, gpu: int | None) -> None:
        (self.folder / "job.pickle").write_bytes(pickle.dumps(job))
        environment = {**os.environ, "PYTHONPATH": str(ROOT)}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.runs.batch_executor", str(self.folder)],
            stdout=subprocess.PIPE, text=True, env=environment, cwd=ROOT)
        assert self.process.stdout is not None
        threading.Thread(target=self._read, args=(self.process.stdout,), daemon=True).start()

    def _read(self, output: IO[str]) -> None:
        with output:
            for line in output:
                self.lines.put(line)
        self.lines.put(None)

    def signal(self, request: Request) -> None:
        (self.folder / request).touch()

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def receive(self, wait: float) -> list[TrainingEvent]:
        try:
            line = self.lines.get(timeout=wait)
        except queue.Empty:
            return []
        if line is None:
            assert self.process is not None
            code = self.process.wait()
            ending = f"signal {-code} (SIGKILL)" if code == -9 else f"exit code {code}"
            raise WorkerLost(f"the batch job ended with {ending}")
        return [EVENTS.validate_json(line)]

    def retire(self, clean: bool, timeout: float) -> bool:
        if self.process is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout)
        self.kill()
        shutil.rmtree(self.folder, ignore_errors=True)
        return False


class FileFlag:
    """A stop or pause request: a file in the job folder."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def is_set(self) -> bool:
        return self.path.exists()


class JsonLines:
    """The job's event queue: each event a JSON line on the real standard output."""

    def __init__(self, output: IO[str]) -> None:
        self.output = output

    def put(self, event: Any) -> None:
        self.output.write(event.model_dump_json() + "\n")
        self.output.flush()


def main(folder: Path) -> None:
    events = JsonLines(sys.stdout)
    sys.stdout = sys.stderr  # stray prints must not mix with the events
    job = pickle.loads((folder / "job.pickle").read_bytes())
    worker_main(job, events, FileFlag(folder / "stop"), FileFlag(folder / "pause"))  # type: ignore[arg-type]


if __name__ == "__main__":
    main(Path(sys.argv[1]))
