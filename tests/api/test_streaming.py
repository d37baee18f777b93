"""Stream fan-out: one feed per run batches and serializes once; each subscriber's
buffer coalesces, stays bounded and never blocks the producer."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator

import pytest
import torch

from app.api import streaming
from app.api.streaming import Feeds, Message, RunFeed, StreamBuffer
from app.inspect import encode
from app.spec.events import (
    BoundaryEvent,
    EpochEvent,
    FinishedEvent,
    MetricsEvent,
    TrainingEvent,
)
from app.spec.views import BoundaryGrid


def _metrics(first: int, n: int) -> MetricsEvent:
    steps = list(range(first, first + n))
    return MetricsEvent(step=steps, epoch=[0] * n, values={"train_loss": [1.0] * n})


@pytest.fixture
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    event_loop = asyncio.new_event_loop()
    asyncio.set_event_loop(event_loop)
    yield event_loop
    asyncio.set_event_loop(None)
    event_loop.close()


def _add(buffer: StreamBuffer, event: TrainingEvent) -> None:
    buffer.add(Message(event))


def test_consecutive_metrics_merge_into_one_message(loop: asyncio.AbstractEventLoop) -> None:
    buffer = StreamBuffer()
    for block in range(10):
        _add(buffer, _metrics(1 + 5 * block, 5))
    _add(buffer, EpochEvent(epoch=0, step=50, metrics={"val_loss": 0.5}, seconds=0.1))
    _add(buffer, _metrics(51, 5))
    taken = [m.event for m in buffer.take()]
    assert [e.kind for e in taken] == ["metrics", "epoch", "metrics"]
    assert taken[0].step == list(range(1, 51))  # type: ignore[union-attr]
    assert buffer.take() == []


def test_steps_already_in_the_snapshot_are_skipped(loop: asyncio.AbstractEventLoop) -> None:
    buffer = StreamBuffer(after_step=7)
    _add(buffer, _metrics(1, 10))
    (message,) = buffer.take()
    assert isinstance(message.event, MetricsEvent) and message.event.step == [8, 9, 10]
    assert '"step":[8,9,10]' in message.text


def test_epochs_already_in_the_snapshot_are_skipped(loop: asyncio.AbstractEventLoop) -> None:
    """The buffer fills from before the snapshot is read: an epoch the snapshot holds is
    not sent again (under load the gradient chart drew 42 epochs of a 40-epoch run)."""
    buffer = StreamBuffer(after_step=20, after_epoch=1)
    for epoch in range(4):
        _add(buffer, EpochEvent(epoch=epoch, step=10 * (epoch + 1), metrics={}, seconds=0.1))
    assert [m.event.epoch for m in buffer.take()] == [2, 3]  # type: ignore[union-attr]
    _add(buffer, EpochEvent(epoch=3, step=40, metrics={}, seconds=0.1))
    assert buffer.take() == []


def test_only_the_newest_pending_boundary_is_sent(loop: asyncio.AbstractEventLoop) -> None:
    grid = BoundaryGrid(x_range=(0, 1), y_range=(0, 1), resolution=2,
                        predicted=encode(torch.zeros(2, 2), "uint8"),
                        points=encode(torch.zeros(1, 2)), labels=encode(torch.zeros(1), "uint8"))
    feed = RunFeed(loop)
    buffer = StreamBuffer()
    feed.buffers.add(buffer)
    for epoch in range(3):
        feed.add(BoundaryEvent(epoch=epoch, step=epoch, boundary=grid))
        feed.add(_metrics(1 + epoch, 1))
    loop.run_until_complete(asyncio.sleep(2 * streaming.SEND_INTERVAL))
    _add(buffer, BoundaryEvent(epoch=3, step=3, boundary=grid))
    sent = [m.event for m in buffer.take()]
    assert [e.kind for e in sent] == ["metrics", "boundary"]
    assert sent[-1].epoch == 3  # type: ignore[union-attr]


def test_a_stalled_subscriber_stays_bounded_and_keeps_the_end(
        loop: asyncio.AbstractEventLoop, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(streaming, "MAX_PENDING", 8)
    monkeypatch.setattr(streaming, "MAX_STEPS", 100)
    buffer = StreamBuffer()
    _add(buffer, _metrics(1, 500))
    for epoch in range(20):
        _add(buffer, EpochEvent(epoch=epoch, step=500, metrics={}, seconds=0.0))
    _add(buffer, FinishedEvent(status="completed", epoch=20, step=500))
    taken = buffer.take()
    assert len(taken) == 8
    assert taken[-1].event.kind == "finished"
    assert buffer.dropped > 0


def test_a_feed_batches_and_serializes_once_for_every_subscriber(
        loop: asyncio.AbstractEventLoop) -> None:
    feed = RunFeed(loop)
    buffers = [StreamBuffer() for _ in range(3)]
    feed.buffers.update(buffers)
    for block in range(5):
        feed.add(_metrics(1 + 4 * block, 4))
    feed.add(FinishedEvent(status="completed", epoch=1, step=20))
    loop.run_until_complete(asyncio.sleep(2 * streaming.SEND_INTERVAL))
    sent = [buffer.take() for buffer in buffers]
    assert [[m.event.kind for m in s] for s in sent] == [["metrics", "finished"]] * 3
    assert sent[0][0].event.step == list(range(1, 21))  # type: ignore[union-attr]
    assert all(s[0] is sent[0][0] for s in sent)  # one message object, one JSON text


def test_adding_never_blocks_even_when_nobody_reads(
        loop: asyncio.AbstractEventLoop, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(streaming, "MAX_STEPS", 10_000)
    feed = RunFeed(loop)
    buffer = StreamBuffer()
    feed.buffers.add(buffer)
    start = time.perf_counter()
    producer = threading.Thread(target=lambda: [feed.add(_metrics(1 + 20 * i, 20))
                                                for i in range(2000)])
    producer.start()
    producer.join(10)
    assert not producer.is_alive()
    assert time.perf_counter() - start < 10
    loop.run_until_complete(asyncio.sleep(2 * streaming.SEND_INTERVAL))
    (message,) = buffer.take()
    assert isinstance(message.event, MetricsEvent)
    assert len(message.event.step) == streaming.MAX_STEPS  # the newest steps are kept
    assert message.event.step[-1] == 40_000 and feed.dropped == 30_000


def test_feeds_subscribe_once_per_run_and_leave_when_the_last_goes(
        loop: asyncio.AbstractEventLoop) -> None:
    calls: list[str] = []

    def subscribe(run_id: str, callback: object) -> object:
        calls.append(f"+{run_id}")
        return lambda: calls.append(f"-{run_id}")

    async def scenario() -> None:
        feeds = Feeds(subscribe)  # type: ignore[arg-type]
        first, second = StreamBuffer(), StreamBuffer()
        feeds.join("r1", first)
        feeds.join("r1", second)
        feeds.leave("r1", first)
        assert calls == ["+r1"]
        feeds.leave("r1", second)

    loop.run_until_complete(scenario())
    assert calls == ["+r1", "-r1"]
