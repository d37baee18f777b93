"""Executors are chosen by name from one registry that the `executor` setting mirrors."""

from __future__ import annotations

import typing

import pytest

from app.runs.executors import EXECUTORS, ExecutorOptions, make_executor
from app.runs.process_executor import ProcessExecutor
from app.settings import Settings


def test_every_executor_setting_has_a_registry_entry() -> None:
    allowed = typing.get_args(Settings.model_fields["executor"].annotation)
    assert sorted(allowed) == sorted(EXECUTORS)


def test_the_local_executor_takes_its_options() -> None:
    executor = make_executor("local", ExecutorOptions(max_concurrent=3, stop_timeout=2.5))
    try:
        assert isinstance(executor, ProcessExecutor)
        assert executor.max_concurrent == 3
    finally:
        executor.shutdown()


def test_an_unknown_executor_names_the_known_ones() -> None:
    with pytest.raises(ValueError, match="unknown executor 'slurm'; known: local, ray"):
        make_executor("slurm", ExecutorOptions())
