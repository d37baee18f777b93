"""Live stream fan-out. A run's events arrive on a worker's monitor thread; its `RunFeed`
batches them on the server's event loop at most every `SEND_INTERVAL` and serializes
each batch once for all subscribers. Each subscriber has a bounded, coalescing
`StreamBuffer`: one that falls behind gets its backlog merged (serialized for it alone),
never slowing the feed, training or the other subscribers."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Callable

from app.spec.events import (
    BoundaryEvent,
    EpochEvent,
    FinishedEvent,
    MetricsEvent,
    TrainingEvent,
)

SEND_INTERVAL = 0.05  # at most ~20 messages a second per run
MAX_PENDING = 256  # messages waiting for one subscriber, after coalescing
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


def coalesce(events: list[TrainingEvent], event: TrainingEvent) -> int:
    """Append `event`, merging it into the last one when both are metric blocks (a block
    keeps its newest `MAX_STEPS` steps); a boundary replaces any still pending. Returns
    how many steps were dropped."""
    if isinstance(event, BoundaryEvent) and any(isinstance(e, BoundaryEvent) for e in events):
        kept, events[:] = [e for e in events if not isinstance(e, BoundaryEvent)], []
        for e in kept:  # metric blocks that the old boundary separated merge again
            coalesce(events, e)
    last = events[-1] if events else None
    if not (isinstance(event, MetricsEvent) and isinstance(last, MetricsEvent)):
        events.append(event)
        return 0
    merged = merge(last, event)
    dropped = max(len(merged.step) - MAX_STEPS, 0)
    events[-1] = tail(merged, MAX_STEPS) if dropped else merged
    return dropped


class Message:
    """An event and its JSON text, made once however many subscribers send it."""

    __slots__ = ("_text", "event")

    def __init__(self, event: TrainingEvent) -> None:
        self.event = event
        self._text: str | None = None

    @property
    def text(self) -> str:
        if self._text is None:
            self._text = self.event.model_dump_json()
        return self._text


class StreamBuffer:
    """Messages not yet sent to one subscriber; used on the event loop only.

    While a subscriber is busy sending, consecutive metric messages merge into one.
    When it falls far behind, the oldest pending messages are dropped (`dropped`
    counts them; the REST metrics endpoint still has everything), never the final one.
    """

    def __init__(self, after_step: int = -1, after_epoch: int = -1) -> None:
        self._pending: list[Message] = []
        self.ready = asyncio.Event()
        self.after_step = after_step
        self.after_epoch = after_epoch
        self.dropped = 0

    def add(self, message: Message) -> None:
        if isinstance(message.event, BoundaryEvent):  # only the newest one is worth sending
            pending, self._pending = self._pending, []
            for m in pending:
                if not isinstance(m.event, BoundaryEvent):
                    self.add(m)
        last = self._pending[-1].event if self._pending else None
        if isinstance(message.event, MetricsEvent) and isinstance(last, MetricsEvent):
            events: list[TrainingEvent] = [last]
            self.dropped += coalesce(events, message.event)
            self._pending[-1] = Message(events[0])
        else:
            self._pending.append(message)
        self._bound()
        self.ready.set()

    @property
    def backlog(self) -> tuple[int, int]:
        """(messages, metric steps) waiting to be sent; a snapshot, readable from any
        thread."""
        pending = list(self._pending)
        return len(pending), sum(len(m.event.step) for m in pending
                                 if isinstance(m.event, MetricsEvent))

    def _bound(self) -> None:
        while len(self._pending) > MAX_PENDING:
            index = next(i for i, m in enumerate(self._pending)
                         if not isinstance(m.event, FinishedEvent))
            del self._pending[index]
            self.dropped += 1

    def take(self) -> list[Message]:
        """Everything pending, oldest first; metric steps and epochs already sent (in the
        snapshot: the buffer fills from before it is read) are left out."""
        taken, self._pending = self._pending, []
        self.ready.clear()
        out: list[Message] = []
        for message in taken:
            event = message.event
            if isinstance(event, MetricsEvent):
                keep = sum(1 for s in event.step if s > self.after_step)
                if not keep:
                    continue
                if keep < len(event.step):
                    message = Message(tail(event, keep))
                self.after_step = event.step[-1]
            elif isinstance(event, EpochEvent):
                if event.epoch <= self.after_epoch:
                    continue
                self.after_epoch = event.epoch
            out.append(message)
        return out


class RunFeed:
    """One run's events for all of its subscribers' buffers.

    `add` is called on a worker's monitor thread and returns at once; batches are
    handed to the buffers on the loop, at most one every `SEND_INTERVAL`.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._lock = threading.Lock()
        self._pending: list[TrainingEvent] = []
        self._scheduled = False
        self._last_flush = 0.0
        self.dropped = 0  # steps cut while the loop was too busy to flush
        self.buffers: set[StreamBuffer] = set()

    def add(self, event: TrainingEvent) -> None:
        with self._lock:
            self.dropped += coalesce(self._pending, event)
            if self._scheduled:
                return
            self._scheduled = True
        with contextlib.suppress(RuntimeError):  # the loop is already closed
            self._loop.call_soon_threadsafe(self._schedule)

    def _schedule(self) -> None:
        delay = self._last_flush + SEND_INTERVAL - time.monotonic()
        self._loop.call_later(max(delay, 0.0), self._flush)

    def _flush(self) -> None:
        with self._lock:
            events, self._pending = self._pending, []
            self._scheduled = False
        self._last_flush = time.monotonic()
        for event in events:
            message = Message(event)
            for buffer in self.buffers:
                buffer.add(message)


class Feeds:
    """The feeds of runs that have subscribers; used on the event loop only."""

    def __init__(self, subscribe: Callable[[str, Callable[[str, TrainingEvent], None]],
                                           Callable[[], None]]) -> None:
        self._subscribe = subscribe
        self._feeds: dict[str, tuple[RunFeed, Callable[[], None]]] = {}

    def join(self, run_id: str, buffer: StreamBuffer) -> None:
        if run_id not in self._feeds:
            feed = RunFeed(asyncio.get_running_loop())
            self._feeds[run_id] = feed, self._subscribe(run_id, lambda _, e: feed.add(e))
        self._feeds[run_id][0].buffers.add(buffer)

    def buffers(self, run_id: str) -> list[StreamBuffer]:
        """The buffers of a run's current subscribers (a copy, readable from any thread)."""
        entry = self._feeds.get(run_id)
        return list(entry[0].buffers) if entry is not None else []

    def leave(self, run_id: str, buffer: StreamBuffer) -> None:
        if run_id not in self._feeds:  # the buffer never joined (the socket failed first)
            return
        feed, unsubscribe = self._feeds[run_id]
        feed.buffers.discard(buffer)
        if not feed.buffers:
            unsubscribe()
            del self._feeds[run_id]
