"""Small waits shared by the API and browser tests."""

from __future__ import annotations

import time
from collections.abc import Collection
from typing import Any, Protocol

API = "/api/v1"


class Getter(Protocol):
    """A client whose base URL is the server's (httpx2.Client, FastAPI's TestClient)."""

    def get(self, url: str) -> Any: ...


def wait_for_status(http: Getter, run_id: str, statuses: Collection[str],
                    timeout: float = 60) -> dict[str, Any]:
    """Poll the run until its status is one of `statuses`; returns the run as last read.
    Fails naming the status the run is in when `timeout` seconds pass first."""
    deadline = time.monotonic() + timeout
    while True:
        run: dict[str, Any] = http.get(f"{API}/runs/{run_id}").json()
        if run["status"] in statuses:
            return run
        assert time.monotonic() < deadline, (
            f"run {run_id} is {run['status']}, not {' or '.join(sorted(statuses))}, "
            f"after {timeout:.0f} s")
        time.sleep(0.1)
