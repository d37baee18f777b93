"""The per-subscriber buffer: coalescing, bounded, never blocking the producer."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from app.api import streaming
from app.api.streaming import StreamBuffer
from app.spec.events import EpochEvent, FinishedEvent, MetricsEvent


def _metrics(first: int, n: int) -> MetricsEvent:
    steps = list(range(first, first + n))
    return MetricsEvent(step=steps, epoch=[0] * n, values={"train_loss": [1.0] * n})


@pytest.fixture
def loop() -> asyncio.AbstractEventLoop:
    event_loop = asyncio.new_event_loop()
    yield event_loop
    event_loop.close()


def test_consecutive_metrics_merge_into_one_message(loop: asyncio.AbstractEventLoop) -> None:
    buffer = StreamBuffer(loop)
    for block in range(10):
        buffer.add(_metrics(1 + 5 * block, 5))
    buffer.add(EpochEvent(epoch=0, step=50, metrics={"val_loss": 0.5}, seconds=0.1))
    buffer.add(_metrics(51, 5))
    taken = buffer.take()
    assert [e.kind for e in taken] == ["metrics", "epoch", "metrics"]
    assert taken[0].step == list(range(1, 51))  # type: ignore[union-attr]
    assert buffer.take() == []


def test_steps_already_in_the_snapshot_are_skipped(loop: asyncio.AbstractEventLoop) -> None:
    buffer = StreamBuffer(loop, after_step=7)
    buffer.add(_metrics(1, 10))
    (event,) = buffer.take()
    assert isinstance(event, MetricsEvent) and event.step == [8, 9, 10]


def test_a_stalled_subscriber_stays_bounded_and_keeps_the_end(
        loop: asyncio.AbstractEventLoop, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(streaming, "MAX_PENDING", 8)
    monkeypatch.setattr(streaming, "MAX_STEPS", 100)
    buffer = StreamBuffer(loop)
    buffer.add(_metrics(1, 500))
    for epoch in range(20):
        buffer.add(EpochEvent(epoch=epoch, step=500, metrics={}, seconds=0.0))
    buffer.add(FinishedEvent(status="completed", epoch=20, step=500))
    taken = buffer.take()
    assert len(taken) == 8
    assert taken[-1].kind == "finished"
    assert buffer.dropped > 0


def test_adding_never_blocks_even_when_nobody_reads(loop: asyncio.AbstractEventLoop) -> None:
    buffer = StreamBuffer(loop)
    start = time.perf_counter()
    producer = threading.Thread(target=lambda: [buffer.add(_metrics(1 + 20 * i, 20))
                                                for i in range(2000)])
    producer.start()
    producer.join(10)
    assert not producer.is_alive()
    assert time.perf_counter() - start < 10
    (event,) = buffer.take()
    assert isinstance(event, MetricsEvent) and len(event.step) <= streaming.MAX_STEPS
