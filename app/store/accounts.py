"""The classroom's rows on the SQL store's engine: users with their sessions and API
tokens, classes and members, assignments and submissions, and lesson progress. Secrets
are never stored: sessions and tokens are kept by their SHA-256, passwords by their
argon2 hash (made above, in app.classroom)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel
from sqlalchemy import Engine, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker

from app.store.class_tables import (
    ApiTokenRow,
    AssignmentRow,
    ClassRow,
    MemberRow,
    ProgressRow,
    SessionRow,
    SubmissionRow,
    UserRow,
)

Role = Literal["teacher", "student"]


class UserRecord(BaseModel):
    id: str
    name: str
    role: Role
    password_hash: str
    created_at: datetime
    last_seen_at: datetime | None = None
    gpu_seconds_deleted: float = 0.0


class ClassRecord(BaseModel):
    id: str
    name: str
    teacher_id: str
    invite_code: str
    created_at: datetime


class AssignmentRecord(BaseModel):
    id: str
    class_id: str
    body: dict[str, Any]
    created_at: datetime


class SubmissionRecord(BaseModel):
    id: str
    assignment_id: str
    user_id: str
    run_id: str
    submitted_at: datetime
    passed: bool | None = None
    score: float | None = None
    result: dict[str, Any] | None = None


class NameTaken(ValueError):
    """A user name (or invite code) already in use."""


def _now() -> datetime:
    return datetime.now(UTC)


def _model(record: type[BaseModel], row: Any) -> Any:
    return record.model_validate({name: getattr(row, name) for name in record.model_fields})


class AccountStore:
    """Every method is one short transaction, safe from any thread."""

    def __init__(self, engine: Engine) -> None:
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    # users
    def user_count(self) -> int:
        with self._sessions() as session:
            return session.scalar(select(func.count()).select_from(UserRow)) or 0

    def create_user(self, user: UserRecord) -> None:
        try:
            with self._sessions.begin() as session:
                session.add(UserRow(**user.model_dump()))
        except IntegrityError:
            raise NameTaken(f"a user named {user.name!r} already exists") from None

    def get_user(self, user_id: str) -> UserRecord | None:
        with self._sessions() as session:
            row = session.get(UserRow, user_id)
            return None if row is None else _model(UserRecord, row)

    def user_named(self, name: str) -> UserRecord | None:
        with self._sessions() as session:
            row = session.scalar(select(UserRow).where(UserRow.name == name))
            return None if row is None else _model(UserRecord, row)

    def users(self, user_ids: Sequence[str]) -> list[UserRecord]:
        with self._sessions() as session:
            rows = session.scalars(select(UserRow).where(UserRow.id.in_(user_ids))
                                   .order_by(UserRow.name))
            return [_model(UserRecord, row) for row in rows]

    def set_password(self, user_id: str, password_hash: str) -> None:
        """A new password also signs the user out everywhere: their sessions end and
        their API tokens stop working."""
        with self._sessions.begin() as session:
            session.execute(update(UserRow).where(UserRow.id == user_id)
                            .values(password_hash=password_hash))
            session.execute(delete(SessionRow).where(SessionRow.user_id == user_id))
            session.execute(delete(ApiTokenRow).where(ApiTokenRow.user_id == user_id))

    def add_gpu_seconds_deleted(self, user_id: str, seconds: float) -> None:
        """Keep the GPU time of a user's run that is being deleted."""
        with self._sessions.begin() as session:
            session.execute(update(UserRow).where(UserRow.id == user_id).values(
                gpu_seconds_deleted=UserRow.gpu_seconds_deleted + seconds))

    def seen(self, user_id: str) -> None:
        with self._sessions.begin() as session:
            session.execute(update(UserRow).where(UserRow.id == user_id)
                            .values(last_seen_at=_now()))

    # sessions and tokens
    def add_session(self, key_hash: str, user_id: str, csrf: str, expires_at: datetime) -> None:
        with self._sessions.begin() as session:
            session.add(SessionRow(key_hash=key_hash, user_id=user_id, csrf=csrf,
                                   created_at=_now(), expires_at=expires_at))

    def session_user(self, key_hash: str) -> tuple[UserRecord, str] | None:
        """The user of a live session and its CSRF token; None for an unknown or expired
        one (an expired one is removed)."""
        with self._sessions.begin() as session:
            row = session.get(SessionRow, key_hash)
            if row is None:
                return None
            if row.expires_at <= _now():
                session.delete(row)
                return None
            user = session.get(UserRow, row.user_id)
            return None if user is None else (_model(UserRecord, user), row.csrf)

    def drop_session(self, key_hash: str) -> None:
        with self._sessions.begin() as session:
            session.execute(delete(SessionRow).where(SessionRow.key_hash == key_hash))

    def add_token(self, key_hash: str, user_id: str, label: str) -> None:
        with self._sessions.begin() as session:
            session.add(ApiTokenRow(key_hash=key_hash, user_id=user_id, label=label,
                                    created_at=_now()))

    def token_user(self, key_hash: str) -> UserRecord | None:
        with self._sessions() as session:
            row = session.get(ApiTokenRow, key_hash)
            user = None if row is None else session.get(UserRow, row.user_id)
            return None if user is None else _model(UserRecord, user)

    # classes
    def create_class(self, record: ClassRecord) -> None:
        try:
            with self._sessions.begin() as session:
                session.add(ClassRow(**record.model_dump()))
        except IntegrityError:
            raise NameTaken("that invite code is taken") from None

    def get_class(self, class_id: str) -> ClassRecord | None:
        with self._sessions() as session:
            row = session.get(ClassRow, class_id)
            return None if row is None else _model(ClassRecord, row)

    def class_by_code(self, code: str) -> ClassRecord | None:
        with self._sessions() as session:
            row = session.scalar(select(ClassRow).where(ClassRow.invite_code == code))
            return None if row is None else _model(ClassRecord, row)

    def classes_of(self, user_id: str) -> list[ClassRecord]:
        """The classes a user teaches or belongs to, oldest first."""
        joined = select(MemberRow.class_id).where(MemberRow.user_id == user_id)
        with self._sessions() as session:
            rows = session.scalars(select(ClassRow).where(
                (ClassRow.teacher_id == user_id) | ClassRow.id.in_(joined))
                .order_by(ClassRow.created_at))
            return [_model(ClassRecord, row) for row in rows]

    def add_member(self, class_id: str, user_id: str) -> None:
        """Idempotent: joining twice is joining once."""
        with self._sessions.begin() as session:
            if session.get(MemberRow, (class_id, user_id)) is None:
                session.add(MemberRow(class_id=class_id, user_id=user_id, joined_at=_now()))

    def members(self, class_id: str) -> list[str]:
        with self._sessions() as session:
            return list(session.scalars(select(MemberRow.user_id)
                                        .where(MemberRow.class_id == class_id)
                                        .order_by(MemberRow.joined_at)))

    def students_of(self, teacher_id: str) -> list[str]:
        """Every member of every class the teacher teaches."""
        taught = select(ClassRow.id).where(ClassRow.teacher_id == teacher_id)
        with self._sessions() as session:
            return list(session.scalars(select(MemberRow.user_id).distinct()
                                        .where(MemberRow.class_id.in_(taught))))

    # assignments and submissions
    def create_assignment(self, record: AssignmentRecord) -> None:
        with self._sessions.begin() as session:
            session.add(AssignmentRow(**record.model_dump()))

    def get_assignment(self, assignment_id: str) -> AssignmentRecord | None:
        with self._sessions() as session:
            row = session.get(AssignmentRow, assignment_id)
            return None if row is None else _model(AssignmentRecord, row)

    def assignments_of(self, class_ids: Sequence[str]) -> list[AssignmentRecord]:
        with self._sessions() as session:
            rows = session.scalars(select(AssignmentRow)
                                   .where(AssignmentRow.class_id.in_(class_ids))
                                   .order_by(AssignmentRow.created_at))
            return [_model(AssignmentRecord, row) for row in rows]

    def add_submission(self, record: SubmissionRecord) -> None:
        with self._sessions.begin() as session:
            session.add(SubmissionRow(**record.model_dump()))

    def mark(self, submission_id: str, passed: bool | None, score: float | None,
             result: dict[str, Any]) -> None:
        with self._sessions.begin() as session:
            session.execute(update(SubmissionRow).where(SubmissionRow.id == submission_id)
                            .values(passed=passed, score=score, result=result))

    def submissions(self, assignment_id: str, user_id: str | None = None
                    ) -> list[SubmissionRecord]:
        """Oldest first; one user's only when given."""
        query = select(SubmissionRow).where(SubmissionRow.assignment_id == assignment_id)
        if user_id is not None:
            query = query.where(SubmissionRow.user_id == user_id)
        with self._sessions() as session:
            rows = session.scalars(query.order_by(SubmissionRow.submitted_at))
            return [_model(SubmissionRecord, row) for row in rows]

    # lesson progress
    def progress(self, user_id: str) -> dict[str, dict[str, Any]]:
        with self._sessions() as session:
            rows = session.scalars(select(ProgressRow).where(ProgressRow.user_id == user_id))
            return {row.lesson_id: row.state for row in rows}

    def save_progress(self, user_id: str, lesson_id: str, state: dict[str, Any]) -> None:
        with self._sessions.begin() as session:
            row = session.get(ProgressRow, (user_id, lesson_id))
            if row is None:
                session.add(ProgressRow(user_id=user_id, lesson_id=lesson_id, state=state,
                                        updated_at=_now()))
            else:
                row.state, row.updated_at = state, _now()
