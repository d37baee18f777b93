"""Writes the disk refuses. A run fails at the first one (a checkpoint, the weights of an
epoch, a histogram line, a sample grid), naming the disk's problem and what it was
writing; once the disk is fixed, the run resumes from its last valid checkpoint."""

from __future__ import annotations

import errno

PROBLEMS = {
    errno.ENOSPC: "no space left on device",
    errno.EDQUOT: "disk quota exceeded",
    errno.EFBIG: "file too large (a size limit of the disk or of the process)",
    errno.EROFS: "read-only file system",
    errno.EACCES: "permission denied",
    errno.EIO: "input/output error",
}
FULL = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})
"""Errors of a disk with no room left."""


class DiskWriteError(RuntimeError):
    """A run's file could not be written: the run fails at once, and can resume."""


def disk_full(exc: BaseException) -> bool:
    """Whether `exc` is a write refused for want of room (a full disk, a quota)."""
    return isinstance(exc, OSError) and exc.errno in FULL


def problem(exc: OSError) -> str:
    """The disk's problem in a few words: 'no space left on device', say."""
    known = PROBLEMS.get(exc.errno) if exc.errno is not None else None
    return known or (exc.strerror or str(exc) or type(exc).__name__).lower()


def write_refused(exc: OSError, what: str, kept: str = "") -> str:
    """The reason a run fails with when writing `what` raised `exc`; `kept` says which
    checkpoint stays valid (by default: its last one)."""
    kept = kept or "its last checkpoint stays valid"
    fix = "free some space" if exc.errno in FULL else "fix the disk"
    return f"{problem(exc)} writing {what}: {kept}; {fix} and resume the run"
