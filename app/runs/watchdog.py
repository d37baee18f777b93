"""The executor core's watchdog: one thread per placed run that fails the run of a hung
worker. It runs beside the run's monitor thread, not in it, so that a monitor waiting
on a frozen worker (in the middle of a message the worker was cut off in, say) cannot
hide the hang: the watchdog kills the worker, which ends that wait, and the monitor
fails the run with the watchdog's reason."""

from __future__ import annotations

import threading
import time

from app.runs.placement import Submission

STOPPED_RESPONDING = "the worker stopped responding"
PROGRESS_FACTOR = 10
"""A started run whose worker is alive (its heartbeat goes on) may send nothing for this
many timeouts before its loop counts as stuck: a busy machine's slow first step or long
validation pass is not a hang, while a frozen process stops its heartbeat at once."""


def silence(run: Submission, timeout: float) -> str | None:
    """Why the run's worker looks hung: no heartbeat for over `timeout` s (a frozen
    process), or no event from a started run for over PROGRESS_FACTOR times that (a
    deadlocked loop, a stuck kernel)."""
    why = run.worker.silent(timeout)
    quiet = time.monotonic() - run.heard
    if why is None and run.started and quiet > timeout * PROGRESS_FACTOR:
        why = f"its training sent nothing for {quiet:.0f} s"
    return why


def start_watchdog(run: Submission, timeout: float, every: float) -> None:
    """Check the run every `every` seconds while its monitor watches it; a hung worker
    is killed and its reason left in `run.hung`."""

    def watch() -> None:
        monitor = run.monitor
        while monitor is not None and monitor.is_alive() and not run.finished:
            time.sleep(every)
            why = silence(run, timeout)
            if why is not None and not run.finished:
                run.hung = (f"{STOPPED_RESPONDING} ({why}; LAYERLAB_WORKER_TIMEOUT is "
                            f"{timeout:g} s): it was ended and replaced")
                run.worker.kill()
                return

    threading.Thread(target=watch, name=f"watchdog-{run.run_id}", daemon=True).start()
