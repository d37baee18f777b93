"""The trainer: a pure loop that reports through one emit(event) callback."""

from app.train.disk import DiskWriteError
from app.train.gan import SampleHook
from app.train.loop import (
    CHECKPOINT_NAME,
    CheckpointWriteError,
    Control,
    Emit,
    EpochHook,
    Trainer,
    holdout,
    objective,
)
from app.train.losses import LOSSES
from app.train.session import Start, train_network
from app.train.speed import SpeedSettingError
from app.train.task_kinds import TASK_KINDS, TaskKindDef, kind_of
from app.train.tasks import Task, TaskError, make_task

__all__ = [
    "CHECKPOINT_NAME",
    "LOSSES",
    "TASK_KINDS",
    "CheckpointWriteError",
    "Control",
    "DiskWriteError",
    "Emit",
    "EpochHook",
    "SampleHook",
    "SpeedSettingError",
    "Start",
    "Task",
    "TaskError",
    "TaskKindDef",
    "Trainer",
    "holdout",
    "kind_of",
    "make_task",
    "objective",
    "train_network",
]
