"""Submissions marked on their runs, and the teacher's view of a class on an assignment:
each student's status, best score and last activity, the runs that went wrong, and the
marks as CSV."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

from app.classroom.marking import check_locks, mark
from app.classroom.models import (
    AssignmentOut,
    CriterionResult,
    Dashboard,
    DashboardRow,
    Flag,
    StudentStatus,
    SubmissionOut,
)
from app.classroom.service import Classroom, Forbidden, NotFound, submission_out
from app.runs.run_states import RunNotFound
from app.runs.service import RunService
from app.store.accounts import SubmissionRecord, UserRecord
from app.store.base import RunQuery, RunRecord

ENDED = ("completed", "diverged", "failed", "stopped")
STUCK_AFTER = timedelta(minutes=10)  # running with no epoch done, or queued, this long
MAX_RUNS_READ = 500  # of one student's since the assignment, for the dashboard


def submit(classroom: Classroom, runs: RunService, student: UserRecord, assignment_id: str,
           run_id: str) -> SubmissionOut:
    """Hand a run in: it must be the student's own and keep the locked fields; it is
    marked now if it has ended, else when it is next read."""
    assignment = classroom.assignment(student, assignment_id)
    if classroom.is_teacher_of(student, assignment):
        raise Forbidden("the teacher of a class sets its assignments; students submit")
    try:
        run = runs.get(run_id)
    except RunNotFound:
        raise NotFound(f"no run {run_id!r}") from None
    if run.owner != student.id:
        raise NotFound(f"no run {run_id!r} of yours")
    check_locks(assignment, run.spec, run.training)
    record = classroom.add_submission(student, assignment, run.id)
    return submission_out(_marked(classroom, runs, assignment, record, run), student.name)


def submissions(classroom: Classroom, runs: RunService, user: UserRecord,
                assignment_id: str) -> list[SubmissionOut]:
    """A student's own submissions, or every student's for their teacher; marked."""
    assignment = classroom.assignment(user, assignment_id)
    teacher = classroom.is_teacher_of(user, assignment)
    records = classroom.store.submissions(assignment.id, None if teacher else user.id)
    names = {u.id: u.name for u in classroom.store.users(list({r.user_id for r in records}))}
    return [submission_out(_marked(classroom, runs, assignment, record), names[record.user_id])
            for record in records]


def _marked(classroom: Classroom, runs: RunService, assignment: AssignmentOut,
            record: SubmissionRecord, run: RunRecord | None = None) -> SubmissionRecord:
    """The submission with its mark: measured once its run has ended (a run deleted
    before that fails it)."""
    if record.passed is not None:
        return record
    passed: bool | None
    criteria: list[CriterionResult]
    try:
        run = run or runs.get(record.run_id)
    except RunNotFound:
        passed, score, criteria = False, None, []
    else:
        if run.status not in ENDED:
            return record
        passed, score, criteria = mark(runs, assignment, run)
        if passed is None:
            return record
    result = {"criteria": [c.model_dump(mode="json") for c in criteria]}
    classroom.store.mark(record.id, passed, score, result)
    return record.model_copy(update={"passed": passed, "score": score, "result": result})


def dashboard(classroom: Classroom, runs: RunService, teacher: UserRecord,
              assignment_id: str) -> Dashboard:
    assignment = classroom.assignment(teacher, assignment_id)
    if not classroom.is_teacher_of(teacher, assignment):
        raise Forbidden("only the class's teacher sees its dashboard")
    students = classroom.students(teacher, assignment.class_id)
    now = datetime.now(UTC)
    rows = []
    for student in students:
        marked = [_marked(classroom, runs, assignment, record)
                  for record in classroom.store.submissions(assignment.id, student.id)]
        theirs, _ = runs.find_runs(RunQuery(owners=[student.id], limit=MAX_RUNS_READ,
                                            created_after=assignment.created_at))
        rows.append(_row(student, marked, theirs, now))
    return Dashboard(assignment=assignment, rows=rows)


def _row(student: UserRecord, marked: list[SubmissionRecord], theirs: list[RunRecord],
         now: datetime) -> DashboardRow:
    best = max(marked, key=lambda r: (r.passed is True, r.score if r.score is not None
                                      else float("-inf")), default=None)
    status: StudentStatus = (
        "passed" if any(r.passed for r in marked) else "submitted" if marked
        else "training" if theirs else "not_started")
    flagged: dict[Flag, list[str]] = {}
    for run in theirs:
        stuck = (run.status == "running" and run.epoch == 0 and run.started_at is not None
                 and now - run.started_at > STUCK_AFTER) or (
            run.status == "queued" and now - run.created_at > STUCK_AFTER)
        checks: tuple[tuple[Flag, bool], ...] = (
            ("diverged", run.status == "diverged"), ("failed", run.status == "failed"),
            ("stuck", stuck))
        for flag, holds in checks:
            if holds:
                flagged.setdefault(flag, []).append(run.id)
    moments = [m for m in (student.last_seen_at, *(r.submitted_at for r in marked),
                           *(r.created_at for r in theirs),
                           *(r.finished_at for r in theirs)) if m is not None]
    return DashboardRow(
        student=student.name, student_id=student.id, status=status,
        passed=best.passed if best else None, best_score=best.score if best else None,
        best_run=best.run_id if best else None, runs=len(theirs),
        last_activity=max(moments, default=None), flags=list(flagged),
        flagged_runs=[run_id for ids in flagged.values() for run_id in ids])


def marks_csv(board: Dashboard) -> str:
    """One line a student: name, status, passed, best score, best run, runs, last
    activity (ISO 8601, UTC), flags."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["student", "status", "passed", "best_score", "best_run", "runs",
                     "last_activity", "flags"])
    for row in board.rows:
        writer.writerow([row.student, row.status,
                         "" if row.passed is None else str(row.passed).lower(),
                         "" if row.best_score is None else f"{row.best_score:.6g}",
                         row.best_run or "", row.runs,
                         row.last_activity.isoformat() if row.last_activity else "",
                         " ".join(row.flags)])
    return out.getvalue()
