"""Per-subscriber buffers for the live stream: bounded, coalescing, never blocking the
thread that delivers events (a worker's monitor), whatever the subscriber does."""

from __future__ import annotations

import asyncio
import contextlib
import threading

from app.spec.events import FinishedEvent, MetricsEvent, TrainingEvent

MAX_PENDING = 256  # events waiting for one subscriber, after coalescing
MAX_STEPS = 50_000  # steps of metrics kept for one subscriber


def merge(a: MetricsEvent, b: MetricsEvent) -> MetricsEvent:
    """Two consecutive metric blocks as one (columns concatenated)."""
    names = a.values.keys() | b.values.keys()
    values = {n: a.values.get(n, [float("nan")] * len(a.step))
              + b.values.get(n, [float("nan")] * len(b.step)) for n in sorted(names)}
    # Both halves were validated when they were made: skip validating them again.
    return MetricsEvent.model_construct(step=a.step + b.step, epoch=a.epoch + b.epoch,
                                        values=values, at=a.at)


def tail(event: MetricsEvent, steps: int) -> MetricsEvent:
    """The last `steps` steps of a block."""
    return MetricsEvent.model_construct(step=event.step[-steps:], epoch=event.epoch[-steps:],
                                        values={k: v[-steps:] for k, v in event.values.items()},
                                        at=event.at)


class StreamBuffer:
    """Events not yet sent to one subscriber.

    Consecutive metric blocks merge into one message, so a subscriber gets at most one
    metrics message per send, whatever the step rate. When a subscriber falls behind,
    the oldest pending events are dropped (`dropped` counts them; the REST metrics
    endpoint still has everything), but never the final event.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, after_step: int = -1) -> None:
        self._loop = loop
        self._lock = threading.Lock()
        self._pending: list[TrainingEvent] = []
        self.ready = asyncio.Event()
        self.after_step = after_step
        self.dropped = 0

    def add(self, event: TrainingEvent) -> None:
        """Called from any thread; returns at once."""
        with self._lock:
            last = self._pending[-1] if self._pending else None
            if isinstance(event, MetricsEvent) and isinstance(last, MetricsEvent):
                event = merge(last, event)
                self._pending[-1] = event
            else:
                self._pending.append(event)
            self._bound()
        with contextlib.suppress(RuntimeError):  # the subscriber's loop is already closed
            self._loop.call_soon_threadsafe(self.ready.set)

    def _bound(self) -> None:
        last = self._pending[-1]
        if isinstance(last, MetricsEvent) and len(last.step) > MAX_STEPS:
            self.dropped += len(last.step) - MAX_STEPS
            self._pending[-1] = tail(last, MAX_STEPS)
        while len(self._pending) > MAX_PENDING:
            index = next(i for i, e in enumerate(self._pending)
                         if not isinstance(e, FinishedEvent))
            del self._pending[index]
            self.dropped += 1

    def take(self) -> list[TrainingEvent]:
        """Everything pending, oldest first; metric steps already sent are left out."""
        with self._lock:
            taken, self._pending = self._pending, []
            self.ready.clear()
        out: list[TrainingEvent] = []
        for event in taken:
            if isinstance(event, MetricsEvent):
                keep = [i for i, s in enumerate(event.step) if s > self.after_step]
                if not keep:
                    continue
                if len(keep) < len(event.step):
                    event = tail(event, len(keep))
                self.after_step = event.step[-1]
            out.append(event)
        return out
