"""Failed sign-ins counted per client address, so a token cannot be guessed quickly."""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable


class LoginThrottle:
    """A sliding window per client: after `max_failures` wrong tokens within `window`
    seconds the client must wait until the oldest of them leaves the window.

    In memory, so a restart forgets it; the least recently failing clients are dropped
    beyond `max_clients`, so spoofed or many addresses cannot grow it without bound.
    """

    def __init__(self, max_failures: int = 10, window: float = 60.0,
                 max_clients: int = 10_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.max_failures = max_failures
        self.window = window
        self.max_clients = max_clients
        self.clock = clock
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def retry_after(self, client: str) -> int:
        """Seconds the client must wait before trying again; 0 when it may try now."""
        with self._lock:
            recent = self._recent(client)
            if len(recent) < self.max_failures:
                return 0
            return max(1, math.ceil(recent[0] + self.window - self.clock()))

    def failed(self, client: str) -> None:
        """Count one wrong token from the client."""
        with self._lock:
            recent = self._failures.pop(client, deque())
            recent.append(self.clock())
            self._failures[client] = recent  # re-inserted: dicts keep the newest last
            while len(self._failures) > self.max_clients:
                del self._failures[next(iter(self._failures))]

    def _recent(self, client: str) -> deque[float]:
        recent = self._failures.get(client, deque())
        while recent and recent[0] <= self.clock() - self.window:
            recent.popleft()
        return recent
