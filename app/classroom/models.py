"""What the classroom's API takes and gives: users, classes, assignments (a starter
network and settings, the fields a student may not change, the controls the editor
hides, and criteria written as lesson claims), submissions with their marks, and the
teacher's dashboard rows."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator

from app.spec import NetworkSpec
from app.spec.lesson_checks import Check
from app.spec.training import TrainingSpec
from app.store.accounts import Role as Role  # the API's, through here
from app.store.accounts import UserRecord as UserRecord

USER_NAME = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
HIDEABLE = ("palette", "layer_settings", "dataset", "task", "loss", "optimizer",
            "regularization", "schedule", "epochs", "batch_size", "advanced")
"""Controls an assignment can hide from its students' editor (the UI names them so)."""
LOCKABLE_ROOTS = ("network", "training")


class UserOut(BaseModel):
    id: str
    name: str
    role: Role


class Me(UserOut):
    csrf: str | None = Field(default=None, description=(
        "The session's CSRF token: send it as X-CSRF-Token with every POST, PUT, PATCH "
        "and DELETE a signed-in browser makes (null when signed in with an API token)."))


class Criterion(Check):
    """A claim the submitted run must hold, as a lesson writes it (`test_accuracy` above
    0.97), against a number only: an assignment has no other experiment."""

    @field_validator("than")
    @classmethod
    def _no_other(cls, value: str | None) -> str | None:
        if value is not None:
            raise ValueError("an assignment's criteria compare with a value, not another "
                             "experiment")
        return value


class AssignmentSpec(BaseModel):
    """An assignment: a starter network and settings the students open, what they may
    not change (`locked`: dotted paths such as `training.dataset`, `network.layers`
    (the whole architecture) or `network.layers.out.units` (one layer's field, by its
    id)), the editor controls hidden from them, and the criteria their run is marked by."""

    title: str = Field(min_length=1, max_length=128)
    description: str = Field(default="", max_length=4000)
    network: NetworkSpec
    training: TrainingSpec
    locked: list[str] = Field(default_factory=list, max_length=64)
    hidden: list[Literal[HIDEABLE]] = Field(default_factory=list)  # type: ignore[valid-type]
    criteria: list[Criterion] = Field(default_factory=list, max_length=8)
    max_params: int | None = Field(default=None, ge=1, description=(
        "At most this many parameters in the submitted network."))

    @field_validator("locked")
    @classmethod
    def _paths(cls, paths: list[str]) -> list[str]:
        for path in paths:
            root = path.split(".", 1)[0]
            if root not in LOCKABLE_ROOTS or any(not part for part in path.split(".")):
                raise ValueError(f"{path!r}: a locked field is a dotted path starting with "
                                 "network or training (training.dataset, network.layers)")
        return paths


class AssignmentIn(BaseModel):
    """An assignment as a teacher writes it: a preset's network and settings, or a
    network and settings of their own (the settings may also be given with a preset)."""

    title: str = Field(min_length=1, max_length=128)
    description: str = Field(default="", max_length=4000)
    preset: str | None = None
    network: NetworkSpec | None = None
    training: TrainingSpec | None = None
    locked: list[str] = Field(default_factory=list, max_length=64)
    hidden: list[Literal[HIDEABLE]] = Field(default_factory=list)  # type: ignore[valid-type]
    criteria: list[Criterion] = Field(default_factory=list, max_length=8)
    max_params: int | None = Field(default=None, ge=1)


class AssignmentOut(AssignmentSpec):
    id: str
    class_id: str
    created_at: datetime


class ClassOut(BaseModel):
    id: str
    name: str
    teacher: str = Field(description="The teacher's name.")
    invite_code: str | None = Field(description="What students join with (its teacher "
                                                "only; null for students).")
    students: int
    created_at: datetime


class CriterionResult(BaseModel):
    claim: str = Field(description="The criterion in words: `test_accuracy above 0.97`.")
    measured: float | None
    holds: bool | None = Field(description="Null while the run has not ended.")


class SubmissionOut(BaseModel):
    id: str
    assignment_id: str
    student: str
    run_id: str
    submitted_at: datetime
    passed: bool | None = Field(description="Whether every criterion holds; null until the "
                                            "run has ended.")
    score: float | None = Field(description="The first criterion's measured value.")
    criteria: list[CriterionResult] = Field(default_factory=list)


StudentStatus = Literal["not_started", "training", "submitted", "passed"]
Flag = Literal["diverged", "failed", "stuck"]


class DashboardRow(BaseModel):
    student: str
    student_id: str
    status: StudentStatus
    passed: bool | None = Field(description="Their best submission's mark (null: none yet "
                                            "or still being marked).")
    best_score: float | None
    best_run: str | None = Field(description="The run of their best submission, to open.")
    runs: int = Field(description="Runs they started since the assignment was set.")
    last_activity: datetime | None
    flags: list[Flag] = Field(default_factory=list)
    flagged_runs: list[str] = Field(default_factory=list)


class Dashboard(BaseModel):
    assignment: AssignmentOut
    rows: list[DashboardRow]


def plain(value: Any) -> Any:
    """A spec or settings as JSON values (defaults included), for comparing by path."""
    return value.model_dump(mode="json") if hasattr(value, "model_dump") else value
