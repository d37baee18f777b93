"""Two DELETEs of one run at the same time: one removes it (204), the other finds it gone
(404). Both requests read the run before either removes it: a real SQLite store whose
reads meet at a barrier forces that interleaving every time, rather than by luck."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from app.runs.process_executor import ProcessExecutor
from app.runs.service import RunNotFound, RunService
from app.spec.network import NetworkSpec
from app.spec.training import TrainingSpec
from app.store import get_store
from app.store.base import RunRecord, RunStore


class ReadTogether:
    """A real store whose `get_run` waits until `parties` readers are reading (once armed)."""

    def __init__(self, store: RunStore) -> None:
        self.store = store
        self.barrier: threading.Barrier | None = None

    def get_run(self, run_id: str) -> RunRecord | None:
        run = self.store.get_run(run_id)
        if self.barrier is not None:
            self.barrier.wait(timeout=10)
        return run

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)


@pytest.fixture
def racing(tmp_path: Path, presets: dict[str, NetworkSpec]
           ) -> Iterator[tuple[RunService, ReadTogether]]:
    store = ReadTogether(get_store(f"sqlite:///{tmp_path / 'runs.db'}"))
    runs = RunService(store, ProcessExecutor(max_concurrent=1, stop_timeout=3.0),
                      tmp_path / "runs")
    yield runs, store
    runs.close()
    store.store.close()


def _completed_run(store: RunStore, spec: NetworkSpec) -> str:
    run_id = uuid.uuid4().hex
    store.create_run(RunRecord(id=run_id, name="twice", status="completed", spec=spec,
                               training=TrainingSpec.model_validate({"dataset": {"name": "xor"}}),
                               created_at=datetime.now(UTC)))
    return run_id


def _delete(runs: RunService, run_id: str) -> str:
    try:
        runs.delete(run_id)
    except RunNotFound:
        return "404"
    return "204"


def test_two_concurrent_deletes_of_one_run_answer_204_and_404(
        racing: tuple[RunService, ReadTogether], presets: dict[str, NetworkSpec],
        record_property: Any) -> None:
    runs, store = racing
    answers = []
    for _ in range(5):
        run_id = _completed_run(store, presets["toy-mlp"])
        (runs.run_dir(run_id) / "files").mkdir(parents=True)
        store.barrier = threading.Barrier(2)
        with ThreadPoolExecutor(2) as pool:
            pair = sorted(pool.map(_delete, [runs] * 2, [run_id] * 2))
        store.barrier = None
        answers.append("+".join(pair))
        assert pair == ["204", "404"], pair
        assert store.get_run(run_id) is None and not runs.run_dir(run_id).exists()
    record_property("detail", f"{len(answers)} races: " + ", ".join(answers))
