"""The trainer: a pure loop that reports through one emit(event) callback."""

from app.train.loop import CHECKPOINT_NAME, Control, Emit, Trainer
from app.train.session import train_network
from app.train.tasks import LOSSES, Task, TaskError, make_task

__all__ = [
    "CHECKPOINT_NAME",
    "LOSSES",
    "Control",
    "Emit",
    "Task",
    "TaskError",
    "Trainer",
    "make_task",
    "train_network",
]
