"""Waiting on the server: poll an answer until it says the work has come to rest."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

Info = dict[str, Any]


def wait_until(fetch: Callable[[], Info], done: Callable[[Info], bool], timeout: float | None,
               poll: float, still: Callable[[Info], str]) -> Info:
    """Call `fetch` every `poll` seconds until `done` holds for its answer, and return that
    answer; past `timeout` seconds, a TimeoutError says `still(answer)`."""
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        info = fetch()
        if done(info):
            return info
        if deadline is not None and time.monotonic() >= deadline:
            raise TimeoutError(f"{still(info)} after {timeout} s")
        time.sleep(poll if deadline is None else max(0.0, min(poll, deadline - time.monotonic())))
