"""The classroom service: accounts and how they sign in, who sees whose work, classes,
assignments and their submissions. The API calls it; it reads runs through the runs
service and keeps its own rows in the account store."""

from __future__ import annotations

import re
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta

from app.classroom.models import (
    USER_NAME,
    AssignmentOut,
    AssignmentSpec,
    ClassOut,
    SubmissionOut,
)
from app.classroom.passwords import (
    MIN_PASSWORD,
    digest,
    hash_password,
    invite_code,
    new_secret,
    verify_password,
)
from app.store.accounts import (
    AccountStore,
    AssignmentRecord,
    ClassRecord,
    NameTaken,
    Role,
    SubmissionRecord,
    UserRecord,
)

SESSION_DAYS = 14
ENABLED_RECHECK = 2.0  # seconds: how soon accounts made elsewhere (the CLI) take effect
_NAME = re.compile(USER_NAME)


class ClassroomError(ValueError):
    """A request the classroom refuses (a 422 or 409, with this message)."""


class NotFound(LookupError):
    """No such thing, or none this user may see (both are a 404)."""


class Forbidden(PermissionError):
    """Seen but not theirs to change (a 403)."""


class Classroom:
    def __init__(self, store: AccountStore) -> None:
        self.store = store
        self._enabled: bool | None = None
        self._checked = 0.0
        self._lock = threading.Lock()

    # accounts
    def enabled(self) -> bool:
        """Whether accounts are on: once a first user exists, for good. Read again every
        few seconds while off, so a user made by the CLI turns them on."""
        if self._enabled:
            return True
        with self._lock:
            if time.monotonic() - self._checked > ENABLED_RECHECK or self._enabled is None:
                self._enabled = self.store.user_count() > 0
                self._checked = time.monotonic()
            return bool(self._enabled)

    def create_user(self, name: str, password: str, role: Role) -> UserRecord:
        if not _NAME.match(name):
            raise ClassroomError(f"{name!r}: a user name is 1 to 64 letters, digits, '_', "
                                 "'.' or '-', starting with a letter or digit")
        if len(password) < MIN_PASSWORD:
            raise ClassroomError(f"a password has at least {MIN_PASSWORD} characters")
        user = UserRecord(id=uuid.uuid4().hex, name=name, role=role,
                          password_hash=hash_password(password), created_at=datetime.now(UTC))
        try:
            self.store.create_user(user)
        except NameTaken as exc:
            raise ClassroomError(str(exc)) from None
        with self._lock:
            self._enabled = True
        return user

    def sign_in(self, name: str, password: str) -> tuple[UserRecord, str, str] | None:
        """A new session's user, key and CSRF token; None for a wrong name or password
        (which take as long as each other)."""
        user = self.store.user_named(name)
        if not verify_password(user.password_hash if user else None, password) or user is None:
            return None
        key, csrf = new_secret(), new_secret()
        self.store.add_session(digest(key), user.id, csrf,
                               datetime.now(UTC) + timedelta(days=SESSION_DAYS))
        self.store.seen(user.id)
        return user, key, csrf

    def sign_out(self, key: str) -> None:
        self.store.drop_session(digest(key))

    def session(self, key: str) -> tuple[UserRecord, str] | None:
        return self.store.session_user(digest(key)) if key else None

    def token_user(self, token: str) -> UserRecord | None:
        return self.store.token_user(digest(token)) if token else None

    def new_token(self, user: UserRecord, label: str) -> str:
        """A token for scripts, returned once: only its digest is kept."""
        token = f"ll_{new_secret()}"
        self.store.add_token(digest(token), user.id, label)
        return token

    def reset_password(self, teacher: UserRecord, student_name: str, password: str) -> None:
        """A teacher sets a new password for a student of one of their classes (which
        signs the student out everywhere)."""
        student = self.store.user_named(student_name)
        if student is None or student.id not in self.store.students_of(teacher.id):
            raise NotFound(f"no student named {student_name!r} in your classes")
        self.set_password(student, password)

    def set_password(self, user: UserRecord, password: str) -> None:
        if len(password) < MIN_PASSWORD:
            raise ClassroomError(f"a password has at least {MIN_PASSWORD} characters")
        self.store.set_password(user.id, hash_password(password))

    def gpu_seconds_deleted(self, user_id: str) -> float:
        """The GPU time of the user's runs deleted since they ran (a limit counts it)."""
        user = self.store.get_user(user_id)
        return 0.0 if user is None else user.gpu_seconds_deleted

    def keep_gpu_seconds(self, user_id: str, seconds: float) -> None:
        """Keep a deleted run's GPU time on its user's account."""
        self.store.add_gpu_seconds_deleted(user_id, seconds)

    # who sees what
    def visible_owners(self, user: UserRecord) -> list[str]:
        """Whose runs, sweeps and uploads the user sees: their own, and a teacher's
        students'."""
        if user.role == "teacher":
            return [user.id, *self.store.students_of(user.id)]
        return [user.id]

    def sees(self, user: UserRecord, owner: str | None) -> bool:
        """Whether the user may see a thing of this owner. Things made before accounts
        (no owner) are the teachers'."""
        if owner is None:
            return user.role == "teacher"
        return owner in self.visible_owners(user)

    # classes
    def create_class(self, teacher: UserRecord, name: str) -> ClassOut:
        self._teacher(teacher)
        for _ in range(5):
            record = ClassRecord(id=uuid.uuid4().hex, name=name, teacher_id=teacher.id,
                                 invite_code=invite_code(), created_at=datetime.now(UTC))
            try:
                self.store.create_class(record)
            except NameTaken:
                continue
            return self._class_out(record, teacher)
        raise ClassroomError("no free invite code: try again")

    def join(self, student: UserRecord, code: str) -> ClassOut:
        record = self.store.class_by_code(code.strip().upper())
        if record is None:
            raise NotFound(f"no class has the invite code {code!r}")
        if student.role != "student":
            raise ClassroomError("only students join classes")
        self.store.add_member(record.id, student.id)
        return self._class_out(record, student)

    def classes(self, user: UserRecord) -> list[ClassOut]:
        return [self._class_out(record, user) for record in self.store.classes_of(user.id)]

    def _class_out(self, record: ClassRecord, viewer: UserRecord) -> ClassOut:
        teacher = self.store.get_user(record.teacher_id)
        return ClassOut(id=record.id, name=record.name, teacher=teacher.name if teacher else "",
                        invite_code=record.invite_code if viewer.id == record.teacher_id
                        else None, students=len(self.store.members(record.id)),
                        created_at=record.created_at)

    def taught_class(self, teacher: UserRecord, class_id: str) -> ClassRecord:
        record = self.store.get_class(class_id)
        if record is None or record.teacher_id != teacher.id:
            raise NotFound(f"no class {class_id!r} of yours")
        return record

    def students(self, teacher: UserRecord, class_id: str) -> list[UserRecord]:
        record = self.taught_class(teacher, class_id)
        return self.store.users(self.store.members(record.id))

    # assignments
    def set_assignment(self, teacher: UserRecord, class_id: str, spec: AssignmentSpec
                       ) -> AssignmentOut:
        self.taught_class(self._teacher(teacher), class_id)
        record = AssignmentRecord(id=uuid.uuid4().hex, class_id=class_id,
                                  body=spec.model_dump(mode="json"), created_at=datetime.now(UTC))
        self.store.create_assignment(record)
        return _assignment_out(record)

    def assignments(self, user: UserRecord) -> list[AssignmentOut]:
        class_ids = [record.id for record in self.store.classes_of(user.id)]
        return [_assignment_out(record) for record in self.store.assignments_of(class_ids)]

    def assignment(self, user: UserRecord, assignment_id: str) -> AssignmentOut:
        """An assignment of one of the user's classes (NotFound otherwise)."""
        record = self.store.get_assignment(assignment_id)
        if record is None or record.class_id not in {
                c.id for c in self.store.classes_of(user.id)}:
            raise NotFound(f"no assignment {assignment_id!r} in your classes")
        return _assignment_out(record)

    def is_teacher_of(self, user: UserRecord, assignment: AssignmentOut) -> bool:
        record = self.store.get_class(assignment.class_id)
        return record is not None and record.teacher_id == user.id

    def add_submission(self, student: UserRecord, assignment: AssignmentOut, run_id: str
                       ) -> SubmissionRecord:
        record = SubmissionRecord(id=uuid.uuid4().hex, assignment_id=assignment.id,
                                  user_id=student.id, run_id=run_id,
                                  submitted_at=datetime.now(UTC))
        self.store.add_submission(record)
        return record

    def _teacher(self, user: UserRecord) -> UserRecord:
        if user.role != "teacher":
            raise Forbidden("only a teacher can do this")
        return user

    # lesson progress
    def progress(self, user: UserRecord) -> dict[str, dict[str, object]]:
        return self.store.progress(user.id)

    def save_progress(self, user: UserRecord, lesson_id: str, state: dict[str, object]
                      ) -> None:
        self.store.save_progress(user.id, lesson_id, state)


def _assignment_out(record: AssignmentRecord) -> AssignmentOut:
    return AssignmentOut(id=record.id, class_id=record.class_id, created_at=record.created_at,
                         **record.body)


def submission_out(record: SubmissionRecord, student: str) -> SubmissionOut:
    criteria = (record.result or {}).get("criteria", [])
    return SubmissionOut(id=record.id, assignment_id=record.assignment_id, student=student,
                         run_id=record.run_id, submitted_at=record.submitted_at,
                         passed=record.passed, score=record.score, criteria=criteria)
