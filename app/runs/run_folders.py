"""Each run's folder of files (checkpoints, journals, sample grids) beside its rows in the
store: found by the id the store keeps, and removed together with the rows or not at all.

A delete first renames the folder aside (one atomic rename in the same parent), then
deletes the rows; if the rows cannot go, the folder is renamed back. Only once the rows
are gone are the files removed; a server that stops in between leaves a folder set aside,
which the next start clears."""

from __future__ import annotations

import contextlib
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

SAFE_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")  # a folder name, never a path
ASIDE = ".deleting-"


class UnsafeRunId(ValueError):
    """An id that cannot name a folder (it could reach outside the runs folder)."""


def run_folder(runs_dir: Path, run_id: str) -> Path:
    """The run's folder, named by its id (server-made ids are 32 hex digits; a store may
    hold others, written by another tool). UnsafeRunId for an id that is not a name."""
    if not SAFE_ID.fullmatch(run_id):
        raise UnsafeRunId(f"run id {run_id!r} cannot name a folder")
    return runs_dir / run_id


@contextlib.contextmanager
def removing(runs_dir: Path, run_id: str) -> Iterator[None]:
    """Set the run's folder aside while the block deletes its rows: an error in the block
    puts it back, and the folder goes only when the block succeeds. A run whose id can
    name no folder has none: its rows go alone."""
    try:
        folder = run_folder(runs_dir, run_id)
    except UnsafeRunId:
        yield
        return
    aside = runs_dir / f"{ASIDE}{run_id}"
    shutil.rmtree(aside, ignore_errors=True)  # left by an earlier delete that could not finish
    moved = folder.exists()
    if moved:
        folder.rename(aside)  # an OSError here leaves everything as it was
    try:
        yield
    except BaseException:
        if moved:
            aside.rename(folder)
        raise
    shutil.rmtree(aside, ignore_errors=True)  # what cannot go now, the next start clears


def clear_set_aside(runs_dir: Path) -> list[str]:
    """Remove the folders of runs whose deletion ended before their files went; returns
    their run ids."""
    cleared = []
    for aside in runs_dir.glob(f"{ASIDE}*"):
        shutil.rmtree(aside, ignore_errors=True)
        cleared.append(aside.name.removeprefix(ASIDE))
    return cleared
