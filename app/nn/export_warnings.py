"""What torch's exporters say each time that is known and harmless here, silenced while
they run (and only those: any other warning still shows)."""

from __future__ import annotations

import logging
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager

import torch

EXPORT_LOCK = threading.Lock()
"""One export at a time: torch.onnx.export is not thread-safe, and warning filters and
logger levels are global."""

# (message start, category): the TorchScript-based exporter is deprecated, a trace warns
# about the fixed-shape checks in attention and recurrent layers (tests/nn/test_export.py
# runs the exports at other batch sizes).
EXPORTER_WARNINGS: tuple[tuple[str, type[Warning]], ...] = (
    ("Converting a tensor to a Python boolean might cause the trace to be incorrect",
     torch.jit.TracerWarning),
    ("You are using the legacy TorchScript-based ONNX export", DeprecationWarning),
    ("The feature will be removed", DeprecationWarning),
    ("Exporting a model to ONNX with a batch_size other than 1", UserWarning),
    (r"`torch\.jit\.(trace|trace_method|save|load)` is deprecated", DeprecationWarning),
)
QUIET_LOGGERS = ("torch.onnx._internal.exporter._registration",)
"""The torch.export-based exporter logs, at each export, each torchvision operator it
skips registering (torchvision is not installed)."""


@contextmanager
def known_warnings_ignored(every: bool = False) -> Iterator[None]:
    """The exporters' known warnings silenced for the block, under EXPORT_LOCK; `every`:
    all of them (torch.export warns about its own internals as it traces: tree specs,
    size checks, the flat weights a recurrent layer rebuilds, .grad of non-leaves; the
    file it writes is what the tests check)."""
    with EXPORT_LOCK, warnings.catch_warnings():
        for message, category in EXPORTER_WARNINGS:
            warnings.filterwarnings("ignore", message=message, category=category)
        if every:
            warnings.simplefilter("ignore")
        loggers = [logging.getLogger(name) for name in QUIET_LOGGERS]
        levels = [logger.level for logger in loggers]
        for logger in loggers:
            logger.setLevel(logging.ERROR)
        try:
            yield
        finally:
            for logger, level in zip(loggers, levels, strict=True):
                logger.setLevel(level)
