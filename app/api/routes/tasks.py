"""The task kinds a run can train, each as its registry entry describes it, so that
clients follow a kind's rules (its charts, its views, its own settings) without copies."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from app.spec.training import LossName, TaskKind
from app.train import TASK_KINDS

router = APIRouter(prefix="/tasks", tags=["tasks"])


class TaskKindOut(BaseModel):
    name: TaskKind
    description: str
    default_loss: LossName
    metrics: list[str] = Field(description=(
        "What its reports carry, as train_<name>, val_<name> and test_<name>."))
    charts: list[str] = Field(description="The dashboard's charts of its metrics, in order.")
    views: list[str] = Field(description="The inspect views only this kind gives.")
    reads_samples: bool = Field(description=(
        "Whether its network reads the dataset's samples; a gan's reads noise, so its "
        "input need not fit the dataset."))
    settings: list[str] = Field(description=(
        "The training fields only this kind (and kinds built on it) reads: a vae's beta, "
        "a gan's gan settings; a client shows them for this kind alone."))
    training_defaults: dict[str, Any] = Field(description=(
        "Training settings to take when switching to this kind (e.g. a gan's optimizer)."))


@router.get("")
def list_tasks() -> list[TaskKindOut]:
    """Every task kind: its default loss, metrics, dashboard charts, views and settings."""
    return [TaskKindOut(name=kind.name, description=kind.description,
                        default_loss=kind.default_loss, metrics=list(kind.metrics),
                        charts=list(kind.charts), views=list(kind.views),
                        reads_samples=kind.reads_samples, settings=list(kind.settings),
                        training_defaults=dict(kind.training_defaults))
            for kind in TASK_KINDS.values()]
