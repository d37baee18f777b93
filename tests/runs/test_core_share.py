"""Threads follow the runs that train: a lone run takes every core, a second run's
marker makes both take half at their next count, and the marker of a worker that died
is cleared (real processes; each test has a markers folder of its own)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch

from app.runs.core_share import CoreShare


@pytest.fixture(autouse=True)
def torch_threads() -> Iterator[None]:
    """The threads this test process had, put back after the test changes them."""
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def other_run(tmp_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    """Another live process, as a second run training on the machine would be."""
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    yield process
    process.kill()
    process.wait()


def test_a_lone_run_takes_every_core_and_leaves_no_marker(tmp_path: Path) -> None:
    with CoreShare(cores=4, folder=tmp_path) as share:
        assert torch.get_num_threads() == 4
        assert [p.name for p in tmp_path.iterdir()] == [str(os.getpid())]
        assert share.training() == 1
    assert list(tmp_path.iterdir()) == []


def test_a_second_run_halves_the_threads_at_the_next_count(
        tmp_path: Path, other_run: subprocess.Popen[bytes]) -> None:
    with CoreShare(cores=4, folder=tmp_path) as share:
        assert torch.get_num_threads() == 4
        (tmp_path / str(other_run.pid)).touch()  # the other run starts
        share.adjust()  # within CHECK_EVERY of the last count: nothing yet
        assert torch.get_num_threads() == 4
        share.adjust(now=True)
        assert torch.get_num_threads() == 2
        (tmp_path / str(other_run.pid)).unlink()  # it ends: this run takes them back
        share.adjust(now=True)
        assert torch.get_num_threads() == 4


def test_more_runs_than_cores_train_on_one_thread_each(
        tmp_path: Path, other_run: subprocess.Popen[bytes]) -> None:
    (tmp_path / str(other_run.pid)).touch()
    (tmp_path / str(os.getppid())).touch()  # whatever started the tests: alive too
    with CoreShare(cores=2, folder=tmp_path) as share:
        assert share.training() == 3 and torch.get_num_threads() == 1


def test_the_marker_of_a_run_that_died_is_cleared(tmp_path: Path) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (tmp_path / str(dead.pid)).touch()  # a worker killed before it removed its marker
    (tmp_path / "notes.txt").touch()  # not a marker: left alone
    with CoreShare(cores=2, folder=tmp_path) as share:
        assert share.training() == 1 and torch.get_num_threads() == 2
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


def test_a_run_that_cannot_leave_a_marker_trains_on_the_threads_it_has(tmp_path: Path) -> None:
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the markers' folder would be")
    torch.set_num_threads(1)
    with CoreShare(cores=4, folder=blocked) as share:
        share.adjust(now=True)
        assert torch.get_num_threads() == 1  # left as the worker set it
