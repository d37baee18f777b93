"""An assignment's rules applied to a run: the locked fields compared with the starter,
and the criteria measured the way the lessons' claims are (app.runs.lesson_results)."""

from __future__ import annotations

from typing import Any

from app.classroom.models import AssignmentSpec, CriterionResult, plain
from app.nn import analyze
from app.runs.lesson_results import run_outcome
from app.runs.service import RunService
from app.spec import NetworkSpec
from app.spec.training import TrainingSpec
from app.store.base import RunRecord

MISSING = object()


class LockedField(ValueError):
    """A run changes what its assignment locks."""


def _at(tree: Any, path: list[str]) -> Any:
    """The value at a dotted path; inside `layers`, a part names a layer by its id."""
    for part in path:
        if isinstance(tree, list):  # the layers: by id
            tree = next((item for item in tree if isinstance(item, dict)
                         and item.get("id") == part), MISSING)
        elif isinstance(tree, dict):
            tree = tree.get(part, MISSING)
        else:
            return MISSING
        if tree is MISSING:
            return MISSING
    return tree


def changed_locks(assignment: AssignmentSpec, network: NetworkSpec,
                  training: TrainingSpec) -> list[str]:
    """The locked paths whose value differs from the starter's (a layer removed counts)."""
    starter = {"network": plain(assignment.network), "training": plain(assignment.training)}
    given = {"network": plain(network), "training": plain(training)}
    return [path for path in assignment.locked
            if _at(starter, path.split(".")) != _at(given, path.split("."))]


def check_locks(assignment: AssignmentSpec, network: NetworkSpec,
                training: TrainingSpec) -> None:
    changed = changed_locks(assignment, network, training)
    if changed:
        raise LockedField(f"the assignment {assignment.title!r} locks "
                          f"{', '.join(changed)}: keep the starter's value")


def mark(runs: RunService, assignment: AssignmentSpec, run: RunRecord
         ) -> tuple[bool | None, float | None, list[CriterionResult]]:
    """Whether the run passes, its score (the first criterion's measure) and each
    criterion's result; unknown (None) until the run has completed or diverged. A run
    that failed or was stopped passes nothing."""
    found = run_outcome(runs, run, weights=any(c.metric == "near_zero_weights"
                                               for c in assignment.criteria))
    ended_badly = run.status in ("failed", "stopped")
    results: list[CriterionResult] = []
    for criterion in assignment.criteria:
        measured = criterion.measure(found) if found is not None else None
        holds = (None if measured is None and not ended_badly
                 else measured is not None and criterion.holds(measured))
        results.append(CriterionResult(claim=f"{criterion.reading} {criterion.op} "
                                             f"{criterion.value:g}",
                                       measured=measured, holds=holds))
    if assignment.max_params is not None:
        params = analyze(run.spec, enforce=False).total_params
        results.append(CriterionResult(claim=f"parameters below {assignment.max_params + 1:,}",
                                       measured=float(params),
                                       holds=params <= assignment.max_params))
    if changed_locks(assignment, run.spec, run.training):
        results.append(CriterionResult(claim="the locked fields kept", measured=None,
                                       holds=False))
    verdicts = [result.holds for result in results]
    if found is None and not ended_badly:
        verdicts.append(None)  # no verdict before the run ends, criteria or not
    elif ended_badly:
        verdicts.append(False)
    passed = False if False in verdicts else (None if None in verdicts else True)
    score = results[0].measured if results and assignment.criteria else None
    return passed, score, results
